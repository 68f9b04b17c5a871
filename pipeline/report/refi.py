"""REFI-QDA project export (``.qdpx``): sources, codebook and codings.

A ``.qdpx`` is a zip with ``project.qde`` (XML, namespace
``urn:QDA-XML:project:1.0``) and the plain-text sources under ``sources/``.
Selections use Unicode code-point positions, which is what Python string
indices are, so passage offsets go in unchanged. GUIDs are uuid5 of stable keys,
and no timestamps are written, so the same run gives a byte-identical file that
opens in NVivo, ATLAS.ti, MAXQDA and QualCoder.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from pipeline import __version__
from pipeline.io import atomic_path

PROJECT_NS = "urn:QDA-XML:project:1.0"
_NAMESPACE = uuid.UUID("6f1c2a4e-9d7b-5e8a-b3c1-0a7f4e2d9c11")
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def stable_guid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts))).upper()


@dataclass(frozen=True)
class SourceText:
    doc_id: str
    name: str
    text: str


@dataclass(frozen=True)
class SpanCoding:
    doc_id: str
    start: int
    end: int
    code_id: str
    coder: str


def _tag(name: str) -> str:
    return f"{{{PROJECT_NS}}}{name}"


def _code_element(parent: ET.Element, codebook, code, guids: dict[str, str]) -> None:
    name = f"{code.id} {code.name.zh} / {code.name.en}"
    elem = ET.SubElement(
        parent,
        _tag("Code"),
        guid=guids[code.id],
        name=name,
        isCodable="true" if code.codable else "false",
    )
    desc = ET.SubElement(elem, _tag("Description"))
    desc.text = f"[{code.id}] {code.definition.zh}\n{code.definition.en}"
    for child in codebook.children(code.id):
        _code_element(elem, codebook, child, guids)


def _codebook_element(root: ET.Element, codebook, guids: dict[str, str]) -> None:
    codes = ET.SubElement(ET.SubElement(root, _tag("CodeBook")), _tag("Codes"))
    for code in codebook.codes:
        if code.parent is None:
            _code_element(codes, codebook, code, guids)


def _selection(parent: ET.Element, coding: SpanCoding, guids, users) -> None:
    key = (coding.doc_id, str(coding.start), str(coding.end), coding.code_id, coding.coder)
    sel = ET.SubElement(
        parent,
        _tag("PlainTextSelection"),
        guid=stable_guid("selection", *key),
        name=f"{coding.doc_id}:{coding.start}-{coding.end}",
        startPosition=str(coding.start),
        endPosition=str(coding.end),
        creatingUser=users[coding.coder],
    )
    cod = ET.SubElement(
        sel, _tag("Coding"), guid=stable_guid("coding", *key), creatingUser=users[coding.coder]
    )
    ET.SubElement(cod, _tag("CodeRef"), targetGUID=guids[coding.code_id])


def build_project_xml(
    name: str,
    codebook,
    sources: Sequence[SourceText],
    codings: Iterable[SpanCoding],
) -> tuple[bytes, dict[str, str]]:
    """Return (project.qde bytes, {doc_id: source guid})."""
    codings = sorted(codings, key=lambda c: (c.doc_id, c.start, c.end, c.code_id, c.coder))
    coders = sorted({c.coder for c in codings}) or ["groundcode"]
    users = {coder: stable_guid("user", coder) for coder in coders}
    guids = {code.id: stable_guid("code", codebook.id, code.id) for code in codebook.codes}
    ET.register_namespace("", PROJECT_NS)
    root = ET.Element(
        _tag("Project"), name=name, origin=f"groundcode {__version__}",
        creatingUserGUID=users[coders[0]],
    )
    users_el = ET.SubElement(root, _tag("Users"))
    for coder in coders:
        ET.SubElement(users_el, _tag("User"), guid=users[coder], name=coder)
    _codebook_element(root, codebook, guids)
    sources_el = ET.SubElement(root, _tag("Sources"))
    source_guids: dict[str, str] = {}
    by_doc: dict[str, list[SpanCoding]] = {}
    for coding in codings:
        if coding.code_id not in guids:
            raise KeyError(coding.code_id)
        by_doc.setdefault(coding.doc_id, []).append(coding)
    for src in sources:
        guid = stable_guid("source", src.doc_id)
        source_guids[src.doc_id] = guid
        el = ET.SubElement(
            sources_el, _tag("TextSource"), guid=guid, name=src.name,
            plainTextPath=f"internal://{guid}.txt", creatingUser=users[coders[0]],
        )
        for coding in by_doc.get(src.doc_id, []):
            _selection(el, coding, guids, users)
    ET.indent(root)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml, source_guids


def write_qdpx(
    path: str | Path,
    name: str,
    codebook,
    sources: Sequence[SourceText],
    codings: Iterable[SpanCoding],
) -> Path:
    """Write a REFI-QDA project zip atomically; byte-identical for the same input."""
    codings = list(codings)
    known = {s.doc_id: s for s in sources}
    for coding in codings:
        src = known.get(coding.doc_id)
        if src is None or not 0 <= coding.start < coding.end <= len(src.text):
            raise ValueError(f"coding outside its source: {coding}")
    xml, source_guids = build_project_xml(name, codebook, sources, codings)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            _write_entry(zf, "project.qde", xml)
            for src in sources:
                _write_entry(zf, f"sources/{source_guids[src.doc_id]}.txt", src.text.encode("utf-8"))
    return Path(path)


def _write_entry(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)
