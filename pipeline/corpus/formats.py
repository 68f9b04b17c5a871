"""Supported file formats, by extension."""

from __future__ import annotations

TEXT_SUFFIXES = (".txt", ".md")
DOCUMENT_SUFFIXES = (*TEXT_SUFFIXES, ".docx", ".pdf")
TABLE_SUFFIXES = (".csv", ".xlsx", ".jsonl")
SUPPORTED_SUFFIXES = (*DOCUMENT_SUFFIXES, *TABLE_SUFFIXES)
