from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from pipeline.settings_base import Section

Weight = Annotated[float, Field(ge=0.0)]


class ClassifySettings(Section):
    method: Literal["zero-shot", "supervised"] = "zero-shot"
    level: Literal["initial", "main"] = "initial"
    top_k: int = 5
    threshold: float | None = None  # global override of the per-code thresholds
    codings: Path | None = None  # human codings to train the supervised coder
    min_examples_per_code: int = 5
    # supervised: weights offered to cross-validation for the TF-IDF block of the passage
    # text and for the block of the passage with its context sentences (segment
    # context_sentences); [0.0] = not used, e.g. [0.0, 0.5, 1.0] lets CV decide
    text_weights: list[Weight] = Field([0.0], min_length=1)
    context_weights: list[Weight] = Field([0.0], min_length=1)
    # supervised: "per-document" re-estimates each code's share in every coded document
    # (EM, Saerens et al. 2002) and rescales its probabilities to it; thresholds are then
    # chosen on the rescaled out-of-fold scores (needs the training passages' documents)
    prior_shift: Literal["none", "per-document"] = "none"
    # documents with fewer passages keep the training share (EM on a few passages runs to 0/1)
    prior_shift_min_passages: int = Field(20, ge=1)
    # zero-shot: subtract the corpus mean vector before scoring (no labels used)
    center: bool = True
    # zero-shot: calibrated per-code threshold = mean + threshold_z * sd over the corpus
    threshold_z: float = 1.5
    # which ranked codes are applied (pipeline/classify/accept.py): "top1" the best code,
    # "margin" the best plus those within margin_delta of it (at most max_codes),
    # "threshold" every code over its threshold (at most max_codes), "learned" rules
    # chosen from the human codings, cross-fitted by document (zero-shot only)
    accept: Literal["top1", "margin", "threshold", "learned"] = "top1"
    max_codes: int = Field(2, ge=1)
    margin_delta: float = Field(0.02, ge=0.0)
    learn_folds: int = Field(10, ge=2)  # learned: documents are dealt into this many folds
