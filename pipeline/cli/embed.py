"""`groundcode embed`: passages Parquet -> vectors .npy (+ .json sidecar), cached."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app


def embed_settings(config: Path | None, backend: str | None, model: str | None):
    """Embed settings from the run config (or defaults) with command-line overrides."""
    from pipeline.embed.settings import EmbedSettings

    cfg = None
    if config is not None:
        from pipeline.config import load_config

        cfg = load_config(config)
    settings = cfg.embed if cfg else EmbedSettings()
    overrides = {k: v for k, v in (("backend", backend), ("model", model)) if v is not None}
    if overrides:
        from pipeline.errors import ConfigError

        try:
            settings = EmbedSettings.model_validate(settings.model_dump() | overrides)
        except Exception as exc:
            raise ConfigError(f"bad --backend/--model: {exc}") from None
    cache = Path(cfg.output) / "cache" if cfg else None
    return cfg, settings, cache


@app.command()
def embed(
    passages: Path = typer.Argument(..., help="passages.parquet (columns = Passage fields)"),
    config: Path | None = typer.Option(None, "--config", "-c", help="run config YAML"),
    backend: str | None = typer.Option(
        None, help="use-multilingual (default) or sentence-transformers"
    ),
    model: str | None = typer.Option(None, help="sentence-transformers model name or folder"),
    out: Path | None = typer.Option(None, help="vectors .npy (default: next to the passages)"),
    cache_dir: Path | None = typer.Option(None, help="vector cache folder"),
) -> None:
    """Embed every passage; vectors are cached by (embedder id, text hash).

    With `embed.context_weight` in --config above 0, each passage's vector also
    takes in the embedding of the passage read with its neighbouring sentences.
    """
    from pipeline.embed import embed_passages, make_embedder
    from pipeline.embed.io import read_passages, write_vectors

    _, settings, default_cache = embed_settings(config, backend, model)
    embedder = make_embedder(settings, cache_dir=cache_dir or default_cache)
    rows = read_passages(passages)
    vectors = embed_passages(embedder, rows)
    target = out or passages.with_name(passages.stem + ".vectors.npy")
    write_vectors(vectors, [p.id for p in rows], embedder.id, target)
    typer.echo(f"{len(rows)} passages embedded with {embedder.id} -> {target}")
