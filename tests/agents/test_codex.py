"""Codex rollouts: per-turn usage from the differences of cumulative totals (repeats not counted,
a total that goes down quarantined), forks that replay their parent, resumed files, rate-limit
readings and limit hits.

The fixture (`tests/fixtures/agents/codex`) has a parent rollout (12 lines, in the shape of Codex
0.104 rollouts: token counts written twice, rate limits with `resets_at`) and a fork of it whose
lines 2-10 copy the parent's first 9 lines."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from agent_helpers import CODEX, billed, buckets, by_line, counts_of, per_million, quarantined, rows_of

from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers import detect_format

UTC = dt.UTC
PARENT_ID = "019c8a4c-ed82-79a1-aa28-7738fc5ab61a"
CHILD_ID = "019c8b10-44d1-7c22-9e0f-1a2b3c4d5e6f"
DAY = CODEX / "sessions" / "2026" / "02" / "23"
PARENT = f"rollout-2026-02-23T11-40-23-{PARENT_ID}.jsonl"
CHILD = f"rollout-2026-02-23T13-05-00-{CHILD_ID}.jsonl"


def test_turns_are_differences_of_the_totals() -> None:
    rows = by_line(rows_of(CODEX))
    assert set(rows) == {(PARENT, 6), (PARENT, 9), (PARENT, 11), (CHILD, 12)}
    # Line 6: the first totals (input 1000, cached 200, output 100, reasoning 40): uncached 800.
    assert counts_of(rows[(PARENT, 6)]) == buckets(
        input_tokens=800, cache_read_tokens=200, output_tokens=100, reasoning_tokens=40
    )
    # Line 7 repeats line 6's totals (a new rate-limit reading only): not a turn.
    # Line 9: (2500, 1200, 300, 100) − (1000, 200, 100, 40) = (1500, 1000, 200, 60).
    assert counts_of(rows[(PARENT, 9)]) == buckets(
        input_tokens=500, cache_read_tokens=1000, output_tokens=200, reasoning_tokens=60
    )
    # Line 10's input went down (2500 → 2400): quarantined; line 11 is measured from it:
    # (3000, 1500, 400, 120) − (2400, 1200, 320, 100) = (600, 300, 80, 20).
    assert counts_of(rows[(PARENT, 11)]) == buckets(
        input_tokens=300, cache_read_tokens=300, output_tokens=80, reasoning_tokens=20
    )
    a = rows[(PARENT, 6)]
    assert (a["provider"], a["model"], a["session"]) == ("openai", "gpt-5.3-codex", PARENT_ID)
    assert (a["agent"], a["project"]) == ("codex", "/home/dev/src/shop")
    assert a["request_id"] == f"codex:{PARENT_ID}:1100"
    assert a["ts"] == dt.datetime(2026, 2, 23, 11, 40, 42, 97000, tzinfo=UTC)


def test_a_fork_does_not_count_its_parents_history_again() -> None:
    rows = by_line(rows_of(CODEX))
    # The fork copies the parent's token counts (lines 7, 8, 10: totals up to (2500, 1200, 300,
    # 100)); its own turn, line 12, totals (3100, 1500, 350, 110): (600, 300, 50, 10).
    child = rows[(CHILD, 12)]
    assert counts_of(child) == buckets(
        input_tokens=300, cache_read_tokens=300, output_tokens=50, reasoning_tokens=10
    )
    assert (child["model"], child["session"]) == ("gpt-5.2-codex", CHILD_ID)
    with Ledger.open([CODEX]) as ledger:
        assert any(
            "3 token counts copied from the session this rollout continues" in n
            for n in ledger.sources[0].notes
        )


def test_a_fork_without_its_parent_skips_what_it_copied() -> None:
    # The copied token counts are dated before the fork's start: taken as the copy.
    rows = rows_of(DAY / CHILD)
    assert [(r["source_line"], counts_of(r)) for r in rows] == [
        (12, buckets(input_tokens=300, cache_read_tokens=300, output_tokens=50, reasoning_tokens=10))
    ]


def test_a_total_that_goes_down_is_quarantined(book: PriceBook) -> None:
    assert quarantined(CODEX) == {
        (PARENT, 10): "total_token_usage went down (input_tokens 2500 -> 2400, total_tokens 2800 -> 2720): "
        "totals are cumulative, so this is not one turn; the next turn is measured from it"
    }
    total, unpriced, billed_rows, bad = billed(book, CODEX)
    # GPT-5.3-Codex and GPT-5.2 ($1.75 input, $0.175 cached, $14 output per M; reasoning is inside
    # output): uncached 800+500+300+300 = 1900, cached 200+1000+300+300 = 1800, output
    # 100+200+80+50 = 430.
    assert total == per_million((1900, "1.75"), (1800, "0.175"), (430, "14")) == Decimal("0.00966")
    assert (unpriced, billed_rows, bad) == (0, 4, 1)


def test_rate_limits_and_limit_hits_become_events() -> None:
    with Ledger.open([CODEX]) as ledger:
        events = ledger.events().to_pylist()
    readings = [e for e in events if e["kind"] == "limit_reading"]
    # 6 token counts in the parent (4 to 11) and the fork's own (12), two windows each; the
    # fork's copies of the parent's are not read again.
    assert len(readings) == 14
    first = readings[0]
    assert first == {
        "ts": dt.datetime(2026, 2, 23, 11, 40, 33, 615000, tzinfo=UTC),
        "agent": "codex",
        "kind": "limit_reading",
        "window": "5h",
        "used_percent": 0.0,
        "window_minutes": 300,
        "resets_at": dt.datetime(2026, 2, 23, 16, 40, 31, tzinfo=UTC),  # 1771864831
        "model": "gpt-5.3-codex",
        "message": None,
        "session": PARENT_ID,
        "source_file": str(DAY / PARENT),
        "source_line": 4,
    }
    assert [(e["window"], e["window_minutes"], e["used_percent"]) for e in readings[-2:]] == [
        ("5h", 300, 5.0),
        ("weekly", 10080, 1.5),
    ]
    [hit] = [e for e in events if e["kind"] == "limit_hit"]
    # "try again in 1 hour 30 minutes", said at 11:41:25: resets at 13:11:25, 5-hour window.
    assert (hit["ts"], hit["resets_at"], hit["window"], hit["source_line"]) == (
        dt.datetime(2026, 2, 23, 11, 41, 25, tzinfo=UTC),
        dt.datetime(2026, 2, 23, 13, 11, 25, tzinfo=UTC),
        "5h",
        12,
    )
    assert detect_format(DAY / PARENT) == "codex"


def _line(ts: str, kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"timestamp": ts, "type": kind, "payload": payload})


def _count(
    ts: str, total: tuple[int, int, int, int] | None, last: tuple[int, int, int, int] | None, **limits: Any
) -> str:
    keys = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")
    info: dict[str, Any] = {}
    if total is not None:
        info["total_token_usage"] = {
            **dict(zip(keys, total, strict=True)),
            "total_tokens": total[0] + total[2],
        }
    if last is not None:
        info["last_token_usage"] = {**dict(zip(keys, last, strict=True)), "total_tokens": last[0] + last[2]}
    return _line(
        ts, "event_msg", {"type": "token_count", "info": info or None, "rate_limits": limits or None}
    )


def _meta(sid: str, ts: str) -> str:
    return _line(ts, "session_meta", {"id": sid, "timestamp": ts, "cwd": "/w", "originator": "codex_cli_rs"})


def test_a_session_resumed_into_a_new_file_continues_its_totals(tmp_path: Path) -> None:
    sid = "0197f000-0000-7000-8000-000000000001"
    ctx = _line("2026-03-01T10:00:01.000Z", "turn_context", {"model": "gpt-5.2-codex"})
    (tmp_path / "rollout-a.jsonl").write_text(
        "\n".join(
            [
                _meta(sid, "2026-03-01T10:00:00.000Z"),
                ctx,
                _count("2026-03-01T10:00:05.000Z", (1000, 0, 100, 0), (1000, 0, 100, 0)),
            ]
        )
        + "\n"
    )
    # The same session, a day later, in a new file: its totals go on from the first file's.
    (tmp_path / "rollout-b.jsonl").write_text(
        "\n".join(
            [
                _meta(sid, "2026-03-02T09:00:00.000Z"),
                ctx.replace("03-01", "03-02"),
                _count("2026-03-02T09:00:09.000Z", (1700, 500, 160, 0), (700, 500, 60, 0)),
            ]
        )
        + "\n"
    )
    rows = sorted(rows_of(tmp_path), key=lambda r: r["ts"])
    # (1700, 500, 160) − (1000, 0, 100) = (700, 500, 60): uncached 200.
    assert [counts_of(r) for r in rows] == [
        buckets(input_tokens=1000, output_tokens=100),
        buckets(input_tokens=200, cache_read_tokens=500, output_tokens=60),
    ]


def test_older_rollouts_last_usage_only_and_resets_in_seconds(tmp_path: Path) -> None:
    path = tmp_path / "rollout-old.jsonl"
    path.write_text(
        "\n".join(
            [
                _meta("0197f000-0000-7000-8000-000000000002", "2025-09-10T08:00:00.000Z"),
                _line("2025-09-10T08:00:01.000Z", "turn_context", {"model": "gpt-5-codex"}),
                _count(
                    "2025-09-10T08:00:30.000Z",
                    None,
                    (4000, 1000, 300, 200),
                    primary={"used_percent": 12.0, "window_minutes": 299, "resets_in_seconds": 600},
                ),
                _count(
                    "2025-09-10T08:01:30.000Z",
                    None,
                    None,
                    primary_used_percent=15.5,
                    primary_window_minutes=300,
                ),
            ]
        )
        + "\n"
    )
    [row] = rows_of(path)
    assert counts_of(row) == buckets(
        input_tokens=3000, cache_read_tokens=1000, output_tokens=300, reasoning_tokens=200
    )
    with Ledger.open([path]) as ledger:
        events = ledger.events().to_pylist()
    # A window of 299 minutes is neither 5h nor weekly: its own label. 600 s after 08:00:30.
    assert [(e["window"], e["used_percent"], e["window_minutes"], e["resets_at"]) for e in events] == [
        ("primary", 12.0, 299, dt.datetime(2025, 9, 10, 8, 10, 30, tzinfo=UTC)),
        ("5h", 15.5, 300, None),
    ]


def test_where_last_usage_disagrees_the_difference_of_totals_counts(tmp_path: Path) -> None:
    path = tmp_path / "rollout-x.jsonl"
    path.write_text(
        "\n".join(
            [
                _meta("0197f000-0000-7000-8000-000000000003", "2026-03-03T08:00:00.000Z"),
                _line("2026-03-03T08:00:01.000Z", "turn_context", {"model": "gpt-5.2-codex"}),
                _count("2026-03-03T08:00:10.000Z", (1000, 400, 50, 0), (1000, 400, 50, 0)),
                # last_token_usage says (900, 0, 40); the totals moved by (1000, 600, 70).
                _count("2026-03-03T08:00:20.000Z", (2000, 1000, 120, 0), (900, 0, 40, 0)),
            ]
        )
        + "\n"
    )
    with Ledger.open([path]) as ledger:
        rows = ledger.to_arrow().to_pylist()
        notes = ledger.sources[0].notes
    assert [counts_of(r) for r in rows] == [
        buckets(input_tokens=600, cache_read_tokens=400, output_tokens=50),
        buckets(input_tokens=400, cache_read_tokens=600, output_tokens=70),
    ]
    assert (
        f"{path}: 1 turns whose last_token_usage differs from the difference of the totals: the difference "
        "is counted" in notes
    )
