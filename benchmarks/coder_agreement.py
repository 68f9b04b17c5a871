"""Does the machine code like a human coder? Agreement with human majorities.

    python -m benchmarks.coder_agreement [demo] [tipdm] [benoit]

Writes ``benchmarks/results/coder_agreement.json``. Parts:

* **demo** — the bundled demo corpus and its two coders' span codings
  (``corpora/demo/codings/human_codings.csv``, used as they are). The machine's
  code on a human-coded span is that of the coding unit holding most of the span;
  it is compared with the majority of the humans (a 1-1 split is "no code") by
  Cohen's kappa on code sets and Krippendorff's alpha (MASI).
  - a grid of run settings (``segment.unit`` x ``embed.context_weight`` x
    ``classify.accept``), each coder built as ``groundcode run`` builds it
    (``Segmenter`` + ``make_embedder``/``embed_passages`` + ``build_coder``), no
    human coding used; ``today`` is the setting before units and accept rules;
  - ``demo_zeroshot_kappa_lodo_selected``: the honest figure of choosing among the
    grid by these codings: each coded document is coded by the grid setting that
    agreed best on the *other* documents;
  - ``demo_zeroshot_*``: ``groundcode run`` on the demo config with the product
    defaults (zero-shot; the codings feed only the audit);
  - ``demo_learned_*``: the same run with ``classify.accept: learned`` (cross-fitted
    by document) and its learning curve (``agreement/learning_curve.csv``).
* **tipdm** — zero-shot first-level classification of 495 government messages
  under the default acceptance (a message without an accepted code counts as
  wrong), beside the old figure's recipe (names only + transductive refinement).
* **benoit** — the supervised coder's test kappa on the test manifestos when
  trained on 1, 2, 4 and all 6 training manifestos (the run config the coding
  benchmark chose), the learning curve of the supervised path.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from benchmarks.common import ROOT, write_results

DEMO_CONFIG = ROOT / "configs" / "demo.yaml"
DEMO_CODINGS = ROOT / "corpora" / "demo" / "codings" / "human_codings.csv"
UNITS = ("passage", "sentence", "clause")
CONTEXT_WEIGHTS = (0.0, 0.5, 1.0, 1.5)
ACCEPTS = {  # name -> classify settings (the grid's acceptance rules)
    "threshold": {"accept": "threshold", "max_codes": 5},  # the rule before classify.accept
    "top1": {"accept": "top1"},
    "margin": {"accept": "margin", "max_codes": 2, "margin_delta": 0.02},
}
TODAY = ("passage", 0.0, "threshold")


# ---------------------------------------------------------------- demo
def _human():
    from pipeline.agreement.learning import human_line, span_codings
    from pipeline.agreement.readers import read_raw

    codings = span_codings(read_raw(DEMO_CODINGS))
    cells = [codes for by in codings.cells.values() for codes in by.values()]
    return codings, human_line(codings), float(np.mean([len(c) for c in cells]))


def _demo_documents():
    from pipeline.clean import clean_corpus
    from pipeline.config import load_config
    from pipeline.corpus import load_corpus

    config = load_config(DEMO_CONFIG)
    cleaned = clean_corpus(load_corpus(config.corpus).documents, config.clean)
    return config, cleaned


def _versus_majority(codings, units, codes: dict[str, frozenset], docs=None):
    """(kappa, alpha, codes per span, spans) of the machine on the spans of ``docs``."""
    from pipeline.agreement.learning import machine_on_spans
    from pipeline.agreement.machine import compare, majority

    spans = {s: w for s, w in codings.spans.items() if docs is None or w[0] in docs}
    table = codings.table(list(spans))
    ref = majority(table, table.coders)
    by_doc: dict[str, list] = {}
    for u in units:
        by_doc.setdefault(u.doc_id, []).append(u)
    machine = machine_on_spans(spans, by_doc, codes)
    result = compare("machine", {s: machine[s] for s in ref}, "majority", ref)
    per_span = float(np.mean([len(machine[s]) for s in ref])) if ref else float("nan")
    return result.kappa, result.alpha, per_span, machine, ref


def _grid_codes(config, cleaned, unit: str, weight: float, accept: str, cache: Path):
    """Accepted codes per coding unit for one grid setting, built as a run builds it."""
    from pipeline.classify.run import build_coder
    from pipeline.codebook import load_codebook
    from pipeline.embed import embed_passages, make_embedder
    from pipeline.segment import Segmenter

    segment = config.segment.model_copy(update={"unit": unit})
    units = [p for r in cleaned for p in Segmenter(segment).segment(r.document, r.removals)
             if p.codable]
    embed = config.embed.model_copy(update={"context_weight": weight})
    embedder = make_embedder(embed, cache_dir=cache)
    vectors = embed_passages(embedder, units)
    classify = config.classify.model_copy(update=ACCEPTS[accept])
    coder = build_coder(classify, embedder, load_codebook(config.codebook), units, vectors,
                        seed=config.seed)
    table = coder.score_table(units, vectors)
    ids = np.asarray(table.code_ids, dtype=object)
    accepted = table.accepted_mask()
    codes = {u.id: frozenset(ids[accepted[i]]) for i, u in enumerate(units)}
    return units, codes


def demo_grid(cache: Path) -> tuple[dict, dict]:
    """Every grid setting's figures, and the leave-one-document-out selected figure."""
    from pipeline.agreement.machine import compare

    codings, _, _ = _human()
    config, cleaned = _demo_documents()
    grid, per_setting = {}, {}
    for unit, weight in itertools.product(UNITS, CONTEXT_WEIGHTS):
        for accept in ACCEPTS:
            units, codes = _grid_codes(config, cleaned, unit, weight, accept, cache)
            kappa, alpha, per_span, machine, ref = _versus_majority(codings, units, codes)
            key = f"unit {unit}, context_weight {weight}, accept {accept}"
            grid[key] = {"kappa": kappa, "alpha": alpha, "codes_per_unit": per_span,
                         "units": len(units)}
            per_setting[(unit, weight, accept)] = (machine, ref)
            print(f"demo grid: {key}: kappa {kappa:.3f} codes/unit {per_span:.2f}", flush=True)
    docs = sorted({w[0] for w in codings.spans.values()})
    chosen, machine_all, ref_all = {}, {}, {}
    for doc in docs:  # choose on the other documents, code this one with the choice
        def score(setting, doc=doc):
            machine, ref = per_setting[setting]
            keep = [s for s in ref if codings.spans[s][0] != doc]
            return compare("m", {s: machine[s] for s in keep}, "r",
                           {s: ref[s] for s in keep}).kappa
        best = max(per_setting, key=score)  # first best in grid order on ties
        chosen[doc] = ", ".join(map(str, best))
        machine, ref = per_setting[best]
        for s in ref:
            if codings.spans[s][0] == doc:
                machine_all[s], ref_all[s] = machine[s], ref[s]
    selected = compare("m", machine_all, "r", ref_all)
    return grid, {"demo_zeroshot_kappa_lodo_selected": selected.kappa,
                  "demo_zeroshot_alpha_lodo_selected": selected.alpha,
                  "demo_lodo_choices": chosen}


def _run(overrides: dict, out: Path, cache: Path):
    """``groundcode run`` on the demo config with ``overrides`` (nested keys), in ``out``."""
    from pipeline.config import config_from_dict
    from pipeline.engines.run import run_job

    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    for section, values in overrides.items():
        data[section] = {**data.get(section, {}), **values}
    data["output"] = str(out)
    data["embed"] = {**data.get("embed", {}), "cache_dir": str(cache)}
    config = config_from_dict(data, base=DEMO_CONFIG.parent, source=str(DEMO_CONFIG))
    run_job(config, progress=False)
    return config


def _run_figures(codings, config) -> tuple[float, float, float]:
    """Kappa/alpha vs the human majority and codes per span of a run's machine codes, read
    from its store with the agreement stage's own projection (``audit_units``)."""
    from pipeline.agreement.machine import compare, majority
    from pipeline.agreement.stage import audit_units
    from pipeline.codebook import load_codebook
    from pipeline.paths import job_paths
    from pipeline.store import open_store
    from pipeline.store.view import read_view

    with open_store(job_paths(config).store_url) as store:
        (corpus,) = store.documents.corpora()
        view = read_view(store, corpus, load_codebook(config.codebook).hash)
        _, frame = audit_units(view, config.agreement.codings)
    frame = frame[frame["accepted"].astype(bool) & (frame["code_id"] != "NONE")]
    codes: dict[str, set] = {s: set() for s in codings.spans}
    for span, code in zip(frame["passage_id"], frame["code_id"], strict=True):
        codes[str(span)].add(str(code))
    table = codings.table(list(codings.spans))
    ref = majority(table, table.coders)
    result = compare("machine", {s: frozenset(codes[s]) for s in ref}, "majority", ref)
    return result.kappa, result.alpha, float(np.mean([len(codes[s]) for s in ref]))


def demo(cache: Path) -> dict:
    codings, human, human_codes = _human()
    grid, selected = demo_grid(cache)
    out: dict = {
        "demo_human_kappa_vs_majority": human[0],
        "demo_human_alpha_vs_majority": human[1],
        "demo_human_codes_per_unit": human_codes,
        "demo_spans": len(codings.spans),
        "demo_grid": grid,
        "demo_today_kappa_vs_majority": grid[
            f"unit {TODAY[0]}, context_weight {TODAY[1]}, accept {TODAY[2]}"]["kappa"],
        **selected,
    }
    with tempfile.TemporaryDirectory() as tmp:
        zero = Path(tmp) / "zero-shot"
        k, a, c = _run_figures(codings, _run({}, zero, cache))
        out |= {"demo_zeroshot_kappa_vs_majority": k, "demo_zeroshot_alpha_vs_majority": a,
                "demo_zeroshot_codes_per_unit": c}
        learned = Path(tmp) / "learned"
        k, a, c = _run_figures(codings, _run({"classify": {"accept": "learned"}}, learned, cache))
        out |= {"demo_learned_kappa_vs_majority": k, "demo_learned_alpha_vs_majority": a,
                "demo_learned_codes_per_unit": c}
        curve = pd.read_csv(learned / "agreement" / "learning_curve.csv")
        machine = curve[curve["who"] == "machine"]
        out["demo_learning_curve"] = [
            {"documents": int(r.documents), "kappa": float(r.kappa), "alpha": float(r.alpha),
             "kappa_sd": float(r.kappa_sd), "draws": int(r.draws)}
            for r in machine.itertuples()]
        card = next((learned / "models").rglob("model_card.json"))
        out["demo_learned_rule"] = json.loads(card.read_text(encoding="utf-8"))["learned"]
    return out


# ---------------------------------------------------------------- tipdm
def tipdm(cache: Path) -> dict:
    """First-level classes: the product default (accepted main code) and the old recipe."""
    from sklearn.metrics import f1_score

    from benchmarks.coding import NAMES_ONLY, tipdm_codebook
    from benchmarks.common import data_dir
    from pipeline.classify.run import build_coder
    from pipeline.classify.settings import ClassifySettings
    from pipeline.classify.zeroshot import ZeroShotCoder
    from pipeline.embed import make_embedder
    from pipeline.embed.settings import EmbedSettings

    base = data_dir() / "tipdm2020-gov-messages-zh"
    messages = pd.read_csv(base / "messages_labeled.csv")
    table = pd.read_csv(base / "codebook_3level.csv", dtype=str)
    y = messages["一级分类"].to_numpy()
    gold = sorted(set(y))
    texts = (messages["留言主题"] + "。" + messages["留言详情"]).tolist()
    embedder = make_embedder(EmbedSettings(), cache_dir=cache)
    X = embedder.encode(texts)
    book, names = tipdm_codebook(table, gold)
    coder = build_coder(ClassifySettings(), embedder, book, texts, X)
    main = coder.score_table(texts, X, level="main")
    accepted = main.accepted_mask()
    pred = [names[main.code_ids[int(np.argmax(np.where(accepted[i], main.margins[i], -np.inf)))]]
            if accepted[i].any() else "NONE" for i in range(len(y))]
    old = ZeroShotCoder(embedder, book, recipe=NAMES_ONLY, center=True, refine_rounds=2).fit(X)
    old_main = old.score_table(X, level="main")
    old_pred = [names[old_main.code_ids[k]] for k in old_main.margins.argmax(axis=1)]
    return {
        "tipdm_zeroshot_macro_f1": f1_score(y, pred, labels=gold, average="macro"),
        "tipdm_zeroshot_none_share": float(np.mean([p == "NONE" for p in pred])),
        "tipdm_zeroshot_macro_f1_old_recipe": f1_score(y, old_pred, labels=gold,
                                                       average="macro"),
    }


# ---------------------------------------------------------------- benoit
def benoit(cache: Path, sizes=(1, 2, 4, 6), draws: int = 2) -> dict:
    """Test kappa of the supervised run config chosen by the coding benchmark, trained on
    ``n`` of the training manifestos (seeded draws; all six once)."""
    from sklearn.metrics import cohen_kappa_score

    from benchmarks.coding import BENOIT_TEST, benoit_codebook, benoit_passages, benoit_units
    from benchmarks.common import RESULTS
    from pipeline.classify.run import build_coder
    from pipeline.classify.settings import ClassifySettings
    from pipeline.embed import embed_passages, make_embedder
    from pipeline.embed.settings import EmbedSettings

    chosen = json.loads((RESULTS / "coding.json").read_text(encoding="utf-8"))
    chosen = chosen["benoit_chosen_config"]
    embed = EmbedSettings(**chosen["embed"])
    classify = ClassifySettings(**chosen["classify"])
    units, _ = benoit_units()
    train = units[~units["manifesto"].isin(BENOIT_TEST)]
    test = units[units["manifesto"].isin(BENOIT_TEST)]
    embedder = make_embedder(embed, cache_dir=cache)
    train_p, test_p = benoit_passages(train), benoit_passages(test)
    train_v, test_v = embed_passages(embedder, train_p), embed_passages(embedder, test_p)
    manifestos = sorted(train["manifesto"].unique())
    book = benoit_codebook()
    rng = np.random.default_rng(0)
    curve = []
    for n in sizes:
        picks = [manifestos] if n >= len(manifestos) else [
            sorted(rng.choice(manifestos, n, replace=False)) for _ in range(draws)]
        kappas = []
        for pick in picks:
            rows = np.flatnonzero(train["manifesto"].isin(pick).to_numpy())
            passages = [train_p[i] for i in rows]
            codings = {p.id: ({"IMM"} if g else set())
                       for p, g in zip(passages, train["gold"].to_numpy()[rows], strict=True)}
            start = time.perf_counter()
            coder = build_coder(classify, embedder, book, passages, train_v[rows], codings)
            decisions = (coder.score_table(test_p, test_v).margins[:, 0] >= 0).astype(int)
            kappas.append(float(cohen_kappa_score(test["gold"], decisions)))
            print(f"benoit curve: {pick}: kappa {kappas[-1]:.3f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
        curve.append({"manifestos": n, "kappa": float(np.mean(kappas)),
                      "kappa_per_draw": kappas, "training_units": int(
                          np.mean([train["manifesto"].isin(p).sum() for p in picks])),
                      "draws": [list(map(str, p)) for p in picks]})
    return {"benoit_learning_curve": curve, "benoit_learning_curve_config": chosen}


def main(parts: list[str]) -> None:
    cache = Path(tempfile.gettempdir()) / "groundcode-bench-cache"
    tasks = {"demo": demo, "tipdm": tipdm, "benoit": benoit}
    unknown = sorted(set(parts) - set(tasks))
    if unknown:
        raise SystemExit(f"unknown part(s) {unknown}; choose from {sorted(tasks)}")
    previous = ROOT / "benchmarks" / "results" / "coder_agreement.json"
    results = json.loads(previous.read_text("utf-8")) if parts and previous.is_file() else {}
    for name, task in tasks.items():
        if parts and name not in parts:
            continue
        start = time.perf_counter()
        results = {k: v for k, v in results.items() if not k.startswith(name + "_")}
        results.update(task(cache))
        results[f"seconds_{name}"] = round(time.perf_counter() - start, 1)
        print(f"{name}: done in {results[f'seconds_{name}']} s", flush=True)
    results = json.loads(json.dumps(results, default=float))
    path = write_results("coder_agreement", results)
    print(json.dumps({k: v for k, v in results.items() if not k.endswith("grid")}, indent=2,
                     ensure_ascii=False))
    print(f"-> {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
