"""Block windows at their edges, against hand-placed requests: a request exactly at a block's
end, a gap longer than the block, ccusage's variant (start floored to the hour, the end kept),
several users at once, and the per-block rollup with its burn rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from plans_helpers import T0, US, H, micros

from inferonomics.errors import PlanError
from inferonomics.plans.windows import HOUR_US, assign_blocks, block_starts, group_bounds, usage_blocks

T = T0 + dt.timedelta(minutes=20)  # 10:20 UTC, not on the hour


def starts_of(times: list[dt.datetime], style: str = "anthropic") -> list[dt.datetime]:
    a = assign_blocks(np.array([micros(t) for t in times]), hours=5, style=style)  # type: ignore[arg-type]
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return [epoch + int(s) * US for s in a.start_us[a.block]]


def test_a_request_exactly_at_the_end_opens_the_next_block() -> None:
    # Block [10:20, 15:20): 15:20 - 1 µs is inside, 15:20 itself opens the next block.
    times = [T, T + 5 * H - US, T + 5 * H]
    assert starts_of(times) == [T, T, T + 5 * H]


def test_ccusage_floors_the_start_and_keeps_the_end() -> None:
    # ccusage: start floored to 10:00, end 15:00; a request at exactly 15:00 stays (its `>` test),
    # one at 15:00 + 1 µs opens a block floored to 15:00.
    ten = T0
    times = [T, ten + 5 * H, ten + 5 * H + US]
    assert starts_of(times, "ccusage") == [ten, ten, ten + 5 * H]
    # The same requests with the published rule: 15:00 is inside [10:20, 15:20).
    assert starts_of(times) == [T, T, T]


def test_a_gap_longer_than_the_block_starts_at_the_next_request() -> None:
    # 10:20, then 16:40 (6 h 20 min later): the second block starts at 16:40, not 15:20, and ends
    # 21:40, so a request at 21:39 is inside it and one at 21:40 opens a third.
    late = T + dt.timedelta(hours=6, minutes=20)
    times = [T, late, late + 5 * H - dt.timedelta(minutes=1), late + 5 * H]
    assert starts_of(times) == [T, late, late, late + 5 * H]


def test_blocks_per_user_in_any_row_order() -> None:
    ts = np.array([micros(T + 6 * H), micros(T), micros(T + H), micros(T + 5 * H)])
    users = pa.array(["b", "a", "b", "a"])
    a = assign_blocks(ts, users, hours=5)
    # a: 10:20 and 15:20 (exactly 5 h later): two blocks; b: 11:20 and 16:20: two blocks.
    assert a.blocks == 4
    starts = a.start_us[a.block]
    assert list(starts) == [micros(T + 6 * H), micros(T), micros(T + H), micros(T + 5 * H)]
    assert list(a.end_us[a.block] - starts) == [5 * HOUR_US] * 4


def test_a_week_is_a_block_of_168_hours() -> None:
    ts = np.array([micros(T), micros(T + 167 * H), micros(T + 168 * H)])
    a = assign_blocks(ts, hours=168)
    assert list(a.block) == [0, 0, 1]


def test_the_chain_follows_block_ends_not_request_gaps() -> None:
    # Requests every hour for 12 hours: blocks open at 0 h, 5 h and 10 h (each ends 5 h after it
    # opened, whatever the gaps).
    ts = np.array([micros(T + i * H) for i in range(12)])
    starts = block_starts(ts, group_bounds(np.zeros(12, dtype=np.int64)), 5 * HOUR_US)
    assert list(np.flatnonzero(starts)) == [0, 5, 10]


def test_a_block_must_have_a_length() -> None:
    with pytest.raises(PlanError, match="positive whole number"):
        assign_blocks(np.array([0]), hours=0)


def test_usage_blocks_rolls_up_with_exact_cost_and_burn_rate() -> None:
    table = pa.table(
        {
            "ts": pa.array([T, T + H, T + 5 * H], pa.timestamp("us", tz="UTC")),
            "requests": [1, 1, 1],
            "input_tokens": [1000, 2000, 500],
            "output_tokens": [200, 400, 100],
            "cost_usd": pa.array([Decimal("0.01"), Decimal("0.02"), Decimal("0.005")], pa.decimal128(38, 15)),
        }
    )
    blocks = usage_blocks(table, now=T + 6 * H).to_pylist()
    assert len(blocks) == 2
    first, second = blocks
    assert (first["block_start"], first["block_end"]) == (T, T + 5 * H)
    assert first["total_tokens"] == 3600  # 1,000 + 200 + 2,000 + 400
    assert first["cost_usd"] == Decimal("0.03")
    # 3,600 tokens over the 60 minutes between its first and last request; $0.03 an hour.
    assert first["tokens_per_minute"] == pytest.approx(60.0)
    assert first["usd_per_hour"] == Decimal("0.03")
    assert first["active"] is False
    # A block of one request has no burn rate (ccusage: none over a zero duration).
    assert (second["tokens_per_minute"], second["usd_per_hour"]) == (None, None)
    assert second["active"] is True
