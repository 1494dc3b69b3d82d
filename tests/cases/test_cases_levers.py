"""Cases B2-B5 and C1-C4, computed through the levers, against hand arithmetic on the list prices:
Sonnet 4.5 $3 input, $3.75 / $6 writes, $0.30 reads, $15 output; Haiku 4.5 $1 / $5; Opus 4.5 $5 / $25."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cases_helpers import part

from inferonomics.cases import CaseResult

D = Decimal


def test_b2_break_even(cases: dict[str, CaseResult]) -> None:
    b2 = cases["B2"]
    # A write costs (w - 1) more than sending the prefix; a read saves 0.9: 0.25 / 0.9 and 1 / 0.9 reads.
    assert (b2.figures["reads_5m"], b2.figures["reads_1h"]) == (1, 2)
    assert b2.figures["break_even_5m"] == D("0.25") / D("0.9")
    assert b2.figures["break_even_1h"] == D(1) / D("0.9")
    assert part(b2, "article 1, reads for a 5-minute").factor == D("0.5")  # 1 read, not 2
    assert part(b2, "article 1, reads for a 1-hour").factor == D("0.25")  # 2, not 8
    assert part(b2, "article 2, reads for a 5-minute").outcome == "as stated"


def test_b3_batch_stacks_with_cache_reads(cases: dict[str, CaseResult]) -> None:
    b3 = cases["B3"]
    assert b3.figures["Claude Sonnet 4.5"]["cached_batch_off"] == D("0.95")  # 0.1 x 0.5 of input
    assert b3.figures["Claude Sonnet 4.5"]["write_batch_off"] == D("0.375")  # 1.25 x 0.5
    assert b3.figures["GPT-4o"]["cached_batch_off"] == D("0.5")  # batch keeps the $1.25 cached rate
    assert b3.figures["GPT-4.1"]["cached_batch_off"] == D("0.75")
    assert b3.figures["Gemini 2.5 Pro"]["cached_batch_off"] == D("0.9")


def test_b4_is_a_hundred_times_too_high(cases: dict[str, CaseResult]) -> None:
    b4 = cases["B4"]
    assert b4.figures["monthly_input_usd"] == 1500  # 500M x $3
    assert b4.figures["yearly_saving_usd"] == 9720  # 300M x ($3 - $0.30) x 12
    # 170M uncached x $3 + 300M read x $0.30 + 30M written x $3.75 = $712.50; ($1,500 - $712.50) x 12
    assert b4.figures["yearly_saving_with_writes_usd"] == 9450
    assert b4.figures["yearly_saving_all_cached_usd"] == 16200  # 500M x $2.70 x 12
    assert part(b4, "yearly saving").factor == D("0.00972")  # 9,720 / 1,000,000


def test_b5_saving_grid(cases: dict[str, CaseResult]) -> None:
    b5 = cases["B5"]
    grid = b5.figures["grid"]
    assert grid["h=0.8,k=inf"] == D("0.72")  # 0.9 h
    assert grid["h=0.8,k=10"] == D("0.7")  # 0.9 h - 0.25 h / 10
    assert grid["h=0.9,k=10"] == D("0.9") * D("0.9") - D("0.25") * D("0.9") / 10
    assert b5.figures["hit_rate_needed"]["70"] == D("0.7") / D("0.9")


def test_b5_on_the_mooncake_trace(cases: dict[str, CaseResult]) -> None:
    b5 = cases["B5"]
    if "trace" not in b5.figures:
        pytest.skip("the Mooncake trace is not in the shared data")
    trace = b5.figures["trace"]
    # The trace's own totals (docs/levers.md): 12,031 requests, 144,793,823 input tokens, at $3/MTok.
    assert (trace["requests"], trace["input_tokens"]) == (12_031, 144_793_823)
    assert trace["input_cost_before"] == D(144_793_823) * 3 / 1_000_000
    assert trace["input_saving"] == (trace["bill_before"] - trace["bill_after"]) / trace["input_cost_before"]
    # A read saves at most 90% of its token: the saving is below 0.9 x the share read from cache.
    assert trace["input_saving"] <= D("0.9") * trace["cached_share"]


def test_c1_blended_rates(cases: dict[str, CaseResult]) -> None:
    c1 = cases["C1"]
    assert c1.figures["low"] == {"input": D(2), "output": D(10)}  # 0.6 x 1 + 0.3 x 3 + 0.1 x 5
    assert c1.figures["high"] == {"input": D("2.6"), "output": D(13)}  # 0.4 x 1 + 0.4 x 3 + 0.2 x 5
    # 1.60 = h x 1 + (0.9 - h) x 3 + 0.1 x 5  ->  h = 0.8
    assert c1.figures["haiku_share_for_claim"] == D("0.8")
    assert part(c1, "blended input").factor == D("1.25")  # 2.00 / 1.60


def test_c2_thinking_premium(cases: dict[str, CaseResult]) -> None:
    c2 = cases["C2"]
    # 50K x $15/M and 58K x $15/M
    assert (c2.figures["without"], c2.figures["with"]) == (D("0.75"), D("0.87"))
    assert c2.figures["premium"] == D("0.16")


def test_c3_thinking_cost_is_per_day(cases: dict[str, CaseResult]) -> None:
    c3 = cases["C3"]
    assert c3.figures["daily"] == 10_000  # 100,000 x 4,000 = 400M x $25/M
    assert c3.figures["monthly"] == 300_000
    assert part(c3, "thinking tokens a month").factor == 30


def test_c4_steps_compound(cases: dict[str, CaseResult]) -> None:
    c4 = cases["C4"]
    # 1 - 0.6 x 0.8 x 0.85 x 0.85 x 0.9 x 0.85 and 1 - 0.4 x 0.6 x 0.75 x 0.7 x 0.8 x 0.7
    assert c4.figures["low"]["compounded"] == D("0.734698")
    assert c4.figures["high"]["compounded"] == D("0.929440")
    assert c4.figures["low"]["added"] == D("1.15")
    # C1's cheapest mix costs $2 / $10 against Sonnet's $3 / $15: a third saved
    assert c4.figures["routing_saving_c1_mix"]["low"] == 1 - D(1200) / D(1800)
    assert part(c4, "the six steps").factor == D("92.9440") / 85
