"""YAML alias bombs and absurd nesting are refused by every loader of a user's YAML file,
with the loader's own error class, the file and the line, before any object is built."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipeline.cluster.adopt import read_candidate_codes
from pipeline.codebook import load_codebook
from pipeline.codebook.load import codebook_from_dict
from pipeline.codebook.stored import codebook_from_text
from pipeline.config import load_config
from pipeline.corpus.manifest import load_manifest
from pipeline.errors import CodebookError, ConfigError, GroundcodeError, ManifestError
from pipeline.yamlsafe import YamlLimits, check_yaml

REPO = Path(__file__).resolve().parents[1]
DEMO_CODEBOOK = REPO / "configs" / "codebooks" / "soe-assistance.yaml"


def billion_laughs(levels: int = 9, key: str = "bomb") -> str:
    """``levels`` anchors, each a list of ten aliases of the one before: 10**levels strings."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    lines.append(f"{key}: *l{levels}")
    return "\n".join(lines) + "\n"


def deep_list(depth: int = 10_000) -> str:
    return "deep: " + "[" * depth + "]" * depth + "\n"


def deep_map(depth: int = 10_000) -> str:
    return "deep: " + "{a: " * depth + "1" + "}" * depth + "\n"


BAD = {"bomb": billion_laughs, "deep list": deep_list, "deep map": deep_map}


def _assert_refused(exc: GroundcodeError, file: Path | str, kind: str, before: int = 0) -> None:
    """``before``: lines written ahead of the bad part."""
    assert exc.file == str(file)
    assert exc.unit is not None and exc.unit.startswith("line ")
    if kind == "bomb":
        # the first alias whose expansion crosses the ratio: the third anchor, line 4
        assert exc.unit == f"line {4 + before}, alias *l2", exc.unit
        assert "alias bomb" in exc.message
    else:
        assert exc.unit == f"line {1 + before}"  # the nesting is all on one line
        assert "nested deeper than 100 levels" in exc.message


def _fast(call):
    start = time.perf_counter()
    try:
        call()
    finally:
        assert time.perf_counter() - start < 5, "the check built the structure"


@pytest.mark.parametrize("kind", BAD)
def test_config_refuses(tmp_path, kind):
    path = tmp_path / "run.yaml"
    path.write_text("corpus:\n  path: .\n" + BAD[kind](), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        _fast(lambda: load_config(path))
    _assert_refused(info.value, path, kind if kind == "bomb" else "deep", before=2)


@pytest.mark.parametrize("kind", BAD)
def test_codebook_file_refuses(tmp_path, kind):
    path = tmp_path / "cb.yaml"
    path.write_text(BAD[kind](), encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        _fast(lambda: load_codebook(path))
    _assert_refused(info.value, path, kind if kind == "bomb" else "deep")


@pytest.mark.parametrize("kind", BAD)
def test_stored_codebook_text_refuses(kind):
    with pytest.raises(CodebookError) as info:
        _fast(lambda: codebook_from_text(BAD[kind](), "stored codebook abc"))
    _assert_refused(info.value, "stored codebook abc", kind if kind == "bomb" else "deep")


@pytest.mark.parametrize("kind", BAD)
def test_manifest_refuses(tmp_path, kind):
    path = tmp_path / "manifest.yaml"
    path.write_text(BAD[kind](), encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        _fast(lambda: load_manifest(path))
    _assert_refused(info.value, path, kind if kind == "bomb" else "deep")


@pytest.mark.parametrize("kind", BAD)
def test_candidates_refuse(tmp_path, kind):
    path = tmp_path / "candidates.yaml"
    path.write_text(BAD[kind](), encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        _fast(lambda: read_candidate_codes(path))
    _assert_refused(info.value, path, kind if kind == "bomb" else "deep")


def test_block_style_nesting_is_refused_at_its_line():
    text = "".join("  " * i + "-\n" for i in range(150))
    with pytest.raises(ConfigError) as info:
        check_yaml(text, file="x.yaml", error=ConfigError)
    assert info.value.unit == "line 101"  # the 101st nested sequence starts there


def test_recursive_alias_is_refused():
    with pytest.raises(ConfigError) as info:
        check_yaml("a: &a [1, *a]\n", file="x.yaml", error=ConfigError)
    assert "recursive" in info.value.message and info.value.unit == "line 1"


def test_limits_are_counted_on_the_expansion():
    # two levels: l1 holds 10 aliases of l0 (11 nodes each: the list and its strings),
    # l2 10 aliases of l1 (111 each), and `bomb` one alias of l2 (1,111): 2,331 nodes
    check_yaml(billion_laughs(2), file="x", error=ConfigError,
               limits=YamlLimits(max_alias_nodes=2_331, ratio_floor=10**9))
    with pytest.raises(ConfigError) as info:
        check_yaml(billion_laughs(2), file="x", error=ConfigError,
                   limits=YamlLimits(max_alias_nodes=2_330, ratio_floor=10**9))
    assert info.value.unit == "line 4, alias *l2" and "2,331 nodes" in info.value.message


def test_plain_aliases_in_small_files_still_load(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        "corpus:\n  path: .\n"
        "segment: &seg\n  max_sentences: 2\n"
        "clean:\n  patterns: &pats\n    - '^x$'\n    - '^y$'\n"
        "agreement:\n  codings: []\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.segment.max_sentences == 2 and config.clean.patterns == ["^x$", "^y$"]
    book = yaml.safe_load(DEMO_CODEBOOK.read_text(encoding="utf-8"))
    book["codes"][1]["definition"] = book["codes"][0]["definition"]  # one object: dumped as an alias
    text = yaml.safe_dump(book, allow_unicode=True, sort_keys=False)
    assert "*id" in text  # PyYAML wrote an anchor and an alias
    cb = tmp_path / "cb.yaml"
    cb.write_text(text, encoding="utf-8")
    plain = yaml.safe_load(yaml.safe_dump(book, allow_unicode=True, sort_keys=False))
    assert load_codebook(cb).hash == codebook_from_dict(plain).hash

def _console_script() -> Path:
    script = Path(sys.executable).parent / "groundcode"
    if not script.is_file():
        pytest.fail(f"the groundcode console script is not installed at {script}")
    return script


@pytest.mark.parametrize("kind", ["bomb", "deep list"])
def test_cli_exits_2_with_one_message(tmp_path, kind):
    import os

    path = tmp_path / "run.yaml"
    path.write_text("corpus:\n  path: .\n" + BAD[kind](), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.run([str(_console_script()), "run", str(path)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: [E100]"), proc.stderr
    assert str(path) in lines[0]
    assert ("alias bomb" if kind == "bomb" else "nested deeper") in lines[0]

