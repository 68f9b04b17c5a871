"""Length-sorted batching, normalization, the test embedder and make_embedder."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed import CachedEmbedder, encode_length_sorted, l2_normalize, make_embedder
from pipeline.embed.settings import EmbedSettings
from pipeline.embed.testing import HashingTestEmbedder
from pipeline.errors import ConfigError, ModelError


def test_order_is_restored_after_length_sorting():
    texts = ["x" * n + str(n) for n in (9, 1, 30, 4, 4, 17, 2)]
    batches: list[list[str]] = []
    reference = HashingTestEmbedder(dim=24)

    def encode_batch(batch):
        batches.append(batch)
        return reference.encode(batch) * 3.0  # unnormalized on purpose

    out = encode_length_sorted(encode_batch, texts, dim=24, batch_size=3)
    np.testing.assert_allclose(out, reference.encode(texts), atol=1e-6)
    lengths = [len(t) for batch in batches for t in batch]
    assert lengths == sorted(lengths)
    assert [len(b) for b in batches] == [3, 3, 1]


def test_empty_input_gives_empty_matrix():
    out = encode_length_sorted(lambda b: np.ones((len(b), 4)), [], dim=4, batch_size=2)
    assert out.shape == (0, 4)


def test_l2_normalize_keeps_zero_rows():
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert out.dtype == np.float32


def test_test_embedder_is_deterministic_and_normalized():
    texts = ["党支部领办合作社", "Party branch cooperative", ""]
    a, b = HashingTestEmbedder().encode(texts), HashingTestEmbedder().encode(texts)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    assert a.dtype == np.float32


def test_make_embedder_wraps_cache_only_when_a_folder_is_known(tmp_path):
    plain = make_embedder(EmbedSettings(context_weight=0.0))
    cached = make_embedder(EmbedSettings(context_weight=0.0), cache_dir=tmp_path)
    assert not isinstance(plain, CachedEmbedder)
    assert isinstance(cached, CachedEmbedder) and cached.id == plain.id
    assert plain.id.startswith("use-multilingual-v3@")


def test_sentence_transformers_without_model_is_a_config_error():
    with pytest.raises(ConfigError, match="embed.model"):
        make_embedder(EmbedSettings(backend="sentence-transformers"))


def test_model_for_use_backend_is_a_config_error():
    with pytest.raises(ConfigError):
        make_embedder(EmbedSettings(model="some/model"))


def test_missing_sentence_transformers_model_names_it(tmp_path):
    missing = tmp_path / "no-such-model"
    embedder = make_embedder(EmbedSettings(backend="sentence-transformers", model=str(missing)))
    with pytest.raises(ModelError, match="no-such-model"):
        embedder.encode(["text"])
