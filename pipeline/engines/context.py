"""What every stage of one ``groundcode run`` shares (:class:`RunContext`)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.paths import JobPaths

FAULT_ENV = "GROUNDCODE_FAULT"  # test hook: "<stage>:<n>" = kill -9 after n checkpoints


class Fault:
    """Kill this process (SIGKILL, like ``kill -9``) after ``n`` checkpoints of a stage."""

    def __init__(self) -> None:
        spec = os.environ.get(FAULT_ENV, "")
        stage, _, n = spec.partition(":")
        self.stage, self.left = stage, int(n) if n.isdigit() else -1

    def tick(self, stage: str) -> None:
        if stage == self.stage and self.left > 0:
            self.left -= 1
            if self.left == 0:
                os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class RunContext:
    """The run's fixed inputs and services, and two logs the stages fill in:
    ``processed`` (document stage -> ids it processed) and ``outcomes`` (corpus
    stage -> ``computed`` | ``unchanged`` | ``skipped``)."""

    config: Any  # RunConfig
    paths: JobPaths
    store: Any  # pipeline.store.Store
    book: Any  # Codebook
    backend: Any  # pipeline.engines.backend.Backend
    info: Any  # RunInfo
    embedder_id: str
    codebook_path: Path  # a YAML file of ``book`` (the workers load the codebook from it)
    refit: bool = False
    progress: bool = True
    echo: Callable[[str], None] = lambda _m: None
    fault: Fault = field(default_factory=Fault)
    processed: dict[str, list[str]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
