"""Saturation outputs: ``saturation.csv`` / ``saturation.json`` and the report section."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from html import escape
from pathlib import Path

from pipeline.io import atomic_write_text
from pipeline.saturation.accepted import AcceptedCategories
from pipeline.saturation.measures import BootstrapSummary, SaturationMeasures
from pipeline.saturation.reserved import ReservedVerdict

CURVE_DIV = "saturation-curve"
BOOTSTRAP_DIV = "saturation-bootstrap"


def saturation_table(measures: SaturationMeasures) -> list[dict]:
    """One row per case in order: codes, new codes, cumulative codes, run ratio ending here."""
    ratio_at = {run.last_case: run.ratio for run in measures.runs}
    return [
        {
            "position": i,
            "case_id": step.case_id,
            "codes": step.codes,
            "new_codes": step.new_codes,
            "cumulative_codes": step.cumulative,
            "run_new_info_ratio": round(ratio_at[i], 6) if i in ratio_at else None,
            "saturated_here": measures.saturation_case == i,
        }
        for i, step in enumerate(measures.steps, start=1)
    ]


def write_saturation(
    out_dir: str | Path,
    measures: SaturationMeasures,
    bootstrap: BootstrapSummary,
    verdict: ReservedVerdict | None = None,
    accepted: AcceptedCategories | None = None,
) -> dict[str, Path]:
    import pandas as pd

    out = Path(out_dir)
    csv_path, json_path = out / "saturation.csv", out / "saturation.json"
    frame = pd.DataFrame(saturation_table(measures))
    atomic_write_text(csv_path, frame.to_csv(index=False))
    payload = {
        "measures": asdict(measures),
        "bootstrap": asdict(bootstrap),
        "reserved": asdict(verdict) if verdict is not None else None,
    }
    if accepted is not None:
        payload["accepted"] = asdict(accepted) | {"saturated": accepted.saturated}
    atomic_write_text(json_path, json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True))
    return {"csv": csv_path, "json": json_path}


def _figures(measures: SaturationMeasures, bootstrap: BootstrapSummary) -> str:
    import plotly.graph_objects as go

    x = list(range(1, len(measures.steps) + 1))
    names = [s.case_id for s in measures.steps]
    curve = go.Figure()
    curve.add_trace(
        go.Scatter(
            x=x,
            y=[s.cumulative for s in measures.steps],
            mode="lines+markers",
            name="cumulative codes",
            text=names,
        )
    )
    curve.add_trace(go.Bar(x=x, y=[s.new_codes for s in measures.steps], name="new codes"))
    if measures.saturation_case is not None:
        curve.add_vline(x=measures.saturation_case, line_dash="dash")
    curve.update_layout(
        title="Cumulative codes by case",
        xaxis_title="cases coded",
        yaxis_title="codes",
        template="plotly_white",
        height=380,
    )
    counts = Counter(c for c in bootstrap.case_counts if c is not None)
    hist = go.Figure(go.Bar(x=sorted(counts), y=[counts[k] for k in sorted(counts)]))
    hist.update_layout(
        title=f"Saturation point over {bootstrap.orders} case orders",
        xaxis_title="cases needed",
        yaxis_title="orders",
        template="plotly_white",
        height=320,
    )
    opts = {"full_html": False, "include_plotlyjs": False, "config": {"displaylogo": False}}
    return curve.to_html(div_id=CURVE_DIV, **opts) + hist.to_html(div_id=BOOTSTRAP_DIV, **opts)


def _verdict_html(verdict: ReservedVerdict | None) -> str:
    if verdict is None:
        return ""
    rows = "".join(
        f"<tr><td>{escape(c.doc_id)}</td><td>{c.passages}</td><td>{len(c.uncoded)}</td>"
        f"<td>{len(c.codes)}</td><td>{escape(', '.join(c.new_concepts)) or '–'}</td></tr>"
        for c in verdict.cases
    )
    word = "saturated" if verdict.saturated else "not saturated"
    return (
        f'<p class="verdict"><strong>{word}</strong>: {escape(verdict.reason)}</p>'
        "<table><thead><tr><th>reserved case</th><th>passages</th><th>without confident code"
        "</th><th>codes</th><th>new concepts</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _accepted_html(accepted: AcceptedCategories | None) -> str:
    if accepted is None:
        return ""
    head = "<h3>Categories researchers accepted (the study's criterion)</h3>"
    if not accepted.decisions:
        return head + (
            '<p class="note" id="accepted-none">No category has been accepted by a researcher '
            "yet: accept candidate categories on the candidates page of <code>groundcode "
            "review</code> (or accept codes on passages), then run again.</p>")
    if accepted.saturated is None:
        word = "no reserved case is configured (manifest <code>reserved: true</code>)"
    elif accepted.saturated:
        word = "<strong>saturated</strong>: the reserved cases added no accepted category"
    else:
        word = (f"<strong>not saturated</strong>: the reserved cases added "
                f"{len(accepted.reserved_new)} accepted categor"
                f"{'y' if len(accepted.reserved_new) == 1 else 'ies'}: "
                f"{escape(', '.join(accepted.reserved_new))}")
    reserved = set(accepted.reserved)
    rows = "".join(
        f"<tr><td>{escape(step.case_id)}{' (reserved)' if step.case_id in reserved else ''}</td>"
        f"<td>{step.codes}</td><td>{step.new_codes}</td><td>{step.cumulative}</td>"
        f"<td>{escape(', '.join(new)) or '–'}</td></tr>"
        for step, (_, new) in zip(accepted.steps, accepted.new_by_case, strict=True)
        if step.codes)
    return (f'{head}<p class="verdict" id="accepted-verdict">{word}. {accepted.decisions} '
            "accepted (case, category) decisions.</p><table id=\"accepted-table\"><thead><tr>"
            "<th>case</th><th>accepted categories</th><th>new</th><th>cumulative</th>"
            f"<th>first accepted here</th></tr></thead><tbody>{rows}</tbody></table>")


def render_saturation_section(
    measures: SaturationMeasures,
    bootstrap: BootstrapSummary,
    verdict: ReservedVerdict | None = None,
    accepted: AcceptedCategories | None = None,
) -> str:
    """``<section id="saturation">``: verdict, Guest et al. measures, curve and bootstrap."""
    point = measures.saturation_case
    reached = f"reached after {point} cases" if point is not None else "not reached"
    spread = (
        f"median {bootstrap.median:g} cases (90% of orders: {bootstrap.p05:g}–{bootstrap.p95:g})"
        if bootstrap.median is not None
        else "never reached"
    )
    summary = (
        f"<p>Base size {measures.base_size} ({measures.base_codes} codes), run length "
        f"{measures.run_length}, new-information threshold ≤ {measures.threshold:.0%}: "
        f"saturation {reached}. Over {bootstrap.orders} random case orders (seed "
        f"{bootstrap.seed}) saturation was reached in {bootstrap.reached_share:.0%}, {spread}.</p>"
    )
    return (
        '<section id="saturation"><h2>Saturation</h2>'
        f"{_verdict_html(verdict)}{summary}{_figures(measures, bootstrap)}"
        f"{_accepted_html(accepted)}</section>"
    )
