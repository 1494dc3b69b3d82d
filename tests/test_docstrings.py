"""Docstrings cannot go missing: every module opens with one, and every public class, function and
method (a name not starting with `_`, at module level or in a class body) has one (CONVENTIONS.md,
practice 15). The source is read with `ast`, so nothing is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from pathlib import Path

import inferonomics

SRC = Path(inferonomics.__file__).parent

SKIP: tuple[str, ...] = ()
"""Paths under src/inferonomics whose public definitions are not checked (a trailing `/` is a
folder): for code being reworked, listed with why; none today. Their modules still need a module
docstring, and a listed path must exist."""


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _skipped(relative: str) -> bool:
    return any(relative.startswith(s) if s.endswith("/") else relative == s for s in SKIP)


def _undocumented(body: Sequence[ast.stmt], prefix: str = "") -> Iterator[str]:
    """Qualified names of the public definitions in `body` (and in its classes) without a docstring."""
    for node in body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name.startswith("_"):
            continue
        if not ast.get_docstring(node):
            yield prefix + node.name
        if isinstance(node, ast.ClassDef):
            yield from _undocumented(node.body, f"{prefix}{node.name}.")


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(path.relative_to(SRC))
        for path in _modules()
        if not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert not missing, "modules without a docstring:\n  " + "\n  ".join(missing)


def test_every_public_definition_has_a_docstring() -> None:
    missing = []
    for path in _modules():
        relative = path.relative_to(SRC).as_posix()
        if _skipped(relative):
            continue
        missing += [f"{relative}: {name}" for name in _undocumented(ast.parse(path.read_text()).body)]
    assert not missing, f"{len(missing)} public definitions without a docstring:\n  " + "\n  ".join(missing)


def test_skipped_paths_exist() -> None:
    """A skip entry for a path that is gone is stale: remove it."""
    stale = [s for s in SKIP if not (SRC / s).exists()]
    assert not stale, f"SKIP names paths that do not exist: {', '.join(stale)}"
