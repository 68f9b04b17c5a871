"""Frozen clusterer beyond cluster.max_fit_passages: fitted on a seeded sample, the rest assigned."""

from collections import Counter
from pathlib import Path

import numpy as np

import pipeline.cluster.frozen as frozen
from pipeline.classify.suggestion import Suggestion
from pipeline.cluster import ClusterSettings, find_candidates
from pipeline.cluster.adopt import write_candidates
from pipeline.cluster.frozen import Prototypes, frozen_candidates, load_state
from pipeline.cluster.records import result_from_store, result_to_store
from pipeline.cluster.report import render_candidates_section
from pipeline.codebook import load_codebook
from pipeline.segment.passage import Passage
from tests.cluster.conftest import make_blobs

REPO = Path(__file__).resolve().parents[2]
BOOK = REPO / "configs" / "codebooks" / "soe-assistance.yaml"
WORDS = [("光伏", "电站"), ("茶叶", "茶农"), ("直播", "电商"), ("公路", "饮水"), ("学校", "教师")]
CODED = {3, 4}  # blobs with a confident code; blobs 0-2 are uncoded
PER_BLOB = 60  # 300 passages
CAP = 60
SETTINGS = ClusterSettings(min_cluster_size=4, n_neighbors=8, keywords=5, max_fit_passages=CAP)


class Corpus:
    """Five blobs in 16-d, one passage per document; records every embed call."""

    def __init__(self, per_blob: int = PER_BLOB, seed: int = 0) -> None:
        self.centers = np.eye(16)[:5]
        self.rng = np.random.default_rng(seed + 7)
        vectors, truth = make_blobs(self.centers, per_blob, 0.05, seed)
        self.passages, self.suggestions, self.vectors, self.blob = [], [], {}, {}
        self.calls: list[list[str]] = []
        for i, (vec, blob) in enumerate(zip(vectors, truth, strict=True)):
            self.add(int(blob), vec, f"第{i}段")

    def add(self, blob: int, vector: np.ndarray, tag: str) -> str:
        doc = f"doc{len(self.passages):04d}"
        text = f"{WORDS[blob][0]}{WORDS[blob][1]}{tag}"
        pid = Passage.make_id(doc, 0, len(text))
        self.passages.append(
            Passage(pid, doc, 0, len(text), text, "zh", 0, tokens=(*WORDS[blob], tag))
        )
        self.vectors[pid], self.blob[pid] = np.asarray(vector, dtype=np.float64), blob
        coded = blob in CODED
        code = "A13" if coded else "A20"
        self.suggestions.append(Suggestion(pid, code, 0.9, 1, "initial", "zero-shot", "t", coded))
        return pid

    def add_near(self, blob: int) -> str:
        noise = 0.05 * self.rng.standard_normal(16)
        return self.add(blob, self.centers[blob] + noise, f"新{len(self.passages)}")

    def embed(self, passages) -> np.ndarray:
        self.calls.append([p.id for p in passages])
        return np.array([self.vectors[p.id] for p in passages]).reshape(len(passages), -1)

    def prototypes(self) -> Prototypes:
        codes = np.zeros((2, 16))
        codes[0, 3], codes[1, 4] = 1.0, 1.0
        return Prototypes(codes, ("A13", "A20"))

    def uncoded(self) -> set[str]:
        return {p.id for p in self.passages if self.blob[p.id] not in CODED}

    def run(self, folder: Path, settings: ClusterSettings = SETTINGS, seed: int = 0):
        return frozen_candidates(
            folder,
            "k1",
            self.passages,
            self.suggestions,
            settings,
            seed,
            embed=self.embed,
            prototypes=self.prototypes,
        )


def _members(result) -> dict[str, set[str]]:
    return {c.id: set(c.passage_ids) for c in result.candidates}


def test_a_sampled_fit_gives_every_uncoded_passage_a_candidate_or_the_outliers(tmp_path):
    corpus = Corpus()
    result = corpus.run(tmp_path / "c")
    assert (result.fit.sample, result.fit.sampled_from) == (CAP, 5 * PER_BLOB)
    assert 0 < result.fit.fitted_passages < len(corpus.uncoded())
    members = _members(result)
    placed = [pid for m in members.values() for pid in m] + list(result.outliers)
    assert sorted(placed) == sorted(corpus.uncoded())  # each exactly once
    assert len(members) == 3
    for m in members.values():
        assert len({corpus.blob[pid] for pid in m}) == 1  # clusters stay pure
    assert len(result.outliers) < 0.1 * len(corpus.uncoded())
    assert all(c.density_novelty is not None for c in result.candidates)
    state = load_state(tmp_path / "c", "k1")
    assert state.sampled and state.vectors.shape == (CAP, 16)
    assert state.reference.tolist() == sorted(state.reference.tolist())
    assert len(state.pool) == len(corpus.uncoded()) and len(state.keys) == 5 * PER_BLOB


def test_embed_is_asked_in_bounded_slices_and_no_pool_vectors_are_held(tmp_path, monkeypatch):
    monkeypatch.setattr(frozen, "EMBED_SLICE", 25)
    corpus = Corpus()
    result = corpus.run(tmp_path / "c")
    sizes = [len(call) for call in corpus.calls]
    assert max(sizes) <= 25
    embedded = Counter(pid for call in corpus.calls for pid in call)
    state = load_state(tmp_path / "c", "k1")
    sample = {corpus.passages[i].id for i in state.reference.tolist()}
    clustered = {pid for m in _members(result).values() for pid in m}
    # every passage once (the sample to fit, the rest to place); a clustered passage
    # outside the sample twice more: the centroids' sums, then its cosines (its vector
    # is not kept between the passes)
    assert embedded == {p.id: 3 if p.id in clustered - sample else 1 for p in corpus.passages}
    corpus.calls.clear()
    corpus.add_near(0)
    corpus.run(tmp_path / "c")
    assert max(len(call) for call in corpus.calls) <= 25


def test_a_sampled_fit_is_deterministic_under_the_seed(tmp_path):
    book = load_codebook(BOOK)
    texts = []
    for run in ("a", "b"):
        result = Corpus().run(tmp_path / run / "k1")
        texts.append(write_candidates(result, book, tmp_path / f"{run}.yaml").read_text("utf-8"))
    assert texts[0] == texts[1]
    other = Corpus().run(tmp_path / "seed1" / "k1", seed=1)
    assert other.fit.fit_id != Corpus().run(tmp_path / "seed0" / "k1").fit.fit_id
    sample = {s: load_state(tmp_path / f"seed{s}" / "k1", "k1").reference for s in (0, 1)}
    assert sample[0].tolist() != sample[1].tolist()


def test_the_same_input_is_unchanged_and_a_small_change_is_assigned(tmp_path):
    corpus = Corpus()
    fitted = corpus.run(tmp_path / "c")
    corpus.calls.clear()
    again = corpus.run(tmp_path / "c")
    assert again == fitted  # the saved fit reused: nothing assigned, nothing left
    reference = set(load_state(tmp_path / "c", "k1").reference.tolist())
    wanted = {p.id for i, p in enumerate(corpus.passages) if i not in reference} & corpus.uncoded()
    assert {pid for call in corpus.calls for pid in call} == wanted  # only vectors not kept

    new = [corpus.add_near(0) for _ in range(3)]
    gone = sorted(_members(fitted)["C01"])[:2]
    corpus.passages = [p for p in corpus.passages if p.id not in gone]
    corpus.suggestions = [s for s in corpus.suggestions if s.passage_id not in gone]
    result = corpus.run(tmp_path / "c")
    assert result.fit.fit_id == fitted.fit.fit_id
    assert (result.fit.assigned, result.fit.left) == (3, 2)
    solar = next(cid for cid, m in _members(fitted).items() if corpus.blob[next(iter(m))] == 0)
    assert set(new) <= _members(result)[solar]


def test_too_many_new_passages_refit_on_a_new_sample(tmp_path):
    corpus = Corpus()
    fitted = corpus.run(tmp_path / "c")
    pool = len(corpus.uncoded())
    for _ in range(int(0.2 * pool) + 1):
        corpus.add_near(2)
    result = corpus.run(tmp_path / "c")
    assert result.fit.fit_id != fitted.fit.fit_id and result.fit.assigned == 0
    assert result.fit.sampled_from == len(corpus.passages)


def test_below_the_cap_every_passage_is_clustered_as_a_full_fit(tmp_path):
    corpus = Corpus(per_blob=12)
    settings = SETTINGS.model_copy(update={"max_fit_passages": 60})  # exactly the passages
    result = corpus.run(tmp_path / "c", settings)
    assert (result.fit.sample, result.fit.sampled_from) == (0, 0)
    assert result.fit.fitted_passages == len(corpus.uncoded())
    assert [len(call) for call in corpus.calls] == [len(corpus.passages)]
    vectors = corpus.embed(corpus.passages)
    codes = corpus.prototypes().codes
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    known = np.array([corpus.blob[p.id] in CODED for p in corpus.passages])
    full = find_candidates(
        corpus.passages,
        vectors,
        codes,
        ("A13", "A20"),
        settings,
        0,
        suggestions=corpus.suggestions,
        reference_similarities=(unit @ codes.T).max(axis=1)[known],
    )
    assert result.candidates == full.candidates and result.outliers == full.outliers


def test_the_yaml_the_report_and_the_store_say_the_fit_was_on_a_sample(tmp_path):
    result = Corpus().run(tmp_path / "c")
    text = write_candidates(result, load_codebook(BOOK), tmp_path / "c.yaml").read_text("utf-8")
    assert "seeded sample of 60 of the 300" in text
    assert "sample: 60" in text and "sampled_from: 300" in text
    assert "seeded sample of 60 of the 300 passages" in render_candidates_section(result)
    assert result_from_store(*result_to_store(result)) == result


def test_a_sample_with_too_few_uncoded_passages_leaves_them_outliers(tmp_path):
    corpus = Corpus(per_blob=12)  # 36 uncoded passages of 60, about 12 in a sample of 20
    settings = SETTINGS.model_copy(update={"max_fit_passages": 20, "min_cluster_size": 30})
    result = corpus.run(tmp_path / "c", settings)
    assert result.candidates == () and set(result.outliers) == corpus.uncoded()
    assert not (tmp_path / "c").exists()


def test_streamed_geometry_equals_the_geometry_of_the_whole_matrix():
    from pipeline.cluster.candidates import member_geometry
    from pipeline.cluster.novelty import normalize_rows

    rng = np.random.default_rng(5)
    vecs = normalize_rows(rng.standard_normal((203, 16)))
    codes = normalize_rows(rng.standard_normal((7, 16)))
    labels = rng.integers(-1, 6, size=203)
    labels[labels == 3] = 4  # a label without members keeps a zero centroid

    def slices(positions):
        for lo in range(0, len(positions), 17):  # out of order: slices reversed
            part = positions[::-1][lo : lo + 17]
            yield part, vecs[part]

    got = frozen.streamed_geometry(labels, slices, codes)
    want = member_geometry(vecs, labels, codes)
    np.testing.assert_allclose(got.centroids, want.centroids, atol=1e-12)
    np.testing.assert_allclose(got.central, want.central, atol=1e-12)
    np.testing.assert_allclose(got.best, want.best, atol=1e-12)
    assert not got.centroids[3].any() and not got.central[labels == -1].any()
