import json

import pytest

from pipeline.errors import GroundcodeError, SaturationError
from pipeline.saturation.measures import bootstrap_saturation, saturation_measures
from pipeline.saturation.report import render_saturation_section, write_saturation

# Hand-worked example: base = cases 1-4 -> {a,b,c,d,e,f} = 6 codes.
# run 5-6 brings g, h (2/6 = 0.333); run 6-7 brings h (1/6 = 0.167); run 7-8 brings nothing.
CASES = {
    "c1": {"a", "b", "c", "d"},
    "c2": {"a", "e"},
    "c3": {"f"},
    "c4": {"a", "b"},
    "c5": {"g"},
    "c6": {"h", "a"},
    "c7": {"a"},
    "c8": {"b"},
}


def test_guest_measures_match_the_hand_computation():
    m = saturation_measures(CASES, base_size=4, run_length=2, threshold=0.05)
    assert m.base_codes == 6
    assert [s.new_codes for s in m.steps] == [4, 1, 1, 0, 1, 1, 0, 0]
    assert [s.cumulative for s in m.steps] == [4, 5, 6, 6, 7, 8, 8, 8]
    assert [(r.first_case, r.last_case, r.new_codes) for r in m.runs] == [
        (5, 6, 2),
        (6, 7, 1),
        (7, 8, 0),
    ]
    assert [r.ratio for r in m.runs] == pytest.approx([2 / 6, 1 / 6, 0.0])
    assert m.saturation_case == 8


def test_threshold_and_run_length_change_the_point():
    assert saturation_measures(CASES, 4, 2, threshold=0.2).saturation_case == 7
    assert saturation_measures(CASES, 4, 3, threshold=0.05).saturation_case is None
    assert saturation_measures(CASES, 6, 1, threshold=0.0).saturation_case == 7


def test_bootstrap_is_seeded_and_exact_when_order_does_not_matter():
    a = bootstrap_saturation(CASES, orders=200, seed=11)
    b = bootstrap_saturation(CASES, orders=200, seed=11)
    c = bootstrap_saturation(CASES, orders=200, seed=12)
    assert a == b and a.case_counts != c.case_counts
    assert 0.0 <= a.reached_share <= 1.0 and len(a.case_counts) == 200
    same = {f"x{i}": {"p", "q"} for i in range(9)}
    flat = bootstrap_saturation(same, base_size=3, run_length=2, orders=50, seed=0)
    assert flat.reached_share == 1.0 and flat.median == flat.p05 == flat.p95 == 5


def test_too_few_cases_is_a_clear_error():
    with pytest.raises(SaturationError, match="fewer than base size") as err:
        saturation_measures({"c1": {"a"}, "c2": {"b"}}, base_size=4, run_length=2)
    assert isinstance(err.value, GroundcodeError) and err.value.code == "E610"
    assert "c1, c2" in str(err.value)
    with pytest.raises(SaturationError, match=r"saturation\.threshold"):
        bootstrap_saturation(CASES, threshold=1.5)


def test_outputs_and_report_section(tmp_path):
    m = saturation_measures(CASES)
    boot = bootstrap_saturation(CASES, orders=20, seed=1)
    paths = write_saturation(tmp_path, m, boot)
    rows = paths["csv"].read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("position,case_id,codes,new_codes,cumulative_codes")
    assert len(rows) == 9 and rows[-1].endswith(",True")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["measures"]["saturation_case"] == 8 and len(data["bootstrap"]["case_counts"]) == 20
    html = render_saturation_section(m, boot)
    assert 'id="saturation-curve"' in html and 'id="saturation-bootstrap"' in html
    assert "reached after 8 cases" in html
    assert html == render_saturation_section(m, boot)
