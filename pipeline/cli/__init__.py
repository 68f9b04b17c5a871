"""Command-line interface. The only place that turns errors into exit codes.

Each command module registers its commands on :data:`pipeline.cli.app.app`;
commands are thin wrappers over plain library functions.
"""

from __future__ import annotations

import sys

import typer

# Command modules register themselves on import.
from pipeline.cli import run as _run  # noqa: E402,F401
from pipeline.cli.app import app
from pipeline.errors import GroundcodeError

_COMMAND_MODULES = (
    "pipeline.cli.ingest",
    "pipeline.cli.codebook",
    "pipeline.cli.codebook_versions",
    "pipeline.cli.embed",
    "pipeline.cli.classify",
    "pipeline.cli.agree",
    "pipeline.cli.cluster",
    "pipeline.cli.saturation",
    "pipeline.cli.export",
    "pipeline.cli.review",
)


def _load_optional_modules() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency inside the module
                raise


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``groundcode`` console script.

    Typer runs in standalone mode, so usage errors (unknown command or option, a missing
    argument, a bad value) print its usage message and exit 2 whichever Click it carries;
    the project's errors become one message and their exit code (2 for bad input).
    """
    _load_optional_modules()
    try:
        app(args=argv, prog_name="groundcode")
    except GroundcodeError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.secho("interrupted", err=True)
        return 130
    except SystemExit as exc:  # standalone mode always ends in sys.exit
        return _exit_code(exc.code)
    return 0


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
