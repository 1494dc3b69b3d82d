"""`plans simulate` against hand computations (two users of Opus 4.5 through Max 20x and the API
at a stated true cost), the parametric population's reproducibility and fit, and the true-cost
option's forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from plans_helpers import T0, H, ledger_table, usage_of

from inferonomics.errors import PlanError
from inferonomics.ledger.core import Ledger
from inferonomics.plans.population import fit_population, generate_population
from inferonomics.plans.simulate import simulate_plans
from inferonomics.plans.true_cost import TrueCost, parse_true_cost
from inferonomics.plans.usage import Usage

D = dt.timedelta(days=1)
OPUS = "claude-opus-4-5"


def month(usd: int) -> Decimal:
    """Usage over 30 days a month (x 30.4375 / 30)."""
    return Decimal(usd) * Decimal("30.4375") / 30


def two_users() -> Ledger:
    # Opus 4.5 at $25 / MTok output: a request of 1M output tokens is worth $25.
    rows = [("a", T0 + d * D, OPUS, 0, 1_000_000) for d in range(30)]
    rows += [("b", T0 + d * D + h * H, OPUS, 0, 1_000_000) for d in range(30) for h in range(4)]
    return Ledger.from_arrow(ledger_table(rows))


def test_two_users_through_max_20x_and_the_api() -> None:
    cost = TrueCost.flat(Decimal(0), Decimal(2))  # $2 / MTok output: $2 a request
    r = simulate_plans(two_users(), plan_ids=["api", "claude-max-20x"], true_cost=cost)
    api, m20 = r.outcomes
    # a: $25 a day, under every limit: 30 requests, $750. b: $100 a day; the 5-hour window
    # ($83) is crossed by each day's 4th request (served); the $625 week by day 7's first, then 3
    # refused: weeks 1-4 serve $625 and refuse $75 each, week 5 (days 29-30) serves $200.
    # Served: $750 + $2,700; 30 + 108 requests -> true cost $276; per month x 30.4375 / 30.
    assert m20.users == 2
    assert m20.revenue_usd == Decimal(400)
    assert m20.api_equivalent_usd == month(3450)  # $3,500.3125
    assert m20.refused_usd == month(300)
    assert m20.true_cost_usd == month(276)  # $280.025
    assert m20.gross_margin == (Decimal(400) - month(276)) / 400  # 0.2999375
    assert m20.users_hitting_any_limit_share == Decimal("0.5")
    assert m20.limit_hit_shares == {"5h": Decimal("0.5"), "weekly": Decimal("0.5")}
    # Nearest rank of two users: p50 is the lower (a, $60), p95 and p99 the higher (b, $216).
    assert m20.p50_user_true_cost_usd == month(60)
    assert m20.p95_user_true_cost_usd == m20.p99_user_true_cost_usd == month(216)
    # True cost is $0.08 per $ of API-equivalent value (276 / 3,450): $200 pays for $2,500 a month,
    # 2,500 / (625 x 30.4375 / 7) = 92.0% of a month of weekly limits.
    assert m20.break_even_api_equivalent_usd == Decimal(2500)
    assert m20.break_even_share_of_weekly_limit == Decimal(2500) / (Decimal(625) * Decimal("30.4375") / 7)
    assert m20.gross_margin_at_half_true_cost == (Decimal(400) - month(138)) / 400
    assert m20.gross_margin_at_double_true_cost == (Decimal(400) - month(552)) / 400
    # The API serves everything and earns it: $3,750 at $0.08 of true cost per dollar.
    assert (api.revenue_usd, api.true_cost_usd) == (month(3750), month(300))
    assert api.gross_margin == Decimal("0.92")
    per_user = r.per_user().to_pylist()
    assert [(x["plan"], x["subscriber"], x["hit_any"]) for x in per_user] == [
        ("api", "a", False),
        ("api", "b", False),
        ("claude-max-20x", "a", False),
        ("claude-max-20x", "b", True),
    ]
    assert "population" in r.as_dict()
    assert r.table.column("plan").to_pylist() == ["api", "claude-max-20x"]


def test_the_parametric_population_is_seeded_and_fitted() -> None:
    base = Usage.from_ledger(two_users(), by="user")
    fit = fit_population(base)
    # a sends 1 request on each of 30 days, b 4: requests per active day 1 and 4, so the lognormal
    # has mu = (ln 1 + ln 4) / 2 and sigma = ln 4 / 2; both are active every day of the 30.
    assert fit.rate_mu == pytest.approx(np.log(4) / 2)
    assert fit.rate_sigma == pytest.approx(np.log(4) / 2)
    assert fit.active_alpha / (fit.active_alpha + fit.active_beta) == pytest.approx(0.999)
    # Every user-day starts at 10:00 UTC; b's days span 10:00-13:00 (a's, one request, have none).
    assert fit.hour_weights[10] == 1.0
    assert (fit.span_mu, fit.span_sigma) == (pytest.approx(np.log(3)), pytest.approx(0.0))
    # Templates by requests per active day: a (1) then b (4).
    assert fit.templates == (0, 1)
    one = generate_population(base, 500, seed=7, days=14)
    two = generate_population(base, 500, seed=7, days=14)
    assert np.array_equal(one.usage.ts, two.usage.ts)
    assert np.array_equal(one.usage.pico, two.usage.pico)
    assert len(one.usage.subscribers) == 500
    assert np.all(np.diff(one.usage.sub) >= 0)
    span = one.usage.ts.max() - one.usage.ts.min()
    assert span < 14 * D / dt.timedelta(microseconds=1)
    # Mean requests a user-day ~ E[r] = exp(mu + sigma^2 / 2) = 2 x exp(ln(4)^2 / 8) ~ 2.54.
    mean = len(one.usage) / (500 * 14)
    assert mean == pytest.approx(2 * np.exp(np.log(4) ** 2 / 8), rel=0.1)
    assert len(generate_population(base, 500, seed=8, days=14).usage) != len(one.usage)
    # A day opens in the 10:00 hour (where every observed day opens) and lasts exp(ln 3) = 3 h.
    hours = (one.usage.ts % 86_400_000_000) // 3_600_000_000
    assert set(hours.tolist()) == {10, 11, 12, 13}


def test_a_synthetic_users_requests_come_from_the_observed_user_of_its_rank() -> None:
    # a sends one $1 request a day, b four $10 ones: the busier half of the synthetic users (by r)
    # send only b's requests, the quieter half only a's.
    rows = [("a", T0 + d * D, "anthropic/claude-opus-4-5", "1") for d in range(10)]
    rows += [
        ("b", T0 + d * D + h * H, "anthropic/claude-opus-4-5", "10") for d in range(10) for h in range(4)
    ]
    pop = generate_population(usage_of(rows), 200, seed=3, days=10)
    u = pop.usage
    per_user = np.bincount(u.sub, minlength=200)
    value = np.bincount(u.sub, weights=u.pico, minlength=200) / np.maximum(per_user, 1) / 1e12
    busy = per_user > 0
    assert set(np.round(value[busy], 9).tolist()) == {1.0, 10.0}
    # Users drawn above the median r send $10 requests: on average more of them than the others.
    assert per_user[value == 10].mean() > per_user[(value == 1) & busy].mean()


def test_true_cost_forms() -> None:
    flat = parse_true_cost("0.003/3")
    assert flat.rates_for("anthropic/claude-opus-4-5").output_usd_per_mtok == Decimal(3)
    assert flat.default.cached_usd_per_mtok == Decimal("0.003")
    assert parse_true_cost("1").default.input_usd_per_mtok == Decimal(1)
    assert parse_true_cost("0.1/2/0.01").default.cached_usd_per_mtok == Decimal("0.01")
    with pytest.raises(PlanError, match="not a number"):
        parse_true_cost("cheap")
    with pytest.raises(PlanError, match="serving, RATE or IN/OUT"):
        parse_true_cost("1/2/3/4")
