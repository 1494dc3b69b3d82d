"""The Bill section of the HTML report: spend over time split by provider, model, feature, tenant
and tags, where the money goes by cost component, the token mix, effective $/MTok per model, and
what was left unpriced or quarantined with the reasons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from inferonomics.billing.bill import Summary, bill, regroup
from inferonomics.billing.rollup import effective_rates
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.report.format import count, money, pct, quarantine_line, tokens
from inferonomics.report.html.charts import Chart, Section, bars, stacked_over_time
from inferonomics.report.terminal import COMPONENT_NAMES

__all__ = ["TOP_KEYS", "bill_section", "grain_for", "over_time_rows"]

TOP_KEYS = 7
"""Groups drawn per dimension over time; the rest are summed as "other"."""

NONE_LABEL = "(none)"

TOKEN_BUCKETS = (
    ("input_tokens", "uncached input"),
    ("cache_read_tokens", "cache reads"),
    ("cache_write_5m_tokens", "cache writes (5 min)"),
    ("cache_write_1h_tokens", "cache writes (1 h)"),
    ("cache_write_other_tokens", "cache writes (other)"),
    ("output_tokens", "output"),
    ("reasoning_tokens", "of which reasoning"),
)


def grain_for(first: dt.datetime | None, last: dt.datetime | None) -> str:
    """The time grain of the spend-over-time chart from the ledger's span: hours up to two days,
    days up to 120, weeks up to two years, months beyond (so a chart has at most ~120 bars)."""
    if first is None or last is None:
        return "day"
    span = last - first
    if span <= dt.timedelta(days=2):
        return "hour"
    if span <= dt.timedelta(days=120):
        return "day"
    if span <= dt.timedelta(days=731):
        return "week"
    return "month"


def over_time_rows(table: pa.Table, dimension: str, top: int = TOP_KEYS) -> list[list[Any]]:
    """[dimension, group, period, cost] from a rollup by `dimension` and period: the `top` groups of
    the largest spend over the whole span, the rest summed per period as "other"."""
    totals = regroup(table, [dimension]).to_pylist()
    keep = {r[dimension] for r in totals[:top]}
    per_period = regroup(table, [dimension, "period"]).to_pylist()
    out: dict[tuple[str, Any], Decimal] = {}
    for r in per_period:
        key = r[dimension]
        label = (NONE_LABEL if key is None else str(key)) if key in keep else "other"
        out[(label, r["period"])] = out.get((label, r["period"]), Decimal(0)) + r["cost_usd"]
    rows = [[dimension, k, p, v] for (k, p), v in out.items()]
    rows.sort(key=lambda r: (r[2], r[1]))
    return rows


def _dimensions(ledger: Ledger, by: Sequence[str]) -> list[str]:
    dims = ["provider", "model", "feature", "tenant"]
    return dims + [c for c in dict.fromkeys([*ledger.tags, *by]) if c not in dims and c != "user"]


def _total(summary: Summary) -> Decimal:
    value = summary.totals.get("cost_usd")
    return value if isinstance(value, Decimal) else Decimal(0)


def over_time_chart(ledger: Ledger, book: PriceBook, summary: Summary, by: Sequence[str]) -> Chart:
    """Spend per period, stacked by the groups of a dimension picked in the chart."""
    grain = grain_for(*summary.span)
    dims = _dimensions(ledger, by)
    table = bill(ledger, book=book, by=dims, grain=grain).table
    rows: list[list[Any]] = []
    for d in dims:
        rows += over_time_rows(table, d)
    per_period = regroup(table, ["period"]).to_pylist()
    peak = max(per_period, key=lambda r: r["cost_usd"]) if per_period else None
    caption = f"{money(_total(summary))} over {count(len(per_period))} {grain}s"
    if peak is not None:
        start = f"{peak['period']:%Y-%m-%d %H:%M}"
        caption += f"; the most expensive {grain} began {start} UTC at {money(peak['cost_usd'])}"
    return Chart(
        key="bill.over_time",
        title=f"Spend per {grain}",
        caption=caption + f". Pick the split (by {', '.join(dims)}) above the chart.",
        columns=[
            ("dimension", "split by"),
            ("key", "group"),
            ("period", "period start (UTC)"),
            ("cost_usd", "cost (USD)"),
        ],
        rows=rows,
        spec=stacked_over_time(f"Spend per {grain}", dims, grain),
    )


def components_chart(summary: Summary) -> Chart:
    """The bill by cost component (uncached input, cache reads and writes, output, fees)."""
    total = _total(summary)
    rows = [[name, summary.totals.get(f"cost_{key}_usd", Decimal(0))] for key, name in COMPONENT_NAMES]
    top = max(rows, key=lambda r: r[1])
    share = top[1] / total if total else Decimal(0)
    return Chart(
        key="bill.components",
        title="Where the money goes",
        caption=f"{top[0]} carry the most: {money(top[1])} of {money(total)} ({pct(share)}).",
        columns=[("component", "component"), ("cost_usd", "cost (USD)")],
        rows=rows,
        spec=bars("Where the money goes", ("component", "component"), ("cost_usd", "cost (USD)"), len(rows)),
    )


def token_mix_chart(summary: Summary) -> Chart:
    """Tokens per bucket; reasoning tokens are part of output and shown as such."""
    counts = [int(summary.totals.get(col) or 0) for col, _ in TOKEN_BUCKETS]
    rows: list[list[Any]] = [[name, n] for (_, name), n in zip(TOKEN_BUCKETS, counts, strict=True)]
    total_input = sum(counts[:5])
    reads = counts[1]
    share = Decimal(reads) / total_input if total_input else Decimal(0)
    return Chart(
        key="bill.token_mix",
        title="Token mix",
        caption=(
            f"{tokens(total_input)} input tokens, of which cache reads {tokens(reads)} ({pct(share)}); "
            f"{tokens(counts[5])} output tokens, of which reasoning {tokens(counts[6])}."
        ),
        columns=[("bucket", "bucket"), ("tokens", "tokens")],
        rows=rows,
        spec=bars("Token mix", ("bucket", "bucket"), ("tokens", "tokens"), len(rows), money=False),
    )


def rates_chart(summary: Summary) -> Chart:
    """Effective $/MTok per model: cost over all input and output tokens (models whose every
    request is unpriced are left out: they have no price)."""
    rows: list[list[Any]] = []
    table = summary.by_model
    for i, r in enumerate(table.to_pylist()):
        if r["requests"] and r["unpriced_requests"] == r["requests"]:
            continue
        rate = effective_rates(table.slice(i, 1))
        blended = rate.get("blended_usd_per_mtok")
        if blended is None:
            continue
        rows.append(
            [
                f"{r['provider']}/{r['model']}",
                blended,
                rate["input_usd_per_mtok"],
                rate["output_usd_per_mtok"],
            ]
        )
    rows.sort(key=lambda r: -r[1])
    caption = "No priced model."
    if rows:
        hi, lo = rows[0], rows[-1]
        caption = (
            f"{hi[0]} costs the most per token: {money(hi[1], 3)}/MTok blended; "
            f"{lo[0]} the least: {money(lo[1], 3)}/MTok."
        )
    return Chart(
        key="bill.rates",
        title="Effective $/MTok per model",
        caption=caption,
        columns=[
            ("model", "provider/model"),
            ("blended_usd_per_mtok", "blended $/MTok"),
            ("input_usd_per_mtok", "input $/MTok"),
            ("output_usd_per_mtok", "output $/MTok"),
        ],
        rows=rows,
        spec=bars(
            "Effective $/MTok per model",
            ("model", "provider/model"),
            ("blended_usd_per_mtok", "blended $/MTok"),
            len(rows),
        ),
    )


def left_out_table(summary: Summary) -> Chart:
    """Unpriced requests by reason and a sample of quarantined rows with theirs (a table)."""
    rows: list[list[Any]] = [["unpriced", r["status"], r["requests"]] for r in summary.unpriced.to_pylist()]
    rows += [["quarantined", quarantine_line(r), 1] for r in summary.quarantine.to_pylist()]
    unpriced = int(summary.totals.get("unpriced_requests") or 0)
    quarantined = summary.account.rows_quarantined
    if not unpriced and not quarantined:
        caption = "Every request was priced and no row was quarantined."
    else:
        caption = (
            f"{count(unpriced)} requests unpriced (not in the total) and {count(quarantined)} rows "
            f"quarantined{' (a sample below)' if quarantined > len(summary.quarantine) else ''}."
        )
    return Chart(
        key="bill.left_out",
        title="Unpriced and quarantined",
        caption=caption,
        columns=[("what", "what"), ("reason", "reason"), ("requests", "requests or rows")],
        rows=rows,
    )


def bill_section(ledger: Ledger, book: PriceBook, summary: Summary, by: Sequence[str] = ()) -> Section:
    """The Bill section: over time, components, token mix, rates, and what was left out."""
    first, last = summary.span
    period = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if first is not None else "no rows"
    return Section(
        key="bill",
        title="Bill",
        intro=f"What the ledger costs at list prices ({period}, UTC).",
        charts=[
            over_time_chart(ledger, book, summary, by),
            components_chart(summary),
            token_mix_chart(summary),
            rates_chart(summary),
            left_out_table(summary),
        ],
    )
