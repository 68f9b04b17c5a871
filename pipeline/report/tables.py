"""Derived tables for the reports, computed from plain DataFrames.

Inputs are the frames a run writes (documents, passages, suggestions) and the
codebook; every function here is pure and deterministic (sorted outputs), so
the report data of two identical runs compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.classify.suggestion import NO_CODE

DOC_ATTRIBUTES = ("enterprise_type", "arena", "edition", "year", "kind", "group")


@dataclass(frozen=True)
class CodeCells:
    """Per passage and leaf code: whether it is coded (0/1) and the best initial score,
    made for a range of passages at a time (a dense table of every passage is
    passages x codes cells). Rows are ``index`` (passage ids), columns ``leaf_ids``;
    ``coded`` and ``scored`` are (passage position, leaf position[, score]) sorted by
    passage position, scores ascending within a cell."""

    index: pd.Index
    leaf_ids: list[str]
    coded: tuple[np.ndarray, np.ndarray]
    scored: tuple[np.ndarray, np.ndarray, np.ndarray]

    def _block(self, rows: tuple[np.ndarray, ...], start: int, stop: int, fill, dtype):
        lo, hi = np.searchsorted(rows[0], [start, stop])
        block = np.full((stop - start, len(self.leaf_ids)), fill, dtype=dtype)
        values = rows[2][lo:hi] if len(rows) > 2 else 1
        block[rows[0][lo:hi] - start, rows[1][lo:hi]] = values  # the last (highest) wins
        return pd.DataFrame(block, index=self.index[start:stop],
                            columns=pd.Index(self.leaf_ids, name="code_id"))

    def matrix(self, start: int, stop: int) -> pd.DataFrame:
        """Passages ``start:stop`` x leaf codes, 1 where an accepted coding codes them."""
        return self._block(self.coded, start, stop, 0, np.int64)

    def scores(self, start: int, stop: int) -> pd.DataFrame:
        """Passages ``start:stop`` x leaf codes, the best initial score (NaN: none)."""
        return self._block(self.scored, start, stop, np.nan, np.float64)


@dataclass(frozen=True)
class ReportTables:
    documents: pd.DataFrame  # one row per document with attributes
    passages: pd.DataFrame  # one row per passage with document attributes
    codings: pd.DataFrame  # accepted machine codings: passage_id, doc_id, code_id, main_id, score
    cells: CodeCells  # passage x code: coded and best score, a range of passages at a time

    @property
    def matrix(self) -> pd.DataFrame:
        """passage x code 0/1 (index passage_id), every passage."""
        return self.cells.matrix(0, len(self.passages))

    @property
    def scores(self) -> pd.DataFrame:
        """passage x code best score (index passage_id), every passage."""
        return self.cells.scores(0, len(self.passages))


def document_frame(documents: pd.DataFrame) -> pd.DataFrame:
    """Flatten ``meta`` (a dict column) into attribute columns."""
    frame = documents.copy()
    if "meta" in frame.columns:
        meta = pd.json_normalize(frame["meta"].map(lambda m: m or {}).tolist())
        meta.index = frame.index
        extra = [c for c in meta.columns if c not in frame.columns]
        frame = pd.concat([frame.drop(columns=["meta"]), meta[extra]], axis=1)
    for column in frame.columns:  # years etc. stay integers when some rows lack them
        values = frame[column]
        if values.dtype.kind == "f" and values.dropna().apply(float.is_integer).all():
            frame[column] = values.astype("Int64")
    return frame.sort_values("id").reset_index(drop=True)


def _initial(suggestions: pd.DataFrame) -> np.ndarray:
    return (suggestions["level"] == "initial").to_numpy()


def accepted_codings(suggestions: pd.DataFrame, passages: pd.DataFrame, codebook) -> pd.DataFrame:
    """Accepted initial-level machine codings joined to their documents and main category
    (rows in the suggestions' order, then sorted by passage and rank)."""
    keep = _initial(suggestions) & (suggestions["code_id"] != NO_CODE).to_numpy()
    if "accepted" in suggestions.columns:
        keep &= suggestions["accepted"].astype(bool).to_numpy()
    rows = np.flatnonzero(keep)
    at = pd.Index(passages["id"]).get_indexer(suggestions["passage_id"].to_numpy()[rows])
    rows, at = rows[at >= 0], at[at >= 0]
    sug = {c: suggestions[c].to_numpy()[rows] for c in ("passage_id", "code_id", "score", "rank")}
    sug["doc_id"] = passages["doc_id"].to_numpy()[at]
    mains = {c: _main_of(codebook, c) for c in set(sug["code_id"].tolist())}
    sug["main_id"] = np.array([mains[c] for c in sug["code_id"].tolist()], dtype=object)
    order = np.lexsort((sug["rank"], pd.factorize(sug["passage_id"], sort=True)[0]))
    cols = ["passage_id", "doc_id", "code_id", "main_id", "score", "rank"]
    return pd.DataFrame({c: sug[c][order] for c in cols}, columns=cols)


def counts(rows: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """``pd.crosstab(rows, columns)`` (sorted labels, names kept), vectorized.

    ``crosstab`` aggregates every cell in Python; a grouped ``size`` does not.
    """
    if len(rows) == 0:
        return pd.crosstab(rows, columns)
    frame = pd.DataFrame({"r": rows.to_numpy(), "c": columns.to_numpy()})
    table = frame.groupby(["r", "c"], sort=True).size().unstack("c", fill_value=0)
    table.index.name, table.columns.name = rows.name, columns.name
    return table.astype("int64")


def _main_of(codebook, code_id: str) -> str:
    main = codebook.ancestor_at(code_id, "main")
    return main.id if main is not None else code_id


def code_cells(suggestions: pd.DataFrame, codings: pd.DataFrame, passage_ids: pd.Series,
               codebook) -> CodeCells:
    """The :class:`CodeCells` of ``passage_ids`` from the accepted ``codings`` and the
    initial-level ``suggestions`` (codes other than the leaves are left out)."""
    index = pd.Index(passage_ids)
    leaf_ids = [c.id for c in codebook.leaves()]
    leaves = pd.Index(leaf_ids)
    coded = (index.get_indexer(codings["passage_id"].to_numpy()),
             leaves.get_indexer(codings["code_id"].to_numpy()))
    rows = np.flatnonzero(_initial(suggestions))
    scored = (index.get_indexer(suggestions["passage_id"].to_numpy()[rows]),
              leaves.get_indexer(suggestions["code_id"].to_numpy()[rows]),
              suggestions["score"].to_numpy(dtype=np.float64)[rows])
    del rows
    return CodeCells(index, leaf_ids, _sorted_cells(coded), _sorted_cells(scored))


def _sorted_cells(cells: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The cells inside the table (and with a score), by passage then score."""
    keep = (cells[0] >= 0) & (cells[1] >= 0)
    if len(cells) > 2:
        keep &= ~np.isnan(cells[2])
    cells = tuple(c[keep] for c in cells)
    order = np.lexsort(cells[2:] + cells[:1])
    return (cells[0][order], cells[1][order].astype(np.int32), *(c[order] for c in cells[2:]))


def build_tables(documents, passages, suggestions, codebook) -> ReportTables:
    docs = document_frame(documents)
    attrs = [c for c in DOC_ATTRIBUTES if c in docs.columns and c != "kind"]
    pas = passages.merge(
        docs[["id", "kind", *attrs]].rename(columns={"id": "doc_id"}), on="doc_id", how="left"
    )
    pas = pas.sort_values(["doc_id", "start"]).reset_index(drop=True)
    codings = accepted_codings(suggestions, pas, codebook)
    return ReportTables(docs, pas, codings, code_cells(suggestions, codings, pas["id"], codebook))


def frequency_by(tables: ReportTables, attribute: str, level: str = "main") -> pd.DataFrame:
    """Number of coded passages per code (rows) and document attribute value (columns)."""
    code_col = "main_id" if level == "main" else "code_id"
    if attribute == "doc_id":
        joined = tables.codings.assign(value=tables.codings["doc_id"])
    else:
        if attribute not in tables.documents.columns:
            return pd.DataFrame()
        values = tables.documents.set_index("id")[attribute].astype(str)
        joined = tables.codings.assign(value=tables.codings["doc_id"].map(values))
    joined = joined.drop_duplicates(["passage_id", code_col, "value"])
    table = counts(joined[code_col], joined["value"])
    return table.sort_index().sort_index(axis=1)


def cooccurrence(tables: ReportTables, level: str = "main") -> pd.DataFrame:
    """Passages coded with both codes (diagonal: passages coded with the code)."""
    code_col = "main_id" if level == "main" else "code_id"
    onehot = counts(tables.codings["passage_id"], tables.codings[code_col]).clip(upper=1)
    co = onehot.T @ onehot
    return co.sort_index().sort_index(axis=1)


def top_passages(tables: ReportTables, code_id: str, n: int = 3) -> pd.DataFrame:
    """The ``n`` highest-scoring passages coded with ``code_id``, with their location."""
    rows = tables.codings[tables.codings["code_id"] == code_id]
    rows = rows.sort_values(["score", "passage_id"], ascending=[False, True]).head(n)
    located = tables.passages[["id", "start", "end", "text"]]
    merged = rows.merge(located, left_on="passage_id", right_on="id", how="left")
    return merged.drop(columns=["id"]).reset_index(drop=True)


def top_passages_by_code(tables: ReportTables, n: int = 3) -> dict[str, pd.DataFrame]:
    """:func:`top_passages` for every code at once (one sort, one merge)."""
    rows = tables.codings.sort_values(
        ["code_id", "score", "passage_id"], ascending=[True, False, True], kind="stable"
    )
    rows = rows.groupby("code_id", sort=False).head(n)
    located = tables.passages[["id", "start", "end", "text"]]
    merged = rows.merge(located, left_on="passage_id", right_on="id", how="left")
    merged = merged.drop(columns=["id"])
    return {
        code: group.reset_index(drop=True)
        for code, group in merged.groupby("code_id", sort=True)
    }
