"""A whole corpus: a folder plus a manifest, ingested into Documents in manifest order.

Without a manifest (``CorpusSettings.manifest`` unset and no ``manifest.yaml`` /
``manifest.yml`` / ``manifest.csv`` in the folder) every TXT/MD/DOCX/PDF file under
the folder is read, sorted by path, with ids = relative path without extension and
``kind: other``; table files are skipped there because only a manifest can say which
columns hold the id and the text. ``CorpusSettings.path`` may also be a single file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.corpus.document import Document
from pipeline.corpus.formats import DOCUMENT_SUFFIXES
from pipeline.corpus.manifest import MANIFEST_NAMES, Manifest, ManifestEntry, load_manifest
from pipeline.corpus.reader import read_document
from pipeline.corpus.settings import CorpusSettings
from pipeline.corpus.table_docs import read_table
from pipeline.errors import IngestError, ManifestError
from pipeline.io import sha256_file

#: called after each manifest entry (or file) with (entries done, total entries, entry id)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Corpus:
    name: str
    root: Path
    manifest_path: Path | None
    documents: tuple[Document, ...]
    input_hashes: dict[str, str] = field(default_factory=dict, compare=False)


def find_manifest(settings: CorpusSettings) -> Path | None:
    """The configured manifest, else a manifest file in the corpus folder, else None."""
    if settings.manifest is not None:
        return Path(settings.manifest)
    folder = Path(settings.path)
    if folder.is_dir():
        for name in MANIFEST_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _folder_entries(settings: CorpusSettings) -> tuple[Path, list[ManifestEntry]]:
    path = Path(settings.path)
    if path.is_file():
        root, files = path.parent, [path]
    elif path.is_dir():
        root = path
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in DOCUMENT_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    else:
        raise IngestError("corpus path not found", file=path, hint="check corpus.path")
    if not files:
        raise IngestError(
            "no TXT, MD, DOCX or PDF files in the corpus folder",
            file=path,
            hint="add files or a manifest.yaml (tables need a manifest)",
        )
    entries = []
    for file in files:
        rel = _relative(file, root)
        doc_id = rel.rsplit(".", 1)[0] if path.is_dir() else file.stem
        entries.append(ManifestEntry(id=doc_id, file=rel))
    return root, entries


@dataclass(frozen=True)
class _Plan:
    name: str
    root: Path
    manifest_path: Path | None
    entries: tuple[ManifestEntry, ...]


def _plan(settings: CorpusSettings, cache_dir: Path | None = None) -> _Plan:
    manifest_path = find_manifest(settings)
    if manifest_path is None:
        root, entries = _folder_entries(settings)
        return _Plan(Path(settings.path).resolve().name, root, None, tuple(entries))
    manifest: Manifest = load_manifest(manifest_path, cache_dir=cache_dir)
    return _Plan(manifest.name, manifest.root, manifest.path, manifest.entries)


def _read_entry(entry: ManifestEntry, root: Path, opencc: bool) -> list[Document]:
    path = root / entry.file
    meta = entry.meta()
    if entry.table is not None:
        return read_table(
            path,
            id_column=entry.table.id_column,
            text_column=entry.table.text_column,
            sheet=entry.table.sheet,
            encoding=entry.encoding,
            kind=entry.kind,
            lang=entry.lang,
            meta=meta,
            opencc=opencc,
            source=entry.file,
        )
    document = read_document(
        path,
        doc_id=entry.id,
        kind=entry.kind,
        lang=entry.lang,
        meta=meta,
        opencc=opencc,
        source=entry.file,
        encoding=entry.encoding,
    )
    return [document]


def _documents(plan: _Plan, opencc: bool, progress: Progress | None) -> Iterator[Document]:
    seen: dict[str, str] = {}
    for done, entry in enumerate(plan.entries, start=1):
        documents = _read_entry(entry, plan.root, opencc)
        for document in documents:
            if document.id in seen:
                raise ManifestError(
                    f"document id '{document.id}' appears twice: {seen[document.id]} "
                    f"and {document.source}",
                    file=plan.manifest_path or plan.root,
                    hint="document ids must be unique across the corpus",
                )
            seen[document.id] = document.source
        if progress is not None:
            progress(done, len(plan.entries), entry.id)
        yield from documents


def iter_documents(
    settings: CorpusSettings, progress: Progress | None = None
) -> Iterator[Document]:
    """Stream the corpus's documents in manifest order (table rows in row order).

    The manifest is validated before the first document is read. A document id
    repeated across entries (e.g. a table row reusing a file entry's id) is a
    ManifestError naming both sources.
    """
    return _documents(_plan(settings), settings.opencc, progress)


def load_corpus(
    settings: CorpusSettings, progress: Progress | None = None, cache_dir: Path | None = None
) -> Corpus:
    """Read the whole corpus; ``input_hashes`` maps each input file (relative to the
    corpus root, the manifest included) to the sha256 of its bytes. ``cache_dir`` (the
    run's cache) keeps the parsed YAML manifest for the next run (see ``load_manifest``)."""
    plan = _plan(settings, cache_dir)
    documents = tuple(_documents(plan, settings.opencc, progress))
    files = sorted({entry.file for entry in plan.entries})
    hashes = {file: sha256_file(plan.root / file) for file in files}
    if plan.manifest_path is not None:
        hashes[_relative(plan.manifest_path, plan.root)] = sha256_file(plan.manifest_path)
    return Corpus(plan.name, plan.root, plan.manifest_path, documents, dict(sorted(hashes.items())))


__all__ = ["Corpus", "find_manifest", "iter_documents", "load_corpus"]
