"""Clean rules: each removes what it should and logs reason, rule and offsets."""

from __future__ import annotations

import csv

import pytest

from pipeline.clean import AUDIT_COLUMNS, CleanSettings, clean_corpus, write_audit
from pipeline.config import config_from_dict
from pipeline.corpus.document import Document
from pipeline.errors import CleanError, ConfigError

SLOGAN = "不忘初心、牢记使命"
CLOSING = "下一步，集团将继续深化帮扶工作，为全面推进乡村振兴贡献国企力量。"
TAIL = "同时组织职工认购滞销农产品，帮助合作社打通线上线下销售渠道，带动农户持续增收。"
SHARED = (
    "在消费帮扶方面，公司依托电商平台和自有商超渠道，累计采购脱贫地区农产品一千二百万元。" + TAIL
)
NEAR = "在消费帮扶方面，集团依托电商平台和自有商超渠道，累计采购脱贫地区农产品一千二百万元。" + TAIL


def doc(doc_id: str, *paragraphs: str) -> Document:
    return Document(id=doc_id, kind="case", lang="zh", text="\n\n".join(paragraphs))


def removals(results):
    return [r for result in results for r in result.removals]


def test_offsets_point_at_the_removed_paragraph_and_text_is_unchanged():
    docs = [doc("a", "正文第一段，写得足够长。", SLOGAN, "正文第二段。")]
    (result,) = clean_corpus(docs, CleanSettings(patterns=[f"^{SLOGAN}$"]))
    assert result.document is docs[0]
    (cut,) = result.removals
    assert (cut.doc_id, cut.reason, cut.rule) == ("a", "pattern", f"^{SLOGAN}$")
    assert docs[0].text[cut.start : cut.end] == cut.text == SLOGAN


def test_too_short_paragraphs():
    results = clean_corpus([doc("a", "好。", "这是一段正常长度的正文。")], CleanSettings())
    assert [(r.reason, r.text) for r in removals(results)] == [("too_short", "好。")]


def test_boilerplate_removes_every_copy_in_enough_documents():
    docs = [doc(i, f"正文{i}是各不相同的内容。", CLOSING) for i in "abc"]
    cuts = removals(clean_corpus(docs, CleanSettings(boilerplate_min_documents=3)))
    assert [(c.doc_id, c.reason) for c in cuts] == [(i, "boilerplate") for i in "abc"]
    assert "in 3 documents" in cuts[0].rule


def test_below_boilerplate_count_only_the_later_copy_goes_as_duplicate():
    docs = [doc("a", CLOSING), doc("b", "另一篇的正文内容。", CLOSING)]
    cuts = removals(clean_corpus(docs, CleanSettings()))
    assert [(c.doc_id, c.reason) for c in cuts] == [("b", "exact_duplicate")]
    assert cuts[0].rule == f"duplicate of a:0-{len(CLOSING)}"


def test_exact_duplicates_within_a_document_and_switch():
    document = doc("a", SHARED, "中间一段不同的内容。", SHARED)
    (cut,) = removals(clean_corpus([document], CleanSettings()))
    assert (cut.reason, cut.start) == ("exact_duplicate", document.text.rindex(SHARED))
    off = CleanSettings(exact_duplicates=False, near_duplicate_threshold=1.0)
    assert removals(clean_corpus([document], off)) == []


def test_near_duplicates_keep_the_first_and_name_it():
    docs = [doc("a", SHARED), doc("b", "开头不同的一段正文。", NEAR)]
    (cut,) = removals(clean_corpus(docs, CleanSettings()))
    assert (cut.doc_id, cut.reason, cut.text) == ("b", "near_duplicate", NEAR)
    assert "with a:0-" in cut.rule and "jaccard 0.9" in cut.rule
    assert removals(clean_corpus(docs, CleanSettings(near_duplicate_threshold=1.0))) == []


def test_unrelated_paragraphs_survive():
    docs = [doc("a", SHARED), doc("b", "驻村第一书记带领村民发展香菇种植，建成大棚二十座。")]
    assert removals(clean_corpus(docs, CleanSettings())) == []


def test_short_repeated_interview_replies_are_not_duplicates():
    text = "问：企业帮扶了吗？\n\n答：对的。\n\n问：效果好吗？\n\n答：对的。"
    document = Document(id="i", kind="interview", lang="zh", text=text)
    assert removals(clean_corpus([document], CleanSettings())) == []


def test_disabled_removes_nothing():
    docs = [doc(i, "好。", SLOGAN, CLOSING, CLOSING) for i in "abc"]
    results = clean_corpus(docs, CleanSettings(enabled=False, patterns=[SLOGAN]))
    assert [r.document for r in results] == docs and removals(results) == []


def test_each_paragraph_is_removed_once_by_the_first_rule():
    docs = [doc(i, SLOGAN, CLOSING) for i in "abc"]
    cuts = removals(clean_corpus(docs, CleanSettings(patterns=["牢记使命"])))
    assert len(cuts) == len({(c.doc_id, c.start) for c in cuts}) == 6
    assert {c.reason for c in cuts if c.text == SLOGAN} == {"pattern"}


def test_duplicate_document_ids_are_an_error():
    with pytest.raises(CleanError, match="a"):
        clean_corpus([doc("a", SHARED), doc("a", NEAR)])


def test_bad_pattern_is_a_config_error_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match="clean.patterns"):
        config_from_dict(
            {"corpus": {"path": str(tmp_path)}, "clean": {"patterns": ["(unclosed"]}},
            base=tmp_path,
        )


def test_audit_csv_lists_every_removal(tmp_path):
    docs = [doc(i, f"正文{i}各不相同。", CLOSING, "好") for i in "abc"]
    results = clean_corpus(docs, CleanSettings())
    path = write_audit(results, tmp_path / "out" / "audit.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == AUDIT_COLUMNS
    assert len(rows) == len(removals(results)) == 6
    for row in rows:
        text = next(d.text for d in docs if d.id == row["doc_id"])
        assert text[int(row["start"]) : int(row["end"])] == row["text"]
    assert list(tmp_path.joinpath("out").iterdir()) == [path]


def test_audit_is_not_half_written_on_error(tmp_path):
    target = tmp_path / "audit.csv"
    target.write_text("old", encoding="utf-8")

    def broken():
        yield from clean_corpus([doc("a", "好")], CleanSettings())
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_audit(broken(), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.csv"]


def test_suggested_patterns_file_loads_and_matches_slogans(repo_root):
    import yaml

    data = yaml.safe_load((repo_root / "configs" / "clean_patterns.yaml").read_text("utf-8"))
    settings = CleanSettings(**data["clean"])
    docs = [doc("a", SLOGAN, "为全面推进乡村振兴贡献国企力量", "一是建立多方协同机制。")]
    cuts = removals(clean_corpus(docs, settings))
    assert [c.reason for c in cuts] == ["pattern", "pattern"]
