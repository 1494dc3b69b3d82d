"""The HTML report as one self-contained page: the sections' text escaped with `html.escape`, the
charts' specifications and numbers in one JSON block (with `<`, `>` and `&` written as \\u escapes,
so no user string can close the script or open a comment), the vendored Vega, Vega-Lite and
vega-embed bundles inline, responsive and print CSS. No file or network is needed to view it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from inferonomics.report.format import decimal_text, iso
from inferonomics.report.html.charts import Chart, Section

__all__ = ["VENDOR_FILES", "render_page", "script_json", "vendor_versions"]

VENDOR_FILES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")

CSS = """
:root { --fg:#1f2328; --muted:#57606a; --line:#d0d7de; --bg:#fff; --accent:#4c78a8; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg);
  background:var(--bg); }
header, main, footer { max-width:1180px; margin:0 auto; padding:0 16px; }
header { padding-top:20px; }
h1 { font-size:1.6em; margin:0 0 4px; }
h2 { font-size:1.3em; border-bottom:2px solid var(--line); padding-bottom:4px; margin-top:32px; }
h3 { font-size:1.02em; margin:0 0 6px; }
.meta, .note, figcaption, footer { color:var(--muted); }
.headline { display:grid; grid-template-columns:repeat(auto-fit,minmax(170px,1fr)); gap:8px; margin:14px 0; }
.headline div { border:1px solid var(--line); border-radius:6px; padding:8px 10px; }
.headline dt { font-size:.8em; color:var(--muted); } .headline dd { margin:0; font-size:1.15em;
  font-weight:600; overflow-wrap:anywhere; }
nav a { margin-right:14px; color:var(--accent); }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr)); gap:18px; }
figure { margin:0; border:1px solid var(--line); border-radius:6px; padding:12px; min-width:0; }
.vis { width:100%; min-height:40px; }
figcaption { margin:8px 0; font-size:.92em; overflow-wrap:anywhere; }
details summary { cursor:pointer; color:var(--accent); font-size:.9em; }
.table-wrap { overflow-x:auto; max-height:420px; overflow-y:auto; }
table { border-collapse:collapse; font-size:.85em; margin-top:6px; }
th, td { border-bottom:1px solid var(--line); padding:3px 8px; text-align:left; white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
section.omitted p.note { font-style:italic; }
.notes li { color:var(--muted); font-size:.92em; overflow-wrap:anywhere; }
footer { font-size:.8em; padding:24px 16px 40px; }
.vega-bindings { font-size:.9em; margin-bottom:4px; }
@media (max-width:600px) { body { font-size:14px; } figure { padding:8px; } }
@media print {
  nav, .vega-bindings, details summary { display:none; }
  body { font-size:11pt; } h2 { break-after:avoid; }
  figure { break-inside:avoid; border:none; padding:0; }
  .charts { display:block; } .table-wrap { max-height:none; overflow:visible; }
  a { color:inherit; text-decoration:none; }
}
"""

BOOT = """
(function () {
  var data = JSON.parse(document.getElementById("inferonomics-data").textContent);
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = data.charts[el.getAttribute("data-chart")];
    vegaEmbed(el, spec, {actions: false, renderer: "svg"}).then(function () {
      el.setAttribute("data-drawn", "yes");
    }).catch(function (err) {
      el.textContent = "This chart could not be drawn: " + err;
      console.error(err);
    });
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
"""


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: `<`, `>`, `&` and the line separators escaped, so no
    string in it can end the element (`</script>`) or open a comment (`<!--`)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text


@cache
def _vendor(name: str) -> str:
    text = resources.files("inferonomics.report.html").joinpath("vendor", name).read_text("utf-8")
    if "</script" in text.lower() or "<!--" in text:
        raise ValueError(f"vendored {name} holds text that would end its <script> element")
    return text


@cache
def vendor_versions() -> dict[str, Any]:
    """The vendored chart libraries: name -> version, licence and file (vendor/VERSIONS.json)."""
    text = resources.files("inferonomics.report.html").joinpath("vendor", "VERSIONS.json").read_text("utf-8")
    value: dict[str, Any] = json.loads(text)
    return value


def _cell(value: Any) -> tuple[str, bool]:
    from decimal import Decimal

    if value is None:
        return "–", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, Decimal):
        return decimal_text(value), True
    if isinstance(value, int | float):
        return f"{value:,}", True
    if hasattr(value, "isoformat"):
        return iso(value), False
    return str(value), False


def _table(chart: Chart) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for _, label in chart.columns)
    body = []
    for row in chart.rows:
        cells = []
        for v in row:
            text, num = _cell(v)
            cells.append(f'<td class="num">{escape(text)}</td>' if num else f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(chart: Chart) -> str:
    anchor = "chart-" + chart.key.replace(".", "-")
    vis = f'<div class="vis" data-chart="{escape(chart.key)}"></div>' if chart.spec is not None else ""
    rows = len(chart.rows)
    details = (
        f"<details{' open' if chart.spec is None else ''}><summary>The numbers ({rows:,} rows)</summary>"
        f'<div class="table-wrap">{_table(chart)}</div></details>'
        if rows
        else ""
    )
    return (
        f'<figure id="{escape(anchor)}" data-key="{escape(chart.key)}"><h3>{escape(chart.title)}</h3>{vis}'
        f"<figcaption>{escape(chart.caption)}</figcaption>{details}</figure>"
    )


def _section(section: Section) -> str:
    head = f'<section id="{escape(section.key)}" data-section="{escape(section.key)}"'
    if section.omitted is not None:
        return (
            f'{head} class="omitted"><h2>{escape(section.title)}</h2>'
            f'<p class="note">Not shown: {escape(section.omitted)}</p></section>'
        )
    notes = ""
    if section.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in section.notes)
        notes = (
            f'<details class="notes"><summary>Assumptions and notes ({len(section.notes)})</summary>'
            f"<ul>{items}</ul></details>"
        )
    figures = "".join(_figure(c) for c in section.charts)
    return (
        f"{head}><h2>{escape(section.title)}</h2><p>{escape(section.intro)}</p>"
        f'<div class="charts">{figures}</div>{notes}</section>'
    )


def render_page(
    title: str, meta: str, headline: Sequence[tuple[str, str, str]], sections: Sequence[Section]
) -> str:
    """The whole page: `headline` is (key, label, text) figures shown at the top."""
    specs = {}
    for s in sections:
        for c in s.charts:
            if c.spec is not None:
                specs[c.key] = {**c.spec, "data": {"values": c.values()}}
    heads = "".join(
        f'<div><dt>{escape(label)}</dt><dd data-figure="{escape(key)}">{escape(text)}</dd></div>'
        for key, label, text in headline
    )
    nav = "".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in sections)
    libs = ", ".join(
        f"{escape(name)} {escape(v['version'])} ({escape(v['license'])})"
        for name, v in vendor_versions().items()
    )
    scripts = "".join(f"<script>{_vendor(f)}</script>\n" for f in VENDOR_FILES)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{escape(title)}</h1><p class="meta">{escape(meta)}</p>'
        f'<dl class="headline">{heads}</dl><nav>{nav}</nav></header>'
        f"<main>{''.join(_section(s) for s in sections)}</main>"
        f"<footer>Charts drawn by {libs}, embedded in this page; their licences travel with "
        "inferonomics. Aggregates only: the page holds no ledger rows.</footer>\n"
        f'<script type="application/json" id="inferonomics-data">{script_json({"charts": specs})}</script>\n'
        f"{scripts}<script>{BOOT}</script></body></html>\n"
    )
