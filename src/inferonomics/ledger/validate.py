"""Validation of ledger rows as one vectorized expression.

`canonical(raw, ...)` turns any input table (columns as the file gave them: strings from CSV and
JSON, typed from Parquet) into the ledger's typed columns plus two verdicts: `_ok`, a cheap
boolean the billing path filters on, and `_problem`, the first problem found as a message naming
the column and its value (NULL when the row is fine), which only the quarantine report computes.
`_ok` covers the checks of each row's own values; the checks of its (provider, model,
service_tier) key are made once per distinct key by the billing engine (`key_problem`).

The checks:

* `ts` present and a timestamp (ISO 8601; an offset is honoured, none means UTC);
* `provider` and `model` present (unless the command names the model with `--model-as`), each at
  most `MAX_NAME_CHARS` (200) characters;
* `service_tier` one of standard, batch, flex, priority (readers map providers' own spellings);
* `ts` from 1970 to 2199 (`infinity`, year 10000 or a negative year is no usage instant);
* every count a whole number from 0 to `MAX_COUNT` (10^12), `requests` >= 1; counts are read
  through one conversion (text, float, integer of any width; any other type as its text), so an
  out-of-range value (NaN, inf, 1e30, 2^63, a boolean) quarantines its row and never aborts a run;
* `reasoning_tokens` <= `output_tokens` (reasoning is a part of output);
* the modality parts of `input_tokens`, `cache_read_tokens` and `output_tokens` add up to at most
  their bucket (and, for output, together with `reasoning_tokens`, which is text);
* `reported_cost_usd`, when a source gives one, a decimal amount (exact; no float on the way).
"""

from __future__ import annotations

import datetime as dt_module
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inferonomics.backend import naive_utc
from inferonomics.ledger.schema import (
    COST_SOURCES,
    COUNT_COLUMNS,
    DIMENSION_COLUMNS,
    MODALITY_PARTS,
    MONEY_TYPE,
    SERVICE_TIERS,
    TIER_ALIASES,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

MAX_COUNT = 10**12
"""The largest count one row may carry (a trillion tokens): far above any request or daily bucket,
and low enough that summing 9 million rows at the limit still fits in 64 bits."""
MAX_NAME_CHARS = 200
"""The longest provider or model name read: no real one comes near, and a bound keeps every name
match (price-sheet patterns included) fast."""
TS_FIRST = dt_module.datetime(1970, 1, 1)
TS_END = dt_module.datetime(2200, 1, 1)
"""Instants outside [TS_FIRST, TS_END) are no usage time: their rows are quarantined."""


@dataclass
class _Check:
    ok: ir.BooleanValue
    message: ir.StringValue
    row_level: bool = True
    """False for checks that depend only on the row's (provider, model, service_tier) key: the
    billing engine decides those once per distinct key (see `key_problem`)."""


def quote_value(text: str) -> str:
    """A value quoted as the messages quote it (the Python twin of `_quoted`)."""
    return '"' + (text[:60] + "…" if len(text) > 60 else text) + '"'


def key_problem(provider: str | None, model: str | None, service_tier: str | None) -> str | None:
    """The first problem of a (provider, model, service_tier) key, worded as `_problem` words it.
    A missing service tier means standard."""
    if not provider:
        return "column provider is empty"
    if not model:
        return "column model is empty"
    for name, value in (("provider", provider), ("model", model)):
        if len(value) > MAX_NAME_CHARS:
            return f"column {name} is {quote_value(value)}: longer than {MAX_NAME_CHARS} characters"
    if service_tier is not None and service_tier not in SERVICE_TIERS:
        value = quote_value(str(service_tier))
        return f"column service_tier is {value}: expected standard, batch, flex or priority"
    return None


def _quoted(col: ir.Value) -> ir.StringValue:
    import ibis

    text = col.cast("string")
    short = ibis.cases((text.length() > 60, text.substr(0, 60) + "…"), else_=text)
    return '"' + short + '"'


def _count(raw: ir.Table, name: str, default: int) -> tuple[ir.IntegerValue, list[_Check]]:
    """The typed count column and its checks: the one conversion every count goes through. Text is
    parsed as a number; a float must be whole; every value must lie in [floor, MAX_COUNT]. The
    cast to int64 happens only once the range is known (TRY_CAST), so no value can abort the run."""
    import ibis
    import ibis.expr.datatypes as dt

    if name not in raw.columns:
        return ibis.literal(default, "int64"), []
    col = raw[name]
    kind = col.type()
    floor = 1 if name == "requests" else 0
    what = "must be >= 1" if name == "requests" else "token counts must be >= 0"
    if kind.is_integer():
        number: ir.NumericValue = col
        present = col.notnull()
        whole = ibis.literal(True)
    else:
        text = col.cast("string").strip() if not kind.is_floating() else None
        number = text.try_cast("float64") if text is not None else col
        present = text.notnull() & (text != "") if text is not None else col.notnull()
        # `% 1` rather than floor(): Ibis casts floor() to BIGINT, which fails on NaN or 1e30.
        whole = number.notnull() & ((number % 1) == 0)
    checks = [_Check(~present | whole, f"column {name} is " + _quoted(col) + ": not a whole number")]
    in_range = (number >= floor) & (number <= MAX_COUNT)
    checks.append(
        _Check(
            ~present | ~whole | (number >= floor),
            f"column {name} is " + _quoted(col) + f": {what}",
        )
    )
    checks.append(
        _Check(
            ~present | ~whole | (number <= MAX_COUNT),
            f"column {name} is " + _quoted(col) + f": more than {MAX_COUNT:,} in one row",
        )
    )
    usable = present & whole & in_range
    # A signed integer casts to int64 without fail; anything else only once it is known in range.
    signed = isinstance(kind, dt.SignedInteger)
    typed = number.cast("int64") if signed else number.try_cast("int64")
    value = ibis.cases((usable, typed), else_=ibis.literal(default, "int64"))
    return value, checks


def _money(raw: ir.Table, name: str) -> tuple[ir.DecimalValue, list[_Check]]:
    """The typed amount column (NULL when the input has none) and its check. Absent from most
    inputs: then a NULL literal, and no check joins the row verdict."""
    import ibis
    import ibis.expr.datatypes as dt

    money_type = dt.Decimal(MONEY_TYPE.precision, MONEY_TYPE.scale)

    if name not in raw.columns:
        return ibis.null(money_type), []
    col = raw[name]
    if col.type().is_decimal() and col.type().precision - col.type().scale <= 23:
        return col.cast(money_type), []
    # Text, and any other type as its text (a float's shortest decimal form: no binary noise).
    text = col.cast("string").strip().nullif("")
    value = text.try_cast(money_type)
    ok = text.isnull() | value.notnull()
    return value, [_Check(ok, f"column {name} is " + _quoted(col) + ": not a decimal amount")]


def _text(raw: ir.Table, name: str, override: str | None = None, *, strip: bool = True) -> ir.StringValue:
    """A text column: trimmed with empty as NULL for staged text; as written for typed Parquet
    (DuckDB groups and joins dictionary-encoded strings fastest when they are left alone)."""
    import ibis

    if override is not None:
        return ibis.literal(override, "string")
    if name not in raw.columns:
        return ibis.null("string")
    col = raw[name]
    if not col.type().is_string():
        col = col.cast("string")
    if strip:
        col = col.strip().nullif("")
    return col


def canonical(
    raw: ir.Table,
    con: Any,
    *,
    provider: str | None = None,
    model: str | None = None,
    strip: bool = True,
    tags: Sequence[str] = (),
) -> ir.Table:
    """Typed ledger columns, provenance, `_ok` and `_problem` for every row of `raw`.

    `raw` has the file's columns under canonical names plus `_file` and `_line`. `provider` and
    `model`, when given, replace the file's (the `--model-as` option). `strip` trims text columns
    and maps providers' service-tier spellings (staged text input); a typed Parquet ledger is
    taken as written. `tags` are the ledger's extra columns, as text (NULL where `raw` lacks one);
    provider names are case-folded ("OpenAI" and "openai" are one provider)."""
    import ibis
    import ibis.expr.datatypes as dt

    checks: list[_Check] = []

    if "ts" not in raw.columns:
        raise KeyError("ts")
    ts_raw = raw.ts
    if ts_raw.type().is_string():
        text = ts_raw.strip()
        parsed = text.try_cast(dt.Timestamp(timezone="UTC"))
        ts = naive_utc(parsed, con)
        checks.append(
            _Check(
                text.notnull() & (text != ""), ibis.literal("column ts is empty: every row needs a timestamp")
            )
        )
        checks.append(
            _Check(
                parsed.notnull(),
                "column ts is " + _quoted(ts_raw) + ": not a timestamp (ISO 8601, e.g. 2026-01-31T12:00:00Z)",
            )
        )
    elif ts_raw.type().is_timestamp():
        ts = naive_utc(ts_raw, con)
        checks.append(
            _Check(ts_raw.notnull(), ibis.literal("column ts is empty: every row needs a timestamp"))
        )
    else:  # any other type (an integer, a date...) as its text: quarantined unless it is an instant
        text = ts_raw.cast("string").strip()
        parsed = text.try_cast(dt.Timestamp(timezone="UTC"))
        ts = naive_utc(parsed, con)
        checks.append(
            _Check(
                parsed.notnull(),
                "column ts is " + _quoted(ts_raw) + ": not a timestamp (ISO 8601, e.g. 2026-01-31T12:00:00Z)",
            )
        )
    in_span = (ts >= ibis.literal(TS_FIRST)) & (ts < ibis.literal(TS_END))
    checks.append(
        _Check(
            ts.isnull() | in_span,
            "column ts is " + _quoted(ts_raw) + ": outside the years 1970 to 2199",
        )
    )
    checks.append(_Check(ts.notnull(), "column ts is " + _quoted(ts_raw) + ": not a usable instant"))

    provider_col = _text(raw, "provider", provider, strip=strip).lower()
    model_col = _text(raw, "model", model, strip=strip)
    checks.append(
        _Check(provider_col.notnull() & (provider_col != ""), ibis.literal("column provider is empty"))
    )
    checks.append(_Check(model_col.notnull() & (model_col != ""), ibis.literal("column model is empty")))
    for name, col in (("provider", provider_col), ("model", model_col)):
        checks.append(
            _Check(
                col.isnull() | (col.length() <= MAX_NAME_CHARS),
                f"column {name} is " + _quoted(col) + f": longer than {MAX_NAME_CHARS} characters",
            )
        )

    tier_raw = _text(raw, "service_tier", strip=strip)
    if strip:
        tier = tier_raw.lower().substitute(TIER_ALIASES, else_=tier_raw).fill_null("standard")
    elif "service_tier" in raw.columns:
        tier = tier_raw  # NULL means standard (see key_problem)
    else:
        tier = ibis.literal("standard")
    checks.append(
        _Check(
            tier.isnull() | tier.isin(SERVICE_TIERS),
            "column service_tier is " + _quoted(tier) + ": expected standard, batch, flex or priority",
            row_level=False,
        )
    )

    counts: dict[str, ir.IntegerValue] = {}
    for name in ("requests", *COUNT_COLUMNS):
        counts[name], col_checks = _count(raw, name, 1 if name == "requests" else 0)
        checks.extend(col_checks)
    checks.append(
        _Check(
            counts["reasoning_tokens"] <= counts["output_tokens"],
            "column reasoning_tokens is "
            + _quoted(counts["reasoning_tokens"])
            + ": more than output_tokens ("
            + counts["output_tokens"].cast("string")
            + "); reasoning is a part of output",
        )
    )
    for bucket, parts in MODALITY_PARTS.items():
        # "Of which" parts: their sum (with reasoning, text, for output) never exceeds the bucket.
        named = [*parts, "reasoning_tokens"] if bucket == "output_tokens" else list(parts)
        whole = sum((counts[p] for p in named[1:]), counts[named[0]])
        checks.append(
            _Check(
                whole <= counts[bucket],
                f"columns {' + '.join(named)} add up to "
                + whole.cast("string")
                + f": more than {bucket} ("
                + counts[bucket].cast("string")
                + "); they are parts of it",
            )
        )

    reported, money_checks = _money(raw, "reported_cost_usd")
    checks.extend(money_checks)
    cost_source = _text(raw, "cost_source", strip=strip)
    if "cost_source" in raw.columns:
        checks.append(
            _Check(
                cost_source.isnull() | cost_source.isin(COST_SOURCES),
                "column cost_source is " + _quoted(cost_source) + ": expected " + ", ".join(COST_SOURCES),
            )
        )

    source_file = raw._file
    request_id = _text(raw, "request_id", strip=strip)
    request_id = request_id.fill_null(source_file + ":" + raw._line.cast("string"))

    columns: dict[str, ir.Value] = {
        "ts": ts,
        "request_id": request_id,
        "provider": provider_col,
        "model": model_col,
        **{d: _text(raw, d, strip=strip) for d in DIMENSION_COLUMNS if d != "region"},
        "service_tier": tier,
        "region": _text(raw, "region", strip=strip),
        **counts,
        "reported_cost_usd": reported,
        "cost_source": cost_source,
        **{t: _text(raw, t, strip=strip) for t in tags},
    }
    if "prefix_hashes" in raw.columns and raw.prefix_hashes.type().is_array():
        columns["prefix_hashes"] = raw.prefix_hashes.cast(dt.Array(dt.int64))
    else:
        columns["prefix_hashes"] = ibis.null(dt.Array(dt.int64))
    columns["source_file"] = source_file
    columns["source_line"] = raw._line.cast("int64")
    # For the light pass: the instant as cheap to min/max as possible (the raw typed column).
    order = ts_raw if ts_raw.type().is_timestamp() else ts
    columns["_ts_order"] = ibis.cases((in_span, order), else_=ibis.null(order.type()))
    row_checks = [c.ok for c in checks if c.row_level]
    ok = row_checks[0]
    for c in row_checks[1:]:
        ok = ok & c
    columns["_ok"] = ok.fill_null(False)
    columns["_problem"] = ibis.cases(
        *((~c.ok.fill_null(False), c.message) for c in checks), else_=ibis.null("string")
    )
    return raw.select(**columns)
