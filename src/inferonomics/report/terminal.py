"""The summary of a bill, as a terminal page and as Markdown: the period, the account of rows,
the total and where it goes, breakdowns by provider, model, feature, service tier (and any
columns asked for), the spread of spend over users, and what was not priced or was quarantined.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.table import Table
from rich.text import Text

from inferonomics.billing.bill import Summary
from inferonomics.ledger.schema import INPUT_COLUMNS
from inferonomics.report.format import count, money, pct, quarantine_line, safe_text, tokens
from inferonomics.report.tables import breakdown, cell

__all__ = ["print_summary", "summary_dict", "summary_markdown"]

COMPONENT_NAMES = (
    ("input", "input"),
    ("cache_read", "cache reads"),
    ("cache_write", "cache writes"),
    ("output", "output"),
    ("fees", "fees"),
)


def _total(summary: Summary) -> Decimal:
    value = summary.totals.get("cost_usd")
    return value if isinstance(value, Decimal) else Decimal(0)


def _effective(summary: Summary) -> str | None:
    eff = summary.effective
    if not eff:
        return None
    ratio = eff.get("input_output_ratio")
    return (
        f"Effective rates: input {money(eff.get('input_usd_per_mtok'), 3)}/MTok, output "
        f"{money(eff.get('output_usd_per_mtok'), 3)}/MTok, blended "
        f"{money(eff.get('blended_usd_per_mtok'), 3)}/MTok; input:output "
        + (f"{ratio:,.1f}:1" if ratio is not None else "–")
    )


def _rows_line(summary: Summary) -> str:
    s = summary.account
    return (
        f"Rows read {count(s.rows_read)} = billed {count(s.rows_billed)} + quarantined "
        f"{count(s.rows_quarantined)}"
    )


def _where(summary: Summary) -> str:
    return ", ".join(
        f"{name} {money(summary.totals.get(f'cost_{key}_usd'))}" for key, name in COMPONENT_NAMES
    )


def _sections(summary: Summary) -> list[tuple[str, pa.Table, list[str]]]:
    out = [
        ("By provider", summary.by_provider, ["provider"]),
        ("By model", summary.by_model, ["model"]),
        ("By feature", summary.by_feature, ["feature"]),
        ("By service tier", summary.by_tier, ["service_tier"]),
    ]
    out += [(f"By {name}", table, [name]) for name, table in summary.by.items()]
    return out


def _users_line(summary: Summary) -> str | None:
    u = summary.users
    if not u.users:
        return None
    return (
        f"Users: {count(u.users)}; per-user spend p50 {money(u.p50_usd)}, p95 {money(u.p95_usd)}, "
        f"p99 {money(u.p99_usd)}, max {money(u.max_usd)}; the top 1% carry {pct(u.top1pct_share)} of spend"
    )


def print_summary(summary: Summary, console: Console) -> None:
    """The summary as a terminal page (user text is never read as markup)."""
    s = summary.account
    total = _total(summary)
    if console.is_terminal:
        console.rule("[bold]inferonomics — usage bill")
    else:
        console.print(Text("inferonomics — usage bill", style="bold"))
    first, last = summary.span
    if first is not None:
        console.print(f"Period: {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC")
    console.print(_rows_line(summary))
    unpriced = int(summary.totals.get("unpriced_requests") or 0)
    requests = int(summary.totals.get("requests") or 0)
    line = Text.assemble((f"Total {money(total)}", "bold"), f" for {count(requests)} requests")
    if unpriced:
        line.append(f"  ({count(unpriced)} requests unpriced, not in the total)", style="yellow")
    console.print(line)
    eff = _effective(summary)
    if eff:
        console.print(eff)
    console.print(f"Where it goes: {_where(summary)}")
    for title, table, keys in _sections(summary):
        console.print()
        console.print(breakdown(title, table, keys, total))
    console.print()
    users = _users_line(summary)
    if users:
        console.print(users)
        top = Table(title="Top users", title_justify="left", show_edge=False, pad_edge=False)
        top.add_column("user")
        top.add_column("requests", justify="right")
        top.add_column("cost", justify="right")
        for row in summary.users.top_users.to_pylist():
            top.add_row(cell(row["user"]), count(row["requests"]), money(row["cost_usd"]))
        console.print(top)
        console.print()
    if summary.unpriced.num_rows:
        console.print("Unpriced requests (not in the total):", style="yellow")
        for row in summary.unpriced.to_pylist():
            console.print(Text(safe_text(f"  {count(row['requests'])} requests: {row['status']}")))
    if s.rows_quarantined:
        console.print(f"Quarantined rows: {count(s.rows_quarantined)} (first ones below)", style="yellow")
        for row in summary.quarantine.to_pylist():
            console.print(Text(safe_text(f"  {quarantine_line(row)}")))
    console.print(Text(safe_text(f"Prices: {' + '.join(summary.layers)}"), style="dim"))


def _md(text: object) -> str:
    """User text in a Markdown table cell: pipes, backslashes, markup and line breaks escaped."""
    value = "–" if text is None else str(text)
    for ch in ("\\", "|", "*", "_", "`", "[", "]", "<", ">", "#"):
        value = value.replace(ch, "\\" + ch)
    return " ".join(value.split())


def _md_table(table: pa.Table, keys: list[str], total: Decimal, limit: int = 10) -> list[str]:
    head = [*keys, "requests", "input", "cached", "output", "cost", "share"]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if i < len(keys) else "---:" for i in range(len(head))) + "|",
    ]
    for row in table.slice(0, limit).to_pylist():
        share = row["cost_usd"] / total if total else Decimal(0)
        values = [
            *(_md(row[k]) for k in keys),
            count(row["requests"]),
            tokens(sum(int(row[c]) for c in INPUT_COLUMNS)),
            tokens(int(row["cache_read_tokens"])),
            tokens(int(row["output_tokens"])),
            money(row["cost_usd"]),
            pct(share),
        ]
        lines.append("| " + " | ".join(values) + " |")
    if table.num_rows > limit:
        lines.append(f"\n… and {table.num_rows - limit:,} more")
    return lines


def summary_markdown(summary: Summary) -> str:
    """The summary as Markdown (for a ticket, a wiki page or an email); user text escaped."""
    s = summary.account
    total = _total(summary)
    out: list[str] = ["# Usage bill", ""]
    first, last = summary.span
    if first is not None:
        out.append(f"- Period: {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC")
    out.append(f"- {_rows_line(summary)}")
    unpriced = int(summary.totals.get("unpriced_requests") or 0)
    requests = int(summary.totals.get("requests") or 0)
    out.append(
        f"- **Total {money(total)}** for {count(requests)} requests"
        + (f" ({count(unpriced)} requests unpriced, not in the total)" if unpriced else "")
    )
    eff = _effective(summary)
    if eff:
        out.append(f"- {eff}")
    out.append(f"- Where it goes: {_where(summary)}")
    for title, table, keys in _sections(summary):
        out += ["", f"## {title}", "", *_md_table(table, keys, total)]
    users = _users_line(summary)
    if users:
        out += ["", "## Users", "", users, "", "| user | requests | cost |", "|---|---:|---:|"]
        out += [
            f"| {_md(r['user'])} | {count(r['requests'])} | {money(r['cost_usd'])} |"
            for r in summary.users.top_users.to_pylist()
        ]
    if summary.unpriced.num_rows:
        out += ["", "## Unpriced requests (not in the total)", ""]
        out += [
            f"- {count(r['requests'])} requests: {_md(r['status'])}" for r in summary.unpriced.to_pylist()
        ]
    if s.rows_quarantined:
        out += ["", f"## Quarantined rows: {count(s.rows_quarantined)} (first ones)", ""]
        out += [f"- {_md(quarantine_line(r))}" for r in summary.quarantine.to_pylist()]
    out += ["", f"Prices: {' + '.join(_md(x) for x in summary.layers)}", ""]
    return "\n".join(out)


def summary_dict(summary: Summary) -> dict[str, Any]:
    """The summary as JSON-ready data (money as exact decimals)."""
    u = summary.users
    return {
        "period": {"first": summary.span[0], "last": summary.span[1]},
        "account": {
            "rows_read": summary.account.rows_read,
            "rows_billed": summary.account.rows_billed,
            "rows_quarantined": summary.account.rows_quarantined,
            "duplicates": summary.account.duplicates,
        },
        "totals": summary.totals,
        "effective": summary.effective,
        "by_provider": summary.by_provider.to_pylist(),
        "by_model": summary.by_model.to_pylist(),
        "by_feature": summary.by_feature.to_pylist(),
        "by_service_tier": summary.by_tier.to_pylist(),
        **{f"by_{name}": table.to_pylist() for name, table in summary.by.items()},
        "users": {
            "users": u.users,
            "p50_usd": u.p50_usd,
            "p95_usd": u.p95_usd,
            "p99_usd": u.p99_usd,
            "max_usd": u.max_usd,
            "top1pct_share": u.top1pct_share,
            "top_users": u.top_users.to_pylist(),
        },
        "unpriced": summary.unpriced.to_pylist(),
        "quarantine_sample": summary.quarantine.to_pylist(),
        "prices": summary.layers,
    }
