"""Cases E1-E4: subscription plans and rate limits, through the plan catalogue, the window
replay and the plan simulator (`inferonomics.plans`), with API prices from the price book and
true cost from the serving model (D1's deployment, as case D3 uses it).

- E1: the plan prices, from the catalogue on `E_DAY`.
- E2: Max 20x's limits as E2 estimates them ($83 per 5 hours, $625 a week: the catalogue's
  figures are that estimate), and what follows from them through the price book (Opus 4.5 output
  tokens) and the window replay of a user at the limits (windows a week, value a month).
- E3: the article's user types, a month each, through the simulator at D1's true-cost rates
  served soundly (uncached, and with 90 % of input a cache hit); the article's own rates in a note.
- E4: a heavy coding-agent user at $5,000 a month of API-equivalent usage (a published week of
  Max 20x usage gives the token mix), costed through the simulator with the serving model's
  proxies, and the share of Max 20x's weekly budget at which true cost equals the price.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa

from inferonomics.cases import CaseResult, case, conclude, pct, usd
from inferonomics.cases.serving import configs_missing, d1_result, lower_first
from inferonomics.cases.verdict import Part, at_least, decide, value
from inferonomics.plans.catalog import load_plans
from inferonomics.plans.fit import DAYS_PER_MONTH
from inferonomics.plans.population import Population
from inferonomics.plans.replay import replay
from inferonomics.plans.simulate import SimulationResult, simulate_population
from inferonomics.plans.true_cost import TrueCost, TrueCostRates
from inferonomics.plans.usage import Usage

E_DAY = dt.date(2025, 12, 1)
"""A Monday in late 2025, after Opus 4.5's launch (2025-11-24): the plans and prices the
articles describe."""
E_START = dt.datetime(2025, 12, 1, 0, 0, tzinfo=dt.UTC)
OPUS = ("anthropic", "claude-opus-4-5")
SONNET = ("anthropic", "claude-sonnet-4-5")
MAX20 = "claude-max-20x"
WEEK_MIX_SOURCE = "https://alexey-pelykh.com/blog/the-x20-receipts"
WEEK_MIX = {"input_tokens": 2_100_000, "output_tokens": 1_400_000, "cache_write_5m_tokens": 234_900_000}
WEEK_MIX_CACHE_READS = 3_800_000_000
"""A published week of three Max 20x accounts used as a primary coding partner: 2.1M input, 1.4M
output, 234.9M cache-write and 3.8B cache-read tokens (cache writes taken as 5-minute ones)."""
RHOMBUS = ("https://rhombus.so/limits.html", 1_967_024, Decimal("0.74"), Decimal("0.10"))
"""An independent measurement (2026-01-12): 1,967,024 Opus output tokens took 74% of a Max 20x
5-hour window and 10% of its week."""
NO_CONFIGS_PLANS = (
    "true cost needs the serving model's model configs (the shared data's models/hf_configs; set "
    "INFERONOMICS_SHARED_DATA)"
)


def _priced(rows: list[dict[str, Any]]) -> Usage:
    """Rows as a ledger priced by the billing engine, one subscriber per `user`."""
    from inferonomics.billing.bill import price
    from inferonomics.ledger.core import Ledger

    table = pa.Table.from_pylist(rows)
    table = table.set_column(0, "ts", table["ts"].cast(pa.timestamp("us", tz="UTC")))
    return Usage.from_priced(price(Ledger.from_arrow(table)).to_arrow(), by="user")


def _row(user: str, t: dt.datetime, model: tuple[str, str], **tokens: int) -> dict[str, Any]:
    return {
        "ts": t,
        "request_id": f"{user}-{t.isoformat()}",
        "provider": model[0],
        "model": model[1],
        "user": user,
        **tokens,
    }


@case("E1")
def e1() -> CaseResult:
    """The plan prices, from the catalogue."""
    catalog = load_plans()
    ids = (
        ("Free", "claude-free", "0"),
        ("Pro", "claude-pro", "20"),
        ("Max 5x", "claude-max-5x", "100"),
        ("Max 20x", MAX20, "200"),
    )
    parts = [
        Part.of(
            f"{label} a month" if label != "Free" else label,
            value(stated),
            catalog.get(pid).usd_per_month(E_DAY),
            "usd",
            main=pid == MAX20,
        )
        for label, pid, stated in ids
    ]
    lines = []
    for _, pid, _ in ids:
        plan = catalog.get(pid)
        entry = plan.price_at(E_DAY)
        source = entry.source if entry is not None else "no price"
        lines.append(f"{plan.name}: {usd(plan.usd_per_month(E_DAY))} a month on {E_DAY} ({source})")
    others = [catalog.get(p) for p in ("chatgpt-plus", "chatgpt-pro", "chatgpt-business")]
    return conclude(
        "E1",
        "Subscription plans",
        "Free $0, Pro $20 a month, Max 5x $100 a month, Max 20x $200 a month",
        parts,
        inputs={"day": E_DAY.isoformat(), "catalogue": "src/inferonomics/catalog/data/plans.yaml"},
        figures={pid: catalog.get(pid).usd_per_month(E_DAY) for _, pid, _ in ids},
        lines=lines,
        notes=[
            "For comparison on the same day: "
            + ", ".join(f"{p.name} {usd(p.usd_per_month(E_DAY))}" for p in others)
            + "; Pro billed annually is $17 a month."
        ],
    )


HAMMER_TOKENS = 20_000
"""A user at the limits sends an Opus 4.5 request of 20,000 output tokens ($0.50) every minute:
$150 of demand per 5 hours, more than any window lets through."""


def _hammer(days: int) -> Usage:
    t = [E_START + dt.timedelta(minutes=m) for m in range(days * 24 * 60)]
    return _priced([_row("max", x, OPUS, output_tokens=HAMMER_TOKENS) for x in t])


@cache
def _e2_replays() -> dict[str, Any]:
    plan = load_plans().get(MAX20)
    r = replay(_hammer(84), plan, E_DAY)
    k5 = next(i for i, c in enumerate(r.limits) if c.id == "5h")
    kw = next(i for i, c in enumerate(r.limits) if c.id == "weekly")
    five = r.windows(k5)
    week = r.windows(kw)
    served = r.value_served()[0]
    first_five = five.slice(0, 1).to_pylist()[0]
    # Output tokens served in the first 5-hour window: its requests, each HAMMER_TOKENS.
    per_window_tokens = Decimal(first_five["requests"] - first_five["refused_requests"]) * HAMMER_TOKENS
    weekly = [w["consumed"] for w in week.to_pylist()]
    # One 30-day month from each minute-aligned start: the most and least a month can hold.
    month_us = 30 * 86_400_000_000
    ts = r.usage.ts[r.admitted]
    fusd = (r.served_pico * 1000 + r.served_femto)[r.admitted]
    cum = np.concatenate(([0], np.cumsum(fusd)))
    starts = ts[ts <= ts[-1] - month_us]
    ends = np.searchsorted(ts, starts + month_us, side="left")
    firsts = np.searchsorted(ts, starts, side="left")
    months = cum[ends] - cum[firsts]
    return {
        "window_usd": first_five["consumed"],
        "window_tokens": per_window_tokens,
        "weekly_usd": weekly[0],
        "weeks": len(weekly),
        "served_usd": served,
        "days": 84,
        "month_low": Decimal(int(months.min())) * Decimal("1e-15"),
        "month_high": Decimal(int(months.max())) * Decimal("1e-15"),
    }


@case("E2")
def e2() -> CaseResult:
    """Max 20x's estimated limits through the price book and the window replay."""
    plan = load_plans().get(MAX20)
    limits = {lim.id: lim for lim in plan.limits_at(E_DAY)}
    window, weekly = limits["5h"].amount, limits["weekly"].amount
    assert window is not None
    assert weekly is not None
    from inferonomics.cases.prices import in_out, rates

    opus_out = in_out(rates(*OPUS, at=dt.datetime(2025, 12, 1, 10)))[1]
    x = _e2_replays()
    per_month = x["served_usd"] * DAYS_PER_MONTH / x["days"]
    parts = [
        Part.of(
            "a 5-hour window in Opus 4.5 output tokens",
            value("3.33", "~"),
            x["window_tokens"] / 10**6,
            suffix="M",
        ),
        Part.of("windows a week", value("7.5", "~"), x["weekly_usd"] / x["window_usd"]),
        Part.of("a month", value("2679", "~"), per_month, "usd", main=True),
    ]
    m_tokens, m_frac, m_week = RHOMBUS[1], RHOMBUS[2], RHOMBUS[3]
    measured_window = Decimal(m_tokens) * opus_out / 10**6 / m_frac
    measured_week = Decimal(m_tokens) * opus_out / 10**6 / m_week
    lines = [
        f"the catalogue's Max 20x limits are E2's estimate: {usd(window)} per 5-hour window, {usd(weekly)} "
        f"a week (status {limits['5h'].status}); Opus 4.5 output at {usd(opus_out)} / MTok in the book",
        f"replayed: a user sending a {HAMMER_TOKENS:,}-token Opus 4.5 request every minute for {x['days']} "
        f"days; each 5-hour window serves {usd(x['window_usd'])} = {x['window_tokens'] / 10**6:.2f}M output "
        f"tokens, each week {usd(x['weekly_usd'])}",
        f"over {x['days']} days the user is served {usd(x['served_usd'])}: {usd(per_month)} per "
        f"{DAYS_PER_MONTH}-day month; at 30 days a month (625 x 30 / 7) {usd(weekly * 30 / 7)}",
        f"a 30-day month holds {usd(x['month_low'])} to {usd(x['month_high'])} of it, by where it starts "
        "against the weekly windows (a week opens at the first request after the last one closed, so a "
        "30-day month can hold the openings of 5 weeks)",
        f"an independent measurement ({RHOMBUS[0]}, 2026-01-12): {m_tokens:,} Opus output tokens used "
        f"{pct(m_frac)} of a 5-hour window and {pct(m_week)} of the week: {usd(measured_window)} per window "
        f"and {usd(measured_week)} a week at the book's price",
    ]
    return conclude(
        "E2",
        "Max 20x limits, reverse-engineered",
        "A 5-hour rolling window ~ $83 of API-equivalent usage (~ 3.33M Opus 4.5 output tokens); a weekly "
        "limit ~ $625 (7.5 windows); ~ $2,679 of API-equivalent value a month",
        parts,
        inputs={
            "limits": f"catalogue {MAX20} on {E_DAY}: 5-hour ${window}, weekly ${weekly} (E2's estimate)",
            "window rule": "a window opens with the first request after the previous closed and lasts "
            "exactly its length (5 h; 168 h)",
            "usage": f"an Opus 4.5 request of {HAMMER_TOKENS:,} output tokens every minute for 84 days",
        },
        figures={
            "window_tokens": x["window_tokens"],
            "windows_a_week": x["weekly_usd"] / x["window_usd"],
            "per_month": per_month,
            "month_range": (x["month_low"], x["month_high"]),
            "measured_window_usd": measured_window,
            "measured_week_usd": measured_week,
        },
        lines=lines,
        notes=[
            f"The $83 and $625 are one public estimate, not Anthropic's figures (it publishes none in "
            f"dollars); an independent measurement gives {usd(measured_window)} and {usd(measured_week)}.",
        ],
    )


# -- E3 ----------------------------------------------------------------------------------------

E3_TYPES = (
    # label, plan, daily input tokens, daily output tokens, requests a day, model
    ("casual Pro", "claude-pro", 35_000, 15_000, 10, SONNET, "1.50"),
    ("heavy Pro", "claude-pro", 70_000, 30_000, 20, SONNET, "3"),
    ("moderate coding agent", "claude-max-5x", 2_000_000, 30_000, 100, SONNET, "5"),
    ("heavy coding agent", "claude-max-20x", 10_000_000, 100_000, 400, SONNET, "17"),
    ("Max user at the limits", MAX20, 0, 25_000_000 // 7, 100, OPUS, "300"),
)


def _e3_usage(cached_share: Decimal) -> Usage:
    rows: list[dict[str, Any]] = []
    for label, _, inp, out, n, model, _ in E3_TYPES:
        cached = int(inp * cached_share) // n
        fresh = inp // n - cached
        for d in range(30):
            for i in range(n):
                t = E_START + dt.timedelta(days=d, hours=9, seconds=i * 36_000 // n)
                rows.append(
                    _row(
                        label, t, model, input_tokens=fresh, cache_read_tokens=cached, output_tokens=out // n
                    )
                )
    return _priced(rows)


@cache
def _cached_rates() -> TrueCostRates:
    """D3's cached serving: DeepSeek-R1 on 8 H200 with data-parallel attention, 60 s cache."""
    from inferonomics.serving.configs import Workload
    from inferonomics.serving.cost import cost_of
    from inferonomics.serving.deploy import make_deployment

    dp = make_deployment("deepseek-ai/DeepSeek-R1", "h200_sxm", tp=1, attention_dp=8, ep=8, precision="fp8")
    c = cost_of(dp, Workload(isl=1000, osl=1000, concurrency=32), Decimal(2), cache_ttl_s=60.0)
    return TrueCostRates(c.input_usd_per_mtok, c.cached_input_usd_per_mtok, c.output_usd_per_mtok)


def _sound_rates() -> TrueCostRates:
    sound = next(r for r in d1_result().sound_model if r.cost is not None and "H200" in r.deployment)
    assert sound.cost is not None
    c = sound.cost
    return TrueCostRates(c.input_usd_per_mtok, c.input_usd_per_mtok, c.output_usd_per_mtok)


def _e3_run(share: Decimal, rates: TrueCostRates, basis: str) -> SimulationResult:
    plans = load_plans().select(["api", "claude-pro", "claude-max-5x", MAX20])
    pop = Population(_e3_usage(share), 30, "the article's five user types, 30 days each")
    return simulate_population(pop, plans, TrueCost(basis, rates), day=E_DAY)


def _per_user(result: SimulationResult, plan: str) -> dict[str, dict[str, Any]]:
    return {r["subscriber"]: r for r in result.per_user().to_pylist() if r["plan"] == plan}


@case("E3")
def e3() -> CaseResult:
    """Cost to serve per user type, through the simulator at D1's sound true-cost rates."""
    article = _e3_run(
        Decimal(0), TrueCostRates(Decimal("0.003"), Decimal("0.003"), Decimal(3)), "the article's rates"
    )
    art = _per_user(article, "api")
    arithmetic = decide(
        [
            Part.of(
                f"{label} a month",
                at_least(claim, "~") if claim == "300" else value(claim, "~"),
                art[label]["true_cost_usd"],
                "usd",
            )
            for label, *_, claim in E3_TYPES
        ]
    )
    missing = configs_missing()
    runs: list[tuple[str, dict[str, dict[str, Any]]]] = []
    lines = [
        "usage a day over 30 days: "
        + "; ".join(
            f"{label} {inp / 1e6:g}M in + {out / 1e6:g}M out in {n} requests ({model[1]})"
            for label, _, inp, out, n, model, _ in E3_TYPES
        ),
        "at the article's rates ($0.003 / $3 per MTok): "
        + "; ".join(f"{label} {usd(art[label]['true_cost_usd'])}" for label, *_ in E3_TYPES),
    ]
    limits_note = ""
    if missing is None:
        uncached = _e3_run(Decimal(0), _sound_rates(), "D1's 8x H200, uncached")
        cached = _e3_run(Decimal("0.9"), _cached_rates(), "D3's data-parallel 8x H200, 90% cache hits")
        runs = [("uncached", _per_user(uncached, "api")), ("cached", _per_user(cached, "api"))]
        for name, per in runs:
            lines.append(
                f"served soundly, {name}: "
                + "; ".join(f"{label} {usd(per[label]['true_cost_usd'])}" for label, *_ in E3_TYPES)
            )
        hit = []
        for variant, result in (("uncached", uncached), ("cached", cached)):
            for label, plan, *_ in E3_TYPES:
                row = _per_user(result, plan)[label]
                if row["refused_usd"] > 0:
                    hit.append(f"{label} on {plan}, {variant}: {usd(row['refused_usd'])} refused a month")
        limits_note = (
            "Through the catalogue's estimated limits: "
            + ("; ".join(hit) if hit else "no request refused")
            + "."
        )
    parts = []
    for label, _, _, _, _, _, claim in E3_TYPES:
        stated = at_least(claim, "~") if claim == "300" else value(claim, "~")
        figures = [per[label]["true_cost_usd"] for _, per in runs]
        parts.append(
            Part.of(
                f"{label} a month",
                stated,
                (min(figures), max(figures)) if figures else None,
                "usd",
                reason=NO_CONFIGS_PLANS if missing else "",
                main=label == "moderate coding agent",
            )
        )
    return conclude(
        "E3",
        "Cost to serve per user type",
        "At D1's true-cost rates: casual Pro (50K tokens a day, 70/30) ~$1.50 a month; heavy Pro (100K a "
        "day) ~$3; moderate coding agent (2M input + 30K output a day) ~$5; heavy (10M + 100K a day) ~$17; a "
        "Max user hammering limits (25M+ output tokens a week) ~$300+; fewer than 5% of subscribers hit "
        "weekly caps",
        parts,
        inputs={
            "user types": "the claim's daily tokens (70/30 for the Pro users), 30 days, Sonnet 4.5 (Opus 4.5 "
            "for the Max user); a month is 30.4375 days; for the limits, each on the plan its name suggests "
            "(Pro users on Pro, the coding agents on Max 5x and Max 20x, the Max user on Max 20x)",
            "true cost": "D1's model served soundly (8x H200, $2/GPU-hour): uncached, and D3's data-parallel "
            "deployment with 90% of input a cache hit; through the plan simulator (API plan: all served)",
        },
        figures={label: [per[label]["true_cost_usd"] for _, per in runs] for label, *_ in E3_TYPES},
        lines=lines,
        notes=[
            f"At the article's own rates the arithmetic {arithmetic.verdict}: {lower_first(arithmetic.text)}",
            limits_note,
            "The 5% share of subscribers is Anthropic's statement; with no population of subscribers it is "
            "not computed here.",
        ],
    )


# -- E4 ----------------------------------------------------------------------------------------


def _e4_usage() -> Usage:
    """A month (30 days) of the published week's token mix, 100 requests a day."""
    n = 100
    scale = 3 * 7 * n  # three accounts, seven days: one account's request
    per = {k: v // scale for k, v in WEEK_MIX.items()}
    per["cache_read_tokens"] = WEEK_MIX_CACHE_READS // scale
    rows = [
        _row("heavy", E_START + dt.timedelta(days=d, minutes=8 * 60 + i * 6), OPUS, **per)
        for d in range(30)
        for i in range(n)
    ]
    return _priced(rows)


@case("E4")
def e4() -> CaseResult:
    """A heavy user's compute at $5,000 of API-equivalent usage, and Max 20x's break-even usage."""
    missing = configs_missing()
    usage = _e4_usage()
    api = usage.total_usd() * DAYS_PER_MONTH / 30
    plans = load_plans().select(["api", MAX20])
    computes: list[Decimal] = []
    shares: list[Decimal] = []
    lines = [
        f"the token mix of {WEEK_MIX_SOURCE} (a week of three Max 20x accounts) on Opus 4.5: "
        f"{usd(api)} of API-equivalent usage a month at 100 requests a day"
    ]
    if missing is None:
        for tpot in (25.0, 50.0):
            cost = TrueCost.serving(tpot)
            r = simulate_population(Population(usage, 30, "one heavy user"), plans, cost, day=E_DAY)
            base, m20 = r.outcomes
            ratio = base.true_cost_usd / base.api_equivalent_usd
            computes.append(Decimal(5000) * ratio)
            assert m20.break_even_share_of_weekly_limit is not None
            shares.append(m20.break_even_share_of_weekly_limit * 100)
            opus = cost.rates_for("anthropic/claude-opus-4-5")
            if tpot == 25.0:
                lines.append(
                    f"on Max 20x's estimated limits this user is served {usd(m20.api_equivalent_usd)} a "
                    f"month; {usd(m20.refused_usd)} is refused"
                )
            lines.append(
                f"true cost at {tpot:g} ms TPOT (Opus ~ Kimi K2 on 8 B200: ${opus.input_usd_per_mtok} in and "
                f"cached / ${opus.output_usd_per_mtok} out per MTok): {pct(ratio)} of the API price, "
                f"{usd(Decimal(5000) * ratio)} for $5,000; Max 20x breaks even at "
                f"{usd(m20.break_even_api_equivalent_usd or Decimal(0))} a month, {pct(shares[-1] / 100)} of "
                "a month of its $625 weekly limit"
            )
    parts = [
        Part.of(
            "compute for $5,000 of usage",
            value("500", "~"),
            (min(computes), max(computes)) if computes else None,
            "usd",
            reason=NO_CONFIGS_PLANS if missing else "",
            main=True,
        ),
        Part.of(
            "break-even share of the weekly budget",
            value("50", "~"),
            (min(shares), max(shares)) if shares else None,
            "pct",
            reason=NO_CONFIGS_PLANS if missing else "",
        ),
    ]
    return conclude(
        "E4",
        "Heavy users and break-even",
        "A heavy user consuming $5,000 a month of API-equivalent tokens ~ $500 of compute; typical Max 20x "
        "usage around 50% of the weekly budget ~ break-even",
        parts,
        inputs={
            "usage": f"{WEEK_MIX_SOURCE}: 2.1M input, 1.4M output, 234.9M cache-write and 3.8B cache-read "
            "tokens a week over three accounts; one account's share, Opus 4.5",
            "true cost": "the serving model through case D2's proxies (Opus ~ Kimi K2 on 8 B200) at 25 and "
            "50 ms TPOT, neocloud GPU-hours, 100% use",
            "break-even": "API-equivalent usage a month at which true cost equals $200, over a month "
            "(30.4375 / 7 weeks) of the catalogue's $625 weekly limit",
        },
        figures={"api_equivalent_month": api, "compute_for_5000": computes, "break_even_share_pct": shares},
        lines=lines,
    )
