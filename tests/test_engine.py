"""The billing engine: its paths agree with each other and with exact hand arithmetic; money
stays DECIMAL; integer overflow falls back to DECIMAL arithmetic; the pinned Ibis/sqlglot pair
still creates tables (the break the conventions warn of)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

import inferonomics.billing.engine as engine_module
from inferonomics.backend import connect
from inferonomics.billing.engine import price, usd
from inferonomics.billing.rollup import rollup, user_distribution
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.generate import generate_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.parquet"
    generate_demo(path, 30_000, seed=3)
    return path


def test_create_table_works_with_the_pinned_sqlglot() -> None:
    con = connect()
    t = con.create_table("pin_check", pa.table({"x": [1, 2]}), temp=True)
    assert t.x.sum().to_pyarrow().as_py() == 3


def test_money_is_decimal_all_the_way() -> None:
    t = ibis.memtable(pa.table({"femto": [3_000_000_000]}))
    expr = usd(t.femto)
    assert expr.type().is_decimal()
    assert (expr.type().precision, expr.type().scale) == (38, 15)
    assert expr.to_pyarrow().to_pylist() == [Decimal("0.000003000000000")]


def test_rollup_of_cells_equals_per_row_pricing(demo: Path, book: PriceBook) -> None:
    priced = price(Ledger.open([demo]), book)
    per_row = priced.to_arrow()
    by_model = rollup(priced, ["provider", "model", "service_tier"], "day").table
    assert sum(by_model["rows"].to_pylist()) == per_row.num_rows == 30_000
    expected: dict[tuple[str, str, str], Decimal] = {}
    for r in per_row.to_pylist():
        key = (r["provider"], r["model"], r["service_tier"])
        expected[key] = expected.get(key, Decimal(0)) + (r["cost_usd"] or Decimal(0))
    got: dict[tuple[str, str, str], Decimal] = {}
    for r in by_model.to_pylist():
        key = (r["provider"], r["model"], r["service_tier"])
        got[key] = got.get(key, Decimal(0)) + r["cost_usd"]
    assert got == expected
    assert len(expected) > 15  # many models, tiers, windows and long-context requests in play


def test_range_join_gives_the_same_bill(demo: Path, book: PriceBook, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = price(Ledger.open([demo]), book).to_arrow().sort_by("request_id")
    monkeypatch.setattr(engine_module, "MAX_CELL_ROWS", 0)
    ranges = price(Ledger.open([demo]), book).to_arrow().sort_by("request_id")
    assert cells["cost_usd"].to_pylist() == ranges["cost_usd"].to_pylist()
    assert cells["price_entry"].to_pylist() == ranges["price_entry"].to_pylist()


def test_overflow_falls_back_to_decimal(book: PriceBook) -> None:
    # A monthly bucket row: 10^12 output tokens of Opus 4.1 at $75/MTok = $75,000,000, which is
    # 7.5e22 fUSD: far past int64.
    table = pa.Table.from_pylist(
        [
            {
                "ts": dt.datetime(2025, 11, 1, tzinfo=dt.UTC),
                "request_id": "bucket",
                "provider": "anthropic",
                "model": "claude-opus-4-1",
                "requests": 10_000_000,
                "output_tokens": 10**12,
            }
        ]
    )
    priced = price(Ledger.from_arrow(table), book)
    [row] = priced.to_arrow().to_pylist()
    assert row["cost_usd"] == Decimal(75_000_000)
    assert priced.wide
    assert rollup(price(Ledger.from_arrow(table), book)).table["cost_usd"].to_pylist() == [
        Decimal(75_000_000)
    ]


def test_user_distribution_is_heavy_tailed(demo: Path, book: PriceBook) -> None:
    users = user_distribution(price(Ledger.open([demo]), book))
    assert users.users > 100
    assert users.p50_usd < users.p95_usd < users.p99_usd <= users.max_usd
    # Heavy-tailed: the 95th-percentile user spends over ten times the median one, and the top 1%
    # of users carry more than ten times their share of spend.
    assert users.p95_usd > 10 * users.p50_usd
    assert users.top1pct_share > Decimal("0.10")


def test_generator_is_reproducible_and_consistent(tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    assert generate_demo(a, 5_000, seed=11) == 5_000
    generate_demo(b, 5_000, seed=11)
    ta, tb = Ledger.open([a]).to_arrow(), Ledger.open([b]).to_arrow()
    assert ta.drop_columns(["source_file"]).equals(tb.drop_columns(["source_file"]))
    rows = ta.to_pylist()
    assert all(r["reasoning_tokens"] <= r["output_tokens"] for r in rows)
    assert all(
        min(r[c] for c in ("input_tokens", "cache_read_tokens", "cache_write_5m_tokens")) >= 0 for r in rows
    )
    # Sessions grow: a later turn of a session reads at least what an earlier one sent.
    assert sum(r["cache_read_tokens"] > 0 for r in rows) > 1000
    assert {r["service_tier"] for r in rows} == {"standard", "batch", "flex", "priority"}
    assert len({r["request_id"] for r in rows}) == len(rows)


def test_periods_in_a_time_zone_are_local_days() -> None:
    import inferonomics as inf

    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, 3, day, hour, 30, tzinfo=dt.UTC)

    # GPT-4o input at $2.50 per MTok: each row costs $2.50. Paris is UTC+1 until 01:00 UTC on
    # 2026-03-29, UTC+2 after; Kolkata is UTC+5:30 all year.
    rows = [
        {"ts": at(28, 22), "request_id": "c"},  # Paris 23:30 on the 28th; Kolkata 04:00 on the 29th
        {"ts": at(28, 23), "request_id": "b"},  # Paris 00:30 on the 29th
        {"ts": at(29, 0), "request_id": "a"},  # Paris 01:30 on the 29th
        {"ts": at(29, 22), "request_id": "d"},  # Paris 00:30 (summer time) on the 30th
    ]
    for r in rows:
        r.update(provider="openai", model="gpt-4o", input_tokens=1_000_000)
    ledger = inf.Ledger.from_arrow(pa.Table.from_pylist(rows))

    def days(tz: str | None) -> dict[str, int]:
        table = inf.bill(ledger, grain="day", tz=tz).table
        return {r["period"].isoformat(): r["requests"] for r in table.to_pylist()}

    assert days(None) == {"2026-03-28T00:00:00+00:00": 2, "2026-03-29T00:00:00+00:00": 2}
    assert days("Europe/Paris") == {
        "2026-03-28T00:00:00+01:00": 1,
        "2026-03-29T00:00:00+01:00": 2,
        "2026-03-30T00:00:00+02:00": 1,
    }
    assert days("Asia/Kolkata") == {"2026-03-29T00:00:00+05:30": 3, "2026-03-30T00:00:00+05:30": 1}
    total = sum(r["cost_usd"] for r in inf.bill(ledger, grain="day", tz="Europe/Paris").table.to_pylist())
    assert total == Decimal(10)
    with pytest.raises(inf.RollupError, match="unknown time zone 'Mars/Olympus'"):
        inf.bill(ledger, grain="day", tz="Mars/Olympus")


def test_time_of_week_is_seconds_since_monday_in_integers() -> None:
    # Expected from Python's own calendar (weekday(): Monday 0), before 1970 as well.
    from inferonomics.backend import time_of_week

    con = connect()
    instants = [
        dt.datetime(1970, 1, 1),  # a Thursday
        dt.datetime(2026, 12, 7),  # a Monday, midnight
        dt.datetime(2026, 12, 6, 23, 59, 59, 999_999),  # the Sunday before, its last microsecond
        dt.datetime(1969, 12, 31, 23),
        dt.datetime(1960, 3, 14, 12, 30, 5),
    ]
    t = ibis.memtable(pa.table({"ts": pa.array(instants, pa.timestamp("us"))}))
    got = con.ibis.to_pyarrow(t.select(tow=time_of_week(t.ts, con)))["tow"].to_pylist()
    assert got == [i.weekday() * 86400 + i.hour * 3600 + i.minute * 60 + i.second for i in instants]
    assert got[2] == 604_799


def test_count_columns_no_input_has_are_summed_as_zero(tmp_path: Path, book: PriceBook) -> None:
    # A file with input and output tokens only: the other buckets (cache, reasoning, modality parts,
    # web searches) are absent, and the bill's sums of them are 0 (by hand: 2 rows of 1,000 + 10).
    path = tmp_path / "two.parquet"
    rows = {
        "ts": [dt.datetime(2026, 5, 1, 12), dt.datetime(2026, 5, 1, 13)],
        "provider": ["openai", "openai"],
        "model": ["gpt-4o", "gpt-4o"],
        "input_tokens": [1_000, 1_000],
        "output_tokens": [10, 10],
    }
    import pyarrow.parquet as pq

    pq.write_table(pa.table(rows), path)
    ledger = Ledger.open([path])
    assert "input_tokens" not in ledger.absent_counts
    assert {"cache_read_tokens", "reasoning_tokens", "input_audio_tokens", "web_search_requests"} <= set(
        ledger.absent_counts
    )
    table = rollup(price(ledger, book), ["model"], "day").table.to_pylist()
    assert [
        (r["input_tokens"], r["output_tokens"], r["cache_read_tokens"], r["input_audio_tokens"])
        for r in table
    ] == [(2_000, 20, 0, 0)]
    # gpt-4o at $2.50 / $10 per million: 2,000 x 2.5e-6 + 20 x 1e-5 = $0.0052.
    assert table[0]["cost_usd"] == Decimal("0.0052")


def test_inputs_with_text_and_typed_instants_bill_together(tmp_path: Path, book: PriceBook) -> None:
    # A CSV's instants are text, parsed to timestamps; chat completions read in bulk are staged as
    # timestamps, and a Parquet file's naive timestamps are typed with their scale: the three
    # inputs' rows are one UNION, so every instant must come out of validation as one type.
    import json

    import pyarrow.parquet as pq

    csv_path = tmp_path / "usage.csv"
    csv_path.write_text(
        "ts,provider,model,input_tokens,output_tokens\n2026-01-01T00:00:00Z,openai,gpt-4o,1000,100\n"
    )
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1767225600,  # 2026-01-01T00:00:00Z
        "model": "gpt-4o-2024-08-06",
        "usage": {"prompt_tokens": 2000, "completion_tokens": 50, "total_tokens": 2050},
    }
    jsonl = tmp_path / "completions.jsonl"
    jsonl.write_text(json.dumps(completion) + "\n")
    naive = tmp_path / "naive.parquet"
    pq.write_table(
        pa.table(
            {
                "ts": pa.array([dt.datetime(2026, 1, 1, 12)], pa.timestamp("us")),
                "provider": ["openai"],
                "model": ["gpt-4o"],
                "input_tokens": pa.array([500], pa.int64()),
                "output_tokens": pa.array([10], pa.int64()),
            }
        ),
        naive,
    )
    priced = price(Ledger.open([csv_path, jsonl, naive]), book)
    rows = sorted(priced.to_arrow().to_pylist(), key=lambda r: r["input_tokens"])
    # gpt-4o: $2.50 / $10 per million input / output tokens (its 2024-08-06 snapshot the same).
    assert [r["cost_usd"] for r in rows] == [Decimal("0.00135"), Decimal("0.0035"), Decimal("0.0055")]
    assert [r["ts"] for r in rows] == [
        dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    ]
    assert (priced.account().rows_read, priced.account().rows_billed) == (3, 3)
