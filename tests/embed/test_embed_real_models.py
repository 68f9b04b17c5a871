"""The real offline models: USE multilingual v3 and the packaged all-MiniLM-L6-v2."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed import (
    SentenceTransformerEmbedder,
    UseMultilingualEmbedder,
    packaged_minilm_path,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def use():
    return UseMultilingualEmbedder()


def test_use_vectors_are_normalized_and_cross_lingual(use):
    texts = [
        "村党支部领办合作社，带领村民发展特色种植。",
        "The village Party branch set up a cooperative to grow specialty crops.",
        "The football match ended in a draw after extra time.",
    ]
    vectors = use.encode(texts)
    assert vectors.shape == (3, use.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1


def test_use_batching_does_not_change_vectors(use):
    texts = [
        "短文本",
        "一段更长一些的文本，讲述企业帮扶乡村产业发展的情况。",
        "mid length text here",
    ]
    together = use.encode(texts)
    alone = np.vstack([use.encode([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_packaged_minilm_loads_offline_and_normalizes():
    embedder = SentenceTransformerEmbedder(packaged_minilm_path())
    vectors = embedder.encode(["a cooperative of farmers", "farmers formed a cooperative", "tax"])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.id.startswith("st:") and "@" in embedder.id
