"""Warn before a large corpus file is processed.

A long document is one unit of work for segment, embed and classify (their
checkpoints are whole documents), so a file of tens of megabytes runs for many
minutes with no partial result in the store. :func:`size_warnings` names each input
file above ``corpus.warn_file_mb`` with its size and a rough time to expect.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# measured with benchmarks/large_file.py on a busy 2-core machine (default settings,
# use-multilingual embedder): 3 MB of text took 322 s
SECONDS_PER_MB = 107


def size_warnings(root: Path, files: Iterable[str], warn_mb: float) -> list[str]:
    """One message per file in ``files`` (relative to ``root``) larger than ``warn_mb``
    megabytes (10^6 bytes); none when ``warn_mb`` is 0."""
    if warn_mb <= 0:
        return []
    messages = []
    for file in sorted(set(files)):
        path = root / file
        size = path.stat().st_size if path.is_file() else 0
        mb = size / 1_000_000
        if mb > warn_mb:
            minutes = max(1, round(mb * SECONDS_PER_MB / 60))
            messages.append(
                f"large corpus file {file}: {mb:.1f} MB (above corpus.warn_file_mb = "
                f"{warn_mb:g}); expect roughly {minutes} minute(s) on 2 cores with the default "
                f"embedder, and no partial results in the store until it is classified "
                f"(embeddings are cached as they are computed, so a killed run resumes)"
            )
    return messages
