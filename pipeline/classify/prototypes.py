"""Code prototypes: one unit vector per code, built from the codebook's own text.

Recipe (weights in :class:`PrototypeRecipe`, all texts in both languages):

1. each *group* of texts of a code is embedded and averaged into one unit vector:
   ``name`` (zh + en name), ``definition`` (zh + en), ``include`` (zh + en
   inclusion notes), ``examples`` (every example passage, any language);
2. a code that has children also gets a ``children`` group: the mean of its
   children's prototypes (recursively), so a main category covers what its
   initial categories describe;
3. the prototype is the weighted sum of the available group vectors, L2-normalized.
   Missing groups (no inclusion note, no examples, a leaf) are left out, the
   remaining weights are used as they are.

Exclusion notes are not used: they describe what the code is *not*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.embed.base import Embedder, l2_normalize


@dataclass(frozen=True)
class PrototypeRecipe:
    name: float = 1.0
    definition: float = 1.0
    include: float = 0.5
    examples: float = 1.0
    children: float = 1.0


def code_text_groups(code) -> dict[str, list[str]]:
    """The texts of one code, grouped as in the recipe (empty groups omitted)."""
    groups = {
        "name": [code.name.zh, code.name.en],
        "definition": [code.definition.zh, code.definition.en],
        "include": [code.include.zh, code.include.en] if code.include else [],
        "examples": [ex.text for ex in code.examples],
    }
    return {key: [t for t in texts if t] for key, texts in groups.items() if texts}


def build_prototypes(
    embedder: Embedder, codebook, code_ids: tuple[str, ...], recipe: PrototypeRecipe
) -> np.ndarray:
    """``(len(code_ids), dim)`` unit prototypes for ``code_ids`` (any level of ``codebook``)."""
    groups = {code.id: code_text_groups(code) for code in codebook.codes}
    texts = sorted({t for g in groups.values() for ts in g.values() for t in ts})
    lookup = dict(zip(texts, embedder.encode(texts), strict=True))
    memo: dict[str, np.ndarray] = {}

    def proto(code_id: str) -> np.ndarray:
        if code_id not in memo:
            parts = [
                getattr(recipe, key) * _mean_unit([lookup[t] for t in ts])
                for key, ts in groups[code_id].items()
            ]
            kids = codebook.children(code_id)
            if kids:
                parts.append(recipe.children * _mean_unit([proto(k.id) for k in kids]))
            memo[code_id] = _mean_unit(parts, normalize_parts=False)
        return memo[code_id]

    return np.stack([proto(cid) for cid in code_ids]).astype(np.float32)


def _mean_unit(vectors: list[np.ndarray], normalize_parts: bool = True) -> np.ndarray:
    stack = np.stack(vectors)
    if normalize_parts:
        stack = l2_normalize(stack)
    return l2_normalize(stack.sum(axis=0, keepdims=True))[0]
