"""Write the audit: agreement.csv, agreement.xlsx, disagreements.csv, agreement.html."""

from __future__ import annotations

import html
import math
from dataclasses import asdict
from pathlib import Path

from pipeline.agreement.audit import AgreementReport
from pipeline.io import atomic_path, atomic_write_text


def _fmt(value) -> str:
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def tables(report: AgreementReport):
    """(agreement, comparisons, disagreements) as DataFrames."""
    import pandas as pd

    rows = pd.DataFrame([asdict(r) for r in report.rows])
    comps = pd.DataFrame([asdict(c) for c in report.comparisons])
    dis = pd.DataFrame(
        [
            {
                "unit": d.unit,
                "doc_id": d.doc_id,
                "start": d.start,
                "end": d.end,
                "text": d.text,
                **{f"coder:{c}": codes for c, codes in d.codes},
            }
            for d in report.disagreements
        ]
    )
    return rows, comps, dis


def write_outputs(report: AgreementReport, out_dir: str | Path) -> dict[str, Path]:
    import pandas as pd

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows, comps, dis = tables(report)
    paths = {
        name: out / name
        for name in ("agreement.csv", "agreement.xlsx", "disagreements.csv", "agreement.html")
    }
    with atomic_path(paths["agreement.csv"]) as tmp:
        rows.to_csv(tmp, index=False)
    with atomic_path(paths["disagreements.csv"]) as tmp:
        dis.to_csv(tmp, index=False)
    with atomic_path(paths["agreement.xlsx"]) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            rows.to_excel(writer, sheet_name="agreement", index=False)
            comps.to_excel(writer, sheet_name="vs majority", index=False)
            dis.to_excel(writer, sheet_name="disagreements", index=False)
    atomic_write_text(paths["agreement.html"], render_agreement_section(report))
    if report.learning_curve:
        from pipeline.agreement.learning import write_curve

        paths["learning_curve.csv"] = out / "learning_curve.csv"
        write_curve(report.learning_curve, report.human_line, paths["learning_curve.csv"])
    return paths


def _table(headers: list[str], body: list[list]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    lines = [
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in body
    ]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def render_agreement_section(report: AgreementReport) -> str:
    """An escaped HTML ``<section>`` (no external assets) for the run report."""
    coders = ", ".join(report.coders)
    parts = [
        '<section class="agreement">',
        f"<h2>Agreement ({html.escape(report.level)} level)</h2>",
        f"<p>{report.n_units} units; coders: {html.escape(coders)}; "
        f"{report.n_boot} bootstrap resamples of units, seed {report.seed}.</p>",
        _table(
            [
                "scope",
                "code",
                "coefficient",
                "value",
                "95% CI (bootstrap)",
                "P(<.667)",
                "P(<.800)",
                "note",
            ],
            [
                [
                    r.scope,
                    r.code,
                    r.coefficient,
                    r.value,
                    f"{_fmt(r.boot_low)} – {_fmt(r.boot_high)}",
                    r.p_below_667,
                    r.p_below_800,
                    r.reason,
                ]
                for r in report.rows
            ],
        ),
    ]
    if report.comparisons:
        parts.append("<h3>Each coder against the majority</h3>")
        parts.append(
            _table(
                ["coder", "reference", "kappa", "alpha", "% agreement", "units"],
                [
                    [c.coder, c.reference, c.kappa, c.alpha, c.percent, c.n_units]
                    for c in report.comparisons
                ],
            )
        )
    if report.machine:
        rank, total = report.machine_rank
        parts.append(
            f"<p>{html.escape(report.machine)} ranks {rank} of {total} coders "
            "by kappa against the majority.</p>"
        )
    if report.learning_curve:
        from pipeline.agreement.learning import render_curve

        parts.append(render_curve(report.learning_curve, report.human_line))
    parts.append(f"<h3>Disagreements ({len(report.disagreements)})</h3>")
    parts.append(
        _table(
            ["unit", "location", "text", "codes"],
            [
                [
                    d.unit,
                    f"{d.doc_id}:{d.start}-{d.end}",
                    d.text,
                    "; ".join(f"{c}: {k}" for c, k in d.codes),
                ]
                for d in report.disagreements
            ],
        )
    )
    parts.append("</section>")
    return "\n".join(parts)
