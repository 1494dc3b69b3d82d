"""Small, strict helpers the format readers share: counts, exact amounts, instants, deterministic
ids for bucket rows, model names from display names.

A helper that meets a value it cannot use raises `RecordError`, whose message is the quarantine
reason; the reader's driver records it with the file and line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.validate import MAX_COUNT

__all__ = [
    "bucket_id",
    "count",
    "dig",
    "display_model",
    "first",
    "instant",
    "money",
    "requests_floor",
]


def dig(obj: Any, *path: str) -> Any:
    """A nested value, None when any step is missing or not an object."""
    cur = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def first(*values: Any) -> Any:
    """The first value that is not None (nor an empty string)."""
    for v in values:
        if v is not None and v != "":
            return v
    return None


def count(value: Any, name: str, *, default: int = 0) -> int:
    """A token or request count: a whole number >= 0 (JSON number, or text from a CSV)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise RecordError(f"{name} is {value!r}: not a whole number >= 0", name)
    number: Any = value
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise RecordError(f'{name} is "{value[:60]}": not a whole number >= 0', name) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise RecordError(f"{name} is {value!r}: not a whole number >= 0", name)
    if isinstance(number, Decimal) and not number.is_finite():
        raise RecordError(f'{name} is "{str(value)[:60]}": not a whole number >= 0', name)
    if not isinstance(number, int | float | Decimal) or number != int(number) or number < 0:
        raise RecordError(f"{name} is {value!r}: not a whole number >= 0", name)
    if number > MAX_COUNT:
        raise RecordError(f"{name} is {value!r}: more than {MAX_COUNT:,} in one row", name)
    return int(number)


def money(value: Any, name: str, *, divide_by: int = 1) -> str | None:
    """An amount as exact decimal text (None when absent). JSON floats are read by their shortest
    repr, which is the text the source wrote; `divide_by` turns cents (100) or Helicone's
    nano-dollars (1e9) into dollars exactly."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError(f"{name} is {value!r}: not an amount", name)
    try:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidOperation
            amount = Decimal(repr(value))
        elif isinstance(value, int | Decimal):
            amount = Decimal(value)
        elif isinstance(value, str):
            amount = Decimal(value.strip().replace(",", ""))
        else:
            raise InvalidOperation
    except InvalidOperation:
        raise RecordError(f"{name} is {str(value)[:60]!r}: not an amount", name) from None
    if not amount.is_finite():
        raise RecordError(f"{name} is {value!r}: not an amount", name)
    if divide_by != 1:
        amount = amount / Decimal(divide_by)
    return format(amount.normalize(), "f")


def instant(value: Any, name: str, *, unit: str = "s") -> str:
    """An instant as ISO 8601 text: numbers are epoch `unit`s (s, ms, ns), text is passed on (the
    validator parses it and says when it is not a timestamp)."""
    if value is None or value == "":
        raise RecordError(f"no {name}: every row needs a timestamp", name)
    if isinstance(value, str) and unit == "ns" and value.isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        scale = {"s": 1, "ms": 1_000, "ns": 1_000_000_000}[unit]
        seconds, rest = divmod(int(value), scale) if isinstance(value, int) else (value / scale, 0)
        try:
            base = dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise RecordError(f"{name} is {value!r}: not a time", name) from None
        if rest:
            base += dt.timedelta(microseconds=rest * 1_000_000 // scale)
        return base.isoformat()
    return str(value)


def bucket_id(fmt: str, fields: Mapping[str, Any]) -> str:
    """A deterministic id for a bucket row (aggregated usage has no request id): a hash of the
    format and every field that identifies the bucket (its time span and group-by values), so
    importing the same export twice finds the same ids and counts nothing twice."""
    text = json.dumps({k: fields[k] for k in sorted(fields)}, default=str, separators=(",", ":"))
    digest = hashlib.sha256(f"{fmt}\n{text}".encode()).hexdigest()[:24]
    return f"{fmt}:{digest}"


def requests_floor(total_input: int, context_window: str | None, threshold: int = 200_000) -> int:
    """The fewest requests a bucket can hold given its context-window tier, for buckets that report
    no request count (Anthropic's usage report and console export). The billing engine judges a
    bucket's long-context tier on its average request, so this keeps a day of short requests
    below the threshold and a `200k-1M` bucket above it."""
    window = (context_window or "").replace(" ", "").lower()
    if window.startswith((">", "200k-")) and total_input > threshold:
        return max(1, -(-total_input // 1_000_000))
    return max(1, -(-total_input // threshold))


_DISPLAY = re.compile(r"^claude\s+(?:(\d+(?:\.\d+)?)\s+)?([a-z]+)(?:\s+(\d+(?:\.\d+)?))?$", re.I)


def display_model(name: str) -> str:
    """A model id from a console display name: "Claude Sonnet 4.6" → "claude-sonnet-4-6",
    "Claude 3.5 Haiku" → "claude-3-5-haiku". Other names are lower-cased with spaces as dashes."""
    text = name.strip()
    m = _DISPLAY.match(text)
    if m:
        before, family, after = m.groups()
        parts = ["claude"]
        if before:
            parts.append(before.replace(".", "-"))
        parts.append(family.lower())
        if after:
            parts.append(after.replace(".", "-"))
        return "-".join(parts)
    return re.sub(r"\s+", "-", text.lower())
