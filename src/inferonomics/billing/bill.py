"""The public billing API: price a ledger row by row, bill it (rollups as Arrow tables), summarise it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from inferonomics.billing.engine import COMPONENTS, Priced
from inferonomics.billing.engine import price as _price
from inferonomics.billing.rollup import UserDistribution, effective_rates, rollup, user_distribution
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Account, Ledger
from inferonomics.ledger.schema import COUNT_COLUMNS


@dataclass(frozen=True)
class Bill:
    """A bill: the rollup table, the account of every row read, and the priced ledger."""

    table: pa.Table
    account: Account
    priced: Priced

    def quarantine(self, limit: int | None = None) -> pa.Table:
        """Every row of the billed ledger that was quarantined (while parsing, by validation, or as a
        duplicate request id): file, line, field and reason, sorted by file and line; at most `limit` rows
        when given."""
        return self.priced.ledger.quarantine(limit)


def price(ledger: Ledger, *, book: PriceBook | None = None) -> Priced:
    """The ledger priced row by row (lazily: nothing runs until a result is asked for).
    `Priced.to_arrow()` gives every row with its cost components, price entry and status;
    `Priced.account()` where every row read went. `book` defaults to the packaged price book."""
    return _price(ledger, book or PriceBook.load())


def bill(
    ledger: Ledger,
    *,
    book: PriceBook | None = None,
    by: Sequence[str] = (),
    grain: str | None = None,
    tz: str | None = None,
) -> Bill:
    """Price a ledger and roll it up by `by` columns (canonical dimensions or the ledger's tags)
    and an optional time grain (hour, day, week, month), its periods local to the time zone `tz`
    (an IANA name; default UTC). `book` defaults to the packaged book."""
    priced = _price(ledger, book or PriceBook.load())
    result = rollup(priced, by, grain, tz=tz)
    return Bill(table=result.table, account=result.account, priced=priced)


@dataclass(frozen=True)
class Summary:
    """Everything the terminal summary shows, as data."""

    account: Account
    span: tuple[Any, Any]
    totals: dict[str, Any]
    by_provider: pa.Table
    by_model: pa.Table
    by_feature: pa.Table
    by_tier: pa.Table
    users: UserDistribution
    effective: dict[str, Decimal | None]
    unpriced: pa.Table
    quarantine: pa.Table
    layers: list[str]
    by: dict[str, pa.Table]
    """Breakdowns by the extra columns asked for (`summarize(..., by=[...])`), by name."""


_SUMS = (
    "rows",
    "requests",
    *COUNT_COLUMNS,
    "cost_usd",
    *(f"cost_{c}_usd" for c in COMPONENTS),
    "unpriced_requests",
)


def regroup(table: pa.Table, keys: list[str]) -> pa.Table:
    """A finer rollup summed up to `keys` (in Arrow: no new pass over the data)."""
    if keys:
        grouped = table.group_by(keys).aggregate([(c, "sum") for c in _SUMS])
    else:
        grouped = pa.table({f"{c}_sum": [pc.sum(table[c]).as_py()] for c in _SUMS})
    names = {f"{c}_sum": c for c in _SUMS}
    grouped = grouped.rename_columns([names.get(n, n) for n in grouped.column_names])
    order = pc.sort_indices(grouped, sort_keys=[("cost_usd", "descending")])
    return grouped.take(order).select([*keys, *_SUMS])


def summarize(
    ledger: Ledger,
    book: PriceBook | None = None,
    *,
    by: Sequence[str] = (),
    top_users: int = 10,
    quarantine_sample: int = 10,
) -> Summary:
    """Price a ledger and gather the totals, breakdowns and distributions of the summary; `by`
    adds a breakdown by each of those columns (a tag such as team or project, say)."""
    book = book or PriceBook.load()
    priced = _price(ledger, book)
    base_keys = ["provider", "model", "feature", "service_tier"]
    extra = [c for c in dict.fromkeys(by) if c not in base_keys]
    base = rollup(priced, [*base_keys, *extra])
    priced_only = rollup(priced, priced_only=True)

    def unpriced_expr(t: Any) -> Any:
        u = t.filter(t._unpriced)
        return u.group_by("status").aggregate(requests=u.requests.sum(), rows=u.count()).order_by("status")

    unpriced = priced.execute(lambda e: e.to_pyarrow(), unpriced_expr)
    totals = regroup(base.table, []).to_pylist()[0] if base.table.num_rows else {}
    keys = ledger.keys()
    return Summary(
        account=base.account,
        span=(keys.ts_min, keys.ts_max),
        totals=totals,
        by_provider=regroup(base.table, ["provider"]),
        by_model=regroup(base.table, ["provider", "model"]),
        by_feature=regroup(base.table, ["feature"]),
        by_tier=regroup(base.table, ["service_tier"]),
        users=user_distribution(priced, top=top_users),
        effective=effective_rates(priced_only.table),
        unpriced=unpriced,
        quarantine=ledger.quarantine(limit=quarantine_sample)
        if base.account.rows_quarantined
        else pa.table({}),
        layers=list(book.layers),
        by={c: regroup(base.table, [c]) for c in dict.fromkeys(by)},
    )
