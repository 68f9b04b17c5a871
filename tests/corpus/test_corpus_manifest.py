"""Manifest validation: strict, and every problem reported at once."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.corpus import load_manifest
from pipeline.errors import ManifestError

GOOD = """\
corpus: mini
documents:
  - id: 01-GQ-SHKG
    file: cases/a.txt
    kind: case
    lang: zh
    enterprise_type: provincial
    enterprise: 苏海控股集团有限公司
    title: 试点
    edition: 国资国企社会责任蓝皮书
    year: 2023
    arena: industrial
    reserved: true
  - id: 20250414XP
    file: interviews/b.txt
    kind: interview
    group: supervisory
    role: 国资监管机构
    date: 2025-04-14
    duration_min: 50
  - id: extra
    file: t.csv
    kind: case
    table: {id_column: case_id, text_column: text}
"""


def _corpus(tmp_path, manifest: str, files=("cases/a.txt", "interviews/b.txt", "t.csv")):
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    path = tmp_path / "manifest.yaml"
    path.write_text(manifest, encoding="utf-8")
    return path


def test_valid_manifest(tmp_path):
    manifest = load_manifest(_corpus(tmp_path, GOOD))
    assert manifest.name == "mini"
    assert [e.id for e in manifest.entries] == ["01-GQ-SHKG", "20250414XP", "extra"]
    case, interview, table = manifest.entries
    assert case.reserved is True and case.year == 2023 and case.arena == "industrial"
    assert interview.date == dt.date(2025, 4, 14)
    assert interview.meta()["date"] == "2025-04-14"
    assert interview.meta()["duration_min"] == 50
    assert table.table.id_column == "case_id"
    assert manifest.root == tmp_path.resolve()


def test_all_problems_are_reported_at_once(tmp_path):
    bad = (
        GOOD.replace("arena: industrial", "arena: farming")
        .replace("date: 2025-04-14", "date: 2025-13-40")
        .replace("file: interviews/b.txt", "file: interviews/missing.txt")
        .replace("  - id: extra", "  - id: 01-GQ-SHKG")
        .replace("    reserved: true", "    reserved: true\n    colour: red")
        .replace("    duration_min: 50", "    duration_min: 50\n    arena: talent")
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(_corpus(tmp_path, bad))
    message = str(info.value)
    assert "manifest.yaml" in message
    assert "entry 1 (id 01-GQ-SHKG, line 3): key 'arena'" in message
    assert "unknown key 'colour'" in message
    assert "entry 2 (id 20250414XP, line 15): key 'date'" in message
    assert "duplicate id '01-GQ-SHKG' (line 3, line 23)" in message
    assert "line 15): file 'interviews/missing.txt' not found" in message
    assert message.count("\n  - ") == 5
    # once the date parses, the entry's kind check runs too
    fixed_date = bad.replace("date: 2025-13-40", "date: 2025-04-14")
    with pytest.raises(ManifestError) as info:
        load_manifest(_corpus(tmp_path, fixed_date))
    assert "key 'arena' does not apply to kind 'interview'" in str(info.value)


def test_table_and_format_mismatches(tmp_path):
    text = GOOD.replace("file: cases/a.txt", "file: cases/a.rtf").replace(
        "    table: {id_column: case_id, text_column: text}\n", ""
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(_corpus(tmp_path, text, files=("cases/a.rtf", "interviews/b.txt", "t.csv")))
    message = str(info.value)
    assert "unsupported format '.rtf'" in message
    assert "a table file needs 'table: {id_column, text_column}'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("corpus: x\ndocuments: []\n", "non-empty list"),
        ("corpus: x\nentries:\n  - id: a\n", "unknown top-level key"),
        ("corpus: x\ndocuments:\n  - id: [a\n", "invalid YAML"),
        ("- just a list\n", "must be a mapping"),
    ],
)
def test_malformed_manifest_files(tmp_path, text, expected):
    with pytest.raises(ManifestError, match=expected):
        load_manifest(_corpus(tmp_path, text))


def test_missing_manifest(tmp_path):
    with pytest.raises(ManifestError, match="manifest file not found"):
        load_manifest(tmp_path / "manifest.yaml")


def test_csv_manifest_with_row_numbers(tmp_path):
    _corpus(tmp_path, GOOD)
    csv_text = (
        "id,file,kind,arena,year,reserved,table.id_column,table.text_column\n"
        "01-GQ-SHKG,cases/a.txt,case,industrial,2023,false,,\n"
        "extra,t.csv,case,,,,case_id,text\n"
        "02-YQ-ZNLD,cases/none.txt,case,mining,20x3,maybe,,\n"
    )
    path = tmp_path / "manifest.csv"
    path.write_text(csv_text, encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    message = str(info.value)
    assert "entry 3 (id 02-YQ-ZNLD, row 4): key 'arena'" in message
    assert "row 4): key 'year'" in message and "row 4): key 'reserved'" in message
    path.write_text(csv_text.rsplit("02-YQ", 1)[0], encoding="utf-8")
    manifest = load_manifest(path)
    assert manifest.entries[0].year == 2023 and manifest.entries[0].reserved is False
    assert manifest.entries[1].table.text_column == "text"
    assert manifest.name == tmp_path.name


def test_parsed_manifest_is_reused_from_the_cache_until_it_changes(tmp_path, monkeypatch):
    from pipeline.corpus import manifest as module

    path = _corpus(tmp_path / "c", GOOD)
    cache = tmp_path / "cache"
    fresh = load_manifest(path)
    calls = []
    real = module._yaml_entries
    monkeypatch.setattr(module, "_yaml_entries", lambda *a: calls.append(1) or real(*a))
    assert load_manifest(path, cache_dir=cache) == fresh
    assert load_manifest(path, cache_dir=cache) == fresh
    assert len(calls) == 1  # the second load read the memo
    path.write_text(GOOD.replace("year: 2023", "year: 2024"), encoding="utf-8")
    assert load_manifest(path, cache_dir=cache).entries[0].year == 2024
    assert len(calls) == 2
    assert len(list((cache / "manifests").glob("*.json"))) == 1


def test_errors_name_the_same_lines_with_a_cached_parse(tmp_path):
    bad = GOOD.replace("arena: industrial", "arena: farming")
    path = _corpus(tmp_path, bad)
    messages = []
    for _ in range(2):
        with pytest.raises(ManifestError) as info:
            load_manifest(path, cache_dir=tmp_path / "cache")
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "line 3" in messages[1]


def test_a_corrupt_manifest_memo_is_ignored(tmp_path):
    path = _corpus(tmp_path / "c", GOOD)
    cache = tmp_path / "cache"
    load_manifest(path, cache_dir=cache)
    (memo,) = (cache / "manifests").glob("*.json")
    memo.write_text('["mini", [["line 3", {"id": "forged"', encoding="utf-8")
    assert load_manifest(path, cache_dir=cache) == load_manifest(path)
