"""Learning how to code from the coders' own codings (``classify.accept: learned``).

Starting from a fitted :class:`~pipeline.classify.zeroshot.ZeroShotCoder`, a
:class:`Learner` chooses, from units human coders coded, the setting that makes
the machine's codes agree best (Cohen's kappa on the code sets) with the human
majority on documents it did not learn from:

* ``fewshot`` — how far each code's prototype moves towards the mean vector of
  the units coded with it (0 = the codebook's own prototype; a code nobody coded
  keeps it);
* ``z`` — the per-code threshold ``mean + z * sd`` of the code's scores over the
  corpus, which sets the margins codes are ranked and accepted by;
* the accept rule (:mod:`pipeline.classify.accept`): ``floor`` and ``min_gap``
  (when a unit gets NONE), ``delta`` and ``max_codes`` (how many codes).

Every candidate is scored by cross-validation over the training documents
(grouped by document: a unit is always scored by prototypes built without its
document's codings), and ties keep the earlier, simpler candidate: the grid
starts at the zero-shot ``top1`` rule. Thresholds need only the corpus mean and
covariance of the (centered) vectors: for prototypes ``P`` they are
``mu @ P.T + z * sqrt(diag(P Sigma P.T))``, exactly the mean and standard
deviation of the scores over the corpus, without scoring it again.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pipeline.classify.accept import AcceptRule, accept_mask
from pipeline.embed.base import l2_normalize


@dataclass(frozen=True)
class LearnGrid:
    """The candidates a learner chooses from (the first of each is the zero-shot default)."""

    fewshot: tuple[float, ...] = (0.0, 0.5, 1.0)
    z: tuple[float, ...] = (1.5, 1.0, 2.0)
    floor: tuple[float, ...] = (0.0, -0.05, 0.05, 0.1)
    min_gap: tuple[float, ...] = (0.0, 0.01, 0.02, 0.04)
    codes: tuple[tuple[int, float], ...] = ((1, 0.0), (2, 0.02), (2, 0.05), (3, 0.05))

    def rules(self) -> list[AcceptRule]:
        return [
            AcceptRule("learned", k, delta, floor, gap)
            for (k, delta), floor, gap in itertools.product(self.codes, self.floor, self.min_gap)
        ]


@dataclass(frozen=True)
class CorpusStats:
    """What thresholds need of the corpus: centering vector, mean and covariance."""

    center: np.ndarray | None  # subtracted before scoring (ZeroShotCoder.mean_)
    mu: np.ndarray
    sigma: np.ndarray

    @classmethod
    def of(cls, vectors: np.ndarray, center: np.ndarray | None) -> CorpusStats:
        X = prepare(vectors, center).astype(np.float64)
        return cls(center, X.mean(axis=0), np.cov(X, rowvar=False, bias=True))

    def moments(self, prototypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of each prototype's scores over the corpus."""
        P = np.asarray(prototypes, dtype=np.float64)
        sd = np.sqrt(np.maximum(((P @ self.sigma) * P).sum(axis=1), 0.0))
        return P @ self.mu, sd

    def thresholds(self, prototypes: np.ndarray, z: float) -> np.ndarray:
        mean, sd = self.moments(prototypes)
        return (mean + z * sd).astype(np.float32)


def prepare(vectors: np.ndarray, center: np.ndarray | None) -> np.ndarray:
    """The vectors as the zero-shot coder scores them (centered and re-normalized)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors if center is None else l2_normalize(vectors - center)


@dataclass(frozen=True)
class Learned:
    """One learned way of coding: prototypes, thresholds, accept rule and how they were chosen."""

    prototypes: np.ndarray
    thresholds: np.ndarray
    rule: AcceptRule
    fewshot: float
    z: float
    example_codes: frozenset[str]
    cv_kappa: float = float("nan")
    cv_units: int = 0


def apply_learned(learned: Learned, prepared: np.ndarray):
    """(scores, margins, accepted) of prepared vectors under ``learned``."""
    scores = prepared @ learned.prototypes.T
    margins = scores - learned.thresholds
    return scores, margins, accept_mask(margins, learned.rule)


@dataclass
class LabelledUnits:
    """Prepared vectors of human-coded units, their document, majority and example codes."""

    vectors: np.ndarray
    docs: np.ndarray
    majority: list[frozenset[str]]
    examples: list[frozenset[str]]
    ids: list[str] = field(default_factory=list)

    def subset(self, rows: np.ndarray) -> LabelledUnits:
        return LabelledUnits(
            self.vectors[rows], self.docs[rows], [self.majority[i] for i in rows],
            [self.examples[i] for i in rows], [self.ids[i] for i in rows] if self.ids else [],
        )


def fewshot_prototypes(
    base: np.ndarray, code_ids: Sequence[str], units: LabelledUnits, weight: float
) -> tuple[np.ndarray, frozenset[str]]:
    """Prototypes moved towards the mean of each code's example units (and the codes moved)."""
    if weight == 0 or len(units.vectors) == 0:
        return base, frozenset()
    index = {c: j for j, c in enumerate(code_ids)}
    members: dict[int, list[int]] = {}
    for row, codes in enumerate(units.examples):
        for code in codes:
            if code in index:
                members.setdefault(index[code], []).append(row)
    out = base.copy()
    for j, rows in members.items():
        direction = l2_normalize(units.vectors[rows].mean(axis=0, keepdims=True))[0]
        out[j] = l2_normalize((base[j] + weight * direction)[None, :])[0]
    return out, frozenset(code_ids[j] for j in members)


def code_sets(mask: np.ndarray, code_ids: Sequence[str]) -> list[str]:
    """Each row's applied codes as one label ("" = NONE), for kappa on code sets."""
    ids = np.asarray(code_ids, dtype=object)
    return ["|".join(sorted(ids[row])) for row in mask]


def set_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two label sequences (code sets joined as text; NaN when undefined)."""
    return kappa_and_se(a, b)[0]


def kappa_and_se(a: Sequence[str], b: Sequence[str]) -> tuple[float, float]:
    """Cohen's kappa and its large-sample standard error ``sqrt(po(1-po)/n)/(1-pe)``."""
    if not a:
        return float("nan"), float("nan")
    labels = {v: i for i, v in enumerate(sorted(set(a) | set(b)))}
    x = np.array([labels[v] for v in a])
    y = np.array([labels[v] for v in b])
    observed = float(np.mean(x == y))
    k = len(labels)
    expected = float(np.bincount(x, minlength=k) @ np.bincount(y, minlength=k)) / len(x) ** 2
    if expected >= 1.0:
        return (1.0 if observed == 1.0 else float("nan")), 0.0
    se = float(np.sqrt(observed * (1 - observed) / len(x))) / (1.0 - expected)
    return (observed - expected) / (1.0 - expected), se


def document_folds(docs: Sequence[str], n_folds: int, seed: int) -> dict[str, int]:
    """Documents dealt into at most ``n_folds`` folds (seeded; one per fold when few)."""
    unique = sorted(set(docs))
    order = np.random.default_rng(seed).permutation(len(unique))
    k = max(1, min(n_folds, len(unique)))
    return {unique[i]: rank % k for rank, i in enumerate(order)}


class Learner:
    """Chooses and fits a :class:`Learned` from labelled units (see the module docstring)."""

    def __init__(
        self,
        prototypes: np.ndarray,
        code_ids: Sequence[str],
        stats: CorpusStats,
        grid: LearnGrid = LearnGrid(),
        inner_folds: int = 5,
        seed: int = 0,
    ) -> None:
        self.prototypes = np.asarray(prototypes, dtype=np.float32)
        self.code_ids = tuple(code_ids)
        self.stats = stats
        self.grid = grid
        self.inner_folds = inner_folds
        self.seed = seed

    def fit(self, units: LabelledUnits) -> Learned:
        """The best candidate by grouped CV on ``units``, refitted on all of them."""
        fewshot, z, rule, kappa = self.choose(units)
        return self.build(units, fewshot, z, rule, kappa)

    def build(self, units: LabelledUnits, fewshot: float, z: float, rule: AcceptRule,
              kappa: float = float("nan")) -> Learned:
        protos, moved = fewshot_prototypes(self.prototypes, self.code_ids, units, fewshot)
        return Learned(protos, self.stats.thresholds(protos, z), rule, fewshot, z, moved,
                       kappa, len(units.vectors))

    def choose(self, units: LabelledUnits) -> tuple[float, float, AcceptRule, float]:
        """(fewshot, z, rule, CV kappa) by the one-standard-error rule: the first candidate
        (in grid order, simplest first) whose out-of-fold kappa is within one standard
        error of the best one. Few codings cannot tell candidates apart, and then the
        zero-shot default stands."""
        rules = self.grid.rules()
        reference = ["|".join(sorted(m)) for m in units.majority]
        if len(set(units.docs)) < 2:
            return self.grid.fewshot[0], self.grid.z[0], rules[0], float("nan")
        scored = []
        for fewshot in self.grid.fewshot:
            for z, margins in zip(self.grid.z, self.out_of_fold_margins(units, fewshot),
                                  strict=True):
                for rule in rules:
                    machine = code_sets(accept_mask(margins, rule), self.code_ids)
                    scored.append((fewshot, z, rule, *kappa_and_se(machine, reference)))
        finite = [c for c in scored if c[3] == c[3]]
        if not finite:
            return self.grid.fewshot[0], self.grid.z[0], rules[0], float("nan")
        best = max(finite, key=lambda c: c[3])
        bar = best[3] - (best[4] if best[4] == best[4] else 0.0)
        chosen = next(c for c in finite if c[3] >= bar)
        return chosen[:4]

    def out_of_fold_margins(self, units: LabelledUnits, fewshot: float) -> list[np.ndarray]:
        """For each ``z`` of the grid, the margins of every unit under prototypes built
        without its fold's documents."""
        folds = document_folds(units.docs, self.inner_folds, self.seed)
        fold_of = np.array([folds[d] for d in units.docs])
        out = [np.empty((len(units.vectors), len(self.code_ids)), np.float32) for _ in self.grid.z]
        for k in np.unique(fold_of):
            held = np.flatnonzero(fold_of == k)
            train = units.subset(np.flatnonzero(fold_of != k))
            protos, _ = fewshot_prototypes(self.prototypes, self.code_ids, train, fewshot)
            mean, sd = self.stats.moments(protos) if fewshot else self._base_moments()
            scores = units.vectors[held] @ protos.T
            for margins, z in zip(out, self.grid.z, strict=True):
                margins[held] = scores - (mean + z * sd)
        return out

    def _base_moments(self) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "_moments"):
            self._moments = self.stats.moments(self.prototypes)
        return self._moments


def labelled_units(
    ids: Sequence[str], docs: Sequence[str], vectors: np.ndarray, labels, center
) -> LabelledUnits:
    """The human-coded units among ``ids`` (rows of ``vectors``), prepared for learning."""
    rows = [i for i, uid in enumerate(ids) if uid in labels.cells]
    chosen = [ids[i] for i in rows]
    return LabelledUnits(
        prepare(vectors[rows], center) if rows else np.zeros((0, vectors.shape[1]), np.float32),
        np.asarray([docs[i] for i in rows], dtype=object),
        [labels.majority(u) for u in chosen],
        [labels.examples(u) for u in chosen],
        chosen,
    )


def describe(learned: Learned) -> Mapping[str, object]:
    """The chosen setting, for the model card."""
    return {
        "fewshot": learned.fewshot,
        "z": learned.z,
        "rule": learned.rule.describe(),
        "max_codes": learned.rule.max_codes,
        "delta": learned.rule.delta,
        "floor": learned.rule.floor,
        "min_gap": learned.rule.min_gap,
        "cv_kappa": None if learned.cv_kappa != learned.cv_kappa else round(learned.cv_kappa, 4),
        "training_units": learned.cv_units,
        "codes_with_examples": sorted(learned.example_codes),
    }
