"""Segmentation benchmark: SIGHAN 2005 word F1, UD Chinese sentence-boundary F1, speed.

Run from the repo root: ``.venv/bin/python -m benchmarks.segmentation``
-> ``benchmarks/results/segmentation.json``. Data: ``$GROUNDCODE_DATA`` (default
``../shared/data``): ``sighan2005-icwb2-pku-msr/`` and ``ud-chinese-gsdsimp/``.

Word segmentation follows the SIGHAN closed-track practice: our tokenizer is
configured with the corpus's training word list as an extra user dictionary
(``SegmentSettings.extra_dicts``), read from the data folder at run time. The
jieba-alone figure (global ``jieba.lcut``, default dictionary) is reported beside it.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import jieba

from benchmarks.common import data_dir, repo_relative, write_results
from pipeline.corpus.document import Document
from pipeline.segment import Segmenter, SegmentSettings, Tokenizer, split_sentences

UD_PARAGRAPH_SENTENCES = 10
SPEED_REPEATS = 7


def _spans(words) -> set[tuple[int, int]]:
    spans, cursor = set(), 0
    for word in words:
        word = "".join(word.split())
        if word:
            spans.add((cursor, cursor + len(word)))
            cursor += len(word)
    return spans


def prf(correct: int, predicted: int, gold: int, prefix: str) -> dict[str, float]:
    p = correct / predicted if predicted else 0.0
    r = correct / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        f"{prefix}_precision": round(p, 4),
        f"{prefix}_recall": round(r, 4),
        f"{prefix}_f1": round(f, 4),
    }


def word_scores(cut, raw_lines, gold_lines, prefix: str) -> dict[str, float]:
    correct = predicted = gold = 0
    for raw, ref in zip(raw_lines, gold_lines, strict=True):
        want = _spans(ref.split())
        got = _spans(cut(raw.strip())) if raw.strip() else set()
        correct += len(want & got)
        predicted += len(got)
        gold += len(want)
    return prf(correct, predicted, gold, prefix)


def sighan(name: str, base: Path) -> dict[str, float]:
    raw = (base / f"{name}_test.utf8").read_text(encoding="utf-8").splitlines()
    gold = (base / f"{name}_test_gold.utf8").read_text(encoding="utf-8").splitlines()
    ours = Tokenizer(extra_dicts=[base / f"{name}_training_words.utf8"])
    return {
        **word_scores(ours.cut, raw, gold, name),
        **word_scores(Tokenizer().cut, raw, gold, f"{name}_bundled_dict"),
        **word_scores(jieba.lcut, raw, gold, f"jieba_{name}"),
    }


def ud_sentences(path: Path) -> list[str]:
    prefix = "# text = "
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line[len(prefix) :].strip() for line in lines if line.startswith(prefix)]


def ud_boundaries(path: Path) -> dict[str, float]:
    """Sentence-end F1 on paragraphs of UD_PARAGRAPH_SENTENCES concatenated sentences
    (the paragraph end itself is not counted: it is given)."""
    sentences = ud_sentences(path)
    correct = predicted = gold = 0
    for i in range(0, len(sentences), UD_PARAGRAPH_SENTENCES):
        group = sentences[i : i + UD_PARAGRAPH_SENTENCES]
        text = "".join(group)
        want, cursor = set(), 0
        for sentence in group[:-1]:
            cursor += len(sentence)
            want.add(cursor)
        got = {end for _, end in split_sentences(text, "zh")} - {len(text)}
        correct += len(want & got)
        predicted += len(got)
        gold += len(want)
    return {**prf(correct, predicted, gold, "ud_sentence"), "ud_sentences": len(sentences)}


def _best_times(funcs, repeats: int = SPEED_REPEATS) -> list[float]:
    """Best wall time of each function, runs interleaved so load changes hit both alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(repeats):
        for index, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def speed(base: Path) -> dict[str, float]:
    """Our segment stage (sentences, windows, tokens) on the PKU test text vs bare jieba.lcut."""
    text = (base / "pku_test.utf8").read_text(encoding="utf-8")
    document = Document(id="pku_test", kind="other", lang="zh", text=text)
    segmenter = Segmenter(SegmentSettings())
    jieba.initialize()
    segmenter.segment(Document(id="warm", kind="other", lang="zh", text="乡村振兴 GDP。"))
    ours, bare = _best_times([lambda: segmenter.segment(document), lambda: jieba.lcut(text)])
    return {
        "speed_chars": len(text),
        "speed_ours_seconds": round(ours, 3),
        "speed_jieba_seconds": round(bare, 3),
        "speed_ours_chars_per_second": round(len(text) / ours),
        "speed_ratio_vs_jieba": round(bare / ours, 3),
    }


def main() -> dict:
    data = data_dir()
    sighan_dir = data / "sighan2005-icwb2-pku-msr"
    results: dict = {"data_dir": repo_relative(data), "python": platform.python_version()}
    results.update(sighan("pku", sighan_dir))
    results.update(sighan("msr", sighan_dir))
    results.update(ud_boundaries(data / "ud-chinese-gsdsimp" / "zh_gsdsimp-ud-test.conllu"))
    results.update(speed(sighan_dir))
    results["jieba_version"] = jieba.__version__
    path = write_results("segmentation", results)
    for key in sorted(results):
        print(f"{key}: {results[key]}", file=sys.stderr)
    print(f"written: {path}")
    return results


if __name__ == "__main__":
    main()
