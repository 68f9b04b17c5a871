"""The learning curve: how much must be coded by hand before the machine codes like us?

For ``n`` = 1, 2, 4, ... up to all but one of the human-coded documents, the
machine learns (:class:`~pipeline.classify.learn.Learner`: few-shot prototypes,
thresholds and accept rule, chosen by cross-validation) from the codings of
``n`` documents and codes the *other* coded documents; its codes on their
human-coded spans are compared with the human majority (Cohen's kappa on code
sets, Krippendorff's alpha with MASI). Each point pools several seeded draws of
``n`` documents (every document held out once at ``n`` = all but one): the
figures are computed on all held-out spans of all draws together, and
``kappa_sd`` is the spread of the per-draw kappas. The humans' own figure (each coder against the majority of the others, on all spans)
is the line to reach.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from pipeline.agreement.curve import CurvePoint
from pipeline.agreement.machine import compare, majority
from pipeline.classify.human import units_holding
from pipeline.classify.learn import LabelledUnits, Learner, apply_learned

#: draws of ``n`` training documents per point (fewer when fewer combinations exist)
DRAWS = 10


@dataclass(frozen=True)
class SpanCodings:
    """Human codings of spans: ``cells[coder][span_id]`` and where each span lies."""

    spans: Mapping[str, tuple[str, int, int]]  # span id -> (doc, start, end)
    cells: Mapping[str, Mapping[str, frozenset[str]]]

    def table(self, span_ids: Sequence[str]):
        from pipeline.agreement.codings import CodingTable

        chosen = set(span_ids)
        cells = {(u, c): codes for c, by in self.cells.items() for u, codes in by.items()
                 if u in chosen}
        units = tuple(sorted({u for u, _ in cells}))
        return CodingTable(units=units, coders=tuple(sorted(self.cells)), cells=cells)


def curve_sizes(n_docs: int) -> list[int]:
    """1, 2, 4, ... below ``n_docs - 1``, then ``n_docs - 1`` (empty under 2 documents)."""
    sizes, n = [], 1
    while n < n_docs - 1:
        sizes.append(n)
        n *= 2
    return [*sizes, n_docs - 1] if n_docs >= 2 else []


def training_draws(docs: Sequence[str], n: int, seed: int) -> list[tuple[str, ...]]:
    """Seeded draws of ``n`` training documents (all-but-one: each document left out once)."""
    docs = sorted(docs)
    if n == len(docs) - 1:
        return [tuple(d for d in docs if d != out) for out in docs]
    if math.comb(len(docs), n) <= DRAWS:
        return list(combinations(docs, n))
    rng = np.random.default_rng(seed + n)
    return [tuple(sorted(rng.choice(docs, size=n, replace=False))) for _ in range(DRAWS)]


def machine_on_spans(
    spans: Mapping[str, tuple[str, int, int]], units_by_doc: Mapping[str, Sequence],
    codes: Mapping[str, frozenset[str]],
) -> dict[str, frozenset[str]]:
    """The machine's codes on each span: those of the unit(s) holding most of it."""
    out = {}
    for span_id, (doc, start, end) in spans.items():
        held = units_holding(units_by_doc.get(doc, ()), start, end)
        out[span_id] = frozenset().union(*(codes.get(u, frozenset()) for u in held))
    return out


def learning_curve(
    learner: Learner,
    units: Sequence,  # the coding units (Passages) of the coded documents
    prepared: np.ndarray,  # their vectors, prepared as the coder scores them
    labelled: LabelledUnits,  # the human-coded units among them
    codings: SpanCodings,
    seed: int = 0,
) -> list[CurvePoint]:
    """The curve (see the module docstring); empty with fewer than two coded documents."""
    by_doc: dict[str, list] = {}
    for unit in units:
        by_doc.setdefault(unit.doc_id, []).append(unit)
    row_of = {u.id: i for i, u in enumerate(units)}
    docs = sorted(set(labelled.docs) & {d for d, _, _ in codings.spans.values()})
    points = []
    for n in curve_sizes(len(docs)):
        draws = [_one_draw(learner, train, docs, by_doc, row_of, prepared, labelled, codings)
                 for train in training_draws(docs, n, seed)]
        draws = [d for d in draws if d]
        if draws:
            machine = {(i, s): codes for i, (m, _) in enumerate(draws) for s, codes in m.items()}
            ref = {(i, s): codes for i, (_, r) in enumerate(draws) for s, codes in r.items()}
            pooled = compare("machine", machine, "majority", ref)
            kappas = [compare("machine", m, "majority", r).kappa for m, r in draws]
            points.append(CurvePoint(n, pooled.kappa, pooled.alpha, float(np.nanstd(kappas)),
                                     len(draws), len(ref) / len(draws)))
    return points


def _one_draw(learner, train, docs, by_doc, row_of, prepared, labelled, codings):
    rows = np.flatnonzero(np.isin(labelled.docs, list(train)))
    learned = learner.fit(labelled.subset(rows))
    held_docs = [d for d in docs if d not in train]
    held_units = [u for d in held_docs for u in by_doc.get(d, [])]
    if not held_units:
        return {}
    vectors = prepared[[row_of[u.id] for u in held_units]]
    _, _, accepted = apply_learned(learned, vectors)
    ids = np.asarray(learner.code_ids, dtype=object)
    codes = {u.id: frozenset(ids[accepted[i]]) for i, u in enumerate(held_units)}
    spans = {s: where for s, where in codings.spans.items() if where[0] in held_docs}
    table = codings.table(list(spans))
    ref = majority(table, table.coders)
    machine = machine_on_spans(spans, by_doc, codes)
    return {s: machine[s] for s in ref}, ref


def human_line(codings: SpanCodings) -> tuple[float, float]:
    """Mean kappa and alpha of each coder against the majority of the others, on all spans."""
    from pipeline.agreement.machine import versus_majority

    table = codings.table(list(codings.spans))
    found = versus_majority(table)
    if not found:
        return float("nan"), float("nan")
    return (float(np.nanmean([c.kappa for c in found])),
            float(np.nanmean([c.alpha for c in found])))


def span_codings(rows: Sequence) -> SpanCodings:
    """Span codings from raw coding rows (``RawCoding``s with a document and offsets)."""
    spans: dict[str, tuple[str, int, int]] = {}
    cells: dict[str, dict[str, set[str]]] = {}
    for r in rows:
        if r.doc_id is None or str(r.decision or "").lower() == "reject":
            continue
        span = f"{r.doc_id}:{r.start}-{r.end}"
        spans[span] = (r.doc_id, int(r.start), int(r.end))
        codes = cells.setdefault(r.coder, {}).setdefault(span, set())
        if r.code:
            codes.add(r.code)
    frozen = {c: {s: frozenset(v) for s, v in by.items()} for c, by in cells.items()}
    return SpanCodings(spans, frozen)


def coder_curve(coder, units: Sequence, vectors: np.ndarray, labels, codings: SpanCodings,
                seed: int = 0) -> list[CurvePoint] | None:
    """The curve for a run's zero-shot-based coder (None for a supervised one): its
    codebook prototypes, corpus statistics and centering, learning as
    ``classify.accept: learned`` does."""
    from pipeline.classify.learn import CorpusStats, labelled_units, prepare

    base = getattr(coder, "zero_shot_", coder)
    if getattr(coder, "models_", None) is not None or not hasattr(base, "prototypes_"):
        return None
    center = base.mean_
    folds = getattr(coder, "folds", 10)
    learner = Learner(base.prototypes_, base.code_ids_, CorpusStats.of(vectors, center),
                      inner_folds=folds, seed=seed)
    labelled = labelled_units([u.id for u in units], [u.doc_id for u in units], vectors, labels,
                              center)
    return learning_curve(learner, units, prepare(vectors, center), labelled, codings, seed)


CURVE_COLUMNS = ("documents", "kappa", "alpha", "kappa_sd", "draws", "spans")


def write_curve(points: Sequence[CurvePoint], human: tuple[float, float], path) -> None:
    """``learning_curve.csv``: one row per point, then the humans' own figure."""
    import csv
    import io

    from pipeline.io import atomic_write_text

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["who", *CURVE_COLUMNS])
    for p in points:
        writer.writerow(["machine", p.documents, f"{p.kappa:.4f}", f"{p.alpha:.4f}",
                         f"{p.kappa_sd:.4f}", p.draws, f"{p.spans:.1f}"])
    writer.writerow(["humans", "", f"{human[0]:.4f}", f"{human[1]:.4f}", "", "", ""])
    atomic_write_text(path, buffer.getvalue())


def render_curve(points: Sequence[CurvePoint], human: tuple[float, float]) -> str:
    """An HTML fragment: the curve as a plotly chart with the humans' line, and its table."""
    import html

    import plotly.graph_objects as go

    x = [p.documents for p in points]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=[p.kappa for p in points], mode="lines+markers",
                             name="machine kappa", error_y={"array": [p.kappa_sd for p in points]}))
    fig.add_trace(go.Scatter(x=x, y=[p.alpha for p in points], mode="lines+markers",
                             name="machine alpha (MASI)"))
    if human[0] == human[0]:
        fig.add_hline(y=human[0], line_dash="dash", annotation_text="humans (kappa)")
    fig.update_layout(title="学习曲线 Learning curve: machine vs human majority on held-out "
                            "documents", xaxis_title="documents coded by hand",
                      yaxis_title="agreement", template="plotly_white", height=380)
    rows = "".join(
        f"<tr><td>{p.documents}</td><td>{p.kappa:.3f} ± {p.kappa_sd:.3f}</td>"
        f"<td>{p.alpha:.3f}</td><td>{p.draws}</td><td>{p.spans:.0f}</td></tr>" for p in points)
    note = (f"Humans against the majority of the other humans: kappa {human[0]:.3f}, "
            f"alpha {human[1]:.3f}.")
    return (
        '<h3 id="learning-curve">Learning curve</h3>'
        "<p>How many documents must be coded by hand before the machine codes like the "
        "coders? For each size, the machine learned (few-shot prototypes, thresholds and "
        "accept rule, chosen by cross-validation) from that many human-coded documents and "
        "coded the others; the figures compare its codes with the human majority on the "
        f"held-out documents' spans. {html.escape(note)}</p>"
        + fig.to_html(full_html=False, include_plotlyjs=False, div_id="learning-curve-plot",
                      config={"displaylogo": False})
        + "<table><thead><tr><th>documents coded</th><th>kappa (mean ± sd)</th>"
          "<th>alpha</th><th>draws</th><th>held-out spans</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def with_learning_curve(report, coder, units: Sequence, vectors: np.ndarray, labels,
                        paths: Sequence, seed: int = 0):
    """``report`` with the learning curve of ``coder`` on the span codings in ``paths``
    (unchanged when the codings hold no spans or the coder is supervised)."""
    from dataclasses import replace

    from pipeline.agreement.readers import read_raw

    codings = span_codings([row for path in paths for row in read_raw(path)])
    if not codings.spans or not units:
        return report
    points = coder_curve(coder, units, vectors, labels, codings, seed)
    if not points:
        return report
    return replace(report, learning_curve=tuple(points), human_line=human_line(codings))
