"""Encoding cases from ``benchmarks/reliability_encoding.py`` (written separately)."""

from __future__ import annotations

import pytest


def test_no_mojibake_accepted_and_every_refusal_names_an_offset():
    module = pytest.importorskip("benchmarks.reliability_encoding")
    result = module.encoding_cases(3, 40)
    assert result["encoding_cases"] == 40
    assert result["mojibake_accepted"] == 0
    assert result["refused_without_offset"] == 0
