"""Cases E1-E4: the plan prices from the catalogue, Max 20x's estimated limits through the price
book and the window replay, and the simulator's true cost of the articles' users, each figure
checked against hand arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cases_helpers import part

from inferonomics.cases import CaseResult
from inferonomics.cases.plans import _cached_rates, _sound_rates
from inferonomics.catalog.architectures import default_configs_dir
from inferonomics.plans.true_cost import TrueCost

D = Decimal
MONTH = D("30.4375")
needs_configs = pytest.mark.skipif(
    not default_configs_dir().is_dir(), reason="shared model configs not found (set INFERONOMICS_SHARED_DATA)"
)


def test_e1_prices_from_the_catalogue(cases: dict[str, CaseResult]) -> None:
    e1 = cases["E1"]
    assert [j.part.computed for j in e1.parts] == [D(0), D(20), D(100), D(200)]
    assert e1.verdict == "holds"


def test_e2_arithmetic_through_the_book_and_the_replay(cases: dict[str, CaseResult]) -> None:
    e2 = cases["E2"]
    f = e2.figures
    # $83 at Opus 4.5's $25 / MTok output: 3.32M tokens (the article's 3.33M is $83.33 / $25).
    assert f["window_tokens"] == D(3_320_000)
    assert part(e2, "a 5-hour window").part.computed == D("3.32")
    # $625 / $83 = 7.530...: the weekly cap is reached in the 8th 5-hour window.
    assert f["windows_a_week"] == D(625) / D(83)
    # 84 days at the limits: 12 weeks x $625 = $7,500; x 30.4375 / 84 a month = $2,717.63.
    assert f["per_month"] == D(7500) * MONTH / 84
    # A 30-day month from a week's opening holds 5 weeks' openings (days 0, 7, 14, 21, 28; the 5th
    # reaches $625 after 36 h 27 min): $3,125; from a week's last served request, $0.50 of it and 4
    # whole weeks: $2,500.50.
    assert f["month_range"] == (D("2500.5"), D(3125))
    # rhombus.so: 1,967,024 tokens x $25 / MTok = $49.1756 for 74% of a window, 10% of a week.
    assert f["measured_window_usd"] == D(1_967_024) * 25 / 10**6 / D("0.74")
    assert f["measured_week_usd"] == D("491.756")


@needs_configs
def test_e3_through_the_simulator(cases: dict[str, CaseResult]) -> None:
    e3 = cases["E3"]
    sound, cached = _sound_rates(), _cached_rates()
    # Casual Pro: 10 requests a day of 3,500 in + 1,500 out for 30 days, a month of 30.4375 days.
    uncached = (35_000 * sound.input_usd_per_mtok + 15_000 * sound.output_usd_per_mtok) / 10**6 * MONTH
    # Cached: 3,150 of each request's 3,500 input tokens are cache reads (90%), 350 prefilled.
    hits = (350 * cached.input_usd_per_mtok + 3_150 * cached.cached_usd_per_mtok) * 10
    with_cache = (hits + 15_000 * cached.output_usd_per_mtok) / 10**6 * MONTH
    assert e3.figures["casual Pro"][0] == uncached.quantize(D("0.000001"))
    assert e3.figures["casual Pro"][1] == with_cache.quantize(D("0.000001"))
    # The Max user: 3,571,428 Opus output tokens a day (25M / 7, 100 requests of 35,714).
    max_user = D(35_714 * 100) * sound.output_usd_per_mtok / 10**6 * MONTH
    assert e3.figures["Max user at the limits"][0] == max_user.quantize(D("0.000001"))
    assert part(e3, "Max user").outcome == "as stated"


@needs_configs
def test_e4_heavy_user_and_break_even(cases: dict[str, CaseResult]) -> None:
    e4 = cases["E4"]
    # One account's request: the published week (2.1M in, 1.4M out, 234.9M cache writes, 3.8B cache
    # reads, three accounts) / (7 days x 100 requests x 3): 1,000 in, 666 out, 111,857 written,
    # 1,809,523 read. At Opus 4.5 ($5 / $25 / $6.25 5-minute write / $0.50 read): $1.62551775.
    per_request = (1_000 * D(5) + 666 * D(25) + 111_857 * D("6.25") + 1_809_523 * D("0.5")) / 10**6
    assert per_request == D("1.62551775")
    assert e4.figures["api_equivalent_month"] == per_request * 3000 * MONTH / 30
    opus = TrueCost.serving(25.0).rates_for("anthropic/claude-opus-4-5")
    # True cost: prefilled (input + writes) and read tokens at the proxy's input and cached rates.
    cost = (
        (1_000 + 111_857) * opus.input_usd_per_mtok
        + 1_809_523 * opus.cached_usd_per_mtok
        + 666 * opus.output_usd_per_mtok
    ) / 10**6
    compute = e4.figures["compute_for_5000"][0]
    assert abs(compute - 5000 * cost / per_request) < D("0.000001") * 5000 / per_request * 2
    # Break-even: $200 / (cost / value) a month, over 625 x 30.4375 / 7 of weekly limits.
    share = D(200) / (cost / per_request) / (D(625) * MONTH / 7) * 100
    assert abs(e4.figures["break_even_share_pct"][0] - share) < D("0.001")
