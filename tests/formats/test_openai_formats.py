"""OpenAI's formats: Chat Completions and Responses objects, Batch output, the Usage and Costs APIs,
the dashboard exports. OpenAI's `prompt_tokens` / `input_tokens` include cached tokens and cache
writes: the uncached part is what is left once both are taken out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from format_helpers import (
    EMBEDDING_3_SMALL,
    FIXTURES,
    GPT_5_NANO,
    GPT_54_MINI,
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


def test_chat_and_responses_take_cache_tokens_out_of_the_prompt(book: PriceBook) -> None:
    rows = by_id(read("openai_responses.jsonl"))
    # 12840 prompt tokens = 11264 cached + 1024 written to cache + 552 uncached.
    a = buckets(
        input_tokens=552,
        cache_read_tokens=11264,
        cache_write_other_tokens=1024,
        output_tokens=958,
        reasoning_tokens=640,
    )
    b = buckets(
        input_tokens=1304,
        cache_read_tokens=4096,
        output_tokens=1210,
        reasoning_tokens=896,
        web_search_requests=1,
    )
    c = buckets(input_tokens=800, output_tokens=120, reasoning_tokens=64)
    assert counts_of(rows["chatcmpl-C4ZpQd3xgR2hT0"]) == a
    assert counts_of(rows["resp_68c1f0a2b7e48190"]) == b
    assert counts_of(rows["chatcmpl-C4ZqB7kLmN2pQ3"]) == c
    assert [rows[k]["service_tier"] for k in rows] == ["priority", "flex", "standard"]
    assert (rows["resp_68c1f0a2b7e48190"]["feature"], rows["resp_68c1f0a2b7e48190"]["user"]) == (
        "research",
        "u_301",
    )
    assert rows["chatcmpl-C4ZpQd3xgR2hT0"]["ts"] == dt.datetime(2026, 8, 10, 12, tzinfo=dt.UTC)
    total, unpriced, _ = billed("openai_responses.jsonl", book)
    # Priority costs twice the standard rates, flex half; web search is not discounted.
    assert total == cost(GPT_54_MINI.scaled("2"), a) + cost(GPT_54_MINI.scaled("0.5"), b) + cost(
        GPT_5_NANO, c
    )
    assert unpriced == 0


def test_batch_output_lines_are_batch_tier(book: PriceBook) -> None:
    rows = by_id(read("openai_batch_output.jsonl"))
    a = buckets(input_tokens=2210, output_tokens=148)
    b = buckets(input_tokens=1052, cache_read_tokens=2048, output_tokens=260, reasoning_tokens=64)
    assert (counts_of(rows["chatcmpl-C4ZqA1"]), counts_of(rows["chatcmpl-C4ZqA2"])) == (a, b)
    assert {r["service_tier"] for r in rows.values()} == {"batch"}
    assert quarantined("openai_batch_output.jsonl") == {3: "batch request doc-00044 failed: not billed"}
    total, _, _ = billed("openai_batch_output.jsonl", book)
    assert total == cost(GPT_54_MINI.scaled("0.5"), a) + cost(GPT_54_MINI.scaled("0.5"), b)


def test_usage_api_buckets(book: PriceBook) -> None:
    assert detect_format(FIXTURES / "openai_usage_completions.json") == "openai-usage-api"
    rows = read("openai_usage_completions.json")
    got = {(r["ts"].date().isoformat(), r["model"], r["service_tier"]): r for r in rows}
    mini = "gpt-5.4-mini-2026-03-17"
    std = buckets(
        input_tokens=250000, cache_read_tokens=700000, cache_write_other_tokens=50000, output_tokens=90000
    )
    batch = buckets(input_tokens=400000, output_tokens=52000)
    priority = buckets(input_tokens=40000, cache_read_tokens=20000, output_tokens=9000)
    # An older export without input_uncached_tokens: input − cached.
    day2 = buckets(input_tokens=320000, cache_read_tokens=500000, output_tokens=70000)
    unknown = buckets(input_tokens=30000, output_tokens=4000)
    embeddings = buckets(input_tokens=2000000)
    expected = {
        ("2026-08-10", mini, "standard"): (std, 412),
        ("2026-08-10", mini, "batch"): (batch, 120),
        ("2026-08-10", mini, "priority"): (priority, 30),
        ("2026-08-11", mini, "standard"): (day2, 300),
        ("2026-08-11", "gpt-5.6-mini-2026-06-18", "standard"): (unknown, 12),
        ("2026-08-10", "text-embedding-3-small", "standard"): (embeddings, 5000),
    }
    assert {k: (counts_of(v), v["requests"]) for k, v in got.items()} == expected
    assert got[("2026-08-10", mini, "standard")]["tenant"] == "proj_abc123"
    total, unpriced, _ = billed("openai_usage_completions.json", book)
    assert total == (
        cost(GPT_54_MINI, std)
        + cost(GPT_54_MINI.scaled("0.5"), batch)
        + cost(GPT_54_MINI.scaled("2"), priority)
        + cost(GPT_54_MINI, day2)
        + cost(EMBEDDING_3_SMALL, embeddings)
    )
    assert unpriced == 12  # gpt-5.6-mini is not in the price book: counted, never priced at $0


def test_costs_api_amounts_by_line_item() -> None:
    assert detect_format(FIXTURES / "openai_costs.json") == "openai-costs-api"
    rows = read("openai_costs.json")
    sums: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        key = (r["ts"].date().isoformat(), r["model"])
        sums[key] = sums.get(key, Decimal(0)) + r["reported_cost_usd"]
    assert sums == {
        ("2026-08-10", "gpt-5.4-mini"): sum(
            map(Decimal, ["0.1875", "0.0525", "0.0375", "0.405", "0.15", "0.117", "0.06", "0.003", "0.081"])
        ),
        ("2026-08-10", "text-embedding-3-small"): Decimal("0.04"),
        ("2026-08-11", "gpt-5.4-mini"): Decimal("0.24") + Decimal("0.0375") + Decimal("0.315"),
        ("2026-08-11", "gpt-5.6-mini"): Decimal("0.0225") + Decimal("0.02"),
    }
    batch = [r for r in rows if r["service_tier"] == "batch"]
    assert len(batch) == 2  # "batch input", "batch output" line items
    [(_, reason)] = quarantined("openai_costs.json").items()
    assert reason.startswith('line item "web search tool calls" names no model')


def test_dashboard_exports() -> None:
    assert detect_format(FIXTURES / "openai_dashboard_cost.csv") == "openai-dashboard-cost-csv"
    assert detect_format(FIXTURES / "openai_dashboard_activity.csv") == "openai-dashboard-usage-csv"
    costs = read("openai_dashboard_cost.csv")
    assert [(r["model"], r["service_tier"], r["reported_cost_usd"]) for r in costs] == [
        ("gpt-5.4-mini", "standard", Decimal("0.1875")),
        ("gpt-5.4-mini", "standard", Decimal("0.0525")),
        ("gpt-5.4-mini", "standard", Decimal("0.405")),
        ("gpt-5.4-mini", "batch", Decimal("0.117")),
    ]
    assert costs[0]["tenant"] == "Support Bot"
    assert costs[0]["ts"] == dt.datetime(2026, 8, 10, tzinfo=dt.UTC)  # the export's times are UTC
    activity = read("openai_dashboard_activity.csv")
    assert [(counts_of(r), r["requests"], r["service_tier"]) for r in activity] == [
        (
            buckets(
                input_tokens=250000,
                cache_read_tokens=700000,
                cache_write_other_tokens=50000,
                output_tokens=90000,
            ),
            412,
            "standard",
        ),
        (buckets(input_tokens=400000, output_tokens=52000), 120, "batch"),
        (buckets(input_tokens=40000, cache_read_tokens=20000, output_tokens=9000), 30, "priority"),
    ]
    assert activity[2]["user"] == "user-ann"
