"""TF-IDF text blocks of the supervised coder: the passage itself and its context window.

Two blocks, each with its own vocabulary and its own weight (chosen by the
coder's cross-validation):

* ``own``: the passage text;
* ``context``: the passage *with* its neighbouring sentences
  (``context_before + text + context_after`` of a :class:`~pipeline.segment.Passage`),
  so a passage that continues a topic its neighbours name ("we will halt and
  reverse this process") can still be coded, while the own-text block keeps
  the words of the passage itself apart from the words around it.

Both use character n-grams (see :func:`text_vectorizer`), so Chinese and
English are handled without a tokenizer. The vocabularies and idf are learned
from the training texts without labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from pipeline.classify.scoring import texts_of
from pipeline.errors import ClassifyError
from pipeline.segment.passage import window_text


def text_vectorizer():
    """Character n-grams (1-4, within word boundaries) with sublinear TF-IDF.

    Needs no tokenizer, so Chinese (where single characters and bigrams carry
    most meaning) and English passages are handled alike; n-grams seen in only
    one training passage are dropped.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 4), min_df=2, sublinear_tf=True, dtype=np.float32
    )


def check_weights(weights: Sequence[float], name: str) -> list[float]:
    """The weights as floats; non-empty and >= 0, else a ``ClassifyError`` naming ``name``."""
    values = [float(w) for w in weights]
    if not values or min(values) < 0:
        raise ClassifyError(
            f"{name} must be non-empty and >= 0, got {tuple(weights)}",
            unit=f"SupervisedCoder.{name}",
            hint="use (0.0,) for no such features, e.g. (0.0, 1.0) to let CV decide.",
        )
    return values


def context_texts(passages: Sequence, unit: str) -> list[str]:
    """``context_before + text + context_after`` of each passage (joined by spaces).

    Plain strings carry no context: a ``ClassifyError`` says to pass passages.
    """
    out = []
    for row, p in enumerate(passages):
        before = getattr(p, "context_before", None)
        after = getattr(p, "context_after", None)
        if before is None or after is None:
            raise ClassifyError(
                f"context features need passages with context_before/context_after, "
                f"but item {row} is a {type(p).__name__}",
                unit=unit,
                hint="pass Passage objects (segment with context_sentences >= 1), "
                "or use context_weights=(0.0,).",
            )
        out.append(window_text(p))
    return out


@dataclass(frozen=True)
class TextBlocks:
    """Fitted vocabularies of the two blocks (``None`` = block not used)."""

    own: object | None
    context: object | None

    @classmethod
    def fit(cls, passages: Sequence, own: bool, context: bool, unit: str) -> TextBlocks:
        own_vec = text_vectorizer().fit(texts_of(passages)) if own else None
        ctx_vec = text_vectorizer().fit(context_texts(passages, unit)) if context else None
        return cls(own_vec, ctx_vec)

    def transform(self, passages: Sequence, unit: str) -> RawText:
        """Unweighted unit-length TF-IDF rows of each block in use."""
        own = None if self.own is None else self.own.transform(texts_of(passages))
        ctx = None
        if self.context is not None:
            ctx = self.context.transform(context_texts(passages, unit))
        return RawText(own, ctx)

    def keep(self, own_weight: float, context_weight: float) -> TextBlocks | None:
        """Only the blocks with a weight above 0 (``None`` when neither is used)."""
        own = self.own if own_weight > 0 else None
        ctx = self.context if context_weight > 0 else None
        return None if own is None and ctx is None else TextBlocks(own, ctx)


@dataclass(frozen=True)
class RawText:
    """The TF-IDF rows of the blocks, before weighting."""

    own: sparse.spmatrix | None
    context: sparse.spmatrix | None

    def weighted(self, own_scale: float, context_scale: float):
        """The blocks with a scale above 0, scaled and side by side (``None`` if none)."""
        parts = [
            block * scale
            for block, scale in ((self.own, own_scale), (self.context, context_scale))
            if block is not None and scale > 0
        ]
        return sparse.hstack(parts, format="csr") if parts else None
