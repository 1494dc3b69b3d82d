"""`plans fit` against hand computations: a week of Opus 4.5 usage priced by the billing engine,
replayed through the catalogue's plans, the cheapest option and its margin, and this week's cap
forecast from the current pace."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from plans_helpers import T0, H, ledger_table

from inferonomics.errors import PlanError
from inferonomics.ledger.core import Ledger
from inferonomics.plans.fit import fit_plans, fit_usage
from inferonomics.plans.usage import Usage

D = dt.timedelta(days=1)
OPUS = "claude-opus-4-5"


def week(days: int) -> Ledger:
    # 1M output tokens of Opus 4.5 at $25 / MTok = $25 a request; four a day at 10:00-13:00.
    rows = [("me", T0 + d * D + h * H, OPUS, 0, 1_000_000) for d in range(days) for h in range(4)]
    return Ledger.from_arrow(ledger_table(rows))


def test_a_week_through_every_plan() -> None:
    fit = fit_plans(week(7))
    by = {p.plan: p for p in fit.plans}
    assert fit.api_usd == Decimal(700)  # 28 requests x $25
    assert fit.days == 7
    # API: $700 in 7 days = $3,043.75 a month (x 30.4375 / 7).
    assert by["api"].monthly_cost_usd == Decimal("3043.75")
    # Max 20x: $83 per 5 hours lets all four through each day (the 4th crosses from $75 to $100);
    # the $625 week is reached by day 7's first request: 11:00-13:00 refused, $75, bought at API
    # prices: $200 + 75 x 30.4375 / 7 = $200 + $326.116071 (to the micro-dollar) = $526.116071.
    m20 = by["claude-max-20x"]
    assert (m20.served_usd, m20.refused_usd, m20.refused_requests) == (Decimal(625), Decimal(75), 3)
    assert m20.first_refused_at == T0 + 6 * D + H
    assert m20.monthly_cost_usd == Decimal("526.116071")
    assert [(h.limit, h.hit_at) for h in m20.hits][-1] == ("weekly", T0 + 6 * D)
    # Max 5x: $20.75 per 5 hours: each day's first request crosses it, the other three are refused;
    # the $156.25 week is not reached (7 x $25 = $175, day 7's request crossing from $150).
    m5 = by["claude-max-5x"]
    assert (m5.served_usd, m5.refused_usd) == (Decimal(175), Decimal(525))
    assert m5.monthly_cost_usd == Decimal(100) + Decimal(525) * Decimal("30.4375") / 7  # $2,382.8125
    # Pro: $4.15 per 5 hours, $31.25 a week: days 1 and 2 serve one request each ($50), then the
    # week is spent; Pro sells no extra usage in the catalogue, so it cannot serve this usage.
    pro = by["claude-pro"]
    assert (pro.served_usd, pro.refused_usd, pro.monthly_cost_usd) == (Decimal(50), Decimal(650), None)
    # Free does not include Opus: all of it would go to the API beside it.
    assert by["claude-free"].uncovered_usd == Decimal(700)
    assert by["chatgpt-plus"].monthly_cost_usd == Decimal(20) + Decimal("3043.75")
    assert (fit.cheapest, fit.runner_up) == ("claude-max-20x", "claude-max-5x")
    assert fit.margin_usd == Decimal("2382.8125") - Decimal("526.116071")
    assert "chatgpt-plus codex-5h" in " ".join(fit.notes)  # no figure: reported, not replayed


def test_this_weeks_cap_from_the_current_pace() -> None:
    # Five days, $100 a day: at the last request (day 5, 13:00) the week (opened day 1, 10:00) has
    # served $500 in 99 hours: $5.050505/h; 69 hours left: $848.48 projected; the $625 cap is
    # reached 125 / (500 / 99) = 24.75 hours later, day 6 at 13:45.
    fit = fit_plans(week(5), plan_ids=["claude-max-20x"])
    [f] = fit.plans[0].forecasts
    assert (f.limit, f.window_start, f.window_end) == ("weekly", T0, T0 + 7 * D)
    assert f.consumed == Decimal(500)
    assert f.pace_per_hour == Decimal("5.050505")
    assert f.projected == Decimal("848.484848")
    assert f.hit_at == T0 + 5 * D + dt.timedelta(hours=3, minutes=45)
    assert not f.already_hit
    # Asked after that week closed (day 8, 11:00): no week is in progress.
    early = fit_plans(week(5), plan_ids=["claude-max-20x"], now=T0 + 7 * D + H)
    assert early.plans[0].forecasts == []


def test_one_user_of_several_and_errors() -> None:
    rows = [("a", T0, OPUS, 0, 1_000_000), ("b", T0 + H, OPUS, 0, 2_000_000)]
    ledger = Ledger.from_arrow(ledger_table(rows))
    assert fit_plans(ledger, user="b", plan_ids=["api"]).api_usd == Decimal(50)
    with pytest.raises(PlanError, match="no rows of user 'c'"):
        fit_plans(ledger, user="c")
    both = Usage.from_ledger(ledger, by="user")
    with pytest.raises(PlanError, match="one subscriber"):
        fit_usage(both, [])
