"""Candidate categories to and from the store's rows (the cluster stage's result).

Each candidate becomes a :class:`~pipeline.store.results.CandidateRecord` (its member
passages as rows, the rest as JSON); the outliers and the fit go into the stage's
result. :func:`result_from_store` rebuilds the identical :class:`ClusterResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.cluster.candidates import CandidateCategory, ClusterResult, FitInfo
from pipeline.records import from_data, to_data
from pipeline.store.results import CandidateRecord


def result_to_store(result: ClusterResult) -> tuple[dict[str, Any], list[CandidateRecord]]:
    """(stage result payload, candidate records) for :meth:`ResultRepo.save_stage_result`."""
    payload = {"outliers": list(result.outliers), "outlier_share": result.outlier_share,
               "fit": to_data(result.fit)}
    records = []
    for cand in result.candidates:
        data = to_data(cand)
        data.pop("passage_ids")
        records.append(CandidateRecord(cand.id, cand.label.zh, cand.label.en, cand.novelty,
                                       tuple(cand.passage_ids), data))
    return payload, records


def result_from_store(payload: dict[str, Any], records: Sequence[CandidateRecord]) -> ClusterResult:
    candidates = tuple(
        from_data(CandidateCategory, {**r.data, "passage_ids": list(r.passage_ids)})
        for r in records
    )
    fit = payload.get("fit")
    return ClusterResult(candidates, tuple(payload["outliers"]), payload["outlier_share"],
                         None if fit is None else from_data(FitInfo, fit))
