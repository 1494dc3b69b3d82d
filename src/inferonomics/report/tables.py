"""Result tables as people and other tools read them: terminal tables (rich) and CSV.

Terminal cells are literal text (a model or tenant named `[red]x` is shown as written, never
read as markup; control characters are shown as `\\xNN`). CSV cells that a spreadsheet would run
as a formula (`=HYPERLINK(...)`) get a leading `'`. CSV carries exact values: money as plain
decimals (`0.585`, not `0.585000000000000`), instants in ISO 8601 (`2025-11-03T00:00:00Z`), lists
as space-separated values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from rich.table import Table
from rich.text import Text

from inferonomics import arrays
from inferonomics.ledger.schema import INPUT_COLUMNS
from inferonomics.report.format import count, csv_safe, decimal_text, iso, money, pct, safe_text, tokens

__all__ = ["bill_table", "cell", "csv_ready", "csv_text", "header", "table_of", "write_csv"]

_METRICS = {"rows", "requests", "unpriced_requests", "cost_usd"}


def cell(v: object) -> Text:
    """One value as a terminal cell: literal text; money-like decimals to six places."""
    if v is None:
        return Text("–")
    if isinstance(v, bool):
        return Text("yes" if v else "no")
    if isinstance(v, Decimal):
        return Text(f"{v:,.6f}")
    if isinstance(v, int):
        return Text(f"{v:,}")
    if isinstance(v, dt.datetime):
        # An instant in UTC as UTC; one in another zone (the periods of --timezone) as its local
        # time there, so that a local day reads as that day, as the CSV and JSON write it.
        if v.tzinfo is not None:
            v = (v if v.utcoffset() else v.astimezone(dt.UTC)).replace(tzinfo=None)
        return Text(v.strftime("%Y-%m-%d %H:%M") if (v.hour, v.minute) != (0, 0) else v.strftime("%Y-%m-%d"))
    if isinstance(v, dt.date):
        return Text(v.isoformat())
    return Text(safe_text(v))


def header(name: str) -> Text:
    """A column header from user text (a tag, a --by column): literal, control characters escaped."""
    return Text(safe_text(name))


def _input_total(row: dict[str, Any]) -> int:
    """Every input bucket of a rollup row: uncached, cache reads and cache writes."""
    return sum(int(row[c]) for c in INPUT_COLUMNS)


def bill_table(rows: pa.Table, limit: int | None = None, *, total: bool = True) -> Table:
    """A rollup as the terminal shows it: group columns, requests, input (all input buckets, of
    which cached), output, cost and unpriced requests, with a total row over every group (also
    those beyond `limit`). JSON, CSV and Parquet carry every column and no total row."""
    groups = [
        c for c in rows.column_names if c not in _METRICS and not c.endswith(("_tokens", "_usd", "_requests"))
    ]
    view = Table(show_edge=False, pad_edge=False)
    for g in groups:
        view.add_column(header(g), no_wrap=True)
    for name in ("requests", "input", "cached", "output", "cost", "unpriced"):
        view.add_column(name, justify="right", no_wrap=True)
    data = rows if limit is None else rows.slice(0, limit)
    listed = arrays.pylist(data)
    for r in listed:
        view.add_row(*_bill_cells(r, [cell(r[g]) for g in groups]))
    if total and (len(groups) > 0 or rows.num_rows != 1):
        sums = _sum_rows(rows)
        label = [Text("total", style="bold")] + [Text("")] * (len(groups) - 1) if groups else []
        view.add_section()
        view.add_row(*_bill_cells(sums, label), style="bold")
    if limit is not None and rows.num_rows > limit:
        view.caption = (
            f"… and {rows.num_rows - limit:,} more rows in the total (--format csv|json|parquet lists all)"
        )
    return view


def _bill_cells(r: dict[str, Any], label: list[Text]) -> list[Text]:
    return [
        *label,
        Text(count(r["requests"])),
        Text(tokens(_input_total(r))),
        Text(tokens(int(r["cache_read_tokens"]))),
        Text(tokens(int(r["output_tokens"]))),
        Text(money(r["cost_usd"])),
        Text(count(r["unpriced_requests"]) if r["unpriced_requests"] else ""),
    ]


def _sum_rows(rows: pa.Table) -> dict[str, Any]:
    names = [
        "requests",
        "unpriced_requests",
        "cost_usd",
        "cache_read_tokens",
        "output_tokens",
        *INPUT_COLUMNS,
    ]
    out: dict[str, Any] = {}
    for n in dict.fromkeys(names):
        value = pc.sum(rows[n]).as_py() if rows.num_rows else None
        out[n] = value if value is not None else (Decimal(0) if n == "cost_usd" else 0)
    return out


def table_of(rows: pa.Table, title: str | None = None, limit: int | None = None) -> Table:
    """Any table as a terminal table: numbers right-aligned, every cell literal text."""
    view = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for f in rows.schema:
        numeric = pa.types.is_integer(f.type) or pa.types.is_decimal(f.type)
        view.add_column(header(f.name), justify="right" if numeric else "left")
    data = rows if limit is None else rows.slice(0, limit)
    for row in arrays.pylist(data):
        view.add_row(*[cell(v) for v in row.values()])
    return view


def _decimal_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decimals as plain text without trailing zeros (`6600`, `0.585`, `0`). Arrow writes values
    below 1e-6 in scientific notation (`1.5E-9`): those few are written by Python's Decimal."""
    text = pc.cast(col, pa.string())
    if col.type.scale > 0:
        text = pc.replace_substring_regex(text, r"(\.\d*[1-9])0+$", r"\1")
        text = pc.replace_substring_regex(text, r"\.0+$", "")
    scientific = pc.match_substring(text, "E")
    if pc.any(scientific).as_py():
        fixed = [
            None if v is None else (decimal_text(v) if "E" in t else t)
            for v, t in zip(col.to_pylist(), text.to_pylist(), strict=True)
        ]
        return pa.chunked_array([pa.array(fixed, pa.string())])
    return text


def _instant_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Instants in ISO 8601: UTC (`Z`), or local time with its offset for a column in another zone;
    whole seconds unless a value has a fraction of one."""
    unit = col.type.unit
    as_utc = col if col.type.tz is not None else pc.assume_timezone(col, "UTC")
    whole = pc.cast(as_utc, pa.timestamp("s", tz="UTC"), safe=False)
    exact = unit == "s" or pc.all(pc.equal(pc.cast(whole, as_utc.type), as_utc)).as_py() is not False
    zone = col.type.tz
    if exact and zone not in (None, "UTC", "+00:00", "Etc/UTC"):
        # A column in another zone (periods of --timezone): local time with its offset.
        local = pc.strftime(whole.cast(pa.timestamp("s", tz=zone)), format="%Y-%m-%dT%H:%M:%S%z")
        return pc.replace_substring_regex(local, r"([+-]\d\d)(\d\d)$", r"\1:\2")
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    if exact:
        return pc.strftime(whole, format=fmt)
    return pa.chunked_array([[None if v is None else iso(v) for v in col.to_pylist()]], pa.string())


def csv_ready(table: pa.Table) -> pa.Table:
    """The table as CSV should carry it (see the module docstring)."""
    cols = []
    for f in table.schema:
        col = table[f.name]
        if pa.types.is_decimal(f.type):
            col = _decimal_text(col)
        elif pa.types.is_timestamp(f.type):
            col = _instant_text(col)
        elif pa.types.is_dictionary(f.type):
            col = col.cast(pa.string())
        elif pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            col = pa.array(
                [None if v is None else " ".join(map(str, v)) for v in col.to_pylist()], pa.string()
            )
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = _formula_safe(col)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _formula_safe(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A text column with every cell a spreadsheet would run as a formula defused (`csv_safe`);
    checked with one vectorized match first, so a clean column is returned as is."""
    risky = pc.match_substring_regex(col, r"^(?:[=+@\t\r]|-[^0-9.])")
    if not pc.any(risky).as_py():
        return col
    return pa.array([None if v is None else csv_safe(v) for v in col.to_pylist()], pa.string())


def write_csv(table: pa.Table, target: str | Path | Any) -> None:
    """Write `table` as CSV to a path or an Arrow output stream."""
    import pyarrow.csv as pacsv

    pacsv.write_csv(csv_ready(table), target)


def csv_text(table: pa.Table) -> str:
    """`table` as CSV text."""
    buf = pa.BufferOutputStream()
    write_csv(table, buf)
    return bytes(buf.getvalue().to_pybytes()).decode()


def breakdown(title: str, table: pa.Table, keys: Sequence[str], total: Decimal, limit: int = 10) -> Table:
    """A summary breakdown: the first `limit` groups with requests, input, cached, output, cost
    and share of the total; a caption says how many more there are."""
    view = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for k in keys:
        view.add_column(header(k), no_wrap=True)
    for name in ("requests", "input", "cached", "output", "cost", "share"):
        view.add_column(name, justify="right", no_wrap=True)
    for row in table.slice(0, limit).to_pylist():
        share = row["cost_usd"] / total if total else Decimal(0)
        view.add_row(
            *[cell(row[k]) for k in keys],
            Text(count(row["requests"])),
            Text(tokens(_input_total(row))),
            Text(tokens(int(row["cache_read_tokens"]))),
            Text(tokens(int(row["output_tokens"]))),
            Text(money(row["cost_usd"])),
            Text(pct(share)),
        )
    if table.num_rows > limit:
        view.caption = f"… and {table.num_rows - limit:,} more"
    return view
