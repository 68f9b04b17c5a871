"""Passage vectors computed a slice at a time, for corpora too large to hold at once.

A corpus of 500,000 passages has 1 GB of 512-d float32 vectors, and embedding them
with a context window (``embed.context_weight``) briefly needs three times that. A
:class:`VectorSlices` names the passages and how to embed them; iterating it embeds
``size`` passages per call (from the vector cache after the embed stage) and yields
their vectors, so a consumer that reduces slice by slice (a mean, per-code scores,
suggestions written per slice) holds one slice of vectors at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

EMBED_SLICE = 8_192  # passages per embed call on a large corpus (with a context window:
#                      twice the texts); the embed, classify and cluster stages use it
FIT_SLICE = EMBED_SLICE  # passages per slice when a coder is fitted on the corpus


@dataclass(frozen=True)
class VectorSlices:
    """The vectors of ``passages`` (``embed(slice) -> float32 array``), one slice at a time."""

    passages: Sequence
    embed: Callable[[Sequence], np.ndarray] = field(repr=False)
    size: int = FIT_SLICE

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"slice size must be at least 1, got {self.size}")

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def single(self) -> bool:
        """Whether all passages fit in one slice (then nothing differs from one array)."""
        return len(self.passages) <= self.size

    def __iter__(self) -> Iterator[np.ndarray]:
        for start in range(0, len(self.passages), self.size):
            chunk = self.passages[start : start + self.size]
            yield np.asarray(self.embed(chunk), dtype=np.float32)

    def materialize(self) -> np.ndarray:
        """All vectors as one array (for the coders that need them together)."""
        parts = list(self) or [np.asarray(self.embed([]), dtype=np.float32)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def mean(self) -> np.ndarray:
        """The mean vector: as ``array.mean(axis=0)`` for one slice; over several slices
        the slice sums are added in float64 (never all vectors at once)."""
        if self.single:
            return next(iter(self)).mean(axis=0)
        total = None
        for vectors in self:
            part = vectors.sum(axis=0, dtype=np.float64)
            total = part if total is None else total + part
        return (total / len(self)).astype(np.float32)
