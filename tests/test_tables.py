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


def test_a_long_frame_is_written_a_slice_at_a_time_with_the_same_content(tmp_path, monkeypatch):
    import pipeline.tables as tables

    frame = pd.DataFrame({
        "id": [f"d:{i}" for i in range(11)],
        "tokens": [["a", str(i)] if i % 3 else [] for i in range(11)],
        "meta": [None if i % 2 else {"k": i} for i in range(11)],
        "score": [i / 7 for i in range(11)],
        "accepted": [i % 2 == 0 for i in range(11)],
    })
    whole = write_frame(frame, tmp_path / "whole")
    monkeypatch.setattr(tables, "ROWS", 4)
    sliced = write_frame(frame, tmp_path / "sliced")
    assert sliced["csv"].read_bytes() == whole["csv"].read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(sliced["parquet"]),
                                  pd.read_parquet(whole["parquet"]))
    import pyarrow.parquet as pq

    assert pq.ParquetFile(sliced["parquet"]).metadata.num_row_groups == 3


def test_a_long_frame_whose_slices_differ_in_type_is_written_whole(tmp_path, monkeypatch):
    import pipeline.tables as tables

    frame = pd.DataFrame({"value": [None, None, "a", "乙", None], "n": range(5)})
    whole = write_frame(frame, tmp_path / "whole")
    monkeypatch.setattr(tables, "ROWS", 2)  # the first slice's column is all missing
    sliced = write_frame(frame, tmp_path / "sliced")
    assert sliced["csv"].read_bytes() == whole["csv"].read_bytes()
    assert sliced["parquet"].read_bytes() == whole["parquet"].read_bytes()
