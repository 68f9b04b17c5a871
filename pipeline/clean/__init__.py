"""clean stage: leave out text that is not content (references, front matter, captions, page
furniture, markup), boilerplate, duplicates, slogans and too-short paragraphs, logging each."""

from pipeline.clean.audit import AUDIT_COLUMNS, write_audit
from pipeline.clean.clean import clean_corpus
from pipeline.clean.removal import NON_CONTENT, CleanResult, Removal
from pipeline.clean.settings import CleanSettings

__all__ = [
    "AUDIT_COLUMNS",
    "NON_CONTENT",
    "CleanResult",
    "CleanSettings",
    "Removal",
    "clean_corpus",
    "write_audit",
]
