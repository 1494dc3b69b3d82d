"""The HTML report: one self-contained page (charts by Vega-Lite, embedded) with the Bill, Users,
Levers, True cost and Subscriptions sections; `html_report` builds it from a ledger."""

from inferonomics.report.html.build import HtmlReport, html_report

__all__ = ["HtmlReport", "html_report"]
