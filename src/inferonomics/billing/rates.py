"""Tabulating the resolver: the price book as a small rate table the billing engine joins.

For each (provider, model, service tier, region) a ledger uses, the resolver's answer is piecewise
constant in three coordinates: the instant (price periods, tier and residency rules, discounts),
the time of week (daily windows on some weekdays), and the request's total input (long-context
tiers). We cut each coordinate at every point where any rule changes, ask `PriceBook.resolve` once
per cell, and merge neighbouring cells with the same answer. The result is exact by construction:
every row of the ledger falls in exactly one cell, and the cell's rates are the resolver's.

Rates are stored as integers in femto-dollars (1e-15 USD) per token, so the engine bills with
exact integer arithmetic: $3 / MTok is 3,000,000,000 fUSD per token.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa

from inferonomics import arrays
from inferonomics.catalog.book import ModelMatch, PriceBook, Resolved, Unpriced
from inferonomics.ledger.schema import MODALITIES
from inferonomics.ledger.validate import key_problem

WEEK_SECONDS = 7 * 86400
FEMTO_PER_USD = 10**15
TS_MIN = dt.datetime(1, 1, 1)
TS_MAX = dt.datetime(9999, 12, 31)
BAND_MAX = 2**62

RATE_COLUMNS = (
    ("input_usd_per_mtok", "r_input"),
    ("cache_read_usd_per_mtok", "r_cache_read"),
    ("cache_write_5m_usd_per_mtok", "r_cache_write_5m"),
    ("cache_write_1h_usd_per_mtok", "r_cache_write_1h"),
    ("cache_write_other_usd_per_mtok", "r_cache_write_other"),
    ("output_usd_per_mtok", "r_output"),
    ("reasoning_usd_per_mtok", "r_reasoning"),
    *((f"{b}_{m}_usd_per_mtok", f"r_{b}_{m}") for b in ("input", "cache_read", "output") for m in MODALITIES),
    ("web_search_usd_per_k", "r_web_search"),
    ("request_usd_per_k", "r_request"),
)
"""(resolver rate, rate-table column): per-token rates in fUSD; fees per unit in fUSD."""

KEY_COLUMNS = ("provider", "model", "service_tier", "region")

RATE_SCHEMA = pa.schema(
    [
        *(pa.field(k, pa.string()) for k in KEY_COLUMNS),
        pa.field("valid_from", pa.timestamp("us")),
        pa.field("valid_to", pa.timestamp("us")),
        pa.field("tow_lo", pa.int64()),
        pa.field("tow_hi", pa.int64()),
        pa.field("band_lo", pa.int64()),
        pa.field("band_hi", pa.int64()),
        *(pa.field(col, pa.int64()) for _, col in RATE_COLUMNS),
        *(pa.field("m_" + col[2:], pa.bool_()) for _, col in RATE_COLUMNS),
        pa.field("entry", pa.string()),
        pa.field("match", pa.string()),
        pa.field("matched_model", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("invalid", pa.bool_()),
        pa.field("rounded", pa.bool_()),
    ]
)
"""`m_*` flags a rate the book does not have (using it leaves the request unpriced); `invalid`
marks a key that is not a valid ledger key (its rows are quarantined with `reason`). `match` says
how the key's model name met the book (`exact`, `alias`, `near` or `unknown`: see
`catalog.show.how_matched`) and `matched_model` is the `provider/model` entry it is priced as."""


@dataclass(frozen=True)
class Key:
    """One (provider, model, service_tier, region) combination a ledger's rows use, spelled as in the rows;
    None is an empty value (a None tier is the standard tier)."""

    provider: str | None
    model: str | None
    service_tier: str | None
    region: str | None


def femto(rate: Decimal | None, per: int) -> tuple[int, bool]:
    """A rate per `per` units (USD) as integer fUSD per unit, and whether it had to be rounded."""
    if rate is None:
        return 0, False
    exact = rate * FEMTO_PER_USD / per
    whole = exact.to_integral_value(rounding=ROUND_HALF_EVEN)
    return int(whole), whole != exact


def _week_edges(windows: Iterable[tuple[frozenset[int], int, int]]) -> list[int]:
    edges = {0, WEEK_SECONDS}
    for days, start, end in windows:
        for d in days:
            base = d * 86400
            edges.add(base + start)
            if start < end:
                edges.add(base + end)
            else:
                edges.add(base + 86400)
                edges.add(((d + 1) % 7) * 86400)
                edges.add(((d + 1) % 7) * 86400 + end)
    return sorted(e for e in edges if 0 <= e <= WEEK_SECONDS)


def _instants(book: PriceBook, match: ModelMatch, tier: str) -> set[dt.datetime]:
    model = match.model
    points = {e.valid_from for e in model.periods} | {e.valid_from for e in model.tier_periods.get(tier, [])}
    for rule, _ in book.tier_rules:
        points |= {rule.valid_from} | ({rule.valid_to} if rule.valid_to else set())
    for rrule, _ in book.residency_rules:
        points |= {rrule.valid_from} | ({rrule.valid_to} if rrule.valid_to else set())
    for d, _ in book.discounts:
        points |= {p for p in (d.valid_from, d.valid_to) if p is not None}
    for mrule, _ in book.modality_rules:
        points |= {p for p in (mrule.valid_from, mrule.valid_to) if p is not None}
    return points


def _windows_in(match: ModelMatch, start: dt.datetime) -> list[tuple[frozenset[int], int, int]]:
    from inferonomics.catalog.schema import WEEKDAYS  # (see tabulate_key)

    entry = None
    for e in match.model.periods:
        if e.valid_from <= start:
            entry = e
    if entry is None:
        return []
    return [
        (
            frozenset(WEEKDAYS.index(d) for d in w.weekdays),
            w.start.hour * 3600 + w.start.minute * 60 + w.start.second,
            w.end.hour * 3600 + w.end.minute * 60 + w.end.second,
        )
        for w in entry.period.windows
    ]


def _thresholds(match: ModelMatch, tier: str) -> list[int]:
    found: set[int] = set()
    for e in match.model.periods:
        found |= {t.above_input_tokens for t in e.period.tiers}
        for w in e.period.windows:
            found |= {t.above_input_tokens for t in w.tiers}
    for te in match.model.tier_periods.get(tier, []):
        found |= {t.above_input_tokens for t in te.period.tiers}
    return sorted(found)


def _row(
    key: Key,
    cell: tuple[dt.datetime, dt.datetime, int, int, int, int],
    result: Resolved | Unpriced,
    match: tuple[str | None, str | None] = (None, None),
) -> dict[str, object]:
    valid_from, valid_to, tow_lo, tow_hi, band_lo, band_hi = cell
    row: dict[str, object] = {
        "provider": key.provider,
        "model": key.model,
        "service_tier": key.service_tier,
        "region": key.region,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "tow_lo": tow_lo,
        "tow_hi": tow_hi,
        "band_lo": band_lo,
        "band_hi": band_hi,
        "rounded": False,
        "invalid": False,
        "match": match[0],
        "matched_model": match[1],
    }
    if isinstance(result, Unpriced):
        for _, col in RATE_COLUMNS:
            row[col], row["m_" + col[2:]] = 0, False
        row["entry"], row["reason"] = None, result.reason
        return row
    for name, col in RATE_COLUMNS:
        value = result.rate(name)
        per = 1000 if name.endswith("_per_k") else 1_000_000
        row[col], rounded = femto(value, per)
        row["m_" + col[2:]] = value is None
        row["rounded"] = bool(row["rounded"]) or rounded
    row["entry"], row["reason"] = result.entry, None
    return row


def tabulate_key(
    book: PriceBook, key: Key, ts_min: dt.datetime, ts_max: dt.datetime
) -> list[dict[str, object]]:
    """Rate rows covering every request of `key` with `ts_min <= ts <= ts_max`."""
    # Here rather than at the top: `catalog.show` imports the book's models, which a bill whose
    # rate table is cached never needs.
    from inferonomics.catalog.show import match_kind

    everywhere = (TS_MIN, TS_MAX, 0, WEEK_SECONDS, -1, BAND_MAX)
    problem = key_problem(key.provider, key.model, key.service_tier)
    if problem is not None:
        row = _row(key, everywhere, Unpriced(problem))
        row["invalid"] = True
        return [row]
    assert key.provider is not None
    assert key.model is not None
    found = book.find_model(key.provider, key.model)
    if isinstance(found, Unpriced):
        return [_row(key, everywhere, found, ("unknown", None))]
    match = (match_kind(book, found, key.model), found.model.key)
    points = sorted(p for p in _instants(book, found, key.service_tier or "standard") if ts_min < p <= ts_max)
    starts = [ts_min, *points]
    ends = [*points, TS_MAX]
    thresholds = _thresholds(found, key.service_tier or "standard")
    bands = list(zip([-1, *thresholds], [*thresholds, BAND_MAX], strict=True))
    rows: list[dict[str, object]] = []
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        edges = _week_edges(_windows_in(found, start))
        for band_lo, band_hi in bands:
            merged: list[dict[str, object]] = []
            for tow_lo, tow_hi in itertools.pairwise(edges):
                weekday, tod = divmod(tow_lo, 86400)
                tier = key.service_tier or "standard"
                result = book.resolve(found, tier, key.region, start, weekday, tod, band_lo + 1)
                valid_from = TS_MIN if i == 0 else start
                row = _row(key, (valid_from, end, tow_lo, tow_hi, band_lo, band_hi), result, match)
                if merged and _same_rates(merged[-1], row):
                    merged[-1]["tow_hi"] = tow_hi
                else:
                    merged.append(row)
            rows.extend(merged)
    return rows


def _same_rates(a: dict[str, object], b: dict[str, object]) -> bool:
    skip = {"tow_lo", "tow_hi"}
    return all(a[k] == b[k] for k in a if k not in skip)


def tabulate(book: PriceBook, keys: Iterable[Key], ts_min: dt.datetime, ts_max: dt.datetime) -> pa.Table:
    """The rate table for a ledger's keys and time span (see the module docstring)."""
    rows: list[dict[str, object]] = []
    for key in keys:
        rows.extend(tabulate_key(book, key, ts_min, ts_max))
    return arrays.table(rows, schema=RATE_SCHEMA)
