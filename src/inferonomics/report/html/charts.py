"""The figures of the HTML report as data: a `Chart` holds the numbers behind one figure (exact
values, the same a reader sees in its expandable table), the caption stating it in words, and a
Vega-Lite specification that draws those numbers (the page adds them as the chart's data).

The spec builders here only describe charts declaratively; Vega-Lite draws them in the browser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "Chart",
    "Section",
    "bars",
    "grouped_bars",
    "json_value",
    "lines",
    "stacked_over_time",
    "waterfall",
]

HEIGHT = 260


@dataclass(frozen=True)
class Chart:
    """One figure: `columns` (field, label) and `rows` of exact values are the numbers behind it;
    `spec` is its Vega-Lite specification over those fields (None: a table only)."""

    key: str
    title: str
    caption: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]]
    spec: dict[str, Any] | None = None

    def values(self) -> list[dict[str, Any]]:
        """The rows as the chart's data: one JSON-ready record per row (money as a number)."""
        fields = [f for f, _ in self.columns]
        return [{f: json_value(v) for f, v in zip(fields, row, strict=True)} for row in self.rows]

    def exact(self) -> list[list[str | int | None]]:
        """The rows with every value as exact text or an integer (what golden files hold)."""
        return [[_exact(v) for v in row] for row in self.rows]


@dataclass(frozen=True)
class Section:
    """A section of the page: its charts and notes, or the reason it is omitted."""

    key: str
    title: str
    intro: str
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    omitted: str | None = None


def _exact(v: Any) -> str | int | None:
    if v is None or (isinstance(v, int) and not isinstance(v, bool)):
        return v
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f")
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return str(v)


def json_value(v: Any) -> Any:
    """A value as chart data: Decimal as float (drawing needs no exactness; the table shows the
    exact value), instants as ISO text, others unchanged."""
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


def _base(title: str) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": title,
        "width": "container",
        "height": HEIGHT,
        "autosize": {"type": "fit-x", "contains": "padding"},
    }


def _tooltip(fields: Sequence[tuple[str, str, str]]) -> list[dict[str, Any]]:
    out = []
    for name, kind, label in fields:
        tip: dict[str, Any] = {"field": name, "type": kind, "title": label}
        if kind == "quantitative":
            tip["format"] = ",.6~f"
        elif kind == "temporal":
            tip.update(format="%Y-%m-%d %H:%M", timeUnit="utcyearmonthdatehoursminutes")
        out.append(tip)
    return out


def bars(
    title: str, category: tuple[str, str], value: tuple[str, str], rows: int, *, money: bool = True
) -> dict[str, Any]:
    """Horizontal bars, longest first, `rows` of them: `category` and `value` are (field, label)."""
    spec = _base(title)
    spec["height"] = 22 * max(rows, 1)
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "y": {"field": category[0], "type": "nominal", "title": category[1], "sort": "-x"},
        "x": {
            "field": value[0],
            "type": "quantitative",
            "title": value[1],
            "axis": {"format": "$,.2~f" if money else ",.3~s"},
        },
        "tooltip": _tooltip([(category[0], "nominal", category[1]), (value[0], "quantitative", value[1])]),
    }
    return spec


TIME_UNITS = {
    "hour": ("utcyearmonthdatehours", "%b %d %H:00"),
    "day": ("utcyearmonthdate", "%b %d"),
    "week": ("utcyearmonthdate", "%b %d"),
    "month": ("utcyearmonth", "%Y-%m"),
}


def stacked_over_time(
    title: str,
    choices: list[str],
    grain: str = "day",
    *,
    time: str = "period",
    key: str = "key",
    value: str = "cost_usd",
) -> dict[str, Any]:
    """Bars per period (of `grain`) stacked by `key`, for the rows whose `dimension` is the one
    picked in a drop-down of `choices`."""
    unit, fmt = TIME_UNITS.get(grain, TIME_UNITS["day"])
    spec = _base(title)
    spec["params"] = [
        {
            "name": "dimension",
            "value": choices[0],
            "bind": {"input": "select", "options": choices, "name": "Split by "},
        }
    ]
    spec["transform"] = [{"filter": "datum.dimension === dimension"}]
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "x": {
            "field": time,
            "type": "ordinal",
            "timeUnit": unit,
            "title": None,
            "axis": {"format": fmt, "labelOverlap": True, "labelAngle": -45},
        },
        "y": {"field": value, "type": "quantitative", "title": "USD", "axis": {"format": "$,.2~f"}},
        "color": {"field": key, "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
        "tooltip": _tooltip(
            [
                (time, "temporal", "period start (UTC)"),
                (key, "nominal", "group"),
                (value, "quantitative", "cost (USD)"),
            ]
        ),
    }
    return spec


def lines(
    title: str,
    x: tuple[str, str],
    y: tuple[str, str],
    *,
    series: str | None = None,
    x_log: bool = False,
    y_format: str = ".0%",
    x_format: str = ".0%",
    diagonal: bool = False,
) -> dict[str, Any]:
    """A line with points (one per `series` value when given); `diagonal` adds the y = x line."""
    spec = _base(title)
    enc: dict[str, Any] = {
        "x": {
            "field": x[0],
            "type": "quantitative",
            "title": x[1],
            # On a log axis the labels of 1,000 and 2,000 touch: a gap makes Vega drop one of them.
            "axis": {"format": x_format, **({"labelSeparation": 6} if x_log else {})},
            **({"scale": {"type": "log"}} if x_log else {}),
        },
        "y": {"field": y[0], "type": "quantitative", "title": y[1], "axis": {"format": y_format}},
        "tooltip": _tooltip([(x[0], "quantitative", x[1]), (y[0], "quantitative", y[1])]),
    }
    if series:
        enc["color"] = {"field": series, "type": "nominal", "title": None, "legend": {"orient": "bottom"}}
        enc["tooltip"].insert(0, {"field": series, "type": "nominal"})
    line = {"mark": {"type": "line", "point": True}, "encoding": enc}
    if not diagonal:
        spec.update(line)
        return spec
    equal = {
        "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#999"},
        "encoding": {"x": {"datum": 0}, "y": {"datum": 0}, "x2": {"datum": 1}, "y2": {"datum": 1}},
    }
    spec["layer"] = [line, equal]
    return spec


def waterfall(title: str, label: str = "step") -> dict[str, Any]:
    """A waterfall: each row a bar from `start_usd` to `end_usd`, in row order; `kind` colours
    totals and steps."""
    spec = _base(title)
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "x": {"field": label, "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0}},
        "y": {"field": "start_usd", "type": "quantitative", "title": "USD", "axis": {"format": "$,.2~f"}},
        "y2": {"field": "end_usd"},
        "color": {
            "field": "kind",
            "type": "nominal",
            "title": None,
            "scale": {"domain": ["bill", "saving"], "range": ["#4c78a8", "#54a24b"]},
            "legend": {"orient": "bottom"},
        },
        "tooltip": _tooltip(
            [
                (label, "nominal", "step"),
                ("start_usd", "quantitative", "from (USD)"),
                ("end_usd", "quantitative", "to (USD)"),
                ("saving_usd", "quantitative", "saving (USD)"),
            ]
        ),
    }
    return spec


def grouped_bars(title: str, category: tuple[str, str], group: str, value: tuple[str, str]) -> dict[str, Any]:
    """Bars side by side per `category`, one per `group` value."""
    spec = _base(title)
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "x": {"field": category[0], "type": "nominal", "title": category[1], "axis": {"labelAngle": -30}},
        "xOffset": {"field": group},
        "y": {"field": value[0], "type": "quantitative", "title": value[1], "axis": {"format": "$,.2~f"}},
        "color": {"field": group, "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
        "tooltip": _tooltip(
            [
                (category[0], "nominal", category[1]),
                (group, "nominal", "what"),
                (value[0], "quantitative", value[1]),
            ]
        ),
    }
    return spec
