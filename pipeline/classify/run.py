"""Classify a passages table: build or train a coder, write suggestions at both levels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.classify.accept import named_rule
from pipeline.classify.scoring import to_suggestions, uncertainty
from pipeline.classify.settings import ClassifySettings
from pipeline.classify.suggestion import Suggestion
from pipeline.classify.supervised import SupervisedCoder
from pipeline.classify.zeroshot import ZeroShotCoder
from pipeline.embed.slices import VectorSlices
from pipeline.errors import ClassifyError


def build_coder(
    settings: ClassifySettings,
    embedder,
    codebook,
    passages: Sequence,
    vectors: np.ndarray | VectorSlices,
    codings: dict[str, set[str]] | None = None,
    seed: int = 0,
    labels=None,
):
    """A fitted coder: zero-shot calibrated on the corpus, or supervised from ``codings``.

    ``vectors`` may be :class:`~pipeline.embed.slices.VectorSlices`: the zero-shot coder
    then calibrates slice by slice; the others take them as one array.

    With ``accept: learned`` the zero-shot coder learns from ``labels``
    (:class:`~pipeline.classify.human.HumanLabels` on ``passages``), cross-fitted by
    document (:class:`~pipeline.classify.crossfit.LearnedCoder`).
    """
    zero_shot = {"thresholds": settings.threshold, "z": settings.threshold_z}
    zero_shot["center"] = settings.center
    if isinstance(vectors, VectorSlices) and (settings.method != "zero-shot"
                                              or settings.accept == "learned"):
        vectors = vectors.materialize()  # these coders need every vector at once
    rule = named_rule(settings.accept, settings.max_codes, settings.margin_delta)
    if settings.method == "zero-shot" and settings.accept == "learned":
        return _learned_coder(settings, embedder, codebook, passages, vectors, labels, seed,
                              zero_shot)
    if settings.method == "zero-shot":
        return ZeroShotCoder(embedder, codebook, "initial", settings.top_k, **zero_shot,
                             accept=rule).fit(vectors)
    if settings.accept == "learned":
        raise ClassifyError(
            "classify.accept: learned is for the zero-shot method",
            unit="classify.accept",
            hint="the supervised coder learns its thresholds from the codings already; "
                 "use top1, margin or threshold with it.",
        )
    if not codings:
        raise ClassifyError(
            "the supervised method needs human codings",
            unit="classify.codings",
            hint="pass --codings CODINGS.csv (passage_id, code_id, decision).",
        )
    index = {p.id: i for i, p in enumerate(passages)}
    unknown = sorted(set(codings) - set(index))
    if unknown:
        raise ClassifyError(
            f"{len(unknown)} coded passage id(s) are not in the passages table, e.g. {unknown[0]!r}",
            unit="classify.codings",
            hint="code passages of this table (same segmentation settings).",
        )
    rows = [index[pid] for pid in codings]
    coder = SupervisedCoder(
        embedder,
        codebook,
        "initial",
        settings.top_k,
        min_examples_per_code=settings.min_examples_per_code,
        random_state=seed,
        zero_shot_params=zero_shot,
        text_weights=tuple(settings.text_weights),
        context_weights=tuple(settings.context_weights),
        prior_shift=settings.prior_shift,
        prior_shift_min_passages=settings.prior_shift_min_passages,
        accept=rule,
    )
    labelled = [passages[i] for i in rows]
    groups = [p.doc_id for p in labelled] if _has_documents(labelled) else None
    return coder.fit(labelled, [codings[p] for p in codings], vectors[rows], groups=groups)


def _learned_coder(settings, embedder, codebook, passages, vectors, labels, seed, zero_shot):
    from pipeline.classify.crossfit import LearnedCoder

    if labels is None or not len(labels):
        raise ClassifyError(
            "classify.accept: learned needs human codings of this corpus, and none were found",
            unit="classify.accept",
            hint="code some documents (agreement.codings, classify.codings or the review app), "
                 "or use accept: top1 until then.",
        )
    coder = LearnedCoder(embedder, codebook, "initial", settings.top_k, zero_shot,
                         folds=settings.learn_folds, random_state=seed)
    return coder.fit(passages, labels, vectors)


def _has_documents(passages: Sequence) -> bool:
    """Whether the passages name their documents (then CV folds keep a document together)."""
    return all(getattr(p, "doc_id", None) is not None for p in passages)


def suggest_levels(coder, passages: Sequence, vectors: np.ndarray) -> list[Suggestion]:
    """Initial-level suggestions followed by the consistent main-level roll-up."""
    out: list[Suggestion] = []
    for level in ("initial", "main"):
        table = coder.score_table(passages, vectors, level=level)
        out.extend(to_suggestions(table, coder.top_k))
    return out


def review_order(coder, passages: Sequence, vectors: np.ndarray) -> dict[str, float]:
    """Uncertainty per passage id (higher = review first)."""
    table = coder.score_table(passages, vectors)
    values = uncertainty(table.margins)
    return dict(zip(table.passage_ids, map(float, values), strict=True))


def write_suggestions(
    suggestions: list[Suggestion], order: dict[str, float], out_dir: str | Path
) -> dict[str, Path]:
    """``suggestions.parquet`` + ``suggestions.csv`` (with an ``uncertainty`` column)."""
    from pipeline.tables import records_frame, write_frame

    columns = ["passage_id", "code_id", "score", "rank", "level", "method", "model", "accepted"]
    frame = records_frame(suggestions, columns)
    frame["uncertainty"] = frame["passage_id"].map(order).astype(float)
    return write_frame(frame, Path(out_dir) / "suggestions")
