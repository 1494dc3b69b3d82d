"""The numbers behind every chart of the HTML report equal the library's own results for the same
ledger (and, where one exists, a computation of our own straight from the priced rows), the page
carries exactly those numbers, the figures are pinned by a golden file, and the Markdown summary
states the same headline figures."""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from report_helpers import DEMO_ROWS, REPO
from typer.testing import CliRunner

import inferonomics as inf
from inferonomics.catalog.book import PriceBook
from inferonomics.cli.app import app
from inferonomics.levers.caching import Caching
from inferonomics.report.html.levers import TTLS
from inferonomics.report.html.subscriptions import subscriptions_section
from inferonomics.report.html.true_cost import TPOT_SLO_MS, stand_in
from inferonomics.report.html.users import lorenz
from inferonomics.report.terminal import summary_markdown

pytestmark = pytest.mark.slow

GOLDEN = REPO / "tests" / "golden" / "report_figures.json"
D = Decimal


def _rows(report: inf.HtmlReport, key: str) -> list[list[Any]]:
    return report.charts()[key].rows


def _priced(ledger: inf.Ledger, book: PriceBook) -> list[dict[str, Any]]:
    return inf.price(ledger, book=book).to_arrow().to_pylist()


@pytest.mark.usefixtures("data_dir")  # needs the shared data (the serving model)
def test_golden_figures(demo_report: inf.HtmlReport) -> None:
    figures = json.loads(json.dumps(demo_report.figures()))
    if os.environ.get("INFERONOMICS_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(figures, indent=1) + "\n")
    assert figures == json.loads(GOLDEN.read_text()), (
        "the report's figures changed; if on purpose, rerun with INFERONOMICS_UPDATE_GOLDEN=1 "
        "and review the diff"
    )


def test_page_carries_the_figures(demo_report: inf.HtmlReport) -> None:
    block = re.search(
        r'<script type="application/json" id="inferonomics-data">(.*?)</script>', demo_report.html
    )
    assert block is not None
    charts = json.loads(block.group(1))["charts"]
    drawn = {k: c for k, c in demo_report.charts().items() if c.spec is not None}
    assert set(charts) == set(drawn)
    for key, chart in drawn.items():
        assert charts[key]["data"]["values"] == chart.values(), key
    assert len(demo_report.html.encode()) < 5_000_000


def test_page_holds_no_rows(demo_ledger: inf.Ledger, demo_report: inf.HtmlReport) -> None:
    ids = demo_ledger.rows.select("request_id").limit(50).to_pyarrow()["request_id"].to_pylist()
    assert not [i for i in ids if i in demo_report.html]


def test_over_time_equals_bill_by_provider(
    demo_ledger: inf.Ledger, demo_report: inf.HtmlReport, book: PriceBook
) -> None:
    by = inf.bill(demo_ledger, book=book, by=["provider"], grain="day").table.to_pylist()
    expected: dict[tuple[str, Any], Decimal] = defaultdict(Decimal)
    for r in by:
        expected[(r["provider"], r["period"])] += r["cost_usd"]
    got = {(r[1], r[2]): r[3] for r in _rows(demo_report, "bill.over_time") if r[0] == "provider"}
    assert got == dict(expected)
    total = inf.summarize(demo_ledger, book).totals["cost_usd"]
    for dim in ("provider", "model", "feature", "tenant"):
        assert sum(r[3] for r in _rows(demo_report, "bill.over_time") if r[0] == dim) == total, dim


def test_components_and_token_mix_from_the_rows(
    demo_ledger: inf.Ledger, demo_report: inf.HtmlReport, book: PriceBook, report_dir: Path
) -> None:
    priced = _priced(demo_ledger, book)
    comp = {r[0]: r[1] for r in _rows(demo_report, "bill.components")}
    assert comp["cache reads"] == sum(r["cost_cache_read_usd"] or D(0) for r in priced)
    assert comp["output"] == sum(r["cost_output_usd"] or D(0) for r in priced)
    assert sum(comp.values()) == sum(r["cost_usd"] or D(0) for r in priced)
    rows = pq.read_table(report_dir / "demo.parquet").to_pylist()
    mix = {r[0]: r[1] for r in _rows(demo_report, "bill.token_mix")}
    assert mix["uncached input"] == sum(r["input_tokens"] for r in rows)
    assert mix["cache reads"] == sum(r["cache_read_tokens"] for r in rows)
    assert mix["output"] == sum(r["output_tokens"] for r in rows)
    assert mix["of which reasoning"] == sum(r["reasoning_tokens"] for r in rows)


def test_rates_by_hand(demo_ledger: inf.Ledger, demo_report: inf.HtmlReport, book: PriceBook) -> None:
    table = inf.bill(demo_ledger, book=book, by=["provider", "model"]).table.to_pylist()
    for label, blended, *_ in _rows(demo_report, "bill.rates"):
        provider, model = label.split("/", 1)
        r = next(x for x in table if x["provider"] == provider and x["model"] == model)
        n = sum(r[c] for c in ("input_tokens", "cache_read_tokens", "output_tokens")) + sum(
            r[c] for c in ("cache_write_5m_tokens", "cache_write_1h_tokens", "cache_write_other_tokens")
        )
        assert blended == r["cost_usd"] * 1_000_000 / n, label


def test_users_from_the_rows(demo_ledger: inf.Ledger, demo_report: inf.HtmlReport, book: PriceBook) -> None:
    per_user: dict[str, Decimal] = defaultdict(Decimal)
    per_session: dict[str, Decimal] = defaultdict(Decimal)
    for r in _priced(demo_ledger, book):
        if r["user"] is not None:
            per_user[r["user"]] += r["cost_usd"] or D(0)
        if r["session"] is not None:
            per_session[r["session"]] += r["cost_usd"] or D(0)
    curve = _rows(demo_report, "users.lorenz")
    assert curve == lorenz(list(per_user.values()))
    assert curve[-1] == [D(1), D(1)]
    heaviest = sorted(per_user.items(), key=lambda kv: -kv[1])[:10]
    assert [(r[0], r[2]) for r in _rows(demo_report, "users.top_users")] == heaviest
    sessions = sorted(per_session.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(r[0], r[2]) for r in _rows(demo_report, "users.top_sessions")] == sessions


def test_cache_ttl_equals_the_replay(
    demo_ledger: inf.Ledger, demo_report: inf.HtmlReport, book: PriceBook
) -> None:
    rows = {r[0]: r for r in _rows(demo_report, "levers.cache_ttl")}
    assert list(rows) == [label for label, _ in TTLS]
    for label, seconds in (("5 min", 300.0), ("no expiry", math.inf)):
        r = inf.cache_report(demo_ledger, Caching(ttl_seconds=seconds), book=book)
        assert rows[label][2:] == [r.cached_input_share, r.cost_after_usd, r.saving_usd]
    shares = [r[2] for r in rows.values()]
    assert shares == sorted(shares)  # a longer TTL never caches less


def test_waterfall_equals_the_playbook(
    demo_ledger: inf.Ledger, demo_report: inf.HtmlReport, book: PriceBook
) -> None:
    pb = inf.playbook(demo_ledger, book=book)
    rows = _rows(demo_report, "levers.playbook")
    assert rows[0][3] == pb.baseline.cost_usd
    assert rows[-1][3] == pb.final.cost_usd
    steps = rows[1:-1]
    assert [r[0] for r in steps] == [s.lever for s in pb.steps if s.applied]
    previous = pb.baseline.cost_usd
    for r in steps:  # each step starts from what the one before it left
        assert r[2] == previous
        assert r[4] == r[2] - r[3]
        previous = r[3]
    assert previous == pb.final.cost_usd


@pytest.mark.usefixtures("data_dir")  # needs the shared data (the serving model)
def test_true_cost_by_hand(demo_ledger: inf.Ledger, demo_report: inf.HtmlReport, book: PriceBook) -> None:
    summary = inf.summarize(demo_ledger, book)
    models = {f"{r['provider']}/{r['model']}": r for r in summary.by_model.to_pylist()}
    rows = _rows(demo_report, "true_cost.api_vs_serving")
    assert rows
    for label, what, usd in rows:
        m = models[label]
        if what == "API bill":
            assert usd == m["cost_usd"]
            continue
        inputs = sum(m[c] for c in ("input_tokens", "cache_read_tokens")) + sum(
            m[c] for c in ("cache_write_5m_tokens", "cache_write_1h_tokens", "cache_write_other_tokens")
        )
        s = stand_in(m["model"])
        c = inf.serving_cost(
            s.model,
            s.gpu,
            isl=min(32_768, inputs // m["requests"]),
            osl=max(1, m["output_tokens"] // m["requests"]),
            tpot_slo_ms=TPOT_SLO_MS,
        )
        uncached = inputs - m["cache_read_tokens"]
        expected = (
            uncached * c.input_usd_per_mtok
            + m["cache_read_tokens"] * c.cached_input_usd_per_mtok
            + m["output_tokens"] * c.output_usd_per_mtok
        ) / 1_000_000
        assert usd == expected, label


def test_headline_matches_the_markdown(
    demo_ledger: inf.Ledger, demo_report: inf.HtmlReport, book: PriceBook
) -> None:
    markdown = summary_markdown(inf.summarize(demo_ledger, book))
    keys = {k for k, _, _ in demo_report.headline}
    assert {"total", "requests", "rows_read", "p50", "p95", "p99", "top1"} <= keys
    for key, _, text in demo_report.headline:
        if key == "period":
            assert text.replace(" → ", " → ") in markdown
        else:
            assert text in markdown, (key, text)
        assert f'data-figure="{key}">{text}<' in demo_report.html.replace("&gt;", ">")


def test_subscriptions_from_agent_logs(tmp_path: Path, book: PriceBook) -> None:
    inf.write_claude_code_tree(tmp_path / "claude", 400, seed=3, days=10, projects=3)
    ledger = inf.Ledger.open([tmp_path / "claude"])
    assert "agent" in ledger.tags
    section = subscriptions_section(ledger, book)
    assert section.omitted is None
    blocks = inf.usage_blocks(ledger, hours=5, book=book).to_pylist()
    got = section.charts[0].rows
    assert got == [[b["block_start"], b["requests"], b["cost_usd"]] for b in blocks]
    weekly = inf.usage_blocks(ledger, hours=168, book=book)
    assert sum(r[2] for r in section.charts[1].rows) == sum(weekly["cost_usd"].to_pylist())
    assert sum(r[2] for r in got) == sum(weekly["cost_usd"].to_pylist())


def test_cli_writes_the_page(tmp_path: Path, report_dir: Path, hostile_ledger: inf.Ledger) -> None:
    out = tmp_path / "r.html"
    runner = CliRunner()
    done = runner.invoke(
        app, ["report", str(report_dir / "hostile.csv"), "--html", str(out), "--format", "json"]
    )
    assert done.exit_code == 0, done.output
    assert out.stat().st_size < 5_000_000
    assert "wrote the HTML report to" in done.output
    bad = runner.invoke(app, ["report", str(report_dir / "hostile.csv"), "--open"])
    assert bad.exit_code == 2
    assert "give --html FILE" in bad.output


def test_levers_sample_whole_users(demo_ledger: inf.Ledger, book: PriceBook) -> None:
    from inferonomics.report.html.levers import levers_section, sample_users

    rows = DEMO_ROWS
    sample, note = sample_users(demo_ledger, rows, target=rows // 4)
    assert note is not None
    assert f"{rows:,} rows" in note
    count = {
        r["user"]: r["n"]
        for r in demo_ledger.rows.group_by("user")
        .aggregate(n=demo_ledger.rows.count())
        .to_pyarrow()
        .to_pylist()
    }
    picked = sample.rows.group_by("user").aggregate(n=sample.rows.count()).to_pyarrow().to_pylist()
    assert 0 < len(picked) < len(count)
    assert all(count[r["user"]] == r["n"] for r in picked)  # every request of a picked user
    assert sample_users(demo_ledger, rows, target=rows) == (demo_ledger, None)
    section = levers_section(demo_ledger, book, inf.summarize(demo_ledger, book), target=rows // 4)
    assert note in section.notes
    assert note in section.intro
