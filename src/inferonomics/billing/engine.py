"""Pricing a ledger: one vectorized Ibis expression, executed on DuckDB by default.

1. A light pass finds the ledger's distinct (provider, model, service_tier, region) keys and its
   time span (`Ledger.keys`).
2. The price book is tabulated for those keys (`billing/rates.py`): rate rows, each valid over an
   interval of time, of the time of week and of the request's total input.
3. The ledger joins the rate table by equality only. Every cut point of those three coordinates
   over the whole table is known, so each row's cell (period, input band, time-of-week slot) is
   computed from its own columns, and the rate table is expanded to one row per key and cell.
   (Range predicates in a join are several times slower in DuckDB; see benchmarks/bill.py.)
4. Each row gets its cost components by integer arithmetic in femto-dollars (exact; 1 fUSD =
   1e-15 USD), its price entry and a status: `priced`, or `unpriced: <reason>` (unknown model, no
   batch price, no price in force...). Unpriced rows are counted apart, never priced at $0;
   invalid rows (a bad value of their own, or an invalid key) are quarantined.

Integer overflow cannot pass silently: DuckDB checks every BIGINT product and sum (an overflow is
an error, and `price` then re-runs the expression with DECIMAL(38) arithmetic); on other backends
the DECIMAL arithmetic is used from the start.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from inferonomics import cache
from inferonomics.arrays import column
from inferonomics.backend import backend_name, small_table, time_of_week, whole_division
from inferonomics.billing.rates import (
    BAND_MAX,
    KEY_COLUMNS,
    RATE_COLUMNS,
    TS_MAX,
    TS_MIN,
    WEEK_SECONDS,
    Key,
    tabulate,
)
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Account, Ledger
from inferonomics.ledger.schema import INPUT_COLUMNS, MODALITIES, MODALITY_BUCKETS, MODALITY_PARTS, TS_TYPE

if TYPE_CHECKING:
    import ibis.expr.datatypes as dt
    import ibis.expr.types as ir

FEMTO = Decimal("1E-15")
RATE_MODULES = (
    "inferonomics.billing.rates",
    "inferonomics.catalog.book",
    "inferonomics.catalog.schema",
    "inferonomics.catalog.matching",
    "inferonomics.catalog.show",  # match_kind: the rate table's match column
    "inferonomics.ledger.validate",
)
"""The code a rate table comes from (beside the book's data): a change to it is a new cache key."""
MAX_CELL_ROWS = 500_000
"""Largest expanded rate table the cell join uses; beyond it the join uses range predicates."""

NO_MATCH = "unpriced: no rate row matched (please report this)"

COMPONENTS = ("input", "cache_read", "cache_write", "output", "fees")
"""Cost components of every priced row (`cost_<component>_usd`), adding up to `cost_usd`."""

MISSING = (
    ("m_input", "input_tokens", "input"),
    ("m_cache_read", "cache_read_tokens", "cache read"),
    ("m_cache_write_5m", "cache_write_5m_tokens", "cache write 5m"),
    ("m_cache_write_1h", "cache_write_1h_tokens", "cache write 1h"),
    ("m_cache_write_other", "cache_write_other_tokens", "cache write"),
    ("m_output", "output_tokens", "output"),
    ("m_reasoning", "reasoning_tokens", "reasoning"),
    ("m_web_search", "web_search_requests", "web search"),
)
"""(missing-rate flag, count column, what the unpriced status names): `no <what> price for ...`."""

MISSING_MODALITY = tuple(
    (f"m_{b}_{m}", f"{b}_{m}_tokens", f"{m} {b.replace('_', ' ')}")
    for b in MODALITY_BUCKETS
    for m in MODALITIES
)
"""The same for modality parts: `unpriced: no audio input rate for ...` (never priced as text)."""

T = TypeVar("T")


def __getattr__(name: str) -> Any:
    # The Ibis types of money (imported on first use: see `billing/plan.py`).
    if name in ("USD", "WIDE"):
        return _usd_type() if name == "USD" else _wide_type()
    raise AttributeError(name)


def _usd_type() -> dt.Decimal:
    """Exact USD: DECIMAL(38, 15)."""
    import ibis.expr.datatypes as dt

    return dt.Decimal(38, 15)


def _wide_type() -> dt.Decimal:
    """Whole fUSD beyond 64 bits: DECIMAL(38, 0)."""
    import ibis.expr.datatypes as dt

    return dt.Decimal(38, 0)


def usd(femto: ir.NumericValue) -> ir.DecimalValue:
    """An amount in fUSD (integer) as exact USD, DECIMAL(38, 15)."""
    import ibis

    return femto.cast(_wide_type()) * ibis.literal(FEMTO, _usd_type())


def is_overflow(error: BaseException) -> bool:
    """Whether a query failed on a 64-bit integer overflow (DuckDB's message names INT64 or BIGINT): the
    cue to rerun it with DECIMAL arithmetic."""
    return "Overflow" in str(error) and ("INT64" in str(error) or "BIGINT" in str(error))


class Priced:
    """A ledger with its prices. `table` (per-row, built on first use) has every row that passed
    parsing, with `_quarantined` (a bad value or an invalid key), `_unpriced`, `price_entry`,
    `match` and `matched_model` (how the row's model name met the book, and the entry it is priced
    as), `status` and the internal fUSD cost columns `_c_<component>`. Rollups do not need it: they
    price pre-aggregated cells (see `billing/rollup.py`)."""

    def __init__(self, ledger: Ledger, book: PriceBook) -> None:
        self.ledger = ledger
        self.book = book
        self.wide = backend_name(ledger.con) != "duckdb"  # only DuckDB checks int64 overflow for us

    @cached_property
    def rates(self) -> pa.Table:
        """The rate table for the ledger's keys and time span."""
        keys = self.ledger.keys()
        return rates_for(self.book, keys.table, keys.ts_min, keys.ts_max)

    @cached_property
    def table(self) -> ir.Table:
        """The per-row pricing expression (built on first use, rebuilt with DECIMAL arithmetic after an
        overflow); see the class docstring for its columns."""
        return expression(self.ledger.unique, self.rates, self.wide, self.ledger.con)

    def execute(self, run: Callable[[ir.Table], T], expr: Callable[[ir.Table], ir.Table]) -> T:
        """Run `run(expr(table))`; on an int64 overflow, rebuild with DECIMAL arithmetic and rerun."""
        try:
            return run(expr(self.table))
        except Exception as e:
            if self.wide or not is_overflow(e):
                raise
            self.wide = True
            for name in ("table", "rows"):
                self.__dict__.pop(name, None)
            return run(expr(self.table))

    @cached_property
    def rows(self) -> ir.Table:
        """Per-row output of the billed rows: canonical columns, `price_entry`, `match`,
        `matched_model`, `status`,
        `cost_*_usd` (DECIMAL; NULL when unpriced)."""
        import ibis

        t = self.table
        t = t.filter(~t._quarantined)

        def guarded(femto: ir.NumericValue) -> ir.DecimalValue:
            return ibis.cases((t._unpriced, ibis.null(_usd_type())), else_=usd(femto))

        costs = {f"cost_{c}_usd": guarded(t[f"_c_{c}"]) for c in COMPONENTS}
        total = t._c_input + t._c_cache_read + t._c_cache_write + t._c_output + t._c_fees
        keep = [c for c in t.columns if not c.startswith("_")]
        return t.select(*keep, **costs, cost_usd=guarded(total))

    def to_arrow(self) -> pa.Table:
        """The priced rows as Arrow (timestamps UTC)."""
        out = self.execute(lambda e: e.to_pyarrow(), lambda _: self.rows)
        out = out.set_column(out.schema.get_field_index("ts"), "ts", out["ts"].cast(TS_TYPE))
        tier = out.schema.get_field_index("service_tier")
        return out.set_column(tier, "service_tier", pc.fill_null(out["service_tier"], "standard"))

    def account(self) -> Account:
        """Where every row read went: billed, or quarantined while parsing, by validation (its own values
        or an invalid key) or as a duplicate request id. Runs one pass of the pricing expression."""
        counts = self.execute(
            lambda e: e.to_pyarrow().to_pylist()[0],
            lambda t: t.aggregate(n=t.count(), bad=t._quarantined.sum()),
        )
        return self.ledger.account_from(int(counts["n"]), int(counts["bad"] or 0))

    def unpriced_by_status(self) -> dict[str, int]:
        """Requests left unpriced, by their status (`unpriced: no audio input rate for ...`), most first.
        Runs one pass of the pricing expression."""

        def expr(t: ir.Table) -> ir.Table:
            u = t.filter(t._unpriced & ~t._quarantined)
            return u.group_by("status").aggregate(requests=u.requests.sum())

        rows = self.execute(lambda e: e.to_pyarrow().to_pylist(), expr)
        found = {str(r["status"]): int(r["requests"] or 0) for r in rows}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


def rates_for(book: PriceBook, keys: pa.Table, ts_min: Any, ts_max: Any) -> pa.Table:
    """The rate table (see `billing/rates.py`) for the (provider, model, service_tier, region) rows of
    `keys` over the span `ts_min`..`ts_max` (naive UTC; None, for an empty ledger, becomes `TS_MIN`)."""
    # In a fixed order: the light pass's GROUP BY gives its keys in an order that varies from run to
    # run with DuckDB's threads, and the cache key below must not (nor the table it stores).
    key_list = sorted(
        (
            Key(r["provider"], r["model"], r["service_tier"], r["region"])
            for r in keys.select(list(KEY_COLUMNS)).to_pylist()
        ),
        key=lambda k: [(v is not None, v or "") for v in (k.provider, k.model, k.service_tier, k.region)],
    )
    start, end = ts_min or TS_MIN, ts_max or TS_MIN
    if book.fingerprint is None:
        return tabulate(book, key_list, start, end)
    # Cached under the book's content, the keys and the span: a bill that finds it never reads the book.
    key = cache.digest(
        [cache.source_digest(*RATE_MODULES), pa.__version__, book.fingerprint, key_list, start, end]
    )
    return cache.cached(
        "rates", key, lambda: tabulate(book, key_list, start, end), lambda v: isinstance(v, pa.Table)
    )


def price(ledger: Ledger, book: PriceBook) -> Priced:
    """A ledger priced at the prices in force at each row's timestamp (lazily: queries run when a
    rollup or the per-row output is asked for)."""
    return Priced(ledger, book)


@dataclass(frozen=True)
class _Axis:
    """Cut points of one coordinate over the whole rate table."""

    cuts: list[Any]

    @property
    def size(self) -> int:
        return len(self.cuts) + 1

    def index(self, value: Any) -> int:
        return bisect.bisect_right(self.cuts, value)


def _axes(rates: pa.Table) -> tuple[_Axis, _Axis, int]:
    time_cuts = sorted(
        {v for v in rates["valid_from"].to_pylist() if v != TS_MIN}
        | {v for v in rates["valid_to"].to_pylist() if v != TS_MAX}
    )
    band_cuts = sorted(
        {v for v in rates["band_lo"].to_pylist() if v != -1}
        | {v for v in rates["band_hi"].to_pylist() if v != BAND_MAX}
    )
    slot = WEEK_SECONDS
    for v in (*rates["tow_lo"].to_pylist(), *rates["tow_hi"].to_pylist()):
        slot = math.gcd(slot, v)
    return _Axis(time_cuts), _Axis(band_cuts), slot


def _varying(rates: pa.Table) -> tuple[set[str], set[str], set[str]]:
    """Model names whose rate rows vary with time, input band, time of week."""
    time, band, week = set(), set(), set()
    for r in rates.select(
        ["model", "valid_from", "valid_to", "band_lo", "band_hi", "tow_lo", "tow_hi"]
    ).to_pylist():
        if (r["valid_from"], r["valid_to"]) != (TS_MIN, TS_MAX):
            time.add(r["model"])
        if (r["band_lo"], r["band_hi"]) != (-1, BAND_MAX):
            band.add(r["model"])
        if (r["tow_lo"], r["tow_hi"]) != (0, WEEK_SECONDS):
            week.add(r["model"])
    return time, band, week


@dataclass(frozen=True)
class _Cells:
    """How rows find their rate row: each row's cell (period, band, slot). When the grid is small
    every row is placed on every dimension (cheapest per row); when it is large a dimension counts
    only for the models whose rates vary along it (`gate`), so the rate table stays small."""

    time: _Axis
    band: _Axis
    slot: int
    time_models: set[str]
    band_models: set[str]
    week_models: set[str]
    gate: bool = True

    @property
    def slots(self) -> int:
        return WEEK_SECONDS // self.slot

    def size(self, r: dict[str, Any]) -> int:
        n = 1
        if self._on(r["model"], self.time_models):
            n *= sum(1 for s in [TS_MIN, *self.time.cuts] if r["valid_from"] <= s < r["valid_to"])
        if self._on(r["model"], self.band_models):
            n *= sum(1 for lo in [-1, *self.band.cuts] if r["band_lo"] <= lo < r["band_hi"])
        if self._on(r["model"], self.week_models):
            n *= (r["tow_hi"] - r["tow_lo"]) // self.slot
        return n

    def _on(self, model: str, models: set[str]) -> bool:
        return bool(models) and (not self.gate or model in models)

    def expand(self, rates: pa.Table) -> pa.Table:
        """One row per rate row and cell it covers."""
        period_starts = [TS_MIN, *self.time.cuts]
        band_lows = [-1, *self.band.cuts]
        take: list[int] = []
        cells: list[int] = []
        for i, r in enumerate(
            rates.select(
                ["model", "valid_from", "valid_to", "band_lo", "band_hi", "tow_lo", "tow_hi"]
            ).to_pylist()
        ):
            m = r["model"]
            periods = (
                [p for p, s in enumerate(period_starts) if r["valid_from"] <= s < r["valid_to"]]
                if self._on(m, self.time_models)
                else [0]
            )
            bands = (
                [b for b, lo in enumerate(band_lows) if r["band_lo"] <= lo < r["band_hi"]]
                if self._on(m, self.band_models)
                else [0]
            )
            on_week = self._on(m, self.week_models)
            week = range(r["tow_lo"] // self.slot, r["tow_hi"] // self.slot) if on_week else range(1)
            for p in periods:
                for b in bands:
                    base = (p * self.band.size + b) * self.slots
                    cells.extend(base + w for w in week)
                    take.extend([i] * len(week))
        skip = ["valid_from", "valid_to", "tow_lo", "tow_hi", "band_lo", "band_hi"]
        # `arrays.column`, not `pa.array`: pyarrow imports pandas to build an array from a list
        # (0.2 s, most of a small bill's time when its models' prices vary by time or context).
        out = rates.drop_columns(skip).take(column(take, pa.int64()))
        return out.append_column("_cell", column(cells, pa.int64()))

    def variables(self) -> dict[str, Any]:
        """The values the cell expression (`of`) reads, by name: the cut points of time (`t0`...) and
        input (`b0`...), the slot's seconds and the strides of the cell index (and, when gated, the
        models of each dimension). The plan cache passes them to DuckDB as variables, so that its
        SQL depends only on `shape`."""
        values: dict[str, Any] = {f"t{i}": c for i, c in enumerate(self.time.cuts)}
        values.update({f"b{i}": c for i, c in enumerate(self.band.cuts)})
        values.update(slot=self.slot, slots=self.slots, stride=self.band.size * self.slots)
        if self.gate:
            values.update(
                week_models=sorted(self.week_models),
                band_models=sorted(self.band_models),
                time_models=sorted(self.time_models),
            )
        return values

    def shape(self) -> tuple[object, ...]:
        """What the SQL of `of` depends on besides `variables`."""
        dims = (bool(self.week_models), bool(self.band_models), bool(self.time_models))
        return (len(self.time.cuts), len(self.band.cuts), self.gate, dims)

    def of(
        self, rows: ir.Table, con: Any, var: Callable[[str, Any], ir.Value] | None = None
    ) -> ir.IntegerValue:
        """Each row's cell, computed from its own columns. `var(name, value)` gives the expression of
        one of `variables()` (default: the value as a literal)."""
        import ibis

        values = self.variables()

        def get(name: str) -> Any:
            return values[name] if var is None else var(name, values[name])

        def gated(dim: str, value: ir.IntegerValue) -> ir.IntegerValue:
            if not self.gate:
                return value
            models = f"{dim}_models"
            inside = rows.model.isin(values[models]) if var is None else get(models).contains(rows.model)
            return ibis.cases((inside, value), else_=0)

        cell: ir.IntegerValue = ibis.literal(0, "int64")
        if self.week_models:
            cell = gated("week", whole_division(time_of_week(rows.ts, con), get("slot"), con))
        if self.band_models:
            cuts = [get(f"b{i}") for i in range(len(self.band.cuts))]
            cell = cell + gated("band", band_index(rows, cuts)) * get("slots")
        if self.time_models:
            points = [ibis.literal(c) if var is None else get(f"t{i}") for i, c in enumerate(self.time.cuts)]
            index = _cuts_index(rows.ts, points, inclusive=True)
            cell = cell + gated("time", index) * get("stride")
        return cell

    def too_many(self, rates: pa.Table) -> bool:
        return sum(self.size(r) for r in rates.to_pylist()) > MAX_CELL_ROWS

    @property
    def varies(self) -> bool:
        return bool(self.time_models or self.band_models or self.week_models)


def cells_of(rates: pa.Table) -> _Cells:
    """The cell grid of a rate table: ungated when that keeps the expanded table small."""
    time_axis, band_axis, slot = _axes(rates)
    ungated = _Cells(time_axis, band_axis, slot, *_varying(rates), gate=False)
    if not ungated.varies or not ungated.too_many(rates):
        return ungated
    return _Cells(time_axis, band_axis, slot, *_varying(rates), gate=True)


def band_index(rows: ir.Table, cuts: Sequence[Any]) -> ir.IntegerValue:
    """How many long-context thresholds a row's requests exceed: its input per request is above
    T when its total input is above T times its request count (exact for bucket rows, which are
    judged on their average request; no division)."""
    import ibis

    total_in = sum((rows[c] for c in INPUT_COLUMNS[1:]), rows[INPUT_COLUMNS[0]])
    index: ir.IntegerValue = ibis.literal(0, "int64")
    for cut in cuts:
        index = index + ibis.cases((total_in > rows.requests * cut, 1), else_=0)
    return index


def request_input(rows: ir.Table) -> ir.IntegerValue:
    """A row's input tokens per request (all input buckets): what long-context tiers are judged
    on. A bucket row of many requests is judged on its average request (exact for request rows)."""
    import ibis

    total_in = sum((rows[c] for c in INPUT_COLUMNS[1:]), rows[INPUT_COLUMNS[0]])
    return ibis.cases((rows.requests <= 1, total_in), else_=total_in // rows.requests)


def _cuts_index(value: ir.Value, cuts: Sequence[Any], inclusive: bool) -> ir.IntegerValue:
    """How many cut points `value` has passed (>= for instants, > for input bands); the cut points
    are expressions (literals, or variables)."""
    import ibis

    index: ir.IntegerValue = ibis.literal(0, "int64")
    for c in cuts:
        lit = c
        index = index + ibis.cases(((value >= lit) if inclusive else (value > lit), 1), else_=0)
    return index


def rates_shape(rates: pa.Table) -> tuple[object, ...]:
    """What the SQL of `expression` may depend on in a rate table (beside the rows' schema): which
    of its columns hold any value (a region, a missing rate...), how rows find their rate row, and
    the shape of the cell grid. The values themselves are data the query joins."""
    cells = cells_of(rates)
    held = tuple(name for name in rates.column_names if any(v for v in rates[name].to_pylist()))
    how = "cell" if cells.varies and not cells.too_many(rates) else ("range" if cells.varies else "key")
    return (held, how, cells.shape())


def expression(
    rows: ir.Table,
    rates: pa.Table,
    wide: bool,
    con: Any,
    *,
    precomputed_cell: bool = False,
    rate_table: ir.Table | None = None,
) -> ir.Table:
    """The priced rows: `rows` joined to the rate table on keys and cells, costs in fUSD.
    With `precomputed_cell`, `rows` already has its `_cell` (the rollup's one pass computed it).
    `rate_table` is the table to join (default: `rates`, expanded to cells where they are used, as a
    small table of `con`; the plan cache gives an unbound table of the same schema)."""
    import ibis

    cells = cells_of(rates)
    has_region = any(v is not None for v in rates["region"].to_pylist())
    extra: dict[str, ir.Value] = {}
    by_cell = precomputed_cell or (cells.varies and not cells.too_many(rates))
    if by_cell:
        if not precomputed_cell:
            extra["_cell"] = cells.of(rows, con)
        r = rate_table if rate_table is not None else small_table(con, cells.expand(rates))
    else:
        r = rate_table if rate_table is not None else small_table(con, rates)
        if cells.varies:  # too many cells: join on ranges (slower, same result)
            if cells.week_models:
                extra["_tow"] = time_of_week(rows.ts, con)
            if cells.band_models:
                extra["_band"] = request_input(rows)
    left = rows.mutate(**extra) if extra else rows
    r = r.rename({f"_k_{k}": k for k in KEY_COLUMNS})
    # NULL tier (= standard) and NULL region are keys too: IS NOT DISTINCT FROM, which DuckDB
    # hashes as fast as equality.
    pred = [
        left.provider == r._k_provider,
        left.model == r._k_model,
        left.service_tier.identical_to(r._k_service_tier),
    ]
    if has_region:
        pred.append(left.region.identical_to(r._k_region))
    if by_cell:
        pred.append(left._cell == r._cell)
    elif cells.varies:
        pred += [left.ts >= r.valid_from, left.ts < r.valid_to]
        if cells.week_models:
            pred += [left._tow >= r.tow_lo, left._tow < r.tow_hi]
        if cells.band_models:
            pred += [left._band > r.band_lo, left._band <= r.band_hi]
    rate_cols = [col for _, col in RATE_COLUMNS]
    present = [m for m, _, _ in (*MISSING, *MISSING_MODALITY) if any(rates[m].to_pylist())]
    joined = [*rate_cols, *present, "entry", "match", "matched_model", "reason", "invalid"]
    joined += [f"_k_{k}" for k in KEY_COLUMNS]
    if by_cell:
        joined.append("_cell")
    elif cells.varies:
        joined += ["valid_from", "valid_to", "tow_lo", "tow_hi", "band_lo", "band_hi"]
    j = left.left_join(r.select(*joined), pred)

    def n(col: str) -> ir.IntegerValue:
        return j[col].cast(_wide_type()) if wide else j[col]

    def split(bucket: str, whole: ir.IntegerValue) -> ir.IntegerValue:
        # Modality parts at their own rate, the rest of the bucket (text) at the bucket's rate.
        parts = MODALITY_PARTS[f"{bucket}_tokens"]
        text = whole - sum((n(p) for p in parts[1:]), n(parts[0]))
        return text * n(f"r_{bucket}") + sum(
            (n(p) * n(f"r_{p.removesuffix('_tokens')}") for p in parts[1:]),
            n(parts[0]) * n(f"r_{parts[0].removesuffix('_tokens')}"),
        )

    c_input = split("input", n("input_tokens"))
    c_read = split("cache_read", n("cache_read_tokens"))
    c_write = (
        n("cache_write_5m_tokens") * n("r_cache_write_5m")
        + n("cache_write_1h_tokens") * n("r_cache_write_1h")
        + n("cache_write_other_tokens") * n("r_cache_write_other")
    )
    c_output = split("output", n("output_tokens") - n("reasoning_tokens")) + n("reasoning_tokens") * n(
        "r_reasoning"
    )
    c_fees = n("web_search_requests") * n("r_web_search") + n("requests") * n("r_request")

    quarantined = ~j._ok | j.invalid.fill_null(False)
    unpriced = ~quarantined & (j.reason.notnull() | j.entry.isnull())
    missing_cases = []
    for m, count, what in MISSING:
        if m in present:
            unpriced = unpriced | (~quarantined & j[m] & (j[count] > 0))
            missing_cases.append(
                (j[m] & (j[count] > 0), "unpriced: no " + what + " price for " + j.entry.split(" ")[0])
            )
    for m, count, what in MISSING_MODALITY:
        if m in present:
            unpriced = unpriced | (~quarantined & j[m] & (j[count] > 0))
            missing_cases.append(
                (j[m] & (j[count] > 0), "unpriced: no " + what + " rate for " + j.entry.split(" ")[0])
            )
    status = ibis.cases(
        (quarantined, ibis.literal("quarantined")),
        (j.reason.notnull(), "unpriced: " + j.reason),
        (j.entry.isnull(), ibis.literal(NO_MATCH)),
        *missing_cases,
        else_=ibis.literal("priced"),
    )
    base = [c for c in left.columns if c not in (*extra, "_cell", "_ok", "_problem", "_src", "_ts_order")]
    # Costs are computed for every row (an unpriced row's missing rates are 0 in the rate table);
    # rollups sum them over priced rows only; per-row output shows NULL for unpriced rows.
    return j.select(
        *base,
        price_entry=j.entry,
        match=j.match,
        matched_model=j.matched_model,
        status=status,
        _quarantined=quarantined,
        _unpriced=unpriced,
        _c_input=c_input,
        _c_cache_read=c_read,
        _c_cache_write=c_write,
        _c_output=c_output,
        _c_fees=c_fees,
    )
