"""Write lists of stage records (dataclasses) as Parquet + CSV, atomically.

Parquet keeps types (token lists stay lists); the CSV twin is for people and
spreadsheets (lists joined with spaces, UTF-8 with BOM so Excel shows Chinese).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
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


ROWS = 250_000  # rows converted to Arrow at a time by write_frame


def _listy_columns(frame: pd.DataFrame) -> list[str]:
    """The object columns holding lists or dicts (written as text in the CSV).

    Only object columns pandas cannot type as plain scalars (``infer_dtype`` says
    "mixed…") are scanned cell by cell, so wide numeric/text tables cost nothing.
    """
    out = []
    for col in frame.columns:
        values = frame[col]
        if values.dtype != object or not pd.api.types.infer_dtype(values, skipna=True).startswith(
            "mixed"
        ):
            continue
        if values.map(lambda v: isinstance(v, list | dict)).any():
            out.append(col)
    return out


def _csv_ready(frame: pd.DataFrame, listy: list[str] | None = None) -> pd.DataFrame:
    """Lists joined with spaces and dicts as text in the ``listy`` columns (found when
    None; every value of such a column becomes text); other columns as they are."""
    listy = _listy_columns(frame) if listy is None else listy
    if not listy:
        return frame
    out = frame.copy()
    for col in listy:
        out[col] = out[col].map(lambda v: " ".join(map(str, v)) if isinstance(v, list) else str(v))
    return out


def write_frame(frame: pd.DataFrame, stem: str | Path) -> dict[str, Path]:
    """Write ``stem.parquet`` and ``stem.csv``; returns the paths by format. A frame of
    more than ``ROWS`` rows is converted and written ``ROWS`` rows at a time."""
    stem = Path(stem)
    parquet, csv = stem.with_suffix(".parquet"), stem.with_suffix(".csv")
    with atomic_path(parquet) as tmp:
        _write_parquet(frame, tmp)
    with atomic_path(csv) as tmp:
        _write_csv(frame, tmp)
    return {"parquet": parquet, "csv": csv}


def _slices(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), ROWS):
        yield frame.iloc[start : start + ROWS]


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame.to_parquet``; a long frame one row group of ``ROWS`` rows at a time (all
    with the first slice's schema; pandas writes it whole when a slice does not fit)."""
    import pyarrow as pa
    from pyarrow import parquet as pq

    if len(frame) <= ROWS:
        frame.to_parquet(path, index=False)
        return
    writer = None
    try:
        for part in _slices(frame):
            schema = None if writer is None else writer.schema
            table = pa.Table.from_pandas(part, schema=schema, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        if writer is not None:  # closed before pandas writes the file afresh
            writer.close()
            writer = None
        frame.to_parquet(path, index=False)
    finally:
        if writer is not None:
            writer.close()


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV with a BOM (so Excel shows Chinese), written by Arrow's C++ writer
    ``ROWS`` rows at a time (the frame whole when the slices' types differ); pandas
    writes the file when Arrow cannot type a column (e.g. mixed numbers and text)."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    errors = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
    listy = _listy_columns(frame)
    if len(frame) > ROWS:
        try:
            with path.open("wb") as fh:
                fh.write("\ufeff".encode())
                _write_csv_slices(frame, listy, fh)
            return
        except errors:  # a slice does not fit the first one's types: the frame whole
            pass
    try:
        with path.open("wb") as fh:
            fh.write("\ufeff".encode())
            pa_csv.write_csv(pa.Table.from_pandas(_csv_ready(frame, listy),
                                                  preserve_index=False), fh)
    except errors:
        _csv_ready(frame, listy).to_csv(path, index=False, encoding="utf-8-sig")


def _write_csv_slices(frame: pd.DataFrame, listy: list[str], fh) -> None:
    """The rows of ``frame`` as CSV into ``fh``, ``ROWS`` at a time (all with the first
    slice's Arrow schema)."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    writer, schema = None, None
    try:
        for part in _slices(frame):
            table = pa.Table.from_pandas(_csv_ready(part, listy), schema=schema,
                                         preserve_index=False)
            if writer is None:
                schema = table.schema
                writer = pa_csv.CSVWriter(fh, schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def write_records(
    records: Sequence[Any], stem: str | Path, columns: Sequence[str] | None = None
) -> dict[str, Path]:
    return write_frame(records_frame(records, columns), stem)
