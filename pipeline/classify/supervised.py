"""Supervised coder learned from human codings.

Per code (one-vs-rest):

* features = [passage embedding, zero-shot score of every code, the code's
  zero-shot lead over the best other code] where the zero-shot coder (options
  in ``zero_shot_params``) is fitted on the training passages without labels;
* optionally the passage *text* as character n-gram TF-IDF columns (see
  :mod:`pipeline.classify.textfeatures`; any language, no tokenizer), when
  ``text_weights`` offers a weight above 0, and a second TF-IDF block of the
  passage *with its neighbouring sentences* when ``context_weights`` does; the
  passages' texts (for the context block: ``Passage`` objects, whose
  ``context_before``/``context_after`` hold the neighbours) are then needed to
  fit and to score;
* ``StandardScaler`` + ``LogisticRegression(class_weight="balanced")``; the
  regularization ``C`` (from ``Cs``), the weight of the embedding columns
  relative to the zero-shot columns (from ``embedding_weights``) and the weights
  of the text and context columns (from ``text_weights`` and
  ``context_weights``, see :class:`Hyper`) are chosen by
  stratified cross-validation on the training passages (mean over codes of the
  out-of-fold F1 at each code's best threshold); with ``groups`` (e.g. the
  document of each passage) the folds keep a group together (see :func:`cv_folds`);
* probabilities are calibrated by Platt scaling fitted on the out-of-fold
  decision values (what ``CalibratedClassifierCV(method="sigmoid",
  ensemble=False)`` does), and the per-code threshold maximizes the out-of-fold
  F1 of those calibrated probabilities;
* with ``prior_shift="per-document"`` each code's probabilities are rescaled,
  document by document, to the code's share in that document as estimated by EM
  from the probabilities themselves (:func:`pipeline.classify.prior.shift_per_group`,
  Saerens et al. 2002): a manifesto or interview that rarely touches a code is
  not coded at the training corpus' rate. The thresholds are then chosen on the
  rescaled out-of-fold probabilities (each training document rescaled on its
  own), the same way the scores are used later; scoring needs the passages'
  ``doc_id`` and whole documents (a document's scores depend on all its passages);
  a document of fewer than ``prior_shift_min_passages`` passages keeps the
  training share;
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
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from pipeline.classify.accept import AcceptRule
from pipeline.classify.base import SuggestMixin, as_vectors, require_fitted
from pipeline.classify.prior import MIN_PASSAGES, shift_per_group
from pipeline.classify.textfeatures import TextBlocks, check_weights
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
        text_weights: Sequence[float] = (0.0,),
        context_weights: Sequence[float] = (0.0,),
        prior_shift: str = "none",
        prior_shift_min_passages: int = MIN_PASSAGES,
        accept: AcceptRule | None = None,
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
        self.text_weights = text_weights
        self.context_weights = context_weights
        self.prior_shift = prior_shift
        self.prior_shift_min_passages = prior_shift_min_passages
        self.accept = accept

    def fit(
        self,
        X,
        labels: Sequence[Collection[str]],
        vectors: np.ndarray | None = None,
        groups: Sequence | None = None,
    ) -> SupervisedCoder:
        """Learn from passages (or texts, or an array of vectors) and their code sets.

        ``vectors`` are the passages' embeddings when already computed. Text
        features (a ``text_weights`` entry above 0) need the passages or texts,
        context features (a ``context_weights`` entry above 0) the passages.
        ``groups`` (e.g. the document of each passage) keep a group's passages
        in one cross-validation fold, so hyper-parameters and thresholds are
        chosen for passages of *unseen* documents; a code whose positives sit
        in too few groups for that is cross-validated by passage.

        With ``prior_shift="per-document"``, ``groups`` are required: they are
        the documents whose priors are re-estimated.

        Besides the models, ``oof_scores_`` keeps the calibrated out-of-fold
        probability of every training passage for each supervised code (NaN for
        fallback codes; rescaled per group with the prior shift): what the
        chosen setting scored on passages (or groups) its fold had not seen, for
        auditing or choosing how to use the coder.
        """
        vectors = as_vectors(self.embedder, X, vectors)
        groups = _check_groups(groups, len(vectors))
        self._check_prior_shift(groups)
        blocks = self._fit_text(X)
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
        n_dense = features.shape[1] + 1
        raw = None if blocks is None else blocks.transform(X, "SupervisedCoder.fit")
        self.hyper_, oof = self._choose_hyper(per_code, Y, raw, groups)
        hyper = self.hyper_
        self.text_ = None if blocks is None else blocks.keep(hyper.text_weight, hyper.context_weight)
        if self.text_ is not None:
            text = raw.weighted(hyper.text_scale, hyper.context_scale)
            per_code = {j: _joined(f, text) for j, f in per_code.items()}
        self.models_, thresholds, self.cv_metrics_ = {}, self.zero_shot_.thresholds_.copy(), {}
        self.oof_scores_ = np.full(Y.shape, np.nan, dtype=np.float32)
        self.train_priors_ = {code_ids[j]: float(Y[:, j].mean()) for j in trainable}
        for j in trainable:
            model, probs = _fit_code(
                per_code[j], Y[:, j], oof[j], self.hyper_, self.random_state, n_dense
            )
            if self.shifts_prior_:
                probs = self._shift(probs, groups, code_ids[j])
            thresholds[j], self.cv_metrics_[code_ids[j]] = best_threshold(probs, Y[:, j])
            self.oof_scores_[:, j] = probs
            self.models_[code_ids[j]] = model
        self.thresholds_ = thresholds.astype(np.float32)
        self.methods_ = tuple("supervised" if c in self.models_ else FALLBACK for c in code_ids)
        self.label_counts_ = {c: int(Y[:, j].sum()) for j, c in enumerate(code_ids)}
        self.n_passages_ = len(vectors)
        self.cv_groups_ = 0 if groups is None else len(np.unique(groups))
        self.training_hash_ = training_hash(vectors, Y)
        self.code_ids_ = code_ids
        self.model_id_ = f"supervised:{self.embedder.id}:{self.training_hash_[:12]}"
        return self

    @property
    def fallback_codes_(self) -> tuple[str, ...]:
        require_fitted(self)
        return tuple(c for c, m in zip(self.code_ids_, self.methods_, strict=True) if m == FALLBACK)

    def decision_scores(
        self, vectors: np.ndarray, texts: Sequence | None = None, groups: Sequence | None = None
    ) -> np.ndarray:
        """Calibrated probability per supervised code, zero-shot cosine for fallback codes.

        ``texts`` (the passages or their texts, in the order of ``vectors``) are
        needed when the coder learned from text features (``uses_text_``), the
        passages themselves when it learned from their context (``uses_context_``).
        ``groups`` (the document of each row, whole documents) are needed when it
        shifts priors per document (``shifts_prior_``).
        """
        require_fitted(self, "models_")
        vectors = np.asarray(vectors, dtype=np.float32)
        groups = self._scoring_groups(groups, len(vectors))
        text = self._transform_text(texts, len(vectors))
        scores = self.zero_shot_.decision_scores(vectors)
        features = self._features(vectors, scores)
        for j, code in enumerate(self.zero_shot_.code_ids_):
            model = self.models_.get(code)
            if model is not None:
                X = code_features(features, scores, j)
                if text is not None:
                    X = _joined(X, text)
                raw = model.classifier.decision_function(X)
                scores[:, j] = model.calibrator.predict_proba(raw[:, None])[:, 1]
                if groups is not None:
                    scores[:, j] = self._shift(scores[:, j], groups, code)
        return scores

    def _passage_scores(self, passages, vectors: np.ndarray) -> np.ndarray:
        texts = None if isinstance(passages, np.ndarray) else passages
        groups = None
        if self.shifts_prior_:
            groups = [getattr(p, "doc_id", None) for p in (texts or [])]
            if texts is None or any(g is None for g in groups):
                raise ClassifyError(
                    "this coder shifts priors per document, but the passages name no document",
                    unit=self.model_id_,
                    hint="pass Passage objects (with doc_id) along with their vectors.",
                )
        return self.decision_scores(vectors, texts if self.uses_text_ else None, groups)

    @property
    def shifts_prior_(self) -> bool:
        """Whether scores are rescaled to each document's estimated share of every code."""
        return getattr(self, "prior_shift", "none") == "per-document"

    def _shift(self, probs: np.ndarray, groups: np.ndarray, code: str) -> np.ndarray:
        """``probs`` of ``code`` rescaled per document (short documents left as they are)."""
        size = getattr(self, "prior_shift_min_passages", MIN_PASSAGES)
        return shift_per_group(probs, groups, self.train_priors_[code], size)[0]

    def _check_prior_shift(self, groups) -> None:
        if int(self.prior_shift_min_passages) < 1:
            raise ClassifyError(
                f"prior_shift_min_passages must be >= 1, got {self.prior_shift_min_passages}",
                unit="SupervisedCoder.prior_shift_min_passages",
            )
        if self.prior_shift not in ("none", "per-document"):
            raise ClassifyError(
                f"prior_shift must be 'none' or 'per-document', got {self.prior_shift!r}",
                unit="SupervisedCoder.prior_shift",
            )
        if self.shifts_prior_ and groups is None:
            raise ClassifyError(
                "prior_shift='per-document' needs the document of each training passage",
                unit="SupervisedCoder.prior_shift",
                hint="call fit(..., groups=[p.doc_id for p in passages]).",
            )

    def _scoring_groups(self, groups, n: int) -> np.ndarray | None:
        if not self.shifts_prior_:
            return None
        if groups is None:
            raise ClassifyError(
                "this coder shifts priors per document: give the document of each row",
                unit=self.model_id_,
                hint="call decision_scores(vectors, texts, groups=doc_ids) with whole documents.",
            )
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise ClassifyError(
                f"groups of shape {groups.shape} for {n} vectors",
                unit=self.model_id_,
                hint="give one document id per row.",
            )
        return groups

    @property
    def uses_text_(self) -> bool:
        """Whether the learned models read the passage text (TF-IDF columns)."""
        require_fitted(self, "models_")
        return getattr(self, "text_", None) is not None

    @property
    def uses_context_(self) -> bool:
        """Whether the learned models read the passage's neighbouring sentences too."""
        return self.uses_text_ and self._blocks().context is not None

    def _fit_text(self, X) -> TextBlocks | None:
        own = max(check_weights(self.text_weights, "text_weights")) > 0
        context = max(check_weights(self.context_weights, "context_weights")) > 0
        if not (own or context):
            return None
        if isinstance(X, np.ndarray):
            name = "text_weights" if own else "context_weights"
            raise ClassifyError(
                "text features need the passage texts, but only vectors were given",
                unit=f"SupervisedCoder.{name}",
                hint=f"call fit(passages_or_texts, labels, vectors=...) or set {name}=(0.0,).",
            )
        return TextBlocks.fit(X, own, context, "SupervisedCoder.fit")

    def _transform_text(self, texts: Sequence | None, n: int):
        if getattr(self, "text_", None) is None:
            return None
        if texts is None or isinstance(texts, np.ndarray):
            raise ClassifyError(
                "this coder learned from the passage texts, but only vectors were given",
                unit=self.model_id_,
                hint="pass the passages (or their texts) along with their vectors.",
            )
        if len(texts) != n:
            raise ClassifyError(
                f"{len(texts)} texts but {n} vectors",
                unit=self.model_id_,
                hint="pass one text per vector, in the same order.",
            )
        raw = self._blocks().transform(texts, self.model_id_)
        return raw.weighted(self.hyper_.text_scale, self.hyper_.context_scale)

    def _blocks(self) -> TextBlocks:
        """The fitted text blocks; a coder saved before context blocks existed kept only
        the passage-text vectorizer."""
        text = self.text_
        return text if isinstance(text, TextBlocks) else TextBlocks(own=text, context=None)

    def _features(self, vectors: np.ndarray, similarities: np.ndarray | None = None) -> np.ndarray:
        if similarities is None:
            similarities = self.zero_shot_.decision_scores(vectors)
        return np.hstack([vectors, similarities]).astype(np.float32)

    @property
    def C_(self) -> float:
        require_fitted(self, "hyper_")
        return self.hyper_.C

    def _choose_hyper(self, per_code, Y, raw, groups) -> tuple[Hyper, dict[int, np.ndarray]]:
        """(C, embedding, text and context weights) maximizing the mean out-of-fold F1.

        The mean is over codes. The TF-IDF vocabularies and idf are learned once
        from all training texts without labels (as the zero-shot coder centres
        on all training vectors); the classifiers are fitted per fold.
        """
        dim = self.embedder.dim
        text_weights = [0.0] if raw is None or raw.own is None else self.text_weights
        context_weights = [0.0] if raw is None or raw.context is None else self.context_weights
        grid = [
            Hyper(float(c), float(w), dim, float(t), float(x))
            for t in text_weights
            for x in context_weights
            for w in self.embedding_weights
            for c in self.Cs
        ]
        best: tuple[float, Hyper, dict[int, np.ndarray]] = (-1.0, grid[0], {})
        weighted: dict[tuple[float, float], object] = {}  # per (text, context) weight pair
        for hyper in grid:
            text = None
            if raw is not None:
                pair = (hyper.text_scale, hyper.context_scale)
                if pair not in weighted:
                    weighted[pair] = raw.weighted(*pair)
                text = weighted[pair]
            oof = {
                j: _oof_decision(
                    feats if text is None else _joined(feats, text),
                    Y[:, j],
                    hyper,
                    self.cv,
                    self.random_state,
                    n_dense=feats.shape[1],
                    groups=groups,
                )
                for j, feats in per_code.items()
            }
            f1s = [best_threshold(_platt(d, Y[:, j])[1], Y[:, j])[1]["f1"] for j, d in oof.items()]
            score = float(np.mean(f1s)) if f1s else 0.0
            if score > best[0]:
                best = (score, hyper, oof)
        return best[1], best[2]


def _joined(features: np.ndarray, text) -> sparse.csr_matrix:
    """Dense per-code features followed by the (weighted) TF-IDF columns."""
    return sparse.hstack([sparse.csr_matrix(features), text], format="csr")


def code_features(features: np.ndarray, scores: np.ndarray, j: int) -> np.ndarray:
    """Shared features plus code ``j``'s zero-shot lead over the best other code."""
    others = np.delete(scores, j, axis=1)
    lead = scores[:, j] - (others.max(axis=1) if others.shape[1] else 0.0)
    return np.hstack([features, lead[:, None]]).astype(np.float32)


@dataclass(frozen=True)
class Hyper:
    """Regularization ``C`` and the weights of the embedding and text blocks.

    A weight below 1 shrinks the ``embedding_dim`` embedding columns after
    standardization, which under L2 regularization means the model leans on the
    zero-shot score columns unless the data clearly say otherwise. The TF-IDF
    rows have unit length; they are multiplied by ``text_scale`` =
    ``text_weight * sqrt(embedding_dim)``, so at ``text_weight`` 1 the text
    block is as long as the standardized embedding block at weight 1; the
    context block likewise by ``context_scale``.
    """

    C: float
    embedding_weight: float
    embedding_dim: int
    text_weight: float = 0.0
    context_weight: float = 0.0

    @property
    def text_scale(self) -> float:
        return self.text_weight * float(np.sqrt(self.embedding_dim))

    @property
    def uses_text(self) -> bool:
        """Whether either TF-IDF block (own text, context window) has a weight."""
        return self.text_weight > 0 or self.context_weight > 0

    @property
    def context_scale(self) -> float:
        """As ``text_scale``, for the block of the passage with its neighbours."""
        return self.context_weight * float(np.sqrt(self.embedding_dim))


class DenseThenText(TransformerMixin, BaseEstimator):
    """Applies ``dense`` (a fitted-per-fold pipeline) to the first ``n_dense`` columns
    of a sparse matrix and passes the remaining (already weighted TF-IDF) columns on."""

    def __init__(self, dense, n_dense: int) -> None:
        self.dense = dense
        self.n_dense = n_dense

    def fit(self, X, y):
        from sklearn.base import clone

        X = sparse.csr_matrix(X)
        self.dense_ = clone(self.dense).fit(X[:, : self.n_dense].toarray(), y)
        return self

    def transform(self, X):
        X = sparse.csr_matrix(X)
        dense = self.dense_.transform(X[:, : self.n_dense].toarray())
        return sparse.hstack([sparse.csr_matrix(dense), X[:, self.n_dense :]], format="csr")


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


def _classifier(hyper: Hyper, random_state: int, n_dense: int | None = None):
    """Scaler + LR on the dense features; with text, the dense part is scaled alone."""
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
    if not hyper.uses_text:
        return make_pipeline(centroids, StandardScaler(), weight, lr)
    dense = make_pipeline(centroids, StandardScaler(), weight)
    return make_pipeline(DenseThenText(dense, n_dense), lr)


def _oof_decision(
    features,
    y,
    hyper: Hyper,
    cv: int,
    random_state: int,
    n_dense: int | None = None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    clf = _classifier(hyper, random_state, n_dense)
    folds = cv_folds(y, cv, random_state, groups)
    from sklearn.model_selection import cross_val_predict

    return cross_val_predict(clf, features, y, cv=folds, method="decision_function")


def cv_folds(y: np.ndarray, cv: int, random_state: int, groups: np.ndarray | None = None):
    """Stratified folds of passages, or of ``groups`` when every fold can be used.

    Group folds (``StratifiedGroupKFold``) are used when at least two groups
    hold positives and every training fold keeps both classes; otherwise the
    passages are split directly (``StratifiedKFold``).
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    y = np.asarray(y, dtype=bool)
    if groups is not None:
        n_splits = int(min(cv, len(np.unique(groups[y])), len(np.unique(groups))))
        if n_splits >= 2:
            splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
            folds = list(splitter.split(np.zeros(len(y)), y, groups))
            if all(y[train].any() and not y[train].all() for train, _ in folds):
                return folds
    n_splits = int(max(2, min(cv, y.sum(), (~y).sum())))
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return list(splitter.split(np.zeros(len(y)), y))


def _check_groups(groups: Sequence | None, n: int) -> np.ndarray | None:
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise ClassifyError(
            f"groups of shape {groups.shape} for {n} passages",
            unit="SupervisedCoder.fit(groups=...)",
            hint="give one group (e.g. the document id) per training passage.",
        )
    return groups


def _platt(decision: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    calibrator = LogisticRegression(C=1e4, max_iter=1000).fit(decision[:, None], y)
    return calibrator, calibrator.predict_proba(decision[:, None])[:, 1]


def _fit_code(
    features, y, oof_decision, hyper, random_state, n_dense=None
) -> tuple[CodeModel, np.ndarray]:
    calibrator, probs = _platt(oof_decision, y)
    classifier = _classifier(hyper, random_state, n_dense).fit(features, y)
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
