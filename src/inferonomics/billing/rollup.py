"""Rollups of a priced ledger: by any columns and a time grain, the per-user distribution,
effective $/MTok and the input:output ratio. Costs are exact: fUSD integers summed into
DECIMAL(38, 0) and turned into USD (DECIMAL(38, 15)) at the end.

A rollup is one pass over the rows. A row's rates depend only on its key (provider, model,
service tier, region) and its price cell (the period, long-context band and time-of-week slot
its rates are constant on; see `billing/engine.py`). The pass sums the token counts per key and
cell, and the small result is priced with the same rate table and the same arithmetic as the
per-row output (`Priced.rows`): pricing the sums is pricing the rows. Quarantined rows are
grouped apart and counted, never billed."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from inferonomics import arrays
from inferonomics.backend import (
    check_time_zone,
    drop_temp,
    local_time,
    temp_table,
    truncate,
    untruncate,
)
from inferonomics.billing.engine import (
    COMPONENTS,
    MISSING,
    MISSING_MODALITY,
    NO_MATCH,
    Priced,
    _Cells,
    _wide_type,
    cells_of,
    expression,
    usd,
)
from inferonomics.errors import RollupError
from inferonomics.ledger.core import Account, Ledger
from inferonomics.ledger.schema import COUNT_COLUMNS, DIMENSION_COLUMNS, INPUT_COLUMNS, TS_TYPE

if TYPE_CHECKING:
    import ibis.expr.types as ir

GRAINS = {"hour": "h", "day": "D", "week": "W", "month": "M"}
GROUPABLE = (
    "provider",
    "model",
    "service_tier",
    *DIMENSION_COLUMNS,
    "request_id",
    "price_entry",
    "match",
    "matched_model",
    "status",
    "source_file",
)
PER_ROW = ("price_entry", "match", "matched_model", "status")
"""Columns the pricing expression gives each row (a rollup by one of them reads the priced rows)."""


_names = itertools.count()


@dataclass(frozen=True)
class Rollup:
    """A rollup of a priced ledger: one row per group (by period, then most costly first) with rows,
    requests, token sums, `cost_usd` and its components in exact USD, and `unpriced_requests`; the account
    of every row read; and how many billed rows found no rate row."""

    table: pa.Table
    account: Account
    unmatched: int = 0
    """Billed rows that found no rate row (always 0: the rate table covers every key the light pass read)."""


def groupable(tags: Sequence[str] = ()) -> list[str]:
    """The columns a rollup can group by: the canonical dimensions and the ledger's tags."""
    return [*GROUPABLE, *(t for t in tags if t not in GROUPABLE)]


def _check(by: Sequence[str], grain: str | None, tags: Sequence[str] = ()) -> None:
    allowed = groupable(tags)
    unknown = [c for c in by if c not in allowed]
    if unknown:
        raise RollupError(
            f"cannot group by {', '.join(unknown)} (columns: {', '.join(allowed)}"
            + ("" if tags else "; this ledger has no extra columns (tags)")
            + ")"
        )
    if len(set(by)) != len(by):
        raise RollupError(f"a column is named twice in --by: {', '.join(by)}")
    if grain is not None and grain not in GRAINS:
        raise RollupError(f"unknown grain '{grain}' (one of: {', '.join(GRAINS)})")


def _femto_sum(femto: ir.IntegerValue, where: ir.BooleanValue, wide: bool) -> ir.DecimalValue:
    """Exact sum of fUSD amounts as DECIMAL(38, 0). DuckDB sums BIGINT into a 128-bit integer, so
    summing first and casting after is exact and much faster than casting every row."""
    total = femto.sum(where=where) if wide else femto.sum(where=where).cast(_wide_type())
    return total.fill_null(0)


def rollup(
    priced: Priced,
    by: Sequence[str] = (),
    grain: str | None = None,
    *,
    priced_only: bool = False,
    tz: str | None = None,
) -> Rollup:
    """Sums by `by` (and `period`, the start of each hour/day/week/month when `grain` is given,
    in the time zone `tz`: periods are local days, weeks and months, default UTC):
    `rows`, `requests`, token buckets, `cost_usd` and its components, `unpriced_requests`; with
    the account of the rows read. `priced_only` leaves unpriced rows out of the token sums."""
    _check(by, grain, priced.ledger.tags)
    zone = check_time_zone(tz)
    if not any(c in by for c in PER_ROW):
        result = _rollup_cells(priced, by, grain, priced_only, zone)
        if result is not None:
            return result
    return _rollup_rows(priced, by, grain, priced_only, zone)


def _rollup_cells(
    priced: Priced, by: Sequence[str], grain: str | None, priced_only: bool, tz: str | None = None
) -> Rollup | None:
    """One pass over the rows summing counts per key and price cell (and per `by` column and
    period), then the sums priced with the rate table. None when the cell grid would be too big."""
    from inferonomics.billing import plan

    planned = plan.rollup_cells(priced, by, grain, priced_only, tz)
    if planned is not None:
        return planned
    ledger, con = priced.ledger, priced.ledger.con
    rates = priced.rates
    cells = cells_of(rates)
    if cells.varies and cells.too_many(rates):
        return None
    sums = cell_sums(ledger.unique, rates, cells, by, grain, tz, con, zero=ledger.absent_counts)
    # The pass is materialised on its own: DuckDB plans the pass alone better than the pass,
    # pricing and final sums as one query (measured: 1.9 s against 2.1 s for 20M rows).
    name = f"_inferonomics_cells_{next(_names)}"
    kept = table = temp_table(con, name, sums)
    try:
        query = priced_cells(table, rates, by, grain, priced_only, con)
        result = settle(priced.ledger, query.to_pyarrow(), grain, tz)
    finally:
        drop_temp(con, name, kept)
    if result.unmatched:
        raise AssertionError(f"{result.unmatched} rows found no rate row: please report this")
    return result


def uses_missing(rates: pa.Table) -> bool:
    """Whether some rate row lacks a rate (then the cells pass tells which token classes a row uses)."""
    return any(any(rates[m].to_pylist()) for m, _, _ in (*MISSING, *MISSING_MODALITY))


def cell_sums(
    u: ir.Table,
    rates: pa.Table,
    cells: _Cells,
    by: Sequence[str],
    grain: str | None,
    tz: str | None,
    con: Any,
    var: Any = None,
    zero: Sequence[str] = (),
) -> ir.Table:
    """The rollup's pass over the rows: counts summed per key and price cell (and `by` column and
    period). `var` is passed to `_Cells.of` (the plan cache reads the cut points as variables).
    `zero` names count columns no input has (`Ledger.absent_counts`): 0 in every row, they are
    neither tested nor summed row by row (DuckDB does not see that the validated column is a
    constant; the nine modality columns of a ledger without them cost about 0.3 s of CPU over 20M rows)."""
    import ibis

    def used(column: str, bit: int) -> ir.IntegerValue:
        return ibis.literal(0) if column in zero else ibis.cases((u[column] > 0, bit), else_=0)

    groups: dict[str, ir.Value] = {
        "_ok": u._ok,
        "provider": u.provider,
        "model": u.model,
        "service_tier": u.service_tier,
        "region": u.region,
    }
    if cells.varies:
        groups["_cell"] = cells.of(u, con, var)
    if uses_missing(rates):
        # Which token classes a row uses, where a price is missing: the cell's rows must agree.
        present = [c for c in INPUT_COLUMNS if c not in zero]
        total_in = sum((u[c] for c in present[1:]), u[present[0]]) if present else ibis.literal(0)
        groups["_used"] = (
            ibis.cases((total_in > 0, 1), else_=0)
            + used("output_tokens", 2)
            + used("web_search_requests", 4)
            + sum((used(c, 8 << i) for i, (_, c, _) in enumerate(MISSING_MODALITY)), ibis.literal(0))
        )
    if grain is not None:
        groups["period"] = truncate(local_time(u.ts, tz, con), grain, con)
    groups.update({c: u[c] for c in by if c not in groups})
    sums = u.group_by(**groups).aggregate(
        rows=u.count(), requests=u.requests.sum(), **{c: u[c].sum() for c in COUNT_COLUMNS if c not in zero}
    )
    if not zero:
        return sums
    counts = {c: sums[c] if c not in zero else ibis.literal(0, "int64") for c in COUNT_COLUMNS}
    return sums.select(*groups, "rows", "requests", **counts)


def priced_cells(
    table: ir.Table,
    rates: pa.Table,
    by: Sequence[str],
    grain: str | None,
    priced_only: bool,
    con: Any,
    rate_table: ir.Table | None = None,
) -> ir.Table:
    """The final query of a cell rollup: the summed cells (`cell_sums`, materialised) priced with
    the rate table (`rate_table`: see `expression`) and summed by `by` and period."""
    if grain is not None:
        table = table.mutate(period=untruncate(table.period, con))
    # DECIMAL arithmetic: a whole ledger's tokens times a rate can exceed 64 bits.
    t = expression(table, rates, True, con, precomputed_cell=cells_of(rates).varies, rate_table=rate_table)
    return final_select(_aggregate(t, by, grain, priced_only, cell_sums=True))


def _aggregate(
    t: ir.Table,
    by: Sequence[str],
    grain: str | None,
    priced_only: bool,
    *,
    cell_sums: bool,
    wide: bool = True,
    tz: str | None = None,
    con: Any = None,
) -> ir.Table:
    """The final sums, grouped apart for quarantined rows. `cell_sums`: `t` holds pre-summed cells
    (`rows` is a count) rather than rows."""

    billed = ~t._quarantined
    if priced_only:
        billed = billed & ~t._unpriced
    ok = billed & ~t._unpriced
    groups: dict[str, ir.Value] = {"_q": t._quarantined}
    if grain is not None:
        groups["period"] = t.period if cell_sums else local_time(t.ts, tz, con).truncate(GRAINS[grain])
    groups.update({c: t[c] for c in by})
    rows = t.rows.sum() if cell_sums else t.count()
    unmatched = t.status == NO_MATCH
    return t.group_by(**groups).aggregate(
        rows=rows,
        requests=t.requests.sum(where=billed).fill_null(0),
        **{c: t[c].sum(where=billed).fill_null(0) for c in COUNT_COLUMNS},
        **{f"_{c}": _femto_sum(t[f"_c_{c}"], ok, wide) for c in COMPONENTS},
        unpriced_requests=t.requests.sum(where=billed & t._unpriced).fill_null(0),
        _unmatched=(
            t.rows.sum(where=unmatched & ~t._quarantined)
            if cell_sums
            else t.count(where=unmatched & ~t._quarantined)
        ).fill_null(0),
    )


def _rollup_rows(
    priced: Priced, by: Sequence[str], grain: str | None, priced_only: bool, tz: str | None = None
) -> Rollup:
    """The rollup priced row by row (when the cell grid would be too big, or when grouping by the
    price entry or status, which only the per-row output has)."""
    return priced.execute(
        lambda agg: _finish(priced, agg, grain, tz),
        lambda t: _aggregate(
            t, by, grain, priced_only, cell_sums=False, wide=priced.wide, tz=tz, con=priced.ledger.con
        ),
    )


def _finish(priced: Priced, agg: ir.Table, grain: str | None, tz: str | None = None) -> Rollup:
    """Execute the final aggregate, set quarantined groups apart, and settle the account."""
    return settle(priced.ledger, final_select(agg).to_pyarrow(), grain, tz)


def final_select(agg: ir.Table) -> ir.Table:
    """The final aggregate's columns: the groups, the sums and the costs in USD."""
    cost = agg._input + agg._cache_read + agg._cache_write + agg._output + agg._fees
    metrics = {"rows", "requests", *COUNT_COLUMNS, "unpriced_requests", "_unmatched"}
    groups = [c for c in agg.columns if c not in metrics and not c.startswith("_")]
    return agg.select(
        "_q",
        *groups,
        "rows",
        "requests",
        *COUNT_COLUMNS,
        cost_usd=usd(cost),
        **{f"cost_{c}_usd": usd(agg[f"_{c}"]) for c in COMPONENTS},
        unpriced_requests=agg.unpriced_requests,
        _unmatched=agg._unmatched,
    )


def settle(ledger: Ledger, table: pa.Table, grain: str | None, tz: str | None = None) -> Rollup:
    """The rollup from the final aggregate's result (`final_select`): quarantined groups set apart,
    periods typed, most costly first, and the account settled."""
    quarantined = table["_q"]  # (no NULL: it groups by a boolean of every row)
    n = sum(table["rows"].to_pylist())
    bad = sum(table.filter(quarantined)["rows"].to_pylist())
    unmatched = sum(table["_unmatched"].to_pylist())
    out = table.filter(pc.invert(quarantined)).drop_columns(["_q", "_unmatched"])
    if grain is not None:
        period = out["period"]
        if tz is None:
            period = period.cast(TS_TYPE)
        else:
            # Local wall-clock starts as instants in that zone (a repeated hour: its first pass).
            if period.type.tz is not None:
                period = period.cast(pa.timestamp("us"))
            period = pc.assume_timezone(period, tz, ambiguous="earliest", nonexistent="earliest")
            period = period.cast(pa.timestamp("us", tz=tz))
        out = out.set_column(out.schema.get_field_index("period"), "period", period)
    if "service_tier" in out.column_names:
        idx = out.schema.get_field_index("service_tier")
        standard = arrays.scalar("standard", pa.string())
        out = out.set_column(idx, "service_tier", pc.fill_null(out["service_tier"], standard))
    order = [("period", "ascending")] if grain else []
    out = out.take(pc.sort_indices(out, sort_keys=[*order, ("cost_usd", "descending")]))
    return Rollup(out, ledger.account_from(n, bad), unmatched)


@dataclass(frozen=True)
class UserDistribution:
    """How spend spreads over users."""

    users: int
    p50_usd: Decimal
    p95_usd: Decimal
    p99_usd: Decimal
    max_usd: Decimal
    top1pct_share: Decimal
    """Share of total spend carried by the top 1% of users (at least one user)."""
    top_users: pa.Table


def quantile(sorted_values: Sequence[Decimal], q: Decimal) -> Decimal:
    """Nearest-rank quantile: the value at rank ceil(q * n) (exact for Decimals)."""
    if not sorted_values:
        return Decimal(0)
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def user_distribution(priced: Priced, top: int = 10) -> UserDistribution:
    """p50 / p95 / p99 spend per user and the share of the top 1% (rows without a user skipped)."""

    import ibis

    def expr(t: ir.Table) -> ir.Table:
        t = t.filter(~t._quarantined & t.user.notnull())
        total = t._c_input + t._c_cache_read + t._c_cache_write + t._c_output + t._c_fees
        per_user = t.group_by("user").aggregate(
            requests=t.requests.sum(), _cost=_femto_sum(total, ~t._unpriced, priced.wide)
        )
        return per_user.select("user", "requests", cost_usd=usd(per_user._cost)).order_by(
            ibis.desc("cost_usd")
        )

    result = priced.execute(lambda e: e.to_pyarrow(), expr)
    costs = sorted(result["cost_usd"].to_pylist())
    n = len(costs)
    grand = sum(costs, Decimal(0))
    k = max(1, n // 100)
    top_share = (sum(costs[-k:], Decimal(0)) / grand) if grand else Decimal(0)
    return UserDistribution(
        users=n,
        p50_usd=quantile(costs, Decimal("0.5")),
        p95_usd=quantile(costs, Decimal("0.95")),
        p99_usd=quantile(costs, Decimal("0.99")),
        max_usd=costs[-1] if costs else Decimal(0),
        top1pct_share=top_share,
        top_users=result.slice(0, top),
    )


def effective_rates(totals: pa.Table) -> dict[str, Decimal | None]:
    """From a one-row total of priced rows: effective $ per million input tokens (all input
    buckets), per million output tokens, blended, and the input:output token ratio."""
    if totals.num_rows == 0:
        return {}
    row = totals.to_pylist()[0]
    input_total = sum(int(row[c]) for c in COUNT_COLUMNS[:5])
    output = int(row["output_tokens"])
    million = Decimal(1_000_000)
    cost = row["cost_usd"]

    def per_mtok(amount: Decimal, tokens: int) -> Decimal | None:
        return None if tokens == 0 else amount * million / tokens

    return {
        "input_usd_per_mtok": per_mtok(
            row["cost_input_usd"] + row["cost_cache_read_usd"] + row["cost_cache_write_usd"], input_total
        ),
        "output_usd_per_mtok": per_mtok(row["cost_output_usd"], output),
        "blended_usd_per_mtok": per_mtok(cost, input_total + output),
        "input_output_ratio": None if output == 0 else Decimal(input_total) / Decimal(output),
    }
