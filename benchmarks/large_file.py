"""One large plain-text document through ``groundcode run``: time and peak memory.

    python -m benchmarks.large_file [--mb 30] [--seed 7]

The document is generated (:func:`make_large_file`): paragraphs of Chinese and
English sentences built from sentence templates written for this benchmark, each
filled with randomly chosen actors, places, numbers and objects, so passages vary
the way a long report does (some repeats, mostly not). :func:`measure` runs
``groundcode run`` on a one-document corpus in a child process and reports
``large_file_mb``, ``large_file_seconds`` and ``large_file_peak_rss_mb`` (the child's
peak resident memory, from ``os.wait4``, the same figure as
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` for that one child). Writes
``benchmarks/results/large_file.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.common import ROOT, write_results

_ZH_ACTORS = ["公司", "集团", "当地政府", "村委会", "合作社", "帮扶工作队", "项目组", "县农业农村局",
              "乡镇党委", "驻村第一书记", "龙头企业", "电商平台", "职业技术学校", "妇女联合会",
              "青年志愿者", "供销社"]
_ZH_PLACES = ["甘肃定西", "云南怒江", "贵州毕节", "四川凉山", "湖南湘西", "广西百色", "河北张家口",
              "青海海东", "新疆和田", "西藏林芝", "江西赣州", "陕西延安"]
_ZH_OBJECTS = ["马铃薯", "茶叶", "中药材", "肉牛", "光伏电站", "乡村旅游", "花椒", "核桃", "冷链仓库",
               "直播带货", "苹果", "食用菌", "民宿", "手工刺绣", "蔬菜大棚", "饮水工程"]
_ZH_TEMPLATES = [
    "{actor}在{place}投入{n}万元建设{obj}基地，带动{m}户农户增收。",
    "{year}年以来，{actor}围绕{obj}产业开展技能培训{k}期，累计培训{m}人次。",
    "通过“企业+合作社+农户”模式，{place}的{obj}种植面积扩大到{n}亩。",
    "{actor}组织专家深入{place}调研，帮助群众解决{obj}销售难题。",
    "为了稳定收入，{actor}与{m}户脱贫户签订{obj}保底收购协议。",
    "在{actor}的推动下，{place}建成{obj}加工车间{k}个，吸纳就业{m}人。",
    "{place}的村民说，种{obj}比外出打工强，一年能多挣{n}元。",
    "{actor}设立专项资金{n}万元，用于{place}的{obj}品牌推广。",
    "项目实施{k}年来，{place}村集体经济收入由{m}万元增长到{n}万元。",
    "{actor}选派{k}名干部常驻{place}，帮助完善{obj}产业链条。",
    "依托{obj}资源，{place}打造了集观光、采摘、体验于一体的示范园区。",
    "{actor}联合高校在{place}建立{obj}科研试验站，推广新品种{k}个。",
    "受疫情影响，{place}的{obj}一度滞销，{actor}迅速组织线上销售。",
    "截至{year}年底，{actor}在{place}累计采购{obj}{n}吨。",
    "{actor}帮助{place}的{m}名留守妇女掌握了{obj}技术。",
    "为解决资金难题，{actor}协调金融机构为{obj}项目提供贷款{n}万元。",
    "{place}把{obj}作为主导产业，制定了{k}年发展规划。",
    "{actor}坚持“输血”与“造血”相结合，持续做强{place}的{obj}产业。",
    "很多年轻人返乡创业，在{place}开起了{obj}网店，月销售额超过{n}元。",
    "{actor}建立利益联结机制，{obj}收益的{k}成分配给参与农户。",
    "我们先后走访了{m}户家庭，了解他们在{obj}生产中遇到的困难。",
    "{place}的道路修通以后，{obj}运输时间缩短了{k}个小时。",
    "{actor}引入标准化生产流程，{place}的{obj}合格率提高到{p}%。",
    "下一步，{actor}将继续在{place}推广{obj}经验，扩大帮扶成效。",
]
_EN_ACTORS = ["The company", "The group", "The local government", "The village committee",
              "The cooperative", "The assistance team", "The project office", "Our volunteers",
              "The county bureau", "A partner university", "The provincial branch",
              "The foundation"]
_EN_PLACES = ["Dingxi", "Nujiang", "Bijie", "Liangshan", "Xiangxi", "Baise", "Zhangjiakou",
              "Haidong", "Hotan", "Nyingchi", "Ganzhou", "Yan'an"]
_EN_OBJECTS = ["potato farming", "tea gardens", "herbal medicine", "beef cattle", "solar power",
               "rural tourism", "walnut orchards", "cold-chain storage", "livestream sales",
               "apple orchards", "mushroom sheds", "guesthouses", "embroidery workshops",
               "greenhouse vegetables", "drinking-water projects"]
_EN_TEMPLATES = [
    "{actor} invested {n} thousand yuan in {obj} in {place}, raising the income of {m} households.",
    "Since {year}, {actor} has run {k} training courses on {obj}, reaching {m} villagers.",
    "Through a company-cooperative-household model, {obj} in {place} expanded to {n} mu.",
    "{actor} sent experts to {place} to help farmers sell the products of their {obj}.",
    "To stabilise incomes, {actor} signed purchase guarantees for {obj} with {m} households.",
    "With support from {actor}, {place} opened {k} workshops for {obj} that employ {m} people.",
    "Villagers in {place} told us that {obj} now earns them {n} yuan more each year.",
    "{actor} set up a fund of {n} thousand yuan to promote the brand of {obj} from {place}.",
    "Over {k} years the collective income of the village in {place} rose from {m} to {n} "
    "thousand yuan.",
    "{actor} stationed {k} staff in {place} to strengthen the value chain of {obj}.",
    "Building on {obj}, {place} created a demonstration park for sightseeing and picking.",
    "{actor} and a university set up a research station for {obj} in {place}.",
    "When {obj} in {place} could not be sold during the pandemic, {actor} moved sales online.",
    "By the end of {year}, {actor} had bought {n} tonnes of produce from {obj} in {place}.",
    "{actor} trained {m} women in {place} who had stayed behind in the skills of {obj}.",
    "{actor} arranged loans of {n} thousand yuan from banks for {obj}.",
    "{place} made {obj} its leading industry and drew up a {k}-year plan.",
    "Young people returned to {place} and opened online shops for {obj} selling over {n} yuan a "
    "month.",
    "{actor} shares {k} tenths of the profit from {obj} with the participating households.",
    "We visited {m} families to learn what problems they met in {obj}.",
    "After the road to {place} was built, transport for {obj} took {k} hours less.",
    "{actor} introduced standard procedures and the pass rate of {obj} in {place} rose to {p}%.",
    "Next, {actor} will spread the lessons of {obj} in {place} to other counties.",
]


def _sentence(rng: random.Random, lang: str) -> str:
    if lang == "zh":
        template, actors, places, objects = _ZH_TEMPLATES, _ZH_ACTORS, _ZH_PLACES, _ZH_OBJECTS
    else:
        template, actors, places, objects = _EN_TEMPLATES, _EN_ACTORS, _EN_PLACES, _EN_OBJECTS
    return rng.choice(template).format(
        actor=rng.choice(actors), place=rng.choice(places), obj=rng.choice(objects),
        n=rng.randint(10, 9999), m=rng.randint(5, 3000), k=rng.randint(2, 12),
        p=rng.randint(60, 99), year=rng.randint(2013, 2024))


def make_large_file(path: str | Path, mb: float, seed: int) -> Path:
    """Write a UTF-8 text of about ``mb`` megabytes (10^6 bytes) to ``path``: paragraphs of
    3-8 generated sentences, about one in four paragraphs English."""
    rng = random.Random(seed)
    target = int(mb * 1_000_000)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        while written < target:
            lang = "en" if rng.random() < 0.25 else "zh"
            joiner = " " if lang == "en" else ""
            paragraph = joiner.join(_sentence(rng, lang) for _ in range(rng.randint(3, 8)))
            data = paragraph + "\n\n"
            out.write(data)
            written += len(data.encode("utf-8"))
    return path


def _config(corpus: Path, out: Path, seed: int, overrides: dict | None) -> dict:
    data = {
        "seed": seed,
        "corpus": {"path": str(corpus)},
        "codebook": str(ROOT / "configs" / "codebooks" / "soe-assistance.yaml"),
        "output": str(out),
        "saturation": {"orders": 200},
    }
    for key, value in (overrides or {}).items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


def prefilled_cache(source: str | Path, target: Path, drop: int, seed: int) -> dict:
    """Copy the vector cache ``source`` (a folder holding ``vectors.sqlite`` from an
    earlier run of the same file) to ``target`` and delete ``drop`` seeded vectors from
    the copy, so the run loads the model and embeds those texts as a cold run does."""
    import sqlite3

    target.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(Path(source) / "vectors.sqlite")
    dst = sqlite3.connect(target / "vectors.sqlite")
    with dst:
        src.backup(dst)  # a consistent copy even with a WAL beside it
    src.close()
    keys = list(dst.execute("SELECT embedder, key FROM vectors ORDER BY embedder, key"))
    gone = random.Random(seed).sample(keys, min(drop, len(keys)))
    with dst:  # by the whole primary key (embedder, key): one index lookup each
        dst.executemany("DELETE FROM vectors WHERE embedder = ? AND key = ?", gone)
    dst.close()
    return {"prefilled_from": str(source), "vectors_kept": len(keys) - len(gone),
            "vectors_dropped": len(gone)}


def measure(mb: float, seed: int, *, overrides: dict | None = None,
            keep: str | Path | None = None, cache: str | Path | None = None,
            cache_drop: int = 2048) -> dict:
    """Run ``groundcode run`` on a one-document corpus of about ``mb`` MB in a child process.

    ``overrides`` are merged into the run config (section by section); ``keep`` is a
    folder to run in (kept afterwards) instead of a temporary one. ``cache``: a vector
    cache folder filled by an earlier run of the same file (:func:`prefilled_cache`,
    ``cache_drop`` vectors removed), for measuring memory without waiting for the
    embedding again; the result then says so (``large_file_cache``). Returns
    ``large_file_mb``, ``large_file_seconds``, ``large_file_peak_rss_mb`` and the
    child's per-stage timings and counts from run.json.
    """
    with tempfile.TemporaryDirectory(prefix="gc-large-") as tmp:
        root = Path(keep) if keep is not None else Path(tmp)
        corpus = root / "corpus"
        text = make_large_file(corpus / "large.txt", mb, seed)
        prefilled = None
        if cache is not None:
            prefilled = prefilled_cache(cache, root / "prefilled-cache", cache_drop, seed)
            overrides = {**(overrides or {}),
                         "embed": {**(overrides or {}).get("embed", {}),
                                   "cache_dir": str(root / "prefilled-cache")}}
        config = root / "run.yaml"
        config.write_text(yaml.safe_dump(_config(corpus, root / "out", seed, overrides),
                                         allow_unicode=True), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1"}
        log = root / "run.log"
        start = time.perf_counter()
        with log.open("w", encoding="utf-8") as sink:
            child = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "run", str(config), "--quiet"],
                env=env, stdout=sink, stderr=subprocess.STDOUT)
            _pid, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
            child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if child.returncode != 0:
            tail = log.read_text("utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"groundcode run failed ({child.returncode}): {tail}")
        run = json.loads((root / "out" / "run.json").read_text("utf-8"))
        figures = {
            "large_file_mb": round(text.stat().st_size / 1_000_000, 2),
            "large_file_seconds": round(seconds, 1),
            "large_file_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "large_file_passages": run["counts"].get("passages"),
            "large_file_timings_seconds": run["timings_seconds"],
            "large_file_peak_rss_mb_after_stage": run.get("peak_rss_mb_after", {}),
            "large_file_rss_mb_after_stage": run.get("rss_mb_after", {}),
            "large_file_warnings": run.get("warnings", []),
            "seed": seed,
        }
        if prefilled is not None:
            figures["large_file_cache"] = prefilled
        return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", help="run in this folder and keep it")
    parser.add_argument("--cache", help="a vector cache folder filled by an earlier run of "
                        "the same --mb/--seed (e.g. KEEP/out/cache); copied, --cache-drop "
                        "vectors removed")
    parser.add_argument("--cache-drop", type=int, default=2048)
    args = parser.parse_args(argv)
    results = measure(args.mb, args.seed, keep=args.keep, cache=args.cache,
                      cache_drop=args.cache_drop)
    path = write_results("large_file", results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
