"""From a score matrix to ranked ``Suggestion`` rows; thresholds; uncertainty.

Ranking key is the *margin* ``score - threshold`` of each code, so codes with
different score scales (calibrated probabilities, cosine fallbacks) rank
fairly; ``rank`` 1 is the largest margin, which is not always the largest
score. Which ranked codes are applied is the coder's accept rule
(:mod:`pipeline.classify.accept`), carried in ``ScoreTable.accepted``; without
one, a code is accepted exactly when its margin is >= 0. When no code of a
passage is accepted, an explicit ``NO_CODE`` suggestion comes first (rank 1,
score = the best code's score for reference) followed by the top-k candidates
with ``accepted=False``, so reviewers still see what was closest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.classify.suggestion import NO_CODE, Suggestion


@dataclass(frozen=True)
class ScoreTable:
    """Scores of ``passage_ids`` x ``code_ids`` with margins and the method per cell."""

    passage_ids: tuple[str, ...]
    code_ids: tuple[str, ...]
    scores: np.ndarray
    margins: np.ndarray
    methods: np.ndarray  # (n, m) of str, or (m,) per code
    level: str
    model: str
    accepted: np.ndarray | None = None  # (n, m) booleans of the accept rule; None: margin >= 0

    def accepted_mask(self) -> np.ndarray:
        return self.margins >= 0 if self.accepted is None else self.accepted


def calibrate_thresholds(scores: np.ndarray, z: float = 1.0) -> np.ndarray:
    """Per-code threshold ``mean + z * sd`` of each code's scores over a calibration set.

    Unsupervised: a code is suggested for a passage when the passage scores
    clearly above that code's typical score on the corpus.
    """
    scores = np.asarray(scores, dtype=np.float64)
    return (scores.mean(axis=0) + z * scores.std(axis=0)).astype(np.float32)


def calibrate_thresholds_slices(parts: Iterable[np.ndarray], z: float = 1.0) -> np.ndarray:
    """:func:`calibrate_thresholds` over score slices that are never held together.

    Each slice's count, mean and sum of squared deviations (float64) are merged with
    Chan et al.'s pairwise update, so the result is the whole set's ``mean + z * sd``
    (population sd, as ``np.std``) up to float64 rounding, with memory for one slice.
    """
    count, mean, m2 = 0, None, None
    for part in parts:
        part = np.asarray(part, dtype=np.float64)
        n = len(part)
        if n == 0:
            continue
        part_mean = part.mean(axis=0)
        part_m2 = ((part - part_mean) ** 2).sum(axis=0)
        if mean is None:
            count, mean, m2 = n, part_mean, part_m2
            continue
        total = count + n
        delta = part_mean - mean
        mean = mean + delta * (n / total)
        m2 = m2 + part_m2 + delta**2 * (count * n / total)
        count = total
    if mean is None:
        raise ValueError("no scores to calibrate thresholds on")
    return (mean + z * np.sqrt(m2 / count)).astype(np.float32)


def uncertainty(scores: np.ndarray) -> np.ndarray:
    """Per passage ``1 - (top1 - top2)``, clipped to [0, 1]: high = close call, review first."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape[1] < 2:
        return np.zeros(scores.shape[0])
    top2 = -np.partition(-scores, 1, axis=1)[:, :2]
    return np.clip(1.0 - (top2[:, 0] - top2[:, 1]), 0.0, 1.0)


def to_suggestions(table: ScoreTable, top_k: int) -> list[Suggestion]:
    """Top-k suggestions per passage ranked by margin; ``NO_CODE`` when none clears."""
    k = min(top_k, len(table.code_ids))
    order = np.argsort(-table.margins, axis=1, kind="stable")[:, :k]
    methods = np.broadcast_to(table.methods, table.scores.shape)
    applied = table.accepted_mask()
    out: list[Suggestion] = []
    for row, pid in enumerate(table.passage_ids):
        cols = order[row]
        accepted = applied[row, cols]
        rank = 1
        if not accepted.any():
            best = float(table.scores[row, cols[0]]) if k else 0.0
            method = str(methods[row, cols[0]]) if k else "zero-shot"
            out.append(Suggestion(pid, NO_CODE, best, 1, table.level, method, table.model))
            rank = 2
        for j, col in enumerate(cols):
            out.append(
                Suggestion(
                    passage_id=pid,
                    code_id=table.code_ids[col],
                    score=float(table.scores[row, col]),
                    rank=rank + j,
                    level=table.level,
                    method=str(methods[row, col]),
                    model=table.model,
                    accepted=bool(accepted[j]),
                )
            )
    return out


def passage_ids_of(passages: Sequence) -> tuple[str, ...]:
    """Ids of ``Passage`` objects, or row numbers ("0", "1", ...) for plain texts."""
    return tuple(getattr(p, "id", None) or str(i) for i, p in enumerate(passages))


def texts_of(passages: Sequence) -> list[str]:
    return [p if isinstance(p, str) else p.text for p in passages]
