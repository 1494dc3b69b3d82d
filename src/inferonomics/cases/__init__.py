"""The worked cases of the articles behind this project, computed by the toolkit itself.

Each case states the article's claim, computes it through the library (the price book and the
billing engine: a ledger is built and billed, never a hand-multiplied figure), and says whether
the claim holds. Section A (prices and bills) and B1 live in `cases/prices.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from inferonomics.errors import CaseError

Verdict = Literal["holds", "wrong", "partly"]


@dataclass
class CaseResult:
    id: str
    title: str
    claim: str
    verdict: Verdict
    explanation: str
    lines: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    """The computed figures, by name (for tests and JSON output)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "lines": self.lines,
            "figures": self.figures,
        }


CASES: dict[str, Callable[[], CaseResult]] = {}


def case(case_id: str) -> Callable[[Callable[[], CaseResult]], Callable[[], CaseResult]]:
    def register(fn: Callable[[], CaseResult]) -> Callable[[], CaseResult]:
        CASES[case_id] = fn
        return fn

    return register


CASE_IDS = (
    "A1",
    "A2",
    "A3",
    "A4",
    "A5",
    "B1",
    "B2",
    "B3",
    "B4",
    "B5",
    "C1",
    "C2",
    "C3",
    "C4",
    "D1",
    "D2",
    "D3",
    "D5",
)
"""Every case, in the articles' order."""


def run_cases(
    ids: Sequence[str] | None = None, *, progress: Callable[[str], None] | None = None
) -> list[CaseResult]:
    """Compute the cases (all, or those named), in order; `progress` is told each case's id
    before it is computed."""
    from inferonomics.cases import caching, prices, serving  # noqa: F401  # registers their cases

    wanted = list(CASE_IDS) if not ids else [i.upper() for i in ids]
    unknown = [i for i in wanted if i not in CASES]
    if unknown:
        raise CaseError(f"unknown case {', '.join(unknown)} (known: {', '.join(CASES)})")
    results = []
    for i in wanted:
        if progress is not None:
            progress(i)
        results.append(CASES[i]())
    return results


def usd(value: Decimal) -> str:
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value.normalize():f}"
