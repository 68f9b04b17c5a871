"""Read codings from a REFI-QDA project (``.qdpx``: a zip holding ``project.qde``).

Selections (``PlainTextSelection`` start/end in Unicode code points) become span
codings on the source's name (its doc_id); users become coders; ``CodeRef``
targets become codes (the id is the first token of the code name when it looks
like an id such as ``A06``, else the whole name).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

from pipeline.errors import AgreementInputError

NS = "urn:QDA-XML:project:1.0"
_ID = re.compile(r"^[A-Za-z]{1,3}\d{1,4}$")


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def check_zip_names(path: Path, names: list[str]) -> None:
    """Refuse archives whose entries would land outside the extraction folder."""
    for name in names:
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
            raise AgreementInputError(
                f"zip entry {name!r} points outside the archive; refusing to read it",
                file=path,
                unit=f"entry {name}",
                hint="re-export the project from your QDA program.",
            )


def _parse_project(path: Path):
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as archive:
            check_zip_names(path, archive.namelist())
            data = archive.read("project.qde")
    except KeyError:
        raise AgreementInputError("no project.qde inside the archive", file=path) from None
    except zipfile.BadZipFile as exc:
        raise AgreementInputError(f"not a zip archive ({exc})", file=path) from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise AgreementInputError(f"project.qde is not valid XML: {exc}", file=path) from None


def _code_ids(root) -> dict[str, str]:
    ids = {}
    for code in root.iter(_q("Code")):
        name = (code.get("name") or "").strip()
        token = name.split(maxsplit=1)[0] if name else ""
        ids[code.get("guid", "")] = token if _ID.match(token) else name
    return ids


def read_qdpx(path: str | Path) -> list:
    """Span codings (:class:`RawCoding`) from every text selection's codings."""
    from pipeline.agreement.readers import RawCoding

    path = Path(path)
    root = _parse_project(path)
    users = {u.get("guid", ""): u.get("name") or u.get("guid", "") for u in root.iter(_q("User"))}
    codes = _code_ids(root)
    rows = []
    for source in root.iter(_q("TextSource")):
        doc_id = Path(source.get("name") or source.get("guid", "")).stem
        for sel in source.iter(_q("PlainTextSelection")):
            start, end = int(sel.get("startPosition", -1)), int(sel.get("endPosition", -1))
            for coding in sel.iter(_q("Coding")):
                ref = coding.find(_q("CodeRef"))
                target = "" if ref is None else ref.get("targetGUID", "")
                user = coding.get("creatingUser") or sel.get("creatingUser") or ""
                rows.append(
                    RawCoding(
                        code=codes.get(target, target),
                        coder=users.get(user, user),
                        source=str(path),
                        line=coding.sourceline or 0,
                        doc_id=doc_id,
                        start=start,
                        end=end,
                    )
                )
    return rows
