"""Fast checks of the HTML report's parts, with expected values worked by hand: the Lorenz curve,
the time grain, JSON safe inside <script>, table cells escaped, sections omitted with a note."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from inferonomics.report.html.bill import grain_for
from inferonomics.report.html.charts import Chart, Section, bars
from inferonomics.report.html.page import render_page, script_json
from inferonomics.report.html.true_cost import stand_in
from inferonomics.report.html.users import lorenz

D = Decimal


def test_lorenz_by_hand() -> None:
    # Spend 1, 2, 3, 4 (total 10): the lightest quarter holds 1/10, half 3/10, three quarters 6/10.
    assert lorenz([D(4), D(1), D(3), D(2)], points=4) == [
        [D(0), D(0)],
        [D("0.25"), D("0.1")],
        [D("0.5"), D("0.3")],
        [D("0.75"), D("0.6")],
        [D(1), D(1)],
    ]


def test_lorenz_nearest_rank_above() -> None:
    # 3 users (1, 1, 8) at 2 points: 50% of users -> rank ceil(1.5) = 2 -> 2/10 of spend.
    assert lorenz([D(1), D(8), D(1)], points=2) == [[D(0), D(0)], [D(2) / 3, D("0.2")], [D(1), D(1)]]


def test_lorenz_empty_or_free() -> None:
    assert lorenz([]) == []
    assert lorenz([D(0), D(0)]) == []


@pytest.mark.parametrize(
    ("hours", "grain"),
    [(1, "hour"), (48, "hour"), (49, "day"), (24 * 120, "day"), (24 * 121, "week"), (24 * 800, "month")],
)
def test_grain_from_span(hours: int, grain: str) -> None:
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert grain_for(first, first + dt.timedelta(hours=hours)) == grain


def test_script_json_cannot_end_the_script() -> None:
    value = {"a": "</script><!-- <script>alert(1)</script> & \u2028"}
    text = script_json(value)
    for bad in ("</", "<!--", "<script", "&", "\u2028"):
        assert bad not in text
    assert json.loads(text) == value


@pytest.mark.parametrize(
    ("model", "stand"),
    [
        ("claude-opus-4-5", "moonshotai/Kimi-K2-Instruct"),
        ("claude-sonnet-4-5", "deepseek-ai/DeepSeek-V3"),
        ("gemini-2.5-pro", "moonshotai/Kimi-K2-Instruct"),
        ("gemini-2.5-flash", "Qwen/Qwen3-235B-A22B-FP8"),
        ("gpt-5-mini", "Qwen/Qwen3-235B-A22B-FP8"),
        ("gpt-5-nano", "Qwen/Qwen3-32B"),
        ("deepseek-v4-flash", "deepseek-ai/DeepSeek-V3.2"),
        ("some-new-model", "Qwen/Qwen3-32B"),
    ],
)
def test_stand_in_by_name(model: str, stand: str) -> None:
    assert stand_in(model).model == stand


def test_page_escapes_text_and_omits_sections() -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    chart = Chart(
        key="t.bars",
        title=evil,
        caption=evil,
        columns=[("k", evil), ("v", "value")],
        rows=[[evil, D("1.50")]],
        spec=bars(evil, ("k", "k"), ("v", "v"), 1),
    )
    page = render_page(
        evil,
        evil,
        [("total", evil, evil)],
        [
            Section(key="s", title=evil, intro=evil, charts=[chart], notes=[evil]),
            Section(key="o", title="Omitted", intro="", omitted=evil),
        ],
    )
    # The page's own five scripts and nothing else: the body before them holds no tag of the
    # input, and the data block holds no "<" at all.
    assert page.count("<script") == 5
    body, _, rest = page.partition('<script type="application/json" id="inferonomics-data">')
    assert "<img" not in body
    assert "<script" not in body
    assert "<" not in rest.partition("</script>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert '<td class="num">1.5</td>' in page
    assert 'class="omitted"' in page
    assert "Not shown: &lt;script&gt;" in page


def test_levers_sample_keeps_the_prefix_block_size(tmp_path: Path) -> None:
    import inferonomics as inf
    from inferonomics.report.html.levers import sample_users

    inf.generate_demo(tmp_path / "p.parquet", 2000, seed=5, prefix_block_tokens=64)
    ledger = inf.Ledger.open([tmp_path / "p.parquet"])
    sample, note = sample_users(ledger, 2000, target=500)
    assert note is not None
    assert sample.prefix_block_tokens == ledger.prefix_block_tokens == 64
    n = sample.rows.count().to_pyarrow().as_py()
    assert 0 < n < 2000
