"""The content hash ignores formatting and key order but follows every content edit."""

from __future__ import annotations

import yaml

from pipeline.codebook import codebook_from_dict, dump_codebook, load_codebook


def _reversed_keys(value):
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def test_hash_stable_under_key_reordering_and_reformatting(small, tmp_path):
    base = codebook_from_dict(small)
    assert len(base.hash) == 64
    assert codebook_from_dict(_reversed_keys(small)).hash == base.hash
    flow = tmp_path / "flow.yaml"
    flow.write_text(yaml.safe_dump(small, default_flow_style=True, allow_unicode=True), "utf-8")
    block = tmp_path / "block.yaml"
    block.write_text(
        "# a comment\n" + yaml.safe_dump(_reversed_keys(small), allow_unicode=True), "utf-8"
    )
    assert load_codebook(flow).hash == load_codebook(block).hash == base.hash


def test_hash_unchanged_by_explicit_defaults_and_arena_order(small):
    base = codebook_from_dict(small).hash
    small["codes"][1]["codable"] = True
    small["codes"][1]["arenas"] = ["industrial", "talent"]
    assert codebook_from_dict(small).hash == base


def test_hash_changes_with_content(small):
    base = codebook_from_dict(small).hash
    edits = [
        lambda d: d["codes"][1]["definition"].__setitem__("en", "changed definition"),
        lambda d: d["codes"][1]["examples"].append({"lang": "en", "text": "one more"}),
        lambda d: d["codes"][2].__setitem__("include", {"zh": "包括", "en": "include"}),
        lambda d: d.__setitem__("version", "0.2"),
        lambda d: d["codes"].reverse() or d["codes"].insert(0, d["codes"].pop()),
    ]
    hashes = set()
    for edit in edits:
        data = codebook_from_dict(small).to_dict()
        edit(data)
        hashes.add(codebook_from_dict(data).hash)
    assert base not in hashes and len(hashes) == len(edits)


def test_dump_round_trips(bundled, tmp_path):
    out = dump_codebook(bundled, tmp_path / "copy.yaml")
    again = load_codebook(out)
    assert again == bundled and again.hash == bundled.hash
    assert again.codes == bundled.codes
