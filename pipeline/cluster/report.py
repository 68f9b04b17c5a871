"""HTML fragment of the candidate categories for the run report (all text escaped)."""

from __future__ import annotations

from html import escape

from pipeline.cluster.candidates import CandidateCategory, ClusterResult


def _optional(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _candidate_rows(candidate: CandidateCategory) -> str:
    nearest = ", ".join(
        f"{escape(n.code_id)} ({n.similarity:.2f})" for n in candidate.nearest_codes
    )
    if candidate.nearest_main:
        top = candidate.nearest_main[0]
        nearest = f"main {escape(top.code_id)} ({top.similarity:.2f}); {nearest}"
    reps = "".join(
        f'<li><span class="loc">{escape(r.doc_id)} {r.start}–{r.end}</span> {escape(r.text)}</li>'
        for r in candidate.representatives
    )
    return (
        f'<tr id="candidate-{escape(candidate.id)}"><td>{escape(candidate.id)}</td>'
        f"<td>{escape(candidate.label.zh)}<br>{escape(candidate.label.en)}</td>"
        f"<td>{len(candidate.passage_ids)}</td><td>{candidate.novelty:.2f}</td>"
        f"<td>{_optional(candidate.density_novelty)}</td>"
        f"<td>{escape('、'.join(candidate.keywords))}</td><td>{nearest}</td>"
        f"<td><ul>{reps}</ul></td></tr>"
    )


def render_candidates_section(result: ClusterResult) -> str:
    """``<section id="candidates">`` with one table row per candidate category."""
    head = (
        "<tr><th>id</th><th>label</th><th>passages</th><th>novelty</th>"
        '<th title="0.5 = as many coded passages nearby as expected, 1 = none">'
        "uncovered</th><th>keywords</th>"
        "<th>nearest codes</th><th>representative passages</th></tr>"
    )
    rows = "".join(_candidate_rows(c) for c in result.candidates)
    summary = (
        f"<p>{len(result.candidates)} candidate categories; {len(result.outliers)} passages "
        f"left as outliers ({result.outlier_share:.1%} of clustered passages).</p>"
    )
    if result.fit is not None:
        fit = result.fit
        summary += (
            f"<p>The clusters were fitted once (fit {escape(fit.fit_id)}, "
            f"{fit.fitted_passages} passages) and kept: since then {fit.assigned} passages "
            f"were assigned to them by their nearest fitted passages and {fit.left} left. "
            "<code>groundcode run --refit</code> clusters afresh.</p>"
        )
        if fit.sample:
            summary += (
                f"<p>The fit clustered the uncoded passages of a seeded sample of {fit.sample} "
                f"of the {fit.sampled_from} passages (<code>cluster.max_fit_passages</code>); "
                "the other uncoded passages were assigned to the clusters by their nearest "
                "fitted passages, like passages added later.</p>"
            )
    table = f'<table class="candidates"><thead>{head}</thead><tbody>{rows}</tbody></table>'
    return (
        '<section id="candidates"><h2>Candidate categories</h2>'
        f"{summary}{table if result.candidates else ''}</section>"
    )
