"""Roll initial-category scores up to main categories.

Rule (max over children, on the margin): a main category's margin is the largest
margin of its children, its score and method are those of that child, and it is
accepted for a passage exactly when one of its initial children is accepted
(under the children's thresholds and accept rule): suggestions at the two
levels are consistent by construction.
"""

from __future__ import annotations

import numpy as np

from pipeline.classify.scoring import ScoreTable
from pipeline.errors import ClassifyError


def rollup(table: ScoreTable, codebook, level: str = "main") -> ScoreTable:
    """``table`` (any lower level) re-expressed at ``level`` of ``codebook``."""
    parents = [getattr(codebook.ancestor_at(cid, level), "id", None) for cid in table.code_ids]
    if None in parents:
        raise ClassifyError(
            f"codes scored at level {table.level!r} cannot be rolled up to {level!r}",
            unit=f"codebook {codebook.id}",
            hint="classify at the initial level to get main-level suggestions.",
        )
    main_ids = tuple(dict.fromkeys(parents))
    n = len(table.passage_ids)
    scores = np.empty((n, len(main_ids)), dtype=np.float32)
    margins = np.empty_like(scores)
    methods = np.empty((n, len(main_ids)), dtype=object)
    accepted = np.empty((n, len(main_ids)), dtype=bool)
    applied = table.accepted_mask()
    all_methods = np.broadcast_to(table.methods, table.scores.shape)
    rows = np.arange(n)
    for j, main in enumerate(main_ids):
        cols = np.array([i for i, p in enumerate(parents) if p == main])
        best = cols[np.argmax(table.margins[:, cols], axis=1)]
        scores[:, j] = table.scores[rows, best]
        margins[:, j] = table.margins[rows, best]
        methods[:, j] = all_methods[rows, best]
        accepted[:, j] = applied[:, cols].any(axis=1)
    return ScoreTable(
        table.passage_ids, main_ids, scores, margins, methods, level, table.model, accepted
    )
