"""`groundcode classify`: ranked code suggestions (initial + main level) as Parquet + CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from pipeline.cli.app import app


class Method(StrEnum):
    zero_shot = "zero-shot"
    supervised = "supervised"


@app.command()
def classify(
    passages: Path = typer.Argument(..., help="passages.parquet (columns = Passage fields)"),
    codebook: Path | None = typer.Option(None, help="codebook YAML (default: from --config)"),
    config: Path | None = typer.Option(None, "--config", "-c", help="run config YAML"),
    method: Method | None = typer.Option(None, help="zero-shot (default) or supervised"),
    codings: Path | None = typer.Option(
        None, help="human codings CSV/XLSX for --method supervised"
    ),
    vectors: Path | None = typer.Option(None, help="vectors .npy from `groundcode embed`"),
    out: Path = typer.Option(Path("."), help="folder for suggestions.parquet/.csv"),
    models_dir: Path = typer.Option(Path("models"), help="where trained coders are saved"),
) -> None:
    """Suggest codes for every codable passage; train and save a coder for --method supervised.

    Other settings come from the `classify:` section of --config: top_k,
    threshold_z, min_examples_per_code, and for the supervised coder
    text_weights / context_weights, the weights cross-validation tries for
    the passage's own words and for the passage read with its neighbours, and
    prior_shift (per-document: each document's codes are rescaled to the share
    the coder estimates for that document; documents shorter than
    prior_shift_min_passages keep the training share). Passage vectors follow the
    `embed:` section (context_weight mixes in the neighbours' embedding).
    """
    from pipeline.classify.codings import read_codings
    from pipeline.classify.persist import save_coder
    from pipeline.classify.run import build_coder, review_order, suggest_levels, write_suggestions
    from pipeline.cli.embed import embed_settings
    from pipeline.codebook import load_codebook
    from pipeline.embed import embed_passages, make_embedder
    from pipeline.embed.io import read_passages, read_vectors
    from pipeline.errors import ConfigError

    cfg, embed_cfg, cache = embed_settings(config, None, None)
    settings = _classify_settings(cfg, method, codings)
    book_path = codebook or (cfg.codebook if cfg else None)
    if book_path is None:
        raise ConfigError("no codebook given", hint="pass --codebook CB.yaml.")
    book = load_codebook(book_path)
    embedder = make_embedder(embed_cfg, cache_dir=cache)
    rows = [p for p in read_passages(passages) if p.codable]
    if vectors is not None:
        all_rows = read_passages(passages)
        matrix = read_vectors(vectors, [p.id for p in all_rows], embedder.id)
        matrix = matrix[[i for i, p in enumerate(all_rows) if p.codable]]
    else:
        matrix = embed_passages(embedder, rows)
    labels = read_codings(settings.codings) if settings.codings else None
    coder = build_coder(settings, embedder, book, rows, matrix, labels, cfg.seed if cfg else 0)
    if settings.method == "supervised":
        typer.echo(f"trained coder saved to {save_coder(coder, models_dir)}")
    paths = write_suggestions(
        suggest_levels(coder, rows, matrix), review_order(coder, rows, matrix), out
    )
    typer.echo(f"suggestions for {len(rows)} passages -> {paths['parquet']} and {paths['csv']}")


def _classify_settings(cfg, method: Method | None, codings: Path | None):
    from pipeline.classify.settings import ClassifySettings

    settings = cfg.classify if cfg else ClassifySettings()
    overrides = {"method": method.value if method else None, "codings": codings}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return ClassifySettings.model_validate(settings.model_dump() | overrides)
