"""Passages Parquet in, vectors ``.npy`` (+ a JSON sidecar) out."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from pipeline.errors import ClassifyError, ModelError
from pipeline.io import atomic_path, atomic_write_text
from pipeline.segment.passage import Passage

_FIELDS = [f.name for f in dataclasses.fields(Passage)]


def read_passages(path: str | Path) -> list[Passage]:
    """``Passage`` records from a Parquet file whose columns are the ``Passage`` fields."""
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # missing file, not Parquet
        raise ClassifyError(f"cannot read the passages table: {exc}", file=path) from None
    missing = [c for c in ("id", "doc_id", "start", "end", "text") if c not in frame.columns]
    if missing:
        raise ClassifyError(
            f"missing column(s) {', '.join(missing)}",
            file=path,
            hint="pass the passages.parquet written by `groundcode segment` or `groundcode run`.",
        )
    rows = frame[[c for c in _FIELDS if c in frame.columns]].to_dict("records")
    return [_passage(row, path, i) for i, row in enumerate(rows)]


def _passage(row: dict, path: Path, index: int) -> Passage:
    row = {k: v for k, v in row.items() if v is not None}
    row["tokens"] = tuple(row.get("tokens", ()))
    row.setdefault("lang", "zh")
    row.setdefault("paragraph", 0)
    if not isinstance(row["text"], str):
        raise ClassifyError("text is not a string", file=path, unit=f"row {index + 1}")
    return Passage(**row)


def write_vectors(vectors: np.ndarray, ids: list[str], embedder_id: str, out: str | Path) -> Path:
    """``out`` (.npy) plus ``out.json`` with the embedder id and the passage ids in row order."""
    out = Path(out)
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as handle:
            np.save(handle, np.asarray(vectors, dtype=np.float32))
    meta = {"embedder": embedder_id, "dim": int(vectors.shape[1]), "passage_ids": ids}
    atomic_write_text(out.with_suffix(".json"), json.dumps(meta, ensure_ascii=False) + "\n")
    return out


def read_vectors(path: str | Path, ids: list[str], embedder_id: str) -> np.ndarray:
    """Vectors written by :func:`write_vectors`, checked against passage ids and embedder."""
    path = Path(path)
    sidecar = path.with_suffix(".json")
    if not path.is_file() or not sidecar.is_file():
        raise ModelError("vectors or their .json sidecar not found", file=path)
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    if meta["embedder"] != embedder_id:
        raise ModelError(
            f"vectors were made by {meta['embedder']!r}, not by {embedder_id!r}",
            file=sidecar,
            hint="re-embed with `groundcode embed` using the same embed settings.",
        )
    if meta["passage_ids"] != ids:
        raise ModelError(
            "the vectors belong to other passages (ids differ)",
            file=sidecar,
            hint="re-embed these passages.",
        )
    return np.load(path)
