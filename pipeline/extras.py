"""The optional parts of groundcode (``[project.optional-dependencies]``) and a check
that a command's part is installed, so a missing one is one message naming the extra
(``pip install 'groundcode[review]'``), never an ``ImportError`` traceback.

``pipeline/store`` (``postgres``) and ``pipeline/engines/ray.py`` (``ray``) already turn
a missing driver or Ray into a message naming their extra; :data:`EXTRA_MODULES` lists
them too, so ``tests/test_dependencies.py`` can check every import under ``pipeline/``
against ``pyproject.toml``.
"""

from __future__ import annotations

import importlib

from pipeline.errors import MissingExtraError

# extra -> the modules groundcode imports from it (import names, not distribution names)
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "review": ("fastapi", "starlette", "uvicorn", "python_multipart"),
    "postgres": ("psycopg",),
    "ray": ("ray",),
}


def require_extra(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` naming ``extra`` unless all its modules import."""
    for module in EXTRA_MODULES[extra]:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing = getattr(exc, "name", None) or module
            raise MissingExtraError(
                f"{feature} needs the '{extra}' extra, which is not installed "
                f"(no module {missing!r})",
                unit=feature,
                hint=f"pip install 'groundcode[{extra}]'",
            ) from None
