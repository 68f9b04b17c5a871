"""``report.html``: one self-contained, offline page (plotly JS embedded)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from pipeline import __version__
from pipeline.io import atomic_write_text
from pipeline.report import figures
from pipeline.report.tables import ReportTables, cooccurrence, frequency_by, top_passages_by_code

MAX_DOCUMENT_COLUMNS = 60  # the by-document heatmap shows the most-coded documents


@dataclass(frozen=True)
class ExtraSection:
    """An HTML fragment another stage contributes (agreement, candidates, saturation)."""

    anchor: str
    title: str
    html: str


def _demote(fragment: str) -> str:
    """A contributed section's own ``h2`` headings sit under the report's bilingual one."""
    return fragment.replace("<h2", "<h3").replace("</h2>", "</h3>")


def code_labels(codebook) -> dict[str, str]:
    return {c.id: f"{c.id} {c.name.zh} {c.name.en}" for c in codebook.codes}


def _frequency_figures(tables: ReportTables, labels: dict[str, str]) -> list[str]:
    out = []
    totals = tables.codings.drop_duplicates(["passage_id", "main_id"])["main_id"].value_counts()
    if not totals.empty:
        fig = figures.bar(totals.sort_index(), "主范畴频次 Passages per main category", labels)
        out.append(figures.fragment(fig, "freq-main"))
    for attribute, title in (
        ("doc_id", "按文档 By document"),
        ("enterprise_type", "按企业类型 By enterprise type"),
        ("arena", "按行动场域 By action arena"),
        ("edition", "按蓝皮书版次 By edition"),
    ):
        table = frequency_by(tables, attribute)
        if attribute == "doc_id" and table.shape[1] > MAX_DOCUMENT_COLUMNS:
            top = table.sum().sort_values(ascending=False, kind="stable").index
            table = table[sorted(top[:MAX_DOCUMENT_COLUMNS])]
            title = f"{title} (前{MAX_DOCUMENT_COLUMNS}篇 top {MAX_DOCUMENT_COLUMNS} documents)"
        if not table.empty:
            fig = figures.heatmap(table, f"主范畴频次 {title}", labels)
            out.append(figures.fragment(fig, f"freq-{attribute}"))
    return out


def _top_blocks(tables: ReportTables, codebook, labels, n: int) -> list[dict]:
    blocks = []
    top = top_passages_by_code(tables, n)
    for code in codebook.leaves():
        rows = top.get(code.id)
        if rows is not None and not rows.empty:
            blocks.append({"label": labels[code.id], "rows": rows.to_dict("records")})
    return blocks


def arena_note(tables: ReportTables) -> str:
    """Why the main category × arena heatmap is empty, with the numbers."""
    docs = tables.documents
    with_arena = int(docs["arena"].notna().sum()) if "arena" in docs.columns else 0
    if with_arena == 0:
        return (f"No heatmap: none of the {len(docs)} documents has an action arena (the "
                "manifest's arena attribute), so codes cannot be counted by arena.")
    return (f"No heatmap: {with_arena} of {len(docs)} documents have an action arena, but none "
            "of their passages has an accepted code.")


def render_report(
    tables: ReportTables,
    codebook,
    *,
    title: str,
    run_info: dict,
    sections: list[ExtraSection] = (),
    top_n: int = 3,
) -> str:
    from plotly.offline import get_plotlyjs

    labels = code_labels(codebook)
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    arena = frequency_by(tables, "arena")
    co = cooccurrence(tables)
    doc_cols = [c for c in ("id", "title", "kind", "lang", "enterprise_type", "enterprise", "arena",
                            "edition", "year", "reserved", "group") if c in tables.documents.columns]
    coded = tables.codings["passage_id"].nunique()
    context = {
        "title": title,
        "plotly_js": Markup(get_plotlyjs()),
        "codebook_id": codebook.id,
        "codebook_hash": codebook.hash,
        "model": run_info.get("embedder_id") or "",
        "seed": run_info.get("seed", ""),
        "version": __version__,
        "overview": {"documents": len(tables.documents), "passages": len(tables.passages),
                     "coded": coded, "uncoded": len(tables.passages) - coded},
        "doc_columns": doc_cols,
        "doc_rows": tables.documents[doc_cols].astype(object)
        .where(tables.documents[doc_cols].notna(), "").astype(str).values.tolist(),
        "frequency_figures": [Markup(f) for f in _frequency_figures(tables, labels)],
        "arena_figure": Markup(figures.fragment(
            figures.heatmap(arena, "主范畴 × 行动场域 Main category × arena", labels), "arena-heatmap"))
        if not arena.empty else "",
        "arena_note": "" if not arena.empty else arena_note(tables),
        "cooccurrence_figure": Markup(figures.fragment(
            figures.heatmap(co, "编码共现 Co-occurrence of main categories", labels), "cooccurrence"))
        if not co.empty else "",
        "top_blocks": _top_blocks(tables, codebook, labels, top_n),
        "sections": [{"anchor": s.anchor, "title": s.title, "html": Markup(_demote(s.html))}
                     for s in sections],
        "config_json": json.dumps(run_info.get("config", {}), ensure_ascii=False, indent=2),
    }
    return env.get_template("report.html.j2").render(**context)


def write_report(path: str | Path, html: str) -> Path:
    atomic_write_text(path, html)
    return Path(path)
