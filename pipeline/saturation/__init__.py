"""saturation stage: Guest, Namey & Chen (2020) measures and the reserved-case test.

Public API::

    from pipeline.saturation import saturation_measures, bootstrap_saturation, assess_reserved
"""

from pipeline.saturation.measures import (
    BootstrapSummary,
    SaturationMeasures,
    bootstrap_saturation,
    saturation_measures,
)
from pipeline.saturation.report import render_saturation_section, write_saturation
from pipeline.saturation.reserved import (
    ReservedCase,
    ReservedVerdict,
    assess_reserved,
    codes_per_case,
    ordered_cases,
)

__all__ = [
    "BootstrapSummary",
    "ReservedCase",
    "ReservedVerdict",
    "SaturationMeasures",
    "assess_reserved",
    "bootstrap_saturation",
    "codes_per_case",
    "ordered_cases",
    "render_saturation_section",
    "saturation_measures",
    "write_saturation",
]
