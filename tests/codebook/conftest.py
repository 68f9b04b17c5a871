"""Fixtures for codebook tests: the bundled codebook and a small valid dict."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "configs" / "codebooks" / "soe-assistance.yaml"

_SMALL = {
    "id": "mini",
    "version": "0.1",
    "title": {"zh": "小编码本", "en": "Mini codebook"},
    "description": {"zh": "测试用", "en": "for tests"},
    "dimensions": [{"id": "dim_a", "name": {"zh": "甲", "en": "A"}}],
    "facets": {
        "arena": [
            {"id": "industrial", "name": {"zh": "产业", "en": "Industry"}},
            {"id": "talent", "name": {"zh": "人才", "en": "Talent"}},
        ]
    },
    "codes": [
        {
            "id": "M1",
            "level": "main",
            "dimension": "dim_a",
            "name": {"zh": "主一", "en": "Main one"},
            "definition": {"zh": "主一定义", "en": "main one definition"},
        },
        {
            "id": "I1",
            "parent": "M1",
            "level": "initial",
            "name": {"zh": "初一", "en": "Initial one"},
            "definition": {"zh": "初一定义", "en": "initial one definition"},
            "examples": [{"lang": "zh", "text": "例一"}, {"lang": "en", "text": "example one"}],
            "arenas": ["talent", "industrial"],
        },
        {
            "id": "I2",
            "parent": "M1",
            "level": "initial",
            "name": {"zh": "初二", "en": "Initial two"},
            "definition": {"zh": "初二定义", "en": "initial two definition"},
        },
    ],
}


@pytest.fixture
def small() -> dict:
    """A fresh deep copy of a minimal valid codebook (safe to mutate)."""
    return copy.deepcopy(_SMALL)


@pytest.fixture(scope="session")
def bundled_path() -> Path:
    return BUNDLED


@pytest.fixture(scope="session")
def bundled():
    from pipeline.codebook import load_codebook

    return load_codebook(BUNDLED)
