"""What every coder shares: input resolution, fitted checks, suggestions from scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.classify.accept import AcceptRule, accept_mask
from pipeline.classify.hierarchy import rollup
from pipeline.classify.scoring import ScoreTable, passage_ids_of, texts_of, to_suggestions
from pipeline.classify.suggestion import Suggestion
from pipeline.embed.context import embed_passages
from pipeline.errors import ClassifyError, NotFittedError


def require_fitted(estimator, attribute: str = "code_ids_") -> None:
    """``NotFittedError`` unless ``estimator`` has its learned ``attribute``."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(
            f"this {name} is not fitted yet",
            unit=name,
            hint=f"call {name}.fit(...) (or load a trained coder) before using it.",
        )


def as_vectors(embedder, data, vectors: np.ndarray | None = None) -> np.ndarray:
    """Vectors for ``data``: given ``vectors``, an array ``data``, or embedded texts."""
    if vectors is None and isinstance(data, np.ndarray):
        vectors = data
    if vectors is None:
        if any(isinstance(item, str) for item in data):
            return np.asarray(embedder.encode(texts_of(data)), dtype=np.float32)
        return embed_passages(embedder, data)  # with embed.context_weight, as the pipeline does
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != embedder.dim:
        raise ClassifyError(
            f"vectors have shape {vectors.shape}, expected (n, {embedder.dim})",
            unit=f"embedder {embedder.id}",
            hint="embed the passages with the coder's embedder.",
        )
    if not isinstance(data, np.ndarray) and len(data) != len(vectors):
        raise ClassifyError(
            f"{len(data)} passages but {len(vectors)} vectors",
            hint="pass one vector per passage, in passage order.",
        )
    return vectors


class SuggestMixin:
    """``score_table`` and ``suggest`` on top of ``decision_scores`` + ``thresholds_``.

    Needs ``embedder``, ``codebook``, ``level``, ``top_k`` and the learned
    ``code_ids_``, ``thresholds_``, ``methods_`` (per code) and ``model_id_``;
    ``accept`` (an :class:`AcceptRule`, default: every code over its threshold)
    decides which ranked codes are applied.
    """

    @property
    def accept_rule_(self) -> AcceptRule:
        """The accept rule in use (coders saved before rules existed: ``threshold``)."""
        return getattr(self, "accept", None) or AcceptRule()

    def score_table(
        self, passages: Sequence, vectors: np.ndarray | None = None, level: str | None = None
    ) -> ScoreTable:
        """Scores and margins for ``passages``, rolled up when ``level`` is above the coder's."""
        require_fitted(self)
        X = as_vectors(self.embedder, passages, vectors)
        ids = tuple(str(i) for i in range(len(X))) if isinstance(passages, np.ndarray) else None
        scores = self._passage_scores(passages, X)
        margins = scores - self.thresholds_[None, :]
        table = ScoreTable(
            passage_ids=ids or passage_ids_of(passages),
            code_ids=self.code_ids_,
            scores=scores,
            margins=margins,
            methods=np.asarray(self.methods_, dtype=object),
            level=self.level,
            model=self.model_id_,
            accepted=accept_mask(margins, self.accept_rule_),
        )
        if level is not None and level != self.level:
            table = rollup(table, self.codebook, level)
        return table

    def _passage_scores(self, passages: Sequence, vectors: np.ndarray) -> np.ndarray:
        """Scores of ``passages`` (``vectors`` are theirs); coders reading text override it."""
        return self.decision_scores(vectors)

    def suggest(
        self, passages: Sequence, vectors: np.ndarray | None = None, level: str | None = None
    ) -> list[Suggestion]:
        """Top-k ranked suggestions per passage (``NO_CODE`` first when nothing clears)."""
        return to_suggestions(self.score_table(passages, vectors, level), self.top_k)
