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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inferonomics.backend import _udfs, backend_name, naive_utc
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
BLANK = " \t\n\r\v\f"
"""What a blank name consists of: the characters the query's trim removes (Ibis' `strip`). Python's
own `strip()` removes more (a no-break space, say), and a provider of one no-break space was then
quarantined as an invalid key while the query saw no problem: counted, but listed nowhere."""
TS_FIRST = dt_module.datetime(1970, 1, 1)
TS_END = dt_module.datetime(2200, 1, 1)
"""Instants outside [TS_FIRST, TS_END) are no usage time: their rows are quarantined."""


@dataclass
class _Check:
    ok: ir.BooleanValue
    """Over the parsed layer (or, for the checks of typed counts, over the typed layer)."""
    message: Callable[[ir.Table], ir.StringValue]
    """The message, built over the typed layer (it quotes raw values kept there, or typed ones)."""
    row_level: bool = True
    """False for checks that depend only on the row's (provider, model, service_tier) key: the
    billing engine decides those once per distinct key (see `key_problem`)."""


def quote_value(text: str) -> str:
    """A value quoted as the messages quote it (the Python twin of `_quoted`)."""
    return '"' + (text[:60] + "…" if len(text) > 60 else text) + '"'


def key_problem(provider: str | None, model: str | None, service_tier: str | None) -> str | None:
    """The first problem of a (provider, model, service_tier) key, worded as `_problem` words it.
    A missing service tier means standard."""
    if not provider or not provider.strip(BLANK):
        return "column provider is empty"
    if not model or not model.strip(BLANK):
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


def _message(head: str, column: str, tail: str) -> Callable[[ir.Table], ir.StringValue]:
    """A check's message: `head`, the value of `column` of the typed layer quoted, `tail`."""
    return lambda last: head + _quoted(last[column]) + tail


def _fixed(text: str) -> Callable[[ir.Table], ir.StringValue]:
    """A check's message that quotes no value."""
    import ibis

    return lambda _: ibis.literal(text)


def _over(shown: ir.StringValue, bucket: str, tail: str) -> Callable[[ir.Table], ir.StringValue]:
    """The message of a part (or parts) over its bucket: `shown` (built over the typed layer), the
    bucket's value, `tail`."""
    return lambda last: shown + f": more than {bucket} (" + last[bucket].cast("string") + tail


def _prefix(columns: Sequence[str]) -> str:
    """A prefix for the intermediate columns that no input column starts with."""
    prefix = "_v_"
    while any(c.startswith(prefix) for c in columns):
        prefix = "_" + prefix
    return prefix


class _Names:
    """The intermediate columns' names: `parsed(kind, x)` in the parsed layer (kinds have no "_", so
    no two (kind, name) pairs share a name), `kept(x)` a raw value kept beside the typed columns for
    the messages, `check(i)` the verdict of a check."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def parsed(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}_{name}"

    def kept(self, name: str) -> str:
        return f"{self.prefix}raw_{name}"

    def check(self, i: int) -> str:
        return f"{self.prefix}ok{i}"


def _parse_count(raw: ir.Table, name: str, n: _Names) -> dict[str, ir.Value]:
    """The parsed layer of a count given as text: its number (NULL when it is none) and whether the
    text is present at all. Integer and float columns need no parsing."""
    if name not in raw.columns or raw[name].type().is_integer() or raw[name].type().is_floating():
        return {}
    text = raw[name].cast("string").strip()
    return {
        n.parsed("number", name): text.try_cast("float64"),
        n.parsed("present", name): text.notnull() & (text != ""),
    }


def _count(p: ir.Table, name: str, default: int, n: _Names) -> tuple[ir.IntegerValue, list[_Check]]:
    """The typed count column and its checks (over the parsed layer `p`): the one conversion every
    count goes through. Text is parsed as a number; a float must be whole; every value must lie in
    [floor, MAX_COUNT]. The cast to int64 happens only once the range is known (TRY_CAST), so no
    value can abort the run."""
    import ibis
    import ibis.expr.datatypes as dt

    if name not in p.columns:
        return ibis.literal(default, "int64"), []
    col = p[name]
    kind = col.type()
    floor = 1 if name == "requests" else 0
    what = "must be >= 1" if name == "requests" else "token counts must be >= 0"
    head = f"column {name} is "
    if kind.is_integer():
        number: ir.NumericValue = col
        present = col.notnull()
        whole = ibis.literal(True)
    else:
        if kind.is_floating():
            number, present = col, col.notnull()
        else:
            number, present = p[n.parsed("number", name)], p[n.parsed("present", name)]
        # `% 1` rather than floor(): Ibis casts floor() to BIGINT, which fails on NaN or 1e30.
        whole = number.notnull() & ((number % 1) == 0)

    in_range = (number >= floor) & (number <= MAX_COUNT)
    checks = [
        _Check(~present | whole, _message(head, n.kept(name), ": not a whole number")),
        _Check(~present | ~whole | (number >= floor), _message(head, n.kept(name), f": {what}")),
        _Check(
            ~present | ~whole | (number <= MAX_COUNT),
            _message(head, n.kept(name), f": more than {MAX_COUNT:,} in one row"),
        ),
    ]
    usable = present & whole & in_range
    # A signed integer casts to int64 without fail; anything else only once it is known in range.
    signed = isinstance(kind, dt.SignedInteger)
    typed = number.cast("int64") if signed else number.try_cast("int64")
    value = ibis.cases((usable, typed), else_=ibis.literal(default, "int64"))
    return value, checks


def _parse_money(raw: ir.Table, name: str, n: _Names) -> dict[str, ir.Value]:
    """The parsed layer of an amount given as anything but a narrow enough DECIMAL: its value, and
    whether it is one (text, and any other type as its text: a float's shortest decimal form, no
    binary noise)."""
    if name not in raw.columns or _exact_money(raw[name]):
        return {}
    text = raw[name].cast("string").strip().nullif("")
    value = text.try_cast(_money_type())
    return {n.parsed("money", name): value, n.parsed("valid", name): text.isnull() | value.notnull()}


def _exact_money(col: ir.Value) -> bool:
    kind = col.type()
    return bool(kind.is_decimal() and kind.precision - kind.scale <= 23)


def _money_type() -> Any:
    import ibis.expr.datatypes as dt

    return dt.Decimal(MONEY_TYPE.precision, MONEY_TYPE.scale)


def _money(p: ir.Table, name: str, n: _Names) -> tuple[ir.DecimalValue, list[_Check]]:
    """The typed amount column (NULL when the input has none) and its check. Absent from most
    inputs: then a NULL literal, and no check joins the row verdict."""
    import ibis

    if name not in p.columns:
        return ibis.null(_money_type()), []
    if _exact_money(p[name]):
        return p[name].cast(_money_type()), []
    message = _message(f"column {name} is ", n.kept(name), ": not a decimal amount")
    return p[n.parsed("money", name)], [_Check(p[n.parsed("valid", name)], message)]


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


def _not_blank(col: ir.StringValue) -> ir.BooleanValue:
    """Whether a text has a character the trim keeps. Text whose first byte is "!" (0x21) or above
    starts with no whitespace, so only the rest are trimmed to see: trimming every row cost 0.7 s of
    CPU over 20M rows of names that all start with a letter."""
    import ibis

    return ibis.cases((col >= "!", True), else_=col.strip() != "")


def _short_name(col: ir.StringValue, con: Any) -> ir.BooleanValue:
    """Whether a name has at most `MAX_NAME_CHARS` characters. On DuckDB a name of at most that many
    bytes has (UTF-8: a character is one byte or more), and only the others are counted in characters:
    counting every row cost 0.4 s of CPU over 20M rows."""
    import ibis

    chars = col.length() <= MAX_NAME_CHARS
    if backend_name(con) != "duckdb":
        return chars
    return ibis.cases((_udfs().strlen(col) <= MAX_NAME_CHARS, True), else_=chars)


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
    provider names are case-folded ("OpenAI" and "openai" are one provider).

    Three layers, each a projection of the one before: every input column parsed once (`parsed`);
    the typed columns and each check's verdict over the parsed values (`typed`); the row verdicts
    `_ok` and `_problem` over those verdicts. A check that uses a parsed value names its column, so
    the query states each parse once: written as one projection, a count's parse was repeated in
    every check that used it (its TRIM alone 98 times for `reasoning_tokens`), and DuckDB spent a
    tenth of a second binding and planning the 100 KB query of a 1-row CSV. `view()` keeps Ibis
    from merging the layers back into one projection."""
    import ibis
    import ibis.expr.datatypes as dt

    if "ts" not in raw.columns:
        raise KeyError("ts")
    n = _Names(_prefix(raw.columns))
    text_columns = ("request_id", "model", *(d for d in DIMENSION_COLUMNS), "cost_source", *tags)

    # -- the parsed layer: the input's columns, and each parsed once ---------------------------
    parsed: dict[str, ir.Value] = {}
    ts_raw = raw.ts
    if not ts_raw.type().is_timestamp():  # text (or any other type as its text): ISO 8601
        ts_text = ts_raw.strip() if ts_raw.type().is_string() else ts_raw.cast("string").strip()
        ts_parsed = ts_text.try_cast(dt.Timestamp(timezone="UTC"))
        parsed[n.parsed("time", "ts")] = naive_utc(ts_parsed, con)
        parsed[n.parsed("valid", "ts")] = ts_parsed.notnull()
        if ts_raw.type().is_string():
            parsed[n.parsed("present", "ts")] = ts_text.notnull() & (ts_text != "")
    else:
        parsed[n.parsed("time", "ts")] = naive_utc(ts_raw, con)
    parsed[n.parsed("text", "provider")] = _text(raw, "provider", provider, strip=strip).lower()
    for name in text_columns:
        parsed[n.parsed("text", name)] = _text(raw, name, model if name == "model" else None, strip=strip)
    tier_raw = _text(raw, "service_tier", strip=strip)
    if strip:
        tier = tier_raw.lower().substitute(TIER_ALIASES, else_=tier_raw).fill_null("standard")
    elif "service_tier" in raw.columns:
        tier = tier_raw  # NULL means standard (see key_problem)
    else:
        tier = ibis.literal("standard")
    parsed[n.parsed("text", "service_tier")] = tier
    count_names = ("requests", *COUNT_COLUMNS)
    for name in count_names:
        parsed |= _parse_count(raw, name, n)
    parsed |= _parse_money(raw, "reported_cost_usd", n)
    p = raw.mutate(**parsed).view()

    # -- the typed layer: the ledger's columns, and each check's verdict -------------------------
    checks: list[_Check] = []
    ts = p[n.parsed("time", "ts")]
    empty = _fixed("column ts is empty: every row needs a timestamp")
    if ts_raw.type().is_string():
        checks.append(_Check(p[n.parsed("present", "ts")], empty))
    elif ts_raw.type().is_timestamp():
        checks.append(_Check(p.ts.notnull(), empty))
    ts_is = "column ts is "
    if not ts_raw.type().is_timestamp():
        iso = ": not a timestamp (ISO 8601, e.g. 2026-01-31T12:00:00Z)"
        checks.append(_Check(p[n.parsed("valid", "ts")], _message(ts_is, n.kept("ts"), iso)))
    in_span = (ts >= ibis.literal(TS_FIRST)) & (ts < ibis.literal(TS_END))
    span = ": outside the years 1970 to 2199"
    checks.append(_Check(ts.isnull() | in_span, _message(ts_is, n.kept("ts"), span)))
    checks.append(_Check(ts.notnull(), _message(ts_is, n.kept("ts"), ": not a usable instant")))

    provider_col = p[n.parsed("text", "provider")]
    model_col = p[n.parsed("text", "model")]
    # Blank counts as empty whether or not the column was trimmed (typed Parquet keeps its text as written).
    checks.append(
        _Check(provider_col.notnull() & _not_blank(provider_col), _fixed("column provider is empty"))
    )
    checks.append(_Check(model_col.notnull() & _not_blank(model_col), _fixed("column model is empty")))
    for name, col in (("provider", provider_col), ("model", model_col)):
        long = f": longer than {MAX_NAME_CHARS} characters"
        checks.append(
            _Check(col.isnull() | _short_name(col, con), _message(f"column {name} is ", name, long))
        )
    tier = p[n.parsed("text", "service_tier")]
    tiers = ": expected standard, batch, flex or priority"
    checks.append(
        _Check(
            tier.isnull() | tier.isin(SERVICE_TIERS),
            _message("column service_tier is ", "service_tier", tiers),
            row_level=False,
        )
    )
    counts: dict[str, ir.IntegerValue] = {}
    for name in count_names:
        counts[name], col_checks = _count(p, name, 1 if name == "requests" else 0, n)
        checks.extend(col_checks)
    typed_checks = len(checks)  # the checks of typed counts come next (over the typed layer)

    reported, money_checks = _money(p, "reported_cost_usd", n)
    checks.extend(money_checks)
    cost_source = p[n.parsed("text", "cost_source")]
    if "cost_source" in raw.columns:
        sources = ": expected " + ", ".join(COST_SOURCES)
        checks.append(
            _Check(
                cost_source.isnull() | cost_source.isin(COST_SOURCES),
                _message("column cost_source is ", "cost_source", sources),
            )
        )

    source_file = p._file
    request_id = p[n.parsed("text", "request_id")].fill_null(source_file + ":" + p._line.cast("string"))
    columns: dict[str, ir.Value] = {
        "ts": ts,
        "request_id": request_id,
        "provider": provider_col,
        "model": model_col,
        **{d: p[n.parsed("text", d)] for d in DIMENSION_COLUMNS if d != "region"},
        "service_tier": tier,
        "region": p[n.parsed("text", "region")],
        **counts,
        "reported_cost_usd": reported,
        "cost_source": cost_source,
        **{t: p[n.parsed("text", t)] for t in tags},
    }
    if "prefix_hashes" in raw.columns and raw.prefix_hashes.type().is_array():
        columns["prefix_hashes"] = p.prefix_hashes.cast(dt.Array(dt.int64))
    else:
        columns["prefix_hashes"] = ibis.null(dt.Array(dt.int64))
    columns["source_file"] = source_file
    columns["source_line"] = p._line.cast("int64")
    if "_src" in raw.columns:  # the input of each row, when the rows of several come as one table
        columns["_src"] = p._src
    # For the light pass: the instant as cheap to min/max as possible (the raw typed column).
    order = p.ts if ts_raw.type().is_timestamp() else ts
    if order.type() != dt.Timestamp():  # one type for every input (see `naive_utc`)
        order = order.cast(dt.Timestamp())
    columns["_ts_order"] = ibis.cases((in_span, order), else_=ibis.null(order.type()))
    kept = {n.kept(c): p[c] for c in ("ts", *count_names, "reported_cost_usd") if c in raw.columns}
    verdicts = {n.check(i): c.ok for i, c in enumerate(checks)}
    t = p.select(**columns, **verdicts, **kept).view()

    # -- the last layer: the row verdicts ------------------------------------------------------
    final = [_Check(t[n.check(i)], c.message, c.row_level) for i, c in enumerate(checks)]
    typed = {name: t[name] for name in counts}
    reasoning = "column reasoning_tokens is " + _quoted(typed["reasoning_tokens"])
    late = [
        _Check(
            typed["reasoning_tokens"] <= typed["output_tokens"],
            _over(reasoning, "output_tokens", "); reasoning is a part of output"),
        )
    ]
    for bucket, parts in MODALITY_PARTS.items():
        # "Of which" parts: their sum (with reasoning, text, for output) never exceeds the bucket.
        named = [*parts, "reasoning_tokens"] if bucket == "output_tokens" else list(parts)
        whole = sum((typed[part] for part in named[1:]), typed[named[0]])
        shown = f"columns {' + '.join(named)} add up to " + whole.cast("string")
        late.append(_Check(whole <= typed[bucket], _over(shown, bucket, "); they are parts of it")))
    final[typed_checks:typed_checks] = late
    row_checks = [c.ok for c in final if c.row_level]
    ok = row_checks[0]
    for c in row_checks[1:]:
        ok = ok & c
    return t.select(
        *columns,
        _ok=ok.fill_null(False),
        _problem=ibis.cases(
            *((~c.ok.fill_null(False), c.message(t)) for c in final), else_=ibis.null("string")
        ),
    )
