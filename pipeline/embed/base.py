"""The ``Embedder`` protocol and helpers shared by every backend.

An embedder maps texts to float32 row vectors of unit L2 norm, so a dot product
is a cosine similarity. Backends batch texts sorted by length (fewer padding
tokens per batch, as sentence-transformers does) and restore the input order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Anything with an ``id``, a ``dim`` and ``encode(texts) -> (n, dim) float32``."""

    id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def l2_normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0).astype(np.float32)


def encode_length_sorted(
    encode_batch: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    dim: int,
    batch_size: int,
) -> np.ndarray:
    """Encode ``texts`` in batches of similar length; rows come back in input order."""
    texts = list(texts)
    out = np.empty((len(texts), dim), dtype=np.float32)
    if not texts:
        return out
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        out[idx] = encode_batch([texts[i] for i in idx])
    return l2_normalize(out)
