"""REFI-QDA codebook exchange (``.qdc``, namespace ``urn:QDA-XML:codebook:1.0``).

Mapping (export and import are inverse for groundcode codebooks):

- ``<Codes>`` holds one nested ``<Code>`` per main category with its initial
  codes inside; main categories are ``isCodable="false"``, initial codes
  ``isCodable="true"``. ``name`` is ``"<id> <English name>"`` (what NVivo,
  ATLAS.ti, MAXQDA and QualCoder show).
- ``<Description>`` carries the rest as ``key: value`` lines, one per field:
  ``groundcode-id``, ``name.zh``, ``name.en``, ``definition.zh``/``.en``,
  ``include.zh``/``.en``, ``exclude.zh``/``.en`` and one ``example.zh`` /
  ``example.en`` line per example. Newlines and backslashes in values are
  escaped as ``\\n`` and ``\\\\``.
- ``<Sets>``: ``groundcode:codebook`` (no members; codebook id, version, title
  and description in its Description), one ``dimension:<id>`` set per framework
  dimension whose members are its main categories, and one ``facet:<name>:<id>``
  set per facet value (e.g. ``facet:arena:industrial``) whose members are codes.
- GUIDs are uuid5 of (``"code"``, codebook id, code id), upper case, so exports
  are byte-identical across runs and match the codes of a ``.qdpx`` project.

Import of a foreign ``.qdc`` (no ``groundcode-id`` lines): the id is the leading
token of ``name`` when it looks like an id (``A01 ...``), else ``C001``, ``C002``
... in document order; the one name fills both languages; the description (or
the name) becomes the definition; top-level codes are main, their children
initial. Deeper nesting is an error. Parsing refuses DTDs and entities
(defusedxml-style hardening through lxml's parser options).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.codebook.load import codebook_from_dict, codebook_to_dict
from pipeline.codebook.model import Codebook
from pipeline.errors import CodebookError
from pipeline.io import atomic_write_bytes

QDC_NS = "urn:QDA-XML:codebook:1.0"
_NAMESPACE = uuid.UUID("6f1c2a4e-9d7b-5e8a-b3c1-0a7f4e2d9c11")
_META_SET = "groundcode:codebook"
_BI_FIELDS = ("name", "definition", "include", "exclude")
_ID_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*\d)\s+(.+)$", re.S)


def code_guid(codebook_id: str, code_id: str) -> str:
    """Deterministic GUID of a code (shared with the ``.qdpx`` project export)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(("code", codebook_id, code_id)))).upper()


def _set_guid(codebook_id: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(("set", codebook_id, name)))).upper()


def _tag(name: str) -> str:
    return f"{{{QDC_NS}}}{name}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def _lines(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"{key}: {_escape(value)}" for key, value in pairs)


def _code_pairs(code: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = [("groundcode-id", code["id"])]
    for field in _BI_FIELDS:
        if field in code:
            pairs += [(f"{field}.{lang}", code[field][lang]) for lang in ("zh", "en")]
    pairs += [(f"example.{ex['lang']}", ex["text"]) for ex in code.get("examples", [])]
    return pairs


# -- export ---------------------------------------------------------------------------
def _code_element(parent: etree._Element, book: Codebook, code: dict, by_parent: dict) -> None:
    elem = etree.SubElement(
        parent,
        _tag("Code"),
        guid=code_guid(book.id, code["id"]),
        name=f"{code['id']} {code['name']['en']}",
        isCodable="true" if book.get(code["id"]).codable else "false",
    )
    etree.SubElement(elem, _tag("Description")).text = _lines(_code_pairs(code))
    for child in by_parent.get(code["id"], []):
        _code_element(elem, book, child, by_parent)


def _set_element(sets: etree._Element, book: Codebook, name: str, text: str, members) -> None:
    elem = etree.SubElement(sets, _tag("Set"), guid=_set_guid(book.id, name), name=name)
    etree.SubElement(elem, _tag("Description")).text = text
    for code_id in members:
        etree.SubElement(elem, _tag("MemberCode"), targetGUID=code_guid(book.id, code_id))


def _sets(root: etree._Element, book: Codebook, data: dict[str, Any]) -> None:
    sets = etree.SubElement(root, _tag("Sets"))
    meta = [("id", data["id"]), ("version", data["version"])]
    meta += [
        (f"{k}.{lang}", data[k][lang]) for k in ("title", "description") for lang in ("zh", "en")
    ]
    _set_element(sets, book, _META_SET, _lines(meta), [])
    for dim in data["dimensions"]:
        members = [c.id for c in book.codes if c.dimension == dim["id"]]
        text = _lines([(f"name.{lang}", dim["name"][lang]) for lang in ("zh", "en")])
        _set_element(sets, book, f"dimension:{dim['id']}", text, members)
    for facet, values in data["facets"].items():
        for value in values:
            members = [c.id for c in book.codes if facet == "arena" and value["id"] in c.arenas]
            text = _lines([(f"name.{lang}", value["name"][lang]) for lang in ("zh", "en")])
            _set_element(sets, book, f"facet:{facet}:{value['id']}", text, members)


def codebook_to_qdc(book: Codebook) -> bytes:
    """The ``.qdc`` XML of ``book`` (deterministic bytes)."""
    from pipeline import __version__

    data = codebook_to_dict(book)
    root = etree.Element(_tag("CodeBook"), nsmap={None: QDC_NS})
    root.set("origin", f"groundcode {__version__}")
    codes = etree.SubElement(root, _tag("Codes"))
    by_parent: dict[str | None, list[dict]] = {}
    for code in data["codes"]:
        by_parent.setdefault(code.get("parent"), []).append(code)
    for code in by_parent.get(None, []):
        _code_element(codes, book, code, by_parent)
    _sets(root, book, data)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_qdc(book: Codebook, path: str | Path) -> Path:
    atomic_write_bytes(path, codebook_to_qdc(book))
    return Path(path)


# -- import ---------------------------------------------------------------------------
def _parse(data: bytes, source: str | Path) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise CodebookError(
            f"not valid XML: {exc.msg}", file=source, unit=f"line {exc.lineno}"
        ) from None
    if root.getroottree().docinfo.doctype:
        raise CodebookError(
            "DOCTYPE declarations are not accepted in a .qdc file",
            file=source,
            hint="export the codebook again without a DTD.",
        )
    if root.tag != _tag("CodeBook"):
        raise CodebookError(
            f"root element is {root.tag!r}, expected CodeBook in namespace {QDC_NS}",
            file=source,
            unit=f"line {root.sourceline}",
        )
    return root


def _read_pairs(elem: etree._Element | None) -> list[tuple[str, str]]:
    desc = None if elem is None else elem.find(_tag("Description"))
    text = (desc.text or "") if desc is not None else ""
    pairs = []
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and re.fullmatch(r"[a-z][a-z.:-]*", key):
            pairs.append((key, _unescape(value)))
    return pairs


def _foreign_fields(elem: etree._Element, index: int) -> dict[str, Any]:
    name = (elem.get("name") or "").strip()
    match = _ID_NAME.match(name)
    code_id, label = (match.group(1), match.group(2)) if match else (f"C{index:03d}", name)
    desc = elem.find(_tag("Description"))
    text = (desc.text or "").strip() if desc is not None else ""
    label = label or code_id
    return {
        "id": code_id,
        "name": {"zh": label, "en": label},
        "definition": {"zh": text or label, "en": text or label},
    }


def _code_fields(elem: etree._Element, index: int) -> dict[str, Any]:
    pairs = _read_pairs(elem)
    if not any(key == "groundcode-id" for key, _ in pairs):
        return _foreign_fields(elem, index)
    code: dict[str, Any] = {}
    for key, value in pairs:
        field, _, lang = key.partition(".")
        if field == "groundcode-id":
            code["id"] = value
        elif field == "example":
            code.setdefault("examples", []).append({"lang": lang, "text": value})
        elif field in _BI_FIELDS:
            code.setdefault(field, {})[lang] = value
    return code


def _walk_codes(parent, depth: int, parent_id, out: list, guids: dict, source) -> None:
    for elem in parent.findall(_tag("Code")):
        if depth >= 2:
            raise CodebookError(
                "codes nested deeper than two levels (main > initial) are not supported",
                file=source,
                unit=f"line {elem.sourceline}, Code {elem.get('name')!r}",
            )
        code = _code_fields(elem, len(out) + 1)
        code["level"] = "main" if depth == 0 else "initial"
        if parent_id is not None:
            code["parent"] = parent_id
        codable = elem.get("isCodable", "true") == "true"
        if codable != (code["level"] == "initial"):
            code["codable"] = codable
        guids[elem.get("guid", "")] = code
        out.append(code)
        _walk_codes(elem, depth + 1, code["id"], out, guids, source)


def _apply_sets(root, data: dict[str, Any], guids: dict[str, dict]) -> None:
    for elem in root.iterfind(f"{_tag('Sets')}/{_tag('Set')}"):
        name = elem.get("name", "")
        pairs = dict(_read_pairs(elem))
        members = [
            guids[m.get("targetGUID")]
            for m in elem.iterfind(_tag("MemberCode"))
            if m.get("targetGUID") in guids
        ]
        named = {"name": {"zh": pairs.get("name.zh", ""), "en": pairs.get("name.en", "")}}
        if name == _META_SET:
            data["id"], data["version"] = pairs.get("id", data["id"]), pairs.get("version", "1.0")
            for key in ("title", "description"):
                data[key] = {lang: pairs.get(f"{key}.{lang}", "") for lang in ("zh", "en")}
        elif name.startswith("dimension:"):
            data["dimensions"].append({"id": name.split(":", 1)[1], **named})
            for code in members:
                code["dimension"] = name.split(":", 1)[1]
        elif name.startswith("facet:") and name.count(":") == 2:
            _, facet, value_id = name.split(":")
            data["facets"].setdefault(facet, []).append({"id": value_id, **named})
            for code in members if facet == "arena" else []:
                code.setdefault("arenas", []).append(value_id)


def qdc_to_codebook(data: bytes, source: str | Path = "<qdc>") -> Codebook:
    """Parse ``.qdc`` bytes into a validated :class:`Codebook` (see module doc)."""
    root = _parse(data, source)
    stem = Path(str(source)).stem or "imported"
    book: dict[str, Any] = {
        "id": re.sub(r"[^A-Za-z0-9_.-]", "-", stem).strip("-") or "imported",
        "version": "1.0",
        "title": {"zh": stem, "en": stem},
        "description": {"zh": f"imported from {stem}", "en": f"imported from {stem}"},
        "dimensions": [],
        "facets": {},
        "codes": [],
    }
    guids: dict[str, dict] = {}
    codes_elem = root.find(_tag("Codes"))
    if codes_elem is None:
        raise CodebookError("no <Codes> element in the codebook", file=source)
    _walk_codes(codes_elem, 0, None, book["codes"], guids, source)
    _apply_sets(root, book, guids)
    return codebook_from_dict(book, source=source)


def import_qdc(path: str | Path) -> Codebook:
    from pipeline.userfiles import read_bytes, xml_bytes

    file = Path(path)
    if not file.is_file():
        raise CodebookError("REFI-QDA codebook file not found", file=file)
    data = read_bytes(file, error=CodebookError, what="REFI-QDA codebook")
    return qdc_to_codebook(xml_bytes(data, file, error=CodebookError), source=file)
