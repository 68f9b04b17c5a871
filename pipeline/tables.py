"""Write lists of stage records (dataclasses) as Parquet + CSV, atomically.

Parquet keeps types (token lists stay lists); the CSV twin is for people and
spreadsheets (lists joined with spaces, UTF-8 with BOM so Excel shows Chinese).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.io import atomic_path


def records_frame(records: Sequence[Any], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame with one row per dataclass record (columns in field order)."""
    if records:
        rows = [dataclasses.asdict(r) for r in records]
        frame = pd.DataFrame(rows)
    else:
        frame = pd.DataFrame(columns=list(columns or []))
    for col in frame.columns:
        if frame[col].map(lambda v: isinstance(v, tuple)).any():
            frame[col] = frame[col].map(lambda v: list(v) if isinstance(v, tuple) else v)
    return frame


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists joined with spaces and dicts as text; other columns as they are.

    Only object columns pandas cannot type as plain scalars (``infer_dtype`` says
    "mixed…") are scanned cell by cell, so wide numeric/text tables cost nothing.
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype != object or not pd.api.types.infer_dtype(values, skipna=True).startswith(
            "mixed"
        ):
            continue
        if values.map(lambda v: isinstance(v, list | dict)).any():
            out[col] = values.map(
                lambda v: " ".join(map(str, v)) if isinstance(v, list) else str(v)
            )
    return out


def write_frame(frame: pd.DataFrame, stem: str | Path) -> dict[str, Path]:
    """Write ``stem.parquet`` and ``stem.csv``; returns the paths by format."""
    stem = Path(stem)
    parquet, csv = stem.with_suffix(".parquet"), stem.with_suffix(".csv")
    with atomic_path(parquet) as tmp:
        frame.to_parquet(tmp, index=False)
    with atomic_path(csv) as tmp:
        _write_csv(_csv_ready(frame), tmp)
    return {"parquet": parquet, "csv": csv}


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV with a BOM (so Excel shows Chinese), written by Arrow's C++ writer;
    pandas writes the columns Arrow cannot type (e.g. mixed numbers and text)."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return
    with path.open("wb") as fh:
        fh.write("\ufeff".encode())
        pa_csv.write_csv(table, fh)


def write_records(
    records: Sequence[Any], stem: str | Path, columns: Sequence[str] | None = None
) -> dict[str, Path]:
    return write_frame(records_frame(records, columns), stem)
