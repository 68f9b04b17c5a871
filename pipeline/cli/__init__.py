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
    """Entry point of the ``groundcode`` console script."""
    _load_optional_modules()
    try:
        app(args=argv, standalone_mode=False)
    except GroundcodeError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.secho("interrupted", err=True)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 1
    except SystemExit as exc:  # click usage errors in standalone_mode=False raise ClickException
        return int(exc.code or 0)
    except Exception as exc:  # click.ClickException and friends
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
