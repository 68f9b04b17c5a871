"""A tiny two-category codebook whose codes use disjoint vocabulary.

With the character-hashing test embedder, a passage that repeats a code's words
is closest to that code, so ranking logic can be tested without a real model.
"""

from __future__ import annotations

import pytest

from pipeline.codebook import codebook_from_dict
from pipeline.embed.testing import HashingTestEmbedder


def _code(cid: str, parent: str, zh: str, en: str, examples: list[str]) -> dict:
    return {
        "id": cid,
        "parent": parent,
        "level": "initial",
        "name": {"zh": zh, "en": en},
        "definition": {"zh": zh * 2, "en": en},
        "examples": [{"lang": "zh", "text": t} for t in examples],
    }


TINY = {
    "id": "tiny",
    "version": "1",
    "title": {"zh": "小", "en": "tiny"},
    "description": {"zh": "测试", "en": "test"},
    "codes": [
        {
            "id": "M1",
            "level": "main",
            "name": {"zh": "农业", "en": "farming"},
            "definition": {"zh": "种植养殖", "en": "farming"},
        },
        _code("I1", "M1", "茶园采茶", "tea garden", ["茶园采茶茶叶", "采茶茶园"]),
        _code("I2", "M1", "鱼塘养鱼", "fish pond", ["鱼塘养鱼鱼苗", "养鱼鱼塘"]),
        {
            "id": "M2",
            "level": "main",
            "name": {"zh": "人才", "en": "talent"},
            "definition": {"zh": "培训教育", "en": "training"},
        },
        _code("I3", "M2", "教师培训", "teacher training", ["教师培训课堂", "培训教师"]),
        _code("I4", "M2", "直播带货", "livestream sales", ["直播带货网店", "网店直播"]),
    ],
}

PASSAGES = {
    "I1": ["茶园里采茶，茶叶丰收", "采茶季茶园很忙", "新建茶园，采茶工增收"],
    "I2": ["鱼塘里养鱼，鱼苗长大", "养鱼户扩建鱼塘", "鱼塘鱼苗投放"],
    "I3": ["教师培训进课堂", "培训乡村教师", "教师集中培训"],
    "I4": ["直播带货卖网店产品", "网店直播销量大增", "主播直播带货"],
}


@pytest.fixture(scope="session")
def tiny_codebook():
    return codebook_from_dict(TINY)


@pytest.fixture(scope="session")
def embedder():
    return HashingTestEmbedder(dim=512)


@pytest.fixture(scope="session")
def labelled():
    texts = [t for ts in PASSAGES.values() for t in ts]
    labels = [{code} for code, ts in PASSAGES.items() for _ in ts]
    return texts, labels


@pytest.fixture(scope="session")
def by_code():
    return PASSAGES


@pytest.fixture
def tiny_dict():
    """A fresh deep copy of the tiny codebook's data (safe to change)."""
    import copy

    return copy.deepcopy(TINY)
