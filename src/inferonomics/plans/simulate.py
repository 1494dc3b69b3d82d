"""`plans simulate`: a population replayed through candidate plans, and what each plan earns and
costs: revenue, API-equivalent value served, true cost, gross margin, the share of users each
limit stops, the p50 / p95 / p99 user, break-even usage, and the margin's sensitivity to the
true-cost assumption.

Figures are per month: a population over d days is scaled by 30.4375 / d (money to the
micro-dollar, half-even). A plan's subscribers are the users with usage in the models it
includes; each pays its monthly price (the pay-as-you-go baseline earns the value served).
Refused requests are not served (no revenue, no cost): extra usage bought past a limit is not
modelled. Percentiles are nearest-rank over the plan's subscribers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from inferonomics.errors import PlanError
from inferonomics.plans.catalog import PlanCatalog, load_plans
from inferonomics.plans.fit import DAYS_PER_MONTH
from inferonomics.plans.inputs import repricer
from inferonomics.plans.population import Population, generate_population
from inferonomics.plans.replay import Replay, replay
from inferonomics.plans.schema import Plan
from inferonomics.plans.true_cost import TrueCost
from inferonomics.plans.usage import FEMTO, Usage, split, sum_runs

if TYPE_CHECKING:
    from inferonomics.catalog.book import PriceBook
    from inferonomics.ledger.core import Ledger

__all__ = ["PlanOutcome", "SimulationResult", "simulate_plans", "simulate_population"]

MICRO = Decimal("0.000001")
SENSITIVITY = (Decimal("0.5"), Decimal(2))


def _q(x: Decimal) -> Decimal:
    return x.quantize(MICRO, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class PlanOutcome:
    """One plan over the population, per month."""

    plan: str
    users: int
    revenue_usd: Decimal
    api_equivalent_usd: Decimal
    """API-equivalent value served (moved requests at their new model)."""
    refused_usd: Decimal
    """API-equivalent value of the requests refused at a limit."""
    true_cost_usd: Decimal
    gross_margin: Decimal | None
    """(revenue - true cost) / revenue; None without revenue."""
    users_hitting_any_limit_share: Decimal
    limit_hit_shares: dict[str, Decimal]
    p50_user_true_cost_usd: Decimal
    p95_user_true_cost_usd: Decimal
    p99_user_true_cost_usd: Decimal
    p50_user_api_equivalent_usd: Decimal
    p95_user_api_equivalent_usd: Decimal
    p99_user_api_equivalent_usd: Decimal
    break_even_api_equivalent_usd: Decimal | None
    """API-equivalent value a subscriber can use a month before true cost reaches the price."""
    break_even_share_of_weekly_limit: Decimal | None
    """That, over a month of the plan's weekly dollar limit (weekly x 30.4375 / 7)."""
    gross_margin_at_half_true_cost: Decimal | None
    gross_margin_at_double_true_cost: Decimal | None
    unenforced_limits: list[str]

    def as_dict(self) -> dict[str, Any]:
        """Plain data (decimals exact)."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class SimulationResult:
    """Every plan over one population."""

    population: str
    users: int
    days: int
    requests: int
    true_cost_basis: str
    outcomes: list[PlanOutcome]
    per_user_parts: list[_PerUser] = field(repr=False)
    notes: list[str] = field(default_factory=list)

    def per_user(self) -> pa.Table:
        """One row per plan and subscriber: plan, subscriber, api_equivalent_usd, true_cost_usd,
        refused_usd (per month, to the micro-dollar), hit_any."""
        return pa.concat_tables([p.table() for p in self.per_user_parts])

    @property
    def table(self) -> pa.Table:
        """One row per plan (the JSON's keys; money exact)."""
        money = pa.decimal128(38, 6)
        share = pa.decimal128(38, 12)
        cols = [
            ("plan", pa.string()),
            ("users", pa.int64()),
            ("revenue_usd", money),
            ("api_equivalent_usd", money),
            ("refused_usd", money),
            ("true_cost_usd", money),
            ("gross_margin", share),
            ("users_hitting_any_limit_share", share),
            ("p50_user_true_cost_usd", money),
            ("p95_user_true_cost_usd", money),
            ("p99_user_true_cost_usd", money),
            ("p50_user_api_equivalent_usd", money),
            ("p95_user_api_equivalent_usd", money),
            ("p99_user_api_equivalent_usd", money),
            ("break_even_api_equivalent_usd", money),
            ("break_even_share_of_weekly_limit", share),
            ("gross_margin_at_half_true_cost", share),
            ("gross_margin_at_double_true_cost", share),
        ]
        rows = [{k: _fit(getattr(o, k), t) for k, t in cols} for o in self.outcomes]
        return pa.Table.from_pylist(rows, schema=pa.schema(cols))

    def as_dict(self) -> dict[str, Any]:
        """Everything but the per-user table, as plain data."""
        return {
            "population": self.population,
            "users": self.users,
            "days": self.days,
            "requests": self.requests,
            "true_cost_basis": self.true_cost_basis,
            "plans": [o.as_dict() for o in self.outcomes],
            "notes": self.notes,
        }


def _fit(v: Any, t: pa.DataType) -> Any:
    if isinstance(v, Decimal) and pa.types.is_decimal(t):
        return v.quantize(Decimal(1).scaleb(-t.scale), rounding=ROUND_HALF_EVEN)
    return v


def _fusd(p: np.ndarray, f: np.ndarray, idx: np.ndarray) -> list[int]:
    """Exact per-subscriber values in fUSD (Python ints) for the subscribers `idx`."""
    return [a * 1000 + b for a, b in zip(p[idx].tolist(), f[idx].tolist(), strict=True)]


def _nearest_rank(values: list[int], q: float) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def _usd(fusd: int) -> Decimal:
    return Decimal(fusd) * FEMTO


def _month(fusd: int, days: int) -> Decimal:
    """fUSD over `days` days as USD a month (multiplied before dividing: exact when it can be)."""
    return _usd(fusd) * DAYS_PER_MONTH / days


def _margin(revenue: Decimal, cost: Decimal) -> Decimal | None:
    return (revenue - cost) / revenue if revenue > 0 else None


@dataclass
class _PerUser:
    plan: str
    names: list[str]
    api: list[int]
    true: list[int]
    refused: list[int]
    hit_any: np.ndarray
    days: int

    def table(self) -> pa.Table:
        money = pa.decimal128(38, 6)
        return pa.table(
            {
                "plan": pa.array([self.plan] * len(self.names), pa.string()),
                "subscriber": pa.array(self.names, pa.string()),
                "api_equivalent_usd": pa.array([_q(_month(x, self.days)) for x in self.api], money),
                "true_cost_usd": pa.array([_q(_month(x, self.days)) for x in self.true], money),
                "refused_usd": pa.array([_q(_month(x, self.days)) for x in self.refused], money),
                "hit_any": pa.array(self.hit_any),
            }
        )


def _outcome(plan: Plan, r: Replay, cost: TrueCost, day: dt.date, days: int) -> tuple[PlanOutcome, _PerUser]:
    u = r.usage
    bounds = u.bounds
    idx = np.flatnonzero(sum_runs(u.requests, bounds) > 0)
    n = len(idx)
    served = _fusd(*r.served_parts(), idx)
    refused = _fusd(*r.refused_parts(), idx)
    cp, cf = split(np.where(r.admitted, cost.per_row_femto(u, r.served_model), 0))
    true = _fusd(sum_runs(cp, bounds), sum_runs(cf, bounds), idx)
    hits = {c.id: r.hit(k)[idx] for k, c in enumerate(r.limits)}
    any_hit = np.zeros(n, dtype=bool)
    for h in hits.values():
        any_hit |= h
    price = plan.usd_per_month(day)
    api = _month(sum(served), days)
    tc = _month(sum(true), days)
    revenue = api if plan.kind == "payg" else price * n
    ratio = tc / api if api > 0 else None
    break_even = price / ratio if plan.kind != "payg" and ratio else None
    weekly = [
        c.amount_value() for c in r.limits if c.limit.unit == "usd" and c.length_us == 168 * 3_600_000_000
    ]
    share_weekly = (
        break_even / (Decimal(weekly[-1]) * DAYS_PER_MONTH / 7) if break_even is not None and weekly else None
    )

    def rank(values: list[int], q: float) -> Decimal:
        return _q(_month(_nearest_rank(values, q), days))

    outcome = PlanOutcome(
        plan=plan.id,
        users=n,
        revenue_usd=_q(revenue),
        api_equivalent_usd=_q(api),
        refused_usd=_q(_month(sum(refused), days)),
        true_cost_usd=_q(tc),
        gross_margin=_margin(revenue, tc),
        users_hitting_any_limit_share=Decimal(int(any_hit.sum())) / n if n else Decimal(0),
        limit_hit_shares={k: Decimal(int(v.sum())) / n if n else Decimal(0) for k, v in hits.items()},
        p50_user_true_cost_usd=rank(true, 0.50),
        p95_user_true_cost_usd=rank(true, 0.95),
        p99_user_true_cost_usd=rank(true, 0.99),
        p50_user_api_equivalent_usd=rank(served, 0.50),
        p95_user_api_equivalent_usd=rank(served, 0.95),
        p99_user_api_equivalent_usd=rank(served, 0.99),
        break_even_api_equivalent_usd=_q(break_even) if break_even is not None else None,
        break_even_share_of_weekly_limit=share_weekly,
        gross_margin_at_half_true_cost=_margin(revenue, tc * SENSITIVITY[0]),
        gross_margin_at_double_true_cost=_margin(revenue, tc * SENSITIVITY[1]),
        unenforced_limits=[lim.id for lim in r.unenforced],
    )
    names = [u.subscribers[i] for i in idx.tolist()]
    return outcome, _PerUser(plan.id, names, served, true, refused, any_hit, days)


def simulate_population(
    population: Population,
    plans: Sequence[Plan],
    true_cost: TrueCost,
    *,
    day: dt.date | None = None,
    book: PriceBook | None = None,
) -> SimulationResult:
    """Replay `population` through `plans` (limits and prices in force on `day`, default the
    population's first day) and cost it at `true_cost`."""
    u = population.usage
    if len(u) == 0:
        raise PlanError("the population sends no priced requests")
    day = day or u.first_day() or dt.date.today()
    reprice = repricer(u, book) if u.source is not None else None
    outcomes: list[PlanOutcome] = []
    tables: list[_PerUser] = []
    cache: dict[Any, Any] = {}
    for plan in plans:
        r = replay(u, plan, day, reprice=reprice, cache=cache)
        o, t = _outcome(plan, r, true_cost, day, population.days)
        outcomes.append(o)
        tables.append(t)
    notes = []
    unknown = [f"{o.plan} {lim}" for o in outcomes for lim in o.unenforced_limits]
    if unknown:
        notes.append("limits without a figure are not replayed: " + ", ".join(unknown))
    if u.unpriced_requests:
        notes.append(f"{u.unpriced_requests:,} requests the price book cannot value are left out")
    return SimulationResult(
        population=population.description,
        users=len(u.subscribers),
        days=population.days,
        requests=int(u.requests.sum()),
        true_cost_basis=true_cost.basis,
        outcomes=outcomes,
        per_user_parts=tables,
        notes=notes,
    )


def simulate_plans(
    ledger: Ledger,
    *,
    plans: PlanCatalog | Sequence[str | Path] | None = None,
    plan_ids: Sequence[str] | None = None,
    users: int | None = None,
    true_cost: TrueCost | None = None,
    seed: int = 0,
    days: int = 30,
    by: str | None = None,
    book: PriceBook | None = None,
    day: dt.date | None = None,
) -> SimulationResult:
    """Replay a population through candidate plans: per plan revenue, API-equivalent value, true
    cost, gross margin, the share of users hitting each limit, the p50 / p95 / p99 user,
    break-even usage and the sensitivity to the true-cost assumption (all per month). The
    population is the ledger's subscribers (column `by`, else the first of user, tenant,
    session with a value), or with `users` a parametric population fitted to them and scaled to
    that many users over `days` days from `seed`. `true_cost` defaults to the serving model."""
    catalog = plans if isinstance(plans, PlanCatalog) else load_plans(list(plans or []))
    base = Usage.from_ledger(ledger, book=book, by=by)
    if users is None:
        population = Population(
            base,
            base.span_days(),
            f"the ledger's {len(base.subscribers):,} subscribers (column {base.population_column}) over "
            f"{base.span_days()} days",
        )
    else:
        population = generate_population(base, users, seed=seed, days=days)
    cost = true_cost or TrueCost.serving()
    return simulate_population(population, catalog.select(plan_ids), cost, day=day, book=book)
