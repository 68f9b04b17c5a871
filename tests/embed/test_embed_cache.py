"""CachedEmbedder: nothing is embedded twice, and a failed write leaves the cache intact."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed import CachedEmbedder
from pipeline.embed.testing import HashingTestEmbedder


class CountingEmbedder:
    """Records every text it is asked to embed."""

    def __init__(self, inner=None, fail_after: int | None = None) -> None:
        self.inner = inner or HashingTestEmbedder(dim=32)
        self.id, self.dim = self.inner.id, self.inner.dim
        self.seen: list[str] = []
        self.fail_after = fail_after

    def encode(self, texts):
        self.seen.extend(texts)
        if self.fail_after is not None and len(self.seen) > self.fail_after:
            raise RuntimeError("killed mid-run")
        return self.inner.encode(texts)


def test_cache_never_embeds_a_text_twice(tmp_path):
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    first = cached.encode(["乡村振兴", "cooperative", "乡村振兴"])
    second = cached.encode(["cooperative", "消费帮扶"])
    again = CachedEmbedder(CountingEmbedder(), tmp_path)  # a later run, same folder
    third = again.encode(["乡村振兴", "cooperative", "消费帮扶"])
    assert sorted(inner.seen) == sorted(["乡村振兴", "cooperative", "消费帮扶"])
    assert again.inner.seen == []
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(first[1], second[0])
    np.testing.assert_array_equal(third, np.vstack([first[0], first[1], second[1]]))
    assert (cached.hits, cached.misses) == (2, 3)


def test_cached_vectors_equal_fresh_vectors(tmp_path):
    texts = ["驻村第一书记", "livestream sales of tea", ""]
    fresh = HashingTestEmbedder(dim=32).encode(texts)
    cached = CachedEmbedder(HashingTestEmbedder(dim=32), tmp_path)
    cached.encode(texts)
    np.testing.assert_allclose(cached.encode(texts), fresh)


def test_cache_is_keyed_by_embedder_id(tmp_path):
    small = CountingEmbedder(HashingTestEmbedder(dim=16))
    large = CountingEmbedder(HashingTestEmbedder(dim=32))
    CachedEmbedder(small, tmp_path).encode(["text"])
    out = CachedEmbedder(large, tmp_path).encode(["text"])
    assert large.seen == ["text"] and out.shape == (1, 32)


def test_failed_run_leaves_cache_consistent(tmp_path):
    CachedEmbedder(CountingEmbedder(), tmp_path).encode(["a", "b"])
    broken = CachedEmbedder(CountingEmbedder(fail_after=0), tmp_path)
    with pytest.raises(RuntimeError):
        broken.encode(["a", "c", "d"])
    later = CountingEmbedder()
    out = CachedEmbedder(later, tmp_path).encode(["a", "b", "c", "d"])
    assert sorted(later.seen) == ["c", "d"]
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
