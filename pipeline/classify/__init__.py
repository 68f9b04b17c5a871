"""classify stage: ranked code suggestions for passages, zero-shot or learned.

Public API::

    from pipeline.classify import ZeroShotCoder, SupervisedCoder, save_coder, load_coder
    coder = ZeroShotCoder(embedder, codebook, level="initial").fit(passages)
    suggestions = coder.suggest(passages)                 # initial level
    main = coder.suggest(passages, level="main")          # rolled up, consistent
    order = uncertainty(coder.score_table(passages).margins)
"""

from pipeline.classify.codings import read_codings
from pipeline.classify.hierarchy import rollup
from pipeline.classify.persist import load_coder, model_card, save_coder
from pipeline.classify.prior import adjust_probabilities, estimate_prior, shift_per_group
from pipeline.classify.prototypes import PrototypeRecipe, build_prototypes
from pipeline.classify.scoring import ScoreTable, calibrate_thresholds, to_suggestions, uncertainty
from pipeline.classify.suggestion import NO_CODE, Suggestion
from pipeline.classify.supervised import FALLBACK, SupervisedCoder
from pipeline.classify.zeroshot import ZeroShotCoder, refine_prototypes

__all__ = [
    "FALLBACK",
    "NO_CODE",
    "PrototypeRecipe",
    "ScoreTable",
    "Suggestion",
    "SupervisedCoder",
    "ZeroShotCoder",
    "adjust_probabilities",
    "build_prototypes",
    "calibrate_thresholds",
    "estimate_prior",
    "load_coder",
    "model_card",
    "read_codings",
    "refine_prototypes",
    "rollup",
    "save_coder",
    "shift_per_group",
    "to_suggestions",
    "uncertainty",
]
