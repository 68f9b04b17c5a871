"""Adopting candidates: ``candidates.yaml`` in codebook format, and merging it.

``candidates.yaml`` lists draft codes a researcher edits and merges::

    candidates_for: {codebook: soe-assistance, version: "1.0", hash: <sha256>}
    clusters_fit: {fit: 3f2a..., fitted_passages: 5210, assigned_since: 12, left_since: 0}
    # a fit on a sample (cluster.max_fit_passages) adds: sample: 20000, sampled_from: 500000
    codes:
      - id: C01
        parent: B05            # nearest main category
        level: initial
        name: {zh: "（草稿）光伏、发电、收益", en: "(draft) Candidate: 光伏, 发电, 收益"}
        definition: {zh: ..., en: ...}
        examples: [{lang: zh, text: <representative passage>}, ...]
        keywords: [光伏, 发电, ...]                     # draft-only keys below:
        novelty: 0.93
        nearest_codes: [{id: A13, similarity: 0.71}, ...]
        sources: [{passage: "01-X:10-52", doc_id: 01-X, start: 10, end: 52}, ...]
        passages: 14

Each entry is a codebook code plus the draft-only keys in :data:`DRAFT_KEYS`;
:func:`merge_candidates` drops those keys and merges the codes with
:meth:`Codebook.merge`, which re-validates and re-hashes the codebook.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from pipeline.cluster.candidates import CandidateCategory, ClusterResult
from pipeline.codebook import Codebook
from pipeline.errors import CodebookError
from pipeline.io import atomic_write_text

DRAFT_KEYS = (
    "keywords",
    "novelty",
    "density_novelty",
    "nearest_codes",
    "nearest_main",
    "sources",
    "passages",
)
DRAFT_MARK = {"zh": "（草稿）", "en": "(draft) "}


def nearest_main_category(candidate: CandidateCategory, book: Codebook) -> str:
    """The candidate's main category in ``book``.

    With main-category prototypes (``candidate.nearest_main``): the nearest one that
    is in the codebook. Otherwise the main category with the largest summed
    similarity over the candidate's nearest initial codes.
    """
    for near in candidate.nearest_main:
        if near.code_id in book and book.get(near.code_id).level == "main":
            return near.code_id
    votes: dict[str, float] = defaultdict(float)
    for near in candidate.nearest_codes:
        main = book.ancestor_at(near.code_id, "main")
        if main is not None:
            votes[main.id] += max(near.similarity, 0.0)
    if not votes:
        raise CodebookError(
            f"none of the nearest codes of {candidate.id} is in the codebook",
            unit=f"codebook {book.id}",
            hint="build the prototypes from the same codebook you adopt candidates into.",
        )
    return max(sorted(votes), key=votes.__getitem__)


def candidate_to_code(candidate: CandidateCategory, book: Codebook) -> dict[str, Any]:
    words_zh = "、".join(candidate.keywords) or "无"
    words_en = ", ".join(candidate.keywords) or "none"
    return {
        "id": candidate.id,
        "parent": nearest_main_category(candidate, book),
        "level": "initial",
        "name": {
            "zh": DRAFT_MARK["zh"] + candidate.label.zh,
            "en": DRAFT_MARK["en"] + candidate.label.en,
        },
        "definition": {
            "zh": f"草稿：聚类得到的候选范畴，关键词为{words_zh}。请研究者改写定义后再合并。",
            "en": f"Draft candidate category from clustering; keywords: {words_en}. "
            "Rewrite this definition before merging.",
        },
        "examples": [
            {"lang": r.lang if r.lang in ("zh", "en") else "zh", "text": r.text}
            for r in candidate.representatives
        ],
        "keywords": list(candidate.keywords),
        "novelty": candidate.novelty,
        "density_novelty": candidate.density_novelty,
        "nearest_codes": [
            {"id": n.code_id, "similarity": n.similarity} for n in candidate.nearest_codes
        ],
        "nearest_main": [
            {"id": n.code_id, "similarity": n.similarity} for n in candidate.nearest_main
        ],
        "sources": [
            {"passage": r.passage_id, "doc_id": r.doc_id, "start": r.start, "end": r.end}
            for r in candidate.representatives
        ],
        "passages": len(candidate.passage_ids),
    }


def candidates_to_dict(result: ClusterResult, book: Codebook) -> dict[str, Any]:
    data: dict[str, Any] = {
        "candidates_for": {"codebook": book.id, "version": book.version, "hash": book.hash}
    }
    if result.fit is not None:  # a frozen clusterer's fit (pipeline.cluster.frozen)
        data["clusters_fit"] = {
            "fit": result.fit.fit_id,
            "fitted_passages": result.fit.fitted_passages,
            "assigned_since": result.fit.assigned,
            "left_since": result.fit.left,
        }
        if result.fit.sample:
            data["clusters_fit"]["sample"] = result.fit.sample
            data["clusters_fit"]["sampled_from"] = result.fit.sampled_from
    data["codes"] = [candidate_to_code(c, book) for c in result.candidates]
    return data


def write_candidates(result: ClusterResult, book: Codebook, path: str | Path) -> Path:
    """Write ``candidates.yaml`` atomically."""
    header = (
        "# groundcode candidate categories (drafts): edit names, definitions and parents,\n"
        "# delete what you do not adopt, then: groundcode codebook merge BASE.yaml THIS.yaml\n"
    )
    if result.fit is not None:
        fit = result.fit
        header += (
            f"# clusters fitted once (fit {fit.fit_id}, {fit.fitted_passages} passages) and "
            "kept; since then\n"
            f"# {fit.assigned} passage(s) were assigned to them by their nearest fitted "
            f"passages and {fit.left} left.\n"
            "# `groundcode run --refit` clusters afresh.\n"
        )
        if fit.sample:
            header += (
                f"# the fit clustered the uncoded passages of a seeded sample of {fit.sample} of "
                f"the {fit.sampled_from}\n# passages (cluster.max_fit_passages); the other "
                "uncoded passages were assigned to the\n# clusters by their nearest fitted "
                "passages.\n"
            )
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available
    text = yaml.dump(
        candidates_to_dict(result, book), Dumper=dumper, allow_unicode=True, sort_keys=False,
        width=100,
    )
    atomic_write_text(path, header + text)
    return Path(path)


def read_candidate_codes(path: str | Path) -> list[dict[str, Any]]:
    """The codes of a candidates file, without the draft-only keys."""
    from pipeline.userfiles import read_text
    from pipeline.yamlsafe import check_yaml

    source = Path(path)
    if not source.is_file():
        raise CodebookError("candidates file not found", file=source)
    text = read_text(source, error=CodebookError, what="candidates file").text
    check_yaml(text, file=source, error=CodebookError)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        unit = f"line {mark.line + 1}" if mark is not None else None
        raise CodebookError(f"invalid YAML: {exc}", file=source, unit=unit) from None
    codes = data.get("codes") if isinstance(data, dict) else None
    if not isinstance(codes, list) or not all(isinstance(c, dict) for c in codes):
        raise CodebookError(
            "expected a mapping with a 'codes' list of draft codes",
            file=source,
            hint="write it with `groundcode cluster`, or follow its format.",
        )
    return [{k: v for k, v in code.items() if k not in DRAFT_KEYS} for code in codes]


def merge_candidates(base: Codebook, candidates_yaml: str | Path) -> Codebook:
    """``base`` plus the (edited) candidate codes: validated, with a new content hash."""
    codes = read_candidate_codes(candidates_yaml)
    try:
        return base.merge(codes)
    except CodebookError as exc:
        raise CodebookError(
            exc.message, file=candidates_yaml, unit=exc.unit, hint=exc.hint
        ) from None
