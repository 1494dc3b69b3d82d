"""The Users section of the HTML report: how spend spreads over users (a Lorenz curve with the
p50 / p95 / p99 spend and the top 1 % share), the heaviest users and the heaviest sessions."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pyarrow.compute as pc

from inferonomics.billing.bill import Summary, bill
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.report.format import count, money, pct
from inferonomics.report.html.charts import Chart, Section, bars, lines

__all__ = ["LORENZ_POINTS", "lorenz", "users_section"]

LORENZ_POINTS = 100
"""Points of the Lorenz curve drawn (plus the origin), whatever the number of users."""

TOP_SESSIONS = 10


def lorenz(costs: list[Decimal], points: int = LORENZ_POINTS) -> list[list[Decimal]]:
    """[share of users, share of spend] for the users sorted from lightest to heaviest, at
    `points` evenly spaced user shares (each at the nearest rank at or above it), from (0, 0)
    to (1, 1); exact decimals."""
    ordered = sorted(costs)
    n = len(ordered)
    total = sum(ordered, Decimal(0))
    if n == 0 or total == 0:
        return []
    cumulative: list[Decimal] = []
    running = Decimal(0)
    for c in ordered:
        running += c
        cumulative.append(running)
    out = [[Decimal(0), Decimal(0)]]
    for i in range(1, points + 1):
        rank = max(1, math.ceil(Decimal(i) * n / points))
        out.append([Decimal(rank) / n, cumulative[rank - 1] / total])
    return out


def _per_user(ledger: Ledger, book: PriceBook) -> list[Decimal]:
    table = bill(ledger, book=book, by=["user"]).table
    table = table.filter(pc.is_valid(table["user"]))
    return list(table["cost_usd"].to_pylist())


def lorenz_chart(ledger: Ledger, book: PriceBook, summary: Summary) -> Chart:
    """The Lorenz curve of spend per user, with the summary's quantiles in its caption."""
    u = summary.users
    rows = [[a, b] for a, b in lorenz(_per_user(ledger, book))]
    caption = (
        f"{count(u.users)} users. The top 1% carry {pct(u.top1pct_share)} of spend; per-user spend "
        f"p50 {money(u.p50_usd)}, p95 {money(u.p95_usd)}, p99 {money(u.p99_usd)}, max {money(u.max_usd)}."
    )
    if len(rows) > 1:
        half = next(r for r in rows if r[0] >= Decimal("0.5"))
        caption += f" The lighter half of users carry {pct(half[1])} of spend."
    return Chart(
        key="users.lorenz",
        title="How spend spreads over users (Lorenz curve)",
        caption=caption,
        columns=[("user_share", "share of users (lightest first)"), ("spend_share", "share of spend")],
        rows=rows,
        spec=lines(
            "Lorenz curve",
            ("user_share", "share of users (lightest first)"),
            ("spend_share", "share of spend"),
            diagonal=True,
        ),
    )


def top_users_chart(summary: Summary) -> Chart:
    """The heaviest users by spend (the summary's top users)."""
    rows = [[r["user"], r["requests"], r["cost_usd"]] for r in summary.users.top_users.to_pylist()]
    return _heaviest("user", rows)


def top_sessions_chart(ledger: Ledger, book: PriceBook, top: int = TOP_SESSIONS) -> Chart:
    """The heaviest sessions by spend."""
    table = bill(ledger, book=book, by=["session"]).table
    table = table.filter(pc.is_valid(table["session"]))
    order = pc.sort_indices(table, sort_keys=[("cost_usd", "descending"), ("session", "ascending")])
    table = table.take(order).slice(0, top).select(["session", "requests", "cost_usd"])
    return _heaviest("session", [list(r.values()) for r in table.to_pylist()])


def _heaviest(noun: str, rows: list[list[Any]]) -> Chart:
    """A bar chart of [name, requests, cost] rows, heaviest first."""
    caption = f"No request names a {noun}."
    if rows:
        verb = "spent" if noun == "user" else "cost"
        name, requests, cost = rows[0]
        caption = f"The heaviest {noun}, {name}, {verb} {money(cost)} over {count(requests)} requests."
    title = f"Heaviest {noun}s"
    return Chart(
        key=f"users.top_{noun}s",
        title=title,
        caption=caption,
        columns=[(noun, noun), ("requests", "requests"), ("cost_usd", "cost (USD)")],
        rows=rows,
        spec=bars(title, (noun, noun), ("cost_usd", "cost (USD)"), len(rows)) if rows else None,
    )


def users_section(ledger: Ledger, book: PriceBook, summary: Summary) -> Section:
    """The Users section, or its omission when no request names a user."""
    if not summary.users.users:
        return Section(key="users", title="Users", intro="", omitted="No request in the ledger names a user.")
    return Section(
        key="users",
        title="Users",
        intro="Spend per user: how concentrated it is, and who carries it.",
        charts=[
            lorenz_chart(ledger, book, summary),
            top_users_chart(summary),
            top_sessions_chart(ledger, book),
        ],
    )
