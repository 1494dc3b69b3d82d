"""Which format a file is, from its content: a CSV by its header, JSON by the shape of its first
record (or of the pages and buckets around it). A file that matches no format is read as a
canonical ledger; when it lacks the ledger's columns too, `near_misses` says which formats it
resembled and what it lacks for each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inferonomics.ledger.readers import (
    bedrock,
    claude_agent,
    claude_code_analytics,
    gemini,
    helicone,
    litellm,
    litellm_daily,
    openrouter,
)
from inferonomics.ledger.readers.anthropic_reports import COST_CSV_HEADER as ANTHROPIC_COST_CSV
from inferonomics.ledger.readers.anthropic_reports import USAGE_CSV_HEADER as ANTHROPIC_USAGE_CSV
from inferonomics.ledger.readers.jsondoc import first_value
from inferonomics.ledger.readers.openai_reports import ACTIVITY_CSV_HEADER, COSTS
from inferonomics.ledger.readers.openai_reports import COST_CSV_HEADER as OPENAI_COST_CSV
from inferonomics.ledger.readers.text import first_line, header_of, open_text

AZURE_HEADER = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")
CODEX_LINE_TYPES = ("session_meta", "turn_context", "event_msg", "response_item", "compacted")
CLAUDE_LINE_TYPES = (
    "user",
    "assistant",
    "system",
    "summary",
    "file-history-snapshot",
    "queue-operation",
    "progress",
)

SIGNATURES: dict[str, tuple[str, ...]] = {
    "ledger-csv / ledger-jsonl": ("ts", "provider", "model", "input_tokens", "output_tokens"),
    "responses": ("id", "model", "usage", "type", "object"),
    "anthropic-usage-report": (
        "starting_at",
        "ending_at",
        "results",
        "uncached_input_tokens",
        "output_tokens",
    ),
    "anthropic-cost-report": ("starting_at", "ending_at", "results", "amount", "currency", "description"),
    "anthropic-console-usage-csv": ANTHROPIC_USAGE_CSV,
    "anthropic-console-cost-csv": ANTHROPIC_COST_CSV,
    "openai-usage-api": ("start_time", "end_time", "results", "input_tokens", "num_model_requests"),
    "openai-costs-api": ("start_time", "end_time", "results", "amount", "line_item"),
    "openai-dashboard-usage-csv": ("start_time", *ACTIVITY_CSV_HEADER),
    "openai-dashboard-cost-csv": ("start_time", *OPENAI_COST_CSV),
    "gemini": ("responseId", "modelVersion", "usageMetadata"),
    "otel": ("resourceSpans", "scopeSpans", "spans", "attributes"),
    "litellm-spend-logs": (
        "request_id",
        "call_type",
        "spend",
        "startTime",
        "prompt_tokens",
        "completion_tokens",
    ),
    "langfuse": ("id", "traceId", "type", "startTime", "usageDetails", "providedModelName"),
    "helicone": ("request_id", "request_created_at", "provider", "prompt_tokens", "completion_tokens"),
    "openrouter": ("id", "model", "usage", "provider", "created"),
    "claude-agent-result": ("type", "subtype", "session_id", "num_turns", "total_cost_usd", "modelUsage"),
    "bedrock-invocation-log": ("schemaType", "timestamp", "requestId", "modelId", "input", "output"),
    "litellm-daily-activity": ("results", "date", "metrics", "breakdown", "models", "api_requests"),
    "claude-code-analytics": ("data", "actor", "date", "model_breakdown", "core_metrics", "estimated_cost"),
    "claude-code": ("parentUuid", "isSidechain", "userType", "sessionId", "uuid", "timestamp"),
    "codex": ("timestamp", "type", "payload", "originator", "cli_version"),
    "azure-trace": AZURE_HEADER,
    "mooncake-trace": ("timestamp", "input_length", "output_length", "hash_ids"),
}
"""The keys (or CSV columns) that make each format recognisable, for `near_misses`."""


def csv_header(path: Path) -> tuple[str, ...]:
    """The column names in a CSV file's first row (gzip or not), stripped of spaces and a byte-order mark;
    () when the file is empty or its first row is not CSV."""
    return tuple(header_of(path) or ())


def csv_format(header: tuple[str, ...]) -> str:
    """The format a CSV header names: the Azure trace, an Anthropic Console or OpenAI dashboard export,
    LiteLLM spend logs (checked in that order), else `ledger-csv`."""
    cols = set(header)
    if header == AZURE_HEADER:
        return "azure-trace"
    if set(ANTHROPIC_USAGE_CSV) <= cols:
        return "anthropic-console-usage-csv"
    if set(ANTHROPIC_COST_CSV) <= cols:
        return "anthropic-console-cost-csv"
    if set(OPENAI_COST_CSV) <= cols:
        return "openai-dashboard-cost-csv"
    if set(ACTIVITY_CSV_HEADER) <= cols and cols & {"start_time", "start_time_iso"}:
        return "openai-dashboard-usage-csv"
    if cols >= litellm.KEYS:
        return "litellm-spend-logs"
    return "ledger-csv"


def _bucket_format(bucket: Mapping[str, Any]) -> str | None:
    results = bucket.get("results")
    if not isinstance(results, list):
        return None
    sample = next((r for r in results if isinstance(r, Mapping)), None)
    if sample is not None:
        kind = str(sample.get("object") or "")
        if kind.startswith("organization.usage."):
            return "openai-usage-api"
        if kind == COSTS:
            return "openai-costs-api"
        if "amount" in sample and (
            "cost_type" in sample or "token_type" in sample or "description" in sample
        ):
            return "anthropic-cost-report"
        if "uncached_input_tokens" in sample or "cache_creation" in sample:
            return "anthropic-usage-report"
    if "starting_at" in bucket:  # empty buckets: the time keys still tell the API apart
        return "anthropic-usage-report"
    if bucket.get("object") == "bucket":
        return "openai-usage-api"
    return None


def record_format(obj: Any) -> str | None:
    """The format of one JSON record (or page, or list of them), or None."""
    if isinstance(obj, list):
        return next((f for f in (record_format(x) for x in obj[:5]) if f), None)
    if not isinstance(obj, Mapping):
        return None
    keys = obj.keys()
    if obj.get("type") in CODEX_LINE_TYPES and isinstance(obj.get("payload"), Mapping):
        return "codex"
    if obj.get("type") in CLAUDE_LINE_TYPES and keys & {"sessionId", "leafUuid", "parentUuid", "messageId"}:
        return "claude-code"
    if bedrock.is_invocation_log(obj):
        return "bedrock-invocation-log"
    if claude_code_analytics.is_record(obj):
        return "claude-code-analytics"
    if claude_agent.is_agent_result(obj) or claude_agent.is_agent_message(obj):
        return "claude-agent-result"  # before `responses`: a result has `usage` and a `result`
    if {"input_length", "output_length", "hash_ids"} <= keys:
        return "mooncake-trace"
    if "resourceSpans" in keys or "resource_spans" in keys:
        return "otel"
    if obj.get("type") == "message_batch" or obj.get("object") == "batch":  # a batch, then its results
        return "responses"
    if str(obj.get("name") or "").startswith("batches/"):  # a Gemini batch job, then its output
        return "gemini"
    if isinstance(obj.get("data"), list):  # a page of an API
        return record_format(obj["data"])
    if litellm_daily.is_daily_activity(obj):
        return "litellm-daily-activity"
    if "results" in keys:
        return _bucket_format(obj)
    if openrouter.is_openrouter(obj):
        return "openrouter"
    if gemini.is_gemini(obj):
        return "gemini"
    if keys >= litellm.KEYS:
        return "litellm-spend-logs"
    if keys >= helicone.KEYS:
        return "helicone"
    if ("traceId" in keys or "trace_id" in keys) and (
        keys & {"usageDetails", "usage_details", "providedModelName", "provided_model_name"}
    ):
        return "langfuse"
    if "spanId" in keys and "attributes" in keys:
        return "otel"
    response = obj.get("response")
    inner: Mapping[str, Any] = response if isinstance(response, Mapping) else obj
    body = inner.get("body")
    if isinstance(body, Mapping):  # OpenAI Batch output line
        inner = body
    if "usage" in inner or "result" in obj or inner.get("object") in ("chat.completion", "response"):
        return "responses"
    return None


_KEY = re.compile(r'"([A-Za-z_][\w.]*)"\s*:')


def _prefix_keys(path: Path, limit: int = 1 << 16) -> set[str]:
    with open_text(path) as f:
        return set(_KEY.findall(f.read(limit)))


def json_format(path: Path) -> str:
    """The format of a JSON or JSON-lines file, from its first record; a damaged document is guessed from
    the keys near its start (a format needs 60% of its signature keys). `ledger-jsonl` when nothing
    matches."""
    layout, value = first_value(path)
    if layout == "broken":
        # A damaged document: guess from the keys written near its start (the reader then
        # quarantines what cannot be parsed).
        keys = _prefix_keys(path)
        best = max(
            ((name, len(keys & set(sig)) / len(sig)) for name, sig in SIGNATURES.items() if "/" not in name),
            key=lambda t: t[1],
        )
        return best[0] if best[1] >= 0.6 else "ledger-jsonl"
    return record_format(value) or "ledger-jsonl"


def detect(path: Path) -> str:
    """The format name of a file (see `FORMATS`)."""
    with path.open("rb") as f:
        magic = f.read(4)
    if magic == b"PAR1":
        return "ledger-parquet"
    line = first_line(path)
    if not line:
        name = path.name.lower().removesuffix(".gz")
        return "ledger-csv" if name.endswith((".csv", ".tsv")) else "ledger-jsonl"
    if line.startswith(("{", "[")):
        return json_format(path)
    return csv_format(csv_header(path))


def keys_of(path: Path) -> set[str]:
    """The keys (or CSV columns) of a file's first record, for `near_misses`."""
    line = first_line(path)
    if not line.startswith(("{", "[")):
        return set(csv_header(path))
    layout, value = first_value(path)
    found: set[str] = set()

    def walk(v: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(v, Mapping):
            found.update(str(k) for k in v)
            for x in list(v.values())[:20]:
                walk(x, depth + 1)
        elif isinstance(v, list):
            for x in v[:3]:
                walk(x, depth + 1)

    if layout == "broken":
        return _prefix_keys(path)
    walk(value, 0)
    return found


def near_misses(keys: set[str], limit: int = 3) -> list[str]:
    """The formats whose characteristic keys a file partly has, best first, each with what it
    lacks: `litellm-spend-logs (has request_id, spend; lacks call_type, startTime)`."""
    scored = []
    for name, sig in SIGNATURES.items():
        have = [k for k in sig if k in keys]
        if not have:
            continue
        lacks = [k for k in sig if k not in keys]
        scored.append((len(have) / len(sig), name, have, lacks))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [
        f"{name} (has {', '.join(have)}; lacks {', '.join(lacks)})"
        for _, name, have, lacks in scored[:limit]
        if lacks
    ]
