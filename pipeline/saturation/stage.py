"""The saturation stage: the Guest et al. measures and the reserved-case verdict of a corpus.

:func:`saturation_stage` computes from plain inputs (documents, passages, the
machine's initial-level suggestions, the candidate categories) and returns a
:class:`SaturationResult`, or a :class:`SaturationSkipped` saying why there is
nothing to measure; the run keeps either in the store and the outputs render it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.classify.suggestion import Suggestion
from pipeline.cluster.candidates import ClusterResult
from pipeline.saturation.accepted import AcceptedCategories, AcceptedCode, accepted_categories
from pipeline.saturation.measures import (
    BootstrapSummary,
    SaturationMeasures,
    bootstrap_saturation,
    saturation_measures,
)
from pipeline.saturation.reserved import (
    ReservedVerdict,
    assess_reserved,
    codes_per_case,
    ordered_cases,
)
from pipeline.segment.passage import Passage


@dataclass(frozen=True)
class SaturationResult:
    measures: SaturationMeasures
    bootstrap: BootstrapSummary
    reserved: ReservedVerdict | None = None
    accepted: AcceptedCategories | None = None  # from the researchers' decisions


@dataclass(frozen=True)
class SaturationSkipped:
    """Too few cases for the measures: ``cases`` < ``base_size`` + ``run_length``."""

    cases: int
    base_size: int
    run_length: int

    @property
    def reason(self) -> str:
        need = self.base_size + self.run_length
        return (f"saturation not measured: {self.cases} case(s), fewer than base_size "
                f"{self.base_size} + run_length {self.run_length} = {need}; add cases or "
                "lower saturation.base_size / run_length")


def saturation_stage(
    documents: Sequence,
    passages: Sequence[Passage],
    initial: Sequence[Suggestion],
    clusters: ClusterResult | None,
    settings,
    seed: int,
    accepted: Sequence[AcceptedCode] = (),
) -> SaturationResult | SaturationSkipped:
    """Cases are the ``kind: case`` documents (all documents when there are none), in
    store order with the reserved ones last; see :mod:`pipeline.saturation`. The
    machine's codes give the Guest et al. measures and the reserved-case verdict;
    ``accepted`` (the researchers' decisions) gives the study's own criterion."""
    cases = [d for d in documents if d.kind == "case"] or list(documents)
    order, reserved = ordered_cases(cases)
    s = settings
    if len(order) < s.base_size + s.run_length:
        return SaturationSkipped(len(order), s.base_size, s.run_length)
    per_case = codes_per_case(passages, initial, order)
    measures = saturation_measures(per_case, s.base_size, s.run_length, s.threshold)
    boot = bootstrap_saturation(per_case, s.base_size, s.run_length, s.threshold, s.orders, seed)
    verdict = None
    if reserved and clusters is not None:
        verdict = assess_reserved(passages, initial, clusters, reserved)
    return SaturationResult(measures, boot, verdict, accepted_categories(order, reserved, accepted))
