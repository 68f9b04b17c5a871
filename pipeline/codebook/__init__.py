"""The codebook as data: a validated, hashed tree of bilingual codes.

Public API::

    from pipeline.codebook import load_codebook
    book = load_codebook("configs/codebooks/soe-assistance.yaml")
    book.get("A04"); book.ancestor_at("A04", "main"); book.codable_ids("initial")
"""

from pipeline.codebook.load import (
    code_to_dict,
    codebook_from_dict,
    codebook_to_dict,
    content_hash,
    dump_codebook,
    load_codebook,
)
from pipeline.codebook.model import (
    DIMENSION,
    LEVELS,
    Bilingual,
    Code,
    Codebook,
    Dimension,
    Example,
    FacetValue,
)

__all__ = [
    "DIMENSION",
    "LEVELS",
    "Bilingual",
    "Code",
    "Codebook",
    "Dimension",
    "Example",
    "FacetValue",
    "code_to_dict",
    "codebook_from_dict",
    "codebook_to_dict",
    "content_hash",
    "dump_codebook",
    "load_codebook",
]
