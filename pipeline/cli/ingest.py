"""`groundcode ingest`: read a corpus folder (or one file) into documents.jsonl."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app


def write_documents_jsonl(documents, path: Path) -> None:
    """One JSON object per document (id, kind, lang, sha256, source, meta, chars, text),
    written atomically: a failure leaves no partial file."""
    import json

    from pipeline.io import atomic_write_text

    lines = [
        json.dumps(
            {
                "id": doc.id,
                "kind": doc.kind,
                "lang": doc.lang,
                "sha256": doc.sha256,
                "source": doc.source,
                "meta": doc.meta,
                "chars": len(doc.text),
                "text": doc.text,
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        for doc in documents
    ]
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def _summary_table(documents):
    from rich.table import Table

    table = Table(title=f"{len(documents)} documents")
    for column in ("id", "kind", "lang", "format", "chars", "source"):
        table.add_column(column, justify="right" if column == "chars" else "left")
    for doc in documents:
        fmt = doc.meta.get("format", "")
        if doc.meta.get("encoding"):
            fmt += f" ({doc.meta['encoding']})"
        table.add_row(doc.id, doc.kind, doc.lang, fmt, str(len(doc.text)), doc.source)
    return table


@app.command()
def ingest(
    path: Path = typer.Argument(..., help="Corpus folder (with manifest.yaml/csv) or one file."),
    manifest: Path | None = typer.Option(None, help="Manifest, if not in the folder."),
    out: Path = typer.Option(Path("runs/ingest"), help="Output folder for documents.jsonl."),
    opencc: bool = typer.Option(False, "--opencc", help="Convert Traditional to Simplified."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or table."),
) -> None:
    """Read TXT/DOCX/PDF/CSV/XLSX/JSONL sources into normalized documents (documents.jsonl)."""
    from rich.console import Console

    from pipeline.corpus import CorpusSettings, load_corpus

    settings = CorpusSettings(path=path, manifest=manifest, opencc=opencc)
    console = Console()
    if quiet:
        corpus = load_corpus(settings)
    else:
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("ingest", total=None)
            corpus = load_corpus(
                settings,
                progress=lambda done, total, _id: bar.update(task, completed=done, total=total),
            )
    target = out / "documents.jsonl"
    write_documents_jsonl(corpus.documents, target)
    if not quiet:
        console.print(_summary_table(corpus.documents))
    typer.echo(f"{len(corpus.documents)} documents from {corpus.name} -> {target}")
