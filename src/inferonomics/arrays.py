"""Arrow arrays from Python values without pandas.

`pa.array` on a list of Python values imports pandas when it is installed (to ask whether the list
is a pandas object): a fifth of a second, more than a small bill's whole query work. The builders
here make the arrays the staging, the rate table and the agent readers need (text, int64, float64,
bool, naive and UTC timestamps, lists of int64) straight from buffers; anything else goes through
`pa.array`.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import numpy as np
import pyarrow as pa

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def column(values: list[Any], kind: pa.DataType) -> pa.Array:
    """`values` as an Arrow array of `kind`, equal to `pa.array(values, type=kind)`. Anything unusual
    (a lone surrogate, a part over 2 GiB of text, a value of another type) goes through `pa.array`,
    which decides as it always did."""
    try:
        if kind == pa.string():
            return _text_column(values)
        if kind == pa.int64():
            if not all(type(v) is int for v in values if v is not None):
                raise TypeError("not integers")
            return _fixed(kind, values, [0 if v is None else v for v in values], np.int64)
        if kind == pa.bool_():
            if not all(type(v) is bool for v in values if v is not None):
                raise TypeError("not booleans")
            bits = np.packbits(np.array([bool(v) for v in values], dtype=bool), bitorder="little")
            validity, nulls = _validity(values)
            return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(bits)], null_count=nulls)
        if kind == pa.timestamp("us"):
            if not all(type(v) is dt.datetime and v.tzinfo is None for v in values if v is not None):
                raise TypeError("not naive instants")
            micros = [0 if v is None else (v - _EPOCH) // _MICRO for v in values]
            return _fixed(kind, values, micros, np.int64)
        if kind == pa.timestamp("us", tz="UTC"):
            if not all(type(v) is dt.datetime and v.tzinfo is not None for v in values if v is not None):
                raise TypeError("not aware instants")
            micros = [0 if v is None else (v - _EPOCH_UTC) // _MICRO for v in values]
            return _fixed(kind, values, micros, np.int64)
        if kind == pa.float64():
            if not all(type(v) is float or type(v) is int for v in values if v is not None):
                raise TypeError("not numbers")
            return _fixed(kind, values, [0.0 if v is None else float(v) for v in values], np.float64)
        if kind == pa.list_(pa.int64()):
            return _list_column(values)
    except (UnicodeEncodeError, OverflowError, TypeError, ValueError):
        pass
    return pa.array(values, type=kind)


def integers(values: Any, kind: pa.DataType) -> pa.Array:
    """Whole numbers without NULL (a list, a range, a NumPy array) as an Arrow array of `kind` (int32
    or int64), from a NumPy buffer: `pa.array` imports pandas, even for a NumPy array."""
    data = np.asarray(values, dtype={pa.int32(): np.int32, pa.int64(): np.int64}[kind])
    return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])


def empty(schema: pa.Schema) -> pa.Table:
    """A table of `schema` without rows (like `schema.empty_table()`, which imports pandas)."""
    return pa.Table.from_batches([], schema=schema)


def pylist(table: pa.Table) -> list[dict[str, Any]]:
    """`table.to_pylist()` without pandas: pyarrow imports it to give an instant with a time zone its
    `tzinfo`. Such columns (in seconds to microseconds) are read as UTC wall times and given the
    zone here, as pyarrow gives it (`zoneinfo`, or a fixed offset for `+05:30`)."""
    zones: dict[str, dt.tzinfo] = {}
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type) and f.type.tz is not None and f.type.unit != "ns":
            zones[f.name] = _zone(f.type.tz)
            table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp(f.type.unit)))
    rows: list[dict[str, Any]] = table.to_pylist()
    for name, zone in zones.items():
        for row in rows:
            if row[name] is not None:
                row[name] = row[name].replace(tzinfo=dt.UTC).astimezone(zone)
    return rows


def _zone(name: str) -> dt.tzinfo:
    offset = re.fullmatch(r"([+-])(\d\d):(\d\d)", name)
    if offset is None:
        return zoneinfo.ZoneInfo(name)
    sign = -1 if offset[1] == "-" else 1
    return dt.timezone(sign * dt.timedelta(hours=int(offset[2]), minutes=int(offset[3])))


def scalar(value: Any, kind: pa.DataType) -> pa.Scalar:
    """`value` as an Arrow scalar of `kind` (like `pa.scalar`, without pandas)."""
    return column([value], kind)[0]


def table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows (dicts) as a table of `schema`, like `pa.Table.from_pylist(rows, schema=schema)`."""
    return pa.Table.from_arrays(
        [column([r.get(f.name) for r in rows], f.type) for f in schema], schema=schema
    )


def _fixed(kind: pa.DataType, values: list[Any], numbers: list[int] | list[float], dtype: Any) -> pa.Array:
    validity, nulls = _validity(values)
    data = pa.py_buffer(np.array(numbers, dtype=dtype))
    return pa.Array.from_buffers(kind, len(values), [validity, data], null_count=nulls)


def _validity(values: list[Any]) -> tuple[pa.Buffer | None, int]:
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    nulls = len(values) - int(valid.sum())
    return (pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None), nulls


def _offsets(lengths: list[int]) -> pa.Buffer:
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 2**31:
        raise OverflowError("more than 2 GiB in one array")
    return pa.py_buffer(offsets.astype(np.int32))


def _text_column(values: list[Any]) -> pa.Array:
    if not all(type(v) is str for v in values if v is not None):
        raise TypeError("not text")
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    validity, nulls = _validity(values)
    buffers = [validity, _offsets([len(b) for b in encoded]), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(values), buffers, null_count=nulls)


def _list_column(values: list[Any]) -> pa.Array:
    if not all(type(v) is list for v in values if v is not None):
        raise TypeError("not lists")
    items = [x for v in values if v is not None for x in v]
    if not all(type(x) is int for x in items):
        raise TypeError("not a list of integers")
    child = pa.Array.from_buffers(pa.int64(), len(items), [None, pa.py_buffer(np.array(items, np.int64))])
    validity, nulls = _validity(values)
    offsets = _offsets([0 if v is None else len(v) for v in values])
    kind = pa.list_(pa.int64())
    return pa.Array.from_buffers(kind, len(values), [validity, offsets], null_count=nulls, children=[child])
