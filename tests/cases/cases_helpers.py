"""Helpers of the worked-case tests."""

from __future__ import annotations

from inferonomics.cases import CaseResult
from inferonomics.cases.verdict import Judged


def part(result: CaseResult, name: str) -> Judged:
    """The judged part of `result` whose name starts with `name` (exactly one)."""
    found = [j for j in result.parts if j.part.name.startswith(name)]
    assert len(found) == 1, (name, [j.part.name for j in result.parts])
    return found[0]
