"""Small stand-ins for the cluster tests: blob vectors and passages built from text."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.segment.passage import Passage


def make_blobs(centers: np.ndarray, per_blob: int, spread: float, seed: int):
    rng = np.random.default_rng(seed)
    points = [c + spread * rng.standard_normal((per_blob, centers.shape[1])) for c in centers]
    labels = np.repeat(np.arange(len(centers)), per_blob)
    return np.vstack(points), labels


def passages_from_texts(texts: list[str], lang: str = "zh", doc_prefix: str = "doc"):
    out, offset = [], 0
    for i, text in enumerate(texts):
        doc = f"{doc_prefix}{i % 4}"
        out.append(
            Passage(
                Passage.make_id(doc, offset, offset + len(text)),
                doc,
                offset,
                offset + len(text),
                text,
                lang,
                paragraph=i,
            )
        )
        offset += len(text) + 1
    return out


@pytest.fixture
def unit_centers() -> np.ndarray:
    """Four orthogonal directions in 16-d (well separated on the unit sphere)."""
    return np.eye(16)[:4] * 1.0
