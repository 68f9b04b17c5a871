"""Supervised coder learned from human codings.

Per code (one-vs-rest):

* features = [passage embedding, zero-shot score of every code, the code's
  zero-shot lead over the best other code] where the zero-shot coder (options
  in ``zero_shot_params``) is fitted on the training passages without labels;
* ``StandardScaler`` + ``LogisticRegression(class_weight="balanced")``; the
  regularization ``C`` (from ``Cs``) and the weight of the embedding columns
  relative to the zero-shot columns (from ``embedding_weights``, see
  :class:`Hyper`) are chosen by stratified cross-validation on the training
  passages (mean over codes of the out-of-fold F1 at each code's best threshold);
* probabilities are calibrated by Platt scaling fitted on the out-of-fold
  decision values (what ``CalibratedClassifierCV(method="sigmoid",
  ensemble=False)`` does), and the per-code threshold maximizes the out-of-fold
  F1 of those calibrated probabilities;
* a code with fewer than ``min_examples_per_code`` positive passages (or fewer
  than 2 negatives) falls back to the zero-shot cosine score and threshold and
  its suggestions say ``method="zero-shot-fallback"``.

Labels: one set of code ids per passage (its accepted codes); a passage with an
empty set (e.g. only rejected suggestions) is a negative for every code. Codes
of a lower level are mapped to their ancestor at the coder's level.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pipeline.classify.base import SuggestMixin, as_vectors, require_fitted
from pipeline.classify.zeroshot import ZeroShotCoder
from pipeline.embed.base import l2_normalize
from pipeline.errors import ClassifyError
from pipeline.io import sha256_bytes

FALLBACK = "zero-shot-fallback"


@dataclass(frozen=True)
class CodeModel:
    """Learned state of one code: scaler+LR pipeline and its Platt calibrator."""

    classifier: object
    calibrator: object


class SupervisedCoder(SuggestMixin):
    def __init__(
        self,
        embedder,
        codebook,
        level: str = "initial",
        top_k: int = 5,
        min_examples_per_code: int = 5,
        Cs: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
        embedding_weights: Sequence[float] = (0.1, 1.0),
        cv: int = 5,
        random_state: int = 0,
        zero_shot_params: Mapping[str, Any] | None = None,
    ) -> None:
        self.embedder = embedder
        self.codebook = codebook
        self.level = level
        self.top_k = top_k
        self.min_examples_per_code = min_examples_per_code
        self.Cs = Cs
        self.embedding_weights = embedding_weights
        self.cv = cv
        self.random_state = random_state
        self.zero_shot_params = zero_shot_params

    def fit(self, X, labels: Sequence[Collection[str]]) -> SupervisedCoder:
        vectors = as_vectors(self.embedder, X)
        params = dict(self.zero_shot_params or {})
        zero_shot = ZeroShotCoder(self.embedder, self.codebook, self.level, self.top_k, **params)
        self.zero_shot_ = zero_shot.fit(vectors)
        code_ids = self.zero_shot_.code_ids_
        Y = label_matrix(labels, code_ids, self.codebook, self.level, len(vectors))
        scores = self.zero_shot_.decision_scores(vectors)
        features = self._features(vectors, scores)
        trainable = [
            j
            for j in range(len(code_ids))
            if Y[:, j].sum() >= max(self.min_examples_per_code, 2) and (~Y[:, j]).sum() >= 2
        ]
        per_code = {j: code_features(features, scores, j) for j in trainable}
        self.hyper_, oof = self._choose_hyper(per_code, Y)
        self.models_, thresholds, self.cv_metrics_ = {}, self.zero_shot_.thresholds_.copy(), {}
        for j in trainable:
            model, probs = _fit_code(per_code[j], Y[:, j], oof[j], self.hyper_, self.random_state)
            thresholds[j], self.cv_metrics_[code_ids[j]] = best_threshold(probs, Y[:, j])
            self.models_[code_ids[j]] = model
        self.thresholds_ = thresholds.astype(np.float32)
        self.methods_ = tuple("supervised" if c in self.models_ else FALLBACK for c in code_ids)
        self.label_counts_ = {c: int(Y[:, j].sum()) for j, c in enumerate(code_ids)}
        self.n_passages_ = len(vectors)
        self.training_hash_ = training_hash(vectors, Y)
        self.code_ids_ = code_ids
        self.model_id_ = f"supervised:{self.embedder.id}:{self.training_hash_[:12]}"
        return self

    @property
    def fallback_codes_(self) -> tuple[str, ...]:
        require_fitted(self)
        return tuple(c for c, m in zip(self.code_ids_, self.methods_, strict=True) if m == FALLBACK)

    def decision_scores(self, vectors: np.ndarray) -> np.ndarray:
        """Calibrated probability per supervised code, zero-shot cosine for fallback codes."""
        require_fitted(self, "models_")
        scores = self.zero_shot_.decision_scores(vectors)
        features = self._features(vectors, scores)
        for j, code in enumerate(self.zero_shot_.code_ids_):
            model = self.models_.get(code)
            if model is not None:
                raw = model.classifier.decision_function(code_features(features, scores, j))
                scores[:, j] = model.calibrator.predict_proba(raw[:, None])[:, 1]
        return scores

    def _features(self, vectors: np.ndarray, similarities: np.ndarray | None = None) -> np.ndarray:
        if similarities is None:
            similarities = self.zero_shot_.decision_scores(vectors)
        return np.hstack([vectors, similarities]).astype(np.float32)

    @property
    def C_(self) -> float:
        require_fitted(self, "hyper_")
        return self.hyper_.C

    def _choose_hyper(self, per_code, Y) -> tuple[Hyper, dict[int, np.ndarray]]:
        """(C, embedding weight) maximizing the mean out-of-fold F1 over trainable codes."""
        dim = self.embedder.dim
        grid = [Hyper(float(c), float(w), dim) for w in self.embedding_weights for c in self.Cs]
        best: tuple[float, Hyper, dict[int, np.ndarray]] = (-1.0, grid[0], {})
        for hyper in grid:
            oof = {
                j: _oof_decision(feats, Y[:, j], hyper, self.cv, self.random_state)
                for j, feats in per_code.items()
            }
            f1s = [best_threshold(_platt(d, Y[:, j])[1], Y[:, j])[1]["f1"] for j, d in oof.items()]
            score = float(np.mean(f1s)) if f1s else 0.0
            if score > best[0]:
                best = (score, hyper, oof)
        return best[1], best[2]


def code_features(features: np.ndarray, scores: np.ndarray, j: int) -> np.ndarray:
    """Shared features plus code ``j``'s zero-shot lead over the best other code."""
    others = np.delete(scores, j, axis=1)
    lead = scores[:, j] - (others.max(axis=1) if others.shape[1] else 0.0)
    return np.hstack([features, lead[:, None]]).astype(np.float32)


@dataclass(frozen=True)
class Hyper:
    """Regularization ``C`` and the weight of the (standardized) embedding block.

    A weight below 1 shrinks the ``embedding_dim`` embedding columns after
    standardization, which under L2 regularization means the model leans on the
    zero-shot score columns unless the data clearly say otherwise.
    """

    C: float
    embedding_weight: float
    embedding_dim: int


class CentroidSimilarity(TransformerMixin, BaseEstimator):
    """Transformer appending cosine similarity to the positive and negative centroids.

    Centroids are learned in ``fit`` from the embedding columns (the first
    ``dim``) of the training rows only, so inside cross-validation a passage
    never sees a centroid that contains itself (no leakage).
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def fit(self, X, y):
        X = np.asarray(X)[:, : self.dim]
        y = np.asarray(y, dtype=bool)
        self.centroids_ = l2_normalize(np.stack([X[y].mean(axis=0), X[~y].mean(axis=0)]))
        return self

    def transform(self, X):
        X = np.asarray(X)
        return np.hstack([X, l2_normalize(X[:, : self.dim]) @ self.centroids_.T])


def _weight_columns(X, weight: float, dim: int):
    X = np.array(X, dtype=np.float64, copy=True)
    X[:, :dim] *= weight
    return X


def _classifier(hyper: Hyper, random_state: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    weight = FunctionTransformer(
        _weight_columns, kw_args={"weight": hyper.embedding_weight, "dim": hyper.embedding_dim}
    )
    lr = LogisticRegression(
        C=hyper.C, class_weight="balanced", max_iter=2000, random_state=random_state
    )
    centroids = CentroidSimilarity(hyper.embedding_dim)
    return make_pipeline(centroids, StandardScaler(), weight, lr)


def _oof_decision(features, y, hyper: Hyper, cv: int, random_state: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    n_splits = int(max(2, min(cv, y.sum(), (~y).sum())))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    clf = _classifier(hyper, random_state)
    return cross_val_predict(clf, features, y, cv=folds, method="decision_function")


def _platt(decision: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    calibrator = LogisticRegression(C=1e4, max_iter=1000).fit(decision[:, None], y)
    return calibrator, calibrator.predict_proba(decision[:, None])[:, 1]


def _fit_code(features, y, oof_decision, hyper, random_state) -> tuple[CodeModel, np.ndarray]:
    calibrator, probs = _platt(oof_decision, y)
    classifier = _classifier(hyper, random_state).fit(features, y)
    return CodeModel(classifier, calibrator), probs


def best_threshold(probs: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, float]]:
    """Threshold maximizing F1 of ``probs >= t`` (midpoints between scores) and its metrics."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, cuts = precision_recall_curve(y, probs)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1[:-1])) if len(cuts) else 0
    threshold = float(cuts[best]) if len(cuts) else 0.5
    metrics = {
        "precision": float(precision[best]),
        "recall": float(recall[best]),
        "f1": float(f1[best]),
        "positives": int(y.sum()),
        "negatives": int((~y).sum()),
    }
    return threshold, metrics


def label_matrix(labels, code_ids, codebook, level: str, n: int) -> np.ndarray:
    """Boolean ``(n, n_codes)`` matrix; codes below ``level`` map to their ancestor."""
    if len(labels) != n:
        raise ClassifyError(
            f"{len(labels)} label sets for {n} passages",
            hint="give one set of code ids per training passage.",
        )
    index = {c: j for j, c in enumerate(code_ids)}
    Y = np.zeros((n, len(code_ids)), dtype=bool)
    for row, codes in enumerate(labels):
        for code in codes:
            ancestor = codebook.ancestor_at(code, level) if code in codebook else None
            if ancestor is None or ancestor.id not in index:
                raise ClassifyError(
                    f"code {code!r} is not a {level}-level code of codebook {codebook.id}",
                    unit=f"training passage {row}",
                    hint="fix the codings or pass the codebook they were made with.",
                )
            Y[row, index[ancestor.id]] = True
    return Y


def training_hash(vectors: np.ndarray, Y: np.ndarray) -> str:
    data = np.ascontiguousarray(vectors, dtype=np.float32).tobytes() + np.packbits(Y).tobytes()
    return sha256_bytes(data + str(Y.shape).encode())
