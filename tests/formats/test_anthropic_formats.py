"""Anthropic's formats: Messages responses, Message Batches results, the Admin usage and cost
reports, the Console exports. Anthropic's `input_tokens` (and the reports' `uncached_input_tokens`)
exclude cache tokens: cache reads and 5-minute / 1-hour writes are added on top."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from format_helpers import (
    FIXTURES,
    HAIKU_45,
    OPUS_46,
    SONNET_45,
    SONNET_45_LONG,
    SONNET_46,
    billed,
    buckets,
    by_id,
    cost,
    counts_of,
    quarantined,
    read,
)

from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.readers import detect_format

UTC = dt.UTC


def test_messages_add_cache_tokens_on_top_of_input(book: PriceBook) -> None:
    assert detect_format(FIXTURES / "anthropic_messages.jsonl") == "responses"
    rows = by_id(read("anthropic_messages.jsonl"))
    a = buckets(
        input_tokens=412,
        cache_read_tokens=48210,
        cache_write_5m_tokens=2048,
        cache_write_1h_tokens=4102,
        output_tokens=1893,
        reasoning_tokens=1204,
        web_search_requests=2,
    )
    b = buckets(input_tokens=96, cache_read_tokens=54360, output_tokens=702)
    # No `cache_creation` breakdown: the writes have Anthropic's default TTL, 5 minutes.
    d = buckets(input_tokens=350, cache_write_5m_tokens=5000, output_tokens=180)
    assert counts_of(rows["msg_01XFDUDYJgAACzvnptvVoYEL"]) == a
    assert counts_of(rows["msg_01A7b2TqVhFkRzPj4mLWs9Nc"]) == b
    assert counts_of(rows["msg_01Lm4NoP5qRsT6uVwX7yZ8aB"]) == d
    assert rows["msg_01A7b2TqVhFkRzPj4mLWs9Nc"]["region"] == "us"
    assert rows["msg_01Pq3RrX8cVnA2sDd5fGh6Jk"]["service_tier"] == "priority"
    assert (
        rows["msg_01XFDUDYJgAACzvnptvVoYEL"]["user"],
        rows["msg_01XFDUDYJgAACzvnptvVoYEL"]["feature"],
    ) == (
        "u_1234",
        "ticket_summary",
    )
    total, unpriced, bad = billed("anthropic_messages.jsonl", book)
    # US-only inference costs 1.1x on tokens; the priority request has no price in the book.
    assert total == cost(SONNET_46, a) + cost(SONNET_46.scaled("1.1"), b) + cost(HAIKU_45, d)
    assert (unpriced, bad) == (1, 0)


def test_batch_results_take_the_batch_time_and_tier(book: PriceBook) -> None:
    rows = by_id(read("anthropic_batch_results.jsonl"))
    first = rows["msg_014VwiXbi91y3JMjcpyGBHX5"]
    second = rows["msg_01BbR7vJ2kL9mN3pQ5sT8uWx"]
    assert first["ts"] == dt.datetime(2026, 8, 10, 3, 12, 45, tzinfo=UTC)  # the batch's ended_at
    assert {first["service_tier"], second["service_tier"]} == {"batch"}
    b1 = buckets(input_tokens=1830, output_tokens=212)
    b2 = buckets(
        input_tokens=640,
        cache_read_tokens=12000,
        cache_write_5m_tokens=3000,
        output_tokens=450,
        reasoning_tokens=120,
    )
    assert (counts_of(first), counts_of(second)) == (b1, b2)
    assert quarantined("anthropic_batch_results.jsonl") == {
        4: "batch request ticket-8814 did not succeed (errored): not billed",
        5: "batch request ticket-8815 did not succeed (expired): not billed",
    }
    total, unpriced, _ = billed("anthropic_batch_results.jsonl", book)
    assert total == cost(HAIKU_45.scaled("0.5"), b1) + cost(HAIKU_45.scaled("0.5"), b2)
    assert unpriced == 0


def test_usage_report_buckets_and_requests_floor(book: PriceBook) -> None:
    assert detect_format(FIXTURES / "anthropic_usage_report.json") == "anthropic-usage-report"
    rows = read("anthropic_usage_report.json")
    assert len(rows) == 6
    got = {(r["ts"].date().isoformat(), r["model"], r["requests"]): r for r in rows}
    sonnet_1 = buckets(
        input_tokens=1520334,
        cache_read_tokens=9832110,
        cache_write_5m_tokens=210441,
        cache_write_1h_tokens=52000,
        output_tokens=402118,
        web_search_requests=31,
    )
    haiku = buckets(input_tokens=880000, output_tokens=120500)
    s45_short = buckets(input_tokens=6400000, cache_read_tokens=2600000, output_tokens=510000)
    s45_long = buckets(
        input_tokens=2400000, cache_write_1h_tokens=300000, cache_read_tokens=1800000, output_tokens=95000
    )
    # The second day uses the flattened `cache_creation_5m_input_tokens` spelling.
    sonnet_2 = buckets(
        input_tokens=1210000,
        cache_write_5m_tokens=150000,
        cache_read_tokens=8100000,
        output_tokens=330000,
        web_search_requests=12,
    )
    opus = buckets(
        input_tokens=240000, cache_write_1h_tokens=30000, cache_read_tokens=180000, output_tokens=9500
    )
    # No request counts in the report: the fewest requests the context window allows, i.e.
    # ceil(total input / 200k) for 0-200k buckets and ceil(total input / 1M) for 200k-1M ones.
    expected = {
        ("2026-08-10", "claude-sonnet-4-6", 59): sonnet_1,
        ("2026-08-10", "claude-haiku-4-5", 5): haiku,
        ("2026-08-10", "claude-sonnet-4-5", 45): s45_short,
        ("2026-08-10", "claude-sonnet-4-5", 5): s45_long,
        ("2026-08-11", "claude-sonnet-4-6", 48): sonnet_2,
        ("2026-08-11", "claude-opus-4-6", 3): opus,
    }
    assert {k: counts_of(v) for k, v in got.items()} == expected
    assert got[("2026-08-10", "claude-haiku-4-5", 5)]["service_tier"] == "batch"
    assert got[("2026-08-10", "claude-sonnet-4-6", 59)]["tenant"] == "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"
    total, unpriced, bad = billed("anthropic_usage_report.json", book)
    assert total == (
        cost(SONNET_46, sonnet_1)
        + cost(HAIKU_45.scaled("0.5"), haiku)
        + cost(SONNET_45, s45_short)  # 9M tokens a day, but requests under 200k each
        + cost(SONNET_45_LONG, s45_long)  # the 200k-1M context window: long-context rates
        + cost(SONNET_46, sonnet_2)
        + cost(OPUS_46.scaled("1.1"), opus)
    )
    assert (unpriced, bad) == (0, 0)


def test_cost_report_rows_carry_amounts_in_dollars() -> None:
    assert detect_format(FIXTURES / "anthropic_cost_report.json") == "anthropic-cost-report"
    rows = read("anthropic_cost_report.json")
    assert len(rows) == 13
    assert all(sum(counts_of(r).values()) == 0 for r in rows)  # amounts only, no token counts
    assert {r["cost_source"] for r in rows} == {"provider_report"}
    sums: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        key = (r["ts"].date().isoformat(), r["model"])
        sums[key] = sums.get(key, Decimal(0)) + r["reported_cost_usd"]
    # `amount` is in cents, as decimal text.
    cents = {
        ("2026-08-10", "claude-sonnet-4-6"): ["456.1002", "294.9633", "78.915375", "31.2", "603.177", "31"],
        ("2026-08-10", "claude-haiku-4-5"): ["44", "30.125"],
        ("2026-08-11", "claude-sonnet-4-6"): ["363", "243", "90", "495", "12"],
    }
    assert sums == {k: sum(map(Decimal, v)) / 100 for k, v in cents.items()}
    [(line, reason)] = quarantined("anthropic_cost_report.json").items()
    assert line == 103
    assert reason.startswith('no model in this cost row (description "Claude Code Usage")')


def test_console_usage_export(book: PriceBook) -> None:
    assert detect_format(FIXTURES / "anthropic_console_usage.csv") == "anthropic-console-usage-csv"
    rows = read("anthropic_console_usage.csv")
    got = {(r["source_line"]): r for r in rows}
    assert counts_of(got[2]) == buckets(
        input_tokens=1520334,
        cache_write_5m_tokens=210441,
        cache_write_1h_tokens=52000,
        cache_read_tokens=9832110,
        output_tokens=402118,
        web_search_requests=31,
    )
    assert (got[2]["tenant"], got[2]["feature"]) == ("Default", "prod-backend")  # names, not ids
    assert [got[n]["service_tier"] for n in (2, 3, 4)] == ["standard", "batch", "priority"]
    long = buckets(
        input_tokens=2400000, cache_write_1h_tokens=300000, cache_read_tokens=1800000, output_tokens=95000
    )
    opus = buckets(
        input_tokens=240000, cache_write_1h_tokens=30000, cache_read_tokens=180000, output_tokens=9500
    )
    assert (counts_of(got[5]), counts_of(got[6])) == (long, opus)
    total, unpriced, _ = billed("anthropic_console_usage.csv", book)
    assert total == (
        cost(SONNET_46, counts_of(got[2]))
        + cost(HAIKU_45.scaled("0.5"), counts_of(got[3]))
        + cost(SONNET_45_LONG, long)
        + cost(OPUS_46.scaled("1.1"), opus)
    )
    assert unpriced == 1  # the priority row


def test_console_cost_export_normalises_display_names() -> None:
    assert detect_format(FIXTURES / "anthropic_console_cost.csv") == "anthropic-console-cost-csv"
    rows = read("anthropic_console_cost.csv")
    assert [r["model"] for r in rows] == ["claude-sonnet-4-6"] * 5 + ["claude-haiku-4-5"] * 2 + [
        "claude-opus-4-6"
    ]
    assert [r["service_tier"] for r in rows[5:7]] == ["batch", "batch"]
    assert sum((r["reported_cost_usd"] for r in rows), Decimal(0)) == sum(
        map(Decimal, ["4.561002", "2.949633", "0.78915375", "0.312", "6.03177", "0.44", "0.30125", "1.32"])
    )
