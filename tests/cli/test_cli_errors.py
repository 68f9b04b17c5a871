"""The CLI turns library errors into one clear message and exit code 2, no traceback."""

import subprocess
import sys

from pipeline.cli import main


def test_missing_config_exits_2_with_message(tmp_path, capsys):
    code = main(["run", str(tmp_path / "missing.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "missing.yaml" in err and "config file not found" in err
    assert "Traceback" not in err


def test_unknown_config_key_exits_2(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("corpus:\n  path: .\nembedd: {}\n", encoding="utf-8")
    assert main(["run", str(cfg)]) == 2
    assert "unknown key 'embedd'" in capsys.readouterr().err


def test_console_script_reports_error_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "[E100]" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("run", "segment"):
        assert command in out
