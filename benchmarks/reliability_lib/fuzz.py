"""Fuzz every ``groundcode`` command that reads a user file with generated bad inputs.

A case is one command on one folder holding a bad file (and the good files it needs);
it runs with cwd and HOME set to that folder, which sits alone in a sandbox parent.
Invariants per case (:meth:`~.sandbox.Outcome.problems`): exit code 0 or 2; on 2 one
message on stderr and no traceback; nothing created or modified outside the case's
folder (the repository and the sandbox parent are snapshotted before and after); no
``.*.tmp`` file left behind.

Runs go in-process (``pipeline.cli.main``) with a hash embedder in place of the model,
so a ``groundcode run`` case takes about a second; every ``subprocess_every``-th case
runs the installed console script instead, with the real embedder.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from benchmarks.reliability_lib import inputs
from benchmarks.reliability_lib.sandbox import (
    ROOT,
    Outcome,
    changed,
    leftover_temp_files,
    run_in_process,
    run_subprocess,
    snapshot,
)

CORPUS_KINDS = ("txt", "docx", "pdf", "csv", "xlsx", "jsonl")
TABLE = {"id_column": "case_id", "text_column": "text"}


class HashEmbedder:
    """Deterministic 64-dim unit vectors from a text's sha256 (fuzz runs only)."""

    id = "fuzz-hash@1"
    dim = 64

    def encode(self, texts) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass"))
                                  .digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), self.dim)


@contextlib.contextmanager
def fast_embedder():
    """``make_embedder`` builds :class:`HashEmbedder` whatever the config names."""
    from pipeline.embed import factory

    saved = factory._backend
    factory._backend = lambda settings: HashEmbedder()
    try:
        yield
    finally:
        factory._backend = saved


@contextlib.contextmanager
def no_server():
    """``groundcode review`` stops after building its app instead of serving forever."""
    import uvicorn

    saved = uvicorn.run
    uvicorn.run = lambda *a, **k: None
    try:
        yield
    finally:
        uvicorn.run = saved


# ---- case folders --------------------------------------------------------------------------
@dataclass
class Case:
    target: str
    mutation: str
    files: dict[str, bytes]  # path relative to the case folder -> content
    argv: list[str]
    in_process_only: bool = False  # review would serve forever as a subprocess

    def write(self, folder: Path) -> None:
        for rel, data in self.files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _entry(doc_id: str, file: str, **extra) -> dict:
    return {"id": doc_id, "file": file, "kind": "case", "lang": "zh", "year": 2024,
            "edition": "测试版", "reserved": False, **extra}


def _manifest(entries: list[dict]) -> bytes:
    return yaml.safe_dump({"corpus": "fuzz", "documents": entries},
                          allow_unicode=True, sort_keys=False).encode()


def corpus_files(bad_kind: str | None, bad: bytes | None) -> dict[str, bytes]:
    """corpus/ with one good case and (optionally) one bad file listed in the manifest."""
    files = {"corpus/good.txt": inputs.sample("txt")}
    entries = [_entry("good", "good.txt")]
    if bad_kind is not None:
        files[f"corpus/bad.{bad_kind}"] = bad
        extra = {"table": TABLE} if bad_kind in ("csv", "xlsx", "jsonl") else {}
        entries.append(_entry("bad", f"bad.{bad_kind}", **extra))
    files["corpus/manifest.yaml"] = _manifest(entries)
    return files


def config_dict(codings: bool = False) -> dict:
    data = {"seed": 7, "corpus": {"path": "corpus"}, "codebook": "book.yaml", "output": "out",
            "saturation": {"orders": 5}, "cluster": {"min_cluster_size": 2}}
    if codings:
        data["agreement"] = {"codings": ["codings.csv"], "bootstrap": 5}
    return data


def _yaml(data) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def base_files(codings: bool = False) -> dict[str, bytes]:
    files = corpus_files(None, None)
    files["book.yaml"] = inputs.sample("codebook")
    files["run.yaml"] = _yaml(config_dict(codings))
    return files


def traversal_manifest(rng: random.Random) -> bytes:
    target = rng.choice(["../../x.txt", "../../../../etc/passwd", "/etc/passwd",
                         "../" * 12 + "etc/hostname", "corpus/../../run.yaml", "~/x.txt",
                         "good.txt/../../../book.yaml", "nul\0.txt"])
    entries = [_entry("good", "good.txt"), _entry("evil", target)]
    if rng.random() < 0.3:
        entries.append(_entry("good", "good.txt"))  # duplicate id
    return _manifest(entries)


# ---- targets: (name, case builder) -------------------------------------------------------
def _bad_corpus(rng: random.Random) -> tuple[str, str, dict[str, bytes]]:
    kind = rng.choice(CORPUS_KINDS)
    mutation, data = inputs.mutate(rng, kind)
    return kind, mutation, corpus_files(kind, data)


def _bad_manifest(rng: random.Random) -> tuple[str, dict[str, bytes]]:
    files = corpus_files(None, None)
    if rng.random() < 0.4:
        files["corpus/manifest.yaml"] = traversal_manifest(rng)
        return "manifest_traversal", files
    mutation = rng.choice(inputs.for_kind("manifest"))
    files["corpus/manifest.yaml"] = mutation(rng, files["corpus/manifest.yaml"])
    return mutation.__name__, files


def t_ingest_dir(rng, store):
    kind, mutation, files = _bad_corpus(rng)
    return Case(f"ingest:{kind}", mutation, files, ["ingest", "corpus", "--out", "out", "-q"])


def t_ingest_file(rng, store):
    kind = rng.choice(("txt", "docx", "pdf"))
    mutation, data = inputs.mutate(rng, kind)
    return Case(f"ingest-file:{kind}", mutation, {f"bad.{kind}": data},
                ["ingest", f"bad.{kind}", "--out", "out", "-q"])


def t_ingest_manifest(rng, store):
    mutation, files = _bad_manifest(rng)
    return Case("ingest:manifest", mutation, files, ["ingest", "corpus", "--out", "out", "-q"])


def t_segment(rng, store):
    kind, mutation, files = _bad_corpus(rng)
    return Case(f"segment:{kind}", mutation, files, ["segment", "corpus", "--out", "out", "-q"])


def t_run_corpus(rng, store):
    kind, mutation, files = _bad_corpus(rng)
    files = {**base_files(), **files}
    return Case(f"run:{kind}", mutation, files, ["run", "run.yaml", "-q"])


def t_run_manifest(rng, store):
    mutation, files = _bad_manifest(rng)
    return Case("run:manifest", mutation, {**base_files(), **files}, ["run", "run.yaml", "-q"])


def t_run_config(rng, store):
    files = base_files()
    mutation = rng.choice(inputs.for_kind("config"))
    files["run.yaml"] = mutation(rng, files["run.yaml"])
    return Case("run:config", mutation.__name__, files, ["run", "run.yaml", "-q"])


def t_run_codebook(rng, store):
    files = base_files()
    mutation, files["book.yaml"] = inputs.mutate(rng, "codebook")
    return Case("run:codebook", mutation, files, ["run", "run.yaml", "-q"])


def t_run_codings(rng, store):
    files = base_files(codings=True)
    mutation, files["codings.csv"] = inputs.mutate(rng, "codings")
    return Case("run:codings", mutation, files, ["run", "run.yaml", "-q"])


def t_agree(rng, store):
    kind = rng.choice(("codings", "codings", "qdpx", "xlsx"))
    mutation, data = inputs.mutate(rng, kind)
    name = {"codings": "codings.csv", "qdpx": "codings.qdpx", "xlsx": "codings.xlsx"}[kind]
    return Case(f"agree:{kind}", mutation, {name: data},
                ["agree", name, "--out", "out", "--bootstrap", "0"])


def t_agree_units(rng, store):
    kind = rng.choice(("passages_csv", "parquet"))
    mutation, data = inputs.mutate(rng, kind)
    name = "units.csv" if kind == "passages_csv" else "units.parquet"
    return Case(f"agree-units:{kind}", mutation,
                {"codings.csv": inputs.sample("codings"), name: data},
                ["agree", "codings.csv", "--units", name, "--out", "out", "--bootstrap", "0"])


def t_agree_codebook(rng, store):
    mutation, data = inputs.mutate(rng, "codebook")
    return Case("agree-codebook", mutation,
                {"codings.csv": inputs.sample("codings"), "book.yaml": data},
                ["agree", "codings.csv", "--codebook", "book.yaml", "--out", "out",
                 "--bootstrap", "0"])


def t_codebook_read(rng, store):
    mutation, data = inputs.mutate(rng, "codebook")
    argv = rng.choice([["codebook", "validate", "book.yaml"], ["codebook", "show", "book.yaml"],
                       ["codebook", "export", "book.yaml", "--format", "qdc", "--out", "out/b.qdc"],
                       ["codebook", "export", "book.yaml", "--format", "xlsx", "--out",
                        "out/b.xlsx"],
                       ["codebook", "export", "book.yaml", "--format", "yaml", "--out",
                        "out/b.yaml"]])
    return Case(f"codebook-{argv[1]}", mutation, {"book.yaml": data, "out/.keep": b""}, argv)


def t_codebook_import(rng, store):
    mutation, data = inputs.mutate(rng, "qdc")
    return Case("codebook-import:qdc", mutation, {"book.qdc": data},
                ["codebook", "import", "book.qdc", "--out", "book.yaml"])


def t_codebook_merge(rng, store):
    if rng.random() < 0.5:
        mutation, cand = inputs.mutate(rng, "candidates")
        files = {"book.yaml": inputs.sample("codebook"), "cand.yaml": cand}
        target = "codebook-merge:candidates"
    else:
        mutation, book = inputs.mutate(rng, "codebook")
        files = {"book.yaml": book, "cand.yaml": inputs.sample("candidates")}
        target = "codebook-merge:codebook"
    return Case(target, mutation, files,
                ["codebook", "merge", "book.yaml", "cand.yaml", "--out", "merged.yaml"])


STORE_COMMANDS = (
    ["codebook", "history", "run.yaml"],
    ["codebook", "diff", "run.yaml", "1", "latest"],
    ["codebook", "version", "run.yaml", "latest", "--out", "out/v.yaml"],
    ["codebook", "version", "run.yaml", "1", "--format", "qdc", "--out", "out/v.qdc"],
    ["export", "run.yaml"],
    ["export", "run.yaml", "--only", "tables,qdpx"],
    ["cluster", "run.yaml", "--out", "out/cl"],
    ["saturation", "run.yaml", "--out", "out/sat", "--orders", "5"],
    ["review", "run.yaml", "--coder", "fuzz"],
)


def t_store_commands(rng, store):
    """Commands reading a config and its store: bad config, corrupt store, odd refs."""
    argv = list(rng.choice(STORE_COMMANDS))
    files = base_files()
    choice = rng.random()
    if choice < 0.4:
        mutation = rng.choice(inputs.for_kind("config"))
        files["run.yaml"] = mutation(rng, files["run.yaml"])
        name = f"config:{mutation.__name__}"
    elif choice < 0.8 and store is not None:
        mutation = rng.choice((inputs.truncate, inputs.flip_bytes, inputs.random_bytes,
                               inputs.empty))
        files["out/groundcode.db"] = mutation(rng, store)
        name = f"store:{mutation.__name__}"
    else:
        if store is not None:
            files["out/groundcode.db"] = store
        mutation = rng.choice(inputs.for_kind("codebook"))
        files["book.yaml"] = mutation(rng, files["book.yaml"])
        if argv[1] in ("diff", "version"):
            argv[3 if argv[1] == "diff" else 2] = rng.choice(
                ["../../x", "0", "-1", "999", "zz", "", "latest"])
        name = f"codebook:{mutation.__name__}"
    return Case(f"{argv[0]}-{argv[1]}" if argv[0] == "codebook" else argv[0], name, files, argv,
                in_process_only=argv[0] == "review")


def t_embed_classify(rng, store):
    mutation, data = inputs.mutate(rng, "parquet")
    files = {"p.parquet": data, "book.yaml": inputs.sample("codebook")}
    if rng.random() < 0.5:
        argv = ["embed", "p.parquet", "--out", "out/v.npy", "--cache-dir", "out/cache"]
    else:
        argv = ["classify", "p.parquet", "--codebook", "book.yaml", "--out", "out",
                "--models-dir", "out/models"]
    return Case(f"{argv[0]}:parquet", mutation, files, argv)


TARGETS: tuple[Callable, ...] = (
    t_ingest_dir, t_ingest_dir, t_ingest_file, t_ingest_manifest, t_segment,
    t_run_corpus, t_run_corpus, t_run_manifest, t_run_config, t_run_codebook, t_run_codings,
    t_agree, t_agree_units, t_agree_codebook, t_codebook_read, t_codebook_import,
    t_codebook_merge, t_store_commands, t_store_commands, t_embed_classify,
)


def make_cases(seed: int, n: int, store: bytes | None) -> list[Case]:
    """``n`` cases; every target appears before any repeats (round robin, then seeded)."""
    rng = random.Random(seed)
    order = [TARGETS[i % len(TARGETS)] for i in range(n)]
    return [target(random.Random(rng.getrandbits(64)), store) for target in order]


def good_store(workdir: Path) -> bytes:
    """A finished run's SQLite store (the base case files, fast embedder), as bytes."""
    folder = workdir / "store-build"
    Case("store", "none", base_files(), []).write(folder)
    outcome = run_in_process(["run", "run.yaml", "-q"], folder, (fast_embedder,))
    if outcome.code != 0:
        raise RuntimeError(f"the base fuzz run failed: {outcome.stderr or outcome.traceback}")
    data = (folder / "out" / "groundcode.db").read_bytes()
    shutil.rmtree(folder)
    return data


def run_case(case: Case, parent: Path, index: int, as_subprocess: bool) -> Outcome:
    folder = parent / f"case-{index:05d}"
    folder.mkdir()
    case.write(folder)
    repo_before, parent_before = snapshot(ROOT), snapshot(parent, exclude=folder)
    if as_subprocess and not case.in_process_only:
        outcome = run_subprocess(case.argv, folder)
    else:
        outcome = run_in_process(case.argv, folder, (fast_embedder, no_server))
    outcome.outside = (changed(repo_before, snapshot(ROOT))
                       + changed(parent_before, snapshot(parent, exclude=folder)))
    outcome.temp_files = leftover_temp_files(folder)
    return outcome


def fuzz(seed: int, n: int, subprocess_every: int = 25, log: Callable[[str], None] = print
         ) -> dict:
    """Run ``n`` seeded cases; the figures the benchmark records, with every failure."""
    started = time.perf_counter()
    tracebacks = outside = half = bad_codes = timeouts = 0
    exits: Counter[str] = Counter()
    targets: Counter[str] = Counter()
    failures: list[dict] = []
    subprocess_cases = 0
    with tempfile.TemporaryDirectory(prefix="gc-fuzz-") as tmp:
        parent = Path(tmp) / "sandbox"
        parent.mkdir()
        store = good_store(Path(tmp))
        for i, case in enumerate(make_cases(seed, n, store)):
            as_sub = subprocess_every > 0 and i % subprocess_every == subprocess_every - 1
            outcome = run_case(case, parent, i, as_sub)
            subprocess_cases += as_sub and not case.in_process_only
            targets[case.target.split(":")[0]] += 1
            exits[str(outcome.code)] += 1
            problems = outcome.problems()
            tracebacks += "traceback" in problems
            outside += bool(outcome.outside)
            half += bool(outcome.temp_files)
            timeouts += outcome.code is None
            bad_codes += outcome.code not in (0, 2, None)
            if problems:
                failures.append({"case": i, "target": case.target, "mutation": case.mutation,
                                 "argv": case.argv, "problems": problems,
                                 "stderr": (outcome.traceback or outcome.stderr)[-1500:]})
                log(f"case {i} {case.target} {case.mutation}: {problems}")
            shutil.rmtree(parent / f"case-{i:05d}", ignore_errors=True)
    return {
        "fuzz_cases": n,
        "fuzz_subprocess_cases": subprocess_cases,
        "tracebacks": tracebacks,
        "files_written_outside_output": outside,
        "half_written_files": half,
        "fuzz_bad_exit_codes": bad_codes,
        "fuzz_timeouts": timeouts,
        "fuzz_exit_codes": dict(sorted(exits.items())),
        "fuzz_cases_by_command": dict(sorted(targets.items())),
        "fuzz_failures": failures,
        "fuzz_seconds": round(time.perf_counter() - started, 1),
    }
