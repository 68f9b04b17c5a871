"""`groundcode codebook validate|show|export|import|merge`: thin wrappers over pipeline.codebook.

`codebook_app` is the `codebook` command group; a new codebook command is one more
``@codebook_app.command()`` here, or in its own module that imports ``codebook_app``
and is listed in ``pipeline.cli._COMMAND_MODULES``.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from pathlib import Path

import typer

from pipeline.cli.app import app

codebook_app = typer.Typer(
    help="Validate, show, export, import and merge codebooks (YAML, REFI-QDA .qdc, xlsx); "
    "the versions a run's store keeps: history, diff, version.",
    no_args_is_help=True,
)
app.add_typer(codebook_app, name="codebook")


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class ExportFormat(StrEnum):
    qdc = "qdc"
    yaml = "yaml"
    xlsx = "xlsx"


def _summary(book) -> str:
    levels = Counter(code.level for code in book.codes)
    counts = ", ".join(f"{levels[level]} {level}" for level in ("main", "initial"))
    return (
        f"{book.id} {book.version}: {counts} codes, {len(book.codable_ids('initial'))} codable, "
        f"{len(book.dimensions)} dimensions"
    )


@codebook_app.command()
def validate(path: Path = typer.Argument(..., help="codebook YAML file")) -> None:
    """Check a codebook; print ok, its content hash and counts, or every problem."""
    from pipeline.codebook import load_codebook

    book = load_codebook(path)
    typer.echo(f"ok {path}")
    typer.echo(f"hash {book.hash}")
    typer.echo(_summary(book))


def _code_label(code, lang: str, detail: bool) -> str:
    from rich.markup import escape

    flag = "" if code.codable else " [dim](category)[/dim]"
    text = f"[bold]{code.id}[/bold] {escape(code.name.get(lang))}{flag}"
    if detail:
        text += f"\n[dim]{escape(code.definition.get(lang))}[/dim]"
    return text


def _add_subtree(node, book, code, lang: str, detail: bool) -> None:
    branch = node.add(_code_label(code, lang, detail))
    for child in book.children(code.id):
        _add_subtree(branch, book, child, lang, detail)


@codebook_app.command()
def show(
    path: Path = typer.Argument(..., help="codebook YAML file"),
    lang: Lang = typer.Option(Lang.en, "--lang", help="language of names"),
    code: str | None = typer.Option(None, "--code", help="show only this code (with details)"),
) -> None:
    """Print the codebook as a tree (or one code's subtree with its definitions)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    from pipeline.codebook import load_codebook

    book = load_codebook(path)
    tree = Tree(f"[bold]{escape(book.title.get(lang.value))}[/bold] ({book.hash[:12]})")
    roots = (book.get(code),) if code else book.roots()
    for root in roots:
        _add_subtree(tree, book, root, lang.value, detail=code is not None)
    Console(soft_wrap=False).print(tree)


@codebook_app.command()
def export(
    path: Path = typer.Argument(..., help="codebook YAML file"),
    fmt: ExportFormat = typer.Option(..., "--format", help="qdc | yaml | xlsx"),
    out: Path = typer.Option(..., "--out", help="file to write"),
) -> None:
    """Export a codebook to REFI-QDA (.qdc), normalized YAML or Excel."""
    from pipeline.codebook import dump_codebook, load_codebook
    from pipeline.codebook.refi import export_qdc
    from pipeline.codebook.table import export_xlsx

    writers = {"qdc": export_qdc, "yaml": dump_codebook, "xlsx": export_xlsx}
    book = load_codebook(path)
    writers[fmt.value](book, out)
    typer.echo(f"wrote {out} ({fmt.value}, hash {book.hash[:12]})")


@codebook_app.command("import")
def import_(
    qdc: Path = typer.Argument(..., help="REFI-QDA codebook (.qdc)"),
    out: Path = typer.Option(..., "--out", help="codebook YAML to write"),
) -> None:
    """Import a REFI-QDA .qdc codebook and write it as validated YAML."""
    from pipeline.codebook import dump_codebook
    from pipeline.codebook.refi import import_qdc

    book = import_qdc(qdc)
    dump_codebook(book, out)
    typer.echo(f"wrote {out}: {_summary(book)}")


@codebook_app.command("merge")
def merge(
    base: Path = typer.Argument(..., help="codebook YAML"),
    candidates: Path = typer.Argument(..., help="edited candidates.yaml (from groundcode cluster)"),
    out: Path = typer.Option(..., "--out", help="merged codebook YAML to write"),
) -> None:
    """Merge (edited) candidate categories into a codebook; the result is validated."""
    from pipeline.cluster.adopt import merge_candidates
    from pipeline.codebook import dump_codebook, load_codebook

    book = load_codebook(base)
    merged = merge_candidates(book, candidates)
    dump_codebook(merged, out)
    typer.echo(f"wrote {out}: {len(merged) - len(book)} codes added, hash {merged.hash}")


# The name before `codebook` became a group; kept so existing scripts keep working.
app.command("codebook-merge", hidden=True)(merge)
