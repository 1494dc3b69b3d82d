"""Requests as the window replay reads them: one compact columnar table per population, sorted
by subscriber then time, each request with its API-equivalent value priced by the billing engine.

Money stays exact: a request's value is its price in integer femto-dollars (1 fUSD = 1e-15 USD,
the billing engine's own unit), carried as two int64 parts, whole pico-dollars and the femto
remainder (0-999), so sums over a month of a heavy subscriber cannot overflow and every
comparison with a limit is exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inferonomics.errors import PlanError

if TYPE_CHECKING:
    from inferonomics.catalog.book import PriceBook
    from inferonomics.ledger.core import Ledger

__all__ = [
    "FEMTO",
    "POPULATION_COLUMNS",
    "Usage",
    "exact_sum",
    "femto_of",
    "split",
    "sum_runs",
    "to_usd",
]

FEMTO = Decimal("1e-15")
POPULATION_COLUMNS = ("user", "tenant", "session")
"""Who a subscriber is, in order of preference, when the caller does not say."""
_IN = ("input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_write_other_tokens")


def femto_of(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A DECIMAL money column (scale <= 15, non-negative, nulls as 0) as int64 femto-dollars, exactly."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not pa.types.is_decimal(arr.type) or arr.type.scale > 15:
        raise PlanError(f"money must be a DECIMAL column with at most 15 decimals (got {arr.type})")
    arr = pc.fill_null(arr, Decimal(0)).cast(pa.decimal128(38, 15))
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset : 2 * (arr.offset + len(arr))]
    low, high = words[0::2], words[1::2]
    if len(arr) and (high.any() or (low < 0).any()):
        raise PlanError("a request's value is negative or above $9,223: cannot be replayed")
    return low.copy()


def split(fusd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """fUSD as (whole pico-dollars, femto remainder 0-999)."""
    return fusd // 1000, fusd % 1000


def to_usd(pico: int, femto: int = 0) -> Decimal:
    """Exact USD from a sum of pico-dollars and a sum of femto remainders."""
    return (Decimal(int(pico)) * 1000 + Decimal(int(femto))) * FEMTO


def sum_runs(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Integer sums of `x` over the runs given by `bounds` offsets (an empty run sums to 0)."""
    starts = bounds[:-1]
    out = np.zeros(len(starts), dtype=np.int64)
    nonempty = starts < bounds[1:]
    if nonempty.any():
        out[nonempty] = np.add.reduceat(x, starts[nonempty])
    return out


def exact_sum(pico: np.ndarray, femto: np.ndarray, bounds: np.ndarray | None = None) -> list[Decimal]:
    """Exact USD sums of (pico, femto) parts: one total, or one per run of `bounds` offsets."""
    if bounds is None:
        return [to_usd(int(pico.sum()), int(femto.sum()))]
    p, f = sum_runs(pico, bounds), sum_runs(femto, bounds)
    return [to_usd(int(a), int(b)) for a, b in zip(p, f, strict=True)]


@dataclass
class Usage:
    """Priced requests sorted by subscriber then time: the replay's input."""

    subscribers: list[str]
    """Subscriber labels; `sub` indexes them."""
    sub: np.ndarray
    """Per request: the subscriber's index (sorted ascending)."""
    ts: np.ndarray
    """Per request: int64 µs since the epoch, UTC (sorted within a subscriber)."""
    pico: np.ndarray
    """Per request: API-equivalent value, whole pico-dollars."""
    femto: np.ndarray
    """Per request: the femto-dollar remainder (0-999)."""
    requests: np.ndarray
    """Per row: requests it stands for (a pre-aggregated row counts several)."""
    tokens_in: np.ndarray
    """Per row: uncached input and cache writes (prefilled tokens)."""
    tokens_cached: np.ndarray
    """Per row: cache reads."""
    tokens_out: np.ndarray
    """Per row: output tokens (reasoning included)."""
    model: np.ndarray
    """Per row: index into `models`."""
    models: list[str]
    """provider/model keys."""
    population_column: str | None = None
    """The ledger column the subscribers come from (None: one subscriber, the whole ledger)."""
    unpriced_requests: int = 0
    """Requests the price book could not value (left out of the replay, counted here)."""
    source: pa.Table | None = field(default=None, repr=False)
    """The priced rows behind it, in the same order (for re-pricing and tags)."""

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def tokens(self) -> np.ndarray:
        """Per row: every token bucket."""
        total: np.ndarray = self.tokens_in + self.tokens_cached + self.tokens_out
        return total

    @property
    def bounds(self) -> np.ndarray:
        """Offsets of each subscriber's rows: [0, ..., len] (length subscribers + 1)."""
        return np.searchsorted(self.sub, np.arange(len(self.subscribers) + 1)).astype(np.int64)

    def span_days(self) -> int:
        """UTC calendar days from the first request's day to the last's, inclusive (0 when empty)."""
        if len(self.ts) == 0:
            return 0
        first = dt.datetime.fromtimestamp(int(self.ts.min()) / 1e6, dt.UTC).date()
        last = dt.datetime.fromtimestamp(int(self.ts.max()) / 1e6, dt.UTC).date()
        return (last - first).days + 1

    def first_day(self) -> dt.date | None:
        """The first request's UTC day."""
        if len(self.ts) == 0:
            return None
        return dt.datetime.fromtimestamp(int(self.ts.min()) // 1_000_000, dt.UTC).date()

    def total_usd(self) -> Decimal:
        """The API-equivalent value of every request, exact."""
        return exact_sum(self.pico, self.femto)[0]

    @classmethod
    def from_priced(
        cls,
        priced: pa.Table,
        *,
        by: str | None = None,
        population_column: str | None = None,
    ) -> Usage:
        """From a priced table (`inferonomics.price(...).to_arrow()`): subscribers from column `by`
        (None: one subscriber, "all"). Unpriced rows are left out and counted."""
        if by is not None and by not in priced.column_names:
            raise PlanError(f"the usage has no column {by!r} to tell subscribers apart")
        unpriced_mask = pc.is_null(priced["cost_usd"])
        unpriced = int(pc.sum(pc.if_else(unpriced_mask, priced["requests"], 0)).as_py() or 0)
        priced = priced.filter(pc.invert(unpriced_mask))
        labels = (
            pc.fill_null(priced[by].cast(pa.string()), "(none)")
            if by is not None
            else pa.array(["all"] * priced.num_rows, pa.string())
        )
        if isinstance(labels, pa.ChunkedArray):
            labels = labels.combine_chunks()
        enc = pc.dictionary_encode(labels) if priced.num_rows else None
        names = enc.dictionary.to_pylist() if enc is not None else []
        order_names = np.argsort(np.array(names, dtype=object)) if names else np.zeros(0, np.int64)
        rank = np.empty(len(names), dtype=np.int64)
        rank[order_names] = np.arange(len(names))
        codes = rank[np.asarray(enc.indices.to_numpy(), dtype=np.int64)] if enc is not None else np.zeros(0)
        ts = np.asarray(priced["ts"].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy(), np.int64)
        order = np.lexsort((ts, codes))
        priced = priced.take(pa.array(order))
        fusd = femto_of(priced["cost_usd"])
        p, f = split(fusd)
        keys = pc.binary_join_element_wise(
            pc.utf8_lower(priced["provider"]), pc.utf8_lower(priced["model"]), "/"
        ).combine_chunks()
        kenc = pc.dictionary_encode(keys) if priced.num_rows else None

        def col(name: str) -> np.ndarray:
            return np.asarray(pc.fill_null(priced[name], 0).to_numpy(), dtype=np.int64)

        return cls(
            subscribers=[names[i] for i in order_names] if names else [],
            sub=codes[order].astype(np.int64),
            ts=ts[order],
            pico=p,
            femto=f,
            requests=col("requests"),
            tokens_in=sum((col(c) for c in _IN), np.zeros(priced.num_rows, dtype=np.int64)),
            tokens_cached=col("cache_read_tokens"),
            tokens_out=col("output_tokens"),
            model=np.asarray(kenc.indices.to_numpy(), dtype=np.int64) if kenc else np.zeros(0, np.int64),
            models=kenc.dictionary.to_pylist() if kenc else [],
            population_column=population_column if population_column is not None else by,
            unpriced_requests=unpriced,
            source=priced,
        )

    @classmethod
    def from_ledger(
        cls,
        ledger: Ledger,
        *,
        book: PriceBook | None = None,
        by: str | None = None,
        single: bool = False,
    ) -> Usage:
        """Price a ledger and read it as subscribers: `single` for one subscriber (a user's own
        logs), else the column `by`, else the first of user, tenant, session with a value."""
        from inferonomics.billing.bill import price

        priced = price(ledger, book=book).to_arrow()
        if single:
            return cls.from_priced(priced, by=None)
        column = by or population_column(priced)
        return cls.from_priced(priced, by=column)

    def subset(self, keep: np.ndarray) -> Usage:
        """The rows where `keep` holds (order kept; subscribers kept even when left empty)."""
        if keep.all():
            return self
        return Usage(
            subscribers=self.subscribers,
            sub=self.sub[keep],
            ts=self.ts[keep],
            pico=self.pico[keep],
            femto=self.femto[keep],
            requests=self.requests[keep],
            tokens_in=self.tokens_in[keep],
            tokens_cached=self.tokens_cached[keep],
            tokens_out=self.tokens_out[keep],
            model=self.model[keep],
            models=self.models,
            population_column=self.population_column,
            unpriced_requests=self.unpriced_requests,
            source=self.source.filter(pa.array(keep)) if self.source is not None else None,
        )


def population_column(priced: pa.Table, candidates: Sequence[str] = POPULATION_COLUMNS) -> str:
    """The first of `candidates` with a value in some row: who the subscribers are."""
    for c in candidates:
        if c in priced.column_names and priced[c].null_count < priced.num_rows:
            return c
    raise PlanError(
        f"the usage names no subscribers (no value in {', '.join(candidates)}): pass --by COLUMN, "
        "or replay it as one subscriber"
    )
