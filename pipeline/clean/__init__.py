"""clean stage: drop boilerplate, duplicates, slogans and too-short paragraphs, logging each."""

from pipeline.clean.audit import AUDIT_COLUMNS, write_audit
from pipeline.clean.clean import clean_corpus
from pipeline.clean.removal import CleanResult, Removal
from pipeline.clean.settings import CleanSettings

__all__ = [
    "AUDIT_COLUMNS",
    "CleanResult",
    "CleanSettings",
    "Removal",
    "clean_corpus",
    "write_audit",
]
