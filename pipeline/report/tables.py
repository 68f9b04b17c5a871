"""Derived tables for the reports, computed from plain DataFrames.

Inputs are the frames a run writes (documents, passages, suggestions) and the
codebook; every function here is pure and deterministic (sorted outputs), so
the report data of two identical runs compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.classify.suggestion import NO_CODE

DOC_ATTRIBUTES = ("enterprise_type", "arena", "edition", "year", "kind", "group")


@dataclass(frozen=True)
class ReportTables:
    documents: pd.DataFrame  # one row per document with attributes
    passages: pd.DataFrame  # one row per passage with document attributes
    codings: pd.DataFrame  # accepted machine codings: passage_id, doc_id, code_id, main_id, score
    matrix: pd.DataFrame  # passage x code 0/1 (index passage_id)
    scores: pd.DataFrame  # passage x code best score (index passage_id)


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


def accepted_codings(suggestions: pd.DataFrame, passages: pd.DataFrame, codebook) -> pd.DataFrame:
    """Accepted initial-level machine codings joined to their documents and main category."""
    sug = suggestions[(suggestions["level"] == "initial") & (suggestions["code_id"] != NO_CODE)]
    if "accepted" in sug.columns:
        sug = sug[sug["accepted"].astype(bool)]
    sug = sug.merge(passages[["id", "doc_id"]], left_on="passage_id", right_on="id", how="inner")
    sug = sug.drop(columns=["id"])
    sug["main_id"] = sug["code_id"].map(lambda c: _main_of(codebook, c))
    cols = ["passage_id", "doc_id", "code_id", "main_id", "score", "rank"]
    return sug[cols].sort_values(["passage_id", "rank"]).reset_index(drop=True)


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


def build_tables(documents, passages, suggestions, codebook) -> ReportTables:
    docs = document_frame(documents)
    attrs = [c for c in DOC_ATTRIBUTES if c in docs.columns and c != "kind"]
    pas = passages.merge(
        docs[["id", "kind", *attrs]].rename(columns={"id": "doc_id"}), on="doc_id", how="left"
    )
    pas = pas.sort_values(["doc_id", "start"]).reset_index(drop=True)
    codings = accepted_codings(suggestions, pas, codebook)
    leaf_ids = [c.id for c in codebook.leaves()]
    matrix = counts(codings["passage_id"], codings["code_id"]).clip(upper=1)
    matrix = matrix.reindex(index=pas["id"], columns=leaf_ids, fill_value=0).fillna(0).astype(int)
    initial = suggestions[suggestions["level"] == "initial"]
    scores = initial.groupby(["passage_id", "code_id"])["score"].max().unstack("code_id")
    scores = scores.reindex(index=pas["id"], columns=leaf_ids).astype(float)
    return ReportTables(docs, pas, codings, matrix, scores)


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
