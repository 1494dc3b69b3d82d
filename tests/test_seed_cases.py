"""Seed cases A1-A5 and B1 (shared/reference/seed_cases.md) computed through the engine.
Expected values are the articles' own figures, or, where an article is wrong, the providers'
published prices (cited in the price book)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inferonomics.cases import CaseResult, run_cases

D = Decimal


@pytest.fixture(scope="module")
def results() -> dict[str, CaseResult]:
    return {r.id: r for r in run_cases(["A1", "A2", "A3", "A4", "A5", "B1"])}


def test_a2_bills_are_exact(results: dict[str, CaseResult]) -> None:
    a2 = results["A2"]
    assert a2.figures["Claude Sonnet 4.5"] == D(6600)
    assert a2.figures["GPT-4o"] == D(4750)
    assert a2.figures["Gemini 2.5 Pro"] == D(3875)
    assert a2.figures["DeepSeek V3"] == D(519)
    assert a2.verdict == "holds"
    # "approximately 40% more than GPT-4o and 70% more than Gemini Pro": 6600/4750, 6600/3875
    assert round(a2.figures["sonnet_vs_gpt4o_pct"], 1) == D("38.9")
    assert round(a2.figures["sonnet_vs_gemini_pct"], 1) == D("70.3")


def test_a1_finds_the_two_wrong_prices(results: dict[str, CaseResult]) -> None:
    a1 = results["A1"]
    assert a1.figures["GPT-5"] == {"input": D("1.25"), "output": D(10)}
    assert a1.figures["DeepSeek V3.2"] == {"input": D("0.28"), "output": D("0.42")}
    assert a1.figures["Opus 4.1"] == {"input": D(15), "output": D(75)}
    assert a1.figures["Haiku 3"] == {"input": D("0.25"), "output": D("1.25")}
    assert a1.verdict == "partly"


def test_a3_batch_is_half(results: dict[str, CaseResult]) -> None:
    a3 = results["A3"]
    assert a3.figures["Opus 4.5"] == {"input": D("2.5"), "output": D("12.5")}
    assert a3.figures["Sonnet 4.5"] == {"input": D("1.5"), "output": D("7.5")}
    assert a3.figures["Haiku 4.5"] == {"input": D("0.5"), "output": D("2.5")}
    assert "no batch price" in a3.figures["deepseek_batch"]


def test_a4_migration_saving(results: dict[str, CaseResult]) -> None:
    a4 = results["A4"]
    assert a4.figures["monthly_saving"] == D(5000)
    assert a4.figures["yearly_saving"] == D(60000)


def test_a5_residency_applies_from_the_4_6_models(results: dict[str, CaseResult]) -> None:
    a5 = results["A5"]
    assert a5.figures["sonnet_4_6_ratio"] == D("1.1")
    assert a5.figures["sonnet_4_5_ratio"] == D(1)


def test_b1_cache_multipliers(results: dict[str, CaseResult]) -> None:
    b1 = results["B1"]
    assert b1.figures == {"write_5m": D("3.75"), "write_1h": D(6), "read": D("0.3"), "input": D(3)}
    assert b1.verdict == "holds"
