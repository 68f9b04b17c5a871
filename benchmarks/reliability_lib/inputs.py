"""Seeded generators of bad input files: valid samples, then byte- and structure-level
mutations (truncation, random bytes, wrong encodings, NUL bytes, invalid UTF-8, huge
lines, zip bombs, path traversal, YAML alias bombs, deep nesting, XML entity bombs)."""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "corpora" / "demo"
CODEBOOK = ROOT / "configs" / "codebooks" / "soe-assistance.yaml"
GOOD_CASE = DEMO / "cases" / "01-GQ-SHKG.txt"

Mutation = Callable[[random.Random, bytes], bytes]


# ---- valid samples ---------------------------------------------------------------------
@cache
def sample(kind: str) -> bytes:
    """A valid file of ``kind`` (txt, docx, pdf, csv, xlsx, jsonl, manifest, codebook,
    codings, qdc, qdpx, candidates, config, passages_csv, parquet)."""
    if kind == "txt":
        return GOOD_CASE.read_bytes()
    if kind == "docx":
        return (DEMO / "formats" / "09-GQ-XJTZ.docx").read_bytes()
    if kind == "pdf":
        return (DEMO / "formats" / "07-GQ-DNNT.pdf").read_bytes()
    if kind == "csv":
        lines = (DEMO / "tables" / "extra_cases.csv").read_bytes().splitlines(keepends=True)
        return b"".join(lines[:3])
    if kind == "jsonl":
        text = GOOD_CASE.read_text(encoding="utf-8")
        rows = [{"case_id": f"J{i}", "text": text[i * 50:(i + 1) * 50 + 40]} for i in range(3)]
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    if kind == "xlsx":
        import pandas as pd

        buf = io.BytesIO()
        pd.read_csv(io.BytesIO(sample("csv"))).to_excel(buf, index=False)
        return buf.getvalue()
    if kind == "codebook":
        return CODEBOOK.read_bytes()
    if kind == "codings":
        lines = (DEMO / "codings" / "human_codings.csv").read_bytes().splitlines(keepends=True)
        return b"".join(lines[:60])
    if kind == "qdc":
        return _qdc()
    if kind == "qdpx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("project.qde", _qdc().replace(b"CodeBook", b"Project"))
        return buf.getvalue()
    if kind == "candidates":
        book = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
        parent = next(c["id"] for c in book["codes"] if c.get("level") == "main")
        code = {"id": "C01", "parent": parent, "level": "initial",
                "name": {"zh": "（草稿）光伏", "en": "(draft) solar"},
                "definition": {"zh": "光伏发电收益", "en": "solar income"},
                "examples": [{"lang": "zh", "text": "光伏电站收益分给村集体"}],
                "keywords": ["光伏"], "novelty": 0.9, "passages": 3}
        return yaml.safe_dump({"codes": [code]}, allow_unicode=True).encode()
    if kind == "passages_csv":
        text = GOOD_CASE.read_text(encoding="utf-8")
        rows = ["id,doc_id,start,end,text"]
        for i in range(5):
            rows.append(f"01-GQ-SHKG:{i * 40}-{i * 40 + 40},01-GQ-SHKG,{i * 40},{i * 40 + 40},"
                        f"\"{text[i * 40:i * 40 + 40].replace(chr(10), ' ')}\"")
        return ("\n".join(rows) + "\n").encode()
    if kind == "parquet":
        import pandas as pd

        buf = io.BytesIO()
        pd.read_csv(io.BytesIO(sample("passages_csv"))).to_parquet(buf, index=False)
        return buf.getvalue()
    raise KeyError(kind)


@cache
def _qdc() -> bytes:
    import tempfile

    from pipeline.codebook import load_codebook
    from pipeline.codebook.refi import export_qdc

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "book.qdc"
        export_qdc(load_codebook(CODEBOOK), out)
        return out.read_bytes()


# ---- byte-level mutations ----------------------------------------------------------------
def empty(rng: random.Random, data: bytes) -> bytes:
    return b""


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, max(2, len(data)))]


def random_bytes(rng: random.Random, data: bytes) -> bytes:
    return rng.randbytes(rng.randrange(1, 4096))


def nul_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randrange(1, 20)):
        out.insert(rng.randrange(len(out) + 1), 0)
    return bytes(out)


def invalid_utf8(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randrange(1, 20)):
        pos = rng.randrange(len(out) + 1)
        out[pos:pos] = rng.choice([b"\xff", b"\xfe\xfe", b"\xc3\x28", b"\xe4\xb8", b"\xed\xa0\x80",
                                   b"\xf8\x88\x80\x80\x80", b"\x80"])
    return bytes(out)


def wrong_encoding(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("utf-8", errors="replace")
    codec = rng.choice(["utf-16", "utf-16-be", "utf-32", "gb18030", "big5", "shift_jis",
                        "latin-1", "cp1252", "euc-kr"])
    return text.encode(codec, errors="replace")


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randrange(1, 1 + max(1, len(out) // 200))):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def huge_line(rng: random.Random, data: bytes) -> bytes:
    unit = rng.choice(["字", "a", "，", " x"])
    return data + (unit * rng.randrange(200_000, 400_000)).encode()


def bom_and_crlf(rng: random.Random, data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data.replace(b"\n", rng.choice([b"\r\n", b"\r", b"\x85", b"\xe2\x80\xa8"]))


BYTE_MUTATIONS: tuple[Mutation, ...] = (empty, truncate, random_bytes, nul_bytes, invalid_utf8,
                                        wrong_encoding, flip_bytes, huge_line, bom_and_crlf)


# ---- zip containers (.docx, .xlsx, .qdpx) ---------------------------------------------------
@cache
def _zeros_deflated(mb: int) -> bytes:
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    return b"".join(comp.compress(chunk) for _ in range(mb)) + comp.flush()


def _rewrite_zip(data: bytes, edit: Callable[[str, bytes], list[tuple[str, bytes]]]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            for name, content in edit(info.filename, src.read(info)):
                # a fixed timestamp: the same seed gives the same bytes in any second
                member = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                out.writestr(member, content, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


@cache
def _crc_zeros(size: int) -> int:
    import zlib

    crc, left, chunk = 0, size, b"\0" * (1 << 20)
    while left:
        n = min(left, len(chunk))
        crc = zlib.crc32(chunk[:n], crc)
        left -= n
    return crc


def zip_bomb(rng: random.Random, data: bytes) -> bytes:
    """Every member of the largest size replaced by ~``mb`` MB of zeros (deflated to KBs):
    the member's header declares the real size, as a real bomb does."""
    mb = rng.choice([200, 400])
    src = zipfile.ZipFile(io.BytesIO(data))
    target = max(src.infolist(), key=lambda i: i.file_size).filename
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename == target:
                _write_raw_deflated(out, target, _zeros_deflated(mb), mb << 20)
            else:
                out.writestr(info, src.read(info))  # its own timestamp: seeded bytes
    return buf.getvalue()


def _write_raw_deflated(out: zipfile.ZipFile, name: str, raw: bytes, size: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.CRC, info.file_size, info.compress_size = _crc_zeros(size), size, len(raw)
    with out._lock:  # noqa: SLF001 -- writing a pre-compressed member has no public API
        out._writecheck(info)  # noqa: SLF001
        info.header_offset = out.fp.tell()
        out.fp.write(info.FileHeader(False))
        out.fp.write(raw)
        out._didModify = True  # noqa: SLF001
        out.filelist.append(info)
        out.NameToInfo[info.filename] = info
        out.start_dir = out.fp.tell()


def zip_traversal(rng: random.Random, data: bytes) -> bytes:
    evil = rng.choice(["../../x", "../../../tmp/gc-evil.txt", "/abs/evil", "..\\..\\win.txt",
                       "word/../../../escape.xml"])
    added = []

    def edit(name: str, content: bytes) -> list[tuple[str, bytes]]:
        if added or not name.endswith((".xml", ".qde")):
            return [(name, content)]
        added.append(evil)
        return [(name, content), (evil, b"owned")]

    return _rewrite_zip(data, edit)


def zip_member_garbage(rng: random.Random, data: bytes) -> bytes:
    return _rewrite_zip(data, lambda n, c: [(n, rng.randbytes(len(c) // 2 + 1) if rng.random()
                                             < 0.5 else c[: len(c) // 2])])


def zip_drop_member(rng: random.Random, data: bytes) -> bytes:
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    drop = rng.choice(names)
    return _rewrite_zip(data, lambda n, c: [] if n == drop else [(n, c)])


ZIP_MUTATIONS: tuple[Mutation, ...] = (zip_bomb, zip_traversal, zip_member_garbage,
                                       zip_drop_member)


# ---- YAML and XML ------------------------------------------------------------------------
def yaml_alias_bomb(rng: random.Random, data: bytes) -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, rng.randrange(7, 10)):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join('*' + prev for _ in range(9))}]")
    lines.append(f"codes: *{chr(ord('a') + len(lines) - 1)}")
    return ("\n".join(lines) + "\n").encode()


def yaml_deep(rng: random.Random, data: bytes) -> bytes:
    depth = rng.randrange(2_000, 20_000)
    if rng.random() < 0.5:
        return ("codes: " + "[" * depth + "]" * depth + "\n").encode()
    return ("codes: " + "{a: " * depth + "1" + "}" * depth + "\n").encode()


def yaml_wrong_types(rng: random.Random, data: bytes) -> bytes:
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError:
        doc = None
    junk = rng.choice([None, 1, -5, 3.5, "x", [], [1, 2], {"?": None}, True, "../../x",
                       "\0", "字" * 1000])
    if isinstance(doc, dict) and doc:
        key = rng.choice(list(doc))
        if rng.random() < 0.5 or not isinstance(doc[key], list | dict):
            doc[key] = junk
        elif isinstance(doc[key], list) and doc[key]:
            item = rng.randrange(len(doc[key]))
            if isinstance(doc[key][item], dict) and doc[key][item]:
                doc[key][item][rng.choice(list(doc[key][item]))] = junk
            else:
                doc[key][item] = junk
        elif isinstance(doc[key], dict) and doc[key]:
            doc[key][rng.choice(list(doc[key]))] = junk
    else:
        doc = junk
    return yaml.safe_dump(doc, allow_unicode=True).encode()


def yaml_python_tag(rng: random.Random, data: bytes) -> bytes:
    return rng.choice([b"!!python/object/apply:os.system ['echo owned > owned.txt']\n",
                       b"codes: !!python/name:os.system\n", b"a: !custom 1\n",
                       b"codes:\n  - id: A1\n  - id: A1\n  - &x {id: A2, parent: *x}\n"])


def yaml_duplicate_ids(rng: random.Random, data: bytes) -> bytes:
    doc = yaml.safe_load(data)
    codes = doc.get("codes") if isinstance(doc, dict) else None
    if not isinstance(codes, list) or len(codes) < 2:
        return data + b"\n- broken\n"
    choice = rng.randrange(4)
    if choice == 0:
        codes.append(dict(codes[rng.randrange(len(codes))]))  # duplicate id
    elif choice == 1:
        a, b = rng.sample(range(len(codes)), 2)
        codes[a]["parent"], codes[b]["parent"] = codes[b]["id"], codes[a]["id"]  # cycle
    elif choice == 2:
        codes[rng.randrange(len(codes))]["parent"] = "NO-SUCH-PARENT"
    else:
        codes[rng.randrange(len(codes))]["level"] = "galaxy"
    return yaml.safe_dump(doc, allow_unicode=True).encode()


YAML_MUTATIONS: tuple[Mutation, ...] = (yaml_alias_bomb, yaml_deep, yaml_wrong_types,
                                        yaml_python_tag, yaml_duplicate_ids)


def xml_deep(rng: random.Random, data: bytes) -> bytes:
    depth = rng.randrange(5_000, 100_000)
    return (b'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            + b"<Code>" * depth + b"</Code>" * depth + b"</Codes></CodeBook>")


def xml_entity_bomb(rng: random.Random, data: bytes) -> bytes:
    ents = ['<!ENTITY e0 "lollollollollollollollollollol">']
    for i in range(1, 10):
        ents.append(f'<!ENTITY e{i} "{("&e" + str(i - 1) + ";") * 10}">')
    return (f'<?xml version="1.0"?><!DOCTYPE CodeBook [{"".join(ents)}]>'
            '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            '<Code guid="11111111-1111-1111-1111-111111111111" name="&e9;" isCodable="true"/>'
            "</Codes></CodeBook>").encode()


def xml_external_entity(rng: random.Random, data: bytes) -> bytes:
    return (b'<?xml version="1.0"?><!DOCTYPE CodeBook [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            b'<Code guid="11111111-1111-1111-1111-111111111111" name="&x;" isCodable="true"/>'
            b"</Codes></CodeBook>")


XML_MUTATIONS: tuple[Mutation, ...] = (xml_deep, xml_entity_bomb, xml_external_entity)


def codings_unknown(rng: random.Random, data: bytes) -> bytes:
    """Codings rows naming codes, documents or offsets that do not exist."""
    lines = data.decode("utf-8").splitlines()
    head, rows = lines[0], lines[1:]
    out = []
    for row in rows:
        cells = row.split(",")
        r = rng.random()
        if r < 0.2:
            cells[3] = rng.choice(["ZZ99", "", "A06;A07", "字" * 50])
        elif r < 0.4:
            cells[0] = rng.choice(["NO-DOC", "../../etc/passwd", ""])
        elif r < 0.6:
            cells[1], cells[2] = rng.choice([("-5", "3"), ("100", "50"), ("x", "y"),
                                             ("99999999", "999999999"), ("1e400", "nan")])
        out.append(",".join(cells))
    return ("\n".join([head, *out]) + "\n").encode()


def csv_shape(rng: random.Random, data: bytes) -> bytes:
    """Ragged rows, missing header cells, unclosed quotes, a missing column."""
    lines = data.decode("utf-8", errors="replace").splitlines()
    choice = rng.randrange(4)
    if choice == 0:
        lines.append('"unclosed,quote' + "x" * 50)
    elif choice == 1:
        lines[0] = ",".join(lines[0].split(",")[:-1])
    elif choice == 2:
        lines = [lines[0]] + [line + ",extra,cells" for line in lines[1:]]
    else:
        lines[0] = lines[0].replace(lines[0].split(",")[0], "", 1)
    return ("\n".join(lines) + "\n").encode()


def for_kind(kind: str) -> tuple[Mutation, ...]:
    """The mutations that make sense for a file kind."""
    if kind in ("docx", "xlsx", "qdpx"):
        return BYTE_MUTATIONS + ZIP_MUTATIONS * 2
    if kind in ("codebook", "candidates", "manifest", "config"):
        return BYTE_MUTATIONS + YAML_MUTATIONS * 2
    if kind == "qdc":
        return BYTE_MUTATIONS + XML_MUTATIONS * 2
    if kind == "codings":
        return BYTE_MUTATIONS + (codings_unknown, codings_unknown, csv_shape)
    if kind in ("csv", "passages_csv"):
        return BYTE_MUTATIONS + (csv_shape,)
    return BYTE_MUTATIONS


def mutate(rng: random.Random, kind: str) -> tuple[str, bytes]:
    """(mutation name, bad bytes) of a ``kind`` sample."""
    mutation = rng.choice(for_kind(kind))
    return mutation.__name__, mutation(rng, sample(kind))
