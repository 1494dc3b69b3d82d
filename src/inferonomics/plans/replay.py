"""Replaying requests through a plan's limits, in time order, exactly.

Semantics (docs/plans.md):

- Each limit counts its unit (API-equivalent USD, tokens or messages) over block windows of its
  own (`plans/windows.py`): a window opens with the first request *sent* in the limit's scope
  after the previous window closed, admitted or not (a refused message is still a message; the
  windows are therefore fixed by the demand, whatever the limits decide).
- A request is admitted when every limit whose scope holds it has consumed less than its amount
  before it; the request that reaches a limit is served (it is the one that crosses it) and the
  limit is *hit* at its time. After that, the limit's window refuses (or, for `at_limit: move`,
  moves to `move_to`, priced at that model) every request in its scope until the window closes.
- A refused request consumes nothing, in any limit; a moved one counts at its new model's price
  in every limit whose scope holds the new model.

How: subscribers whose demand never reaches any limit are admitted whole (one vectorized pass).
The others are cut into segments at every window start of every limit, and segment r of every
subscriber is replayed in lockstep (round r): inside a segment each limit has one window and one
entering consumption, and the limits are applied from the narrowest scope to the widest (scopes
must nest or be disjoint), each a prefix cut on a segmented cumulative sum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from inferonomics.errors import PlanError
from inferonomics.plans.kernel import K, Rows, geq, rounds, segcum
from inferonomics.plans.schema import Limit, Plan, matches
from inferonomics.plans.usage import Usage, exact_sum, split, sum_runs, to_usd
from inferonomics.plans.windows import block_starts, group_bounds

__all__ = ["CompiledLimit", "Replay", "replay"]


@dataclass(frozen=True)
class CompiledLimit:
    """A limit ready for the kernel: its scope over the usage's models and its amount in the
    kernel's integer parts."""

    limit: Limit
    scope: np.ndarray
    """Per model of the usage (after any move targets): whether the limit counts it."""
    amount_hi: int
    amount_lo: int
    length_us: int
    move_code: int | None
    move_pico: np.ndarray | None
    move_femto: np.ndarray | None

    @property
    def id(self) -> str:
        """The limit's id."""
        return self.limit.id

    def amount_value(self) -> Decimal | int:
        """The amount in its unit (exact USD, or a whole count)."""
        if self.limit.unit == "usd":
            return to_usd(self.amount_hi, self.amount_lo)
        return self.amount_hi


def _amount_parts(limit: Limit) -> tuple[int, int]:
    assert limit.amount is not None
    if limit.unit != "usd":
        return int(limit.amount), 0
    fusd = limit.amount * 10**15
    if fusd != fusd.to_integral_value():
        raise PlanError(f"limit {limit.id}: ${limit.amount} has more than 15 decimals")
    f = int(fusd)
    return f // K, f % K


@dataclass
class Replay:
    """One plan replayed over one usage: what each request became, and the windows."""

    plan: Plan
    day: dt.date
    """The day whose limits were replayed (limits in force then)."""
    usage: Usage
    """The covered requests (models the plan includes), as replayed."""
    limits: list[CompiledLimit]
    """Enforced limits, narrowest scope first."""
    unenforced: list[Limit]
    """Limits in force without a figure: reported, not replayed."""
    uncovered: Usage
    """Requests for models the plan does not include (billed at API prices beside it)."""
    admitted: np.ndarray
    moved_by: np.ndarray
    """Per covered row: index into `limits` of the limit that moved it, or -1."""
    blocked_by: np.ndarray
    """Per covered row: index into `limits` of the limit that refused it, or -1."""
    served_model: np.ndarray
    served_pico: np.ndarray
    served_femto: np.ndarray
    window_ids: list[np.ndarray]
    """Per limit: each covered row's window index (-1 outside the limit's scope)."""
    window_start_us: list[np.ndarray]
    window_sub: list[np.ndarray]
    models: list[str]
    replayed_subscribers: int
    """Subscribers whose demand reached a limit (replayed request by request)."""

    def value_served(self) -> list[Decimal]:
        """Per subscriber: API-equivalent value of the requests served (moved ones at their new model)."""
        keep = self.admitted
        return exact_sum(
            np.where(keep, self.served_pico, 0), np.where(keep, self.served_femto, 0), self.usage.bounds
        )

    def value_refused(self) -> list[Decimal]:
        """Per subscriber: API-equivalent value of the requests refused (at their own model)."""
        off = ~self.admitted
        return exact_sum(
            np.where(off, self.usage.pico, 0), np.where(off, self.usage.femto, 0), self.usage.bounds
        )

    def value_uncovered(self) -> list[Decimal]:
        """Per subscriber: API-equivalent value of the requests for models the plan does not include."""
        return exact_sum(self.uncovered.pico, self.uncovered.femto, self.uncovered.bounds)

    def requests_refused(self) -> np.ndarray:
        """Per subscriber: requests refused."""
        return sum_runs(np.where(self.admitted, 0, self.usage.requests), self.usage.bounds)

    def served_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """Per subscriber: the value served as int64 (pico-dollars, femto remainders summed)."""
        keep = self.admitted
        b = self.usage.bounds
        return sum_runs(np.where(keep, self.served_pico, 0), b), sum_runs(
            np.where(keep, self.served_femto, 0), b
        )

    def refused_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """Per subscriber: the value refused as int64 (pico-dollars, femto remainders summed)."""
        off = ~self.admitted
        b = self.usage.bounds
        return sum_runs(np.where(off, self.usage.pico, 0), b), sum_runs(np.where(off, self.usage.femto, 0), b)

    def hit(self, k: int) -> np.ndarray:
        """Per subscriber: whether limit `k` was reached (or refused a request) in some window."""
        c = self.limits[k]
        w = self.window_ids[k]
        rows = np.flatnonzero(w >= 0)
        out = np.zeros(len(self.usage.subscribers), dtype=bool)
        if len(rows) == 0:
            return out
        n = len(self.window_start_us[k])
        first = np.searchsorted(w[rows], np.arange(n)).astype(np.int64)
        counted = self.admitted[rows] & c.scope[self.served_model[rows]]
        hi, lo = self._metric(c, rows)
        reached = geq(
            np.add.reduceat(np.where(counted, hi, 0), first),
            np.add.reduceat(np.where(counted, lo, 0), first),
            c.amount_hi,
            c.amount_lo,
        )
        refused = (self.blocked_by[rows] == k) | (self.moved_by[rows] == k)
        refused_any = np.maximum.reduceat(refused, first)
        out[self.window_sub[k][reached | refused_any]] = True
        return out

    def windows(self, k: int) -> pa.Table:
        """Limit `k`'s windows: subscriber, start, end, requests sent and refused in scope, the
        amount consumed (served requests in scope), whether and when the limit was hit."""
        c = self.limits[k]
        w = self.window_ids[k]
        rows = np.flatnonzero(w >= 0)
        ids = w[rows]
        n = len(self.window_start_us[k])
        counted = self.admitted[rows] & c.scope[self.served_model[rows]]
        hi, lo = self._metric(c, rows)
        hi = np.where(counted, hi, 0)
        lo = np.where(counted, lo, 0)
        bounds = np.searchsorted(ids, np.arange(n + 1)).astype(np.int64)
        sizes = np.diff(bounds)
        first = bounds[:-1]
        cum_hi = segcum(hi, first[sizes > 0], sizes[sizes > 0])
        cum_lo = segcum(lo, first[sizes > 0], sizes[sizes > 0])
        reached = geq(cum_hi, cum_lo, c.amount_hi, c.amount_lo)
        refused = (self.blocked_by[rows] == k) | (self.moved_by[rows] == k)
        marker = reached | refused
        hit_at = np.full(n, -1, dtype=np.int64)
        hit_rows = rows[marker]
        hit_ids = ids[marker]
        firsts = np.unique(hit_ids, return_index=True)
        hit_at[firsts[0]] = self.usage.ts[hit_rows[firsts[1]]]
        sent = np.bincount(ids, weights=self.usage.requests[rows], minlength=n).astype(np.int64)
        off = np.bincount(ids, weights=np.where(refused, self.usage.requests[rows], 0), minlength=n)
        if c.limit.unit == "usd":
            consumed: pa.Array = pa.array(exact_sum(hi, lo, bounds), pa.decimal128(38, 15))
        else:
            consumed = pa.array(sum_runs(hi, bounds), pa.int64())
        ts_type = pa.timestamp("us", tz="UTC")
        start = self.window_start_us[k]
        return pa.table(
            {
                "subscriber_index": pa.array(self.window_sub[k], pa.int64()),
                "subscriber": pa.array([self.usage.subscribers[i] for i in self.window_sub[k]], pa.string()),
                "limit": pa.array([c.id] * n, pa.string()),
                "window_start": pa.array(start, ts_type),
                "window_end": pa.array(start + c.length_us, ts_type),
                "requests": pa.array(sent, pa.int64()),
                "refused_requests": pa.array(off.astype(np.int64), pa.int64()),
                "consumed": consumed,
                "hit": pa.array(hit_at >= 0),
                "hit_at": pa.array(np.where(hit_at >= 0, hit_at, 0), ts_type, mask=hit_at < 0),
            }
        )

    def _metric(self, c: CompiledLimit, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if c.limit.unit == "usd":
            return self.served_pico[rows], self.served_femto[rows]
        if c.limit.unit == "tokens":
            return self.usage.tokens[rows], np.zeros(len(rows), dtype=np.int64)
        return self.usage.requests[rows], np.zeros(len(rows), dtype=np.int64)


def _compile(
    plan: Plan,
    day: dt.date,
    usage: Usage,
    reprice: Callable[[str], np.ndarray] | None,
) -> tuple[list[CompiledLimit], list[Limit], list[str]]:
    models = list(usage.models)
    in_force = plan.limits_at(day)
    enforced = [lim for lim in in_force if lim.enforced]
    unenforced = [lim for lim in in_force if not lim.enforced]
    for lim in enforced:
        if lim.move_to is not None:
            target = lim.move_to.lower()
            if not plan.includes(target):
                raise PlanError(
                    f"plan {plan.id}, limit {lim.id}: move_to {target} is not a model the plan includes"
                )
            if target not in models:
                models.append(target)

    def scope_of(lim: Limit) -> np.ndarray:
        return np.array([matches(lim.models, m) for m in models], dtype=bool)

    scopes = [scope_of(lim) for lim in enforced]
    for i in range(len(enforced)):
        for j in range(i + 1, len(enforced)):
            a, b = scopes[i], scopes[j]
            if (a & b).any() and (a & ~b).any() and (b & ~a).any():
                raise PlanError(
                    f"plan {plan.id}: limits {enforced[i].id} and {enforced[j].id} count overlapping "
                    "model sets that do not nest; the replay needs scopes that nest or are disjoint"
                )
    compiled: list[CompiledLimit] = []
    for lim, scope in zip(enforced, scopes, strict=True):
        hi, lo = _amount_parts(lim)
        move_code = mp = mf = None
        if lim.move_to is not None:
            move_code = models.index(lim.move_to.lower())
            if scope[move_code]:
                raise PlanError(
                    f"plan {plan.id}, limit {lim.id}: move_to {lim.move_to} is inside the limit's own scope"
                )
            for other, s in zip(enforced, scopes, strict=True):
                if other is not lim and s[move_code] and (scope & ~s).any():
                    raise PlanError(
                        f"plan {plan.id}, limit {lim.id}: move_to {lim.move_to} is counted by {other.id}, "
                        "whose scope does not hold the moved models"
                    )
            if reprice is None:
                raise PlanError(f"plan {plan.id}, limit {lim.id}: moving requests needs the price book")
            mp, mf = split(reprice(lim.move_to.lower()))
        compiled.append(CompiledLimit(lim, scope, hi, lo, lim.window.micros, move_code, mp, mf))
    # Narrowest scope first; among equal sets of the models present, a limit naming its models
    # before one counting every model, then catalogue order (which limit a refusal is put to).
    order = {id(lim): i for i, lim in enumerate(enforced)}
    compiled.sort(key=lambda c: (int(c.scope.sum()), c.limit.models is None, order[id(c.limit)]))
    return compiled, unenforced, models


def replay(
    usage: Usage,
    plan: Plan,
    day: dt.date | None = None,
    *,
    reprice: Callable[[str], np.ndarray] | None = None,
    cache: dict[Any, Any] | None = None,
) -> Replay:
    """Replay `usage` through `plan`'s limits in force on `day` (default: the first request's
    day). `reprice(model)` gives each covered row's value at another model in fUSD (needed only
    for limits that move requests). `cache` (a dict kept across calls on the same usage) keeps
    the windows, which depend only on the requests sent, for plans that count the same ones."""
    day = day or usage.first_day() or dt.date.today()
    covered_mask = np.array([plan.includes(m) for m in usage.models], dtype=bool)
    row_cov = covered_mask[usage.model] if len(usage) else np.zeros(0, dtype=bool)
    parts_key = ("subsets", covered_mask.tobytes())
    parts = cache.get(parts_key) if cache is not None else None
    if parts is None:
        parts = (usage.subset(row_cov), usage.subset(~row_cov))
        if cache is not None:
            cache[parts_key] = parts
    u, uncovered = parts
    wrapped = None
    if reprice is not None:

        def wrapped(model: str) -> np.ndarray:
            values: np.ndarray = reprice(model)[row_cov]
            return values

    limits, unenforced, models = _compile(plan, day, u, wrapped)
    n = len(u)
    window_ids: list[np.ndarray] = []
    window_start: list[np.ndarray] = []
    window_sub: list[np.ndarray] = []
    starts_any = np.zeros(n, dtype=bool)
    needs = np.zeros(len(u.subscribers), dtype=bool)
    for c in limits:
        rows = np.flatnonzero(c.scope[u.model]) if n else np.zeros(0, dtype=np.int64)
        sub = u.sub[rows]
        key = (
            covered_mask.tobytes(),
            c.scope[: len(usage.models)].tobytes(),
            c.length_us,
            c.limit.window.anchor,
            c.limit.window.closed_end,
        )
        is_start = cache.get(key) if cache is not None else None
        if is_start is None:
            is_start = block_starts(
                u.ts[rows],
                group_bounds(sub) if len(rows) else np.zeros(1, np.int64),
                c.length_us,
                anchor_hour=c.limit.window.anchor == "hour",
                closed_end=c.limit.window.closed_end,
            )
            if cache is not None:
                cache[key] = is_start
        ids = np.cumsum(is_start) - 1
        w = np.full(n, -1, dtype=np.int64)
        w[rows] = ids
        window_ids.append(w)
        first = rows[is_start]
        anchor = u.ts[first]
        if c.limit.window.anchor == "hour":
            anchor = anchor - np.mod(anchor, 3_600_000_000)
        window_start.append(anchor)
        window_sub.append(u.sub[first])
        starts_any[first] = True
        # Demand per window, an upper bound in whole units: a subscriber whose every window
        # stays below every amount is admitted whole.
        if len(rows):
            if c.limit.unit == "usd":
                upper = np.add.reduceat(u.pico[rows] + 1, np.flatnonzero(is_start))
            else:
                metric = u.tokens if c.limit.unit == "tokens" else u.requests
                upper = np.add.reduceat(metric[rows], np.flatnonzero(is_start))
            over = upper * (K if c.limit.unit == "usd" else 1) >= (
                c.amount_hi * K + c.amount_lo if c.limit.unit == "usd" else c.amount_hi
            )
            needs[u.sub[first][over]] = True
    out = Rows(
        admitted=np.ones(n, dtype=bool),
        moved_by=np.full(n, -1, dtype=np.int64),
        blocked_by=np.full(n, -1, dtype=np.int64),
        model=u.model.copy(),
        pico=u.pico.copy(),
        femto=u.femto.copy(),
    )
    rows = np.flatnonzero(needs[u.sub]) if n else np.zeros(0, dtype=np.int64)
    if len(rows):
        rounds(u, limits, rows, starts_any, window_ids, out)
    return Replay(
        plan=plan,
        day=day,
        usage=u,
        limits=limits,
        unenforced=unenforced,
        uncovered=uncovered,
        admitted=out.admitted,
        moved_by=out.moved_by,
        blocked_by=out.blocked_by,
        served_model=out.model,
        served_pico=out.pico,
        served_femto=out.femto,
        window_ids=window_ids,
        window_start_us=window_start,
        window_sub=window_sub,
        models=models,
        replayed_subscribers=int(needs.sum()),
    )
