"""Zero-shot coder: cosine similarity to code prototypes built from the codebook.

Thresholds (``thresholds=None``): per code ``mean + z * sd`` of its cosine scores
over a calibration set, which is the unlabeled passages given to ``fit`` or, when
none are given, all example passages of the codebook. A float sets one global
cosine threshold; a mapping sets thresholds per code id (others calibrated).

Optional transductive refinement (``refine_rounds > 0``, needs unlabeled passages
in ``fit``; uses no labels): each round assigns every passage to its best code,
keeps the more confident half per code (top1 - top2 margin at or above the
code's median) and moves the prototype towards their mean:
``p = normalize(refine_anchor * p0 + mean(kept))``.

Optional centering (``center=True``, needs unlabeled passages in ``fit``; uses no
labels): the corpus mean vector is subtracted from every passage vector (and
the result re-normalized) before scoring. This removes the direction all
passages of a corpus share (genre, register), so what distinguishes them
decides the code.

Scoring codes that have children (``parent_score``): ``"prototype"`` (default)
scores a code by its own prototype, which already mixes in its children (see
:mod:`pipeline.classify.prototypes`); ``"max-child"`` scores it by the best of
its own prototype and the prototypes of all its codable descendants: a passage
belongs to a category when it matches any one of its sub-categories.
Internally every code owns one or more rows of ``prototypes_`` (``owner_``) and
its score is the maximum over its rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pipeline.classify.accept import AcceptRule
from pipeline.classify.base import SuggestMixin, as_vectors, require_fitted
from pipeline.classify.prototypes import PrototypeRecipe, build_prototypes
from pipeline.classify.scoring import calibrate_thresholds, calibrate_thresholds_slices
from pipeline.embed.base import l2_normalize
from pipeline.embed.slices import VectorSlices
from pipeline.errors import ClassifyError


class ZeroShotCoder(SuggestMixin):
    def __init__(
        self,
        embedder,
        codebook,
        level: str = "initial",
        top_k: int = 5,
        thresholds: float | Mapping[str, float] | None = None,
        z: float = 1.5,
        recipe: PrototypeRecipe = PrototypeRecipe(),
        refine_rounds: int = 0,
        refine_anchor: float = 1.0,
        center: bool = False,
        parent_score: str = "prototype",
        accept: AcceptRule | None = None,
    ) -> None:
        self.embedder = embedder
        self.codebook = codebook
        self.level = level
        self.top_k = top_k
        self.thresholds = thresholds
        self.z = z
        self.recipe = recipe
        self.refine_rounds = refine_rounds
        self.refine_anchor = refine_anchor
        self.center = center
        self.parent_score = parent_score
        self.accept = accept

    def fit(self, X: Sequence | np.ndarray | None = None, y=None) -> ZeroShotCoder:
        """Build prototypes and thresholds; ``X`` = optional unlabeled passages (or vectors)."""
        code_ids = tuple(self.codebook.codable_ids(self.level))
        rows, owner = self._prototype_rows(code_ids)
        prototypes = build_prototypes(self.embedder, self.codebook, rows, self.recipe)
        self.owner_ = owner
        if isinstance(X, VectorSlices) and (X.single or self.refine_rounds > 0):
            X = X.materialize()  # one array: exactly what the coder saw before slicing
        if isinstance(X, VectorSlices):
            return self._fit_slices(X, prototypes, code_ids)
        unlabeled = None if X is None else as_vectors(self.embedder, X)
        use_mean = self.center and unlabeled is not None and len(unlabeled) > 1
        self.mean_ = unlabeled.mean(axis=0) if use_mean else None
        if unlabeled is not None and self.refine_rounds > 0:
            centered = l2_normalize(unlabeled - self.mean_) if use_mean else unlabeled
            prototypes = refine_prototypes(
                prototypes, centered, self.refine_rounds, self.refine_anchor
            )
        self.prototypes_ = prototypes
        self.code_ids_ = code_ids
        self.methods_ = ("zero-shot",) * len(code_ids)
        self.thresholds_ = self._thresholds(unlabeled)
        self.model_id_ = f"zero-shot:{self.embedder.id}:{self.codebook.hash[:12]}"
        return self

    def _fit_slices(self, slices: VectorSlices, prototypes: np.ndarray,
                    code_ids: tuple[str, ...]) -> ZeroShotCoder:
        """``fit`` on a corpus too large to hold: the mean in one pass over the slices,
        the per-code score statistics in a second (one slice's scores at a time); no
        refinement."""
        self.mean_ = slices.mean() if self.center and len(slices) > 1 else None
        self.prototypes_ = prototypes
        self.code_ids_ = code_ids
        self.methods_ = ("zero-shot",) * len(code_ids)
        if isinstance(self.thresholds, int | float):
            self.thresholds_ = self._thresholds(None)
        else:
            scores = (self.decision_scores(v) for v in slices)  # one slice at a time
            self.thresholds_ = self._given_thresholds(
                calibrate_thresholds_slices(scores, self.z))
        self.model_id_ = f"zero-shot:{self.embedder.id}:{self.codebook.hash[:12]}"
        return self

    def decision_scores(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of each vector to each code prototype, ``(n, n_codes)``."""
        require_fitted(self, "prototypes_")
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.mean_ is not None:
            vectors = l2_normalize(vectors - self.mean_)
        similarities = vectors @ self.prototypes_.T
        if len(self.owner_) == len(self.code_ids_):
            return similarities
        starts = np.flatnonzero(np.r_[True, np.diff(self.owner_) != 0])
        return np.maximum.reduceat(similarities, starts, axis=1)

    def _prototype_rows(self, code_ids: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
        """Codes whose prototypes are scored, and which of ``code_ids`` owns each (sorted)."""
        if self.parent_score == "prototype":
            return code_ids, np.arange(len(code_ids))
        if self.parent_score != "max-child":
            raise ClassifyError(
                f"unknown parent_score {self.parent_score!r}",
                hint="use 'prototype' or 'max-child'.",
            )
        rows: list[str] = []
        owner: list[int] = []
        for j, code_id in enumerate(code_ids):
            members = [code_id, *_codable_descendants(self.codebook, code_id)]
            rows.extend(members)
            owner.extend([j] * len(members))
        return tuple(rows), np.asarray(owner)

    def _thresholds(self, unlabeled: np.ndarray | None) -> np.ndarray:
        if isinstance(self.thresholds, int | float):
            return np.full(len(self.code_ids_), float(self.thresholds), dtype=np.float32)
        if unlabeled is None or len(unlabeled) < 2:
            examples = [ex.text for c in self.codebook.codes for ex in c.examples]
            unlabeled = self.embedder.encode(examples) if len(examples) > 1 else None
        if unlabeled is None:
            calibrated = np.zeros(len(self.code_ids_), dtype=np.float32)
        else:
            calibrated = calibrate_thresholds(self.decision_scores(unlabeled), self.z)
        return self._given_thresholds(calibrated)

    def _given_thresholds(self, calibrated: np.ndarray) -> np.ndarray:
        """The configured per-code thresholds, the calibrated ones for the other codes."""
        given = dict(self.thresholds or {})
        return np.array(
            [given.get(cid, calibrated[i]) for i, cid in enumerate(self.code_ids_)],
            dtype=np.float32,
        )


def _codable_descendants(codebook, code_id: str) -> list[str]:
    out: list[str] = []
    for child in codebook.children(code_id):
        if child.codable:
            out.append(child.id)
        out.extend(_codable_descendants(codebook, child.id))
    return out


def refine_prototypes(
    prototypes: np.ndarray, vectors: np.ndarray, rounds: int, anchor: float
) -> np.ndarray:
    """Transductive prototype re-estimation from confident assignments (no labels)."""
    base = np.asarray(prototypes, dtype=np.float32)
    current = base.copy()
    for _ in range(rounds):
        scores = vectors @ current.T
        best = scores.argmax(axis=1)
        top2 = -np.partition(-scores, 1, axis=1)[:, :2] if scores.shape[1] > 1 else scores
        confidence = top2[:, 0] - (top2[:, 1] if top2.shape[1] > 1 else 0)
        updated = base.copy()
        for c in range(base.shape[0]):
            rows = best == c
            if not rows.any():
                continue
            keep = rows & (confidence >= np.median(confidence[rows]))
            centroid = l2_normalize(vectors[keep].mean(axis=0, keepdims=True))[0]
            updated[c] = anchor * base[c] + centroid
        current = l2_normalize(updated)
    return current
