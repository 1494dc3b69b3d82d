"""Claude Code transcripts: one message once across the whole tree (content-block lines, resumed
sessions, subagent replays), usage mapped as an Anthropic message, tags, limit hits.

The fixture tree (`tests/fixtures/agents/claude`) is written in the shape of public Claude Code
2.1.x transcripts: session 1 (15 lines), its subagent (3 lines), and session 2, resumed from
session 1 (its first 6 lines are copies of session 1's)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from agent_helpers import (
    CLAUDE,
    SESSION_1,
    SESSION_2,
    billed,
    buckets,
    by_line,
    counts_of,
    per_million,
    quarantined,
    rows_of,
)

from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers import claude_code, detect_format
from inferonomics.ledger.schema import EVENTS_SCHEMA

UTC = dt.UTC
S1 = f"{SESSION_1}.jsonl"
S2 = f"{SESSION_2}.jsonl"
SUB = "agent-a1b2c3d.jsonl"
PROJECT = CLAUDE / "projects" / "-home-dev-src-shop"


def test_each_message_counts_once_at_its_final_line() -> None:
    rows = by_line(rows_of(CLAUDE))
    # Message A is written as three lines (thinking, text, tool_use; output 9, 9, then the final
    # 420), copied into the resumed session 2 (its lines 2-4) and replayed by the subagent under
    # another request id: one row, the final line of the original session.
    assert set(rows) == {
        (S1, 5),
        (S1, 8),
        (S1, 9),
        (S1, 10),
        (S1, 12),
        (S1, 13),
        (SUB, 3),
        (S2, 8),
    }
    a = rows[(S1, 5)]
    assert a["request_id"] == "msg_01Hc7QqZ8vY3nB2kR5tL9wXa:req_011CY4TRHLYkp2wmETF8ujUf"
    assert a["session"] == SESSION_1
    assert a["ts"] == dt.datetime(2026, 2, 12, 10, 0, 4, 15000, tzinfo=UTC)
    assert counts_of(a) == buckets(
        input_tokens=3, cache_read_tokens=11442, cache_write_5m_tokens=2048, output_tokens=420
    )
    assert rows[(S2, 8)]["session"] == SESSION_2


def test_notes_count_every_line_not_billed() -> None:
    with Ledger.open([CLAUDE]) as ledger:
        [source] = ledger.sources
        notes = [n.removeprefix(f"{CLAUDE}: ") for n in source.notes]
        account = ledger.account()
    # 26 lines: 9 billed or quarantined message lines (8 rows, 1 without message.id), 1 synthetic,
    # 6 repeats (A's 2 partial lines; session 2's copies of A's 3 lines and of B), 1 replay, and
    # 9 lines without usage (snapshot, 2 prompts, progress, 2 tool results, system; session 2's
    # copied prompt and tool result).
    assert notes == [
        "3 transcript files read (1 of subagents)",
        "9 lines carry no usage (user messages, tool results, progress, system and summary lines, "
        "assistant lines without a usage object): skipped",
        "1 messages of model <synthetic> (errors and notices Claude Code writes itself; no model call): "
        "skipped",
        "6 lines repeat a message already counted (one line per content block; messages copied into "
        "resumed sessions): each message counted once",
        "1 subagent lines replay a parent message under another request id: counted once, as the parent's",
    ]
    assert (account.rows_read, account.rows_billed, account.rows_quarantined) == (9, 8, 1)


def test_usage_maps_as_an_anthropic_message() -> None:
    rows = by_line(rows_of(CLAUDE))
    # B: a 1-hour write, two server-side web searches.
    assert counts_of(rows[(S1, 8)]) == buckets(
        input_tokens=1,
        cache_read_tokens=13493,
        cache_write_1h_tokens=1500,
        output_tokens=300,
        web_search_requests=2,
    )
    # C: no cache_creation breakdown (older releases): all 5-minute; its costUSD is Claude Code's estimate.
    c = rows[(S1, 9)]
    assert counts_of(c) == buckets(input_tokens=12, cache_write_5m_tokens=800, output_tokens=50)
    assert (c["reported_cost_usd"], c["cost_source"]) == (Decimal("0.0123"), "tool_estimate")
    # D: the breakdown (600 at 5 minutes) is 400 short of cache_creation_input_tokens (1000).
    assert counts_of(rows[(S1, 10)]) == buckets(
        input_tokens=4,
        cache_read_tokens=2000,
        cache_write_5m_tokens=600,
        cache_write_other_tokens=400,
        output_tokens=60,
    )
    assert (rows[(S1, 5)]["service_tier"], rows[(S1, 5)]["region"]) == ("standard", "not_available")


def test_tags_say_agent_project_and_sidechain() -> None:
    with Ledger.open([CLAUDE]) as ledger:
        assert ledger.tags == ["agent", "project", "sidechain"]
        rows = by_line(ledger.to_arrow().to_pylist())
    assert {r["agent"] for r in rows.values()} == {"claude-code"}
    assert {r["project"] for r in rows.values()} == {"/home/dev/src/shop"}
    assert [k for k, r in rows.items() if r["sidechain"] == "true"] == [(SUB, 3)]
    # A subagent's lines carry their parent's session.
    assert rows[(SUB, 3)]["session"] == SESSION_1


def test_providers_follow_the_model() -> None:
    rows = by_line(rows_of(CLAUDE))
    assert rows[(S1, 5)]["provider"] == "anthropic"
    assert (rows[(S1, 12)]["provider"], rows[(S1, 12)]["model"]) == ("zai", "glm-4.6")
    # A model the book does not know stays anthropic's, to be reported as unknown by the engine.
    assert (rows[(S1, 13)]["provider"], rows[(S1, 13)]["model"]) == ("anthropic", "claude-fable-9")


def test_bill_prices_every_message_and_quarantines_the_one_without_an_id(book: PriceBook) -> None:
    total, unpriced, billed_rows, bad = billed(book, CLAUDE)
    # Sonnet 4.5 ($3 input, $0.30 cache read, $3.75 5-minute write (and unknown-TTL), $6 1-hour
    # write, $15 output per M; web search $10 per 1,000), messages A, B, C, D:
    #   input 3+1+12+4 = 20; reads 11442+13493+2000 = 26935; 5-minute 2048+800+600 = 3448;
    #   1-hour 1500; unknown TTL 400; output 420+300+50+60 = 830; 2 searches.
    sonnet = per_million(
        (20, "3"), (26935, "0.30"), (3448, "3.75"), (1500, "6"), (400, "3.75"), (830, "15")
    ) + 2 * Decimal("0.01")
    # Opus 4.6 ($5, $0.50, $10 1-hour, $25), message J: 2 in, 15000 read, 500 1-hour, 700 out.
    opus = per_million((2, "5"), (15000, "0.50"), (500, "10"), (700, "25"))
    # Haiku 4.5 ($1, $1.25 5-minute, $5), the subagent's message I: 8 in, 3000 5-minute, 150 out.
    haiku = per_million((8, "1"), (3000, "1.25"), (150, "5"))
    # GLM-4.6 at Z.ai ($0.60 input, $2.20 output per M), message E: 200 in, 80 out.
    glm = per_million((200, "0.60"), (80, "2.20"))
    assert total == sonnet + opus + haiku + glm == Decimal("0.0988345")
    # claude-fable-9 is unknown: billed as unpriced (not quarantined, not $0 silently).
    assert (unpriced, billed_rows, bad) == (1, 8, 1)
    assert quarantined(CLAUDE) == {
        (S1, 14): "no message.id: the lines of this message (one per content block) cannot be told from "
        "another's, so it is not counted"
    }


def test_a_limit_hit_becomes_an_event() -> None:
    with Ledger.open([CLAUDE]) as ledger:
        events = ledger.events()
    assert events.schema == EVENTS_SCHEMA
    assert events.to_pylist() == [
        {
            "ts": dt.datetime(2026, 2, 12, 19, 30, tzinfo=UTC),
            "agent": "claude-code",
            "kind": "limit_hit",
            # 10pm in Paris (UTC+1 in February) is 21:00 UTC, 1.5 hours on: the 5-hour window.
            "window": "5h",
            "used_percent": None,
            "window_minutes": None,
            "resets_at": dt.datetime(2026, 2, 12, 21, 0, tzinfo=UTC),
            "model": None,
            "message": "You've hit your limit · resets 10pm (Europe/Paris)",
            "session": SESSION_1,
            "source_file": str(PROJECT / S1),
            "source_line": 15,
        }
    ]


def test_files_given_one_by_one_are_read_as_one_tree() -> None:
    files = [PROJECT / S2, PROJECT / S1, PROJECT / SESSION_1 / "subagents" / SUB]
    with Ledger.open(files) as ledger:
        assert len(ledger.sources) == 1
        rows = ledger.to_arrow()
    assert sorted(rows["request_id"].to_pylist()) == sorted(r["request_id"] for r in rows_of(CLAUDE))
    assert detect_format(files[0]) == "claude-code"
    assert detect_format(CLAUDE) == "claude-code"


def test_non_agent_inputs_give_an_empty_event_table(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("ts,provider,model,input_tokens,output_tokens\n2026-01-01T00:00:00Z,openai,gpt-5,10,5\n")
    with Ledger.open([path]) as ledger:
        events = ledger.events()
    assert events.schema == EVENTS_SCHEMA
    assert events.num_rows == 0
    assert EVENTS_SCHEMA.field("resets_at").type == pa.timestamp("us", tz="UTC")


def test_a_tree_read_in_batches_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = rows_of(CLAUDE)
    with Ledger.open([CLAUDE]) as ledger:
        notes = ledger.sources[0].notes
    # One file a batch: a message's copies and replays meet only when the batches are put together.
    monkeypatch.setattr(claude_code, "BATCH_BYTES", 1)
    with Ledger.open([CLAUDE]) as ledger:
        assert ledger.to_arrow().to_pylist() == whole
        assert ledger.sources[0].notes == notes
