"""Coding-agent usage reports (`inferonomics agents daily|weekly|monthly|session`): local periods,
models per period, sessions, date filters; costs by hand at the list prices in force."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

import inferonomics as inf
from inferonomics.agents.reports import agent_usage

D = Decimal

HEADER = (
    "ts,request_id,provider,model,session,input_tokens,cache_read_tokens,cache_write_5m_tokens,"
    "cache_write_1h_tokens,output_tokens,project,agent\n"
)
CSV = (
    HEADER
    + """2026-10-05T23:30:00Z,a,anthropic,claude-sonnet-4-5,s1,1000,100000,2000,0,500,alpha,claude-code
2026-10-06T00:30:00Z,b,anthropic,claude-sonnet-4-5,s1,1000,102000,0,3000,700,alpha,claude-code
2026-10-06T09:00:00Z,c,anthropic,claude-opus-4-5,s2,500,50000,1000,0,2000,beta,claude-code
2026-10-12T09:00:00Z,d,openai,gpt-5,s3,2000,10000,0,0,1000,beta,codex
"""
)

# By hand, $ per MTok: Sonnet 4.5 input 3, cache read 0.30, 5-minute write 3.75, 1-hour write 6,
# output 15; Opus 4.5 5 / 0.50 / 6.25 / 10 / 25; GPT-5 input 1.25, cached 0.125, output 10.
A = (1000 * 3 + 100_000 * D("0.3") + 2000 * D("3.75") + 500 * 15) / 10**6  # 0.048
B = (1000 * 3 + 102_000 * D("0.3") + 3000 * 6 + 700 * 15) / 10**6  # 0.0621
C = (500 * 5 + 50_000 * D("0.5") + 1000 * D("6.25") + 2000 * 25) / 10**6  # 0.08375
G = (2000 * D("1.25") + 10_000 * D("0.125") + 1000 * 10) / 10**6  # 0.01375


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> inf.Ledger:
    path = tmp_path_factory.mktemp("agents") / "usage.csv"
    path.write_text(CSV)
    return inf.Ledger.open([path])


def test_daily_in_a_time_zone(ledger: inf.Ledger) -> None:
    # Row a is 23:30 UTC on the 5th: 01:30 on the 6th in Paris (UTC+2 in October).
    report = agent_usage(ledger, "day", tz="Europe/Paris")
    assert [(r["date"], r["cost_usd"], r["models"]) for r in report.rows] == [
        ("2026-10-06", A + B + C, ["claude-opus-4-5", "claude-sonnet-4-5"]),
        ("2026-10-12", G, ["gpt-5"]),
    ]
    first = report.rows[0]
    # input + cache reads + writes + output: 2,500 + 252,000 + 6,000 + 3,200
    assert first["total_tokens"] == 263_700
    assert report.totals["cost_usd"] == A + B + C + G
    in_utc = agent_usage(ledger, "day")
    assert [r["date"] for r in in_utc.rows] == ["2026-10-05", "2026-10-06", "2026-10-12"]


def test_weekly_monthly_and_sessions(ledger: inf.Ledger) -> None:
    weeks = agent_usage(ledger, "week", tz="Europe/Paris")
    assert [(r["week"], r["cost_usd"]) for r in weeks.rows] == [("2026-10-05", A + B + C), ("2026-10-12", G)]
    [month] = agent_usage(ledger, "month").rows
    assert (month["month"], month["requests"], month["cost_usd"]) == ("2026-10", 4, A + B + C + G)
    sessions = {r["session"]: r for r in agent_usage(ledger, "session").rows}
    assert sessions["s1"]["cost_usd"] == A + B
    assert sessions["s1"]["first_activity"] == dt.datetime(2026, 10, 5, 23, 30, tzinfo=dt.UTC)
    assert sessions["s1"]["last_activity"] == dt.datetime(2026, 10, 6, 0, 30, tzinfo=dt.UTC)
    assert sessions["s3"]["models"] == ["gpt-5"]


def test_since_until_are_local_dates_and_by_splits(ledger: inf.Ledger) -> None:
    report = agent_usage(
        ledger,
        "day",
        tz="Europe/Paris",
        since=dt.date(2026, 10, 6),
        until=dt.date(2026, 10, 6),
        by=["project"],
    )
    assert report.rows_outside == 1  # row d, on the 12th
    assert [(r["date"], r["project"], r["cost_usd"]) for r in report.rows] == [
        ("2026-10-06", "alpha", A + B),
        ("2026-10-06", "beta", C),
    ]
    # In UTC row a falls on the 5th, outside a 6th-only window.
    utc = agent_usage(ledger, "day", since=dt.date(2026, 10, 6), until=dt.date(2026, 10, 6))
    assert utc.rows_outside == 2
    assert utc.rows[0]["cost_usd"] == B + C


def test_bad_options_are_clear_errors(ledger: inf.Ledger) -> None:
    with pytest.raises(inf.OptionError, match="after --until"):
        agent_usage(ledger, "day", since=dt.date(2026, 10, 7), until=dt.date(2026, 10, 6))
    with pytest.raises(inf.RollupError, match="unknown time zone"):
        agent_usage(ledger, "day", tz="Nowhere/Else")
    with pytest.raises(inf.RollupError, match="cannot group by colour"):
        agent_usage(ledger, "day", by=["colour"])


def test_an_empty_range_is_an_empty_report(ledger: inf.Ledger, tmp_path: Path) -> None:
    report = agent_usage(ledger, "day", since=dt.date(2030, 1, 1))
    assert report.rows == []
    assert report.rows_outside == 4
    assert report.totals["cost_usd"] == 0


def test_blocks_and_the_projection_of_the_open_block(ledger: inf.Ledger) -> None:
    now = dt.datetime(2026, 10, 6, 1, 0, tzinfo=dt.UTC)
    result = inf.agent_blocks(ledger, now=now)
    starts = [r["block_start"] for r in result.table.to_pylist()]
    # Anthropic's blocks: 23:30 (a, b within 5 h), then 09:00 on the 6th (c), 09:00 on the 12th (d).
    assert starts == [
        dt.datetime(2026, 10, 5, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC),
    ]
    a = result.active
    assert a is not None
    assert a["cost_usd"] == A + B
    # Burn rate: (A + B) over the hour between the first and last request; 210 minutes left from
    # 01:00 to 04:30: projected (A + B) + (A + B) x 3.5.
    assert a["minutes_left"] == 210
    assert a["projected_cost_usd"] == (A + B) * D("4.5")
    # ccusage's blocks start at the hour: 23:00.
    ccusage = inf.agent_blocks(ledger, now=now, style="ccusage")
    assert ccusage.table["block_start"][0].as_py() == dt.datetime(2026, 10, 5, 23, 0, tzinfo=dt.UTC)


@pytest.mark.slow
def test_agents_daily_on_a_generated_claude_code_tree_counts_every_message_once(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    tree = inf.write_claude_code_tree(tmp_path / "claude", lines=6_000, seed=3)
    result = subprocess.run(
        [sys.executable, "-m", "inferonomics", "agents", "daily", str(tree.root), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    days = json.loads(result.stdout)
    # The generator's own count of distinct messages and their tokens (each message once, however
    # many content-block lines and resumed-session copies repeat it).
    assert sum(d["requests"] for d in days) == tree.messages
    for bucket in ("input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens"):
        assert sum(d[bucket] for d in days) == sum(c[bucket] for c in tree.tokens.values()), bucket
    assert sum(d["output_tokens"] for d in days) == sum(c["output_tokens"] for c in tree.tokens.values())
    assert "lines repeat a message already counted" in result.stderr
    assert all(Decimal(d["cost_usd"]) > 0 for d in days)
