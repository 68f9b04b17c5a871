"""The fragment cache: hits, misses, pruning, versions, and a damaged or unusable cache."""

from __future__ import annotations

import sqlite3

import pytest

from pipeline.report.fragments import FILE_NAME, FragmentCache, input_digest


class Builder:
    """Builds b"<value of digest>" and records which digests it was asked for."""

    def __init__(self, digests):
        self.digests = list(digests)
        self.calls: list[list[str]] = []

    def __call__(self, indices):
        asked = [self.digests[i] for i in indices]
        self.calls.append(asked)
        return [f"<{d}>".encode() for d in asked]

    @property
    def built(self) -> list[str]:
        return [d for call in self.calls for d in call]


def resolve(cache, digests, kind="k", version="1"):
    build = Builder(digests)
    values = cache.resolve(kind, version, digests, build)
    assert values == [f"<{d}>".encode() for d in digests]
    return build


def stored(folder, kind="k") -> list[str]:
    with sqlite3.connect(folder / FILE_NAME) as conn:
        rows = conn.execute("SELECT digest FROM fragments WHERE kind = ? ORDER BY digest", (kind,))
        return [r[0] for r in rows]


def test_digest_separates_its_parts():
    assert input_digest("ab", "c") != input_digest("a", "bc")
    assert input_digest("ab", b"c") == input_digest(b"ab", "c")
    assert len(input_digest()) == 64


def test_misses_are_built_once_then_hit(tmp_path):
    cache = FragmentCache(tmp_path)
    assert resolve(cache, ["a", "b", "c"]).built == ["a", "b", "c"]
    assert (cache.stats["k"].hits, cache.stats["k"].built) == (0, 3)
    assert resolve(cache, ["a", "b", "c"]).calls == []
    assert (cache.stats["k"].hits, cache.stats["k"].built) == (3, 0)
    # a fresh object over the same folder (the next run) sees the same fragments
    assert resolve(FragmentCache(tmp_path), ["c", "a"]).calls == []


def test_only_the_changed_fragment_is_built(tmp_path):
    cache = FragmentCache(tmp_path)
    resolve(cache, ["a", "b", "c"])
    assert resolve(cache, ["a", "b2", "c"]).built == ["b2"]
    assert (cache.stats["k"].hits, cache.stats["k"].built, cache.stats["k"].pruned) == (2, 1, 1)


def test_repeated_digests_are_built_once(tmp_path):
    cache = FragmentCache(tmp_path)
    assert resolve(cache, ["a", "b", "a"]).built == ["a", "b"]


def test_unused_fragments_are_pruned_per_kind(tmp_path):
    cache = FragmentCache(tmp_path)
    resolve(cache, ["a", "b"], kind="k")
    resolve(cache, ["x"], kind="other")
    resolve(cache, ["b", "c"], kind="k")
    assert cache.stats["k"].pruned == 1
    assert stored(tmp_path, "k") == ["b", "c"]
    assert stored(tmp_path, "other") == ["x"]  # another output's fragments are left alone
    assert resolve(cache, ["a"]).built == ["a"]
    assert stored(tmp_path, "k") == ["a"]


def test_a_new_format_version_misses_and_prunes_the_old(tmp_path):
    cache = FragmentCache(tmp_path)
    resolve(cache, ["a"], version="1")
    assert resolve(cache, ["a"], version="2").built == ["a"]
    assert cache.stats["k"].pruned == 1
    assert resolve(cache, ["a"], version="1").built == ["a"]


def test_no_folder_builds_everything(tmp_path):
    cache = FragmentCache(None)
    assert resolve(cache, ["a", "b"]).built == ["a", "b"]
    assert resolve(cache, ["a", "b"]).built == ["a", "b"]
    assert not cache.stats["k"].cached


def test_a_corrupt_file_is_rebuilt(tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database" * 200)
    cache = FragmentCache(tmp_path)
    assert resolve(cache, ["a", "b"]).built == ["a", "b"]
    assert cache.stats["k"].rebuilt_file
    assert resolve(cache, ["a", "b"]).calls == []


def test_a_truncated_file_is_rebuilt(tmp_path):
    cache = FragmentCache(tmp_path)
    resolve(cache, [f"d{i}" * 300 for i in range(200)])
    path = tmp_path / FILE_NAME
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    digests = [f"d{i}" * 300 for i in range(200)]
    build = resolve(FragmentCache(tmp_path), digests)  # values asserted in resolve()
    assert sorted(build.built) == sorted(digests)
    assert resolve(FragmentCache(tmp_path), digests).calls == []


def test_a_damaged_value_is_rebuilt_not_returned(tmp_path):
    cache = FragmentCache(tmp_path)
    resolve(cache, ["a", "b"])
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:
        conn.execute("UPDATE fragments SET value = ? WHERE digest = 'a'", (b"<wrong>",))
    assert resolve(cache, ["a", "b"]).built == ["a"]
    assert resolve(cache, ["a", "b"]).calls == []


def test_an_unusable_folder_builds_everything(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    cache = FragmentCache(blocker)
    assert resolve(cache, ["a", "b"]).built == ["a", "b"]
    assert not cache.stats["k"].cached
    assert blocker.read_text() == "a file where the cache folder should be"


def test_a_builder_returning_the_wrong_count_is_an_error(tmp_path):
    with pytest.raises(TypeError):
        FragmentCache(tmp_path).resolve("k", "1", ["a", "b"], lambda idx: [b"x"])
