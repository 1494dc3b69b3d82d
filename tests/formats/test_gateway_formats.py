"""Gateways, observability tools and other APIs: Gemini `usageMetadata`, OpenTelemetry GenAI spans,
LiteLLM spend logs, Langfuse observations, Helicone request logs, OpenRouter responses. Each counts
input its own way; the expected buckets below follow each one's documented semantics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from format_helpers import (
    BEDROCK_SONNET_45,
    FIXTURES,
    GEMINI_25_FLASH,
    GEMINI_25_FLASH_BATCH,
    GPT_5_NANO,
    GPT_54_MINI,
    HAIKU_45,
    OR_GEMINI_25_FLASH,
    OR_GPT_5_MINI,
    OR_SONNET_45,
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
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers import detect_format

UTC = dt.UTC


def line_with(name: str, text: str) -> int:
    """The line of a fixture where `text` first appears (to check quarantine lines)."""
    for number, line in enumerate((FIXTURES / name).read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {name}")


def test_gemini_thoughts_and_tool_prompts_are_outside_the_counts(book: PriceBook) -> None:
    assert detect_format(FIXTURES / "gemini_responses.jsonl") == "gemini"
    rows = by_id(read("gemini_responses.jsonl"))
    # promptTokenCount includes the cache; thoughts and tool-use prompt tokens are counted apart.
    a = buckets(
        input_tokens=18240 - 16384, cache_read_tokens=16384, output_tokens=512 + 1380, reasoning_tokens=1380
    )
    b = buckets(input_tokens=4200 + 950, output_tokens=610, web_search_requests=1)  # one grounded prompt
    c = buckets(input_tokens=3000, output_tokens=400 + 200, reasoning_tokens=200)
    assert counts_of(rows["mcJzaLmXF4mFz7IPp8O9gA4"]) == a
    assert counts_of(rows["Xq1vaKbQ0aWN1MkP4OHe2Ao"]) == b
    assert counts_of(rows["b1-r1"]) == c
    assert rows["b1-r1"]["service_tier"] == "batch"
    assert rows["b1-r1"]["ts"] == dt.datetime(2026, 8, 10, 1, 42, 10, tzinfo=UTC)  # the batch job's end
    assert rows["mcJzaLmXF4mFz7IPp8O9gA4"]["user"] == "u_9"
    assert quarantined("gemini_responses.jsonl") == {
        5: "batch request request-2 failed: not billed",
        6: "trafficType PROVISIONED_THROUGHPUT: billed as reserved capacity, not per token",
    }
    total, _, _ = billed("gemini_responses.jsonl", book)
    assert total == cost(GEMINI_25_FLASH, a) + cost(GEMINI_25_FLASH, b) + cost(GEMINI_25_FLASH_BATCH, c)


def test_otel_spans_inclusive_input_and_both_cache_names(book: PriceBook) -> None:
    name = "otel_genai_spans.json"
    assert detect_format(FIXTURES / name) == "otel"
    with Ledger.open([FIXTURES / name]) as ledger:
        rows = by_id(ledger.to_arrow().to_pylist())
        notes = ledger.sources[0].notes
    # input_tokens includes cache reads and writes; the renamed write attribute is counted once.
    a = buckets(
        input_tokens=54772 - 48210 - 6150,
        cache_read_tokens=48210,
        cache_write_other_tokens=6150,
        output_tokens=1893,
        reasoning_tokens=1204,
    )
    b = buckets(input_tokens=12840 - 11264, cache_read_tokens=11264, output_tokens=958, reasoning_tokens=640)
    # Raw Anthropic counts (input smaller than the cache tokens): the input is already uncached.
    c = buckets(input_tokens=412, cache_read_tokens=9000, cache_write_other_tokens=2000, output_tokens=77)
    first = rows["msg_01XFDUDYJgAACzvnptvVoYEL"]
    assert counts_of(first) == a
    assert counts_of(rows["chatcmpl-C4ZpQd3xgR2hT9"]) == b
    assert counts_of(rows["msg_01RawAnthropicCounts0001"]) == c
    assert (first["provider"], first["tenant"], first["user"], first["feature"], first["session"]) == (
        "anthropic",
        "acme",
        "u_1234",
        "ticket_summary",
        "conv_7Q2",
    )
    assert rows["chatcmpl-C4ZpQd3xgR2hT9"]["provider"] == "openai"  # from the older gen_ai.system
    assert first["ts"] == dt.datetime(2026, 8, 10, 10, 0, 0, 100000, tzinfo=UTC)
    assert any("2 agent, workflow and tool spans skipped" in n for n in notes)
    # The bad span's object starts two lines above its spanId (after "{" and traceId).
    bad_span = line_with(name, '"eee19b7ec3c1b179"') - 2
    assert quarantined(name) == {bad_span: 'gen_ai.usage.input_tokens is "many": not a whole number >= 0'}
    total, _, _ = billed(name, book)
    assert total == cost(SONNET_46, a) + cost(GPT_54_MINI, b) + cost(HAIKU_45, c)


def _otlp(span_attrs: list[dict[str, object]], **resource_spans: object) -> str:
    import json

    span = {
        "traceId": "t",
        "spanId": "s",
        "startTimeUnixNano": "1786363200000000000",
        "attributes": span_attrs,
    }
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}], **resource_spans}]})


def test_otel_exports_of_the_wrong_shape_are_quarantined_not_a_crash(tmp_path: Path) -> None:
    """Each of these lines raised a Python exception out of the reader (a traceback from the CLI):
    an operation name sent as a list, a resource that is not an object, scopeSpans or spans that are
    not lists, an arrayValue that is not an object."""
    usage = [
        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-5.4-mini"}},
        {"key": "gen_ai.system", "value": {"stringValue": "openai"}},
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "100"}},
        {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "10"}},
    ]
    listed = {"key": "gen_ai.operation.name", "value": {"arrayValue": {"values": [{"stringValue": "chat"}]}}}
    lines = [
        _otlp([listed, *usage]),  # a list is no operation name: a model call, billed
        _otlp(usage, resource="svc"),
        '{"resourceSpans": [{"scopeSpans": 5}]}',
        '{"resourceSpans": [{"scopeSpans": [{"spans": {"spanId": "x"}}]}]}',
        '{"resourceSpans": {"scopeSpans": []}}',
        _otlp([{"key": "gen_ai.usage.input_tokens", "value": {"arrayValue": [1]}}]),  # no usage: skipped
    ]
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with Ledger.open([path], input_format="otel") as ledger:
        rows = ledger.to_arrow().to_pylist()
        reasons = {q["source_line"]: q["reason"] for q in ledger.quarantine().to_pylist()}
        notes = ledger.sources[0].notes
    assert [(r["input_tokens"], r["output_tokens"]) for r in rows] == [(100, 10)]
    assert reasons == {
        2: "resource is not an object (str)",
        3: "scopeSpans is not a list (int)",
        4: "spans is not a list (dict)",
        5: "resourceSpans is not a list (dict)",
    }
    assert any("1 spans without GenAI token usage skipped" in n for n in notes)


def test_litellm_prompt_tokens_include_the_cache(book: PriceBook) -> None:
    name = "litellm_spend_logs.jsonl"
    assert detect_format(FIXTURES / name) == "litellm-spend-logs"
    rows = by_id(read(name))
    a = buckets(
        input_tokens=98805 - 66360 - 32435,
        cache_read_tokens=66360,
        cache_write_other_tokens=32435,  # no TTL split in this log: unknown TTL
        output_tokens=5120,
        reasoning_tokens=1710,
    )
    b = buckets(
        input_tokens=22410 - 12000 - 9000,
        cache_read_tokens=12000,
        cache_write_5m_tokens=4000,
        cache_write_1h_tokens=5000,
        output_tokens=1200,
    )
    c = buckets(input_tokens=2000 - 1024, cache_read_tokens=1024, output_tokens=300)
    d = buckets(input_tokens=7000, output_tokens=1200)
    e = buckets(input_tokens=40000, output_tokens=8000)
    first = rows["chatcmpl-9b1f7a0c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"]
    assert counts_of(first) == a
    assert counts_of(rows["chatcmpl-2c4e6a8b-0d1f-4a3b-8c5d-9e7f1a2b3c4d"]) == b
    assert counts_of(rows["chatcmpl-C4ZrT8uVwX9yZ0"]) == c
    bedrock = rows["b0f2c7a1-5d3e-4c8b-9a6f-1e2d3c4b5a69"]
    assert (counts_of(bedrock), bedrock["provider"], bedrock["region"]) == (d, "bedrock", "us-east-1")
    assert (
        counts_of(rows["batch_6a9d1c0e2f_batch_cost"]),
        rows["batch_6a9d1c0e2f_batch_cost"]["service_tier"],
    ) == (
        e,
        "batch",
    )
    assert (first["tenant"], first["user"], first["feature"], first["session"]) == (
        "Search",
        "cust_42",
        "rag-answer",
        "sess_81",
    )
    assert (first["reported_cost_usd"], first["cost_source"]) == (Decimal("0.373215"), "tool_estimate")
    assert quarantined(name) == {
        4: "served from LiteLLM's own response cache (cache_hit True): no provider call, not billed",
        5: 'status "failure": the request failed, not billed',
    }
    total, _, _ = billed(name, book)
    assert total == (
        cost(SONNET_46, a)
        + cost(SONNET_46, b)
        + cost(GPT_54_MINI, c)
        + cost(BEDROCK_SONNET_45, d)
        + cost(GPT_54_MINI.scaled("0.5"), e)
    )


def test_langfuse_usage_details_are_exclusive_buckets(book: PriceBook) -> None:
    name = "langfuse_observations.json"
    assert detect_format(FIXTURES / name) == "langfuse"
    rows = by_id(read(name))
    a = buckets(
        input_tokens=412,
        cache_read_tokens=48210,
        cache_write_5m_tokens=2048,
        cache_write_1h_tokens=4102,
        output_tokens=1893,
    )
    # output_reasoning_tokens is its own bucket: output = 318 + 640.
    b = buckets(input_tokens=1576, cache_read_tokens=11264, output_tokens=318 + 640, reasoning_tokens=640)
    # The total (input + output) shows this integration's `input` included the cache (langfuse#10592).
    c = buckets(input_tokens=12840 - 11264, cache_read_tokens=11264, output_tokens=958)
    assert counts_of(rows["obs_8d1f"]) == a
    assert counts_of(rows["obs_8d20"]) == b
    assert counts_of(rows["obs_8d22"]) == c
    assert [rows[k]["provider"] for k in ("obs_8d1f", "obs_8d20", "obs_8d22")] == [
        "anthropic",
        "openai",
        "openai",
    ]
    assert [rows[k]["feature"] for k in ("obs_8d1f", "obs_8d20", "obs_8d22")] == [
        "ticket_summary",
        "routing",
        "router",
    ]
    assert rows["obs_8d1f"]["reported_cost_usd"] == Decimal("0.074386")
    q = quarantined(name)
    assert q[line_with(name, '"obs_8d23"') - 1] == "no usage (usageDetails) in this generation"
    assert q[line_with(name, '"obs_8d24"') - 1].startswith('no provider for model "my-finetune-v2"')
    total, _, _ = billed(name, book)
    assert total == cost(SONNET_46, a) + cost(GPT_54_MINI, b) + cost(GPT_54_MINI, c)


@pytest.mark.slow
def test_helicone_exports_and_nano_dollar_costs(book: PriceBook) -> None:
    name = "helicone_requests.json"
    assert detect_format(FIXTURES / name) == "helicone"
    rows = by_id(read(name))
    a = buckets(input_tokens=412, cache_read_tokens=48210, cache_write_other_tokens=6150, output_tokens=1893)
    # total_tokens = prompt + completion: this provider's prompt count included the cached tokens.
    b = buckets(input_tokens=12840 - 11264, cache_read_tokens=11264, output_tokens=958)
    first = rows["3f2c9a1e-7b4d-4e2a-9c1f-0a8b7c6d5e4f"]
    assert counts_of(first) == a
    assert counts_of(rows["a1b2c3d4-0000-4000-8000-00000000002b"]) == b
    assert (first["user"], first["feature"], first["tenant"], first["reported_cost_usd"]) == (
        "u_1234",
        "ticket_summary",
        "support",
        Decimal("0.07438575"),
    )
    q = quarantined(name)
    assert q[line_with(name, "00000000002c") - 1] == "response status 429: the request failed, not billed"
    assert q[line_with(name, "00000000002d") - 1].startswith("served from Helicone's response cache")
    total, _, _ = billed(name, book)
    assert total == cost(SONNET_46, a) + cost(GPT_54_MINI, b)

    ch = by_id(read("helicone_clickhouse.jsonl"))
    c = buckets(
        input_tokens=900,
        cache_read_tokens=30000,
        cache_write_5m_tokens=3000,  # the split comes from the provider's own usage in response_body
        cache_write_1h_tokens=5000,
        output_tokens=2200,
        reasoning_tokens=800,
    )
    row = ch["c7d8e9f0-1111-4aaa-8bbb-000000000001"]
    assert counts_of(row) == c
    assert row["reported_cost_usd"] == Decimal(95700000) / 10**9  # `cost` is USD x 1e9
    assert row["ts"] == dt.datetime(2026, 8, 10, 14, tzinfo=UTC)
    total, _, _ = billed("helicone_clickhouse.jsonl", book)
    assert total == cost(SONNET_46, c) + cost(GPT_5_NANO, buckets(input_tokens=5000, output_tokens=700))


def test_openrouter_carries_the_charged_cost(book: PriceBook) -> None:
    name = "openrouter_responses.jsonl"
    assert detect_format(FIXTURES / name) == "openrouter"
    rows = by_id(read(name))
    a = buckets(
        input_tokens=54772 - 48210 - 6150,
        cache_read_tokens=48210,
        cache_write_other_tokens=6150,
        output_tokens=1893,
        reasoning_tokens=1204,
    )
    b = buckets(input_tokens=2000, cache_read_tokens=1000, output_tokens=500, reasoning_tokens=256)
    c = buckets(input_tokens=4000, output_tokens=500, reasoning_tokens=100)
    first = rows["gen-1786356000-AbCdEfGhIjKlMnOp"]
    byok = rows["gen-1786356060-QrStUvWxYzAbCdEf"]
    generation = rows["gen-1786356120-GhIjKlMnOpQrStUv"]
    assert (counts_of(first), counts_of(byok), counts_of(generation)) == (a, b, c)
    assert (first["provider"], first["model"]) == ("openrouter", "anthropic/claude-sonnet-4.5")
    assert (first["reported_cost_usd"], first["cost_source"]) == (Decimal("0.06089925"), "provider_response")
    # Bring your own key: OpenRouter's fee plus the provider's own charge.
    assert byok["reported_cost_usd"] == Decimal("0.0000875") + Decimal("0.001525")
    assert byok["user"] == "u_9"
    total, _, _ = billed(name, book)
    assert total == cost(OR_SONNET_45, a) + cost(OR_GPT_5_MINI, b) + cost(OR_GEMINI_25_FLASH, c)
