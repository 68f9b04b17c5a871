"""Saturation from the researchers' accepted categories (the study's reserved-case criterion)."""

from __future__ import annotations

import json

from pipeline.saturation.accepted import AcceptedCode, accepted_categories
from pipeline.saturation.measures import bootstrap_saturation, saturation_measures
from pipeline.saturation.report import render_saturation_section, write_saturation

ORDER = ["c1", "c2", "c3", "r1", "r2"]


def test_categories_are_counted_case_by_case_in_order():
    acc = [AcceptedCode("c1", "A01"), AcceptedCode("c1", "A02"), AcceptedCode("c2", "A01"),
           AcceptedCode("c3", "A51"), AcceptedCode("r1", "A02"), AcceptedCode("x", "A99")]
    result = accepted_categories(ORDER, ["r1", "r2"], acc)
    assert [(s.case_id, s.codes, s.new_codes, s.cumulative) for s in result.steps] == [
        ("c1", 2, 2, 2), ("c2", 1, 0, 2), ("c3", 1, 1, 3), ("r1", 1, 0, 3), ("r2", 0, 0, 3)]
    assert dict(result.new_by_case)["c3"] == ("A51",)
    assert result.reserved_new == () and result.saturated is True
    assert result.decisions == 5  # the document outside the cases does not count


def test_a_category_first_accepted_in_a_reserved_case_breaks_saturation():
    acc = [AcceptedCode("c1", "A01"), AcceptedCode("r2", "A52"), AcceptedCode("r1", "A01")]
    result = accepted_categories(ORDER, ["r1", "r2"], acc)
    assert result.reserved_new == ("A52",) and result.saturated is False


def test_nothing_accepted_or_nothing_reserved_has_no_verdict():
    assert accepted_categories(ORDER, ["r1"], []).saturated is None
    assert accepted_categories(ORDER, [], [AcceptedCode("c1", "A01")]).saturated is None


def test_report_and_json_carry_the_accepted_categories(tmp_path):
    per_case = {c: {"A01"} for c in ORDER}
    m = saturation_measures(per_case, 2, 2)
    boot = bootstrap_saturation(per_case, 2, 2, orders=5)
    acc = accepted_categories(ORDER, ["r1", "r2"], [AcceptedCode("c1", "A01"),
                                                     AcceptedCode("r2", "<b>A52</b>")])
    html = render_saturation_section(m, boot, None, acc)
    assert 'id="accepted-verdict"' in html and "not saturated" in html
    assert "&lt;b&gt;A52&lt;/b&gt;" in html and "<b>A52" not in html
    write_saturation(tmp_path, m, boot, None, acc)
    data = json.loads((tmp_path / "saturation.json").read_text("utf-8"))
    assert data["accepted"]["reserved_new"] == ["<b>A52</b>"]
    assert data["accepted"]["saturated"] is False
    none = render_saturation_section(m, boot, None, accepted_categories(ORDER, ["r1"], []))
    assert 'id="accepted-none"' in none
