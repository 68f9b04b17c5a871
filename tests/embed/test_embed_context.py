"""embed.context_weight: passage vectors that mix in the passage's neighbouring sentences."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import config_from_dict
from pipeline.embed import CachedEmbedder, ContextEmbedder, embed_passages, make_embedder
from pipeline.embed.base import l2_normalize
from pipeline.embed.settings import EmbedSettings
from pipeline.embed.testing import HashingTestEmbedder
from pipeline.errors import ConfigError
from pipeline.segment import Passage
from pipeline.segment.passage import window_text


def _passage(i: int, text: str, before: str = "", after: str = "") -> Passage:
    return Passage(id=f"d:{i}", doc_id="d", start=i, end=i + 1, text=text, lang="en",
                   paragraph=0, context_before=before, context_after=after)


PASSAGES = [
    _passage(0, "We will halt and reverse this process.", "Immigration is too high.", "Next."),
    _passage(1, "Farmers need cold storage.", "", "Prices fell."),
    _passage(2, "合作社统一销售。", "", ""),  # no context: its vector is its own text's
]


def test_window_joins_the_non_empty_parts_with_single_spaces():
    assert window_text(PASSAGES[0]) == (
        "Immigration is too high. We will halt and reverse this process. Next."
    )
    assert window_text(PASSAGES[1]) == "Farmers need cold storage. Prices fell."
    assert window_text(PASSAGES[2]) == "合作社统一销售。"


def test_passage_vector_is_the_normalized_sum_of_own_and_weighted_window():
    inner = HashingTestEmbedder(64)
    embedder = ContextEmbedder(inner, 0.5)
    got = embed_passages(embedder, PASSAGES)
    own = inner.encode([p.text for p in PASSAGES])
    window = inner.encode([window_text(p) for p in PASSAGES])
    np.testing.assert_allclose(got, l2_normalize(own + 0.5 * window), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(got[2], own[2], atol=1e-6)  # no neighbours: unchanged
    assert not np.allclose(got[0], own[0], atol=1e-3)
    # plain texts (code definitions, examples) are embedded as they are
    np.testing.assert_allclose(embedder.encode(["合作社"]), inner.encode(["合作社"]))


def test_the_id_names_the_weight_and_plain_embedders_give_text_vectors():
    inner = HashingTestEmbedder(64)
    assert ContextEmbedder(inner, 0.5).id == "hashing-test-64+context:0.5"
    assert ContextEmbedder(inner, 1.0).id != ContextEmbedder(inner, 0.5).id
    np.testing.assert_allclose(embed_passages(inner, PASSAGES),
                               inner.encode([p.text for p in PASSAGES]))
    with pytest.raises(ValueError):
        ContextEmbedder(inner, 0.0)


def test_windows_are_cached_like_any_text(tmp_path):
    cached = CachedEmbedder(HashingTestEmbedder(64), tmp_path)
    embedder = ContextEmbedder(cached, 0.5)
    first = embed_passages(embedder, PASSAGES)
    misses = cached.misses
    assert misses == len({p.text for p in PASSAGES} | {window_text(p) for p in PASSAGES})
    again = embed_passages(ContextEmbedder(CachedEmbedder(HashingTestEmbedder(64), tmp_path), 0.5),
                           PASSAGES)
    np.testing.assert_allclose(again, first)
    assert cached.misses == misses


def test_make_embedder_wraps_only_when_the_weight_is_set(tmp_path, monkeypatch):
    import pipeline.embed.factory as factory

    monkeypatch.setattr(factory, "_backend", lambda settings: HashingTestEmbedder(32))
    plain = make_embedder(EmbedSettings(context_weight=0.0), cache_dir=tmp_path)
    mixed = make_embedder(EmbedSettings(context_weight=0.25), cache_dir=tmp_path)
    assert isinstance(plain, CachedEmbedder)
    assert isinstance(mixed, ContextEmbedder) and isinstance(mixed.inner, CachedEmbedder)
    assert mixed.id == f"{plain.id}+context:0.25"
    default = make_embedder(EmbedSettings(), cache_dir=tmp_path)  # units read with context
    assert isinstance(default, ContextEmbedder) and default.id == f"{plain.id}+context:1.5"


def test_a_context_weight_without_context_sentences_is_a_config_error(tmp_path):
    """Sentence and passage units read their context from neighbouring sentences only; a
    clause always has the rest of its sentence, and the default weight is no error."""
    data = {"corpus": {"path": str(tmp_path)}, "segment": {"context_sentences": 0}}
    assert config_from_dict(data, base=tmp_path).embed.context_weight == 1.5  # clause units
    data["segment"]["unit"] = "sentence"
    assert config_from_dict(data, base=tmp_path).segment.unit == "sentence"  # default weight
    data["embed"] = {"context_weight": 0.5}
    with pytest.raises(ConfigError, match=r"embed\.context_weight.*context_sentences is 0"):
        config_from_dict(data, base=tmp_path)
    data["classify"] = {"context_weights": [0.0, 1.0]}
    with pytest.raises(ConfigError, match=r"embed\.context_weight and classify\.context_weights"):
        config_from_dict(data, base=tmp_path)
    data["embed"] = {"context_weight": -0.1}
    with pytest.raises(ConfigError, match=r"embed\.context_weight"):
        config_from_dict(data, base=tmp_path)
    data |= {"embed": {"context_weight": 0.5}, "segment": {"context_sentences": 1}}
    assert config_from_dict(data, base=tmp_path).embed.context_weight == 0.5
    data |= {"segment": {"context_sentences": 0, "unit": "clause"}}
    assert config_from_dict(data, base=tmp_path).embed.context_weight == 0.5
