"""One catalogue of coded error messages (spaCy style).

Library code raises these; only :mod:`pipeline.cli` turns them into exit codes.
Every error names the file and, where it applies, the unit (line, row, passage,
code id, config key) and says what to do about it.
"""

from __future__ import annotations

from pathlib import Path


class GroundcodeError(Exception):
    """Base class. ``code`` is a stable identifier users can search for."""

    code = "E000"
    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        unit: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.unit = unit
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file and self.unit:
            where = f"{self.file} ({self.unit}): "
        elif self.file:
            where = f"{self.file}: "
        elif self.unit:
            where = f"{self.unit}: "
        text = f"[{self.code}] {where}{self.message}"
        if self.hint:
            text += f" Hint: {self.hint}"
        return text


class MissingExtraError(GroundcodeError):
    """A command needs an optional part of groundcode (an extra) that is not installed."""

    code = "E010"


class ConfigError(GroundcodeError):
    """A run config is missing, malformed, has unknown keys or wrong types."""

    code = "E100"


class ManifestError(GroundcodeError):
    """A corpus manifest is malformed: missing files, duplicate ids, bad values."""

    code = "E200"


class IngestError(GroundcodeError):
    """A corpus file cannot be read: empty, corrupt, unknown format."""

    code = "E210"


class EncodingError(IngestError):
    """A text file's encoding cannot be told apart with confidence."""

    code = "E211"


class CleanError(GroundcodeError):
    code = "E300"


class SegmentError(GroundcodeError):
    code = "E310"


class CodebookError(GroundcodeError):
    """A codebook is malformed: unknown keys, duplicate ids, missing parents, cycles."""

    code = "E400"


class ModelError(GroundcodeError):
    """An embedding model or trained coder is missing or cannot be loaded."""

    code = "E500"


class ClassifyError(GroundcodeError):
    code = "E510"


class NotFittedError(GroundcodeError):
    """An estimator was used before ``fit``."""

    code = "E520"


class ClusterError(GroundcodeError):
    code = "E600"


class SaturationError(GroundcodeError):
    """A saturation test cannot run: too few coded cases, bad base size/run length/threshold."""

    code = "E610"


class AgreementInputError(GroundcodeError):
    """Codings for an agreement audit are malformed or refer to unknown units/codes/coders."""

    code = "E700"


class StoreError(GroundcodeError):
    code = "E800"


class EngineError(GroundcodeError):
    code = "E900"


class RunLockedError(EngineError):
    """Another groundcode run (or export) holds the output folder's or the store's lock."""

    code = "E901"
