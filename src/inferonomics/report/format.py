"""Numbers as people read them, in one place: money, shares, token counts, and exact decimals for
machine-readable output.

Money shown to a person is rounded half-up to the cent (FinOps tools and invoices round $0.585
to $0.59; Python's default half-to-even would give $0.58); amounts below a cent keep six places
so they do not read as zero. Machine-readable output (JSON, CSV) carries the exact decimal, as
plain text without exponent or trailing zeros.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = [
    "count",
    "csv_safe",
    "decimal_text",
    "iso",
    "json_default",
    "money",
    "pct",
    "quarantine_line",
    "safe_text",
    "to_json",
    "tokens",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMULA = re.compile(r"^(?:[=+@\t\r]|-[^\d.])")


def safe_text(text: object) -> str:
    """User text (a file name, a model, a tenant) with its control characters shown as `\\xNN`: an
    ESC or OSC sequence in the data never reaches a terminal (tabs and newlines stay)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def csv_safe(text: str) -> str:
    """A CSV cell a spreadsheet will not run: text starting as a formula (`=`, `+`, `@`, a tab, a
    carriage return, or `-` before a non-digit) gets a leading `'` (OWASP's advice); numbers stay."""
    return "'" + text if _FORMULA.match(text) else text


CENT = Decimal("0.01")


def money(value: Decimal | int | None, places: int = 2) -> str:
    """`$1,234.57`: half-up to `places` decimals; a non-zero amount below a cent (at two places)
    keeps six (`$0.000450`). None is a dash."""
    if value is None:
        return "–"
    value = Decimal(value)
    if places == 2 and value != 0 and abs(value) < CENT:
        places = 6
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    return f"{sign}${abs(q):,.{places}f}"


def pct(share: Decimal | float | None, places: int = 1) -> str:
    """A share (0.123) as a percentage (`12.3%`), half-up. None is a dash."""
    if share is None:
        return "–"
    value = (Decimal(str(share)) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{value:.{places}f}%"


def count(value: int | None) -> str:
    """`12,345`; None is a dash."""
    return "–" if value is None else f"{value:,}"


def tokens(n: int) -> str:
    """A token count in short form: `1.2M`, `340.0k`, `87`."""
    for unit, size in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if abs(n) >= size:
            return f"{n / size:,.1f}{unit}"
    return str(n)


def decimal_text(value: Decimal) -> str:
    """An exact decimal as plain text: `0.1235`, `6600`, `0` (no exponent, no trailing zeros)."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def iso(value: dt.datetime | dt.date) -> str:
    """ISO 8601: `2026-10-01T12:00:00Z` for a UTC instant (naive instants are UTC), local time with
    its offset for an instant in another zone (`2026-10-01T00:00:00+09:00`: the periods of
    `--timezone`, as the CSV writes them), `2026-10-01` for a date; fractions of a second only when
    there are any."""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    spec = "seconds" if value.microsecond == 0 else "microseconds"
    if value.tzinfo is not None and value.utcoffset() != dt.timedelta(0):
        return value.isoformat(timespec=spec)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec=spec) + "Z"


def quarantine_line(record: Mapping[str, Any]) -> str:
    """`usage.csv line 4312: column output_tokens is "-5": token counts must be >= 0 (row quarantined)`."""
    return f"{record['source_file']} line {record['source_line']}: {record['reason']} (row quarantined)"


def json_default(v: object) -> Any:
    """JSON for what `json` cannot write: decimals as exact strings, instants in ISO 8601."""
    if isinstance(v, Decimal):
        return decimal_text(v)
    if isinstance(v, dt.datetime | dt.date):
        return iso(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def to_json(data: Iterable[dict[str, Any]] | dict[str, Any]) -> str:
    """Rows (or one object) as indented JSON, money as exact decimal strings."""
    value = data if isinstance(data, dict) else list(data)
    return json.dumps(value, default=json_default, indent=2)
