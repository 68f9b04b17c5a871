"""Which codebook version a run codes with, and its lineage in the store.

The config names a codebook file. The store keeps every version (content hash,
parent, author, reason, changes). Researchers make new versions in the review app
(accepting a candidate category as a code, merging one into a code); a version
made, through any number of steps, from the config's file is newer work on that
file, so the run codes with the newest such version. Editing the file itself makes
a new root: its version is kept with the last kept version as parent and the diff
as its changes, and the review versions made from the old file no longer apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.codebook import Codebook, load_codebook


@dataclass(frozen=True)
class CodebookInUse:
    book: Codebook
    path: Path  # a YAML file with exactly this version (workers load the codebook from it)
    file_hash: str  # the version of the config's file


def record_file_version(store, path: Path, book: Codebook) -> None:
    """Keep the config file's version; a new one is attributed to the file, with the
    diff from the last kept version of the same codebook as its changes."""
    from pipeline.codebook.diff import diff_codebooks, render_diff
    from pipeline.codebook.stored import codebook_from_text

    if store.codebooks.get_codebook(book.hash) is not None:
        return
    earlier = store.codebooks.codebooks(book.id)
    parent, changes = None, ()
    if earlier:
        parent = earlier[-1].hash
        old = codebook_from_text(earlier[-1].content, f"stored codebook {parent[:12]}")
        changes = tuple(render_diff(diff_codebooks(old, book), book)[1:])
    from pipeline.errors import CodebookError
    from pipeline.userfiles import read_text

    text = read_text(path, error=CodebookError, what="codebook file").text
    store.codebooks.save_codebook(book.id, book.hash, text,
                                  getattr(book, "version", "") or "", parent=parent,
                                  author="file", reason=f"codebook file {path}", changes=changes)


def codebook_in_use(store, path: Path, folder: Path) -> CodebookInUse:
    """The newest version made from the file at ``path`` (the file's own when none);
    a store-made version is written to ``folder/<hash>.yaml`` for the workers."""
    from pipeline.codebook.stored import codebook_from_text
    from pipeline.io import atomic_write_text

    path = Path(path)
    book = load_codebook(path)
    record_file_version(store, path, book)
    latest = store.codebooks.latest_descendant(book.hash)
    if latest is None or latest.hash == book.hash:
        return CodebookInUse(book, path, book.hash)
    newer = codebook_from_text(latest.content, f"stored codebook {latest.hash[:12]}")
    target = Path(folder) / f"{latest.hash[:16]}.yaml"
    if not target.is_file():
        atomic_write_text(target, latest.content)
    return CodebookInUse(newer, target, book.hash)


def find_version(store, codebook_id: str, ref: str):
    """The kept version of ``codebook_id`` named by ``ref``: its number in the history
    (1 = oldest), a hash or unique hash prefix (at least 4 characters), or ``latest``."""
    from pipeline.errors import CodebookError

    history = store.codebooks.codebooks(codebook_id)
    if not history:
        raise CodebookError(f"the store keeps no version of codebook {codebook_id!r}",
                            hint="run `groundcode run CONFIG` first.")
    ref = ref.strip().removeprefix("#")
    if ref == "latest":
        return history[-1]
    if ref.isdigit() and len(ref) < 4:
        if not 1 <= int(ref) <= len(history):
            raise CodebookError(f"no version #{ref}: the history has {len(history)}",
                                unit=f"codebook {codebook_id}",
                                hint="see `groundcode codebook history CONFIG`.")
        return history[int(ref) - 1]
    found = [r for r in history if r.hash.startswith(ref)] if len(ref) >= 4 else []
    if len(found) != 1:
        what = "matches several versions" if found else "matches no version"
        raise CodebookError(f"{ref!r} {what}", unit=f"codebook {codebook_id}",
                            hint="give a version number or a longer hash prefix from "
                            "`groundcode codebook history CONFIG`.")
    return found[0]
