"""coding.xlsx and project.qdpx from cached per-document fragments: the same files as the
whole-file writers, the same bytes with and without the cache, and only what changed
rebuilt."""

from __future__ import annotations

import dataclasses
import io
import math
import random
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipeline.codebook import load_codebook
from pipeline.report import refi, xlsx
from pipeline.report.fragments import FragmentCache
from pipeline.report.tables import build_tables

REPO = Path(__file__).resolve().parents[2]
TRICKY = "He said <&>\"' \x0b done _x0041_ "  # markup, a control character, Excel's escape


@pytest.fixture(scope="module")
def book():
    return load_codebook(REPO / "configs" / "codebooks" / "soe-assistance.yaml")


def corpus(book, n_docs: int = 12, seed: int = 3, changed: str | None = None):
    """documents, passages and suggestions frames as a run's outputs would hold them."""
    rng = random.Random(seed)
    leaves = [c.id for c in book.leaves()]
    docs, passages, suggestions = [], [], []
    for d in range(n_docs):
        doc_id = f"{d:03d}-YQ-T"
        meta = {"arena": ["industrial", "talent"][d % 2], "edition": "中央企业社会责任蓝皮书"}
        if d % 3:
            meta["year"] = 2019 + d  # missing for every third document
        docs.append(
            {
                "id": doc_id,
                "kind": "case",
                "lang": "zh",
                "sha256": f"h{d}",
                "source": f"cases/{doc_id}.txt",
                "chars": 999,
                "meta": meta,
            }
        )
        for p in range(rng.randint(1, 6)):
            text = f"集团在县里建冷库，第{p}段。" if (d + p) % 4 else TRICKY + f"#{p}"
            if doc_id == changed and p == 0:
                text = "改过的段落 changed"
            pid = f"{doc_id}:{p:04d}"
            passages.append(
                {
                    "id": pid,
                    "doc_id": doc_id,
                    "start": p * 100,
                    "end": p * 100 + 50,
                    "text": text,
                    "lang": "zh",
                    "paragraph": p,
                    "speaker": "" if p % 2 else "主持人",
                    "speaker_role": "",
                    "codable": True,
                }
            )
            for rank, code in enumerate(rng.sample(leaves, 3), start=1):
                suggestions.append(
                    {
                        "passage_id": pid,
                        "code_id": code,
                        "score": round(rng.random(), 6),
                        "rank": rank,
                        "level": "initial",
                        "method": "zero-shot",
                        "model": "m",
                        "accepted": rank == 1 or rng.random() < 0.3,
                    }
                )
    sug = pd.DataFrame(suggestions).astype({"score": float, "rank": int, "accepted": bool})
    return pd.DataFrame(docs), pd.DataFrame(passages), sug


def tables_for(book, **kwargs):
    return build_tables(*corpus(book, **kwargs), book)


def reference_xlsx(path: Path, tables, book) -> Path:
    """The whole-file writer the fragments replace: every sheet through XlsxWriter."""
    from datetime import datetime

    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"title": "groundcode coding", "created": datetime(2000, 1, 1)})
    for name, frame in {
        "passages": xlsx.passage_sheet(tables, book),
        "documents": xlsx.document_sheet(tables),
        "codebook": xlsx.codebook_sheet(book),
    }.items():
        xlsx._write_sheet(workbook, name, frame)
    workbook.close()
    return path


def sheet_values(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def test_workbook_reads_back_as_the_whole_file_writer_wrote_it(book, tmp_path):
    tables = tables_for(book)
    new = xlsx.write_coding_xlsx(tmp_path / "new.xlsx", tables, book)
    old = reference_xlsx(tmp_path / "old.xlsx", tables, book)
    with zipfile.ZipFile(new) as a, zipfile.ZipFile(old) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():  # XlsxWriter's own XML, the passages rows included
            assert a.read(name) == b.read(name), name
    got, want = sheet_values(new), sheet_values(old)
    assert got == want
    for sheet in ("passages", "documents", "codebook"):
        pd.testing.assert_frame_equal(
            pd.read_excel(new, sheet_name=sheet), pd.read_excel(old, sheet_name=sheet)
        )
    # and the values are the right ones, not merely the same ones
    header, *rows = got["passages"]
    frame = xlsx.passage_sheet(tables, book)
    assert list(header) == [str(c) for c in frame.columns]
    assert len(rows) == len(frame)
    cell = dict(zip(header, rows[0], strict=True))
    assert cell["codable"] is True
    texts = [r[header.index("text")] for r in rows]
    assert any("冷库" in t for t in texts)
    tricky = [t for t in texts if t.startswith("He said")]
    assert tricky and all(t.startswith("He said <&>\"' ") for t in tricky)
    years = [r[header.index("year")] for r in rows]
    assert None in years and 2020 in years
    scores = [r[header.index(f"score_{c.id}")] for r in rows for c in book.leaves()]
    assert None in scores and any(isinstance(s, float) and 0 < s < 1 for s in scores)
    binary = {r[header.index(f"is_{c.id}")] for r in rows for c in book.leaves()}
    assert binary == {0, 1}


def test_same_bytes_with_and_without_the_cache(book, tmp_path):
    tables = tables_for(book)
    cache = FragmentCache(tmp_path / "cache")
    plain = xlsx.write_coding_xlsx(tmp_path / "plain.xlsx", tables, book).read_bytes()
    cold = xlsx.write_coding_xlsx(tmp_path / "cold.xlsx", tables, book, cache).read_bytes()
    assert cache.stats[xlsx.ROWS_KIND].built == 12
    warm = xlsx.write_coding_xlsx(tmp_path / "warm.xlsx", tables, book, cache).read_bytes()
    assert cache.stats[xlsx.ROWS_KIND].hits == 12 and cache.stats[xlsx.ROWS_KIND].built == 0
    assert plain == cold == warm


def test_a_changed_document_rebuilds_only_its_rows(book, tmp_path):
    cache = FragmentCache(tmp_path / "cache")
    xlsx.write_coding_xlsx(tmp_path / "a.xlsx", tables_for(book), book, cache)
    changed = tables_for(book, changed="004-YQ-T")
    got = xlsx.write_coding_xlsx(tmp_path / "b.xlsx", changed, book, cache)
    stats = cache.stats[xlsx.ROWS_KIND]
    assert (stats.built, stats.hits, stats.pruned) == (1, 11, 1)
    fresh = xlsx.write_coding_xlsx(tmp_path / "fresh.xlsx", changed, book)
    assert got.read_bytes() == fresh.read_bytes()
    texts = pd.read_excel(got, sheet_name="passages")["text"].tolist()
    assert "改过的段落 changed" in texts


def test_a_new_document_in_the_middle_renumbers_the_rows(book, tmp_path):
    cache = FragmentCache(tmp_path / "cache")
    small = tables_for(book, n_docs=12)
    xlsx.write_coding_xlsx(tmp_path / "a.xlsx", small, book, cache)
    docs, passages, sug = corpus(book, n_docs=12)
    extra = passages[passages["doc_id"] == "003-YQ-T"].assign(
        doc_id="003a-YQ-T", id=lambda f: f["id"].str.replace("003-", "003a-")
    )
    more_sug = sug[sug["passage_id"].isin(passages.loc[extra.index, "id"])].assign(
        passage_id=lambda f: f["passage_id"].str.replace("003-", "003a-")
    )
    new_doc = docs[docs["id"] == "003-YQ-T"].assign(id="003a-YQ-T")
    bigger = build_tables(
        pd.concat([docs, new_doc]), pd.concat([passages, extra]), pd.concat([sug, more_sug]), book
    )
    got = xlsx.write_coding_xlsx(tmp_path / "b.xlsx", bigger, book, cache)
    assert cache.stats[xlsx.ROWS_KIND].built == 1
    assert sheet_values(got) == sheet_values(reference_xlsx(tmp_path / "ref.xlsx", bigger, book))


def test_cells_of_every_kind_match_xlsxwriter(tmp_path):
    """Value kinds the passages sheet does not have today still give XlsxWriter's cells."""
    import xlsxwriter

    frame = pd.DataFrame(
        {  # the last row has no cell at all
            "doc_id": ["a", "a", "b", None],
            "text": [TRICKY, "  lead and trail\t", "\ufffe\uffff\x00", None],
            "flag": [True, False, True, None],
            "mixed": [1, 2.5, "3", None],
            "big": [2**60, -0.0, 1e-300, None],
            "long": ["x" * 40000, "\U0001f600" * 20000, "", None],
            "inf": [math.inf, 1.0, np.nan, -math.inf],
            "nullable": pd.array([1, None, 3, None], dtype="Int64"),
            "empty": [None, None, None, None],
        }
    )

    def sheet(header_only: bool) -> bytes:
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True})
        xlsx._write_sheet(workbook, "passages", frame, header_only=header_only)
        workbook.close()
        with zipfile.ZipFile(buffer) as zf:
            return zf.read(xlsx.PASSAGE_SHEET)

    rows, last = xlsx.sheet_rows_xml(frame)
    spliced = xlsx._splice(sheet(True), rows, xlsx._dimension(frame.shape[1], last))
    assert spliced == sheet(False)
    ET.fromstring(spliced)  # well-formed XML


# -- project.qdpx ------------------------------------------------------------------------


def reference_project_xml(name, codebook, sources, codings) -> bytes:
    """The whole-tree ElementTree build the fragments replace."""
    tag = refi._tag
    codings = sorted(codings, key=lambda c: (c.doc_id, c.start, c.end, c.code_id, c.coder))
    coders = sorted({c.coder for c in codings}) or ["groundcode"]
    users = {coder: refi.stable_guid("user", coder) for coder in coders}
    guids = {c.id: refi.stable_guid("code", codebook.id, c.id) for c in codebook.codes}
    ET.register_namespace("", refi.PROJECT_NS)
    root = ET.Element(
        tag("Project"),
        name=name,
        origin=f"groundcode {refi.__version__}",
        creatingUserGUID=users[coders[0]],
    )
    users_el = ET.SubElement(root, tag("Users"))
    for coder in coders:
        ET.SubElement(users_el, tag("User"), guid=users[coder], name=coder)
    refi._codebook_element(root, codebook, guids)
    sources_el = ET.SubElement(root, tag("Sources"))
    for src in sources:
        guid = refi.stable_guid("source", src.doc_id)
        el = ET.SubElement(
            sources_el,
            tag("TextSource"),
            guid=guid,
            name=src.name,
            plainTextPath=f"internal://{guid}.txt",
            creatingUser=users[coders[0]],
        )
        for c in codings:
            if c.doc_id != src.doc_id:
                continue
            key = (c.doc_id, str(c.start), str(c.end), c.code_id, c.coder)
            sel = ET.SubElement(
                el,
                tag("PlainTextSelection"),
                guid=refi.stable_guid("selection", *key),
                name=f"{c.doc_id}:{c.start}-{c.end}",
                startPosition=str(c.start),
                endPosition=str(c.end),
                creatingUser=users[c.coder],
            )
            cod = ET.SubElement(
                sel,
                tag("Coding"),
                guid=refi.stable_guid("coding", *key),
                creatingUser=users[c.coder],
            )
            ET.SubElement(cod, tag("CodeRef"), targetGUID=guids[c.code_id])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def project(book, seed=5, shift: str | None = None):
    rng = random.Random(seed)
    leaves = [c.id for c in book.leaves()]
    sources = [refi.SourceText(f"d{i:02d}", f'案例 <{i}> & "名"', "文" * 300) for i in range(15)]
    sources.append(refi.SourceText("uncoded", "uncoded", "no codings here"))
    codings = []
    for _ in range(120):
        doc = f"d{rng.randrange(15):02d}"
        start = rng.randrange(250)
        end = start + rng.randint(1, 40) + (1 if doc == shift else 0)
        codings.append(
            refi.SpanCoding(
                doc,
                start,
                min(end, 300),
                rng.choice(leaves),
                rng.choice(["groundcode:m", "coder-2"]),
            )
        )
    return sources, codings


def test_project_xml_is_the_whole_tree_build(book, tmp_path):
    sources, codings = project(book)
    want = reference_project_xml("p", book, sources, codings)
    cache = FragmentCache(tmp_path)
    assert refi.build_project_xml("p", book, sources, codings)[0] == want
    assert refi.build_project_xml("p", book, sources, codings, cache)[0] == want
    assert refi.build_project_xml("p", book, sources, codings, cache)[0] == want
    assert cache.stats[refi.SOURCES_KIND].hits == len(sources)
    assert refi.build_project_xml("p", book, [], [])[0] == reference_project_xml("p", book, [], [])


def test_qdpx_identical_with_and_without_cache_and_one_source_rebuilt(book, tmp_path):
    sources, codings = project(book)
    cache = FragmentCache(tmp_path / "cache")
    plain = refi.write_qdpx(tmp_path / "plain.qdpx", "p", book, sources, codings).read_bytes()
    cold = refi.write_qdpx(tmp_path / "cold.qdpx", "p", book, sources, codings, cache)
    warm = refi.write_qdpx(tmp_path / "warm.qdpx", "p", book, sources, codings, cache)
    assert plain == cold.read_bytes() == warm.read_bytes()
    assert cache.stats[refi.SOURCES_KIND].built == 0

    sources2, codings2 = project(book, shift="d03")
    changed = refi.write_qdpx(tmp_path / "changed.qdpx", "p", book, sources2, codings2, cache)
    stats = cache.stats[refi.SOURCES_KIND]
    assert (stats.built, stats.hits) == (1, len(sources) - 1)
    fresh = refi.write_qdpx(tmp_path / "fresh.qdpx", "p", book, sources2, codings2)
    assert changed.read_bytes() == fresh.read_bytes() != plain
    with zipfile.ZipFile(changed) as zf:
        root = ET.fromstring(zf.read("project.qde"))
    ns = {"q": refi.PROJECT_NS}
    assert len(root.findall(".//q:TextSource", ns)) == len(sources)
    assert len(root.findall(".//q:PlainTextSelection", ns)) == len(codings2)


def test_a_renamed_codebook_rebuilds_every_source(book, tmp_path):
    sources, codings = project(book)
    cache = FragmentCache(tmp_path)
    refi.build_project_xml("p", book, sources, codings, cache)
    renamed = dataclasses.replace(book, id="other-book")
    xml, _ = refi.build_project_xml("p", renamed, sources, codings, cache)
    assert cache.stats[refi.SOURCES_KIND].built == len(sources) - 1  # "uncoded" has no CodeRef
    assert xml == reference_project_xml("p", renamed, sources, codings)


# -- the sheets' frames ----------------------------------------------------------------


def reference_passage_sheet(tables, codebook) -> pd.DataFrame:
    """The per-group pandas version the one-pass version replaces."""
    drop = ("tokens", "context_before", "context_after")
    sheet = tables.passages[[c for c in tables.passages.columns if c not in drop]].copy()
    codes = tables.codings.groupby("passage_id")["code_id"].apply(
        lambda s: "; ".join(sorted(set(s)))
    )
    paths = (
        tables.codings.assign(
            path=[
                " › ".join(c.id for c in codebook.path(code)) for code in tables.codings["code_id"]
            ]
        )
        .groupby("passage_id")["path"]
        .apply(lambda s: "; ".join(sorted(set(s))))
    )
    sheet["codes"] = sheet["id"].map(codes).fillna("")
    sheet["code_paths"] = sheet["id"].map(paths).fillna("")
    binary = tables.matrix.add_prefix("is_").reset_index(drop=True)
    scores = tables.scores.round(4).add_prefix("score_").reset_index(drop=True)
    return pd.concat([sheet.reset_index(drop=True), binary, scores], axis=1)


def reference_document_sheet(tables) -> pd.DataFrame:
    counts = tables.passages.groupby("doc_id").size().rename("passages")
    coded = tables.codings.groupby("doc_id")["passage_id"].nunique().rename("coded_passages")
    codes = tables.codings.groupby("doc_id")["code_id"].nunique().rename("distinct_codes")
    mains = (
        tables.codings.groupby("doc_id")["main_id"]
        .apply(lambda s: "; ".join(f"{k}:{v}" for k, v in sorted(s.value_counts().items())))
        .rename("main_categories")
    )
    docs = tables.documents.drop(columns=[c for c in ("text",) if c in tables.documents.columns])
    summary = docs.set_index("id").join([counts, coded, codes, mains])
    cols = ["passages", "coded_passages", "distinct_codes"]
    summary[cols] = summary[cols].fillna(0).astype(int)
    return summary.reset_index().rename(columns={"index": "id"})


@pytest.mark.parametrize("accepted", ["some", "none"])
def test_sheet_frames_equal_the_per_group_versions(book, accepted):
    docs, passages, sug = corpus(book, n_docs=30)
    if accepted == "none":
        sug = sug.assign(accepted=False)
    tables = build_tables(docs, passages, sug, book)
    got, want = xlsx.passage_sheet(tables, book), reference_passage_sheet(tables, book)
    pd.testing.assert_frame_equal(got, want, check_dtype=accepted == "some")
    assert got.astype(object).equals(want.astype(object))
    got, want = xlsx.document_sheet(tables), reference_document_sheet(tables)
    pd.testing.assert_frame_equal(got, want, check_dtype=accepted == "some")
    assert (
        got.astype(object)
        .where(got.notna(), None)
        .equals(want.astype(object).where(want.notna(), None))
    )


def test_the_type_of_a_value_is_part_of_its_fragment_key(tmp_path):
    """1, 1.0, True, "1" and numpy's 1 give different cells, so they must not share a key."""
    cache = FragmentCache(tmp_path)
    seen = []
    for value in (1, 1.0, True, "1", np.int64(1), None, 1.5, 1):
        frame = pd.DataFrame({"doc_id": ["a", "b"], "v": pd.Series([value, "x"], dtype=object)})
        rows, _ = xlsx.sheet_rows_xml(frame, cache)
        assert rows == xlsx.sheet_rows_xml(frame)[0]
        stats = cache.stats[xlsx.ROWS_KIND]
        seen.append(stats.built)
    assert seen == [2, 1, 1, 1, 1, 1, 1, 1]


def test_long_documents_in_small_fragments_and_chunks_give_the_same_workbook(
    book, tmp_path, monkeypatch
):
    tables = tables_for(book, n_docs=20)
    whole = xlsx.write_coding_xlsx(tmp_path / "whole.xlsx", tables, book)
    monkeypatch.setattr(xlsx, "BLOCK", 2)
    monkeypatch.setattr(xlsx, "CHUNK", 3)
    cache = FragmentCache(tmp_path / "cache")
    small = xlsx.write_coding_xlsx(tmp_path / "small.xlsx", tables, book, cache)
    assert cache.stats[xlsx.ROWS_KIND].built > 20  # documents of 3+ rows are 2+ fragments
    with zipfile.ZipFile(whole) as a, zipfile.ZipFile(small) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
    again = xlsx.write_coding_xlsx(tmp_path / "again.xlsx", tables, book, cache)
    assert cache.stats[xlsx.ROWS_KIND].built == 0
    assert again.read_bytes() == small.read_bytes()


def test_a_sheet_past_the_row_limit_continues_on_a_second_sheet(book, tmp_path, monkeypatch):
    tables = tables_for(book, n_docs=12)
    want = sheet_values(xlsx.write_coding_xlsx(tmp_path / "one.xlsx", tables, book))
    assert "notes" not in want
    limit = len(tables.passages) // 2 + 1
    monkeypatch.setattr(xlsx, "SHEET_ROWS", limit)
    got = sheet_values(xlsx.write_coding_xlsx(tmp_path / "two.xlsx", tables, book))
    assert list(got) == ["passages", "passages (2)", "documents", "codebook", "notes"]
    header, *rows = want["passages"]
    assert got["passages"][0] == got["passages (2)"][0] == header
    assert got["passages"][1:] == rows[:limit] and got["passages (2)"][1:] == rows[limit:]
    assert got["documents"] == want["documents"] and got["codebook"] == want["codebook"]
    assert "passages (2)" in got["notes"][1][0]


def test_joined_sets_sorts_and_joins_each_keys_distinct_values():
    import random

    from pipeline.report.xlsx import _joined_sets

    rng = random.Random(4)
    keys = [rng.randint(0, 60) for _ in range(3000)]
    values = [rng.choice(["A01", "A02", "B03", "C11", "D04"]) for _ in range(3000)]
    groups: dict = {}
    for key, value in zip(keys, values, strict=True):
        groups.setdefault(key, set()).add(value)
    assert _joined_sets(keys, values) == {k: "; ".join(sorted(g)) for k, g in groups.items()}
    assert _joined_sets(["p1", "p1", "p2", "p3", "p3"], ["B", "B", "A", "C", "A"]) == {
        "p1": "B", "p2": "A", "p3": "A; C"}
    assert _joined_sets([], []) == {}
