"""Terminal output: the summary of a bill and the tables of the CLI, with rich."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.table import Table

from inferonomics.billing.bill import Summary
from inferonomics.ledger.core import format_quarantine
from inferonomics.ledger.schema import INPUT_COLUMNS


def money(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "–"
    if value != 0 and abs(value) < Decimal("0.01") and places == 2:
        return f"${value:,.6f}"
    return f"${value:,.{places}f}"


def count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _tokens(n: int) -> str:
    for unit, size in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if abs(n) >= size:
            return f"{n / size:,.1f}{unit}"
    return str(n)


def _all_input(row: dict[str, Any]) -> int:
    """Every input bucket of a rollup row: uncached, cache reads and cache writes."""
    return sum(int(row[c]) for c in INPUT_COLUMNS)


def breakdown(title: str, table: pa.Table, keys: Sequence[str], total: Decimal, limit: int = 10) -> Table:
    out = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for k in keys:
        out.add_column(k, no_wrap=True)
    out.add_column("requests", justify="right")
    out.add_column("input", justify="right")
    out.add_column("cached", justify="right")
    out.add_column("output", justify="right")
    out.add_column("cost", justify="right")
    out.add_column("share", justify="right")
    for row in table.slice(0, limit).to_pylist():
        cached, inp = int(row["cache_read_tokens"]), _all_input(row)
        share = (row["cost_usd"] / total * 100) if total else Decimal(0)
        out.add_row(
            *[str(row[k]) if row[k] is not None else "–" for k in keys],
            count(row["requests"]),
            _tokens(inp),
            _tokens(cached),
            _tokens(int(row["output_tokens"])),
            money(row["cost_usd"]),
            f"{share:.1f}%",
        )
    if table.num_rows > limit:
        out.caption = f"… and {table.num_rows - limit} more"
    return out


def print_summary(summary: Summary, console: Console) -> None:
    s = summary.account
    total: Decimal = summary.totals.get("cost_usd", Decimal(0))
    console.rule("[bold]inferonomics — usage bill")
    first, last = summary.span
    if first is not None:
        console.print(f"Period: {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC")
    console.print(
        f"Rows read {count(s.rows_read)} = billed {count(s.rows_billed)} "
        f"+ quarantined {count(s.rows_quarantined)}"
    )
    unpriced = int(summary.totals.get("unpriced_requests") or 0)
    requests = int(summary.totals.get("requests") or 0)
    console.print(
        f"[bold]Total {money(total)}[/bold] for {count(requests)} requests"
        + (f"  ([yellow]{count(unpriced)} requests unpriced, not in the total[/yellow])" if unpriced else "")
    )
    eff = summary.effective
    if eff:
        ratio = eff.get("input_output_ratio")
        console.print(
            "Effective rates: input "
            + money(eff.get("input_usd_per_mtok"), 3)
            + "/MTok, output "
            + money(eff.get("output_usd_per_mtok"), 3)
            + "/MTok, blended "
            + money(eff.get("blended_usd_per_mtok"), 3)
            + "/MTok; input:output "
            + (f"{ratio:,.1f}:1" if ratio is not None else "–")
        )
    comp = ", ".join(
        f"{name} {money(summary.totals.get(f'cost_{key}_usd'))}"
        for key, name in (
            ("input", "input"),
            ("cache_read", "cache reads"),
            ("cache_write", "cache writes"),
            ("output", "output"),
            ("fees", "fees"),
        )
    )
    console.print(f"Where it goes: {comp}")
    console.print()
    console.print(breakdown("By provider", summary.by_provider, ["provider"], total))
    console.print()
    console.print(breakdown("By model", summary.by_model, ["model"], total))
    console.print()
    console.print(breakdown("By feature", summary.by_feature, ["feature"], total))
    console.print()
    console.print(breakdown("By service tier", summary.by_tier, ["service_tier"], total))
    console.print()
    u = summary.users
    if u.users:
        console.print(
            f"Users: {count(u.users)}; per-user spend p50 {money(u.p50_usd)}, p95 {money(u.p95_usd)}, "
            f"p99 {money(u.p99_usd)}, max {money(u.max_usd)}; "
            f"the top 1% carry {u.top1pct_share * 100:.1f}% of spend"
        )
        top = Table(title="Top users", title_justify="left", show_edge=False, pad_edge=False)
        top.add_column("user")
        top.add_column("requests", justify="right")
        top.add_column("cost", justify="right")
        for row in u.top_users.to_pylist():
            top.add_row(str(row["user"]), count(row["requests"]), money(row["cost_usd"]))
        console.print(top)
        console.print()
    if summary.unpriced.num_rows:
        console.print("[yellow]Unpriced requests (not in the total):[/yellow]")
        for row in summary.unpriced.to_pylist():
            console.print(f"  {count(row['requests'])} requests: {row['status']}")
    if s.rows_quarantined:
        console.print(f"[yellow]Quarantined rows: {count(s.rows_quarantined)}[/yellow] (first ones below)")
        for row in summary.quarantine.to_pylist():
            console.print(f"  {format_quarantine(row)}")
    console.print(f"[dim]Prices: {' + '.join(summary.layers)}[/dim]")


def bill_table(rows: pa.Table, limit: int | None = None) -> Table:
    """A rollup as the terminal shows it: group columns, requests, input (all input buckets, of
    which cached), output, cost and unpriced requests. JSON, CSV and Parquet carry every column."""
    metrics = {"rows", "requests", "unpriced_requests", "cost_usd"}
    groups = [
        c for c in rows.column_names if c not in metrics and not c.endswith(("_tokens", "_usd", "_requests"))
    ]
    out = Table(show_edge=False, pad_edge=False)
    for g in groups:
        out.add_column(g, overflow="fold")
    for name in ("requests", "input", "cached", "output", "cost", "unpriced"):
        out.add_column(name, justify="right")
    data = rows if limit is None else rows.slice(0, limit)
    for r in data.to_pylist():
        cached, inp = int(r["cache_read_tokens"]), _all_input(r)
        out.add_row(
            *[_cell(r[g]) for g in groups],
            count(r["requests"]),
            _tokens(inp),
            _tokens(cached),
            _tokens(int(r["output_tokens"])),
            money(r["cost_usd"]),
            count(r["unpriced_requests"]) if r["unpriced_requests"] else "",
        )
    if limit is not None and rows.num_rows > limit:
        out.caption = f"… and {rows.num_rows - limit:,} more rows (use --format csv|json|parquet for all)"
    return out


def table_of(rows: pa.Table, title: str | None = None, limit: int | None = None) -> Table:
    out = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for name in rows.column_names:
        out.add_column(
            name,
            justify="right"
            if pa.types.is_integer(rows.schema.field(name).type)
            or pa.types.is_decimal(rows.schema.field(name).type)
            else "left",
        )
    data = rows if limit is None else rows.slice(0, limit)
    for row in data.to_pylist():
        out.add_row(*[_cell(v) for v in row.values()])
    return out


def _cell(v: object) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, Decimal):
        return f"{v:,.6f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour, v.minute) != (0, 0) else v.strftime("%Y-%m-%d")
    if hasattr(v, "isoformat"):
        return v.isoformat()  # type: ignore[no-any-return]
    return str(v)


def json_default(v: object) -> Any:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def to_json(rows: Iterable[dict[str, Any]]) -> str:
    return json.dumps(list(rows), default=json_default, indent=2)
