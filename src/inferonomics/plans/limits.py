"""`plans limits`: the sizes of a plan's windows estimated from what the agents observed, written
as a plan file in the catalogue's schema (marked estimated, with the method).

- Codex reports each window's `used_percent` on every token count. Within one window (readings
  whose share never falls, spanning less than the window's length), the API-equivalent value of
  the Codex requests after the first reading up to the last, over the percentage points it
  moved, is the window's size:
  L = 100 x dV / dp. Windows are pooled as a ratio of sums (100 x sum dV / sum dp); the interval
  is a percentile bootstrap over windows (90 %, seeded) with three windows or more, else the
  bounds the readings' resolution allows (each dp +/- one step of the reported percentage).
- Claude Code says when a limit is hit. The value of the Claude requests from the start of the
  window holding the hit (its block in the logs) up to the hit is what the limit let through:
  a lower bound of the limit, since usage elsewhere (claude.ai, the desktop app) counts too.
  The point is the median over hits, the interval their minimum and maximum.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inferonomics.errors import PlanError
from inferonomics.plans.catalog import PlanCatalog, load_plans, plans_yaml
from inferonomics.plans.schema import Limit, Plan, Window
from inferonomics.plans.usage import Usage
from inferonomics.plans.windows import HOUR_US, block_starts, group_bounds

if TYPE_CHECKING:
    from inferonomics.catalog.book import PriceBook
    from inferonomics.ledger.core import Ledger

__all__ = ["LimitEstimate", "LimitEstimates", "estimate_limits"]

CENT = Decimal("0.01")
WINDOW_HOURS = {"5h": 5, "weekly": 168}
BOOTSTRAP = 2000
METHOD_SOURCE = "https://github.com/ryoppippi/ccusage"  # the window rule the hits are placed with


@dataclass(frozen=True)
class LimitEstimate:
    """One window's estimated size in API-equivalent dollars."""

    agent: str
    window: str
    usd: Decimal
    low: Decimal
    high: Decimal
    observations: int
    """Windows (Codex) or hits (Claude Code) it is estimated from."""
    method: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data (decimals exact)."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class LimitEstimates:
    """The estimates, and the plan file they make."""

    estimates: list[LimitEstimate]
    plan: Plan | None
    """The base plan with its windows replaced by the estimates (None when there are none)."""
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> pa.Table:
        """One row per estimate."""
        money = pa.decimal128(38, 6)
        return pa.Table.from_pylist(
            [e.as_dict() for e in self.estimates],
            schema=pa.schema(
                [
                    ("agent", pa.string()),
                    ("window", pa.string()),
                    ("usd", money),
                    ("low", money),
                    ("high", money),
                    ("observations", pa.int64()),
                    ("method", pa.string()),
                ]
            ),
        )

    def plan_yaml(self) -> str:
        """The plan file (the catalogue's schema)."""
        if self.plan is None:
            raise PlanError("no limit could be estimated: nothing to write")
        return plans_yaml([self.plan], "limits estimated by `inferonomics plans limits` from the user's logs")


def _q(x: Decimal | float) -> Decimal:
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _agent_mask(usage: Usage, agent: str) -> np.ndarray:
    """Rows of one agent: its `agent` tag when the rows carry one, else its provider."""
    src = usage.source
    if src is not None and "agent" in src.column_names:
        return np.asarray(pc.fill_null(pc.equal(src["agent"], agent), False).to_numpy(zero_copy_only=False))
    provider = "openai/" if agent == "codex" else "anthropic/"
    return np.array([usage.models[m].startswith(provider) for m in usage.model], dtype=bool)


def _prefix_usd(usage: Usage, mask: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The masked rows' times and cumulative value in fUSD (Python ints: exact, no overflow)."""
    ts = usage.ts[mask]
    fusd = (usage.pico[mask] * 1000 + usage.femto[mask]).tolist()
    cum = [0]
    for v in fusd:
        cum.append(cum[-1] + int(v))
    return ts, cum


def _value_between(
    ts: np.ndarray, cum: list[int], after_us: int, upto_us: int, *, closed: bool = False
) -> Decimal:
    """Value of the rows with after < ts <= upto (after <= ts with `closed`), exact USD."""
    a = int(np.searchsorted(ts, after_us, side="left" if closed else "right"))
    b = int(np.searchsorted(ts, upto_us, side="right"))
    return Decimal(cum[max(b, a)] - cum[a]) * Decimal("1e-15")


def _us(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(col.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy(zero_copy_only=False))


def _codex(usage: Usage, events: pa.Table, seed: int) -> tuple[list[LimitEstimate], list[str]]:
    notes: list[str] = []
    ev = events.filter(
        pc.and_(
            pc.and_(pc.equal(events["agent"], "codex"), pc.equal(events["kind"], "limit_reading")),
            pc.is_valid(events["used_percent"]),
        )
    )
    if ev.num_rows == 0:
        return [], notes
    ts, cum = _prefix_usd(usage, _agent_mask(usage, "codex"))
    out: list[LimitEstimate] = []
    for window, hours in WINDOW_HOURS.items():
        w = ev.filter(pc.equal(pc.fill_null(ev["window"], ""), window))
        if w.num_rows < 2:
            continue
        t = _us(w["ts"])
        p = np.asarray(w["used_percent"].to_numpy(zero_copy_only=False), dtype=np.float64)
        order = np.argsort(t, kind="stable")
        t, p = t[order], p[order]
        # Window instances: within one, the used share never falls and the readings span less
        # than the window; a fall (a reset) or a reading a window-length after the first starts
        # the next. (Reset times are not relied on: they drift with each reading in some logs.)
        length = hours * HOUR_US
        starts = [0]
        for i in range(1, len(t)):
            if p[i] < p[i - 1] - 0.05 or t[i] - t[starts[-1]] >= length:
                starts.append(i)
        bounds = np.array([*starts, len(t)], dtype=np.int64)
        dv: list[Decimal] = []
        dp: list[float] = []
        for a, b in itertools.pairwise(bounds):
            if b - a < 2 or p[b - 1] <= p[a]:
                continue
            dv.append(_value_between(ts, cum, int(t[a]), int(t[b - 1])))
            dp.append(float(p[b - 1] - p[a]))
        if not dp:
            notes.append(f"codex {window}: no window with two readings that moved")
            continue
        total_v, total_p = sum(dv, Decimal(0)), sum(dp)
        point = total_v * 100 / Decimal(str(total_p))
        if len(dp) >= 3:
            rng = np.random.default_rng(seed)
            v = np.array([float(x) for x in dv])
            q = np.array(dp)
            idx = rng.integers(0, len(dp), size=(BOOTSTRAP, len(dp)))
            ratios = 100 * v[idx].sum(axis=1) / q[idx].sum(axis=1)
            low, high = np.percentile(ratios, [5, 95])
            how = f"90% percentile bootstrap over {len(dp)} windows (seed {seed})"
        else:
            step = 1.0 if np.all(p == np.round(p)) else 0.01
            low = float(total_v) * 100 / (total_p + step * len(dp))
            high = float(total_v) * 100 / max(total_p - step * len(dp), step)
            how = f"bounds of {len(dp)} window(s) at the readings' resolution ({step:g} point)"
        out.append(
            LimitEstimate(
                agent="codex",
                window=window,
                usd=_q(point),
                low=_q(low),
                high=_q(high),
                observations=len(dp),
                method=(
                    f"Codex used_percent readings: 100 x API-equivalent value of the Codex requests between "
                    f"the first and last reading of each window / the points it moved, pooled as a ratio of "
                    f"sums over {len(dp)} window(s) ({hours} h); interval: {how}"
                ),
            )
        )
    return out, notes


def _claude(usage: Usage, events: pa.Table) -> tuple[list[LimitEstimate], list[str]]:
    notes: list[str] = []
    ev = events.filter(
        pc.and_(pc.equal(events["agent"], "claude-code"), pc.equal(events["kind"], "limit_hit"))
    )
    if ev.num_rows == 0:
        return [], notes
    mask = _agent_mask(usage, "claude-code")
    ts, cum = _prefix_usd(usage, mask)
    if len(ts) == 0:
        return [], ["claude-code limit hits but no Claude requests to measure them with"]
    out: list[LimitEstimate] = []
    labels = pc.fill_null(ev["window"], "").to_pylist()
    hit_ts = _us(ev["ts"])
    resets = ev["resets_at"].cast(pa.int64()).to_pylist()
    for window, hours in WINDOW_HOURS.items():
        length = hours * HOUR_US
        starts = block_starts(ts, group_bounds(np.zeros(len(ts), dtype=np.int64)), length)
        start_us = ts[starts]
        values: list[Decimal] = []
        for label, at, reset in zip(labels, hit_ts, resets, strict=True):
            guess = label or ("5h" if reset is not None and reset - at <= 5 * HOUR_US else "")
            if guess != window:
                continue
            i = int(np.searchsorted(start_us, at, side="right")) - 1
            if i < 0 or at >= start_us[i] + length:
                when = dt.datetime.fromtimestamp(int(at) // 1_000_000, dt.UTC)
                notes.append(
                    f"claude-code {window} hit at {when:%Y-%m-%d %H:%M} is outside every window of the "
                    "logged requests: left out"
                )
                continue
            values.append(_value_between(ts, cum, int(start_us[i]), int(at), closed=True))
        if not values:
            continue
        values.sort()
        mid = len(values) // 2
        median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
        out.append(
            LimitEstimate(
                agent="claude-code",
                window=window,
                usd=_q(median),
                low=_q(values[0]),
                high=_q(values[-1]),
                observations=len(values),
                method=(
                    "Claude Code limit hits: API-equivalent value of the Claude requests from the start of "
                    f"the {hours}-hour window holding each hit (the first request after the previous window "
                    f"closed) up to the hit; median of {len(values)} hit(s), interval min-max; a lower bound "
                    "of the limit (usage on claude.ai and other surfaces counts too and is not in these logs)"
                ),
            )
        )
    return out, notes


def _plan_with(base: Plan, estimates: list[LimitEstimate], today: dt.date) -> Plan:
    limits: list[Limit] = []
    replaced: set[str] = set()
    by_window = {e.window: e for e in estimates}
    for lim in base.limits:
        hours = int(lim.window.hours)
        window = "5h" if hours == 5 else "weekly" if hours == 168 else None
        est = by_window.get(window) if window and lim.models is None and lim.in_force(today) else None
        if est is None:
            limits.append(lim)
            continue
        replaced.add(est.window)
        limits.append(
            lim.model_copy(
                update={
                    "unit": "usd",
                    "amount": est.usd,
                    "low": est.low,
                    "high": est.high,
                    "status": "estimated",
                    "method": est.method,
                    "source": "inferonomics plans limits (the user's own logs)",
                    "checked": today,
                    "note": f"Estimated from {est.observations} observation(s) of {est.agent}.",
                }
            )
        )
    for e in estimates:
        if e.window in replaced:
            continue
        hours = WINDOW_HOURS[e.window]
        limits.append(
            Limit(
                id=e.window,
                window=Window(
                    hours=Decimal(hours),
                    semantics_status="estimated",
                    semantics_source=METHOD_SOURCE,
                    semantics_note="A block opened by the first request after the previous one closed.",
                ),
                unit="usd",
                amount=e.usd,
                low=e.low,
                high=e.high,
                status="estimated",
                method=e.method,
                source="inferonomics plans limits (the user's own logs)",
                checked=today,
                valid_from=today,
            )
        )
    return base.model_copy(update={"name": f"{base.name} (limits estimated from my logs)", "limits": limits})


def estimate_limits(
    ledger: Ledger | None = None,
    events: pa.Table | None = None,
    *,
    plan: str | None = None,
    plans: PlanCatalog | Sequence[str | Path] | None = None,
    book: PriceBook | None = None,
    seed: int = 0,
    today: dt.date | None = None,
) -> LimitEstimates:
    """Estimate the 5-hour and weekly windows' sizes (API-equivalent USD) from the agents' limit
    observations (`events`, default `ledger.events()`: Codex `used_percent` readings, Claude Code
    limit hits) against the value of the ledger's requests, and write them over `plan` (default:
    claude-max-20x for Claude hits, chatgpt-plus for Codex readings) as an estimated plan.
    `ledger` defaults to the coding-agent logs in their standard places."""
    read: list[str] = []
    if ledger is None:
        from inferonomics.plans.inputs import default_ledger

        ledger, read = default_ledger()
    if events is None:
        reader = getattr(ledger, "events", None)
        if reader is None:
            raise PlanError("these inputs carry no limit observations (the agent-log readers provide them)")
        events = reader()
    assert events is not None
    if events.num_rows == 0:
        raise PlanError(
            "no limit observations in these inputs: Codex rollouts carry used_percent readings, Claude Code "
            "transcripts the limit-hit messages"
        )
    usage = Usage.from_ledger(ledger, book=book, single=True)
    codex, n1 = _codex(usage, events, seed)
    claude, n2 = _claude(usage, events)
    estimates = claude + codex
    catalog = plans if isinstance(plans, PlanCatalog) else load_plans(list(plans or []))
    today = today or dt.date.today()
    if not estimates:
        return LimitEstimates([], None, [*n1, *n2])
    agent = estimates[0].agent
    base_id = plan or ("claude-max-20x" if agent == "claude-code" else "chatgpt-plus")
    chosen = [e for e in estimates if e.agent == agent]
    notes = [*(["read the coding-agent logs in " + ", ".join(read)] if read else []), *n1, *n2]
    if len({e.agent for e in estimates}) > 1:
        notes.append(f"estimates of both agents; the plan file holds {agent}'s (over {base_id})")
    return LimitEstimates(estimates, _plan_with(catalog.get(base_id), chosen, today), notes)
