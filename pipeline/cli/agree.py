"""`groundcode agree`: agreement audit over human (and machine) codings."""

from __future__ import annotations

import warnings
from enum import StrEnum
from pathlib import Path

import typer

from pipeline.cli.app import app


class Level(StrEnum):
    initial = "initial"
    main = "main"
    framework = "framework"


def coder_names(coder: list[str] | None, coders: str | None) -> list[str] | None:
    """``--coder NAME`` (repeatable, any characters) plus ``--coders a,b`` (comma-separated)."""
    names = [name.strip() for name in coder or [] if name.strip()]
    names += [name.strip() for name in (coders or "").split(",") if name.strip()]
    return list(dict.fromkeys(names)) or None


@app.command()
def agree(
    codings: list[Path] = typer.Argument(..., help="codings files: CSV/XLSX, suggestions, .qdpx"),
    units: Path | None = typer.Option(None, help="passages table (Parquet/CSV): the units"),
    codebook: Path | None = typer.Option(None, help="codebook YAML (validates codes, roll-up)"),
    level: Level = typer.Option(Level.initial, help="codebook level to compare at"),
    coder: list[str] | None = typer.Option(
        None, "--coder", help="a coder to compare (repeat it; a name may contain commas)"
    ),
    coders: str | None = typer.Option(None, help="comma-separated coders to compare"),
    machine: Path | None = typer.Option(None, help="suggestion table to add as a coder"),
    threshold: float | None = typer.Option(None, help="score threshold for --machine"),
    bootstrap: int = typer.Option(1000, help="bootstrap resamples of units (0 = none)"),
    seed: int = typer.Option(0, help="seed for the bootstrap"),
    min_cover: float = typer.Option(0.5, help="share of a passage a span must cover"),
    ignore_columns: bool = typer.Option(
        False, "--ignore-columns", help="warn about unknown columns instead of refusing the file"
    ),
    max_file_mb: float | None = typer.Option(
        None, help="largest file loaded whole, MB (default: GROUNDCODE_MAX_FILE_MB or 512)"
    ),
    max_inflated_mb: float | None = typer.Option(
        None,
        help="largest inflated .xlsx/.qdpx content, MB (default: GROUNDCODE_MAX_INFLATED_MB or 100)",
    ),
    out: Path = typer.Option(Path("agreement"), help="output folder"),
) -> None:
    """Compare coders: kappa, alpha (nominal/MASI/per code), AC1, CIs, disagreements."""
    from pipeline.agreement.audit import MachineInput, run_audit
    from pipeline.agreement.readers import AgreementInputWarning, ReadOptions
    from pipeline.agreement.render import write_outputs
    from pipeline.agreement.units import load_units
    from pipeline.userfiles import ReadLimits

    env = ReadLimits.from_env()
    limits = ReadLimits(
        max_file_mb=env.max_file_mb if max_file_mb is None else max_file_mb,
        max_inflated_mb=env.max_inflated_mb if max_inflated_mb is None else max_inflated_mb,
    )
    book = None
    if codebook is not None:
        from pipeline.codebook import load_codebook

        book = load_codebook(codebook)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AgreementInputWarning)
        report = run_audit(
            codings,
            units=load_units(units, limits) if units else None,
            codebook=book,
            level=level.value,
            coders=coder_names(coder, coders),
            machine=MachineInput(machine, threshold) if machine else None,
            n_boot=bootstrap,
            seed=seed,
            min_cover=min_cover,
            options=ReadOptions(limits, ignore_columns),
        )
    for warning in caught:
        if issubclass(warning.category, AgreementInputWarning):
            typer.secho(f"warning: {warning.message}", fg=typer.colors.YELLOW, err=True)
        else:  # not ours to word: pass on as Python would have shown it
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    paths = write_outputs(report, out)
    typer.echo(
        f"{report.n_units} units, {len(report.coders)} coders, "
        f"{len(report.disagreements)} disagreements"
    )
    for path in paths.values():
        typer.echo(f"wrote {path}")
