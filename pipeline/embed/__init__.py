"""embed stage: texts -> unit-length float32 vectors, cached by (embedder id, text hash).

Public API::

    from pipeline.embed import make_embedder, CachedEmbedder
    embedder = make_embedder(config.embed, cache_dir=config.output / "cache")
    vectors = embedder.encode([p.text for p in passages])
"""

from pipeline.embed.base import Embedder, encode_length_sorted, l2_normalize
from pipeline.embed.cache import CachedEmbedder
from pipeline.embed.factory import make_embedder
from pipeline.embed.st import SentenceTransformerEmbedder, packaged_minilm_path
from pipeline.embed.use import UseMultilingualEmbedder

__all__ = [
    "CachedEmbedder",
    "Embedder",
    "SentenceTransformerEmbedder",
    "UseMultilingualEmbedder",
    "encode_length_sorted",
    "l2_normalize",
    "make_embedder",
    "packaged_minilm_path",
]
