"""Seed cases B2-B5 and C1-C4 (shared/reference/seed_cases.md), computed through the levers.
Expected values are hand arithmetic on the list prices: Sonnet 4.5 $3 input, $3.75 / $6 writes,
$0.30 reads, $15 output; Haiku 4.5 $1 / $5; Opus 4.5 $5 / $25."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inferonomics.cases import CaseResult, run_cases

D = Decimal


@pytest.fixture(scope="module")
def results() -> dict[str, CaseResult]:
    return {r.id: r for r in run_cases(["B2", "B3", "B4", "B5", "C1", "C2", "C3", "C4"])}


def test_b2_break_even(results: dict[str, CaseResult]) -> None:
    b2 = results["B2"]
    # Caching pays after (w - 1) / 0.9 reads: 0.25 / 0.9 and 1 / 0.9.
    assert (b2.figures["reads_5m"], b2.figures["reads_1h"]) == (1, 2)
    assert round(b2.figures["break_even_5m"], 4) == D("0.2778")
    assert round(b2.figures["break_even_1h"], 4) == D("1.1111")
    assert b2.verdict == "partly"


def test_b3_batch_stacks_with_cache_reads(results: dict[str, CaseResult]) -> None:
    b3 = results["B3"]
    assert b3.figures["Claude Sonnet 4.5"]["cached_batch_off"] == D("0.95")  # 0.1 x 0.5 of input
    assert b3.figures["Claude Sonnet 4.5"]["write_batch_off"] == D("0.375")  # 1.25 x 0.5
    assert b3.figures["GPT-4o"]["cached_batch_off"] == D("0.5")
    assert b3.verdict == "holds"


def test_b4_is_a_hundred_times_too_high(results: dict[str, CaseResult]) -> None:
    b4 = results["B4"]
    assert b4.figures["monthly_input_usd"] == 1500  # 500M x $3
    assert b4.figures["yearly_saving_usd"] == 9720  # 300M x $2.70 x 12
    assert b4.figures["yearly_saving_all_cached_usd"] == 16200
    assert b4.verdict == "wrong"


def test_b5_saving_grid(results: dict[str, CaseResult]) -> None:
    grid = results["B5"].figures["grid"]
    assert grid["h=0.8,k=inf"] == D("0.72")  # 0.9 h
    assert grid["h=0.8,k=10"] == D("0.7")  # 0.9 h - 0.25 h / 10
    assert grid["h=0.5,k=1"] == D("0.325")


def test_c1_blended_rates(results: dict[str, CaseResult]) -> None:
    c1 = results["C1"]
    assert c1.figures["low"] == {"input": D(2), "output": D(10)}  # 0.6 x 1 + 0.3 x 3 + 0.1 x 5
    assert c1.figures["high"] == {"input": D("2.6"), "output": D(13)}
    assert c1.verdict == "wrong"


def test_c2_thinking_premium(results: dict[str, CaseResult]) -> None:
    c2 = results["C2"]
    assert (c2.figures["without"], c2.figures["with"]) == (D("0.75"), D("0.87"))
    assert c2.figures["premium"] == D("0.16")
    assert c2.verdict == "holds"


def test_c3_thinking_cost_is_per_day(results: dict[str, CaseResult]) -> None:
    c3 = results["C3"]
    assert c3.figures["daily"] == 10_000  # 400M x $25
    assert c3.figures["monthly"] == 300_000
    assert c3.verdict == "wrong"


def test_c4_steps_compound(results: dict[str, CaseResult]) -> None:
    c4 = results["C4"]
    # 1 - 0.6 x 0.8 x 0.85 x 0.85 x 0.9 x 0.85 and 1 - 0.4 x 0.6 x 0.75 x 0.7 x 0.8 x 0.7
    assert c4.figures["low"]["compounded"] == D("0.734698")
    assert c4.figures["high"]["compounded"] == D("0.929440")
    assert c4.figures["low"]["added"] == D("1.15")
    assert round(c4.figures["routing_saving_c1_mix"]["low"], 4) == D("0.3333")
    assert c4.verdict == "partly"
