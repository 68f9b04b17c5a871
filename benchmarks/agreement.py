"""Agreement benchmark: reference values, benoit2016 and fornaciari2021 audits, speed.

Run: ``.venv/bin/python -m benchmarks.agreement`` -> benchmarks/results/agreement.json
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from benchmarks.common import ROOT, data_dir, write_results
from pipeline.agreement.audit import statistics_rows
from pipeline.agreement.codings import Coding, build_table
from pipeline.agreement.machine import compare, majority

DATA = data_dir()
TEST_MANIFESTOS = ("BNP 2010", "UKIP 2010", "SNP 2010", "PC 2010")


def reference_counts() -> tuple[int, int]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/agreement/test_agreement_reference.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()[-1]
    parts = {w: int(n) for n, w in (p.split()[:2] for p in out.split(" in ")[0].split(", "))}
    outcomes = ("passed", "failed", "xfailed", "xpassed", "error", "errors")
    return parts.get("passed", 0), sum(parts.get(k, 0) for k in outcomes)


def benoit_table(manifestos=TEST_MANIFESTOS):
    base = DATA / "benoit2016-uk-manifesto-immigration-crowd"
    units = pd.read_csv(base / "units.csv", usecols=["sentenceid", "manifesto"])
    judg = pd.read_csv(base / "judgments.csv")
    judg = judg[~judg["golden"]].drop_duplicates(["sentenceid", "coder"])
    if manifestos:
        keep = set(units.loc[units["manifesto"].isin(manifestos), "sentenceid"])
        judg = judg[judg["sentenceid"].isin(keep)]
    seen = [(str(s), c) for s, c in zip(judg["sentenceid"], judg["coder"], strict=True)]
    imm = judg[judg["policy_area"] == 4]
    codings = [
        Coding(str(s), "immigration", c)
        for s, c in zip(imm["sentenceid"], imm["coder"], strict=True)
    ]
    return build_table(codings, seen=seen), len(judg)


def benoit() -> dict:
    table, n = benoit_table()
    rows = statistics_rows(table, n_boot=1000, seed=0)
    alpha = next(r for r in rows if r.code == "immigration")
    kappas = []
    for coder in table.coders:
        mine = {u: table.get(u, coder) for u in table.units if table.get(u, coder) is not None}
        ref = majority(table, [c for c in table.coders if c != coder])
        kappas.append(compare(coder, mine, "others", ref).kappa)
    k = np.array([v for v in kappas if v == v])
    return {
        "judgments": n,
        "units": len(table.units),
        "coders": len(table.coders),
        "alpha": alpha.value,
        "alpha_ci": [alpha.boot_low, alpha.boot_high],
        "kappa_vs_majority_of_others_median": float(np.median(k)),
        "kappa_vs_majority_of_others_iqr": [
            float(np.percentile(k, 25)),
            float(np.percentile(k, 75)),
        ],
    }


def fornaciari() -> dict:
    base = DATA / "fornaciari2021-pledge-multicoder"
    units = pd.read_csv(base / "units.csv")
    judg = pd.read_csv(base / "judgments.csv").dropna(subset=["pledge"])
    gold = {
        u: frozenset({"pledge"} if g == 1 else ())
        for u, g in zip(units["unit_id"], units["gold_pledge"], strict=True)
    }
    out = {}
    for coder, rows in judg.groupby("coder"):
        cells = {
            u: frozenset({"pledge"} if p == 1 else ())
            for u, p in zip(rows["unit_id"], rows["pledge"], strict=True)
        }
        out[coder] = {
            "type": rows["coder_type"].iloc[0],
            "kappa_vs_gold": compare(coder, cells, "gold", gold).kappa,
        }
    return out


def speed() -> tuple[float, int]:
    """All judgments (gold units too), one label per coder and unit: every coefficient."""
    judg = pd.read_csv(DATA / "benoit2016-uk-manifesto-immigration-crowd" / "judgments.csv")
    judg = judg.drop_duplicates(["sentenceid", "coder"])
    codes = judg["policy_area"].astype(str) + judg["immigr_scale"].fillna(9).astype(int).astype(str)
    codings = [
        Coding(str(s), c, r)
        for s, c, r in zip(judg["sentenceid"], codes, judg["coder"], strict=True)
    ]
    table, n = build_table(codings), len(codings)
    start = time.perf_counter()
    statistics_rows(table, n_boot=1000, seed=0)
    return time.perf_counter() - start, n


def main() -> None:
    matched, total = reference_counts()
    forn = fornaciari()
    seconds, n = speed()
    result = {
        "reference_values_matched": matched,
        "reference_values_total": total,
        "benoit_human_alpha_test": benoit(),
        "fornaciari_machine_vs_gold_kappa": {
            k: v["kappa_vs_gold"] for k, v in forn.items() if v["type"] == "llm"
        },
        "fornaciari_human_vs_gold_kappa": {
            k: v["kappa_vs_gold"] for k, v in forn.items() if v["type"] == "human"
        },
        "seconds_50k_judgments_1000_bootstrap": seconds,
        "speed_judgments": n,
    }
    write_results("agreement", result)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
