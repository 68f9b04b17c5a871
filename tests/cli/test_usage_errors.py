"""Usage errors end in Typer's usage message and exit 2, never a traceback; a command whose
extra is not installed names the extra. All through the installed console script."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]


def unboxed(text: str) -> str:
    """Typer's error panel without its frame and line wrapping."""
    return " ".join(text.replace("│", " ").split())

USAGE_ERRORS = [
    (["nosuch"], "Usage: groundcode [OPTIONS] COMMAND", "No such command 'nosuch'"),
    (["run"], "Usage: groundcode run [OPTIONS]", "Missing argument"),
    (["run", "--bogus", "x"], "Usage: groundcode run [OPTIONS]", "No such option: --bogus"),
    (["codebook", "nosuch"], "Usage: groundcode codebook [OPTIONS]", "No such command 'nosuch'"),
    (["codebook", "merge", "CB.yaml"], "Usage: groundcode codebook merge", "Missing argument"),
    (["codebook", "merge", "CB.yaml", "candidates.yaml"], "Usage: groundcode codebook merge",
     "Missing option '--out'"),
    (["agree", "codings.csv", "--level", "nope"], "Usage: groundcode agree", "'nope' is not one"),
    (["saturation", "c.yaml", "--orders", "many"], "Usage: groundcode saturation",
     "Invalid value for '--orders': Input should be a valid integer"),
]


@pytest.mark.parametrize(("args", "usage", "message"), USAGE_ERRORS,
                         ids=[" ".join(a) for a, _, _ in USAGE_ERRORS])
def test_usage_error_prints_usage_and_exits_2(groundcode, args, usage, message):
    proc = groundcode(*args)
    assert proc.returncode == 2, proc.stderr
    assert usage in proc.stderr
    assert message in unboxed(proc.stderr)
    assert "--help' for help." in proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


def test_usage_error_points_to_the_command_help(groundcode):
    proc = groundcode("codebook", "merge", "--bogus")
    assert proc.returncode == 2
    assert "Try 'groundcode codebook merge --help' for help." in proc.stderr


def test_main_returns_2_on_a_usage_error(capsys):
    assert main(["run", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert "No such option: --bogus" in unboxed(err) and "Usage: groundcode run" in err


def test_help_exits_0(groundcode):
    proc = groundcode("--help")
    assert proc.returncode == 0, proc.stderr
    assert "Usage: groundcode [OPTIONS] COMMAND" in proc.stdout
    for command in ("run", "review", "agree", "codebook"):
        assert command in proc.stdout


def test_bad_input_still_exits_2_with_one_message(groundcode, tmp_path):
    proc = groundcode("run", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert "[E100]" in proc.stderr and "nope.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr and "Usage:" not in proc.stderr


def blocked(tmp_path, module: str):
    """A folder that, first on the path, makes ``import module`` fail as if not installed."""
    folder = tmp_path / "blocked"
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(
        f"raise ModuleNotFoundError(\"No module named '{module}'\", name={module!r})\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize("module", ["fastapi", "uvicorn", "python_multipart"])
def test_review_without_the_review_extra_names_it(groundcode, tmp_path, module):
    """A user who installed groundcode without [review] gets the extra to install."""
    proc = groundcode("review", "configs/demo.yaml", path_first=(blocked(tmp_path, module),))
    assert proc.returncode == 2, proc.stderr
    assert "[E010]" in proc.stderr
    assert "groundcode review needs the 'review' extra" in proc.stderr
    assert f"no module '{module}'" in proc.stderr
    assert "pip install 'groundcode[review]'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("module", "setting", "extra"),
    [("psycopg", "store: postgresql+psycopg://coder@localhost/groundcode", "postgres"),
     ("ray", "engine: ray", "ray")],
)
def test_run_without_the_configured_extra_names_it(groundcode, tmp_path, module, setting,
                                                   extra):
    config = tmp_path / "run.yaml"
    config.write_text(
        f"corpus:\n  path: {REPO / 'corpora' / 'demo'}\n"
        f"codebook: {REPO / 'configs' / 'codebooks' / 'soe-assistance.yaml'}\n"
        f"output: {tmp_path / 'out'}\n{setting}\n",
        encoding="utf-8",
    )
    proc = groundcode("run", str(config), "-q", path_first=(blocked(tmp_path, module),))
    assert proc.returncode == 2, proc.stderr
    assert f"pip install 'groundcode[{extra}]'" in proc.stderr
    assert f"'{module}'" in proc.stderr and "Traceback" not in proc.stderr
    assert list((tmp_path / "out").rglob("*")) == []  # nothing written
