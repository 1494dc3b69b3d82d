"""Fixtures of the worked-case tests: every case computed once per test session (about 15 s),
shared by all of them."""

from __future__ import annotations

import pytest

from inferonomics.cases import CaseResult, CaseResults, run_cases


@pytest.fixture(scope="session")
def case_results() -> CaseResults:
    return run_cases()


@pytest.fixture(scope="session")
def cases(case_results: CaseResults) -> dict[str, CaseResult]:
    return {r.id: r for r in case_results}
