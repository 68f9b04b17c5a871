"""embed stage: texts -> unit-length float32 vectors, cached by (embedder id, text hash).

Public API::

    from pipeline.embed import make_embedder, CachedEmbedder
    embedder = make_embedder(config.embed, cache_dir=config.output / "cache")
    vectors = embed_passages(embedder, passages)  # embed.context_weight mixes in neighbours
"""

from pipeline.embed.base import Embedder, encode_length_sorted, l2_normalize
from pipeline.embed.cache import CachedEmbedder
from pipeline.embed.context import ContextEmbedder, embed_passages, mix_context
from pipeline.embed.factory import make_embedder
from pipeline.embed.st import SentenceTransformerEmbedder, packaged_minilm_path
from pipeline.embed.use import UseMultilingualEmbedder

__all__ = [
    "CachedEmbedder",
    "ContextEmbedder",
    "Embedder",
    "SentenceTransformerEmbedder",
    "UseMultilingualEmbedder",
    "embed_passages",
    "encode_length_sorted",
    "l2_normalize",
    "make_embedder",
    "mix_context",
    "packaged_minilm_path",
]
