"""Formats added for issue 10: each record in the shape its producer documents (source cited), the
expected cost by hand from the published rate in force on the record's date."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from inferonomics.billing.engine import price
from inferonomics.billing.reconcile import reconcile
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers.detect import detect

D = Decimal

# The stream-json output of an Agent SDK query (https://docs.claude.com/en/api/agent-sdk/typescript,
# SDKResultMessage; the same object as `claude -p --output-format json`), with a time added to the
# result line: the SDK's messages carry none.
AGENT_LINES = [
    {"type": "system", "subtype": "init", "session_id": "5f1c", "model": "claude-sonnet-4-5-20250929"},
    {"type": "assistant", "session_id": "5f1c", "message": {"role": "assistant", "content": []}},
    {
        "ts": "2025-11-03T10:00:00Z",
        "type": "result",
        "subtype": "success",
        "uuid": "9a2e7c1b",
        "session_id": "5f1c",
        "duration_ms": 41234,
        "duration_api_ms": 38000,
        "is_error": False,
        "num_turns": 6,
        "result": "Done.",
        "total_cost_usd": 0.0846,
        "usage": {
            "input_tokens": 2100,
            "cache_creation_input_tokens": 8000,
            "cache_read_input_tokens": 45000,
            "output_tokens": 2520,
        },
        "modelUsage": {
            "claude-sonnet-4-5-20250929": {
                "inputTokens": 1200,
                "outputTokens": 2400,
                "cacheReadInputTokens": 45000,
                "cacheCreationInputTokens": 8000,
                "webSearchRequests": 0,
                "costUSD": 0.0831,
                "contextWindow": 200000,
            },
            "claude-haiku-4-5-20251001": {
                "inputTokens": 900,
                "outputTokens": 120,
                "cacheReadInputTokens": 0,
                "cacheCreationInputTokens": 0,
                "webSearchRequests": 0,
                "costUSD": 0.0015,
                "contextWindow": 200000,
            },
        },
        "permission_denials": [],
    },
]


def test_claude_agent_sdk_result_messages(tmp_path: Path, book: PriceBook) -> None:
    path = tmp_path / "agent.jsonl"
    no_time = {k: v for k, v in AGENT_LINES[2].items() if k != "ts"} | {"uuid": "other"}
    path.write_text("\n".join(json.dumps(x) for x in [*AGENT_LINES, no_time]) + "\n")
    assert detect(path) == "claude-agent-result"
    with Ledger.open([path]) as ledger:
        rows = {r["model"]: r for r in price(ledger, book).to_arrow().to_pylist()}
        quarantined = ledger.quarantine().to_pylist()
        notes = [n for s in ledger.sources for n in s.notes]
        result = reconcile(ledger, book)
    sonnet, haiku = rows["claude-sonnet-4-5-20250929"], rows["claude-haiku-4-5-20251001"]
    assert (sonnet["provider"], sonnet["requests"], sonnet["session"]) == ("anthropic", 6, "5f1c")
    # Sonnet 4.5 on 2025-11-03: $3 input, $0.30 cache read, $3.75 cache write (5-minute rate for an
    # unknown TTL), $15 output: 1,200 x 3 + 45,000 x 0.3 + 8,000 x 3.75 + 2,400 x 15 = 83,100 per million.
    assert sonnet["cost_usd"] == D("0.0831")
    # Haiku 4.5: $1 / $5: 900 + 600 = 1,500 per million.
    assert haiku["cost_usd"] == D("0.0015")
    assert len(quarantined) == 1
    assert "a result message carries no time" in quarantined[0]["reason"]
    assert any("not results skipped" in n for n in notes)
    # The SDK's own costUSD per model is what we price: reconcile finds nothing to explain.
    assert {r["cause"] for r in result.table.to_pylist()} == {"matches"}


# Bedrock model-invocation log records as CloudWatch / S3 deliver them (one JSON record per call;
# https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html): Anthropic's
# counts (input excludes the cache), the model as an inference-profile ARN or a bare model id.
def _invocation(rid: str, model_id: str, **counts: int) -> dict[str, object]:
    return {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": "2025-11-03T10:00:00Z",
        "accountId": "123456789012",
        "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/app/jane"},
        "region": "us-east-1",
        "requestId": rid,
        "operation": "InvokeModel",
        "modelId": model_id,
        "input": {
            "inputContentType": "application/json",
            "inputTokenCount": counts["inp"],
            "cacheReadInputTokenCount": counts.get("read", 0),
            "cacheWriteInputTokenCount": counts.get("write", 0),
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": {
                "id": "msg_bdrk_01",
                "type": "message",
                "usage": {"cache_creation": {"ephemeral_5m_input_tokens": counts.get("write", 0)}},
            },
            "outputTokenCount": counts["out"],
        },
    }


def test_bedrock_invocation_logs(tmp_path: Path, book: PriceBook) -> None:
    path = tmp_path / "invocations.jsonl"
    records = [
        _invocation(
            "a1",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            inp=3,
            read=1000,
            write=25037,
            out=13,
        ),
        _invocation("b2", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", inp=1000, out=100),
        {"schemaType": "SomethingElse"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert detect(path) == "bedrock-invocation-log"
    with Ledger.open([path]) as ledger:
        rows = {r["request_id"]: r for r in price(ledger, book).to_arrow().to_pylist()}
        notes = [n for s in ledger.sources for n in s.notes]
    a, b = rows["a1"], rows["b2"]
    assert (a["provider"], a["model"], a["user"]) == (
        "aws",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:sts::123456789012:assumed-role/app/jane",
    )
    assert (a["input_tokens"], a["cache_read_tokens"], a["cache_write_5m_tokens"]) == (3, 1000, 25037)
    # A US inference profile bills Sonnet 4.5 at Bedrock's regional price, 1.1x list: $3.30 input,
    # $0.33 cache read, $4.125 5-minute write, $16.50 output:
    # 3 x 3.3 + 1,000 x 0.33 + 25,037 x 4.125 + 13 x 16.5 = 9.9 + 330 + 103,277.625 + 214.5 per million.
    assert a["cost_usd"] == D("0.103832025")
    # The global profile at list price: 1,000 x 3 + 100 x 15 = 4,500 per million.
    assert b["cost_usd"] == D("0.0045")
    assert any("not model invocation logs skipped" in n for n in notes)


def _metrics(
    spend: float, prompt: int, completion: int, requests: int, read: int = 0, write: int = 0
) -> dict[str, float | int]:
    return {
        "spend": spend,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "api_requests": requests,
        "successful_requests": requests,
        "failed_requests": 0,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write,
    }


def test_litellm_daily_activity(tmp_path: Path, book: PriceBook) -> None:
    # A page of LiteLLM's GET /user/daily/activity (the proxy's SpendAnalyticsPaginatedResponse, as in
    # its UI tests): metrics per model and day; prompt_tokens includes the cache tokens.
    page = {
        "results": [
            {
                "date": "2025-11-03",
                "metrics": _metrics(2.0475, 3_200_000, 150_000, 500, 1_500_000, 100_000),
                "breakdown": {
                    "models": {
                        "claude-sonnet-4-5-20250929": {
                            "metrics": _metrics(1.725, 1_200_000, 50_000, 100, 1_000_000, 100_000),
                            "metadata": {},
                            "api_key_breakdown": {},
                        },
                        "gpt-4o-mini": {
                            "metrics": _metrics(0.3225, 2_000_000, 100_000, 400, 500_000),
                            "metadata": {},
                            "api_key_breakdown": {},
                        },
                        "my-finetune": {"metrics": _metrics(0.1, 1000, 100, 1), "metadata": {}},
                    },
                    "providers": {"anthropic": {"metrics": {}}, "openai": {"metrics": {}}},
                    "api_keys": {},
                },
            }
        ],
        "metadata": {"total_spend": 2.1475, "page": 1, "total_pages": 1, "has_more": False},
    }
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(page))
    assert detect(path) == "litellm-daily-activity"
    with Ledger.open([path]) as ledger:
        rows = {r["model"]: r for r in price(ledger, book).to_arrow().to_pylist()}
        quarantined = ledger.quarantine().to_pylist()
        result = reconcile(ledger, book)
    sonnet, mini = rows["claude-sonnet-4-5-20250929"], rows["gpt-4o-mini"]
    assert (sonnet["provider"], sonnet["requests"], sonnet["input_tokens"]) == ("anthropic", 100, 100_000)
    # 100 requests of 12,000 input on average: under 200k. 100,000 x $3 + 1,000,000 x $0.30 +
    # 100,000 x $3.75 (writes of unknown TTL at the 5-minute rate) + 50,000 x $15 = $1.725.
    assert sonnet["cost_usd"] == D("1.725")
    # gpt-4o-mini: 1,500,000 x $0.15 + 500,000 x $0.075 + 100,000 x $0.60 = $0.3225.
    assert mini["cost_usd"] == D("0.3225")
    # No provider for a custom name on a day with two providers: quarantined, never guessed.
    assert len(quarantined) == 1
    assert 'no provider for model "my-finetune"' in quarantined[0]["reason"]
    assert {r["cause"] for r in result.table.to_pylist()} == {"matches"}


# The documented example response of the Claude Code Analytics API
# (https://platform.claude.com/docs/en/api/admin-api/claude-code/get-claude-code-usage-report), the
# actor's address replaced by a placeholder, and one API-key actor on a subscription added.
CLAUDE_CODE_PAGE = {
    "data": [
        {
            "actor": {"email_address": "dev@example.com", "type": "user_actor"},
            "core_metrics": {
                "commits_by_claude_code": 8,
                "lines_of_code": {"added": 342, "removed": 128},
                "num_sessions": 15,
                "pull_requests_by_claude_code": 2,
            },
            "customer_type": "api",
            "date": "2025-08-08T00:00:00Z",
            "model_breakdown": [
                {
                    "estimated_cost": {"amount": 186, "currency": "USD"},
                    "model": "claude-sonnet-4-20250514",
                    "tokens": {"cache_creation": 2340, "cache_read": 8790, "input": 45230, "output": 12450},
                },
                {
                    "estimated_cost": {"amount": 42, "currency": "USD"},
                    "model": "claude-3-5-haiku-20241022",
                    "tokens": {"cache_creation": 890, "cache_read": 3420, "input": 23100, "output": 5680},
                },
            ],
            "organization_id": "12345678-1234-5678-1234-567812345678",
            "terminal_type": "iTerm.app",
            "tool_actions": {"edit_tool": {"accepted": 25, "rejected": 3}},
            "subscription_type": "enterprise",
        },
        {
            "actor": {"api_key_name": "ci-bot", "type": "api_actor"},
            "core_metrics": {"num_sessions": 1},
            "customer_type": "subscription",
            "date": "2025-08-08",
            "model_breakdown": [
                {
                    "estimated_cost": {"amount": 1.5, "currency": "USD"},
                    "model": "claude-sonnet-4-20250514",
                    "tokens": {"cache_creation": 0, "cache_read": 0, "input": 1000, "output": 800},
                },
                {"model": "claude-sonnet-4-20250514", "tokens": {"input": -5}},
            ],
        },
    ],
    "has_more": True,
    "next_page": "page_MjAyNS0wNS0xNFQwMDowMDowMFo=",
}


def test_claude_code_analytics(tmp_path: Path, book: PriceBook) -> None:
    path = tmp_path / "claude_code.json"
    path.write_text(json.dumps(CLAUDE_CODE_PAGE))
    assert detect(path) == "claude-code-analytics"
    with Ledger.open([path]) as ledger:
        rows = {(r["user"], r["model"]): r for r in price(ledger, book).to_arrow().to_pylist()}
        quarantined = ledger.quarantine().to_pylist()
        result = reconcile(ledger, book)
    sonnet = rows["dev@example.com", "claude-sonnet-4-20250514"]
    haiku = rows["dev@example.com", "claude-3-5-haiku-20241022"]
    bot = rows["ci-bot", "claude-sonnet-4-20250514"]
    assert (sonnet["provider"], sonnet["tenant"], sonnet["feature"]) == (
        "anthropic",
        "12345678-1234-5678-1234-567812345678",
        "claude-code",
    )
    # Claude Sonnet 4 on 2025-08-08 (before its 2025-08-12 long-context tier): $3 input, $0.30 cache
    # read, $3.75 cache write (5-minute rate for an unknown TTL), $15 output
    # (https://www.anthropic.com/news/claude-4): 45,230 x 3 + 8,790 x 0.30 + 2,340 x 3.75 + 12,450 x 15.
    assert sonnet["cost_usd"] == D("0.333852")
    # Claude 3.5 Haiku after its 2024-12 cut: $0.80, $0.08 read, $1 write, $4 output:
    # 23,100 x 0.8 + 3,420 x 0.08 + 890 x 1 + 5,680 x 4.
    assert haiku["cost_usd"] == D("0.0423636")
    assert bot["cost_usd"] == D("0.015")  # 1,000 x 3 + 800 x 15
    assert (sonnet["reported_cost_usd"], haiku["reported_cost_usd"], bot["reported_cost_usd"]) == (
        D("1.86"),
        D("0.42"),
        D("0.015"),
    )
    # A negative count is quarantined with its field named, never billed.
    assert len(quarantined) == 1
    assert "tokens.input" in quarantined[0]["reason"]
    # reconcile compares each model's day with the report's estimated cost (cents / 100): the
    # documented example's illustrative amounts are far from the published rates, and say so.
    by_model = {r["model"]: r for r in result.table.to_pylist()}  # named by the book's entry
    haiku_day, sonnet_day = by_model["claude-3-5-haiku-latest"], by_model["claude-sonnet-4-0"]
    assert (haiku_day["reported_usd"], haiku_day["priced_usd"]) == (D("0.42"), D("0.0423636"))
    assert (sonnet_day["reported_usd"], sonnet_day["priced_usd"]) == (D("1.875"), D("0.348852"))
    assert sonnet_day["cause"].startswith("unexplained: the source charged more than the price book")
