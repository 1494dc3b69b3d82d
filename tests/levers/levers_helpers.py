"""Helpers for the levers' tests: small ledgers built from rows, and the plain reference replays
the columnar engine is checked against (readable loops, not the code under test)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import COUNT_COLUMNS

T0 = dt.datetime(2026, 10, 5, 12, 0, tzinfo=dt.UTC)
"""A Monday, 12:00 UTC (no DeepSeek peak window, late-2026 prices)."""


def make_ledger(rows: Sequence[dict[str, Any]]) -> Ledger:
    """A ledger from rows: counts default to 0, `at` (seconds after T0) sets the time."""
    full = []
    for i, r in enumerate(rows):
        row: dict[str, Any] = dict.fromkeys(COUNT_COLUMNS, 0)
        row.update({"request_id": f"r{i}", "requests": 1, "service_tier": "standard", "ts": T0})
        row.update({k: v for k, v in r.items() if k != "at"})
        if "at" in r:
            row["ts"] = T0 + dt.timedelta(seconds=r["at"])
        full.append(row)
    return Ledger.from_arrow(pa.Table.from_pylist(full), name="test")


def reference_ttl(requests: Sequence[tuple[float, Sequence[int]]], ttl: float) -> list[int]:
    """The replay as a plain loop: requests in time order (ties in list order); a block is alive
    when its last use is at most `ttl` before; a request reads the prefix of alive blocks and
    then uses all its blocks."""
    order = sorted(range(len(requests)), key=lambda i: requests[i][0])
    last: dict[int, float] = {}
    hits = [0] * len(requests)
    for i in order:
        t, blocks = requests[i]
        n = 0
        for b in blocks:
            if b in last and t - last[b] <= ttl:
                n += 1
            else:
                break
        hits[i] = n
        for b in blocks:
            last[b] = t
    return hits


def reference_lru(requests: Sequence[tuple[float, Sequence[int]]], capacity: int) -> list[int]:
    """An LRU cache of `capacity` blocks as a plain ordered dict."""
    order = sorted(range(len(requests)), key=lambda i: requests[i][0])
    cache: OrderedDict[int, None] = OrderedDict()
    hits = [0] * len(requests)
    for i in order:
        prefix, n = True, 0
        for b in requests[i][1]:
            if b in cache:
                cache.move_to_end(b)
                n += prefix
            else:
                prefix = False
                cache[b] = None
                if len(cache) > capacity:
                    cache.popitem(last=False)
        hits[i] = n
    return hits
