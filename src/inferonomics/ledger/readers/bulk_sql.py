"""SQL pieces the bulk formats share, over values extracted as JSON text (see `bulk.BulkFormat`):
a JSON string keeps its quotes, a JSON null is `null`, an absent key is NULL. DuckDB writes numbers
back canonically (an integer as its digits, any other number with a `.` or an exponent), which is
what makes these tests exact."""

from __future__ import annotations

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


def first_text(*xs: str) -> str:
    """The first of the strings that is neither absent, null nor empty (the readers' `first`)."""
    return "coalesce(" + ", ".join(f"nullif({text(x)}, '')" for x in xs) + ")"
