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
    base_size: int | None = typer.Option(None, "--base-size", help="default: saturation.base_size"),
    run_length: int | None = typer.Option(None, "--run-length", help="default: config"),
    threshold: float | None = typer.Option(
        None, "--threshold", help="new-information threshold (default: config, 0.05)"
    ),
    orders: int | None = typer.Option(None, "--orders", help="bootstrap case orders"),
) -> None:
    """Code the reserved cases, look for new concepts, and print a saturation verdict.

    Options left out take their value from the config's ``saturation:`` section.
    """
    from pipeline.config import load_config
    from pipeline.engines.standalone import code_and_cluster
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
    s = cfg.saturation
    base_size = s.base_size if base_size is None else base_size
    run_length = s.run_length if run_length is None else run_length
    threshold = s.threshold if threshold is None else threshold
    orders = s.orders if orders is None else orders
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
