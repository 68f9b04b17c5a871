"""`groundcode cluster`: candidate categories (adopted with `groundcode codebook merge`)."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app


@app.command()
def cluster(
    config: Path = typer.Argument(..., help="YAML run config (corpus, codebook, cluster keys)"),
    out: Path | None = typer.Option(None, "--out", help="folder for candidates.yaml"),
    all_passages: bool = typer.Option(False, "--all", help="cluster every passage"),
) -> None:
    """Cluster passages the codebook does not cover; write candidates.yaml (draft codes)."""
    from pipeline.cluster.adopt import write_candidates
    from pipeline.cluster.report import render_candidates_section
    from pipeline.config import load_config
    from pipeline.engines.standalone import code_and_cluster
    from pipeline.io import atomic_write_text

    cfg = load_config(config)
    if all_passages:
        cfg = cfg.model_copy(
            update={"cluster": cfg.cluster.model_copy(update={"all_passages": True})}
        )
    folder = out or cfg.output
    coded = code_and_cluster(cfg)
    path = write_candidates(coded.clusters, coded.codebook, Path(folder) / "candidates.yaml")
    atomic_write_text(Path(folder) / "candidates.html", render_candidates_section(coded.clusters))
    result = coded.clusters
    typer.echo(
        f"{len(result.candidates)} candidate categories, {len(result.outliers)} outliers "
        f"({result.outlier_share:.0%}) -> {path}"
    )
    for cand in result.candidates:
        density = "–" if cand.density_novelty is None else f"{cand.density_novelty:.2f}"
        typer.echo(
            f"  {cand.id} ({len(cand.passage_ids)} passages) novelty {cand.novelty:.2f}, "
            f"uncovered {density}: {cand.label.zh} | {cand.label.en}"
        )

