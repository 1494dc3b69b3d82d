"""`html_report`: gather every section of the HTML report for a ledger (each from the library's
own public results: the summary, rollups, the cache replay, the playbook, the serving model, the
agents' blocks) and render the page. The figures are kept as data on the result, so a test or a
notebook reads the same numbers the page draws."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from inferonomics.billing.bill import Summary, summarize
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.report.format import count, money, pct
from inferonomics.report.html.bill import bill_section
from inferonomics.report.html.charts import Chart, Section
from inferonomics.report.html.levers import levers_section
from inferonomics.report.html.page import render_page
from inferonomics.report.html.subscriptions import subscriptions_section
from inferonomics.report.html.true_cost import true_cost_section
from inferonomics.report.html.users import users_section

__all__ = ["STEPS", "HtmlReport", "headline_figures", "html_report"]

STEPS = ("pricing", "bill", "users", "levers", "true cost", "subscriptions", "page")
"""The steps `html_report` reports to its `progress` callback, in order."""


@dataclass(frozen=True)
class HtmlReport:
    """The HTML report: its headline figures, its sections (with every chart's numbers) and the
    page itself (`html`), ready to write."""

    title: str
    headline: list[tuple[str, str, str]]
    """(key, label, text) of the figures at the top of the page, formatted as the Markdown
    summary formats them."""
    sections: list[Section]
    html: str
    STEPS: ClassVar[tuple[str, ...]] = STEPS
    """The steps `html_report` reports to its `progress` callback, in order."""

    def charts(self) -> dict[str, Chart]:
        """Every chart (and table) of the page by its key, e.g. `bill.over_time`."""
        return {c.key: c for s in self.sections for c in s.charts}

    def figures(self) -> dict[str, Any]:
        """The numbers behind every chart as exact JSON-ready data: key -> columns and rows."""
        return {
            k: {"columns": [f for f, _ in c.columns], "rows": c.exact()} for k, c in self.charts().items()
        }

    def write(self, path: Path) -> int:
        """Write the page to `path`; returns its size in bytes."""
        data = self.html.encode("utf-8")
        path.write_bytes(data)
        return len(data)


def headline_figures(summary: Summary) -> list[tuple[str, str, str]]:
    """The figures at the top of the page: total, requests, rows read, billed and quarantined,
    unpriced requests, the period, and the per-user spread."""
    s = summary.account
    total = summary.totals.get("cost_usd") or 0
    first, last = summary.span
    out = [
        ("total", "Total", money(total)),
        ("requests", "Requests", count(int(summary.totals.get("requests") or 0))),
        ("rows_read", "Rows read", count(s.rows_read)),
        ("rows_billed", "Rows billed", count(s.rows_billed)),
        ("rows_quarantined", "Rows quarantined", count(s.rows_quarantined)),
        ("unpriced", "Requests unpriced", count(int(summary.totals.get("unpriced_requests") or 0))),
    ]
    if first is not None:
        out.append(("period", "Period (UTC)", f"{first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M}"))
    if summary.users.users:
        u = summary.users
        out += [
            ("users", "Users", count(u.users)),
            ("p50", "Per-user spend p50", money(u.p50_usd)),
            ("p95", "Per-user spend p95", money(u.p95_usd)),
            ("p99", "Per-user spend p99", money(u.p99_usd)),
            ("top1", "Top 1% of users carry", pct(u.top1pct_share)),
        ]
    return out


def html_report(
    ledger: Ledger,
    *,
    book: PriceBook | None = None,
    by: Sequence[str] = (),
    title: str = "inferonomics — usage report",
    sources: Sequence[str] = (),
    summary: Summary | None = None,
    progress: Callable[[str], None] | None = None,
) -> HtmlReport:
    """The HTML report of a ledger: Bill, Users, Levers, True cost and (when the ledger holds
    coding-agent usage) Subscriptions, each chart with its numbers, a caption and a table.
    `sources` names the inputs on the page; `summary` reuses a `summarize(...)` result of the same
    ledger and book; `progress` is called with each step's name (see `STEPS`) as it starts."""
    book = book or PriceBook.load()

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    step("pricing")
    summary = summary or summarize(ledger, book, by=by)
    step("bill")
    sections = [bill_section(ledger, book, summary, by)]
    step("users")
    sections.append(users_section(ledger, book, summary))
    step("levers")
    sections.append(levers_section(ledger, book, summary))
    step("true cost")
    sections.append(true_cost_section(summary))
    step("subscriptions")
    sections.append(subscriptions_section(ledger, book))
    step("page")
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    names = ", ".join(sources) if sources else "the ledger given"
    meta = f"From {names}; {count(summary.account.rows_read)} rows read; made {made}."
    headline = headline_figures(summary)
    return HtmlReport(
        title=title, headline=headline, sections=sections, html=render_page(title, meta, headline, sections)
    )
