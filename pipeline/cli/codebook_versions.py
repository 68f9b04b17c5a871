"""`groundcode codebook history | diff | version`: the codebook versions a store keeps."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from pipeline.cli.codebook import codebook_app


class VersionFormat(StrEnum):
    yaml = "yaml"
    qdc = "qdc"


def _open(config: Path):
    """(store, codebook id, hash of the version in use) for a run config."""
    from pipeline.codebook import load_codebook
    from pipeline.config import load_config
    from pipeline.errors import ConfigError, StoreError
    from pipeline.paths import job_paths
    from pipeline.store import open_store

    cfg = load_config(config)
    if cfg.codebook is None:
        raise ConfigError("no codebook configured", unit="codebook")
    url = job_paths(cfg).store_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise StoreError("no store for this config yet", file=url.removeprefix("sqlite:///"),
                         hint="run `groundcode run CONFIG` first.")
    book = load_codebook(cfg.codebook)
    store = open_store(url)
    latest = store.codebooks.latest_descendant(book.hash)
    return store, book.id, latest.hash if latest else book.hash


def _book(record):
    from pipeline.codebook.stored import codebook_from_text

    return codebook_from_text(record.content, f"stored codebook {record.hash[:12]}")


@codebook_app.command()
def history(config: Path = typer.Argument(..., help="run config (its store and codebook)")) -> None:
    """Every kept version of the config's codebook: when, who, why, what changed."""
    store, codebook_id, in_use = _open(config)
    with store:
        records = store.codebooks.codebooks(codebook_id)
    numbers = {r.hash: i for i, r in enumerate(records, start=1)}
    for i, r in enumerate(records, start=1):
        parent = f"#{numbers[r.parent_hash]}" if r.parent_hash in numbers else "–"
        when = r.created_at.strftime("%Y-%m-%d %H:%M:%S") if r.created_at else "?"
        mark = "  <- in use" if r.hash == in_use else ""
        typer.echo(f"#{i} {r.hash[:12]} {when} by {r.author or '?'} from {parent}{mark}")
        if r.reason:
            typer.echo(f"    why: {r.reason}")
        for change in r.changes:
            typer.echo(f"    {change}")


@codebook_app.command()
def diff(
    config: Path = typer.Argument(..., help="run config (its store and codebook)"),
    old: str = typer.Argument(..., help="version: number from `history`, hash prefix, latest"),
    new: str = typer.Argument(..., help="version to compare it with"),
) -> None:
    """Codes added, removed and changed between two kept versions."""
    from pipeline.codebook.diff import diff_codebooks, render_diff
    from pipeline.engines.codebooks import find_version

    store, codebook_id, _ = _open(config)
    with store:
        a, b = find_version(store, codebook_id, old), find_version(store, codebook_id, new)
    new_book = _book(b)
    for line in render_diff(diff_codebooks(_book(a), new_book), new_book):
        typer.echo(line)


@codebook_app.command("version")
def version_(
    config: Path = typer.Argument(..., help="run config (its store and codebook)"),
    ref: str = typer.Argument(..., help="version: number from `history`, hash prefix, latest"),
    fmt: VersionFormat = typer.Option(VersionFormat.yaml, "--format", help="yaml | qdc"),
    out: Path = typer.Option(..., "--out", help="file to write"),
) -> None:
    """Export any kept version as codebook YAML or REFI-QDA .qdc."""
    from pipeline.codebook import dump_codebook
    from pipeline.codebook.refi import export_qdc
    from pipeline.engines.codebooks import find_version

    store, codebook_id, _ = _open(config)
    with store:
        record = find_version(store, codebook_id, ref)
    book = _book(record)
    (export_qdc if fmt is VersionFormat.qdc else dump_codebook)(book, out)
    typer.echo(f"wrote {out} ({fmt.value}, version {record.hash[:12]})")
