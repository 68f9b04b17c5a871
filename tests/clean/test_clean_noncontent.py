"""Text that is not content: reference lists, front matter, captions, page furniture and
markup are removed (or masked) with a reason, offsets stay exact, nothing of it is coded."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from pipeline.clean import CleanSettings, clean_corpus, write_audit
from pipeline.clean.noncontent import is_citation
from pipeline.clean.noncontent.captions import is_caption
from pipeline.clean.removal import NON_CONTENT
from pipeline.corpus.document import Document
from pipeline.corpus.normalize import normalize_text
from pipeline.embed.context import encode_passages_with
from pipeline.segment import Segmenter, SegmentSettings

PAPERS = Path(__file__).with_name("papers")
#: lines of the paper fixtures that must never reach a passage (all kinds of non-content)
NOT_CONTENT = {
    "en_paired_assistance": [
        "Paired Assistance and Village Enterprise", "Mei Han", "School of Public Administration",
        "Department of Development Studies", "Lakeside Social Science Fund", "Keywords",
        "Abstract", "Figure 1", "Projects by type and year", "company assistance office",
        "References", "Corporate assistance after the poverty campaign", "Okafor, D. R. (2020)",
        "State firms and village governance", "<sup>", "**", "## ", "fig1.png", "| --- |",
    ],
    "en_consumption_assistance": [
        "Buying From the Villages", "Ana Ruiz 1", "Institute of Agricultural Economics",
        "Westbrook University", "Corresponding author", "Key words", "Received:",
        "Rural Studies 2024", "Fig. 2", "Canteen purchases by county", "References",
        "Buying to help", "Guidelines on consumption assistance", "Routledge",
    ],
    "zh_industrial_assistance": [
        "国有企业产业帮扶与村集体经济发展", "王晓明", "江城大学", "摘要", "关键词", "基金项目",
        "中图分类号", "文献标识码", "图1", "三个案例村集体收入变化", "表1", "资料来源",
        "参考文献", "李红. 国有企业参与乡村振兴的路径研究", "社会科学文献出版社", "经济日报",
    ],
}
#: body text each paper keeps (as content, joined across its hard wraps)
CONTENT = {
    "en_paired_assistance": [
        "State-owned enterprises are asked to take part in rural revitalization",
        "asked state-owned enterprises (SOEs) to keep the assistance they gave",
        "answered both to the county and to the company's poverty office",
        "trained twenty-six young villagers as electricians",
    ],
    "en_consumption_assistance": [
        "Consumption assistance asks state-owned enterprises to buy the produce",
        "central enterprises after 2020 (Zhao et al., 2021).",
        "interviewed forty-one cooperative leaders",
    ],
    "zh_industrial_assistance": [
        "本文以一家省属能源企业对口帮扶的三个村为案例",
        "已有研究多从资金投入角度评价帮扶成效",
        "合作社承接企业在当地项目的保洁和绿化业务，为留守妇女提供了稳定的就业岗位。",
    ],
}


def paper(name: str) -> Document:
    path = next(PAPERS.glob(f"{name}.*"))
    text = normalize_text(path.read_text(encoding="utf-8"))
    return Document(id=name, kind="case", lang=name[:2], text=text)


def coded(settings: CleanSettings | None = None):
    documents = [paper(name) for name in NOT_CONTENT]
    results = clean_corpus(documents, settings or CleanSettings())
    segmenter = Segmenter(SegmentSettings())
    return results, {r.document.id: segmenter.segment(r.document, r.removals) for r in results}


def content(passage) -> str:
    return passage.text if passage.content is None else passage.content


def test_papers_keep_offsets_exact_and_code_none_of_their_non_content():
    results, passages = coded()
    for result in results:
        doc, mine = result.document, passages[result.document.id]
        assert mine
        for p in mine:
            assert doc.text[p.start : p.end] == p.text and p.id == f"{doc.id}:{p.start}-{p.end}"
            for removal in result.removals:
                assert removal.text == doc.text[removal.start : removal.end]
                if not removal.inline:  # block removals are never inside a passage
                    assert not (removal.start < p.end and p.start < removal.end)
        read = [content(p) for p in mine] + [p.context_before + p.context_after for p in mine]
        for line in NOT_CONTENT[doc.id]:
            assert not any(line in text for text in read), (doc.id, line)
        joined = " ".join(content(p) for p in mine)
        for sentence in CONTENT[doc.id]:
            assert sentence in joined, (doc.id, sentence)


def test_the_models_read_passages_without_markup():
    _, passages = coded()
    mine = passages["en_paired_assistance"]
    seen: list[str] = []

    def encode(texts):
        seen.extend(texts)
        return np.ones((len(texts), 2), dtype=np.float32)

    encode_passages_with(encode, mine, 0.5)
    assert seen and not any(mark in text for text in seen for mark in ("**", "<sup", "##"))
    bold = next(p for p in mine if "**state-owned enterprises**" in p.text)
    assert "state-owned enterprises (SOEs)" in bold.content


def test_every_removal_has_a_reason_in_the_audit(tmp_path):
    results, _ = coded()
    path = write_audit(results, tmp_path / "clean_audit.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    by_doc = {}
    for row in rows:
        by_doc.setdefault(row["doc_id"], set()).add(row["reason"])
        assert row["rule"]
    assert {"references", "front_matter", "captions", "markup"} <= by_doc["en_paired_assistance"]
    assert {"references", "front_matter", "captions", "furniture"} <= by_doc[
        "en_consumption_assistance"]
    assert {"references", "front_matter", "captions"} <= by_doc["zh_industrial_assistance"]


@pytest.mark.parametrize("kind", NON_CONTENT)
def test_keep_turns_a_kind_back_on(kind):
    full, _ = coded()
    kept, passages = coded(CleanSettings(keep=[kind]))
    assert not any(r.reason == kind for result in kept for r in result.removals)
    before = {(r.start, r.end) for result in full for r in result.removals if r.reason != kind}
    after = {(r.start, r.end) for result in kept for r in result.removals}
    assert before <= after  # the other kinds are still removed
    texts = " ".join(p.text for ps in passages.values() for p in ps)
    sample = {"references": "Corporate assistance after the poverty campaign",
              "front_matter": "Lakeside Social Science Fund", "captions": "三个案例村集体收入变化",
              "furniture": "Rural Studies 2024", "markup": "<sup>1</sup>"}[kind]
    assert sample in texts
    if kind == "markup":
        assert any(p.content is None and "**" in p.text for ps in passages.values() for p in ps)


@pytest.mark.parametrize(
    "line",
    [
        "Zhou, X., & Li, Y. (2023). Title. Journal, 12(3), 45–67.",
        "[1] 张三. 乡村振兴研究[J]. 农业经济问题, 2021(5): 10-20.",
        "[2] 王五. 国有企业社会责任[M]. 北京: 人民出版社, 2019: 33.",
        "[3] 国务院. 关于深化定点帮扶的意见[EB/OL]. (2021-05-10)[2023-01-02].",
        "张三, 李四. 国有企业帮扶研究. 北京: 社会科学文献出版社, 2020.",
        "Smith J, Brown K. Rural governance. World Dev. 2020;130:104-120.",
        "12. Park, S. (2019). Villages and firms. Asian Survey, 59(4), 700-721. doi:10.1525/as.2019",
        "Li, Wei. 2018. Poverty alleviation and the state. China Quarterly 234: 1-20.",
    ],
)
def test_citation_shaped_lines_are_recognised(line):
    assert is_citation(line)


@pytest.mark.parametrize(
    "line",
    [
        "Zhou and Li (2023) show that SOEs invested in 12(3) villages between 2019 and 2021.",
        "As Zhou et al. (2023, pp. 4-5) argue, assistance changed after 2020.",
        "同时，公司在2021年投入了10-20万元，用于修建道路。",
        "2021年，公司投入资金680万元，覆盖1400户（见表1）。",
        "In 2021, the company invested 6.8 million yuan in 12 villages (see Table 2).",
        "Wang, the first secretary, arrived in 2019 and stayed until 2022.",
    ],
)
def test_sentences_that_cite_or_count_are_not_citations(line):
    assert not is_citation(line)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("图1 项目实施路径", "caption"),
        ("表2：样本描述统计", "caption"),
        ("Figure 3. The assistance model", "caption"),
        ("Table 1: Summary statistics", "caption"),
        ("Fig. 2 Village incomes, 2019-2023", "caption"),
        ("资料来源：作者根据调研资料整理。", "source line"),
        ("表1显示，2021年合作社收入明显增长。", None),
        ("Table 1 shows that incomes rose in every village.", None),
        ("图书室和活动室于2022年建成。", None),
    ],
)
def test_captions_but_not_sentences_about_tables(line, kind):
    assert is_caption(line) == kind


def test_page_numbers_and_running_headers_are_furniture_and_read_across():
    text = (
        "公司在该村投资建设了光伏电站和香菇大棚，带动了村集体经济发展，村民收入明显提高，\n"
        "- 12 -\n"
        "乡村振兴蓝皮书（2023）\n"
        "合作社也因此扩大了规模。\n\n"
        "第二段内容。\n\n第 13 页\n\n乡村振兴蓝皮书（2023）\n\n第三段内容。\n\n乡村振兴蓝皮书（2023）"
    )
    doc = Document(id="f", kind="case", lang="zh", text=text)
    (result,) = clean_corpus([doc])
    furniture = [r.text for r in result.removals if r.reason == "furniture"]
    assert furniture == ["- 12 -", "乡村振兴蓝皮书（2023）", "第 13 页", "乡村振兴蓝皮书（2023）",
                         "乡村振兴蓝皮书（2023）"]
    passages = Segmenter(SegmentSettings(max_sentences=1)).segment(doc, result.removals)
    first = passages[0]
    assert first.text == text[: text.index("规模。") + 3]  # the sentence runs across the page break
    assert first.content == ("公司在该村投资建设了光伏电站和香菇大棚，带动了村集体经济发展，"
                             "村民收入明显提高，合作社也因此扩大了规模。")


def test_a_case_report_keeps_its_title_and_headings():
    text = ("“以购代捐”打造消费帮扶长效机制\n\n一、背景\n\n公司自2019年起对口帮扶该县。\n\n"
            "I. Background\n\nThe company began its assistance in 2019.")
    doc = Document(id="c", kind="case", lang="zh", text=text)
    (result,) = clean_corpus([doc])
    assert result.removals == ()
    passages = Segmenter(SegmentSettings()).segment(doc, result.removals)
    assert [p.text for p in passages][:2] == ["“以购代捐”打造消费帮扶长效机制", "一、背景"]


def test_the_demo_corpus_has_no_non_content_to_lose(demo_corpus):
    """Every kind kept or none: the demo's removals are the same (it is all content)."""
    from pipeline.config import load_config

    settings = load_config(demo_corpus).clean
    documents = _demo_documents(demo_corpus)
    default = clean_corpus(documents, settings)
    everything = clean_corpus(documents, settings.model_copy(update={"keep": list(NON_CONTENT)}))
    assert [r.removals for r in default] == [r.removals for r in everything]
    assert not any(r.reason in NON_CONTENT for result in default for r in result.removals)


def _demo_documents(config_path):
    from pipeline.config import load_config
    from pipeline.corpus import load_corpus

    return load_corpus(load_config(config_path).corpus).documents


@pytest.fixture(scope="module")
def demo_corpus() -> Path:
    return Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"
