"""classify.accept: learned — learning from the coders' codings, cross-fitted by document."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.classify.crossfit import LearnedCoder
from pipeline.classify.human import (
    HumanLabels,
    SpanCode,
    labels_from_decisions,
    labels_from_spans,
    labels_from_unit_codes,
    merge_labels,
)
from pipeline.classify.learn import LearnGrid
from pipeline.classify.persist import load_coder, model_card, save_coder
from pipeline.classify.run import build_coder
from pipeline.classify.settings import ClassifySettings
from pipeline.embed.base import l2_normalize
from pipeline.errors import ClassifyError
from pipeline.segment.passage import Passage
from pipeline.store.records import Decision


def unit(doc: str, start: int, end: int) -> Passage:
    return Passage(Passage.make_id(doc, start, end), doc, start, end, "x" * (end - start),
                   "zh", 0)


UNITS = [unit("a", 0, 10), unit("a", 10, 30), unit("b", 0, 20)]


def test_a_span_lands_on_the_unit_holding_most_of_it():
    spans = [SpanCode("a", 8, 20, "I1", "li"), SpanCode("a", 8, 20, "I2", "chen"),
             SpanCode("b", 2, 5, None, "li")]
    labels = labels_from_spans(UNITS, spans, "codings.csv")
    assert labels.cells == {"a:10-30": {"li": {"I1"}, "chen": {"I2"}}, "b:0-20": {"li": set()}}
    assert labels.majority("a:10-30") == frozenset()  # a 1-1 split is no code
    assert labels.examples("a:10-30") == {"I1", "I2"}
    assert labels.coders == ("chen", "li")


def test_codings_of_units_that_no_longer_exist_are_read_as_spans():
    labels = labels_from_unit_codes(UNITS, {"a:0-25": {"I3"}, "b:0-20": {"I4"}}, "li", "f")
    assert labels.cells == {"a:10-30": {"li": {"I3"}}, "b:0-20": {"li": {"I4"}}}


def test_review_decisions_latest_per_coder_and_code_count():
    def d(i, coder, pid, code, decision):
        return Decision(i, coder, pid, code, decision, None)

    decisions = [d(1, "li", "a:0-10", "I1", "accept"), d(2, "li", "a:0-10", "I2", "add"),
                 d(3, "li", "a:0-10", "I1", "reject"), d(4, "chen", "b:0-20", None, "none")]
    labels = labels_from_decisions(UNITS, decisions)
    assert labels.cells == {"a:0-10": {"li": {"I2"}}, "b:0-20": {"chen": set()}}
    merged = merge_labels(labels, labels_from_unit_codes(UNITS, {"a:0-10": {"I3"}}, "li", "f"))
    assert merged.cells["a:0-10"]["li"] == {"I2", "I3"}
    assert merged.fingerprint() != labels.fingerprint()


# ---------------------------------------------------------------- cross-fitting
FORCED_FEWSHOT = LearnGrid(fewshot=(4.0,), z=(1.5,), floor=(-1.0,), min_gap=(0.0,),
                           codes=((1, 0.0),))


def planted_corpus(embedder, n_docs=10, per_doc=12, seed=3):
    """Random units; in every document one unit with a direction of its own, which both
    coders code I4. Only a rule that saw that very unit can tie it to I4."""
    rng = np.random.default_rng(seed)
    passages, vectors, cells = [], [], {}
    for d in range(n_docs):
        for i in range(per_doc):
            p = unit(f"doc{d}", 10 * i, 10 * i + 9)
            passages.append(p)
            vectors.append(rng.normal(size=embedder.dim))
            if i == 0:
                cells[p.id] = {"li": frozenset({"I4"}), "chen": frozenset({"I4"})}
    return passages, l2_normalize(np.asarray(vectors, np.float32)), HumanLabels(cells, ("t",))


def test_no_document_is_coded_by_a_rule_learned_from_its_own_codes(embedder, tiny_codebook):
    passages, vectors, labels = planted_corpus(embedder)
    coder = LearnedCoder(embedder, tiny_codebook, grid=FORCED_FEWSHOT, folds=10).fit(
        passages, labels, vectors)
    planted = [i for i, p in enumerate(passages) if p.id in labels.cells]
    cross = coder.score_table([passages[i] for i in planted], vectors[planted])
    # the control: the same units scored by the rule learned from every document (a leak)
    strangers = [Passage(p.id, "not-coded", p.start, p.end, p.text, "zh", 0)
                 for p in (passages[i] for i in planted)]
    leak = coder.score_table(strangers, vectors[planted])
    i4 = coder.code_ids_.index("I4")
    assert leak.accepted[:, i4].sum() == len(planted)  # the planted code is predictable...
    assert cross.accepted[:, i4].sum() <= 3  # ...only by a leak (chance is 1 in 4)
    assert set(coder.fold_of_doc_) == {f"doc{d}" for d in range(10)}


def test_a_document_coded_alone_gets_the_codebooks_rule(embedder, tiny_codebook):
    passages, vectors, labels = planted_corpus(embedder, n_docs=1)
    coder = LearnedCoder(embedder, tiny_codebook, grid=FORCED_FEWSHOT).fit(passages, labels,
                                                                           vectors)
    state = coder.state_for("doc0")
    assert state.cv_units == 0 and not state.example_codes
    np.testing.assert_allclose(state.prototypes, coder.zero_shot_.prototypes_)


def test_with_few_codings_the_zero_shot_default_stands(embedder, tiny_codebook):
    passages, vectors, labels = planted_corpus(embedder, n_docs=4)
    coder = LearnedCoder(embedder, tiny_codebook).fit(passages, labels, vectors)
    assert coder.full_.fewshot == 0.0 and coder.full_.rule.max_codes == 1


def test_consistent_codings_are_learned(embedder, tiny_codebook):
    """Units sharing one direction that humans code I4: the learner picks few-shot up and
    codes such units of *other* documents I4."""
    rng = np.random.default_rng(5)
    shared = l2_normalize(rng.normal(size=(1, embedder.dim)).astype(np.float32))[0]
    passages, vectors, cells = [], [], {}
    for d in range(8):
        for i in range(10):
            p = unit(f"doc{d}", 10 * i, 10 * i + 9)
            v = rng.normal(size=embedder.dim) * 0.03
            if i < 3:
                v = v + shared
                cells[p.id] = {"li": frozenset({"I4"}), "chen": frozenset({"I4"})}
            passages.append(p)
            vectors.append(v)
    vectors = l2_normalize(np.asarray(vectors, np.float32))
    coder = LearnedCoder(embedder, tiny_codebook).fit(passages, HumanLabels(cells, ("t",)),
                                                      vectors)
    assert coder.full_.fewshot > 0 and "I4" in coder.full_.example_codes
    table = coder.score_table(passages, vectors)
    i4 = coder.code_ids_.index("I4")
    coded = [i for i, p in enumerate(passages) if p.id in cells]
    assert table.accepted[coded, i4].all()  # every document coded by the other folds' rule
    card = model_card(coder)
    assert card["learned_from"]["units"] == 24 and card["learned_from"]["hash"]
    assert card["learned"]["fewshot"] == coder.full_.fewshot
    assert card["cross_fitting"]["documents"] == 8


def test_a_learned_coder_saves_and_loads(tmp_path, embedder, tiny_codebook):
    passages, vectors, labels = planted_corpus(embedder, n_docs=3)
    coder = LearnedCoder(embedder, tiny_codebook).fit(passages, labels, vectors)
    folder = save_coder(coder, tmp_path)
    again = load_coder(folder, embedder, tiny_codebook)
    a = coder.score_table(passages, vectors)
    b = again.score_table(passages, vectors)
    np.testing.assert_array_equal(a.accepted, b.accepted)
    np.testing.assert_allclose(a.scores, b.scores)
    assert "learned from human codings" in (folder / "MODEL_CARD.md").read_text("utf-8")


def test_learned_needs_codings_and_the_zero_shot_method(embedder, tiny_codebook):
    passages, vectors, _ = planted_corpus(embedder, n_docs=2)
    with pytest.raises(ClassifyError, match="needs human codings"):
        build_coder(ClassifySettings(accept="learned"), embedder, tiny_codebook, passages,
                    vectors, labels=HumanLabels())
    with pytest.raises(ClassifyError, match="zero-shot method"):
        build_coder(ClassifySettings(method="supervised", accept="learned"), embedder,
                    tiny_codebook, passages, vectors, codings={passages[0].id: {"I1"}})
