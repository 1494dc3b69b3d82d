"""Usage reports by period and by session, the way coding-agent users read them.

A report is a bill of the ledger (every row priced by the billing engine at the prices in force
at its instant, money exact) rolled up by a local period — the day, week (from Monday) or month in
the user's time zone — or by session, with the models each period or session used. `since` and
`until` are local dates, both included. Rows outside them are left out of the report, and the
account still says where every row read went.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import pyarrow as pa

from inferonomics import arrays
from inferonomics.backend import check_time_zone
from inferonomics.billing.bill import bill
from inferonomics.catalog.book import PriceBook
from inferonomics.errors import OptionError
from inferonomics.ledger.core import Account, Ledger
from inferonomics.ledger.schema import COUNT_COLUMNS, INPUT_COLUMNS, TOKEN_COLUMNS

__all__ = ["PERIODS", "AgentBlocks", "AgentReport", "agent_blocks", "agent_usage"]

Period = Literal["day", "week", "month", "session"]
PERIODS: tuple[Period, ...] = ("day", "week", "month", "session")
KEY = {"day": "date", "week": "week", "month": "month", "session": "session"}
"""The name of each report's first column."""

_SUMS = ("requests", *COUNT_COLUMNS, "cost_usd", "unpriced_requests")


@dataclass(frozen=True)
class AgentReport:
    """Usage by period or session: one row per period (or session) and group, with the token
    buckets, `total_tokens`, `requests`, `cost_usd` (exact), `unpriced_requests` and `models`."""

    period: Period
    tz: str | None
    """The time zone of the periods (None: UTC)."""
    by: list[str]
    rows: list[dict[str, Any]]
    account: Account
    since: dt.date | None = None
    until: dt.date | None = None
    rows_outside: int = 0
    """Rows read and billed but outside `since` / `until`."""
    notes: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, Any]:
        """The sums over every row of the report (token buckets, requests, cost, unpriced)."""
        out: dict[str, Any] = {c: 0 for c in _SUMS if c != "cost_usd"}
        out["cost_usd"] = Decimal(0)
        out["total_tokens"] = 0
        for r in self.rows:
            for c in (*_SUMS, "total_tokens"):
                out[c] += r[c]
        return out

    def table(self) -> pa.Table:
        """The rows as an Arrow table (`models` as a list column)."""
        return pa.Table.from_pylist(self.rows)


def _local_bounds(
    since: dt.date | None, until: dt.date | None, tz: str | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The UTC instants (naive) where the local day `since` starts and the day after `until` starts."""
    zone = zoneinfo.ZoneInfo(tz) if tz else dt.UTC

    def start(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    return (
        start(since) if since is not None else None,
        start(until + dt.timedelta(days=1)) if until is not None else None,
    )


def _label(value: Any, period: Period, tz: str | None) -> str:
    """A period start as the report shows it: a day or a week (by its Monday) as `2026-10-05`, a
    month as `2026-10`, in the report's time zone; a session by its id."""
    if period == "session":
        return "–" if value is None else str(value)
    local = value.astimezone(zoneinfo.ZoneInfo(tz)) if tz else value.astimezone(dt.UTC)
    if period == "month":
        return f"{local:%Y-%m}"
    return f"{local:%Y-%m-%d}"


def agent_usage(
    ledger: Ledger,
    period: Period = "day",
    *,
    tz: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    by: Sequence[str] = (),
    book: PriceBook | None = None,
) -> AgentReport:
    """Usage at API prices by local day, week or month (or by session), with the models used;
    `by` splits each period by columns (project, model, agent... any column or tag)."""
    if period not in PERIODS:
        raise OptionError(f"unknown report period {period!r} (one of: {', '.join(PERIODS)})")
    zone = check_time_zone(tz)
    if since is not None and until is not None and since > until:
        raise OptionError(f"--since {since} is after --until {until}")
    keys = [c for c in dict.fromkeys(by) if c != "model"]
    lo, hi = _local_bounds(since, until, zone)
    scoped = ledger
    outside = 0
    if lo is not None or hi is not None:
        import ibis  # (here: a report of every day bills from the plan cache, without Ibis)

        r = ledger.rows
        keep = ibis.literal(True)
        if lo is not None:
            keep = keep & (r.ts >= lo)
        if hi is not None:
            keep = keep & (r.ts < hi)
        counted = r.aggregate(n=r.count(), kept=keep.cast("int64").sum()).to_pyarrow().to_pylist()[0]
        outside = int(counted["n"]) - int(counted["kept"] or 0)
        scoped = ledger.derived(r.filter(keep), name="<in range>")
    group = ["session", *keys] if period == "session" else keys
    result = bill(
        scoped, book=book, by=[*group, "model"], grain=None if period == "session" else period, tz=zone
    )
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in arrays.pylist(result.table):
        head = r["session"] if period == "session" else r["period"]
        k = (head, *(r[c] for c in keys))
        row = merged.get(k)
        if row is None:
            row = {KEY[period]: _label(head, period, zone), **{c: r[c] for c in keys}}
            row.update({c: 0 for c in _SUMS if c != "cost_usd"}, cost_usd=Decimal(0), models=[])
            row["_sort"] = head
            merged[k] = row
        for c in _SUMS:
            row[c] += r[c]
        if r["model"] not in row["models"]:
            row["models"].append(r["model"])
    rows = []
    for row in merged.values():
        row["total_tokens"] = sum(int(row[c]) for c in (*INPUT_COLUMNS, "output_tokens"))
        row["models"] = sorted(row["models"])
        rows.append(row)
    if period == "session":
        rows = _with_session_times(scoped, rows, keys)
        rows.sort(key=lambda r: (r["last_activity"] or dt.datetime.min.replace(tzinfo=dt.UTC), r["session"]))
    else:
        rows.sort(key=lambda r: (r["_sort"], *(str(r[c]) for c in keys)))
    for row in rows:
        row.pop("_sort", None)
        ordered = {KEY[period]: row.pop(KEY[period]), **{c: row.pop(c) for c in keys}}
        ordered.update(row)
        row.clear()
        row.update(ordered)
    return AgentReport(
        period=period,
        tz=zone,
        by=keys,
        rows=_reorder(rows, period, keys),
        account=result.account,
        since=since,
        until=until,
        rows_outside=outside,
    )


def _with_session_times(ledger: Ledger, rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """Each session's first and last activity (UTC instants)."""
    r = ledger.rows
    spans = (
        r.group_by("session")
        .aggregate(first_activity=r.ts.min(), last_activity=r.ts.max())
        .to_pyarrow()
        .to_pylist()
    )
    times = {s["session"]: s for s in spans}
    for row in rows:
        span = times.get(row["_sort"], {})
        for name in ("first_activity", "last_activity"):
            value = span.get(name)
            row[name] = value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value
    return rows


def _reorder(rows: list[dict[str, Any]], period: Period, keys: list[str]) -> list[dict[str, Any]]:
    """The columns in reading order: the period or session, the groups, tokens, cost, models."""
    head = [KEY[period], *keys]
    if period == "session":
        head += ["first_activity", "last_activity"]
    order = [*head, "requests", *TOKEN_COLUMNS, "web_search_requests", "total_tokens", "cost_usd"]
    order += ["unpriced_requests", "models"]
    return [{c: r[c] for c in order} for r in rows]


@dataclass(frozen=True)
class AgentBlocks:
    """Usage by 5-hour block (`agents blocks`): one row per block with its start and end, first
    and last request, tokens, exact cost, burn rate, and for the block still open at `now` a
    projection to its end at the current rate."""

    style: str
    """`anthropic` (a block opens at the first request after the previous one closed) or
    `ccusage` (ccusage's: the start floored to the hour)."""
    hours: Decimal
    now: dt.datetime
    table: pa.Table
    account: Account
    active: dict[str, Any] | None = None
    by: tuple[str, ...] = ()
    """The columns each block is split by (`by` of `agent_blocks`)."""
    """The block open at `now`, with `projected_cost_usd` and `projected_total_tokens` at its end
    if the burn rate between its first and last request holds, and `minutes_left`."""


def agent_blocks(
    ledger: Ledger,
    *,
    hours: Decimal | int = 5,
    style: Literal["anthropic", "ccusage"] = "anthropic",
    now: dt.datetime | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    tz: str | None = None,
    by: Sequence[str] = (),
    book: PriceBook | None = None,
) -> AgentBlocks:
    """Usage by block (see `plans.windows` for the block rules), with the active block's
    projection: its cost and tokens so far, plus the burn rate between its first and last
    request times the time left until it closes."""
    from inferonomics.billing.bill import price
    from inferonomics.plans.windows import usage_blocks

    zone = check_time_zone(tz)
    when = now or dt.datetime.now(dt.UTC)
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    priced = price(ledger, book=book)
    rows = priced.to_arrow()
    lo, hi = _local_bounds(since, until, zone)
    if lo is not None or hi is not None:
        import pyarrow.compute as pc

        ts = pc.field("ts")
        if lo is not None:
            rows = rows.filter(ts >= pa.scalar(lo.replace(tzinfo=dt.UTC), rows["ts"].type))
        if hi is not None:
            rows = rows.filter(ts < pa.scalar(hi.replace(tzinfo=dt.UTC), rows["ts"].type))
    table = usage_blocks(rows, by=list(by), hours=Decimal(hours), style=style, now=when)
    active = None
    if "active" in table.column_names:
        for r in arrays.pylist(table):
            if not r["active"]:
                continue
            left = r["block_end"] - when
            minutes_left = Decimal(int(left.total_seconds())) / 60
            rate = r["usd_per_hour"]
            tpm = r["tokens_per_minute"]
            active = {
                **r,
                "minutes_left": minutes_left,
                "projected_cost_usd": None if rate is None else r["cost_usd"] + rate * minutes_left / 60,
                "projected_total_tokens": None
                if tpm is None
                else r["total_tokens"] + int(tpm * float(minutes_left)),
            }
    return AgentBlocks(style, Decimal(hours), when, table, priced.account(), active, tuple(by))
