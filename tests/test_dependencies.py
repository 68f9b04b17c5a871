"""Every import under pipeline/ is a declared dependency, and an extra-only one is reached
only behind a check that names the extra (so no command ends in an ImportError).

Rules, read from the code with ``ast`` and from pyproject.toml:
* a third-party import (also a lazy one inside a function) comes from a distribution in
  ``[project].dependencies`` or in an extra;
* an import from an extra either sits in a ``try`` that catches ``ImportError`` (the module
  turns it into a message itself) or is one of ``pipeline.extras.EXTRA_MODULES[extra]``
  and sits in a module listed in ``BEHIND_REQUIRE``, whose importers are listed there too:
  the command calls ``require_extra`` before importing them.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from pipeline.extras import EXTRA_MODULES

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipeline"

# module (path under the repo) -> extra that `require_extra` checks before it is imported
BEHIND_REQUIRE = {
    "pipeline/review/app.py": "review",  # imported by groundcode review after the check
    "pipeline/review/guards.py": "review",  # imported by review/app.py only
    "pipeline/review/candidate_routes.py": "review",  # imported by review/app.py only
    "pipeline/cli/review.py": "review",  # imports uvicorn after require_extra("review")
}
# extras that no pipeline command needs: test tools, the benchmarks' baseline
NOT_FOR_COMMANDS = {"test", "bench"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str]) -> set[str]:
    return {normalize(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r).group(1))
            for r in requirements}


def declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = {name: requirement_names(reqs)
              for name, reqs in project["optional-dependencies"].items()}
    return requirement_names(project["dependencies"]), extras


def catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(k, ast.Name) and k.id in ("ImportError", "ModuleNotFoundError")
               for k in kinds):
            return True
    return False


def imports_of(tree: ast.AST, guarded: bool = False):
    """(dotted module name, guarded by a try/except ImportError) for every import."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.Import):
            yield from ((alias.name, guarded) for alias in child.names)
        elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
            yield child.module, guarded
        elif isinstance(child, ast.Try):
            inner = guarded or catches_import_error(child)
            for stmt in child.body:
                yield from imports_of(ast.Module(body=[stmt], type_ignores=[]), inner)
            for part in (*child.handlers, *child.orelse, *child.finalbody):
                yield from imports_of(part, guarded)
        else:
            yield from imports_of(child, guarded)


def pipeline_imports() -> dict[str, list[tuple[str, bool]]]:
    found = {}
    for path in sorted(PIPELINE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found[path.relative_to(REPO).as_posix()] = list(imports_of(tree))
    return found


def third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top != "pipeline" and top not in sys.stdlib_module_names


@functools.cache
def installed() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distribution(module: str) -> str:
    """The distribution that provides ``module``; for one not installed here (an extra
    left out of this environment) the import name itself, as for ``ray``."""
    top = module.split(".")[0]
    dists = installed().get(top)
    return normalize(dists[0] if dists else top)


IMPORTS = pipeline_imports()
RUNTIME, EXTRAS = declared()


def test_the_audit_sees_lazy_and_guarded_imports():
    assert ("statsmodels.stats.inter_rater", False) in IMPORTS["pipeline/agreement/coefficients.py"]
    assert ("ray", True) in IMPORTS["pipeline/engines/ray.py"]
    assert ("uvicorn", False) in IMPORTS["pipeline/cli/review.py"]


def problems_of(path: str, module: str, guarded: bool) -> str | None:
    dist = distribution(module)
    if dist in RUNTIME:
        return None
    extras = sorted(name for name, dists in EXTRAS.items() if dist in dists)
    if not extras:
        return f"{path} imports {module} ({dist}), which is in no dependency or extra"
    if guarded:
        return None
    extra = BEHIND_REQUIRE.get(path)
    if extra not in extras:
        return (f"{path} imports {module} from the extra {extras} unchecked: wrap it in "
                "try/except ImportError with a hint, or call pipeline.extras.require_extra")
    if module.split(".")[0] not in EXTRA_MODULES[extra]:
        return f"require_extra({extra!r}) does not check {module}: add it to EXTRA_MODULES"
    return None


def test_every_import_is_declared_and_extras_are_checked():
    found = [problems_of(path, module, guarded)
             for path, imports in IMPORTS.items()
             for module, guarded in imports if third_party(module)]
    problems = [p for p in found if p]
    assert not problems, "\n".join(problems)


def test_modules_behind_require_are_imported_only_from_modules_behind_it():
    dotted = {path.removesuffix(".py").replace("/", "."): path for path in BEHIND_REQUIRE}
    for path, imports in IMPORTS.items():
        for module, _ in imports:
            if module in dotted and path not in BEHIND_REQUIRE:
                pytest.fail(f"{path} imports {module} without require_extra: "
                            f"list it in BEHIND_REQUIRE after checking it calls require_extra")


def test_extra_modules_match_pyproject():
    assert set(EXTRA_MODULES) == set(EXTRAS) - NOT_FOR_COMMANDS
    for extra, modules in EXTRA_MODULES.items():
        for module in modules:
            assert distribution(module) in EXTRAS[extra], f"{module} is not in [{extra}]"


def test_no_test_only_package_is_a_runtime_import():
    test_only = EXTRAS["test"] - RUNTIME
    for path, imports in IMPORTS.items():
        for module, guarded in imports:
            if third_party(module) and distribution(module) in test_only:
                assert guarded, f"{path} needs the test extra at run time ({module})"
