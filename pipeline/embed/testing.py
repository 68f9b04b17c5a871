"""A deterministic embedder for unit tests only (never a default).

Character 1- and 2-grams hashed into ``dim`` buckets with scikit-learn's
``HashingVectorizer``: texts that share characters (in any language) get similar
vectors, the same text always gets the same vector, and nothing is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.embed.base import l2_normalize


class HashingTestEmbedder:
    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.id = f"hashing-test-{dim}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        vectorizer = HashingVectorizer(
            n_features=self.dim,
            analyzer="char",
            ngram_range=(1, 2),
            lowercase=True,
            alternate_sign=False,
            norm=None,
        )
        texts = list(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        dense = vectorizer.transform(texts).toarray().astype(np.float32)
        dense[dense.sum(axis=1) == 0, 0] = 1.0  # empty text: a fixed unit vector
        return l2_normalize(dense)
