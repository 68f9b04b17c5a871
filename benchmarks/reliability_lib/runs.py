"""``groundcode run`` as a subprocess on a small copy of the demo corpus: a clean run,
runs killed with SIGKILL at seeded moments and resumed, two runs at once; and the
comparison of their final tables.

Compared (sorted rows): the store's ``documents``, ``passages``, ``suggestions``,
``codings`` and ``document_state`` tables read with SQL, and every CSV output. Left
out, because they legitimately differ between two correct runs: timestamps
(``documents.updated_at``, ``document_state.updated_at``, ``codings.created_at`` /
``undone_at``) and autoincrement row ids (``suggestions.id``, ``codings.id``: a
resumed run deletes and re-inserts rows). The ``runs`` table (run ids, start/finish
times, timings) and ``run.json`` are not compared for the same reason.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks.reliability_lib.sandbox import ROOT, cli_env

DEMO = ROOT / "corpora" / "demo"
TABLES = {
    "documents": "SELECT id, corpus_id, kind, lang, sha256, meta, text, source FROM documents",
    "passages": "SELECT * FROM passages",
    "suggestions": "SELECT passage_id, code_id, score, rank, level, method, model, accepted, "
                   "codebook_hash FROM suggestions",
    "codings": "SELECT coder_id, passage_id, code_id, decision, shown_code, score, model, "
               "memo, codebook_hash FROM codings",
    "document_state": "SELECT doc_id, stage, content_hash, codebook_hash, embedder_id, "
                      "settings_hash FROM document_state",
}


@dataclass(frozen=True)
class Project:
    folder: Path
    config: Path

    @property
    def output(self) -> Path:
        return self.folder / "out"

    @property
    def store(self) -> Path:
        return self.output / "groundcode.db"


def make_project(folder: Path, docs: int) -> Project:
    """The first ``docs`` demo case texts, the demo codebook and settings, output in
    ``folder/out`` (the embedding cache inside it, so every fresh project starts cold)."""
    corpus = folder / "corpus"
    (corpus / "cases").mkdir(parents=True)
    manifest = yaml.safe_load((DEMO / "manifest.yaml").read_text(encoding="utf-8"))
    entries = [e for e in manifest["documents"] if e["file"].startswith("cases/")][:docs]
    for entry in entries:
        shutil.copy(DEMO / entry["file"], corpus / entry["file"])
    manifest["documents"] = entries
    (corpus / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True),
                                          encoding="utf-8")
    demo = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8"))
    data = {**demo, "corpus": {"path": "corpus"}, "output": "out",
            "codebook": str(ROOT / "configs" / "codebooks" / "soe-assistance.yaml"),
            "agreement": {"codings": [str(DEMO / "codings" / "human_codings.csv")],
                          "bootstrap": 20},
            "saturation": {"orders": 20}}
    config = folder / "run.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Project(folder, config)


def copy_project(src: Project, folder: Path) -> Project:
    """Inputs of ``src`` in a new folder, with no output yet."""
    folder.mkdir(parents=True)
    shutil.copytree(src.folder / "corpus", folder / "corpus")
    shutil.copy(src.config, folder / "run.yaml")
    return Project(folder, folder / "run.yaml")


def start_run(project: Project, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(project.config), "--quiet"],
        cwd=project.folder, env=cli_env(project.folder, **env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(project: Project, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    proc = start_run(project, **env)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def dump(project: Project) -> dict[str, list[tuple]]:
    """Sorted rows of the compared store tables and CSV outputs (see the module doc)."""
    out: dict[str, list[tuple]] = {}
    conn = sqlite3.connect(f"file:{project.store}?mode=ro", uri=True)
    try:
        for name, query in TABLES.items():
            out[name] = sorted((tuple(r) for r in conn.execute(query)), key=repr)
    finally:
        conn.close()
    for path in sorted(project.output.rglob("*.csv")):
        if "cache" in path.relative_to(project.output).parts:
            continue
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        out[f"csv:{path.relative_to(project.output).as_posix()}"] = (
            rows[:1] + sorted(tuple(r) for r in rows[1:]))
    return out


def integrity(project: Project) -> str:
    conn = sqlite3.connect(f"file:{project.store}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def differences(a: dict, b: dict) -> list[str]:
    """Names of the tables/CSVs whose rows differ."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def clean_run(workdir: Path, docs: int) -> tuple[Project, dict, float]:
    """(project, its dump, seconds) of one uninterrupted run."""
    project = make_project(workdir / "clean", docs)
    started = time.perf_counter()
    proc = run(project)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"the clean run failed:\n{proc.stderr[-3000:]}")
    return project, dump(project), seconds


def kill_resume(seed: int, kills: int, docs: int, faults: tuple[str, ...] = (),
                workdir: Path | None = None, log=print) -> dict:
    """``kills`` runs killed with SIGKILL after seeded delays spread over a clean run's
    duration (one delay per equal slice of it), plus one run per ``faults`` entry killed
    by the ``GROUNDCODE_FAULT`` hook (``stage:n``); each resumed by running again and
    compared with the clean run."""
    import tempfile

    started = time.perf_counter()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="gc-kill-", dir=workdir) as tmp:
        root = Path(tmp)
        base, expected, clean_seconds = clean_run(root, docs)
        delays = [clean_seconds * (i + rng.random()) / kills for i in range(kills)]
        rng.shuffle(delays)
        runs = identical = finished_first = 0
        failures, not_fired = [], []
        plans = [("delay", d) for d in delays] + [("fault", f) for f in faults]
        for i, (how, what) in enumerate(plans):
            project = copy_project(base, root / f"kill-{i:03d}")
            if how == "delay":
                proc = start_run(project)
                time.sleep(what)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                else:
                    finished_first += 1
                proc.communicate()
            else:
                proc = run(project, GROUNDCODE_FAULT=what)
                if proc.returncode != -signal.SIGKILL:
                    not_fired.append(what)
            resumed = run(project)
            runs += 1
            diff = (differences(expected, dump(project)) if resumed.returncode == 0
                    else [f"resume exit {resumed.returncode}: {resumed.stderr[-800:]}"])
            if not diff and integrity(project) == "ok":
                identical += 1
            else:
                failures.append({how: round(what, 2) if how == "delay" else what,
                                 "differs": diff})
                log(f"kill {i} ({how} {what}): {diff}")
            shutil.rmtree(project.folder, ignore_errors=True)
    return {
        "kill_resume_runs": runs,
        "kill_resume_identical": identical,
        "kill_clean_run_seconds": round(clean_seconds, 2),
        "kill_delays_seconds": sorted(round(d, 2) for d in delays),
        "kill_faults": list(faults),
        "kill_finished_before_signal": finished_first,
        "kill_faults_not_fired": not_fired,
        "kill_corpus_documents": docs,
        "kill_failures": failures,
        "kill_seconds": round(time.perf_counter() - started, 1),
    }


def concurrent(seed: int, pairs: int, docs: int, workdir: Path | None = None, log=print
               ) -> dict:
    """``pairs`` times: two ``groundcode run`` on one fresh config started together
    (the second after a seeded 0-1 s lag). Each pair is correct when the store passes
    ``PRAGMA integrity_check``, its tables equal a clean run's after one more run, and
    the second run either was refused (exit 2, E901 in its message) or waited and
    succeeded. Reports how many pairs corrupted the store or left different tables."""
    import tempfile

    started = time.perf_counter()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="gc-conc-", dir=workdir) as tmp:
        root = Path(tmp)
        base, expected, clean_seconds = clean_run(root, docs)
        corrupted = refused_or_waited = both_ran = 0
        failures = []
        for i in range(pairs):
            project = copy_project(base, root / f"pair-{i:03d}")
            first = start_run(project)
            time.sleep(rng.uniform(0.0, 1.0))
            second = start_run(project)
            results = [(p, *p.communicate(timeout=900)) for p in (first, second)]
            codes = sorted(p.returncode for p, _, _ in results)
            refused = any(p.returncode == 2 and "E901" in err for p, _, err in results)
            if codes == [0, 2] and refused:
                refused_or_waited += 1
            elif codes == [0, 0]:
                both_ran += 1  # waited (with a lock) or ran over each other (without)
            ok = integrity(project) == "ok" if project.store.is_file() else False
            final = run(project)
            diff = differences(expected, dump(project)) if final.returncode == 0 else ["exit"]
            if not ok or diff:
                corrupted += 1
                failures.append({"pair": i, "codes": codes, "integrity_ok": ok, "differs": diff,
                                 "stderr": [err[-500:] for _, _, err in results]})
                log(f"pair {i}: codes {codes}, integrity {ok}, differs {diff}")
            shutil.rmtree(project.folder, ignore_errors=True)
    return {
        "concurrent_runs": pairs,
        "concurrent_runs_corrupted": corrupted,
        "concurrent_second_refused_or_waited": refused_or_waited,
        "concurrent_both_exit_0": both_ran,
        "concurrent_failures": failures,
        "concurrent_seconds": round(time.perf_counter() - started, 1),
    }
