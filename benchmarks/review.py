"""Review app latency with 100,000 passages and their suggestions in the SQLite store.

    python -m benchmarks.review [--passages 100000] [--requests 300]

Builds a store of generated documents (demo sentences recombined, seeded) with five
initial-level suggestions per passage, serves the review app with uvicorn on
loopback, signs a coder in, and then, like a coder working through the queue,
repeats: fetch the next passage page (most-uncertain-first), record a decision.
Writes ``benchmarks/results/review.json`` with ``passages_in_store``,
``next_passage_p95_ms`` (bar: <= 100) and ``decision_p95_ms`` (bar: <= 50).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, serve_on_loopback, write_results
from benchmarks.run import demo_sentences

PER_DOC = 100


def build_store(url: str, n: int, seed: int, book) -> None:
    from pipeline.classify.suggestion import Suggestion
    from pipeline.corpus.document import Document
    from pipeline.segment.passage import Passage
    from pipeline.store import open_store

    rng = random.Random(seed)
    pools = demo_sentences()["zh"]
    leaves = [c.id for c in book.codes if c.codable]
    with open_store(url) as store:
        for d in range(n // PER_DOC):
            doc_id = f"gen-{d:05d}"
            sentences = [rng.choice(pools) for _ in range(PER_DOC)]
            text = "\n".join(sentences)
            passages, start = [], 0
            for i, sentence in enumerate(sentences):
                end = start + len(sentence)
                passages.append(Passage(f"{doc_id}:{start}-{end}", doc_id, start, end, sentence,
                                        "zh", i))
                start = end + 1
            meta = {"edition": f"蓝皮书{2019 + d % 6}", "arena": ("industrial", "talent")[d % 2]}
            store.replace_document(Document(doc_id, "case", "zh", text, meta), passages, "bench")
            rows = []
            for p in passages:
                codes = rng.sample(leaves, 5)
                scores = sorted((rng.random() for _ in codes), reverse=True)
                rows += [Suggestion(p.id, c, s, r + 1, "initial", "zero-shot", "bench-model",
                                    s > 0.5) for r, (c, s) in enumerate(zip(codes, scores, strict=True))]
            store.replace_suggestions([p.id for p in passages], rows, book.hash, "bench-model")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    import httpx

    from pipeline.codebook import load_codebook
    from pipeline.config import config_from_dict
    from pipeline.review.app import ReviewSettings, create_app
    from pipeline.store import open_store

    book_path = ROOT / "configs" / "codebooks" / "soe-assistance.yaml"
    book = load_codebook(book_path)
    with tempfile.TemporaryDirectory(prefix="gc-bench-review-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'review.db'}"
        started = time.perf_counter()
        build_store(url, args.passages, args.seed, book)
        build_seconds = time.perf_counter() - started
        config = config_from_dict({"corpus": {"path": tmp}, "codebook": str(book_path),
                                   "store": url, "output": tmp}, base=ROOT, source="<bench>")
        store = open_store(url)
        started = time.perf_counter()
        app = create_app(store, config, book, ReviewSettings(retrain_every=0))
        startup_seconds = time.perf_counter() - started
        next_ms, decide_ms = [], []
        with serve_on_loopback(app) as base, httpx.Client(base_url=base,
                                                          follow_redirects=False) as client:
            login = client.get("/login").text
            token = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
            client.post("/login", data={"coder": "bench", "csrf": token})
            for _ in range(args.requests):
                t0 = time.perf_counter()
                page = client.get("/review?strategy=uncertain")
                next_ms.append((time.perf_counter() - t0) * 1000)
                assert page.status_code == 200
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                found = re.search(r'data-passage="([^"]+)"', page.text)
                assert found, page.text[-1500:]
                passage = found.group(1)
                code = re.search(r'data-code="([^"]+)"', page.text).group(1)
                t0 = time.perf_counter()
                done = client.post("/decide", data={"csrf": csrf, "passage_id": passage,
                                                    "action": "accept", "code": code,
                                                    "back": "/review?strategy=uncertain"})
                decide_ms.append((time.perf_counter() - t0) * 1000)
                assert done.status_code == 303
        decisions = len(store.codings.decisions("bench"))
        counts = store.counts()
        store.close()
    results = {
        "passages_in_store": counts["passages"],
        "suggestions_in_store": counts["suggestions"],
        "requests": args.requests,
        "decisions_recorded": decisions,
        "next_passage_p50_ms": round(float(np.percentile(next_ms, 50)), 2),
        "next_passage_p95_ms": round(float(np.percentile(next_ms, 95)), 2),
        "decision_p50_ms": round(float(np.percentile(decide_ms, 50)), 2),
        "decision_p95_ms": round(float(np.percentile(decide_ms, 95)), 2),
        "app_startup_seconds": round(startup_seconds, 2),
        "store_build_seconds": round(build_seconds, 1),
        "seed": args.seed,
    }
    path = write_results("review", results)
    print(json.dumps(results, indent=2))
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
