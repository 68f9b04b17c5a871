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


class ChunkCountingEmbedder:
    """Counts inner encode calls; raises (a simulated kill) on call number ``fail_on``."""

    def __init__(self, fail_on: int | None = None, batch_size: int | None = None) -> None:
        self.inner = HashingTestEmbedder(dim=16)
        self.id, self.dim = self.inner.id, self.inner.dim
        self.calls: list[list[str]] = []
        self.fail_on = fail_on
        if batch_size is not None:
            self.batch_size = batch_size

    def encode(self, texts):
        self.calls.append(list(texts))
        if self.fail_on is not None and len(self.calls) == self.fail_on:
            raise RuntimeError("killed mid-document")
        return self.inner.encode(texts)


def test_a_large_input_is_embedded_and_stored_chunk_by_chunk(tmp_path):
    texts = [f"passage {i} " + "x" * (i % 7) for i in range(25)]
    killed = ChunkCountingEmbedder(fail_on=3)
    with pytest.raises(RuntimeError, match="killed"):
        CachedEmbedder(killed, tmp_path, chunk=10).encode(texts)
    assert [len(c) for c in killed.calls] == [10, 10, 5]
    stored = {t for c in killed.calls[:2] for t in c}
    assert len(stored) == 20
    resumed = ChunkCountingEmbedder()
    cached = CachedEmbedder(resumed, tmp_path, chunk=10)
    out = cached.encode(texts)
    assert [sorted(c) for c in resumed.calls] == [sorted(set(texts) - stored)]
    assert (cached.hits, cached.misses) == (20, 5)
    np.testing.assert_array_equal(out, HashingTestEmbedder(dim=16).encode(texts))


def test_chunks_hold_whole_batches_in_length_order(tmp_path):
    """Each chunk is a run of the length-sorted texts, a whole number of inner batches,
    so the inner embedder batches exactly as in one unchunked call."""
    texts = ["y" * (37 * i % 23 + 1) + str(i) for i in range(40)]
    inner = ChunkCountingEmbedder(batch_size=4)
    cached = CachedEmbedder(inner, tmp_path, chunk=11)
    assert cached.chunk == 12  # 11 rounded to whole batches of 4
    cached.encode(texts)
    by_length = [texts[i] for i in np.argsort([len(t) for t in texts], kind="stable")]
    flat = [t for call in inner.calls for t in sorted(call, key=lambda t: (len(t), texts.index(t)))]
    assert [len(c) for c in inner.calls] == [12, 12, 12, 4]
    assert flat == by_length
