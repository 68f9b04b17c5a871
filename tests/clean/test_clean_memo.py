"""Incremental near-duplicate detection: the memo never changes the result."""

from __future__ import annotations

import random

import pytest

from pipeline.clean import CleanSettings, clean_corpus, neardup
from pipeline.corpus.document import Document
from pipeline.segment.paragraphs import paragraph_spans

POOL = [
    "公司在定点帮扶县投入资金建设农产品加工厂，带动周边农户种植蔬菜。",
    "集团选派干部担任驻村第一书记，推动村党支部领办合作社发展特色产业。",
    "依托电商平台和自有商超渠道，累计采购脱贫地区农产品一千二百万元。",
    "开展职业技能培训，帮助脱贫劳动力在企业和项目上稳定就业。",
    "捐建乡村学校图书室，组织员工志愿者开展支教活动。",
    "The company trained local cooperative leaders in bookkeeping and online sales.",
    "Volunteers from the group repaired irrigation channels with the village committee.",
    "帮扶资金重点投向产业项目，建立联农带农的利益联结机制。",
]


def make_docs(seed: int, n: int = 12, prefix: str = "d") -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        paragraphs = []
        for _ in range(rng.randint(2, 4)):
            sentences = rng.sample(POOL, rng.randint(1, 3))
            text = "".join(sentences)
            if rng.random() < 0.5:  # a small edit: still a near duplicate of the original
                cut = rng.randrange(len(text))
                text = text[:cut] + "等" + text[cut + 1 :]
            paragraphs.append(text)
        docs.append(
            Document(id=f"{prefix}{i:02d}", kind="case", lang="zh", text="\n\n".join(paragraphs))
        )
    return docs


SETTINGS = CleanSettings(
    near_duplicate_threshold=0.8, exact_duplicates=False, boilerplate_min_documents=0
)


def cuts(results):
    return [(r.doc_id, r.start, r.end, r.reason, r.rule) for res in results for r in res.removals]


def test_the_rule_finds_near_duplicates_in_the_generated_corpus():
    found = cuts(clean_corpus(make_docs(1), SETTINGS))
    assert any(c[3] == "near_duplicate" for c in found)


@pytest.mark.parametrize(("block", "pairs"), [(512, 2**21), (5, 2**21), (512, 40)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_similarities_equal_a_brute_force_jaccard_over_shingle_sets(seed, block, pairs,
                                                                     monkeypatch):
    """One product, many row blocks, and blocks cut by the pair budget (one row each)."""
    monkeypatch.setattr(neardup, "BLOCK", block)
    monkeypatch.setattr(neardup, "PAIRS", pairs)
    docs = make_docs(seed)
    rows = [
        (d.id, s, e, "".join(d.text[s:e].split())) for d in docs for s, e in paragraph_spans(d.text)
    ]
    rows = [r for r in rows if len(r[3]) >= SETTINGS.duplicate_min_chars]
    keys = [r[3] for r in rows]
    decisions, _ = neardup.near_duplicate_decisions(keys, neardup.row_ids(rows), 0.8)
    shingles = [{k[i : i + 3] for i in range(len(k) - 2)} for k in keys]
    kept: list[int] = []
    for i, own in enumerate(shingles):
        best, best_j = -1, 0.0
        for j in kept:
            sim = len(own & shingles[j]) / len(own | shingles[j])
            if sim > best_j:
                best, best_j = j, sim
        if best_j >= 0.8:
            assert decisions.match[i] == best
            assert decisions.jaccard[i] == pytest.approx(best_j)
        else:
            assert decisions.match[i] == -1
            kept.append(i)


def _change(docs, how, rng):
    docs = list(docs)
    if how == "append":
        return docs + make_docs(99, 2, "new")
    if how == "insert_front":
        return make_docs(98, 1, "front") + docs
    if how == "edit_middle":
        d = docs[len(docs) // 2]
        docs[len(docs) // 2] = Document(
            id=d.id, kind=d.kind, lang=d.lang, text=d.text + "\n\n" + POOL[0] + POOL[3]
        )
        return docs
    if how == "remove_middle":
        return docs[: len(docs) // 2] + docs[len(docs) // 2 + 1 :]
    if how == "shuffle":
        rng.shuffle(docs)
        return docs
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how", ["append", "insert_front", "edit_middle", "remove_middle", "shuffle"]
)
def test_a_memo_from_an_earlier_corpus_gives_the_full_result(tmp_path, how, monkeypatch):
    monkeypatch.setattr(neardup, "BLOCK", 7)
    memo = tmp_path / "memo.npz"
    before = make_docs(5)
    assert cuts(clean_corpus(before, SETTINGS, memo)) == cuts(clean_corpus(before, SETTINGS))
    assert memo.is_file()
    after = _change(before, how, random.Random(0))
    assert cuts(clean_corpus(after, SETTINGS, memo)) == cuts(clean_corpus(after, SETTINGS))
    # and the memo now describes the new corpus
    assert cuts(clean_corpus(after, SETTINGS, memo)) == cuts(clean_corpus(after, SETTINGS))


def test_appending_a_document_only_shingles_its_own_paragraphs(tmp_path, monkeypatch):
    memo = tmp_path / "memo.npz"
    before = make_docs(7)
    clean_corpus(before, SETTINGS, memo)
    seen: list[int] = []
    real = neardup.shingle_rows
    monkeypatch.setattr(neardup, "shingle_rows", lambda keys: seen.append(len(keys)) or real(keys))
    new = make_docs(99, 1, "new")
    clean_corpus(before + new, SETTINGS, memo)
    assert seen == [len(new[0].text.split("\n\n"))]


def test_a_memo_for_another_threshold_is_not_used(tmp_path):
    memo = tmp_path / "memo.npz"
    docs = make_docs(3)
    clean_corpus(docs, SETTINGS, memo)
    other = CleanSettings(
        near_duplicate_threshold=0.6, exact_duplicates=False, boilerplate_min_documents=0
    )
    assert cuts(clean_corpus(docs, other, memo)) == cuts(clean_corpus(docs, other))
    assert cuts(clean_corpus(docs, other)) != cuts(clean_corpus(docs, SETTINGS))


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_a_corrupt_memo_is_recomputed_and_replaced(tmp_path, content):
    memo = tmp_path / "memo.npz"
    memo.write_bytes(content)
    docs = make_docs(4)
    assert cuts(clean_corpus(docs, SETTINGS, memo)) == cuts(clean_corpus(docs, SETTINGS))
    assert neardup.NearDuplicateMemo.load(memo, 0.8) is not None


def test_a_paragraph_turned_boilerplate_early_in_the_corpus_is_handled(tmp_path, monkeypatch):
    """Adding a document can make an early paragraph boilerplate (removed before the
    near-duplicate rule); only the new document's paragraphs are compared afresh."""
    settings = CleanSettings(near_duplicate_threshold=0.8, boilerplate_min_documents=3)
    shared = POOL[0] + POOL[1]
    docs = [Document(id="a", kind="case", lang="zh", text=shared + "\n\n" + POOL[2] + POOL[3]),
            Document(id="b", kind="case", lang="zh", text=POOL[4] + "\n\n" + shared)]
    docs += make_docs(11, 6, "m")
    memo = tmp_path / "memo.npz"
    clean_corpus(docs, settings, memo)
    seen: list[int] = []
    real = neardup.shingle_rows
    monkeypatch.setattr(neardup, "shingle_rows", lambda keys: seen.append(len(keys)) or real(keys))
    new = Document(id="z", kind="case", lang="zh", text=shared + "\n\n" + POOL[5] + POOL[6])
    got = cuts(clean_corpus([*docs, new], settings, memo))
    assert sum(seen) <= 2  # the new document's eligible paragraphs, nothing else
    assert got == cuts(clean_corpus([*docs, new], settings))
    assert [c[:1] for c in got if c[3] == "boilerplate"] == [("a",), ("b",), ("z",)]


@pytest.mark.parametrize("how", ["insert_front", "shuffle", "edit_middle"])
def test_only_unknown_paragraphs_are_shingled(tmp_path, monkeypatch, how):
    memo = tmp_path / "memo.npz"
    before = make_docs(8)
    clean_corpus(before, SETTINGS, memo)
    after = _change(before, how, random.Random(1))
    seen: list[int] = []
    real = neardup.shingle_rows
    monkeypatch.setattr(neardup, "shingle_rows", lambda keys: seen.append(len(keys)) or real(keys))
    clean_corpus(after, SETTINGS, memo)
    assert sum(seen) <= 3  # at most the paragraphs of the one new or edited document
