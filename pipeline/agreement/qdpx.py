"""Read codings from a REFI-QDA project (``.qdpx``: a zip holding ``project.qde``).

Selections (``PlainTextSelection`` start/end in Unicode code points) become span
codings on the source's name (its doc_id); users become coders; ``CodeRef``
targets become codes (the id is the first token of the code name when it looks
like an id such as ``A06``, else the whole name).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import AgreementInputError
from pipeline.userfiles import ReadLimits, read_member, xml_bytes

NS = "urn:QDA-XML:project:1.0"
_ID = re.compile(r"^[A-Za-z]{1,3}\d{1,4}$")


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _parse_project(path: Path, limits: ReadLimits | None):
    from lxml import etree

    data = read_member(
        path, "project.qde", error=AgreementInputError, what="REFI-QDA project", limits=limits
    )
    data = xml_bytes(data, path, error=AgreementInputError)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise AgreementInputError(
            f"project.qde is not valid XML: {exc.msg}", file=path, unit=f"line {exc.lineno}"
        ) from None


def _code_ids(root) -> dict[str, str]:
    ids = {}
    for code in root.iter(_q("Code")):
        name = (code.get("name") or "").strip()
        token = name.split(maxsplit=1)[0] if name else ""
        ids[code.get("guid", "")] = token if _ID.match(token) else name
    return ids


def _position(selection, key: str) -> int:
    """A selection's offset; -1 (reported as a bad span) when it is not a whole number."""
    try:
        return int(selection.get(key, -1))
    except ValueError:
        return -1


def read_qdpx(path: str | Path, limits: ReadLimits | None = None) -> list:
    """Span codings (:class:`RawCoding`) from every text selection's codings.

    ``limits``: how far ``project.qde`` may inflate (:class:`ReadLimits`)."""
    from pipeline.agreement.readers import RawCoding

    path = Path(path)
    root = _parse_project(path, limits)
    users = {u.get("guid", ""): u.get("name") or u.get("guid", "") for u in root.iter(_q("User"))}
    codes = _code_ids(root)
    rows = []
    for source in root.iter(_q("TextSource")):
        doc_id = Path(source.get("name") or source.get("guid", "")).stem
        for sel in source.iter(_q("PlainTextSelection")):
            start, end = _position(sel, "startPosition"), _position(sel, "endPosition")
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
