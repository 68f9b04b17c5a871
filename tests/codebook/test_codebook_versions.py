"""Codebook versions: the diff, lineage in the store, the version a run codes with, the CLI."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.codebook import codebook_from_dict, dump_codebook
from pipeline.codebook.diff import diff_codebooks, render_diff
from pipeline.codebook.stored import codebook_from_text, codebook_text
from pipeline.store import open_store

NEW_CODE = {"id": "I3", "parent": "M1", "level": "initial",
            "name": {"zh": "初三", "en": "Initial three"},
            "definition": {"zh": "初三定义", "en": "initial three definition"},
            "examples": [{"lang": "zh", "text": "新例"}]}


def _edited(small):
    data = copy.deepcopy(small)
    data["codes"].append(NEW_CODE)
    data["codes"][1]["name"]["zh"] = "初一（改）"
    data["codes"][1]["examples"].append({"lang": "zh", "text": "例二"})
    data["codes"] = [c for c in data["codes"] if c["id"] != "I2"]
    return codebook_from_dict(data)


def test_diff_lists_added_removed_and_changed_fields(small):
    old, new = codebook_from_dict(small), _edited(small)
    diff = diff_codebooks(old, new)
    assert (diff.added, diff.removed) == (("I3",), ("I2",))
    [change] = diff.changed
    assert change.code_id == "I1"
    assert {f.field: (f.old, f.new) for f in change.fields}["name.zh"] == ("初一", "初一（改）")
    assert [f.field for f in change.fields] == ["examples", "name.zh"]
    lines = render_diff(diff, new)
    assert "+ I3 初三 | Initial three (under M1, 1 example(s))" in lines
    assert "- I2" in lines and "    name.zh: 初一 -> 初一（改）" in lines
    assert "    examples: 2 -> 3\n      + 例二" in lines
    assert diff_codebooks(new, new).empty and render_diff(diff_codebooks(new, new), new)[-1] == \
        "no differences"


def test_a_version_round_trips_through_its_text(small):
    book = _edited(small)
    assert codebook_from_text(codebook_text(book), "<t>").hash == book.hash


def test_store_keeps_lineage_and_finds_the_latest_descendant(tmp_path, small):
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        repo = store.codebooks
        assert repo.save_codebook("mini", "h1", "v1", "0.1", author="file", reason="file x")
        assert not repo.save_codebook("mini", "h1", "v1 again", "0.1", author="someone")
        repo.save_codebook("mini", "h2", "v2", parent="h1", author="li",
                           reason="accepted candidate C03", changes=["added A51 under B05"])
        repo.save_codebook("mini", "h3", "v3", parent="h2", author="wang", changes=["merged"])
        repo.save_codebook("mini", "h9", "v9", author="file")  # a new root (file edited)
        first, second = repo.get_codebook("h1"), repo.get_codebook("h2")
        assert (first.author, first.content, first.parent_hash) == ("file", "v1", None)
        assert (second.parent_hash, second.author, second.reason, second.changes) == (
            "h1", "li", "accepted candidate C03", ("added A51 under B05",))
        assert second.created_at is not None
        assert repo.latest_descendant("h1").hash == "h3"
        assert repo.latest_descendant("h3").hash == "h3"
        assert repo.latest_descendant("h9").hash == "h9"
        assert repo.latest_descendant("nope") is None


def test_decisions_name_the_codebook_version(tmp_path):
    from tests.store.store_contract import make_doc, make_passages

    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        doc = make_doc("d1")
        passages = make_passages(doc)
        store.replace_document(doc, passages, corpus="c")
        store.record_decision("li", passages[0].id, "A01", "accept", codebook_hash="h2")
        store.record_decision("li", passages[1].id, "A01", "accept")
        assert [d.codebook_hash for d in store.decisions("li")] == ["h2", None]


def test_the_run_codes_with_the_newest_version_made_from_its_file(tmp_path, small):
    from pipeline.engines.codebooks import codebook_in_use

    path = dump_codebook(codebook_from_dict(small), tmp_path / "cb.yaml")
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        first = codebook_in_use(store, path, tmp_path / "versions")
        assert first.path == path and first.book.hash == first.file_hash
        edited = _edited(small)
        store.codebooks.save_codebook("mini", edited.hash, codebook_text(edited),
                                      parent=first.book.hash, author="li")
        later = codebook_in_use(store, path, tmp_path / "versions")
        assert later.book.hash == edited.hash and later.file_hash == first.book.hash
        assert later.path.parent == tmp_path / "versions"
        assert codebook_from_text(later.path.read_text("utf-8"), "x").hash == edited.hash
        # editing the file makes a new root: the review version no longer applies
        small["codes"][2]["definition"]["en"] = "initial two, redefined"
        dump_codebook(codebook_from_dict(small), path)
        root = codebook_in_use(store, path, tmp_path / "versions")
        assert root.path == path and root.book.hash == root.file_hash != first.file_hash
        kept = store.codebooks.get_codebook(root.book.hash)
        assert (kept.author, kept.parent_hash) == ("file", edited.hash)
        assert "- I3" in kept.changes and any(line.startswith("+ I2") for line in kept.changes)


@pytest.fixture()
def versions_config(tmp_path, small) -> Path:
    path = dump_codebook(codebook_from_dict(small), tmp_path / "cb.yaml")
    edited = _edited(small)
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"corpus": {"path": str(tmp_path)}, "codebook": str(path),
                                      "output": str(tmp_path / "out")}), encoding="utf-8")
    (tmp_path / "out").mkdir()
    with open_store(f"sqlite:///{tmp_path / 'out' / 'groundcode.db'}") as store:
        from pipeline.engines.codebooks import codebook_in_use

        base = codebook_in_use(store, path, tmp_path / "out").book
        store.codebooks.save_codebook("mini", edited.hash, codebook_text(edited),
                                      parent=base.hash, author="li", reason="accepted C01",
                                      changes=["added I3 under M1 from candidate C01"])
    return config


def test_cli_history_diff_and_version_export(versions_config, tmp_path, capsys):
    from pipeline.cli import main
    from pipeline.codebook.refi import import_qdc

    assert main(["codebook", "history", str(versions_config)]) == 0
    out = capsys.readouterr().out
    assert "#1 " in out and "by file from –" in out
    assert "#2 " in out and "by li from #1  <- in use" in out
    assert "why: accepted C01" in out and "added I3 under M1 from candidate C01" in out
    assert main(["codebook", "diff", str(versions_config), "1", "2"]) == 0
    out = capsys.readouterr().out
    assert "+ I3 初三" in out and "- I2" in out
    target = tmp_path / "v1.qdc"
    assert main(["codebook", "version", str(versions_config), "1", "--format", "qdc",
                 "--out", str(target)]) == 0
    assert {c.id for c in import_qdc(target).codes} == {"M1", "I1", "I2"}
    yml = tmp_path / "v2.yaml"
    assert main(["codebook", "version", str(versions_config), "latest", "--out", str(yml)]) == 0
    assert "I3" in yml.read_text("utf-8")
    capsys.readouterr()
    assert main(["codebook", "diff", str(versions_config), "1", "7"]) == 2
    assert "no version #7" in capsys.readouterr().err
