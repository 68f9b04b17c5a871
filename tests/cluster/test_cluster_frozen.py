"""Frozen clusterer: fitted once, new passages assigned, refit when too many are new."""

from pathlib import Path

import numpy as np
import pytest

from pipeline.classify.suggestion import Suggestion
from pipeline.cluster import ClusterSettings, KnownDensityNovelty
from pipeline.cluster.adopt import write_candidates
from pipeline.cluster.frozen import (
    ClusterStateWarning,
    Prototypes,
    assign_labels,
    cluster_key,
    frozen_candidates,
    load_state,
)
from pipeline.cluster.novelty import known_density_of
from pipeline.codebook import load_codebook
from pipeline.errors import ClusterError
from pipeline.segment.passage import Passage
from tests.cluster.conftest import make_blobs

REPO = Path(__file__).resolve().parents[2]
BOOK = REPO / "configs" / "codebooks" / "soe-assistance.yaml"
VILLAGES = ["东坡村", "南山村", "石门村", "柳溪村", "青岗村", "白沙村", "红岩村", "梨园村"]
TEMPLATES = [
    "{v}在荒坡上建设光伏电站，发电收益用于村集体经济和公益岗位。",
    "{v}引进高山茶叶品种，组织茶农学习采摘和制茶技术。",
    "企业帮助{v}开设电商直播间，培训村民直播带货。",
    "{v}修建乡村公路和饮水工程，改善基础设施条件。",  # the coded blob
]
SETTINGS = ClusterSettings(min_cluster_size=4, n_neighbors=8, keywords=5)  # blobs > k
PER_BLOB = 12


class Corpus:
    """Blob vectors keyed by passage; one document per passage; blob 3 is coded."""

    def __init__(self, centers: np.ndarray, seed: int = 0) -> None:
        self.centers = centers
        self.rng = np.random.default_rng(seed + 100)
        vectors, truth = make_blobs(centers, PER_BLOB, 0.05, seed)
        self.passages, self.vectors, self.suggestions = [], {}, []
        self.documents = 0
        for i, (vec, blob) in enumerate(zip(vectors, truth, strict=True)):
            self.add(TEMPLATES[blob].format(v=VILLAGES[i % 8]), vec, coded=blob == 3)
        self.embedded: list[list[str]] = []

    def add(self, text: str, vector: np.ndarray, coded: bool = False) -> str:
        doc = f"doc{self.documents:03d}"
        self.documents += 1
        pid = Passage.make_id(doc, 0, len(text))
        self.passages.append(Passage(pid, doc, 0, len(text), text, "zh", paragraph=0))
        self.vectors[pid] = np.asarray(vector, dtype=np.float64)
        code, accepted = ("A13", True) if coded else ("A20", False)
        self.suggestions.append(
            Suggestion(pid, code, 0.9, 1, "initial", "zero-shot", "t", accepted)
        )
        return pid

    def add_near(self, blob: int, text: str) -> str:
        vec = self.centers[blob] + 0.05 * self.rng.standard_normal(self.centers.shape[1])
        return self.add(text, vec)

    def remove(self, pids: set[str]) -> None:
        self.passages = [p for p in self.passages if p.id not in pids]
        self.suggestions = [s for s in self.suggestions if s.passage_id not in pids]

    def embed(self, passages) -> np.ndarray:
        self.embedded.append([p.id for p in passages])
        return np.array([self.vectors[p.id] for p in passages]).reshape(len(passages), -1)

    def prototypes(self) -> Prototypes:
        codes = np.zeros((2, self.centers.shape[1]))
        codes[0, 3], codes[0, 0] = 1.0, 0.2  # A13: the coded blob
        codes[1, 1], codes[1, 5] = 1.0, 0.4  # A20: near the tea blob
        return Prototypes(codes, ("A13", "A20"))

    def run(self, folder: Path, settings: ClusterSettings = SETTINGS, refit: bool = False):
        return frozen_candidates(
            folder,
            "k1",
            self.passages,
            self.suggestions,
            settings,
            0,
            embed=self.embed,
            prototypes=self.prototypes,
            refit=refit,
        )


@pytest.fixture
def corpus(unit_centers) -> Corpus:
    return Corpus(unit_centers)


def _members(result) -> dict[str, set[str]]:
    return {c.id: set(c.passage_ids) for c in result.candidates}


def _blob_of(corpus: Corpus, pid: str) -> int:
    return int(np.argmax(corpus.centers @ corpus.vectors[pid]))


def test_first_run_fits_and_saves_the_clusters(corpus, tmp_path):
    result = corpus.run(tmp_path / "c")
    assert len(result.candidates) == 3 and result.outliers == ()
    for members in _members(result).values():
        assert len({_blob_of(corpus, pid) for pid in members}) == 1
    assert result.fit.fitted_passages == 3 * PER_BLOB
    assert (result.fit.assigned, result.fit.left) == (0, 0)
    assert (tmp_path / "c" / "state.json").is_file() and (tmp_path / "c" / "arrays.npz").is_file()
    assert len(corpus.embedded) == 1 and len(corpus.embedded[0]) == 4 * PER_BLOB


def test_new_passages_join_their_candidate_far_ones_stay_outliers_removed_ones_leave(
    corpus, tmp_path
):
    fitted = corpus.run(tmp_path / "c")
    before = _members(fitted)
    solar = next(cid for cid, m in before.items() if _blob_of(corpus, next(iter(m))) == 0)
    tea = next(cid for cid, m in before.items() if _blob_of(corpus, next(iter(m))) == 1)
    near = [corpus.add_near(0, f"新建光伏电站{i}号，发电收益分红。") for i in range(2)]
    far = corpus.add("与任何主题都无关的一段话。", np.eye(corpus.centers.shape[1])[11], coded=False)
    gone = set(sorted(before[tea])[:3])
    corpus.remove(gone)
    corpus.embedded.clear()

    result = corpus.run(tmp_path / "c")
    after = _members(result)
    assert set(after) == set(before)  # same ids
    assert after[solar] == before[solar] | set(near)
    assert after[tea] == before[tea] - gone
    for cid in set(before) - {solar, tea}:
        assert after[cid] == before[cid]
    assert result.outliers == (far,)
    assert result.fit.fit_id == fitted.fit.fit_id
    assert (result.fit.fitted_passages, result.fit.assigned, result.fit.left) == (36, 3, 3)
    assert corpus.embedded == [[*near, far]]  # only the passages the fit never saw
    tea_candidate = next(c for c in result.candidates if c.id == tea)
    assert not gone & {r.passage_id for r in tea_candidate.representatives}


def test_a_candidate_whose_passages_all_left_is_dropped_without_renumbering(corpus, tmp_path):
    before = _members(corpus.run(tmp_path / "c"))
    corpus.remove(before["C01"])
    after = _members(corpus.run(tmp_path / "c"))
    assert set(after) == set(before) - {"C01"}
    assert all(after[cid] == before[cid] for cid in after)


def test_too_many_new_passages_refit(corpus, tmp_path):
    fitted = corpus.run(tmp_path / "c")
    new = [corpus.add_near(2, f"直播带货第{i}场，土特产热销。") for i in range(8)]  # 8 > 0.2 * 36
    result = corpus.run(tmp_path / "c")
    assert result.fit.fit_id != fitted.fit.fit_id
    assert (result.fit.fitted_passages, result.fit.assigned) == (36 + len(new), 0)
    assert load_state(tmp_path / "c", "k1").fit_id == result.fit.fit_id  # the new fit is saved


def test_a_larger_refit_share_keeps_assigning(corpus, tmp_path):
    settings = SETTINGS.model_copy(update={"refit_share": 0.5})
    fitted = corpus.run(tmp_path / "c", settings)
    for i in range(8):
        corpus.add_near(2, f"直播带货第{i}场，土特产热销。")
    result = corpus.run(tmp_path / "c", settings)
    assert result.fit.fit_id == fitted.fit.fit_id and result.fit.assigned == 8


def test_refit_true_fits_afresh(corpus, tmp_path):
    fitted = corpus.run(tmp_path / "c")
    corpus.add_near(0, "新建光伏电站，发电收益分红。")
    result = corpus.run(tmp_path / "c", refit=True)
    assert result.fit.fitted_passages == 37 and result.fit.assigned == 0
    assert result.fit.fit_id != fitted.fit.fit_id


def test_the_key_covers_what_the_fit_depends_on():
    base = cluster_key(SETTINGS, 0, "coder-a", "emb", "book")
    assert base == cluster_key(SETTINGS, 0, "coder-a", "emb", "book")
    described = SETTINGS.model_copy(update={"keywords": 3, "refit_share": 0.9})
    assert cluster_key(described, 0, "coder-a", "emb", "book") == base
    for other in (
        cluster_key(SETTINGS.model_copy(update={"n_neighbors": 9}), 0, "coder-a", "emb", "book"),
        cluster_key(SETTINGS, 1, "coder-a", "emb", "book"),
        cluster_key(SETTINGS, 0, "coder-b", "emb", "book"),
        cluster_key(SETTINGS, 0, "coder-a", "emb2", "book"),
        cluster_key(SETTINGS, 0, "coder-a", "emb", "book2"),
    ):
        assert other != base


def _yaml(result, path: Path) -> str:
    write_candidates(result, load_codebook(BOOK), path)
    return path.read_text("utf-8")


def test_runs_are_deterministic_and_a_reuse_equals_its_fit(unit_centers, tmp_path):
    texts = []
    for run in ("a", "b"):
        corpus = Corpus(unit_centers)
        folder = tmp_path / run / "k1"
        fit = _yaml(corpus.run(folder), tmp_path / f"{run}-fit.yaml")
        reuse = _yaml(corpus.run(folder), tmp_path / f"{run}-reuse.yaml")
        assert reuse == fit
        corpus.add_near(1, "茶叶合作社扩大种植面积。")
        corpus.remove({corpus.passages[0].id})
        texts.append(_yaml(corpus.run(folder), tmp_path / f"{run}-incr.yaml"))
    assert texts[0] == texts[1]
    assert "assigned_since: 1" in texts[0] and "left_since: 1" in texts[0]


@pytest.mark.parametrize("damage", ["truncate-arrays", "garbage-json", "missing-arrays"])
def test_unusable_saved_state_is_refitted_with_a_warning(corpus, tmp_path, damage):
    clean = corpus.run(tmp_path / "clean" / "k1")
    corpus.run(tmp_path / "c")
    arrays, meta = tmp_path / "c" / "arrays.npz", tmp_path / "c" / "state.json"
    if damage == "truncate-arrays":
        arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])
    elif damage == "garbage-json":
        meta.write_text("{not json", "utf-8")
    else:
        arrays.unlink()
    with pytest.raises(ClusterError):
        load_state(tmp_path / "c", "k1")
    with pytest.warns(ClusterStateWarning, match="fitting the candidate clusters again"):
        result = corpus.run(tmp_path / "c")
    assert result == clean
    assert load_state(tmp_path / "c", "k1").fit_id == clean.fit.fit_id  # repaired


@pytest.mark.parametrize("name", ["arrays.npz", "vectors.npy"])
def test_a_damaged_array_is_caught_by_its_checksum(corpus, tmp_path, name):
    corpus.run(tmp_path / "c")
    path = tmp_path / "c" / name
    data = bytearray(path.read_bytes())
    second = data.find(b"\x93NUMPY", data.index(b"\x93NUMPY") + 1)  # npz: "best"
    start = (second if second > 0 else 0) + 140  # just past the 128-byte header
    data[start] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ClusterError, match="checksum|CRC|cannot read"):
        load_state(tmp_path / "c", "k1")


def test_a_new_key_replaces_the_old_state(corpus, tmp_path):
    corpus.run(tmp_path / "clusters" / "old")
    frozen_candidates(
        tmp_path / "clusters" / "new",
        "k2",
        corpus.passages,
        corpus.suggestions,
        SETTINGS,
        1,
        embed=corpus.embed,
        prototypes=corpus.prototypes,
    )
    assert [p.name for p in (tmp_path / "clusters").iterdir()] == ["new"]
    assert load_state(tmp_path / "clusters" / "new", "k2") is not None


def test_a_state_saved_for_another_key_is_not_used(corpus, tmp_path):
    corpus.run(tmp_path / "c")
    with pytest.raises(ClusterError, match="other settings"):
        load_state(tmp_path / "c", "k2")
    assert load_state(tmp_path / "missing", "k1") is None


def test_density_of_a_query_matches_the_pool_score(unit_centers):
    vectors, truth = make_blobs(unit_centers, 15, 0.1, seed=3)
    known = truth == 3
    fitted = KnownDensityNovelty().fit(vectors, known)
    rows = np.arange(0, len(vectors), 7)
    again = known_density_of(vectors[rows], vectors, known, fitted.ks_, self_rows=rows)
    np.testing.assert_allclose(again, fitted.novelty_[rows])
    far = known_density_of(np.eye(16)[[3]], vectors, known, fitted.ks_)
    near_new = known_density_of(np.eye(16)[[0]], vectors, known, fitted.ks_)
    assert far[0] < 0.5 < near_new[0]  # among coded passages vs. among uncoded ones


def test_neighbours_that_disagree_leave_a_passage_an_outlier():
    pool = np.eye(4)[[0, 0, 0, 1, 1, 1]] + 0.01 * np.arange(6)[:, None]
    pool = pool / np.linalg.norm(pool, axis=1, keepdims=True)
    labels = np.array([0, 0, 0, 1, 1, -1])
    kth = np.full(6, 2.0)
    between = np.array([[1.0, 1.0, 0.0, 0.0]]) / np.sqrt(2)
    assert assign_labels(between, pool, labels, kth, 6, 0.3).tolist() == [0]  # 3 vs 2 votes
    assert assign_labels(between, pool, labels, kth, 6, 0.6).tolist() == [-1]  # 3/6 < 0.6


@pytest.mark.slow
def test_run_reuses_its_clusters_and_export_reuses_them_too(tmp_path):
    import yaml

    from pipeline.engines.run import run_job
    from pipeline.report.export import export_from_store
    from tests.engines.run_helpers import add_case, copy_demo_corpus, demo_dict, make_config

    corpus = copy_demo_corpus(tmp_path / "corpus")
    data = demo_dict(tmp_path / "out", corpus={"path": str(corpus)})
    first = run_job(make_config(data), progress=False)
    path = first.output / "candidates.yaml"
    fitted = yaml.safe_load(path.read_text("utf-8"))
    assert fitted["clusters_fit"]["assigned_since"] == 0
    folders = list((first.output / "models" / "clusters").iterdir())
    assert len(folders) == 1 and (folders[0] / "state.json").is_file()

    add_case(corpus)
    run_job(make_config(data), progress=False)
    after = yaml.safe_load(path.read_text("utf-8"))
    assert after["clusters_fit"]["fit"] == fitted["clusters_fit"]["fit"]
    assert after["clusters_fit"]["fitted_passages"] == fitted["clusters_fit"]["fitted_passages"]
    assert [c["id"] for c in after["codes"]] == [c["id"] for c in fitted["codes"]]
    text = path.read_text("utf-8")
    export_from_store(make_config(data), only=("candidates",))
    assert path.read_text("utf-8") == text
