"""`plans fit`: one subscriber's usage replayed through every plan, the cheapest option for it,
and a forecast of this week's cap from the current pace.

Per plan: the API-equivalent value the plan includes, what it would have served and refused (and
when), what it would cost a month at this pace (its price, plus usage outside its models and
usage past its limits at API prices where the plan sells it; no cost when it refuses usage it
cannot sell), and, for each weekly limit, the week in progress at `now`: consumed, pace since the
week opened, the figure it reaches at that pace and when it would hit the cap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inferonomics.errors import PlanError
from inferonomics.plans.catalog import PlanCatalog, load_plans
from inferonomics.plans.inputs import default_ledger, repricer
from inferonomics.plans.replay import Replay, replay
from inferonomics.plans.schema import Plan
from inferonomics.plans.usage import Usage
from inferonomics.plans.windows import EPOCH

if TYPE_CHECKING:
    from inferonomics.catalog.book import PriceBook
    from inferonomics.ledger.core import Ledger

__all__ = [
    "DAYS_PER_MONTH",
    "FitResult",
    "LimitHit",
    "PlanFit",
    "WeekForecast",
    "fit_plans",
]

DAYS_PER_MONTH = Decimal("30.4375")
"""An average month (365.25 / 12 days): how usage over a span becomes a monthly figure."""
MICRO = Decimal("0.000001")


def _instant(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=int(us))


def _us(t: dt.datetime) -> int:
    aware = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t
    return (aware - EPOCH) // dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class LimitHit:
    """A window in which a plan's limit was reached."""

    limit: str
    window_start: dt.datetime
    hit_at: dt.datetime
    refused_requests: int


@dataclass(frozen=True)
class WeekForecast:
    """The week in progress at `now` under one weekly limit, and where its pace takes it."""

    limit: str
    window_start: dt.datetime
    window_end: dt.datetime
    amount: Decimal
    consumed: Decimal
    """Served so far in the week, in the limit's unit (USD for a dollar limit)."""
    pace_per_hour: Decimal
    """consumed / hours since the week opened."""
    projected: Decimal
    """consumed + pace x hours left in the week."""
    hit_at: dt.datetime | None
    """When the cap was (already) hit, or when it would be at this pace; None if not this week."""
    already_hit: bool

    @property
    def share(self) -> Decimal:
        """consumed / amount."""
        return self.consumed / self.amount if self.amount else Decimal(0)

    @property
    def projected_share(self) -> Decimal:
        """projected / amount."""
        return self.projected / self.amount if self.amount else Decimal(0)


@dataclass(frozen=True)
class PlanFit:
    """One plan against the usage."""

    plan: str
    name: str
    usd_per_month: Decimal
    extra_usage: str
    covered_usd: Decimal
    """API-equivalent value of the requests for models the plan includes."""
    served_usd: Decimal
    refused_usd: Decimal
    refused_requests: int
    first_refused_at: dt.datetime | None
    uncovered_usd: Decimal
    monthly_cost_usd: Decimal | None
    """Price + (uncovered + refused-but-purchasable value) per month; None when it refuses usage it
    does not sell."""
    hits: list[LimitHit]
    unenforced: list[str]
    """Limits in force without a figure (reported, not replayed)."""
    forecasts: list[WeekForecast]

    def as_dict(self) -> dict[str, Any]:
        """Plain data (decimals exact, instants as datetimes)."""
        return {
            "plan": self.plan,
            "name": self.name,
            "usd_per_month": self.usd_per_month,
            "extra_usage": self.extra_usage,
            "covered_usd": self.covered_usd,
            "served_usd": self.served_usd,
            "refused_usd": self.refused_usd,
            "refused_requests": self.refused_requests,
            "first_refused_at": self.first_refused_at,
            "uncovered_usd": self.uncovered_usd,
            "monthly_cost_usd": self.monthly_cost_usd,
            "hits": [h.__dict__ for h in self.hits],
            "unenforced_limits": self.unenforced,
            "forecasts": [
                {**f.__dict__, "share": f.share, "projected_share": f.projected_share} for f in self.forecasts
            ],
        }


@dataclass(frozen=True)
class FitResult:
    """Every plan against one subscriber's usage, and the cheapest."""

    first_request: dt.datetime | None
    last_request: dt.datetime | None
    days: int
    requests: int
    unpriced_requests: int
    api_usd: Decimal
    api_usd_per_month: Decimal
    day: dt.date
    """The day whose prices and limits were used."""
    now: dt.datetime | None
    plans: list[PlanFit]
    cheapest: str | None
    runner_up: str | None
    margin_usd: Decimal | None
    """runner-up's monthly cost - cheapest's."""
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> pa.Table:
        """One row per plan: price, monthly cost at this pace, served, refused, hits (exact money)."""
        money = pa.decimal128(38, 15)
        rows = [
            {
                "plan": p.plan,
                "usd_per_month": p.usd_per_month,
                "monthly_cost_usd": p.monthly_cost_usd,
                "covered_usd": p.covered_usd,
                "served_usd": p.served_usd,
                "refused_usd": p.refused_usd,
                "refused_requests": p.refused_requests,
                "first_refused_at": p.first_refused_at,
                "uncovered_usd": p.uncovered_usd,
                "limits_hit": len(p.hits),
                "cheapest": p.plan == self.cheapest,
            }
            for p in self.plans
        ]
        schema = pa.schema(
            [
                ("plan", pa.string()),
                ("usd_per_month", money),
                ("monthly_cost_usd", money),
                ("covered_usd", money),
                ("served_usd", money),
                ("refused_usd", money),
                ("refused_requests", pa.int64()),
                ("first_refused_at", pa.timestamp("us", tz="UTC")),
                ("uncovered_usd", money),
                ("limits_hit", pa.int64()),
                ("cheapest", pa.bool_()),
            ]
        )
        return pa.Table.from_pylist(rows, schema=schema)

    def as_dict(self) -> dict[str, Any]:
        """Everything as plain data."""
        return {
            "first_request": self.first_request,
            "last_request": self.last_request,
            "days": self.days,
            "requests": self.requests,
            "unpriced_requests": self.unpriced_requests,
            "api_usd": self.api_usd,
            "api_usd_per_month": self.api_usd_per_month,
            "day": self.day,
            "now": self.now,
            "cheapest": self.cheapest,
            "runner_up": self.runner_up,
            "margin_usd": self.margin_usd,
            "plans": [p.as_dict() for p in self.plans],
            "notes": self.notes,
        }


def _per_month(value: Decimal, days: int) -> Decimal:
    if days <= 0:
        return Decimal(0)
    return (value * DAYS_PER_MONTH / days).quantize(MICRO, rounding=ROUND_HALF_EVEN)


def _forecasts(r: Replay, now_us: int) -> list[WeekForecast]:
    out: list[WeekForecast] = []
    for k, c in enumerate(r.limits):
        if c.length_us != 168 * 3_600_000_000:
            continue
        w = r.windows(k)
        if w.num_rows == 0:
            continue
        start = w["window_start"].cast(pa.int64()).to_numpy()
        end = w["window_end"].cast(pa.int64()).to_numpy()
        open_ = np.flatnonzero((start <= now_us) & (now_us < end))
        if len(open_) == 0:
            continue
        i = int(open_[-1])
        row = w.slice(i, 1).to_pylist()[0]
        consumed = Decimal(row["consumed"])
        amount = Decimal(c.amount_value())
        hours = Decimal(now_us - int(start[i])) / 3_600_000_000
        left = Decimal(int(end[i]) - now_us) / 3_600_000_000
        pace = (consumed / hours) if hours > 0 else Decimal(0)
        projected = consumed + pace * left
        hit_at = row["hit_at"]
        already = hit_at is not None
        if not already and pace > 0 and projected >= amount:
            # (amount - consumed) / pace, as one division: exact whenever the answer is.
            us_to_cap = (amount - consumed) * (now_us - int(start[i])) / consumed
            hit_at = _instant(now_us + int(us_to_cap.to_integral_value()))
        out.append(
            WeekForecast(
                limit=c.id,
                window_start=row["window_start"],
                window_end=row["window_end"],
                amount=amount,
                consumed=consumed,
                pace_per_hour=pace.quantize(MICRO, rounding=ROUND_HALF_EVEN),
                projected=projected.quantize(MICRO, rounding=ROUND_HALF_EVEN),
                hit_at=hit_at,
                already_hit=already,
            )
        )
    return out


def fit_usage(
    usage: Usage,
    plans: Sequence[Plan],
    *,
    day: dt.date | None = None,
    now: dt.datetime | None = None,
    book: PriceBook | None = None,
) -> FitResult:
    """Fit one subscriber's `usage` (a single subscriber) to `plans` (see `fit_plans`)."""
    if len(usage.subscribers) > 1:
        raise PlanError("plans fit replays one subscriber's usage; pass one user's logs (or --user)")
    if len(usage) == 0:
        raise PlanError("no priced requests to fit: the inputs hold no usage the price book can value")
    first, last = _instant(int(usage.ts.min())), _instant(int(usage.ts.max()))
    day = day or last.date()
    now_us = _us(now) if now is not None else int(usage.ts.max())
    days = usage.span_days()
    reprice = repricer(usage, book)
    fits: list[PlanFit] = []
    for plan in plans:
        r = replay(usage, plan, day, reprice=reprice)
        served = r.value_served()[0] if r.usage.subscribers else Decimal(0)
        refused = r.value_refused()[0] if r.usage.subscribers else Decimal(0)
        uncovered = r.value_uncovered()[0] if r.uncovered.subscribers else Decimal(0)
        covered = r.usage.total_usd()
        off = ~r.admitted
        first_off = _instant(int(r.usage.ts[off].min())) if off.any() else None
        extra = plan.extra_usage_at(day)
        extra_kind = "api_rates" if plan.kind == "payg" else (extra.kind if extra else "none")
        price = plan.usd_per_month(day)
        cost: Decimal | None
        if plan.kind == "payg":
            cost = _per_month(covered + uncovered, days)
        elif refused and extra_kind != "api_rates":
            cost = None
        else:
            cost = price + _per_month(uncovered + refused, days)
        hits: list[LimitHit] = []
        for k, c in enumerate(r.limits):
            for w in r.windows(k).to_pylist():
                if w["hit"]:
                    hits.append(LimitHit(c.id, w["window_start"], w["hit_at"], w["refused_requests"]))
        hits.sort(key=lambda h: h.hit_at)
        fits.append(
            PlanFit(
                plan=plan.id,
                name=plan.name,
                usd_per_month=price,
                extra_usage=extra_kind,
                covered_usd=covered,
                served_usd=served,
                refused_usd=refused,
                refused_requests=int(r.requests_refused().sum()),
                first_refused_at=first_off,
                uncovered_usd=uncovered,
                monthly_cost_usd=cost,
                hits=hits,
                unenforced=[lim.id for lim in r.unenforced],
                forecasts=_forecasts(r, now_us),
            )
        )
    ranked = sorted(
        (f for f in fits if f.monthly_cost_usd is not None), key=lambda f: f.monthly_cost_usd or 0
    )
    cheapest = ranked[0] if ranked else None
    runner = ranked[1] if len(ranked) > 1 else None
    margin = (
        runner.monthly_cost_usd - cheapest.monthly_cost_usd
        if cheapest
        and runner
        and runner.monthly_cost_usd is not None
        and cheapest.monthly_cost_usd is not None
        else None
    )
    total = usage.total_usd()
    notes = []
    if usage.unpriced_requests:
        notes.append(f"{usage.unpriced_requests:,} requests the price book cannot value are left out")
    unknown = sorted({lim for f in fits for lim in f.unenforced})
    if unknown:
        notes.append(
            "limits without a published or estimated figure are not replayed: "
            + ", ".join(f"{f.plan} {lim}" for f in fits for lim in f.unenforced)
        )
    return FitResult(
        first_request=first,
        last_request=last,
        days=days,
        requests=int(usage.requests.sum()),
        unpriced_requests=usage.unpriced_requests,
        api_usd=total,
        api_usd_per_month=_per_month(total, days),
        day=day,
        now=_instant(now_us),
        plans=fits,
        cheapest=cheapest.plan if cheapest else None,
        runner_up=runner.plan if runner else None,
        margin_usd=margin,
        notes=notes,
    )


def fit_plans(
    ledger: Ledger | None = None,
    *,
    plans: PlanCatalog | Sequence[str | Path] | None = None,
    plan_ids: Sequence[str] | None = None,
    book: PriceBook | None = None,
    user: str | None = None,
    day: dt.date | None = None,
    now: dt.datetime | None = None,
) -> FitResult:
    """Replay one subscriber's usage through each plan in time order: the API-equivalent value it
    consumes, the requests each plan would have refused and when, the cheapest option a month
    at this pace (with the margin over the runner-up), and this week's cap forecast from the
    current pace. `ledger` defaults to the coding-agent logs in their standard places; `plans`
    is a catalogue or plan files over the packaged one (`plan_ids` picks some); `user` keeps
    one user's rows; `day` picks the prices and limits in force (default: the last request's
    day); `now` is when "this week" is (default: the last request)."""
    from inferonomics.billing.bill import price

    catalog = plans if isinstance(plans, PlanCatalog) else load_plans(list(plans or []))
    chosen = catalog.select(plan_ids)
    read: list[str] = []
    if ledger is None:
        ledger, read = default_ledger()
    priced = price(ledger, book=book).to_arrow()
    users = [u for u in pc.unique(priced["user"]).to_pylist() if u is not None]
    if user is not None:
        if user not in users:
            shown = ", ".join(sorted(users)[:10]) or "none named"
            raise PlanError(f"no rows of user {user!r} (users: {shown})")
        priced = priced.filter(pc.equal(priced["user"], user))
    elif len(users) > 1:
        names = ", ".join(sorted(users)[:5]) + (", ..." if len(users) > 5 else "")
        raise PlanError(
            f"the usage holds {len(users)} users ({names}): plans fit replays one subscriber's usage; "
            "pick one with --user"
        )
    usage = Usage.from_priced(priced, by=None)
    result = fit_usage(usage, chosen, day=day, now=now, book=book)
    if read:
        result.notes.insert(0, "read the coding-agent logs in " + ", ".join(read))
    return result
