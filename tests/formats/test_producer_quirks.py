"""Producers' quirks, each with a record in the shape the producer emits (source cited) and the cost
computed by hand from the published rate in force on the record's date."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from inferonomics.billing.engine import price
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger

D = Decimal


def _priced(path: Path, book: PriceBook) -> tuple[list[dict[str, Any]], list[str]]:
    with Ledger.open([path]) as ledger:
        rows = price(ledger, book).to_arrow().to_pylist()
        notes = [n for s in ledger.sources for n in s.notes]
    return rows, notes


def test_older_pydantic_ai_cache_details(tmp_path: Path, book: PriceBook) -> None:
    # The span of pydantic-ai's tests/models/test_instrumented.py (the model call of a gpt-4o agent),
    # as older releases emit it: cache counts only under gen_ai.usage.details.*, input inclusive.
    span = {
        "name": "chat gpt-4o",
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "b7ad6b7169203331",
        "startTimeUnixNano": "1748772000000000000",  # 2025-06-01 10:00 UTC
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.system", "value": {"stringValue": "openai"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.response.model", "value": {"stringValue": "gpt-4o-2024-11-20"}},
            {"key": "gen_ai.response.id", "value": {"stringValue": "response_id"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "100"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "200"}},
            {"key": "gen_ai.usage.details.reasoning_tokens", "value": {"intValue": "30"}},
            {"key": "gen_ai.usage.details.cache_write_tokens", "value": {"intValue": "10"}},
            {"key": "gen_ai.usage.details.cache_read_tokens", "value": {"intValue": "20"}},
        ],
    }
    path = tmp_path / "spans.json"
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}))
    rows, _ = _priced(path, book)
    [row] = rows
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_other_tokens"]) == (70, 20, 10)
    # gpt-4o-2024-11-20: $2.50 input (cache writes too), $1.25 cached, $10 output:
    # 70 x 2.5 + 20 x 1.25 + 10 x 2.5 + 200 x 10 = 2,225 per million = $0.002225, the operation.cost
    # pydantic-ai's test asserts for the same usage (without the details, cached input was billed $2.50).
    assert row["cost_usd"] == D("0.002225")


def test_langfuse_input_holding_the_cache_never_picks_the_long_context_tier(
    tmp_path: Path, book: PriceBook
) -> None:
    # A Langfuse v2 observation (GET /api/public/observations) from an integration that put the cache
    # read into `input` as well (langfuse#10592): total = input + output, not input + cache + output.
    obs = {
        "id": "obs-1",
        "traceId": "trace-1",
        "type": "GENERATION",
        "startTime": "2025-11-03T10:00:00.000Z",
        "providedModelName": "claude-sonnet-4-5-20250929",
        "usageDetails": {
            "input": 180_000,
            "cache_read_input_tokens": 150_000,
            "output": 1000,
            "total": 181_000,
        },
        "costDetails": {"total": 0.15},
    }
    path = tmp_path / "observations.json"
    path.write_text(
        json.dumps({"data": [obs], "meta": {"page": 1, "limit": 50, "totalItems": 1, "totalPages": 1}})
    )
    rows, notes = _priced(path, book)
    [row] = rows
    assert (row["input_tokens"], row["cache_read_tokens"]) == (30_000, 150_000)
    # 180,000 input in all: under Sonnet 4.5's 200k threshold. 30,000 x $3 + 150,000 x $0.30 + 1,000 x $15
    # = $0.15 (counted twice it would be 330,000 > 200k: every token at $6 / $0.60 / $22.50 = $1.1925).
    assert row["cost_usd"] == D("0.15")
    assert any("already held the cache tokens" in n for n in notes)


def test_bedrock_messages_are_billed_by_aws_bedrock(tmp_path: Path, book: PriceBook) -> None:
    # An InvokeModel response body of Claude on Bedrock (Anthropic Messages shape, id msg_bdrk_...):
    # https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
    body = {
        "id": "msg_bdrk_01Qx8Mv9kQ3XkPqJmCvLmN7R",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "..."}],
        "stop_reason": "end_turn",
        "usage": {
            "input_tokens": 1000,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 2000,
            "output_tokens": 500,
        },
    }
    path = tmp_path / "bedrock.jsonl"
    lines = [
        {"ts": "2025-11-03T10:00:00Z", "response": body},
        {
            "ts": "2025-11-03T10:00:01Z",
            "modelId": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "response": {**body, "id": "msg_bdrk_02"},
        },
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    rows, _ = _priced(path, book)
    by_id = {r["request_id"]: r for r in rows}
    regional, global_ = by_id["msg_bdrk_01Qx8Mv9kQ3XkPqJmCvLmN7R"], by_id["msg_bdrk_02"]
    assert regional["provider"] == global_["provider"] == "aws"
    # Bedrock's regional endpoints bill Sonnet 4.5 at 1.1x: $3.30 / $0.33 cached / $16.50:
    # 1,000 x 3.3 + 2,000 x 0.33 + 500 x 16.5 = 12,210 per million.
    assert regional["cost_usd"] == D("0.01221")
    # The global inference profile at the list price: 1,000 x 3 + 2,000 x 0.3 + 500 x 15 = 11,100.
    assert global_["cost_usd"] == D("0.0111")


def test_openrouter_charge_off_the_book_names_the_book(tmp_path: Path, book: PriceBook) -> None:
    # OpenRouter chat completions with usage accounting (https://openrouter.ai/docs/use-cases/usage-accounting):
    # `usage.cost` is what OpenRouter charged, the route's list price. Sonnet 4.5 on 2025-11-03 is
    # $3 / $15 in the book: 10,000 in + 1,000 out = 30,000 + 15,000 = $0.045 per request.
    def line(rid: str, day: str, cost: float) -> str:
        body = {
            "id": rid,
            "provider": "Anthropic",
            "model": "anthropic/claude-sonnet-4.5",
            "object": "chat.completion",
            "created": day,
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "..."}}
            ],
            "usage": {
                "prompt_tokens": 10_000,
                "completion_tokens": 1000,
                "total_tokens": 11_000,
                "cost": cost,
            },
        }
        return json.dumps({"ts": day, "response": body})

    path = tmp_path / "openrouter.jsonl"
    path.write_text(
        line("gen-1", "2025-11-03T10:00:00Z", 0.045)
        + "\n"
        + line("gen-2", "2025-11-04T10:00:00Z", 0.05)
        + "\n"
    )
    from inferonomics.billing.reconcile import reconcile

    with Ledger.open([path]) as ledger:
        rows = {str(r["day"]): r for r in reconcile(ledger, book).table.to_pylist()}
    assert rows["2025-11-03"]["cause"] == "matches"
    off = rows["2025-11-04"]
    assert off["residual_usd"] == D("0.005")  # charged 0.05 against the book's 0.045
    # No suspect (batch, TTL, double count) lands on $0.05: the book's entry is named as the culprit.
    assert off["cause"].startswith(
        "book: openrouter charged more than the book's price for this route, 1.111x"
    )
    assert "openrouter/anthropic/claude-sonnet-4.5" in off["cause"]
    assert "likely culprit" in off["cause"]


def test_azure_and_vertex_responses_are_billed_by_who_served_them(tmp_path: Path, book: PriceBook) -> None:
    # An Azure OpenAI chat completion: OpenAI's shape plus Azure's content-filter results
    # (https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference, "prompt_filter_results").
    azure = {
        "id": "chatcmpl-AzUre01",
        "object": "chat.completion",
        "created": 1748772000,  # 2025-06-01 10:00 UTC
        "model": "gpt-4o-2024-11-20",
        "prompt_filter_results": [
            {"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False}}}
        ],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "..."},
                "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}},
            }
        ],
        "usage": {
            "prompt_tokens": 1000,
            "completion_tokens": 300,
            "total_tokens": 1300,
            "prompt_tokens_details": {"cached_tokens": 200},
        },
    }
    # Claude on Vertex AI answers with ids msg_vrtx_... (https://docs.claude.com/en/api/claude-on-vertex-ai);
    # the envelope says which Vertex location served it.
    vertex = {
        "id": "msg_vrtx_01AbCdEf",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5@20250929",
        "content": [{"type": "text", "text": "..."}],
        "usage": {"input_tokens": 1000, "output_tokens": 500},
    }
    path = tmp_path / "responses.jsonl"
    lines = [
        azure,
        {"ts": "2025-11-03T10:00:00Z", "region": "us-east5", "response": vertex},
        {"ts": "2025-11-03T10:00:01Z", "response": {**vertex, "id": "msg_vrtx_02"}},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    rows, _ = _priced(path, book)
    by_id = {r["request_id"]: r for r in rows}
    az = by_id["chatcmpl-AzUre01"]
    assert az["provider"] == "azure"
    # Azure serves OpenAI's gpt-4o-2024-11-20 at its list price: 800 x 2.5 + 200 x 1.25 + 300 x 10.
    assert az["cost_usd"] == D("0.00525")
    regional, global_ = by_id["msg_vrtx_01AbCdEf"], by_id["msg_vrtx_02"]
    assert regional["provider"] == global_["provider"] == "google"
    # Vertex's regional endpoints bill Sonnet 4.5 at 1.1x: 1,000 x 3.3 + 500 x 16.5; the global
    # endpoint (no region) at list price: 1,000 x 3 + 500 x 15.
    assert regional["cost_usd"] == D("0.01155")
    assert global_["cost_usd"] == D("0.0105")


def test_cohere_is_billed_by_its_billed_units(tmp_path: Path, book: PriceBook) -> None:
    # A Cohere v2 Chat response (https://docs.cohere.com/reference/chat, "usage"): `tokens` include the
    # prompt template Cohere adds; `billed_units` is what it charges. The response names no model.
    body = {
        "id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": "..."}]},
        "usage": {
            "billed_units": {"input_tokens": 17, "output_tokens": 65},
            "tokens": {"input_tokens": 215, "output_tokens": 65},
        },
    }
    path = tmp_path / "cohere.jsonl"
    lines = [
        {"ts": "2025-11-03T10:00:00Z", "model": "command-a-03-2025", "response": body},
        {"ts": "2025-11-03T10:00:01Z", "response": {**body, "id": "no-model"}},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    with Ledger.open([path]) as ledger:
        rows = price(ledger, book).to_arrow().to_pylist()
        quarantined = ledger.quarantine().to_pylist()
    [row] = rows
    assert (row["provider"], row["input_tokens"], row["output_tokens"]) == ("cohere", 17, 65)
    # Command A at $2.50 / $10: 17 x 2.5 + 65 x 10 = 692.5 per million (the 215 template-inclusive
    # tokens would give 1,187.5).
    assert row["cost_usd"] == D("0.0006925")
    assert "a Cohere response names no model" in quarantined[0]["reason"]
