"""Parquet + CSV twins of the run's tables."""

from __future__ import annotations

import pandas as pd

from pipeline.tables import _csv_ready, _write_csv, write_frame


def test_csv_twin_reads_back_like_the_parquet_with_lists_joined(tmp_path):
    frame = pd.DataFrame({
        "id": ["d1:0-5", "d1:5-9", "文档:0-3"],
        "text": ["扶贫车间, \"带动\"\n就业", "plain", None],
        "tokens": [["扶贫", "车间"], [], ["a"]],
        "score": [0.5, 1.25, float("nan")],
        "rank": [1, 2, 3],
        "accepted": [True, False, True],
    })
    paths = write_frame(frame, tmp_path / "t")
    assert paths["csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_parquet(paths["parquet"])["tokens"].map(list).tolist() == [
        ["扶贫", "车间"], [], ["a"]]
    back = pd.read_csv(paths["csv"], encoding="utf-8-sig", keep_default_na=False)
    assert back["id"].tolist() == frame["id"].tolist()
    assert back["text"].tolist() == ["扶贫车间, \"带动\"\n就业", "plain", ""]
    assert back["tokens"].tolist() == ["扶贫 车间", "", "a"]
    assert back["rank"].tolist() == [1, 2, 3]
    assert back["accepted"].astype(str).str.lower().tolist() == ["true", "false", "true"]
    assert pd.read_csv(paths["csv"], encoding="utf-8-sig")["score"].iloc[:2].tolist() == [0.5, 1.25]


def test_a_column_arrow_cannot_type_is_still_written_as_csv(tmp_path):
    frame = pd.DataFrame({"value": [1, "two", 3.5], "meta": [{"a": 1}, None, {"b": "乙"}]})
    _write_csv(_csv_ready(frame), tmp_path / "mixed.csv")
    raw = (tmp_path / "mixed.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(tmp_path / "mixed.csv", encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)
    assert back["value"].tolist() == ["1", "two", "3.5"]
    assert back["meta"].tolist() == ["{'a': 1}", "None", "{'b': '乙'}"]
