from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.cluster import CandidateCategory, CandidateLabel, ClusterResult, NearestCode
from pipeline.cluster.adopt import write_candidates
from pipeline.codebook import load_codebook

BOOK = Path(__file__).resolve().parents[2] / "configs" / "codebooks" / "soe-assistance.yaml"


@pytest.mark.parametrize(
    "command", [["codebook", "merge"], ["codebook-merge"]], ids=["group", "old-name"]
)
def test_codebook_merge_command_writes_a_valid_codebook(command, tmp_path, capsys):
    book = load_codebook(BOOK)
    cand = CandidateCategory(
        "C01",
        ("d:0-5",),
        ("直播", "带货"),
        (),
        (NearestCode("A04", 0.7),),
        0.8,
        CandidateLabel("直播、带货", "Candidate: 直播, 带货"),
    )
    cands = write_candidates(ClusterResult((cand,), (), 0.0), book, tmp_path / "candidates.yaml")
    out = tmp_path / "merged.yaml"
    assert main([*command, str(BOOK), str(cands), "--out", str(out)]) == 0
    merged = load_codebook(out)
    assert merged.get("C01").parent == "B01" and merged.hash != book.hash
    assert merged.hash in capsys.readouterr().out


def test_codebook_merge_bad_candidates_exit_2(tmp_path, capsys):
    bad = tmp_path / "candidates.yaml"
    bad.write_text("codes: [{id: A01, level: initial}]\n", encoding="utf-8")
    args = ["codebook", "merge", str(BOOK), str(bad), "--out", str(tmp_path / "m.yaml")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "candidates.yaml" in err and "Traceback" not in err
    assert not (tmp_path / "m.yaml").exists()


def test_old_codebook_merge_name_is_hidden_from_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "codebook-merge" not in out and "codebook" in out
    assert main(["codebook", "--help"]) == 0
    assert "merge" in capsys.readouterr().out
