"""Withheld-code test on the bundled demo corpus (real USE embeddings, so marked slow).

Remove A40 (support for rural doctors, under B10 talent cultivation) from the
codebook and code the demo corpus again: the passages the full codebook coded
A40 first must come back together as one candidate category whose nearest main
category is B10, and its draft code must be filed under B10.

Open coding runs over all passages here (``cluster.all_passages``): the zero-shot
coder accepts several codes per passage (per-code calibrated thresholds, top 5),
so withholding one code leaves its passages coded by neighbouring codes (A16,
A43) rather than uncoded.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from pipeline.classify.suggestion import NO_CODE
from pipeline.cluster.adopt import candidate_to_code, nearest_main_category
from pipeline.codebook import load_codebook
from pipeline.config import load_config
from pipeline.engines.standalone import code_and_cluster

REPO = Path(__file__).resolve().parents[2]
WITHHELD, PARENT = "A40", "B10"


def _first_code(suggestions) -> dict[str, str]:
    """Passage id -> its top-ranked accepted code."""
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for s in suggestions:
        if s.accepted and s.code_id != NO_CODE:
            ranked[s.passage_id].append((s.rank, s.code_id))
    return {pid: min(codes)[1] for pid, codes in ranked.items()}


@pytest.mark.slow
def test_withheld_code_surfaces_as_a_candidate_under_its_parent(tmp_path):
    config = load_config(REPO / "configs" / "demo.yaml")
    cluster = config.cluster.model_copy(update={"all_passages": True})
    config = config.model_copy(update={"output": tmp_path, "cluster": cluster})
    book = load_codebook(config.codebook)

    full = code_and_cluster(config, codebook=book)
    withheld_passages = {p for p, code in _first_code(full.suggestions).items() if code == WITHHELD}
    assert len(withheld_passages) >= 5  # enough demo passages to form a group

    reduced = code_and_cluster(config, codebook=book.without([WITHHELD]))
    assert WITHHELD not in reduced.codebook
    assert all(s.code_id != WITHHELD for s in reduced.suggestions)
    best = max(
        reduced.clusters.candidates,
        key=lambda c: (len(withheld_passages & set(c.passage_ids)), c.id),
    )
    members = set(best.passage_ids)
    found = withheld_passages & members
    assert len(found) >= 0.7 * len(withheld_passages)  # they come back together
    assert len(found) >= 0.6 * len(members)  # and make up most of the candidate
    assert nearest_main_category(best, reduced.codebook) == PARENT
    assert best.nearest_main[0].code_id == PARENT
    assert candidate_to_code(best, reduced.codebook)["parent"] == PARENT
    assert "乡村医生" in best.keywords or "乡医" in best.keywords
