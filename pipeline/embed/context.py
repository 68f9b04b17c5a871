"""Passage vectors that take in the passage's neighbouring sentences.

A sentence such as "we will halt and reverse this process" only says what it is
about through the sentences around it. With ``embed.context_weight`` *w* > 0 a
passage's vector is

    l2_normalize(embed(text) + w * embed(context_before + text + context_after))

(both embeddings unit length), so *w* = 0 is the passage alone and larger *w*
leans on its window. Texts that are not passages (code definitions, examples,
search strings) are embedded as they are. Both the passage and its window are
ordinary texts for the cache, so nothing is embedded twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pipeline.embed.base import Embedder, l2_normalize
from pipeline.segment.passage import content_of, window_text


def mix_context(own: np.ndarray, window: np.ndarray, weight: float) -> np.ndarray:
    """``l2_normalize(own + weight * window)`` row by row (``own`` itself at weight 0)."""
    if weight == 0:
        return np.asarray(own, dtype=np.float32)
    return l2_normalize(np.asarray(own, np.float32) + np.float32(weight) * window)


def encode_passages_with(
    encode: Callable[[list[str]], np.ndarray], passages: Sequence, weight: float
) -> np.ndarray:
    """Vectors of ``passages`` from a texts -> vectors function, mixing in their windows.

    A passage is read as its content (its text without the markup clean marked, see
    :func:`~pipeline.segment.passage.content_of`). Passage texts and windows go to
    ``encode`` in one call (one length-sorted
    batching, one cache lookup).
    """
    texts = [content_of(p) for p in passages]
    if weight == 0:
        return np.asarray(encode(texts), dtype=np.float32)
    windows = [window_text(p) for p in passages]
    vectors = np.asarray(encode(texts + windows), dtype=np.float32)
    return mix_context(vectors[: len(texts)], vectors[len(texts) :], weight)


class ContextEmbedder:
    """``inner`` for plain texts; passages get their window mixed in at ``weight``.

    Its ``id`` names the weight, so vectors, saved coders and stage marks made
    with another weight (or none) are never mistaken for these.
    """

    def __init__(self, inner: Embedder, weight: float) -> None:
        if weight <= 0:
            raise ValueError("ContextEmbedder needs a weight above 0; use the inner embedder")
        self.inner = inner
        self.weight = float(weight)
        self.id = f"{inner.id}+context:{self.weight:g}"

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode(texts)

    def encode_passages(self, passages: Sequence) -> np.ndarray:
        return encode_passages_with(self.inner.encode, passages, self.weight)


def embed_passages(embedder, passages: Sequence) -> np.ndarray:
    """The vectors the pipeline codes: the embedder's passage vectors (windows mixed in
    for a :class:`ContextEmbedder`), or plain text vectors for any other embedder."""
    encode = getattr(embedder, "encode_passages", None)
    if encode is not None:
        return np.asarray(encode(passages), dtype=np.float32)
    return encode_passages_with(embedder.encode, passages, 0.0)

