"""Arrow arrays from Python values without pandas.

`pa.array` on a list of Python values imports pandas when it is installed (to ask whether the list
is a pandas object): a fifth of a second, more than a small bill's whole query work. The builders
here make the arrays the staging and the rate table need (text, int64, bool, naive timestamps,
lists of int64) straight from buffers; anything else goes through `pa.array`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa

_EPOCH = dt.datetime(1970, 1, 1)
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
        if kind == pa.list_(pa.int64()):
            return _list_column(values)
    except (UnicodeEncodeError, OverflowError, TypeError, ValueError):
        pass
    return pa.array(values, type=kind)


def scalar(value: Any, kind: pa.DataType) -> pa.Scalar:
    """`value` as an Arrow scalar of `kind` (like `pa.scalar`, without pandas)."""
    return column([value], kind)[0]


def table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows (dicts) as a table of `schema`, like `pa.Table.from_pylist(rows, schema=schema)`."""
    return pa.Table.from_arrays(
        [column([r.get(f.name) for r in rows], f.type) for f in schema], schema=schema
    )


def _fixed(kind: pa.DataType, values: list[Any], numbers: list[int], dtype: Any) -> pa.Array:
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
