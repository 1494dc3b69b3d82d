"""Block windows: which requests share a 5-hour session (or a week), computed for many users at
once, exact to the microsecond at the edges.

A block opens with the first request after the previous block (of the same user and limit)
closed and lasts exactly its length. With the default (Anthropic's published rule: a session
"starts with your first message ... and lasts for 5 hours") a request at exactly start + 5 h
opens the next block; `style="ccusage"` reproduces ccusage's `blocks` instead (the start floored
to the UTC hour, and a request at exactly start + 5 h kept in the block: its `>` test).

Vectorized: each request's successor block start is found for every row at once with one
`searchsorted` over (user, time) keys, then every user's chain of block starts is followed in
lockstep (one numpy step per block, across all users).

`usage_blocks` rolls a priced ledger up by block (ccusage's `blocks` report: tokens, exact cost,
burn rate); `assign_blocks` gives each row its block, start and end, for any caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inferonomics.errors import PlanError

if TYPE_CHECKING:
    from inferonomics.catalog.book import PriceBook
    from inferonomics.ledger.core import Ledger

__all__ = [
    "HOUR_US",
    "BlockAssignment",
    "BlockStyle",
    "assign_blocks",
    "block_starts",
    "group_bounds",
    "usage_blocks",
]

HOUR_US = 3_600_000_000
"""Microseconds in an hour (timestamps are int64 microseconds since the epoch, UTC)."""

BlockStyle = Literal["anthropic", "ccusage"]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
Q12 = Decimal("1e-12")
_INT64_SAFE = 2**62


def group_bounds(groups: np.ndarray) -> np.ndarray:
    """Offsets of the runs of equal values in `groups` (sorted): [0, ..., len] (length runs + 1)."""
    n = len(groups)
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    return np.concatenate(([0], change, [n])).astype(np.int64)


def block_starts(
    ts: np.ndarray,
    bounds: np.ndarray,
    length_us: int,
    *,
    anchor_hour: bool = False,
    closed_end: bool = False,
) -> np.ndarray:
    """Which rows open a block. `ts` (int64 µs) is sorted within each group; `bounds` are the
    groups' offsets (`group_bounds`). A row opens a block when it is its group's first, or the
    first at or after the previous block's end (after it, with `closed_end`). With
    `anchor_hour` a block starts at the top of its first row's UTC hour."""
    n = len(ts)
    starts = np.zeros(n, dtype=bool)
    if n == 0:
        return starts
    if length_us <= 0:
        raise PlanError(f"a window must last more than 0 µs (got {length_us})")
    ts = np.asarray(ts, dtype=np.int64)
    anchor = ts - np.mod(ts, HOUR_US) if anchor_hour else ts
    target = anchor + length_us
    nxt = _successors(ts, target, bounds, closed_end)
    first = bounds[:-1]
    ends = bounds[1:]
    live = first < ends
    cur, end = first[live], ends[live]
    while len(cur):
        starts[cur] = True
        cur = nxt[cur]
        keep = cur < end
        cur, end = cur[keep], end[keep]
    return starts


def _successors(ts: np.ndarray, target: np.ndarray, bounds: np.ndarray, closed_end: bool) -> np.ndarray:
    """For each row, the first row of its group whose time is >= its target (> with
    `closed_end`); a value at or past the group's end means none."""
    side: Literal["left", "right"] = "right" if closed_end else "left"
    sizes = np.diff(bounds)
    gid = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    lo = int(ts.min())
    span = int(target.max()) - lo + 1
    if span * max(len(sizes), 1) < _INT64_SAFE:
        # One sorted key over all groups: a target never reaches into the next group's keys.
        key = (ts - lo) + gid * span
        return np.searchsorted(key, (target - lo) + gid * span, side=side).astype(np.int64)
    out = np.empty(len(ts), dtype=np.int64)
    for g in range(len(sizes)):
        a, b = int(bounds[g]), int(bounds[g + 1])
        out[a:b] = a + np.searchsorted(ts[a:b], target[a:b], side=side)
    return out


@dataclass(frozen=True)
class BlockAssignment:
    """Each row's block (in the caller's row order) and each block's extent."""

    block: np.ndarray
    """Per row: the block's index (0..blocks-1, ordered by group then start)."""
    start_us: np.ndarray
    """Per block: start, int64 µs UTC."""
    end_us: np.ndarray
    """Per block: end (start + length), int64 µs UTC; excluded unless the style keeps it."""
    group: np.ndarray
    """Per block: the index of its group in `groups` (first-seen order of the sorted groups)."""
    order: np.ndarray
    """The permutation sorting the rows by (group, time)."""

    @property
    def blocks(self) -> int:
        """How many blocks."""
        return len(self.start_us)

    def row_start(self) -> pa.Array:
        """Each row's block start as a UTC timestamp array (caller's order)."""
        return pa.array(self.start_us[self.block], pa.timestamp("us", tz="UTC"))

    def row_end(self) -> pa.Array:
        """Each row's block end as a UTC timestamp array (caller's order)."""
        return pa.array(self.end_us[self.block], pa.timestamp("us", tz="UTC"))


def _micros(ts: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    if isinstance(ts, np.ndarray):
        return ts.astype(np.int64)
    arr = ts.combine_chunks() if isinstance(ts, pa.ChunkedArray) else ts
    if arr.null_count:
        raise PlanError("a request without a time cannot be placed in a window")
    if pa.types.is_timestamp(arr.type):
        tz = arr.type.tz
        arr = arr.cast(pa.timestamp("us", tz=tz)) if arr.type.unit != "us" else arr
    return np.asarray(arr.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def assign_blocks(
    ts: pa.Array | pa.ChunkedArray | np.ndarray,
    groups: pa.Array | pa.ChunkedArray | np.ndarray | None = None,
    *,
    hours: float | Decimal = 5,
    style: BlockStyle = "anthropic",
) -> BlockAssignment:
    """Blocks of `hours` over requests at times `ts` (UTC timestamps, or int64 µs), per group
    (a user, say; None: one group), in any row order. `style`: "anthropic" (a block starts at
    its first request; a request at exactly start + hours opens the next) or "ccusage" (start
    floored to the hour; a request at start + hours stays)."""
    t = _micros(ts)
    n = len(t)
    if groups is None:
        codes = np.zeros(n, dtype=np.int64)
    else:
        g = groups.combine_chunks() if isinstance(groups, pa.ChunkedArray) else groups
        if isinstance(g, pa.Array):
            g = pc.dictionary_encode(g.cast(pa.string()) if not pa.types.is_integer(g.type) else g)
            codes = np.asarray(g.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
            if g.indices.null_count:
                codes = np.where(np.asarray(g.indices.is_null()), -1, codes)
        else:
            codes = np.unique(np.asarray(g), return_inverse=True)[1].astype(np.int64)
    length = Decimal(str(hours)) * HOUR_US
    if length != length.to_integral_value() or length <= 0:
        raise PlanError(f"a block of {hours} hours is not a positive whole number of microseconds")
    order = np.lexsort((t, codes))
    st, sc = t[order], codes[order]
    bounds = group_bounds(sc)
    is_start = block_starts(
        st, bounds, int(length), anchor_hour=style == "ccusage", closed_end=style == "ccusage"
    )
    block_sorted = np.cumsum(is_start) - 1
    first = np.flatnonzero(is_start)
    start = st[first] - (np.mod(st[first], HOUR_US) if style == "ccusage" else 0)
    block = np.empty(n, dtype=np.int64)
    block[order] = block_sorted
    return BlockAssignment(
        block=block,
        start_us=start,
        end_us=start + int(length),
        group=sc[first],
        order=order,
    )


_COUNTS = (
    "requests",
    "input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_write_other_tokens",
    "cache_read_tokens",
    "output_tokens",
)


def usage_blocks(
    usage: Ledger | pa.Table,
    *,
    by: Sequence[str] = (),
    hours: float | Decimal = 5,
    style: BlockStyle = "anthropic",
    book: PriceBook | None = None,
    now: dt.datetime | None = None,
) -> pa.Table:
    """Usage rolled up by block (ccusage's `blocks` report), one row per block and `by` group:
    its start and end, first and last request, requests, token buckets, `cost_usd` (the exact
    API-equivalent price of its priced rows), `unpriced_requests`, and the burn rate between the
    first and last request (`tokens_per_minute`, `usd_per_hour`; null for a single instant).
    `usage` is a ledger (priced here with `book`) or a priced table (`inferonomics.price(...)`
    `.to_arrow()`). With `now`, `active` says whether the block is still open then."""
    if not isinstance(usage, pa.Table):
        from inferonomics.billing.bill import price

        usage = price(usage, book=book).to_arrow()
    missing = [c for c in ("ts", "cost_usd", *by) if c not in usage.column_names]
    if missing:
        raise PlanError(f"usage_blocks: the table has no column {', '.join(missing)}")
    group_key: pa.Array | None = None
    if by:
        parts = [pc.fill_null(usage[c].cast(pa.string()), "") for c in by]
        group_key = pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]
    a = assign_blocks(usage["ts"], group_key, hours=hours, style=style)
    ts = _micros(usage["ts"])
    tokens = np.zeros(usage.num_rows, dtype=np.int64)
    for c in _COUNTS[1:]:
        if c in usage.column_names:
            tokens += np.asarray(pc.fill_null(usage[c], 0).to_numpy(), dtype=np.int64)
    cols: dict[str, pa.Array | np.ndarray] = {
        "_block": a.block,
        "_ts": ts,
        "_tokens": tokens,
        "cost_usd": usage["cost_usd"],
        "_unpriced": pc.cast(pc.is_null(usage["cost_usd"]), pa.int64()),
    }
    for c in _COUNTS:
        if c in usage.column_names:
            cols[c] = pc.fill_null(usage[c], 0)
    for c in by:
        cols[c] = usage[c]
    t = pa.table(cols)
    sums = [(c, "sum") for c in _COUNTS if c in t.column_names] + [
        ("_tokens", "sum"),
        ("cost_usd", "sum"),
        ("_unpriced", "sum"),
        ("_ts", "min"),
        ("_ts", "max"),
    ]
    firsts = [(c, "first") for c in by]
    g = t.group_by("_block", use_threads=False).aggregate(sums + firsts).sort_by("_block")
    block = np.asarray(g["_block"].to_numpy(), dtype=np.int64)
    first = np.asarray(g["_ts_min"].to_numpy(), dtype=np.int64)
    last = np.asarray(g["_ts_max"].to_numpy(), dtype=np.int64)
    minutes = (last - first) / 60e6
    tok = np.asarray(g["_tokens_sum"].to_numpy(), dtype=np.int64)
    tpm = np.where(minutes > 0, tok / np.where(minutes > 0, minutes, 1), np.nan)
    costs = g["cost_usd_sum"].to_pylist()
    per_hour = [
        None if c is None or last[i] == first[i] else (c * HOUR_US / int(last[i] - first[i])).quantize(Q12)
        for i, c in enumerate(costs)
    ]
    ts_type = pa.timestamp("us", tz="UTC")
    out: dict[str, pa.Array] = {c: g[f"{c}_first"] for c in by}
    out |= {
        "block_start": pa.array(a.start_us[block], ts_type),
        "block_end": pa.array(a.end_us[block], ts_type),
        "first_request": pa.array(first, ts_type),
        "last_request": pa.array(last, ts_type),
    }
    out |= {c: g[f"{c}_sum"] for c in _COUNTS if f"{c}_sum" in g.column_names}
    out |= {
        "total_tokens": pa.array(tok, pa.int64()),
        "cost_usd": g["cost_usd_sum"],
        "unpriced_requests": g["_unpriced_sum"],
        "tokens_per_minute": pa.array(tpm, pa.float64(), from_pandas=True),
        "usd_per_hour": pa.array(per_hour, pa.decimal128(38, 12)),
    }
    if now is not None:
        aware = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now
        now_us = (aware - EPOCH) // dt.timedelta(microseconds=1)
        out["active"] = pa.array((a.start_us[block] <= now_us) & (now_us < a.end_us[block]))
    return pa.table(out)
