"""`plans limits` against hand computations: Codex used_percent readings and Claude Code limit
hits (events built here in the readers' contract) against requests priced by the billing
engine, and the plan file they make."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from plans_helpers import T0, H, ledger_table

from inferonomics.errors import PlanError
from inferonomics.ledger.core import Ledger
from inferonomics.plans.catalog import load_plans
from inferonomics.plans.limits import estimate_limits

TS = pa.timestamp("us", tz="UTC")
EVENTS = pa.schema(
    [
        pa.field("ts", TS, nullable=False),
        pa.field("agent", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("window", pa.string()),
        pa.field("used_percent", pa.float64()),
        pa.field("window_minutes", pa.int64()),
        pa.field("resets_at", TS),
        pa.field("model", pa.string()),
        pa.field("message", pa.string()),
        pa.field("session", pa.string()),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_line", pa.int64(), nullable=False),
    ]
)
"""`Ledger.events()`'s contract."""


def events(rows: list[dict[str, Any]]) -> pa.Table:
    full = [
        {
            "window": None,
            "used_percent": None,
            "window_minutes": None,
            "resets_at": None,
            "model": None,
            "message": None,
            "session": "s",
            "source_file": "log.jsonl",
            "source_line": i + 1,
            **r,
        }
        for i, r in enumerate(rows)
    ]
    return pa.Table.from_pylist(full, schema=EVENTS)


def openai_ledger(rows: list[tuple[dt.datetime, int]]) -> Ledger:
    # GPT-5 at $1.25 / $10 per MTok: 500,000 output tokens = $5.
    t = pa.table(
        {
            "ts": pa.array([r[0] for r in rows], TS),
            "provider": ["openai"] * len(rows),
            "model": ["gpt-5"] * len(rows),
            "output_tokens": pa.array([r[1] for r in rows], pa.int64()),
            "agent": ["codex"] * len(rows),
        }
    )
    return Ledger.from_arrow(t)


def reading(t: dt.datetime, pct: float, resets: dt.datetime) -> dict[str, Any]:
    return {
        "ts": t,
        "agent": "codex",
        "kind": "limit_reading",
        "window": "5h",
        "used_percent": pct,
        "window_minutes": 300,
        "resets_at": resets,
    }


def test_codex_windows_from_used_percent() -> None:
    # Window 1 (resets 15:00): readings 10% at 10:05 and 30% at 12:05; between them two $5 requests
    # (11:00, 12:00): $10 over 20 points. Window 2 (resets 21:00): 0% at 16:05, 50% at 18:05 with
    # $20 between (four $5 requests). Pooled: 100 x $30 / 70 points = $42.857142...; two windows,
    # integer readings: bounds 100 x 30 / (70 + 2) = $41.67 and 100 x 30 / (70 - 2) = $44.12.
    w2 = T0 + 6 * H
    rows = [(T0, 500_000), (T0 + H, 500_000), (T0 + 2 * H, 500_000)]
    rows += [(w2 + dt.timedelta(minutes=30 * i + 30), 500_000) for i in range(4)]
    ledger = openai_ledger(rows)
    ev = events(
        [
            reading(T0 + dt.timedelta(minutes=5), 10, T0 + 5 * H),
            reading(T0 + 2 * H + dt.timedelta(minutes=5), 30, T0 + 5 * H),
            reading(w2 + dt.timedelta(minutes=5), 0, w2 + 5 * H),
            reading(w2 + 2 * H + dt.timedelta(minutes=5), 50, w2 + 5 * H),
        ]
    )
    result = estimate_limits(ledger, ev, today=dt.date(2026, 12, 4))
    [e] = result.estimates
    assert (e.agent, e.window, e.observations) == ("codex", "5h", 2)
    assert e.usd == Decimal("42.86")
    assert (e.low, e.high) == (Decimal("41.67"), Decimal("44.12"))
    assert "ratio of sums" in e.method
    plan = result.plan
    assert plan is not None
    assert plan.id == "chatgpt-plus"
    [lim] = [x for x in plan.limits if x.id == "codex-5h"]
    assert (lim.unit, lim.amount, lim.status) == ("usd", Decimal("42.86"), "estimated")


def test_claude_hits_are_lower_bounds_and_the_plan_file_loads(tmp_path: Path) -> None:
    # Opus 4.5: 1M output tokens = $25. Day 1: requests 10:00-13:00 ($100) then a 5-hour hit at
    # 13:30; day 2: 10:00-12:00 ($75), hit at 12:10. Median of $75 and $100: $87.50.
    d2 = T0 + 24 * H
    rows = [("me", T0 + i * H, "claude-opus-4-5", 0, 1_000_000) for i in range(4)]
    rows += [("me", d2 + i * H, "claude-opus-4-5", 0, 1_000_000) for i in range(3)]
    ledger = Ledger.from_arrow(ledger_table(rows, agent=["claude-code"] * len(rows)))
    hit = {"agent": "claude-code", "kind": "limit_hit", "window": "5h", "message": "5-hour limit reached"}
    ev = events(
        [
            {**hit, "ts": T0 + 3.5 * H, "resets_at": T0 + 5 * H},
            {**hit, "ts": d2 + 2 * H + dt.timedelta(minutes=10)},
        ]
    )
    result = estimate_limits(ledger, ev, today=dt.date(2026, 12, 4))
    [e] = result.estimates
    assert (e.usd, e.low, e.high, e.observations) == (Decimal("87.50"), Decimal(75), Decimal(100), 2)
    assert "lower bound" in e.method
    path = tmp_path / "mine.yaml"
    path.write_text(result.plan_yaml())
    mine = load_plans([path]).get("claude-max-20x")
    [five] = [x for x in mine.limits if x.id == "5h"]
    assert (five.amount, five.low, five.high) == (Decimal("87.50"), Decimal(75), Decimal(100))
    # The weekly limit, not estimated here, is the catalogue's.
    assert [x.amount for x in mine.limits if x.id == "weekly"] == [Decimal(625)]


def test_no_observations() -> None:
    ledger = openai_ledger([(T0, 1)])
    with pytest.raises(PlanError, match="no limit observations"):
        estimate_limits(ledger, events([]))
