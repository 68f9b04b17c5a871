"""Every `groundcode ...` the README (and docs/) shows is a command the CLI has.

Command lines in code blocks are parsed in full by the CLI's own parser (command path,
options, arguments, choices) and their command's ``--help`` runs through the installed
console script; inline mentions such as `groundcode run --refit` must name a command
and only options it has. So the README and the command line cannot drift apart.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from pipeline.cli import _load_optional_modules
from pipeline.cli.app import app

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`(groundcode(?: [^`]*)?)`")


def block_lines() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for block in FENCE.findall(doc.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if line.strip().startswith("groundcode"):
                    found.append((doc.name, line.strip()))
    return found


def inline_mentions() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        prose = FENCE.sub("", doc.read_text(encoding="utf-8"))
        found += [(doc.name, text) for text in INLINE.findall(prose)]
    return found


def root_command():
    _load_optional_modules()
    return typer.main.get_command(app)


def resolve(tokens: list[str]):
    """(command, its path, the tokens after the path) for `groundcode` + tokens."""
    command, path = root_command(), []
    rest = list(tokens)
    while rest and rest[0] in getattr(command, "commands", {}):
        path.append(rest[0])
        command = command.commands[rest.pop(0)]
    return command, path, rest


def words(line: str) -> list[str]:
    return shlex.split(line, comments=True)[1:]


BLOCKS = block_lines()
INLINES = inline_mentions()


def test_the_readme_shows_commands():
    assert len(BLOCKS) >= 8, BLOCKS
    assert any(text.startswith("groundcode codebook merge") for _, text in BLOCKS)


@pytest.mark.parametrize(
    ("doc", "line"), BLOCKS, ids=[" ".join(shlex.split(line, comments=True)) for _, line in BLOCKS]
)
def test_command_line_in_a_code_block_parses(doc, line):
    command, path, rest = resolve(words(line))
    if rest == ["--help"]:
        return
    assert path, f"{doc}: {line!r} names no groundcode command"
    assert not hasattr(command, "commands"), (
        f"{doc}: {line!r}: {rest[:1]} is not a command of groundcode {' '.join(path)}"
    )
    try:
        command.make_context(f"groundcode {' '.join(path)}", rest)
    except Exception as exc:  # the CLI's usage errors (typer's Click)
        pytest.fail(f"{doc}: {line!r} does not parse: {exc}")


@pytest.mark.parametrize(("doc", "text"), INLINES, ids=[text for _, text in INLINES])
def test_inline_mention_names_a_command_and_its_options(doc, text):
    command, path, rest = resolve(text.split()[1:])
    assert path or not rest, f"{doc}: `{text}` names no groundcode command"
    known = {opt for param in command.params for opt in getattr(param, "opts", ())}
    for token in rest:
        if token.startswith("-"):
            assert token in known, f"{doc}: `{text}`: {path} has no option {token}"
        else:
            assert token.isupper() or "." in token or "/" in token, (
                f"{doc}: `{text}`: {token!r} is not a command of groundcode {' '.join(path)}"
            )


def command_paths() -> list[list[str]]:
    paths = {tuple(resolve(words(line))[1]) for _, line in BLOCKS}
    paths |= {tuple(resolve(text.split()[1:])[1]) for _, text in INLINES}
    return [list(p) for p in sorted(paths)]


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "groundcode")
def test_help_of_every_documented_command_runs(groundcode, path):
    proc = groundcode(*path, "--help")
    assert proc.returncode == 0, proc.stderr
    assert f"Usage: {' '.join(['groundcode', *path])} [OPTIONS]" in proc.stdout
