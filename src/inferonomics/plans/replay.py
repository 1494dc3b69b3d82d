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
from inferonomics.plans.schema import Limit, Plan, matches
from inferonomics.plans.usage import Usage, exact_sum, split, sum_runs, to_usd
from inferonomics.plans.windows import block_starts, group_bounds

__all__ = ["CompiledLimit", "Replay", "replay"]

_K = 1000  # femto remainder base: value = hi * 1000 + lo


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
    return f // _K, f % _K


def _geq(hi: np.ndarray, lo: np.ndarray, a_hi: int, a_lo: int) -> np.ndarray:
    """(hi, lo) >= (a_hi, a_lo) as values hi * 1000 + lo, lo not yet normalized."""
    h = hi + lo // _K
    low = lo % _K
    out: np.ndarray = (h > a_hi) | ((h == a_hi) & (low >= a_lo))
    return out


def _segcum(x: np.ndarray, first: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each segment (segments contiguous, offsets `first`)."""
    cs = np.cumsum(x)
    before = np.concatenate(([0], cs))[first]
    out: np.ndarray = cs - np.repeat(before, sizes)
    return out


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
        reached = _geq(
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
        cum_hi = _segcum(hi, first[sizes > 0], sizes[sizes > 0])
        cum_lo = _segcum(lo, first[sizes > 0], sizes[sizes > 0])
        reached = _geq(cum_hi, cum_lo, c.amount_hi, c.amount_lo)
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
            over = upper * (_K if c.limit.unit == "usd" else 1) >= (
                c.amount_hi * _K + c.amount_lo if c.limit.unit == "usd" else c.amount_hi
            )
            needs[u.sub[first][over]] = True
    out = _Rows(
        admitted=np.ones(n, dtype=bool),
        moved_by=np.full(n, -1, dtype=np.int64),
        blocked_by=np.full(n, -1, dtype=np.int64),
        model=u.model.copy(),
        pico=u.pico.copy(),
        femto=u.femto.copy(),
    )
    rows = np.flatnonzero(needs[u.sub]) if n else np.zeros(0, dtype=np.int64)
    if len(rows):
        _rounds(u, limits, rows, starts_any, window_ids, out)
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


@dataclass
class _Rows:
    """What each covered row became (written by the rounds)."""

    admitted: np.ndarray
    moved_by: np.ndarray
    blocked_by: np.ndarray
    model: np.ndarray
    pico: np.ndarray
    femto: np.ndarray


def _rounds(
    u: Usage,
    limits: list[CompiledLimit],
    rows: np.ndarray,
    starts_any: np.ndarray,
    window_ids: list[np.ndarray],
    out: _Rows,
) -> None:
    """Segment r of every replayed subscriber, for r = 0, 1, ...: exact admission (see module)."""
    sub = u.sub[rows]
    local_names, local = np.unique(sub, return_inverse=True)
    sb = group_bounds(sub)
    seg_start = starts_any[rows].copy()
    seg_start[sb[:-1]] = True
    c = np.cumsum(seg_start)
    rank = c - np.repeat(c[sb[:-1]], np.diff(sb))
    order = np.argsort(rank, kind="stable")
    rows_o = rows[order]
    rank_o = rank[order]
    rb = np.searchsorted(rank_o, np.arange(int(rank_o[-1]) + 2)).astype(np.int64)
    loc_o = local[order]
    model_o = u.model[rows_o]
    pico_o, femto_o = u.pico[rows_o], u.femto[rows_o]
    req_o, tok_o = u.requests[rows_o], u.tokens[rows_o]
    win_o = [w[rows_o] for w in window_ids]
    move_o = [
        None if c.move_pico is None or c.move_femto is None else (c.move_pico[rows_o], c.move_femto[rows_o])
        for c in limits
    ]
    s_count = len(local_names)
    state_win = [np.full(s_count, -1, dtype=np.int64) for _ in limits]
    state_hi = [np.zeros(s_count, dtype=np.int64) for _ in limits]
    state_lo = [np.zeros(s_count, dtype=np.int64) for _ in limits]

    def metric(k: int, sl: slice, vp: np.ndarray, vf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        unit = limits[k].limit.unit
        if unit == "usd":
            return vp, vf
        x = tok_o[sl] if unit == "tokens" else req_o[sl]
        return x, np.zeros_like(x)

    for r in range(len(rb) - 1):
        sl = slice(int(rb[r]), int(rb[r + 1]))
        m = sl.stop - sl.start
        if m == 0:
            continue
        subs = loc_o[sl]
        seg = group_bounds(subs)
        first, sizes = seg[:-1], np.diff(seg)
        seg_sub = subs[first]
        blocked = np.zeros(m, dtype=bool)
        moved = np.zeros(m, dtype=bool)
        prov_by = np.full(m, -1, dtype=np.int64)
        mov_by = np.full(m, -1, dtype=np.int64)
        meff = model_o[sl].copy()
        vp, vf = pico_o[sl].copy(), femto_o[sl].copy()
        bases: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        checked: list[np.ndarray] = []
        for k, lim in enumerate(limits):
            w_seg = np.maximum.reduceat(win_o[k][sl], first)
            same = state_win[k][seg_sub] == w_seg
            bh = np.where(same, state_hi[k][seg_sub], 0)
            bl = np.where(same, state_lo[k][seg_sub], 0)
            bases.append((w_seg, same, bh, bl))
            s = lim.scope[meff]
            checked.append(s)
            elig = s & ~blocked
            hi, lo = metric(k, sl, vp, vf)
            hi_e, lo_e = np.where(elig, hi, 0), np.where(elig, lo, 0)
            ch = _segcum(hi_e, first, sizes) + np.repeat(bh, sizes)
            cl = _segcum(lo_e, first, sizes) + np.repeat(bl, sizes)
            refuse = elig & _geq(ch - hi_e, cl - lo_e, lim.amount_hi, lim.amount_lo)
            if lim.limit.at_limit == "block":
                prov_by[refuse & (prov_by < 0)] = k
                blocked |= refuse
            else:
                assert lim.move_code is not None
                mv = move_o[k]
                assert mv is not None
                fresh = refuse & ~moved
                moved |= refuse
                mov_by[fresh] = k
                meff[refuse] = lim.move_code
                vp[refuse], vf[refuse] = mv[0][sl][refuse], mv[1][sl][refuse]
        moved &= ~blocked
        mov_by[~moved] = -1
        ok = ~blocked
        final_by = np.full(m, -1, dtype=np.int64)
        for k, lim in enumerate(limits):
            w_seg, same, bh, bl = bases[k]
            s = lim.scope[meff] & ok
            hi, lo = metric(k, sl, vp, vf)
            hi_c, lo_c = np.where(s, hi, 0), np.where(s, lo, 0)
            ch = _segcum(hi_c, first, sizes) + np.repeat(bh, sizes)
            cl = _segcum(lo_c, first, sizes) + np.repeat(bl, sizes)
            reached_before = _geq(ch - hi_c, cl - lo_c, lim.amount_hi, lim.amount_lo)
            if lim.limit.at_limit == "block":
                final_by[blocked & checked[k] & reached_before & (final_by < 0)] = k
            has = w_seg >= 0
            tot_h = np.add.reduceat(hi_c, first) + bh
            tot_l = np.add.reduceat(lo_c, first) + bl
            idx = seg_sub[has]
            state_win[k][idx] = w_seg[has]
            state_hi[k][idx] = (tot_h + tot_l // _K)[has]
            state_lo[k][idx] = (tot_l % _K)[has]
        final_by = np.where(blocked & (final_by < 0), prov_by, final_by)
        g = rows_o[sl]
        out.admitted[g] = ok
        out.blocked_by[g] = np.where(blocked, final_by, -1)
        out.moved_by[g] = mov_by
        out.model[g] = meff
        out.pico[g], out.femto[g] = vp, vf
