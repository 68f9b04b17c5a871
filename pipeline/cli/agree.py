"""`groundcode agree`: agreement audit over human (and machine) codings."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from pipeline.cli.app import app


class Level(StrEnum):
    initial = "initial"
    main = "main"
    framework = "framework"


@app.command()
def agree(
    codings: list[Path] = typer.Argument(..., help="codings files: CSV/XLSX, suggestions, .qdpx"),
    units: Path | None = typer.Option(None, help="passages table (Parquet/CSV): the units"),
    codebook: Path | None = typer.Option(None, help="codebook YAML (validates codes, roll-up)"),
    level: Level = typer.Option(Level.initial, help="codebook level to compare at"),
    coders: str | None = typer.Option(None, help="comma-separated coders to compare"),
    machine: Path | None = typer.Option(None, help="suggestion table to add as a coder"),
    threshold: float | None = typer.Option(None, help="score threshold for --machine"),
    bootstrap: int = typer.Option(1000, help="bootstrap resamples of units (0 = none)"),
    seed: int = typer.Option(0, help="seed for the bootstrap"),
    min_cover: float = typer.Option(0.5, help="share of a passage a span must cover"),
    out: Path = typer.Option(Path("agreement"), help="output folder"),
) -> None:
    """Compare coders: kappa, alpha (nominal/MASI/per code), AC1, CIs, disagreements."""
    from pipeline.agreement.audit import MachineInput, run_audit
    from pipeline.agreement.render import write_outputs
    from pipeline.agreement.units import load_units

    book = None
    if codebook is not None:
        from pipeline.codebook import load_codebook

        book = load_codebook(codebook)
    report = run_audit(
        codings,
        units=load_units(units) if units else None,
        codebook=book,
        level=level.value,
        coders=[c.strip() for c in coders.split(",")] if coders else None,
        machine=MachineInput(machine, threshold) if machine else None,
        n_boot=bootstrap,
        seed=seed,
        min_cover=min_cover,
    )
    paths = write_outputs(report, out)
    typer.echo(
        f"{report.n_units} units, {len(report.coders)} coders, "
        f"{len(report.disagreements)} disagreements"
    )
    for path in paths.values():
        typer.echo(f"wrote {path}")
