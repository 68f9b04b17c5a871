"""The clean audit: every removal as one CSV row."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from pipeline.clean.removal import CleanResult
from pipeline.io import atomic_path

AUDIT_COLUMNS = ("doc_id", "start", "end", "reason", "rule", "text")


def write_audit(results: Iterable[CleanResult], path: str | Path) -> Path:
    """Write ``doc_id,start,end,reason,rule,text`` rows (UTF-8 CSV) atomically."""
    target = Path(path)
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(AUDIT_COLUMNS)
        for result in results:
            for r in result.removals:
                writer.writerow([r.doc_id, r.start, r.end, r.reason, r.rule, r.text])
    return target
