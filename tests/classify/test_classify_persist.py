"""save_coder / load_coder: model card contents and the checks on loading."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.classify import SupervisedCoder, ZeroShotCoder, load_coder, read_codings, save_coder
from pipeline.codebook import codebook_from_dict
from pipeline.embed.testing import HashingTestEmbedder
from pipeline.errors import ClassifyError, ModelError


@pytest.fixture
def trained(embedder, tiny_codebook, labelled):
    texts, labels = labelled
    labels = [codes - {"I4"} for codes in labels]
    coder = SupervisedCoder(embedder, tiny_codebook, min_examples_per_code=3)
    return coder.fit(texts, labels)


def test_model_card_contents(trained, tmp_path, tiny_codebook, embedder):
    folder = save_coder(trained, tmp_path)
    assert folder.parent == tmp_path / "tiny"
    assert {p.name for p in folder.iterdir()} == {
        "coder.joblib",
        "model_card.json",
        "MODEL_CARD.md",
    }
    card = json.loads((folder / "model_card.json").read_text())
    assert card["codebook_hash"] == tiny_codebook.hash
    assert card["embedder_id"] == embedder.id
    assert card["training_data_hash"] == trained.training_hash_
    assert card["labelled_counts"] == {"I1": 3, "I2": 3, "I3": 3, "I4": 0}
    assert card["fallback_codes"] == ["I4"]
    assert set(card["cv_metrics"]) == {"I1", "I2", "I3"}
    assert card["C"] in trained.Cs and card["embedding_weight"] in trained.embedding_weights
    assert card["thresholds"]["I4"] == pytest.approx(float(trained.thresholds_[3]), abs=1e-6)
    assert "I4" in (folder / "MODEL_CARD.md").read_text()


def test_round_trip_gives_identical_scores(trained, tmp_path, tiny_codebook, embedder):
    vectors = embedder.encode(["茶园采茶", "直播带货", "教师培训"])
    loaded = load_coder(save_coder(trained, tmp_path), embedder, tiny_codebook)
    np.testing.assert_array_equal(loaded.decision_scores(vectors), trained.decision_scores(vectors))
    assert trained.embedder is embedder  # saving did not detach the live coder


def test_zero_shot_coder_round_trip(tmp_path, tiny_codebook, embedder):
    coder = ZeroShotCoder(embedder, tiny_codebook).fit()
    loaded = load_coder(save_coder(coder, tmp_path), embedder, tiny_codebook)
    assert loaded.suggest(["鱼塘"]) == coder.suggest(["鱼塘"])


def test_codebook_hash_mismatch_is_model_error(trained, tmp_path, embedder, tiny_dict):
    changed = {**tiny_dict, "version": "2"}
    with pytest.raises(ModelError, match="codebook_hash"):
        load_coder(save_coder(trained, tmp_path), embedder, codebook_from_dict(changed))


def test_embedder_mismatch_is_model_error(trained, tmp_path, tiny_codebook):
    with pytest.raises(ModelError, match="embedder_id"):
        load_coder(save_coder(trained, tmp_path), HashingTestEmbedder(dim=64), tiny_codebook)


def test_missing_folder_is_model_error(tmp_path, tiny_codebook, embedder):
    with pytest.raises(ModelError, match="no trained coder"):
        load_coder(tmp_path / "nothing", embedder, tiny_codebook)


def test_read_codings_accepts_and_rejects(tmp_path):
    path = tmp_path / "codings.csv"
    path.write_text(
        "passage_id,code_id,decision\np1,A01,accept\np1,A02,reject\np2,A03,reject\np3,A04,\n",
        encoding="utf-8",
    )
    assert read_codings(path) == {"p1": {"A01"}, "p2": set(), "p3": {"A04"}}


def test_read_codings_errors_name_line_and_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("passage_id,code_id,decision\np1,A01,maybe\n", encoding="utf-8")
    with pytest.raises(ClassifyError, match="line 2"):
        read_codings(bad)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("unit_name,code_id\np1,A01\n", encoding="utf-8")
    with pytest.raises(ClassifyError, match="passage_id"):
        read_codings(wrong)


def test_text_feature_coder_round_trip(tmp_path, tiny_codebook, embedder):
    """A coder reading the passage text saves its TF-IDF vocabulary and scores alike."""
    rng = np.random.default_rng(0)
    filler = "river stone cloud paper lamp field market window".split()
    markers = [("alpha", {"I1"}), ("omega", {"I3"}), (None, set())]
    texts, labels = [], []
    for i in range(30):
        marker, codes = markers[i % 3]
        texts.append(" ".join([*rng.choice(filler, 3), *([marker] if marker else [])]))
        labels.append(codes)
    vectors = rng.normal(size=(len(texts), embedder.dim)).astype(np.float32)
    coder = SupervisedCoder(embedder, tiny_codebook, min_examples_per_code=3, text_weights=(1.0,))
    coder.fit(texts, labels, vectors=vectors, groups=[i // 3 for i in range(30)])
    folder = save_coder(coder, tmp_path)
    card = json.loads((folder / "model_card.json").read_text())
    assert card["text_weight"] == 1.0 and card["cv_groups"] == 10
    assert "text features: weight 1.0" in (folder / "MODEL_CARD.md").read_text()
    loaded = load_coder(folder, embedder, tiny_codebook)
    assert loaded.uses_text_
    np.testing.assert_array_equal(
        loaded.decision_scores(vectors, texts), coder.decision_scores(vectors, texts)
    )
    assert loaded.suggest(texts[:4], vectors[:4]) == coder.suggest(texts[:4], vectors[:4])
    with pytest.raises(ClassifyError, match="only vectors"):
        loaded.decision_scores(vectors)


def test_card_of_a_coder_without_text_features(trained, tmp_path):
    folder = save_coder(trained, tmp_path)
    card = json.loads((folder / "model_card.json").read_text())
    assert card["text_weight"] == 0.0 and card["cv_groups"] == 0
    assert "text features: no" in (folder / "MODEL_CARD.md").read_text()
