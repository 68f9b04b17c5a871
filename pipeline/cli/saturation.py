"""`groundcode saturation`: reserved-case test and Guest et al. saturation measures."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app


@app.command()
def saturation(
    config: Path = typer.Argument(..., help="YAML run config"),
    reserved: str | None = typer.Option(
        None, "--reserved", help="case ids, comma-separated (default: manifest reserved: true)"
    ),
    out: Path | None = typer.Option(None, "--out", help="folder for saturation.csv/json"),
    base_size: int = typer.Option(4, "--base-size"),
    run_length: int = typer.Option(2, "--run-length"),
    threshold: float = typer.Option(0.05, "--threshold", help="new-information threshold"),
    orders: int = typer.Option(1000, "--orders", help="bootstrap case orders"),
) -> None:
    """Code the reserved cases, look for new concepts, and print a saturation verdict."""
    from pipeline.cluster.run import code_and_cluster
    from pipeline.config import load_config
    from pipeline.io import atomic_write_text
    from pipeline.saturation import (
        assess_reserved,
        bootstrap_saturation,
        codes_per_case,
        ordered_cases,
        render_saturation_section,
        saturation_measures,
        write_saturation,
    )

    cfg = load_config(config)
    coded = code_and_cluster(cfg)
    chosen = [r.strip() for r in reserved.split(",") if r.strip()] if reserved else None
    order, reserved_ids = ordered_cases(coded.documents, chosen)
    verdict = assess_reserved(coded.passages, coded.suggestions, coded.clusters, reserved_ids)
    per_case = codes_per_case(coded.passages, coded.suggestions, order)
    measures = saturation_measures(per_case, base_size, run_length, threshold)
    boot = bootstrap_saturation(per_case, base_size, run_length, threshold, orders, cfg.seed)
    folder = Path(out or cfg.output)
    paths = write_saturation(folder, measures, boot, verdict)
    atomic_write_text(
        folder / "saturation.html", render_saturation_section(measures, boot, verdict)
    )
    typer.echo(f"{'saturated' if verdict.saturated else 'NOT saturated'}: {verdict.reason}")
    point = measures.saturation_case
    typer.echo(
        f"Guest et al.: {'reached after ' + str(point) + ' cases' if point else 'not reached'}"
        f" (bootstrap: reached in {boot.reached_share:.0%} of {orders} orders)"
    )
    typer.echo(f"wrote {paths['csv']} and {paths['json']}")
