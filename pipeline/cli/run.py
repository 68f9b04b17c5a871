"""`groundcode segment` and `groundcode run`."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app


def _report(result) -> None:
    typer.echo(
        f"{result.documents} documents -> {result.passages} passages "
        f"({result.removals} spans removed by clean)"
    )
    typer.echo(f"passages: {result.passages_path}")
    typer.echo(f"run.json: {result.run_json}")


@app.command()
def run(
    config: Path = typer.Argument(..., help="YAML run config, e.g. configs/demo.yaml"),
    refit: bool = typer.Option(
        False, "--refit", help="Fit the coder again, re-classify every document and cluster the candidate categories afresh."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    wait: float = typer.Option(
        0.0, "--wait", min=0, metavar="SECONDS",
        help="When another run holds this output folder's lock, wait up to SECONDS for it "
        "(default: stop at once with error E901).",
    ),
) -> None:
    """The main job: ingest -> clean -> segment -> embed -> classify -> cluster ->
    saturation -> agreement, then the outputs from the store.

    Incremental and resumable: unchanged documents are not processed again, the
    corpus stages are recomputed only when their inputs changed, and a killed run
    picks up where it stopped. A stage with nothing to compute says why.
    """
    from pipeline.config import load_config
    from pipeline.engines.run import run_job

    cfg = load_config(config)
    result = run_job(cfg, progress=not quiet, refit=refit, echo=typer.echo, wait=wait,
                     config_path=config)
    counts = result.counts
    typer.echo(
        f"{counts.get('documents', 0)} documents, {counts.get('passages', 0)} passages, "
        f"{counts.get('suggestions', 0)} suggestions in the store"
    )
    done = ", ".join(f"{k} {len(v)}" for k, v in result.processed.items())
    typer.echo(f"processed this run (documents): {done}")
    if result.stages:
        typer.echo("corpus stages: " + ", ".join(f"{k} {v}" for k, v in result.stages.items()))
    for name, rel in sorted(result.outputs.items()):
        typer.echo(f"{name}: {result.output / rel}")
    typer.echo(f"run.json: {result.run_json}")


@app.command()
def segment(
    path: Path = typer.Argument(..., help="Corpus folder (with manifest.yaml/csv) or a file."),
    manifest: Path | None = typer.Option(None, help="Manifest, if not in the folder."),
    out: Path = typer.Option(Path("runs/segment"), help="Output folder."),
    config: Path | None = typer.Option(None, help="Run config to take clean/segment keys from."),
    no_clean: bool = typer.Option(False, "--no-clean", help="Switch the clean stage off."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Ingest, clean and segment a corpus into passages (Parquet + CSV) with run.json."""
    from pipeline.config import config_from_dict, load_config
    from pipeline.engines.local import run_foundation

    base = load_config(config).model_dump(mode="json") if config else {}
    base["corpus"] = {"path": str(path.resolve())}
    if manifest is not None:
        base["corpus"]["manifest"] = str(manifest.resolve())
    base["output"] = str(out.resolve())
    if no_clean:
        base["clean"] = {**base.get("clean", {}), "enabled": False}
    cfg = config_from_dict(base, base=Path.cwd(), source=str(config or "<command line>"))
    _report(run_foundation(cfg, progress=not quiet))
