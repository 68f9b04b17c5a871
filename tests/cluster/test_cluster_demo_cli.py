"""`groundcode cluster` and `groundcode saturation` end to end on the demo corpus (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.cli import main
from pipeline.codebook import load_codebook

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory) -> Path:
    """configs/demo.yaml with absolute paths and every output (and cache) in a tmp folder."""
    root = tmp_path_factory.mktemp("demo")
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["corpus"] = {
        key: str((DEMO.parent / value).resolve()) for key, value in data["corpus"].items()
    }
    data["codebook"] = str((DEMO.parent / data["codebook"]).resolve())
    data["agreement"]["codings"] = [
        str((DEMO.parent / p).resolve()) for p in data["agreement"]["codings"]
    ]
    data["output"] = str(root / "out")
    data["saturation"] = {"orders": 200}
    path = root / "demo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_cluster_command_writes_draft_codes_and_a_table(demo_config, tmp_path, capsys):
    assert main(["cluster", str(demo_config), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "candidate categories" in out and "outliers" in out
    drafts = yaml.safe_load((tmp_path / "candidates.yaml").read_text(encoding="utf-8"))
    assert drafts["codes"], "the demo's uncoded passages give at least one candidate"
    book = load_codebook(yaml.safe_load(demo_config.read_text(encoding="utf-8"))["codebook"])
    for code in drafts["codes"]:
        assert code["parent"] in book and book.get(code["parent"]).level == "main"
        assert code["nearest_main"][0]["id"] == code["parent"]
        assert code["examples"] and code["keywords"]
        assert 0.0 <= code["density_novelty"] <= 1.0
    html = (tmp_path / "candidates.html").read_text(encoding="utf-8")
    assert html.count('<tr id="candidate-') == len(drafts["codes"])


def test_saturation_command_prints_a_verdict_and_writes_its_table(demo_config, tmp_path, capsys):
    assert main(["saturation", str(demo_config), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(("saturated:", "NOT saturated:"))
    assert "Guest et al.:" in out and "of 200 orders" in out  # orders from the config
    table = pd.read_csv(tmp_path / "saturation.csv")
    assert list(table.columns[:5]) == [
        "position",
        "case_id",
        "codes",
        "new_codes",
        "cumulative_codes",
    ]
    assert table["cumulative_codes"].is_monotonic_increasing
    manifest = yaml.safe_load((REPO / "corpora" / "demo" / "manifest.yaml").read_text("utf-8"))
    reserved = [d["id"] for d in manifest["documents"] if d.get("reserved") is True]
    assert reserved and table["case_id"].tolist()[-len(reserved) :] == reserved
    data = json.loads((tmp_path / "saturation.json").read_text(encoding="utf-8"))
    assert [c["doc_id"] for c in data["reserved"]["cases"]] == reserved
    assert data["bootstrap"]["orders"] == 200
    html = (tmp_path / "saturation.html").read_text(encoding="utf-8")
    assert 'id="saturation-curve"' in html and 'class="verdict"' in html
