"""The Subscriptions section of the HTML report, shown only when the ledger holds coding-agent usage
(rows read from Claude Code or Codex logs carry the `agent` tag): API-equivalent spend per 5-hour
block and per weekly window, against the dollar limits the plan catalogue states for those windows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.plans.catalog import load_plans
from inferonomics.plans.windows import usage_blocks
from inferonomics.report.format import count, money
from inferonomics.report.html.charts import HEIGHT, Chart, Section

__all__ = ["WINDOWS", "subscriptions_section", "usd_limits", "window_chart"]

WINDOWS = (("5-hour blocks", Decimal(5), "blocks"), ("weekly windows", Decimal(168), "weekly"))


def usd_limits(hours: Decimal) -> list[tuple[str, Decimal]]:
    """(plan and limit, USD) of every dollar-counted limit of the plan catalogue over a window of
    `hours` (a published or estimated figure; limits without one are left out)."""
    out: list[tuple[str, Decimal]] = []
    for plan in load_plans():
        for limit in plan.limits:
            if limit.unit == "usd" and limit.amount is not None and limit.window.hours == hours:
                out.append((f"{plan.name} {limit.id} ({limit.status})", Decimal(limit.amount)))
    return out


def window_chart(ledger: Ledger, book: PriceBook, label: str, hours: Decimal, key: str) -> Chart:
    """API-equivalent spend per window of `hours`, with the catalogue's dollar limits as rules."""
    table = usage_blocks(ledger, hours=hours, book=book)
    rows: list[list[Any]] = [
        [r["block_start"], r["requests"], r["cost_usd"]]
        for r in table.select(["block_start", "requests", "cost_usd"]).to_pylist()
    ]
    limits = usd_limits(hours)
    peak = max(rows, key=lambda r: r[2]) if rows else None
    caption = f"{count(len(rows))} {label}"
    if peak is not None:
        caption += f"; the costliest began {peak[0]:%Y-%m-%d %H:%M} UTC at {money(peak[2])} at API prices"
        over = [name for name, usd in limits if peak[2] > usd]
        if over:
            caption += f", above the limit of {', '.join(over)}"
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "start", "type": "temporal", "title": "window start (UTC)"},
            "y": {"field": "cost_usd", "type": "quantitative", "title": "USD", "axis": {"format": "$,.2~f"}},
            "tooltip": [
                {
                    "field": "start",
                    "type": "temporal",
                    "title": "start",
                    "format": "%Y-%m-%d %H:%M",
                    "timeUnit": "utcyearmonthdatehoursminutes",
                },
                {"field": "requests", "type": "quantitative", "title": "requests"},
                {"field": "cost_usd", "type": "quantitative", "title": "USD", "format": "$,.2f"},
            ],
        },
    }
    layers: list[dict[str, Any]] = [bars]
    if limits:
        layers.append(
            {
                "data": {"values": [{"limit": n, "usd": float(v)} for n, v in limits]},
                "mark": {"type": "rule", "strokeDash": [4, 3]},
                "encoding": {
                    "y": {"field": "usd", "type": "quantitative"},
                    "color": {
                        "field": "limit",
                        "type": "nominal",
                        "title": None,
                        "legend": {"orient": "bottom"},
                    },
                    "tooltip": [{"field": "limit"}, {"field": "usd", "format": "$,.2f"}],
                },
            }
        )
    return Chart(
        key=f"subscriptions.{key}",
        title=f"Spend per {label[:-1]}",
        caption=caption + ".",
        columns=[("start", "window start (UTC)"), ("requests", "requests"), ("cost_usd", "cost (USD)")],
        rows=rows,
        spec={
            "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "width": "container",
            "height": HEIGHT,
            "autosize": {"type": "fit-x", "contains": "padding"},
            "layer": layers,
        },
    )


def subscriptions_section(ledger: Ledger, book: PriceBook) -> Section:
    """The Subscriptions section, or its omission when the ledger holds no coding-agent usage."""
    if "agent" not in ledger.tags:
        return Section(
            key="subscriptions",
            title="Subscriptions",
            intro="",
            omitted="the ledger holds no coding-agent usage (Claude Code or Codex logs), so there are no "
            "5-hour blocks or weekly windows to set against the plans' limits.",
        )
    charts = [window_chart(ledger, book, label, hours, key) for label, hours, key in WINDOWS]
    notes = [f"Limit {n}: {money(v)} per window" for h in (w[1] for w in WINDOWS) for n, v in usd_limits(h)]
    if not notes:
        notes = ["The plan catalogue states no dollar-counted limit for these windows."]
    return Section(
        key="subscriptions",
        title="Subscriptions",
        intro="Coding-agent usage at API prices per plan window, against the plans' stated limits.",
        charts=charts,
        notes=notes,
    )
