"""corpus stage: manifest, loaders (TXT, DOCX, PDF, tables), normalization, language.

from pipeline.corpus import load_corpus, load_manifest, read_document, read_table
"""

from pipeline.corpus.corpus import Corpus, find_manifest, iter_documents, load_corpus
from pipeline.corpus.document import Document
from pipeline.corpus.language import detect_language
from pipeline.corpus.manifest import Manifest, ManifestEntry, TableSpec, load_manifest
from pipeline.corpus.normalize import normalize_text
from pipeline.corpus.reader import make_document, read_document
from pipeline.corpus.settings import CorpusSettings
from pipeline.corpus.table_docs import read_table

__all__ = [
    "Corpus",
    "CorpusSettings",
    "Document",
    "Manifest",
    "ManifestEntry",
    "TableSpec",
    "detect_language",
    "find_manifest",
    "iter_documents",
    "load_corpus",
    "load_manifest",
    "make_document",
    "normalize_text",
    "read_document",
    "read_table",
]
