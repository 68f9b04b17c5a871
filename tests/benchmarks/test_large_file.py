"""benchmarks.large_file: the generated file and the pre-filled cache it can measure with."""

from __future__ import annotations

import sqlite3

import numpy as np

from benchmarks.large_file import make_large_file, prefilled_cache
from pipeline.embed.cache import CachedEmbedder
from pipeline.embed.testing import HashingTestEmbedder


def test_a_smaller_file_is_a_prefix_of_a_larger_one_with_the_same_seed(tmp_path):
    small = make_large_file(tmp_path / "s.txt", 0.02, seed=3).read_bytes()
    large = make_large_file(tmp_path / "l.txt", 0.05, seed=3).read_bytes()
    assert len(small) >= 20_000 and large.startswith(small)
    assert make_large_file(tmp_path / "o.txt", 0.02, seed=4).read_bytes() != small


def test_prefilled_cache_copies_and_drops_the_seeded_vectors(tmp_path):
    texts = [f"第{i}段文字 text {i}" for i in range(40)]
    source = tmp_path / "cache"
    CachedEmbedder(HashingTestEmbedder(), source).encode(texts)
    info = prefilled_cache(source, tmp_path / "copy", drop=5, seed=1)
    assert info["vectors_dropped"] == 5 and info["vectors_kept"] == 35

    def count(folder):
        with sqlite3.connect(folder / "vectors.sqlite") as conn:
            return conn.execute("SELECT count(*) FROM vectors").fetchone()[0]

    assert count(source) == 40 and count(tmp_path / "copy") == 35  # the source is untouched
    again = prefilled_cache(source, tmp_path / "copy2", drop=5, seed=1)
    assert again == {**info, "prefilled_from": str(source)}
    # the copy gives the same vectors; the dropped texts are embedded again
    copy = CachedEmbedder(HashingTestEmbedder(), tmp_path / "copy")
    np.testing.assert_array_equal(copy.encode(texts),
                                  CachedEmbedder(HashingTestEmbedder(), source).encode(texts))
    assert copy.misses == 5
