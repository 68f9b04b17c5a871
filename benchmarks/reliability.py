"""Reliability: bad inputs, kill -9 and resume, two runs at once, concurrent reviewers.

    python -m benchmarks.reliability [--only fuzz,kill,concurrency,review,encoding,large]
        [--seed 11] [--fuzz 600] [--kills 24] [--kill-docs 4] [--pairs 4]
        [--coders 4] [--decisions 60] [--encoding 200] [--large-mb 30]
        [--large-seed 7] [--large-cache FOLDER]

Writes ``benchmarks/results/reliability.json``; a run with ``--only`` keeps the other
parts' figures from the previous file. Bars: ``tracebacks``,
``files_written_outside_output``, ``half_written_files``, ``concurrent_runs_corrupted``,
``mojibake_accepted`` and ``refused_without_offset`` are 0;
``kill_resume_identical`` equals ``kill_resume_runs``; ``review_decisions_stored``
equals ``review_decisions_sent``; ``large_file_peak_rss_mb`` ≤ 2,000 (the large part
can use a vector cache filled by an earlier run of the same file, ``--large-cache``,
since embedding 30 MB takes most of an hour on two cores). The logic lives in :mod:`benchmarks.reliability_lib`,
which ``tests/reliability`` runs with small counts.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, write_results

PARTS = ("fuzz", "kill", "concurrency", "review", "encoding", "large")


def optional(module: str, name: str):
    """``module.name`` written by another piece of work, or None when not there yet."""
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    except AttributeError:
        return None


def part_fuzz(args) -> dict:
    from benchmarks.reliability_lib.fuzz import fuzz

    return fuzz(args.seed, args.fuzz, subprocess_every=args.subprocess_every)


def part_kill(args) -> dict:
    from benchmarks.reliability_lib.runs import kill_resume

    return kill_resume(args.seed, args.kills, args.kill_docs,
                       faults=("embed:1", "classify:1"))


def part_concurrency(args) -> dict:
    from benchmarks.reliability_lib.runs import concurrent

    return concurrent(args.seed, args.pairs, args.kill_docs)


def part_review(args) -> dict:
    from benchmarks.reliability_lib.review import concurrent_decisions
    from benchmarks.reliability_lib.runs import make_project, run

    with tempfile.TemporaryDirectory(prefix="gc-review-") as tmp:
        project = make_project(Path(tmp) / "p", args.kill_docs)
        proc = run(project)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        return concurrent_decisions(project.config, args.coders, args.decisions, args.seed)


def part_encoding(args) -> dict:
    cases = optional("benchmarks.reliability_encoding", "encoding_cases")
    if cases is None:
        return {"encoding": "not available (benchmarks/reliability_encoding.py missing)"}
    return cases(args.seed, args.encoding)


def part_large(args) -> dict:
    measure = optional("benchmarks.large_file", "measure")
    if measure is None:
        return {"large": "not available (benchmarks/large_file.py missing)"}
    seed = args.seed if args.large_seed is None else args.large_seed
    figures = measure(args.large_mb, seed, cache=args.large_cache)
    write_results("large_file", figures)  # the same figures as benchmarks.large_file
    return figures


def machine() -> dict:
    return {"python": platform.python_version(), "system": platform.system(),
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg")
            else None}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS),
                        help="comma-separated parts: " + ", ".join(PARTS))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--fuzz", type=int, default=600, help="fuzz cases")
    parser.add_argument("--subprocess-every", type=int, default=20,
                        help="every n-th fuzz case runs the console script as a subprocess")
    parser.add_argument("--kills", type=int, default=24, help="runs killed at random moments")
    parser.add_argument("--kill-docs", type=int, default=4,
                        help="demo documents in the corpus of the kill/concurrency/review runs")
    parser.add_argument("--pairs", type=int, default=4, help="pairs of concurrent runs")
    parser.add_argument("--coders", type=int, default=4)
    parser.add_argument("--decisions", type=int, default=60, help="decisions per coder")
    parser.add_argument("--encoding", type=int, default=6000, help="encoding cases")
    parser.add_argument("--large-mb", type=float, default=30)
    parser.add_argument("--large-seed", type=int, help="seed of the large file (default --seed)")
    parser.add_argument("--large-cache", help="vector cache filled by an earlier run of the same "
                        "large file (see benchmarks.large_file --cache)")
    args = parser.parse_args(argv)
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")

    previous = RESULTS / "reliability.json"
    results = json.loads(previous.read_text(encoding="utf-8")) if previous.is_file() else {}
    results.setdefault("parts", {})
    for name in chosen:
        started = time.perf_counter()
        figures = globals()[f"part_{name}"](args)
        figures["elapsed_seconds"] = round(time.perf_counter() - started, 1)
        results["parts"][name] = figures
        print(name, json.dumps({k: v for k, v in figures.items() if not k.endswith("failures")},
                               ensure_ascii=False))
    counts = {"fuzz": {"cases": args.fuzz, "subprocess_every": args.subprocess_every},
              "kill": {"kills": args.kills, "docs": args.kill_docs},
              "concurrency": {"pairs": args.pairs, "docs": args.kill_docs},
              "review": {"coders": args.coders, "decisions_per_coder": args.decisions,
                         "docs": args.kill_docs},
              "encoding": {"cases": args.encoding},
              "large": {"mb": args.large_mb, "seed": args.large_seed or args.seed,
                        "prefilled_cache": bool(args.large_cache)}}
    results.setdefault("counts", {}).update({name: counts[name] for name in chosen})
    results.setdefault("seeds", {}).update({name: args.seed for name in chosen})
    results["seed"] = args.seed
    results["machine"] = machine()
    path = write_results("reliability", results)
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
