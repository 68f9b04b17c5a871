"""Build the configured embedder: backend, optional model, optional on-disk cache."""

from __future__ import annotations

from pathlib import Path

from pipeline.embed.base import Embedder
from pipeline.embed.cache import CachedEmbedder
from pipeline.embed.context import ContextEmbedder
from pipeline.embed.settings import EmbedSettings
from pipeline.errors import ConfigError


def make_embedder(settings: EmbedSettings, cache_dir: str | Path | None = None) -> Embedder:
    """The backend named in ``settings``; wrapped in a cache when a cache folder is known.

    ``cache_dir`` (e.g. ``<output>/cache``) is used when ``settings.cache_dir`` is unset.
    With ``settings.context_weight`` above 0 the result is a
    :class:`~pipeline.embed.context.ContextEmbedder` (passage vectors mix in the
    passage's neighbouring sentences; see :func:`~pipeline.embed.context.embed_passages`).
    """
    backend = _backend(settings)
    folder = settings.cache_dir or cache_dir
    embedder = CachedEmbedder(backend, folder) if folder is not None else backend
    return ContextEmbedder(embedder, settings.context_weight) if settings.context_weight else embedder


def _backend(settings: EmbedSettings) -> Embedder:
    if settings.backend == "use-multilingual":
        if settings.model is not None:
            raise ConfigError(
                "embed.model is only used by the sentence-transformers backend",
                unit="embed.model",
                hint="remove embed.model or set embed.backend: sentence-transformers.",
            )
        from pipeline.embed.use import UseMultilingualEmbedder

        return UseMultilingualEmbedder(batch_size=settings.batch_size or 256)
    if settings.model is None:
        raise ConfigError(
            "embed.backend sentence-transformers needs embed.model (a model name or folder)",
            unit="embed.model",
            hint="e.g. embed.model: paraphrase-multilingual-MiniLM-L12-v2 (downloaded beforehand).",
        )
    from pipeline.embed.st import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.model, batch_size=settings.batch_size or 64)
