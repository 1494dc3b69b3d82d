"""The worked cases of the articles behind this project, computed by the toolkit itself.

Each case states the article's claim as parts, computes every figure through the library (the
price book and the billing engine, the levers, the serving model) and hands the parts to the one
verdict rule (`cases/verdict.py`), which decides the verdict and writes its explanation.

- `prices.py`: A1-A5 and B1 (list prices and bills)
- `caching.py`: B2-B5 (prompt caching and batch); `routing.py`: C1-C4 (routing, thinking, the playbook)
- `serving.py`: D1-D3 and D5, over `true_cost.py` and `self_hosting.py`; `open_weights.py`: D4
- `plans.py`: E1-E4 (subscriptions: not computable until the plan simulator exists)
- `company.py`: F1-F3 (company economics; F3 from the price book's history)
- `markdown.py`: every result as a Markdown document (`docs/worked-cases.md`)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inferonomics.cases.result import CaseResult, CaseResults, conclude, pct, usd
from inferonomics.cases.verdict import VERDICTS, Verdict
from inferonomics.errors import CaseError

__all__ = [
    "CASES",
    "CASE_IDS",
    "VERDICTS",
    "CaseResult",
    "CaseResults",
    "Verdict",
    "case",
    "conclude",
    "pct",
    "run_cases",
    "usd",
]

CASES: dict[str, Callable[[], CaseResult]] = {}


def case(case_id: str) -> Callable[[Callable[[], CaseResult]], Callable[[], CaseResult]]:
    """Register a case's function under its id."""

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
    "D4",
    "D5",
    "E1",
    "E2",
    "E3",
    "E4",
    "F1",
    "F2",
    "F3",
)
"""Every case, in the articles' order."""


def run_cases(
    ids: Sequence[str] | None = None, *, progress: Callable[[str], None] | None = None
) -> CaseResults:
    """Compute the cases (all, or those named), in order; `progress` is told each case's id
    before it is computed. The result is a list with a `markdown()` method."""
    from inferonomics.cases import (  # noqa: F401  # importing them registers their cases
        caching,
        company,
        open_weights,
        plans,
        prices,
        routing,
        serving,
    )

    wanted = list(CASE_IDS) if not ids else [i.strip().upper() for i in ids]
    unknown = [i for i in wanted if i not in CASES]
    if unknown:
        raise CaseError(f"unknown case {', '.join(unknown)} (known: {', '.join(CASE_IDS)})")
    results = CaseResults()
    for i in wanted:
        if progress is not None:
            progress(i)
        results.append(CASES[i]())
    return results
