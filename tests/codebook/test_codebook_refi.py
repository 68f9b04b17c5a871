"""REFI-QDA .qdc export/import: structure, determinism, round-trip, hostile input."""

from __future__ import annotations

import pytest
from lxml import etree

from pipeline.codebook.refi import (
    QDC_NS,
    code_guid,
    codebook_to_qdc,
    export_qdc,
    import_qdc,
    qdc_to_codebook,
)
from pipeline.errors import CodebookError

NS = {"q": QDC_NS}


def test_export_structure(bundled):
    root = etree.fromstring(codebook_to_qdc(bundled))
    assert root.tag == f"{{{QDC_NS}}}CodeBook"
    mains = root.findall("q:Codes/q:Code", NS)
    assert [m.get("name").split()[0] for m in mains] == list(bundled.codable_ids("main"))
    assert {m.get("isCodable") for m in mains} == {"false"}
    leaves = root.findall("q:Codes/q:Code/q:Code", NS)
    assert len(leaves) == 50 and {c.get("isCodable") for c in leaves} == {"true"}
    a04 = root.find(f"q:Codes/q:Code/q:Code[@guid='{code_guid(bundled.id, 'A04')}']", NS)
    assert a04.get("name") == "A04 Cooperatives led by village Party organizations"
    description = a04.find("q:Description", NS).text
    assert bundled.get("A04").definition.zh in description
    assert bundled.get("A04").definition.en in description
    sets = {s.get("name"): s for s in root.findall("q:Sets/q:Set", NS)}
    members = sets["dimension:guidance_and_safeguard"].findall("q:MemberCode", NS)
    assert [m.get("targetGUID") for m in members] == [code_guid(bundled.id, "B01")]
    assert "facet:arena:consumption" in sets


def test_export_is_byte_identical_across_runs(bundled, tmp_path):
    first = export_qdc(bundled, tmp_path / "a.qdc").read_bytes()
    second = export_qdc(bundled, tmp_path / "b.qdc").read_bytes()
    assert first == second


def test_round_trip_gives_same_codebook(bundled, tmp_path):
    back = import_qdc(export_qdc(bundled, tmp_path / "soe.qdc"))
    assert back.codes == bundled.codes
    assert back.dimensions == bundled.dimensions and back.facets == bundled.facets
    assert (back.id, back.version, back.title) == (bundled.id, bundled.version, bundled.title)
    assert back.hash == bundled.hash


def test_round_trip_keeps_newlines_and_backslashes(small):
    from pipeline.codebook import codebook_from_dict

    small["codes"][1]["definition"]["en"] = "first line\nsecond \\n line"
    book = codebook_from_dict(small)
    assert qdc_to_codebook(codebook_to_qdc(book)).get("I1").definition.en == (
        "first line\nsecond \\n line"
    )


FOREIGN = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="other tool">
  <Codes>
    <Code guid="g1" name="Economy" isCodable="false">
      <Code guid="g2" name="E1 Jobs" isCodable="true"><Description>Work and wages.</Description></Code>
      <Code guid="g3" name="Prices" isCodable="true"/>
    </Code>
  </Codes>
</CodeBook>"""


def test_import_foreign_codebook_uses_documented_convention():
    book = qdc_to_codebook(FOREIGN, source="projects/My Codes.qdc")
    assert book.id == "My-Codes"
    assert [(c.id, c.level, c.codable) for c in book.codes] == [
        ("C001", "main", False),
        ("E1", "initial", True),
        ("C003", "initial", True),
    ]
    jobs = book.get("E1")
    assert jobs.name.en == jobs.name.zh == "Jobs"
    assert jobs.definition.en == "Work and wages."


def test_import_rejects_dtd_entities_and_bad_xml(tmp_path):
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE CodeBook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
<Code guid="g" name="&b;" isCodable="true"/></Codes></CodeBook>"""
    with pytest.raises(CodebookError, match="DOCTYPE"):
        qdc_to_codebook(bomb, source="bomb.qdc")
    with pytest.raises(CodebookError, match="not valid XML"):
        qdc_to_codebook(b"<CodeBook><Codes>", source="broken.qdc")
    with pytest.raises(CodebookError, match="expected CodeBook"):
        qdc_to_codebook(b"<Project/>", source="project.qdc")
    with pytest.raises(CodebookError, match="not found"):
        import_qdc(tmp_path / "missing.qdc")


def test_import_rejects_three_levels():
    deep = FOREIGN.replace(
        b'<Code guid="g3" name="Prices" isCodable="true"/>',
        b'<Code guid="g3" name="Prices"><Code guid="g4" name="Rent"/></Code>',
    )
    with pytest.raises(CodebookError, match="nested deeper than two levels"):
        qdc_to_codebook(deep, source="deep.qdc")
