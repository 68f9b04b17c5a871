"""SupervisedCoder with two text blocks: the passage itself and its context window."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.classify import SupervisedCoder, load_coder, save_coder
from pipeline.classify.textfeatures import context_texts
from pipeline.errors import ClassifyError
from pipeline.segment import Passage

FILLER = "river stone cloud paper lamp field market window garden bridge".split()


def _documents(n_docs: int = 27, seed: int = 0):
    """Documents of four passages ``H, A, B, C`` (neighbours as context, as segment does).

    * "alpha" documents: ``H`` names the topic ("alpha") and is not coded; ``A``
      continues it in filler words and is coded I1 -- only the context says so,
      and ``H``'s own text says it is *not* I1;
    * "omega" documents: ``A`` itself says "omega" and is coded I3; its
      neighbours have "omega" only in their context and are not coded;
    * plain documents: filler only, no codes.
    """
    rng = np.random.default_rng(seed)
    passages, labels, groups = [], [], []
    for d in range(n_docs):
        kind = ("alpha", "omega", "plain")[d % 3]
        texts = [" ".join(rng.choice(FILLER, 4)) for _ in range(4)]
        codes: list[set[str]] = [set(), set(), set(), set()]
        if kind == "alpha":
            texts[0] += " alpha"
            codes[1] = {"I1"}
        elif kind == "omega":
            texts[1] += " omega"
            codes[1] = {"I3"}
        for i, text in enumerate(texts):
            passages.append(
                Passage(
                    id=f"d{d}:{i}",
                    doc_id=f"d{d}",
                    start=i,
                    end=i + 1,
                    text=text,
                    lang="en",
                    paragraph=i,
                    context_before=texts[i - 1] if i else "",
                    context_after=texts[i + 1] if i < 3 else "",
                )
            )
        labels += codes
        groups += [f"d{d}"] * 4
    vectors = rng.normal(size=(len(passages), 512)).astype(np.float32)
    return passages, labels, vectors, np.asarray(groups)


@pytest.fixture(scope="module")
def docs():
    return _documents()


def _coder(embedder, codebook, **kw):
    kw = {"min_examples_per_code": 3, "Cs": (0.1, 1.0), "embedding_weights": (0.1,), **kw}
    return SupervisedCoder(embedder, codebook, **kw)


@pytest.fixture(scope="module")
def context_coder(embedder, tiny_codebook, docs):
    passages, labels, vectors, groups = docs
    coder = _coder(embedder, tiny_codebook, text_weights=(0.0, 1.0), context_weights=(0.0, 1.0))
    return coder.fit(passages, labels, vectors=vectors, groups=groups)


def test_context_window_text_joins_the_neighbours(docs):
    passages = docs[0]
    assert context_texts(passages[:2], "u") == [
        f"{passages[0].text} {passages[1].text}",
        f"{passages[0].text} {passages[1].text} {passages[2].text}",
    ]


def test_cv_uses_both_blocks_when_each_carries_part_of_the_coding(context_coder):
    coder = context_coder
    assert coder.hyper_.text_weight == 1.0 and coder.hyper_.context_weight == 1.0
    assert coder.uses_text_ and coder.uses_context_
    assert coder.cv_groups_ == 27
    assert coder.cv_metrics_["I1"]["f1"] > 0.9 and coder.cv_metrics_["I3"]["f1"] > 0.9


def test_without_the_context_block_the_continuation_is_missed(embedder, tiny_codebook, docs):
    passages, labels, vectors, groups = docs
    own_only = _coder(embedder, tiny_codebook, text_weights=(0.0, 1.0))
    own_only.fit(passages, labels, vectors=vectors, groups=groups)
    assert not own_only.uses_context_
    assert own_only.cv_metrics_["I1"]["f1"] < 0.7  # "A" carries no word of its own
    assert own_only.cv_metrics_["I3"]["f1"] > 0.9


def test_without_the_own_block_the_neighbours_are_confused(embedder, tiny_codebook, docs):
    passages, labels, vectors, groups = docs
    context_only = _coder(embedder, tiny_codebook, context_weights=(0.0, 1.0))
    context_only.fit(passages, labels, vectors=vectors, groups=groups)
    assert context_only.hyper_.text_weight == 0.0 and context_only.uses_context_
    # H and A (alpha), H, A and B (omega) share their context words
    assert context_only.cv_metrics_["I1"]["f1"] < 0.8
    assert context_only.cv_metrics_["I3"]["f1"] < 0.8


def test_new_passages_are_scored_from_their_own_text_and_context(context_coder):
    coder = context_coder
    new, _, vectors, _ = _documents(n_docs=3, seed=7)  # alpha, omega, plain document
    scores = coder.decision_scores(vectors, new)
    i1, i3 = coder.code_ids_.index("I1"), coder.code_ids_.index("I3")
    coded = scores >= coder.thresholds_[None, :]
    assert coded[:, i1].tolist() == [i == 1 for i in range(12)]
    assert coded[:, i3].tolist() == [i == 5 for i in range(12)]
    table = coder.score_table(new, vectors)
    np.testing.assert_array_equal(table.scores, scores)


def test_context_needs_passages(embedder, tiny_codebook, docs, context_coder):
    passages, labels, vectors, _ = docs
    texts = [p.text for p in passages]
    with pytest.raises(ClassifyError, match="context features need passages") as err:
        _coder(embedder, tiny_codebook, context_weights=(1.0,)).fit(texts, labels, vectors)
    assert "item 0 is a str" in str(err.value)
    with pytest.raises(ClassifyError, match="context features need passages"):
        context_coder.decision_scores(vectors, texts)
    with pytest.raises(ClassifyError, match="only vectors"):
        context_coder.decision_scores(vectors)
    with pytest.raises(ClassifyError, match="context_weights"):
        _coder(embedder, tiny_codebook, context_weights=(1.0,)).fit(vectors, labels)


@pytest.mark.parametrize("weights", [(), (1.0, -0.5)])
def test_context_weights_are_checked(embedder, tiny_codebook, docs, weights):
    passages, labels, vectors, _ = docs
    with pytest.raises(ClassifyError, match="context_weights must be non-empty"):
        _coder(embedder, tiny_codebook, context_weights=weights).fit(passages, labels, vectors)


def test_context_coder_is_deterministic_and_round_trips(
    embedder, tiny_codebook, docs, context_coder, tmp_path
):
    passages, labels, vectors, groups = docs
    again = _coder(embedder, tiny_codebook, text_weights=(0.0, 1.0), context_weights=(0.0, 1.0))
    again.fit(passages, labels, vectors=vectors, groups=groups)
    expected = context_coder.decision_scores(vectors, passages)
    np.testing.assert_array_equal(again.decision_scores(vectors, passages), expected)
    folder = save_coder(context_coder, tmp_path)
    card = json.loads((folder / "model_card.json").read_text())
    assert card["context_weight"] == 1.0 and card["text_weight"] == 1.0
    assert "context features: weight 1.0" in (folder / "MODEL_CARD.md").read_text()
    loaded = load_coder(folder, embedder, tiny_codebook)
    np.testing.assert_array_equal(loaded.decision_scores(vectors, passages), expected)


def test_run_settings_reach_the_coder_and_folds_keep_documents(embedder, tiny_codebook, docs):
    from pipeline.classify.run import build_coder
    from pipeline.classify.settings import ClassifySettings

    passages, labels, vectors, _ = docs
    codings = {p.id: codes for p, codes in zip(passages, labels, strict=True)}
    settings = ClassifySettings(
        method="supervised", min_examples_per_code=3, text_weights=[1.0], context_weights=[1.0]
    )
    coder = build_coder(settings, embedder, tiny_codebook, passages, vectors, codings)
    assert coder.uses_context_ and coder.hyper_.text_weight == 1.0
    assert coder.cv_groups_ == 27  # one group per document
    assert coder.cv_metrics_["I1"]["f1"] > 0.9
    plain = build_coder(
        ClassifySettings(method="supervised", min_examples_per_code=3),
        embedder, tiny_codebook, passages, vectors, codings,
    )
    assert not plain.uses_text_


@pytest.mark.parametrize("weights", [[], [-1.0]])
def test_run_settings_check_the_weights(weights):
    from pydantic import ValidationError

    from pipeline.classify.settings import ClassifySettings

    with pytest.raises(ValidationError, match="context_weights"):
        ClassifySettings(context_weights=weights)


def test_a_coder_saved_before_context_blocks_still_scores(embedder, tiny_codebook, docs):
    """Coders pickled by the previous version kept a bare vectorizer in ``text_``."""
    passages, labels, vectors, groups = docs
    coder = _coder(embedder, tiny_codebook, text_weights=(1.0,))
    coder.fit(passages, labels, vectors=vectors, groups=groups)
    expected = coder.decision_scores(vectors, passages)
    coder.text_ = coder.text_.own  # the state as the previous version saved it
    assert coder.uses_text_ and not coder.uses_context_
    np.testing.assert_array_equal(coder.decision_scores(vectors, passages), expected)
