"""`groundcode review`: the local review web app."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app


def build_review_app(config_path: Path | None, store_url: str | None, codebook: Path | None,
                     coder: str, token: str | None, retrain_every: int,
                     host: str = "127.0.0.1", allowed_hosts: tuple[str, ...] = ()):
    """(app, store) for a config (its store and codebook), or an explicit store + codebook."""
    from pipeline.extras import require_extra

    require_extra("review", "groundcode review")
    from pipeline.codebook import load_codebook
    from pipeline.config import config_from_dict, load_config
    from pipeline.errors import ConfigError
    from pipeline.paths import job_paths
    from pipeline.review.app import ReviewSettings, create_app
    from pipeline.store import open_store

    if config_path is not None:
        cfg = load_config(config_path)
    elif store_url and codebook:
        cfg = config_from_dict({"corpus": {"path": "."}, "codebook": str(codebook.resolve()),
                                "store": store_url}, base=Path.cwd(), source="<command line>")
    else:
        raise ConfigError("review needs a run config, or --store and --codebook",
                          hint="groundcode review configs/demo.yaml --coder li")
    if codebook is not None:
        cfg = cfg.model_copy(update={"codebook": codebook.resolve()})
    if cfg.codebook is None:
        raise ConfigError("no codebook configured", unit="codebook")
    url = store_url or job_paths(cfg).store_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        from pipeline.errors import StoreError

        raise StoreError("no store here yet", file=url.removeprefix("sqlite:///"),
                         hint="run `groundcode run CONFIG` first to fill it.")
    _check_hosts(host, allowed_hosts)
    store = open_store(url)
    settings = ReviewSettings(default_coder=coder, token=token, retrain_every=retrain_every,
                              seed=cfg.seed, host=host, allowed_hosts=allowed_hosts)
    from pipeline.engines.codebooks import codebook_in_use

    load_codebook(cfg.codebook)  # a bad file fails before the store is touched
    book = codebook_in_use(store, Path(cfg.codebook), job_paths(cfg).output / "codebooks").book
    return create_app(store, cfg, book, settings), store


def _check_hosts(host: str, allowed_hosts: tuple[str, ...]) -> None:
    from pipeline.errors import ConfigError
    from pipeline.review.security import allowed_hosts as host_policy

    try:
        host_policy(host, allowed_hosts)
    except ValueError as exc:
        raise ConfigError(str(exc), unit="--host / --allowed-host",
                          hint="give an IP address, a DNS name or a *.domain pattern.") from None


@app.command()
def review(
    config: Path | None = typer.Argument(None, help="run config (its store and codebook)"),
    store: str | None = typer.Option(None, "--store", help="store URL (default: the config's)"),
    codebook: Path | None = typer.Option(None, "--codebook", help="codebook YAML"),
    coder: str = typer.Option("", "--coder", help="coder name pre-filled at sign-in"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to serve on"),
    port: int = typer.Option(8765, "--port"),
    allowed_host: list[str] = typer.Option(
        [], "--allowed-host",
        help="another name the browser may use for this server (Host header); repeatable. "
             "By default only the --host address (and, on loopback, localhost) is answered"),
    retrain_every: int = typer.Option(25, "--retrain-every",
                                      help="retrain the coder after this many decisions (0: off)"),
) -> None:
    """Serve the review page: accept, reject and add codes at keyboard speed."""
    import secrets

    from pipeline.extras import require_extra

    require_extra("review", "groundcode review")
    import uvicorn

    from pipeline.review.security import is_loopback

    token = None if is_loopback(host) else secrets.token_urlsafe(18)
    web, opened = build_review_app(config, store, codebook, coder, token, retrain_every,
                                   host, tuple(allowed_host))
    shown = f"http://{host}:{port}/"
    if token:
        typer.echo(f"serving on {host}, which is not loopback: access token required")
        typer.echo(f"open {shown}?token={token}")
    else:
        typer.echo(f"open {shown}")
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    finally:
        opened.close()
