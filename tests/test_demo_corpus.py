"""The bundled demo corpus: manifest contract, coverage, sizes, and reproducible formats."""

from __future__ import annotations

import csv
import difflib
import importlib.util
import re
import unicodedata
import zipfile
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "corpora" / "demo"
ARENAS = {"industrial", "consumption", "talent", "employment", "education"}
GROUPS = {"supervisory", "grassroots", "soe"}
CASE_KEYS = {"enterprise_type", "enterprise", "title", "edition", "year", "arena", "reserved"}
INTERVIEW_KEYS = {"group", "role", "date", "duration_min"}
EDITIONS = {"中央企业社会责任蓝皮书", "国资国企社会责任蓝皮书", "中央企业助力乡村振兴蓝皮书"}
CJK = re.compile(r"[\u4e00-\u9fff]")
CASE_ID = re.compile(r"^\d{2}-(GQ|YQ)-[A-Z]{4}$")
INTERVIEW_ID = re.compile(r"^(\d{8})[A-Z]{2}$")
TURN = re.compile(r"^(?:\[\d{2}:\d{2}:\d{2}\] )?([^：:\s]{1,6})[：:]", re.MULTILINE)
SLOGAN_MARK = "坚持以习近平新时代中国特色社会主义思想为指导"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((DEMO / "manifest.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def entries(manifest) -> list[dict]:
    return manifest["documents"]


def file_entries(entries, kind=None):
    return [e for e in entries if "table" not in e and (kind is None or e["kind"] == kind)]


def table_rows(entry) -> list[dict]:
    with open(DEMO / entry["file"], encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def utf8_source(entry) -> str:
    """The UTF-8 text behind an entry (its ``derived_from`` source for converted formats)."""
    return (DEMO / entry.get("derived_from", entry["file"])).read_text(encoding="utf-8")


def zh_cases(entries):
    return [e for e in file_entries(entries, "case") if e["lang"] == "zh"]


def test_manifest_has_required_keys_per_kind(manifest, entries):
    assert manifest["corpus"] == "demo"
    for entry in entries:
        assert {"id", "file", "kind"} <= entry.keys(), entry
        assert entry["kind"] in {"case", "interview", "other"}
        assert entry.get("lang", "zh") in {"zh", "en", "mixed"}
        if "table" in entry:
            assert {"id_column", "text_column"} <= entry["table"].keys()
        elif entry["kind"] == "case":
            assert CASE_KEYS <= entry.keys(), entry["id"]
        else:
            assert INTERVIEW_KEYS <= entry.keys(), entry["id"]


def test_attribute_values_are_valid(entries):
    for entry in file_entries(entries, "case"):
        assert CASE_ID.match(entry["id"]), entry["id"]
        expected = "provincial" if "-GQ-" in entry["id"] else "central"
        assert entry["enterprise_type"] == expected, entry["id"]
        assert entry["arena"] in ARENAS and entry["edition"] in EDITIONS
        assert entry["year"] in {2023, 2024} and isinstance(entry["reserved"], bool)
    for entry in file_entries(entries, "interview"):
        match = INTERVIEW_ID.match(entry["id"])
        assert match and match.group(1) == entry["date"].strftime("%Y%m%d"), entry["id"]
        assert entry["group"] in GROUPS and 30 <= entry["duration_min"] <= 90


def test_every_listed_file_exists(entries):
    missing = [
        e.get(key)
        for e in entries
        for key in ("file", "derived_from")
        if key in e and not (DEMO / e[key]).is_file()
    ]
    assert missing == []


def test_table_rows_carry_ids_text_and_case_attributes(entries):
    (table,) = [e for e in entries if "table" in e]
    rows = table_rows(table)
    assert len(rows) == 3
    for row in rows:
        assert CASE_ID.match(row[table["table"]["id_column"]])
        assert row["arena"] in ARENAS and row["enterprise_type"] in {"central", "provincial"}
        assert 50 <= len(CJK.findall(row[table["table"]["text_column"]])) <= 300


def test_document_ids_are_unique_including_table_rows(entries):
    ids = [e["id"] for e in file_entries(entries)]
    for entry in (e for e in entries if "table" in e):
        ids += [row[entry["table"]["id_column"]] for row in table_rows(entry)]
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_two_cases_reserved_and_all_arenas_present(entries):
    cases = file_entries(entries, "case")
    assert sum(e["reserved"] for e in cases) == 2
    assert {e["arena"] for e in zh_cases(entries)} == ARENAS
    assert {e["arena"] for e in cases if e["lang"] == "en"} >= ARENAS - {"talent"}
    assert {e["enterprise_type"] for e in zh_cases(entries)} == {"central", "provincial"}


def test_case_and_interview_sizes(entries):
    assert len(zh_cases(entries)) >= 12
    for entry in zh_cases(entries):
        assert 500 <= len(CJK.findall(utf8_source(entry))) <= 1500, entry["id"]
    english = [e for e in file_entries(entries, "case") if e["lang"] == "en"]
    assert len(english) >= 4
    for entry in english:
        assert 350 <= len(utf8_source(entry).split()) <= 900, entry["id"]
    interviews = file_entries(entries, "interview")
    assert sorted(e["lang"] for e in interviews) == ["en", "zh", "zh"]
    for entry in interviews:
        text = utf8_source(entry)
        size = len(text.split()) if entry["lang"] == "en" else len(text)
        assert (600 if entry["lang"] == "en" else 1200) <= size <= 2500, entry["id"]


def test_interviews_have_speaker_turns_in_every_style(entries):
    texts = [utf8_source(e) for e in file_entries(entries, "interview")]
    speakers = [Counter(TURN.findall(text)) for text in texts]
    for counts in speakers:
        assert len(counts) >= 2 and sum(counts.values()) >= 12
    seen = set().union(*speakers)
    assert {"问", "答", "访谈者", "受访者", "Q", "A", "王书记"} <= seen
    assert any(re.search(r"^\[\d{2}:\d{2}:\d{2}\] ", t, re.MULTILINE) for t in texts)


def test_utf8_sources_are_already_normalized():
    for path in sorted(DEMO.glob("*/*.txt")):
        if path.parent.name == "formats":
            continue
        text = path.read_text(encoding="utf-8")
        assert unicodedata.normalize("NFC", text) == text, path.name
        assert "\r" not in text and not re.search(r"[ \t]+$", text, re.MULTILINE), path.name


def paragraphs_by_doc(entries) -> dict[str, list[str]]:
    return {e["id"]: utf8_source(e).strip().split("\n\n") for e in zh_cases(entries)}


def test_boilerplate_to_clean_is_present(entries):
    paragraphs = paragraphs_by_doc(entries)
    slogans = Counter(p for ps in paragraphs.values() for p in ps if SLOGAN_MARK in p)
    assert max(slogans.values()) >= 3, "a repeated closing slogan paragraph"
    credits = [ps[-1] for ps in paragraphs.values() if re.fullmatch(r"（本案例由.+供稿）", ps[-1])]
    assert len(credits) >= 6
    long_ones = {d: [p for p in ps if len(p) > 60] for d, ps in paragraphs.items()}
    near = [
        (a, b)
        for (a, pa), (b, pb) in combinations(long_ones.items(), 2)
        for x in pa
        for y in pb
        if x != y and difflib.SequenceMatcher(None, x, y).ratio() > 0.95
    ]
    assert len(near) == 1, near


def test_human_codings_are_exact_and_mostly_agree(entries):
    codings = load_script("make_demo_codings")
    committed = (DEMO / "codings" / "human_codings.csv").read_text(encoding="utf-8")
    rows = codings.coding_rows()
    assert codings.to_csv(rows) == committed
    texts = {e["id"]: utf8_source(e) for e in zh_cases(entries) if "derived_from" not in e}
    by_span: dict[tuple, dict[str, set]] = {}
    for row in csv.DictReader(committed.splitlines()):
        start, end = int(row["start"]), int(row["end"])
        assert 0 <= start < end <= len(texts[row["doc_id"]]) and re.fullmatch(
            r"A\d{2}", row["code"]
        )
        by_span.setdefault((row["doc_id"], start, end), {}).setdefault(row["coder"], set()).add(
            row["code"]
        )
    assert len(by_span) >= 40
    agree = sum(c["coder_li"] == c["coder_chen"] for c in by_span.values()) / len(by_span)
    assert 0.7 <= agree < 1.0


def pdf_pages(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() for page in pdf.pages]


def zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> list[list[Path]]:
    formats = load_script("make_demo_formats")
    return [formats.make_all(tmp_path_factory.mktemp(f"run{i}")) for i in range(2)]


def test_formats_script_is_deterministic(regenerated):
    first, second = regenerated
    assert [p.name for p in first] == [p.name for p in second] and len(first) == 3
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_committed_formats_match_a_fresh_run(regenerated):
    """Bytes for GB18030; DOCX zip members; PDF extracted text (robust to zlib/reportlab)."""
    fresh = {p.name: p for p in regenerated[0]}
    committed = DEMO / "formats"
    name = "04-GQ-BCNY-gb18030.txt"
    assert fresh[name].read_bytes() == (committed / name).read_bytes()
    name = "09-GQ-XJTZ.docx"
    assert zip_members(fresh[name]) == zip_members(committed / name)
    name = "07-GQ-DNNT.pdf"
    assert pdf_pages(fresh[name]) == pdf_pages(committed / name)


def test_gb18030_copy_decodes_to_its_source():
    raw = (DEMO / "formats" / "04-GQ-BCNY-gb18030.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    source = (DEMO / "sources" / "04-GQ-BCNY.txt").read_text(encoding="utf-8")
    assert raw.decode("gb18030").replace("\r\n", "\n") == source


def test_docx_copy_has_source_paragraphs_in_order_and_a_table():
    import docx

    document = docx.Document(str(DEMO / "formats" / "09-GQ-XJTZ.docx"))
    source = (DEMO / "sources" / "09-GQ-XJTZ.txt").read_text(encoding="utf-8")
    assert [p.text for p in document.paragraphs] == source.strip().split("\n\n")
    assert len(document.tables) == 1 and document.tables[0].cell(2, 2).text == "58%"


def test_pdf_copy_has_headers_page_numbers_and_broken_lines():
    pages = pdf_pages(DEMO / "formats" / "07-GQ-DNNT.pdf")
    assert len(pages) >= 2
    body = []
    for number, text in enumerate(pages, start=1):
        lines = text.split("\n")
        assert lines[0] == "国资国企社会责任蓝皮书（2023）" and lines[-1] == f"— {number} —"
        body += lines[1:-1]
    assert sum(bool(CJK.match(line[-1:])) for line in body) >= 10, "lines broken mid-sentence"
    source = (DEMO / "sources" / "07-GQ-DNNT.txt").read_text(encoding="utf-8")
    assert "".join(body) == re.sub(r"\s+", "", source)


def test_human_codings_reach_every_main_category():
    from tests.conftest import shared_dir

    tsv = shared_dir() / "codebook"
    tsv = tsv / "soe_assistance_codebook.tsv"
    if not tsv.is_file():
        pytest.skip(f"codebook TSV not found at {tsv}")
    with open(tsv, encoding="utf-8", newline="") as handle:
        main_of = {
            r["initial_code"]: r["main_code"] for r in csv.DictReader(handle, delimiter="\t")
        }
    with open(DEMO / "codings" / "human_codings.csv", encoding="utf-8", newline="") as handle:
        codes = {row["code"] for row in csv.DictReader(handle)}
    assert codes <= main_of.keys()
    assert {main_of[c] for c in codes} == set(main_of.values())
    assert len(codes) >= 40
