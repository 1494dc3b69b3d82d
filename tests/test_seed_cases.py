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


@pytest.fixture(scope="module")
def serving_results() -> dict[str, CaseResult]:
    return {r.id: r for r in run_cases(["D1", "D2", "D3", "D5"])}


def test_d1_reproduces_the_article_chain(serving_results: dict[str, CaseResult]) -> None:
    d1 = serving_results["D1"]
    # 3.35 TB/s / 74 GB x 32 x 3600 s = 46.94M tokens/hour; $144/hour over it = $3.068 / MTok
    assert round(d1.figures["article_output_usd_per_mtok"], 2) == D("3.07")
    assert d1.verdict == "wrong"


def test_d2_flags_the_deepseek_price(serving_results: dict[str, CaseResult]) -> None:
    d2 = serving_results["D2"]
    # DeepSeek's 2025-09-29 notice: V3.2-Exp at $0.28 input (cache miss) / $0.42 output per MTok
    assert d2.figures["DeepSeek V3.2"]["book_price"] == (D("0.28"), D("0.42"))
    # Anthropic's list prices agree with the article's
    assert d2.figures["Opus 4.1"]["book_price"] == (D(15), D(75))
    assert d2.figures["Haiku 3"]["book_price"] == (D("0.25"), D("1.25"))
    assert any("the book lists $0.28 / $0.42" in line for line in d2.lines)


def test_d3_article_arithmetic(serving_results: dict[str, CaseResult]) -> None:
    d3 = serving_results["D3"]
    # 500K x $0.003/M + 5K x $3/M = $0.0165 a session; x 50 x 30 = $24.75 a month
    assert d3.figures["article_month"] == D("24.75")
    assert d3.figures["sound_month"] > 3 * D("24.75")


def test_d5_uses_together_list_prices(serving_results: dict[str, CaseResult]) -> None:
    d5 = serving_results["D5"]
    # break-even utilization is cost / price, so a dearer GPU-hour breaks even later for the same model
    assert d5.figures["Llama-2-7B hyperscaler_on_demand"] > d5.figures["Llama-2-7B specialist"]
    assert d5.verdict == "partly"
