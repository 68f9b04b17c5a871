"""`groundcode export`: regenerate a run's outputs from the store."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app


@app.command()
def export(
    config: Path = typer.Argument(..., help="the run config the store was filled with"),
    only: str | None = typer.Option(
        None, "--only", help="comma-separated: tables, candidates, saturation, agreement, "
        "report, xlsx, qdpx, qdc (default: all)"
    ),
    wait: float = typer.Option(
        0.0, "--wait", min=0, metavar="SECONDS",
        help="When a run holds this output folder's lock, wait up to SECONDS for it "
        "(default: stop at once with error E901).",
    ),
) -> None:
    """Write report.html, coding.xlsx, project.qdpx, codebook.qdc ... again from the store."""
    from pipeline.config import load_config
    from pipeline.report.export import OUTPUTS, export_from_store

    chosen = tuple(OUTPUTS) if only is None else tuple(x.strip() for x in only.split(",") if x)
    written = export_from_store(load_config(config), chosen, wait=wait, config_path=config)
    for name, rel in sorted(written.items()):
        typer.echo(f"{name}: {rel}")
