"""The HTML report in a real browser: Debian's Chromium, driven by Playwright, opens the page from
disk, finds no console error, finds every chart drawn with marks, shows a tooltip on hover, saves a
screenshot of each section under build/report-screenshots/, and shows hostile strings as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from report_helpers import HOSTILE, SCREENSHOTS

import inferonomics as inf

pytestmark = pytest.mark.slow

DRAWN = (
    "() => document.querySelectorAll('[data-chart]').length"
    " === document.querySelectorAll('[data-drawn]').length"
)


def _open(browser: Any, report: inf.HtmlReport, path: Path) -> tuple[Any, list[str], list[str]]:
    report.write(path)
    page = browser.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(path.as_uri())
    page.wait_for_function(DRAWN, timeout=60_000)
    return page, errors, dialogs


def _marks(page: Any, key: str) -> dict[str, float]:
    """Size of the chart's SVG and the count of its data marks (not axes or legends)."""
    return page.evaluate(
        """key => {
            const el = document.querySelector(`[data-chart="${key}"]`);
            const svg = el.querySelector("svg");
            if (!svg) return {width: 0, height: 0, marks: 0};
            const box = svg.getBoundingClientRect();
            return {width: box.width, height: box.height,
                    marks: svg.querySelectorAll("g.role-mark > path, g.role-mark > line").length};
        }""",
        key,
    )


@pytest.mark.usefixtures("data_dir")  # needs the shared data (the serving model)
def test_every_chart_drawn_without_console_errors(
    browser: Any, demo_report: inf.HtmlReport, report_dir: Path
) -> None:
    page, errors, _ = _open(browser, demo_report, report_dir / "demo.html")
    drawn = [c for c in demo_report.charts().values() if c.spec is not None]
    assert len(drawn) >= 10
    for chart in drawn:
        m = _marks(page, chart.key)
        assert m["width"] > 200, (chart.key, m)
        assert m["height"] > 80, (chart.key, m)
        assert m["marks"] > 0, chart.key
    # Simple bar charts draw one bar per row of their table.
    for key in ("bill.components", "bill.token_mix", "bill.rates", "users.top_users"):
        assert _marks(page, key)["marks"] == len(demo_report.charts()[key].rows), key
    assert errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for section in demo_report.sections:
        shot = SCREENSHOTS / f"demo-{section.key}.png"
        page.locator(f"section#{section.key}").screenshot(path=str(shot))
        assert shot.stat().st_size > 1000
    assert "Not shown: the ledger holds no coding-agent usage" in page.inner_text("section#subscriptions")
    page.close()


def test_tooltip_on_hover(browser: Any, demo_report: inf.HtmlReport, report_dir: Path) -> None:
    page, _, _ = _open(browser, demo_report, report_dir / "demo-tooltip.html")
    first = demo_report.charts()["bill.components"].rows[0]
    bar = page.locator('[data-chart="bill.components"] svg g.role-mark > path').first
    bar.hover()
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible", timeout=5000)
    assert first[0] in tip.inner_text()
    page.close()


def test_phone_width_has_no_sideways_scroll(
    browser: Any, demo_report: inf.HtmlReport, report_dir: Path
) -> None:
    page, errors, _ = _open(browser, demo_report, report_dir / "demo-phone.html")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "demo-phone.png"))
    assert errors == []
    page.close()


def test_print_layout(browser: Any, demo_report: inf.HtmlReport, report_dir: Path) -> None:
    page, errors, _ = _open(browser, demo_report, report_dir / "demo-print.html")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('figure')).breakInside") == "avoid"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    (SCREENSHOTS / "demo-print.pdf").parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "demo-print.pdf").write_bytes(pdf)
    assert errors == []
    page.close()


def test_hostile_strings_are_text(browser: Any, hostile_report: inf.HtmlReport, report_dir: Path) -> None:
    page, errors, dialogs = _open(browser, hostile_report, report_dir / "hostile.html")
    assert dialogs == []
    assert errors == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    # The page's own five scripts: the data block, three vendored bundles and the start-up code.
    assert page.evaluate("document.querySelectorAll('script').length") == 5
    cells = page.evaluate("[...document.querySelectorAll('td')].map(td => td.textContent)")
    svg_text = page.evaluate("[...document.querySelectorAll('svg text')].map(t => t.textContent).join('\\n')")
    for h in HOSTILE:
        assert h in cells, h
        assert h in page.evaluate("document.body.textContent")
    assert "[link=https://evil.example]x[/link]" in svg_text
    assert page.inner_text("p.meta").startswith("From <script>alert(1)</script>.csv")
    # Tooltips show the hostile users as text too (vega-tooltip writes HTML: it must escape them).
    bars = page.locator('[data-chart="users.top_users"] svg g.role-mark > path')
    shown = []
    for i in range(bars.count()):
        bars.nth(i).hover()
        page.wait_for_timeout(100)
        shown.append(page.locator("#vg-tooltip-element").inner_text())
    assert any('"><img src=x onerror=alert(1)>' in t for t in shown), shown
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert dialogs == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "hostile.png"), full_page=True)
    page.close()


def test_subscriptions_drawn_from_agent_logs(browser: Any, book: Any, tmp_path: Path) -> None:
    from inferonomics.report.html.page import render_page
    from inferonomics.report.html.subscriptions import subscriptions_section

    inf.write_claude_code_tree(tmp_path / "claude", 400, seed=3, days=10, projects=3)
    section = subscriptions_section(inf.Ledger.open([tmp_path / "claude"]), book)
    assert section.omitted is None
    page_html = render_page("Subscriptions", "agent logs", [], [section])
    path = tmp_path / "subscriptions.html"
    path.write_text(page_html)
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_function(DRAWN, timeout=60_000)
    for chart in section.charts:
        m = _marks(page, chart.key)
        assert m["marks"] >= len(chart.rows), chart.key
    assert errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("section#subscriptions").screenshot(path=str(SCREENSHOTS / "agents-subscriptions.png"))
    page.close()
