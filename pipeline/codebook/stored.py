"""A codebook version as text (what the store keeps) and back."""

from __future__ import annotations

import yaml

from pipeline.codebook.load import codebook_from_dict, codebook_to_dict
from pipeline.codebook.model import Codebook
from pipeline.codebook.yamlio import dump_yaml
from pipeline.errors import CodebookError


def codebook_text(book: Codebook) -> str:
    """The YAML text of ``book`` (as :func:`~pipeline.codebook.dump_codebook` writes it)."""
    header = f"# codebook {book.id} {book.version} (content hash {book.hash})\n"
    return header + dump_yaml(codebook_to_dict(book))


def codebook_from_text(text: str, source: str) -> Codebook:
    """Validate a codebook kept as YAML text; ``source`` names it in errors."""
    from pipeline.userfiles import check_yaml_shape

    check_yaml_shape(text, source, error=CodebookError)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"invalid YAML: {exc}", file=source) from None
    return codebook_from_dict(data, source=source)
