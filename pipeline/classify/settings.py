from __future__ import annotations

from pathlib import Path
from typing import Literal

from pipeline.settings_base import Section


class ClassifySettings(Section):
    method: Literal["zero-shot", "supervised"] = "zero-shot"
    level: Literal["initial", "main"] = "initial"
    top_k: int = 5
    threshold: float | None = None  # global override of the per-code thresholds
    codings: Path | None = None  # human codings to train the supervised coder
    min_examples_per_code: int = 5
    # zero-shot: subtract the corpus mean vector before scoring (no labels used)
    center: bool = True
    # zero-shot: calibrated per-code threshold = mean + threshold_z * sd over the corpus
    threshold_z: float = 1.5
