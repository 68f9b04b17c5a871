import re

import numpy as np
import pytest

from pipeline.classify.suggestion import NO_CODE, Suggestion
from pipeline.cluster import (
    ClusterSettings,
    find_candidates,
    is_keyword_token,
    select_uncoded,
    suggest_label,
)
from pipeline.errors import ClusterError
from tests.cluster.conftest import make_blobs, passages_from_texts

VILLAGES = ["东坡村", "南山村", "石门村", "柳溪村", "青岗村", "白沙村", "红岩村", "梨园村"]
TOPICS = {
    "solar": "{v}在荒坡上建设光伏电站，发电收益用于村集体经济和公益岗位，今年发电量明显增加。",
    "tea": "{v}引进高山茶叶品种，组织茶农学习采摘和制茶技术，茶叶品质提升后价格提高。",
    "live": "企业帮助{v}开设电商直播间，培训村民直播带货，把土特产卖到全国各地。",
}


def _corpus(seed: int = 0):
    texts, topics = [], []
    for topic, template in TOPICS.items():
        for village in VILLAGES:
            texts.append(template.format(v=village))
            topics.append(topic)
    centers = np.eye(12)[:3]
    vectors, truth = make_blobs(centers, per_blob=len(VILLAGES), spread=0.04, seed=seed)
    return passages_from_texts(texts), vectors, truth, topics


def _prototypes():
    """Codes near the solar and tea directions; nothing near livestreaming."""
    protos = np.zeros((2, 12))
    protos[0, 0], protos[0, 5] = 1.0, 0.3
    protos[1, 1], protos[1, 6] = 1.0, 0.3
    return protos, ["A13", "A20"]


SETTINGS = ClusterSettings(all_passages=True, min_cluster_size=4, keywords=6)


def test_candidates_follow_the_known_groups_and_describe_them():
    passages, vectors, truth, topics = _corpus()
    protos, ids = _prototypes()
    result = find_candidates(passages, vectors, protos, ids, SETTINGS, seed=0)
    assert len(result.candidates) == 3 and result.outliers == ()
    by_topic = {}
    for cand in result.candidates:
        members = {topics[[p.id for p in passages].index(pid)] for pid in cand.passage_ids}
        assert len(members) == 1
        by_topic[members.pop()] = cand
    assert {"光伏", "发电"} <= set(by_topic["solar"].keywords)
    assert "茶叶" in by_topic["tea"].keywords
    assert {"带货", "土特产"} & set(by_topic["live"].keywords)
    assert not {"光伏", "茶叶"} & set(by_topic["live"].keywords)
    assert by_topic["solar"].nearest_codes[0].code_id == "A13"
    assert by_topic["tea"].nearest_codes[0].code_id == "A20"
    for cand in result.candidates:
        rep = cand.representatives[0]
        source = next(p for p in passages if p.id == rep.passage_id)
        assert (rep.doc_id, rep.start, rep.end, rep.text) == (
            source.doc_id,
            source.start,
            source.end,
            source.text,
        )
        assert rep.passage_id in cand.passage_ids


def test_chinese_keywords_are_words_not_sentences():
    passages, vectors, _, _ = _corpus()
    protos, ids = _prototypes()
    result = find_candidates(passages, vectors, protos, ids, SETTINGS, seed=0)
    words = [w for cand in result.candidates for w in cand.keywords]
    assert words
    for word in words:
        assert not re.search(r"[\s，。、；：！？“”（）,.]", word)
        assert 2 <= len(word) <= 6
    assert not is_keyword_token("的") and not is_keyword_token("，") and not is_keyword_token(" ")
    assert not is_keyword_token("2023") and not is_keyword_token("the")
    assert is_keyword_token("光伏") and is_keyword_token("livestream")


def test_off_codebook_cluster_is_more_novel():
    passages, vectors, _, topics = _corpus()
    protos, ids = _prototypes()
    result = find_candidates(passages, vectors, protos, ids, SETTINGS, seed=0)
    novelty = {
        topics[[p.id for p in passages].index(c.passage_ids[0])]: c.novelty
        for c in result.candidates
    }
    assert novelty["live"] > novelty["solar"] and novelty["live"] > novelty["tea"]
    reference = np.linspace(0.5, 0.99, 50)  # best-code cosines of coded passages
    calibrated = find_candidates(
        passages, vectors, protos, ids, SETTINGS, seed=0, reference_similarities=reference
    )
    scores = sorted(c.novelty for c in calibrated.candidates)
    assert scores[-1] == 1.0  # less similar than every coded passage
    assert scores[0] < 0.5  # as close as the better half of coded passages


def test_same_seed_same_result():
    passages, vectors, _, _ = _corpus(seed=3)
    protos, ids = _prototypes()
    settings = SETTINGS.model_copy(update={"reduce_dims": 4, "target_outlier_share": 0.1})
    a = find_candidates(passages, vectors, protos, ids, settings, seed=5)
    b = find_candidates(passages, vectors, protos, ids, settings, seed=5)
    assert a == b


def test_only_uncoded_passages_are_clustered_by_default():
    passages, vectors, _, topics = _corpus()
    protos, ids = _prototypes()
    suggestions = [
        Suggestion(
            p.id,
            "A13" if t == "solar" else NO_CODE,
            0.9,
            1,
            "initial",
            "zero-shot",
            "m",
            accepted=t == "solar",
        )
        for p, t in zip(passages, topics, strict=True)
    ]
    assert len(select_uncoded(passages, suggestions)) == 16
    settings = ClusterSettings(min_cluster_size=4)
    result = find_candidates(
        passages, vectors, protos, ids, settings, seed=0, suggestions=suggestions
    )
    clustered = {pid for c in result.candidates for pid in c.passage_ids}
    solar_ids = {p.id for p, t in zip(passages, topics, strict=True) if t == "solar"}
    assert len(result.candidates) == 2 and not clustered & solar_ids
    with pytest.raises(ClusterError, match="suggestions"):
        find_candidates(passages, vectors, protos, ids, settings, seed=0)


def test_mismatched_inputs_name_the_problem():
    passages, vectors, _, _ = _corpus()
    protos, ids = _prototypes()
    with pytest.raises(ClusterError, match="24 passages"):
        find_candidates(passages, vectors[:5], protos, ids, SETTINGS, seed=0)
    with pytest.raises(ClusterError, match="prototypes"):
        find_candidates(passages, vectors, protos, ["A13"], SETTINGS, seed=0)


def test_labels_are_bilingual_drafts():
    zh_only = suggest_label(["光伏电站", "发电", "收益"])
    assert zh_only.zh == "光伏电站、发电、收益"
    assert zh_only.en == "Candidate: 光伏电站, 发电, 收益"
    mixed = suggest_label(["livestream", "直播", "sales"])
    assert mixed.en == "livestream, sales" and mixed.zh == "直播"
