"""A zero-shot coder that learned from human codings, cross-fitted by document.

``classify.accept: learned``. The human-coded documents are dealt into folds;
the units of a document in fold *k* are coded by what was learned (prototypes,
thresholds, accept rule: :mod:`pipeline.classify.learn`) from the codings of
the *other* folds only, so no document is ever coded by a rule learned from its
own human codes and agreement measured on those documents is honest. Documents
nobody coded are coded by what was learned from all codings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.classify.base import SuggestMixin, as_vectors, require_fitted
from pipeline.classify.hierarchy import rollup
from pipeline.classify.learn import (
    CorpusStats,
    Learned,
    Learner,
    LearnGrid,
    apply_learned,
    document_folds,
    labelled_units,
    prepare,
)
from pipeline.classify.scoring import ScoreTable, passage_ids_of
from pipeline.classify.zeroshot import ZeroShotCoder
from pipeline.errors import ClassifyError


class LearnedCoder(SuggestMixin):
    def __init__(
        self,
        embedder,
        codebook,
        level: str = "initial",
        top_k: int = 5,
        zero_shot_params: Mapping[str, Any] | None = None,
        grid: LearnGrid = LearnGrid(),
        folds: int = 10,
        random_state: int = 0,
    ) -> None:
        self.embedder = embedder
        self.codebook = codebook
        self.level = level
        self.top_k = top_k
        self.zero_shot_params = zero_shot_params
        self.grid = grid
        self.folds = folds
        self.random_state = random_state

    def fit(self, passages: Sequence, labels, vectors: np.ndarray | None = None) -> LearnedCoder:
        """Learn from ``labels`` (:class:`~pipeline.classify.human.HumanLabels` on the ids of
        ``passages``, which must name their documents); ``vectors`` are the passages'."""
        vectors = as_vectors(self.embedder, passages, vectors)
        docs = [getattr(p, "doc_id", None) for p in passages]
        if any(d is None for d in docs):
            raise ClassifyError(
                "learning from human codings needs passages that name their document",
                unit="classify.accept: learned",
                hint="pass the run's Passage objects (cross-fitting is by document).",
            )
        params = dict(self.zero_shot_params or {})
        base = ZeroShotCoder(self.embedder, self.codebook, self.level, self.top_k, **params)
        self.zero_shot_ = base.fit(vectors)
        if base.parent_score != "prototype":
            raise ClassifyError("learned acceptance needs parent_score 'prototype'",
                                unit="classify.accept")
        units = labelled_units(passage_ids_of(passages), docs, vectors, labels, base.mean_)
        learner = Learner(base.prototypes_, base.code_ids_, CorpusStats.of(vectors, base.mean_),
                          self.grid, inner_folds=self.folds, seed=self.random_state)
        self.fold_of_doc_ = document_folds(list(units.docs), self.folds, self.random_state)
        fold_of = np.array([self.fold_of_doc_[d] for d in units.docs], dtype=int)
        self.learned_ = [
            learner.fit(units.subset(np.flatnonzero(fold_of != k)))
            for k in range(max(self.fold_of_doc_.values(), default=-1) + 1)
        ]
        self.full_ = learner.fit(units)
        self.learned_from_ = labels.summary()
        self.code_ids_ = base.code_ids_
        self.thresholds_ = self.full_.thresholds
        self.methods_ = self._methods(self.full_)
        self.model_id_ = f"learned:{self.embedder.id}:{labels.fingerprint()[:12]}"
        return self

    def _methods(self, learned: Learned) -> tuple[str, ...]:
        return tuple("few-shot" if c in learned.example_codes else "zero-shot"
                     for c in self.code_ids_)

    def state_for(self, doc_id: str | None) -> Learned:
        """What codes a unit of ``doc_id``: its fold's (a human-coded document) or the full one."""
        require_fitted(self)
        fold = self.fold_of_doc_.get(doc_id) if doc_id is not None else None
        return self.full_ if fold is None else self.learned_[fold]

    def score_table(
        self, passages: Sequence, vectors: np.ndarray | None = None, level: str | None = None
    ) -> ScoreTable:
        require_fitted(self)
        X = prepare(as_vectors(self.embedder, passages, vectors), self.zero_shot_.mean_)
        ids = tuple(str(i) for i in range(len(X))) if isinstance(passages, np.ndarray) else None
        docs = [None] * len(X) if ids else [getattr(p, "doc_id", None) for p in passages]
        n, m = len(X), len(self.code_ids_)
        scores = np.empty((n, m), dtype=np.float32)
        margins = np.empty((n, m), dtype=np.float32)
        accepted = np.zeros((n, m), dtype=bool)
        methods = np.empty((n, m), dtype=object)
        states = [self.state_for(d) for d in docs]
        for state in {id(s): s for s in states}.values():
            rows = np.array([i for i, s in enumerate(states) if s is state], dtype=int)
            scores[rows], margins[rows], accepted[rows] = apply_learned(state, X[rows])
            methods[rows] = np.asarray(self._methods(state), dtype=object)
        table = ScoreTable(ids or passage_ids_of(passages), self.code_ids_, scores, margins,
                           methods, self.level, self.model_id_, accepted)
        return table if level is None or level == self.level else rollup(table, self.codebook, level)
