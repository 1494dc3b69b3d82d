"""SQL pieces the bulk formats share, over values extracted as JSON text (see `bulk.BulkFormat`):
a JSON string keeps its quotes, a JSON null is `null`, an absent key is NULL. DuckDB writes numbers
back canonically (an integer as its digits, any other number with a `.` or an exponent), which is
what makes these tests exact."""

from __future__ import annotations

TS_END_EPOCH = 7_258_118_400
"""2200-01-01T00:00:00Z, validation's `TS_END`: later instants are left to Python (whose time text
validation quarantines), so that every time made here is one validation takes as it is."""
ISO_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?"
"""The text times the SQL reads (as validation does, `TRY_CAST(... AS TIMESTAMPTZ)` in UTC: the bulk
connection's time zone); other text is left to Python, whose text validation parses (so no engine
reads it differently)."""
MAX_DIGITS = 12
"""Counts of up to 12 digits are decided in SQL (under the validator's 10^12 limit); longer ones,
by the Python reader."""


def absent(x: str) -> str:
    """The value is absent or a JSON null (Python's `obj.get(key) is None`)."""
    return f"({x} IS NULL OR {x} = 'null')"


def blank(x: str) -> str:
    """Absent, null or the empty string (what the readers' `first` skips)."""
    return f"({x} IS NULL OR {x} = 'null' OR {x} = '\"\"')"


def is_int(x: str) -> str:
    """A JSON integer >= 0 with at most `MAX_DIGITS` digits."""
    # (JSON text as DuckDB writes it back: a number starting with a digit is an integer unless it
    # has a `.` or an exponent; a string starts with its quote, a negative number with `-`. The
    # first character is a digit when the text sorts in ['0', ':'), ':' following '9': two
    # comparisons of the text's inlined prefix, where taking the character out costs a string.)
    return (
        f"(strlen({x}) <= {MAX_DIGITS} AND {x} >= '0' AND {x} < ':' "
        f"AND NOT contains({x}, '.') AND NOT contains({x}, 'e') AND NOT contains({x}, 'E'))"
    )


def count_or_zero(x: str) -> str:
    """Decidable as a count that defaults to 0 when absent or null."""
    return f"({absent(x)} OR {is_int(x)})"


def count(x: str) -> str:
    """The count (BIGINT), 0 when absent or null (only where `count_or_zero` holds)."""
    return f"coalesce(TRY_CAST(nullif({x}, 'null') AS BIGINT), 0)"


def is_text(x: str) -> str:
    """A JSON string, or absent or null."""
    # (starts with '"': sorts in ['"', '#'), '#' following '"'; comparisons cost less than starts_with)
    return f"({absent(x)} OR ({x} >= '\"' AND {x} < '#'))"


def text(x: str) -> str:
    """The string's text (NULL when absent or null); only where `is_text` holds."""
    # (Without a backslash the text is what lies between the quotes, character for character:
    # `substr` by a length in characters costs half of a slice `[2:-2]`, which means the same.)
    return (
        f"CASE WHEN {absent(x)} THEN NULL WHEN contains({x}, '\\') "
        f"THEN json_extract_string({x}, '$') ELSE substr({x}, 2, length({x}) - 2) END"
    )


def first_value(*xs: str) -> str:
    """The first value that is neither absent, null nor "" (the readers' `first`), as JSON text."""
    return "coalesce(" + ", ".join(f"CASE WHEN NOT {blank(x)} THEN {x} END" for x in xs) + ")"


def first_text(*xs: str) -> str:
    """The first of the strings that is neither absent, null nor empty (the readers' `first`)."""
    return "coalesce(" + ", ".join(f"nullif({text(x)}, '')" for x in xs) + ")"


def is_object(x: str) -> str:
    """The value is a JSON object (`{}` where the JSON reader took it as one, its text elsewhere)."""
    return f"starts_with({x}, '{{')"


def is_string(x: str) -> str:
    """The value is a JSON string."""
    return f"({x} >= '\"' AND {x} < '#')"


def time(x: str) -> str:
    """The instant of a JSON time `x` (an integer of epoch seconds, or `ISO_TIME` text) as the readers'
    `instant` and validation read it (naive UTC); NULL when it is neither (test `in_range` of it)."""
    iso = "'\"" + ISO_TIME + "\"'"
    return (
        f"CASE WHEN {is_int(x)} THEN make_timestamp(TRY_CAST({x} AS BIGINT) * 1000000) "
        f"WHEN {is_string(x)} AND regexp_full_match({x}, {iso}) "
        f"THEN make_timestamp(epoch_us(TRY_CAST(substr({x}, 2, length({x}) - 2) AS TIMESTAMPTZ))) END"
    )


def in_range(t: str) -> str:
    """An instant (from `time`) validation takes as it is: from 1970 to before 2200."""
    return f"({t} >= TIMESTAMP '1970-01-01' AND {t} < TIMESTAMP '2200-01-01')"


def is_amount(x: str) -> str:
    """Absent, null, or an amount `money` reads as the JSON number's text: DuckDB writes a number
    back as the shortest text of its double, as Python's `repr` does; at most 15 significant digits
    (so the double's digits are the text's), no sign, no exponent."""
    # (Digits are counted only in text longer than 15 characters.)
    return (
        f"({absent(x)} OR (regexp_full_match({x}, '(0|[1-9][0-9]*)(\\.[0-9]+)?') AND "
        f"CASE WHEN strlen({x}) <= 15 THEN true "
        f"ELSE strlen(ltrim(replace({x}, '.', ''), '0')) <= 15 END))"
    )


def amount(x: str) -> str:
    """The amount's exact decimal text, as `fields.money` writes it (only where `is_amount` holds):
    Python's Decimal(repr(float)).normalize() in fixed notation, trailing zeros dropped."""
    # (Only text ending in 0 has zeros to drop: the others skip the trimming.)
    return (
        f"CASE WHEN {absent(x)} THEN NULL "
        f"WHEN suffix({x}, '0') AND contains({x}, '.') "
        f"THEN rtrim(rtrim({x}, '0'), '.') ELSE {x} END"
    )
