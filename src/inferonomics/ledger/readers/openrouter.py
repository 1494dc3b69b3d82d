"""OpenRouter responses → request rows with the cost OpenRouter charged (see `docs/formats.md`;
OpenRouter's usage-accounting documentation).

OpenRouter answers in OpenAI's shape and counts as OpenAI does: `prompt_tokens` includes cache
reads (`prompt_tokens_details.cached_tokens`) and cache writes (`cache_write_tokens`, for models
that price them); `reasoning_tokens` is a part of `completion_tokens`. When the response carries
Anthropic's `cache_creation` split, writes are split by TTL. `usage.cost` is what OpenRouter
charged, in USD credits; for a bring-your-own-key request (`is_byok`) it is only OpenRouter's fee,
and the provider's own charge is `cost_details.upstream_inference_cost`: the reported cost is
their sum. The ledger's provider is `openrouter` (who bills); the model is OpenRouter's id
(`anthropic/claude-sonnet-4.5`).

A line is a response, an envelope `{"ts": ..., "response": {...}}`, or a generation record from
`GET /api/v1/generation` (`{"data": {...}}`, native token counts and `total_cost`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import count, dig, first, instant, money
from inferonomics.ledger.readers.jsondoc import documents, items, line_of
from inferonomics.ledger.readers.responses import ENVELOPE_DIMENSIONS, ENVELOPE_TS_KEYS


def is_openrouter(obj: Any) -> bool:
    """Whether a record is OpenRouter's: a generation record (`data` with `total_cost` and
    `tokens_prompt`), or a response (bare or enveloped) whose usage has `cost` and which has a `gen-` id,
    `is_byok` or a `provider`."""
    if not isinstance(obj, Mapping):
        return False
    inner = obj.get("response") if isinstance(obj.get("response"), Mapping) else obj
    data = obj.get("data")
    if isinstance(data, Mapping) and "total_cost" in data and "tokens_prompt" in data:
        return True
    if not isinstance(inner, Mapping):
        return False
    usage = inner.get("usage")
    return (
        isinstance(usage, Mapping)
        and "cost" in usage
        and (str(inner.get("id") or "").startswith("gen-") or "is_byok" in usage or "provider" in inner)
    )


def _charged(cost: Any, byok: Any, upstream: Any) -> str | None:
    """What the request cost: OpenRouter's charge, plus the provider's own for a BYOK request."""
    amount = money(cost, "usage.cost")
    if byok is True and upstream is not None:
        up = money(upstream, "cost_details.upstream_inference_cost") or "0"
        return format((Decimal(amount or "0") + Decimal(up)).normalize(), "f")
    return amount


def response_row(body: Mapping[str, Any], envelope: Mapping[str, Any]) -> Row:
    """The ledger row of one OpenRouter response: cache reads and writes taken out of `prompt_tokens`
    (writes split by TTL when Anthropic's `cache_creation` is there), provider `openrouter`, and what
    OpenRouter charged (plus the upstream charge of a BYOK request) as `reported_cost_usd`. `envelope`
    gives the time and dimensions; raises `RecordError` without usage or a time, or when the cache tokens
    exceed the prompt."""
    usage = body.get("usage")
    if not isinstance(usage, Mapping):
        raise RecordError("no usage object in the response", "usage")
    prompt = count(first(usage.get("prompt_tokens"), usage.get("input_tokens")), "prompt_tokens")
    details = first(usage.get("prompt_tokens_details"), usage.get("input_tokens_details")) or {}
    out_details = first(usage.get("completion_tokens_details"), usage.get("output_tokens_details")) or {}
    completion = count(first(usage.get("completion_tokens"), usage.get("output_tokens")), "completion_tokens")
    read = count(dig(details, "cached_tokens"), "cached_tokens")
    written = count(dig(details, "cache_write_tokens"), "cache_write_tokens")
    split = usage.get("cache_creation")
    if isinstance(split, Mapping):
        w5 = count(split.get("ephemeral_5m_input_tokens"), "ephemeral_5m_input_tokens")
        w1 = count(split.get("ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens")
        written = max(written, w5 + w1)
    else:
        w5 = w1 = 0
    if read + written > prompt:
        raise RecordError(
            f"cached_tokens ({read}) + cache_write_tokens ({written}) exceed prompt_tokens ({prompt}) "
            "(OpenRouter counts cache tokens inside the prompt)",
            "prompt_tokens_details",
        )
    reasoning = count(dig(out_details, "reasoning_tokens"), "reasoning_tokens")
    ts = next((envelope[k] for k in ENVELOPE_TS_KEYS if envelope.get(k) is not None), None)
    ts = first(ts, body.get("created"), body.get("created_at"))
    if ts is None:
        raise RecordError("no timestamp (created) in the response", "created")
    amount = _charged(
        usage.get("cost"), usage.get("is_byok"), dig(usage, "cost_details", "upstream_inference_cost")
    )
    row: Row = {
        "ts": instant(ts, "created"),
        "request_id": body.get("id"),
        "provider": "openrouter",
        "model": body.get("model"),
        "service_tier": usage.get("service_tier"),
        "input_tokens": prompt - read - written,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_write_other_tokens": written - w5 - w1,
        "output_tokens": completion,
        "reasoning_tokens": min(reasoning, completion),
        "web_search_requests": count(
            dig(usage, "server_tool_use", "web_search_requests"), "web_search_requests"
        ),
        "reported_cost_usd": amount,
        "cost_source": None if amount is None else "provider_response",
    }
    for key in ENVELOPE_DIMENSIONS:
        if key != "provider" and envelope.get(key) is not None:
            row[key] = envelope[key]
    return row


def generation_row(g: Mapping[str, Any]) -> Row:
    """A `GET /api/v1/generation` record: native token counts, the prompt including cached tokens."""
    prompt = count(first(g.get("native_tokens_prompt"), g.get("tokens_prompt")), "native_tokens_prompt")
    read = count(g.get("native_tokens_cached"), "native_tokens_cached")
    completion = count(
        first(g.get("native_tokens_completion"), g.get("tokens_completion")), "native_tokens_completion"
    )
    reasoning = count(g.get("native_tokens_reasoning"), "native_tokens_reasoning")
    if read > prompt:
        raise RecordError(
            f"native_tokens_cached ({read}) exceeds native_tokens_prompt ({prompt})", "native_tokens_cached"
        )
    amount = _charged(g.get("total_cost"), g.get("is_byok"), g.get("upstream_inference_cost"))
    return {
        "ts": g.get("created_at"),
        "request_id": g.get("id"),
        "provider": "openrouter",
        "model": g.get("model"),
        "input_tokens": prompt - read,
        "cache_read_tokens": read,
        "output_tokens": completion,
        "reasoning_tokens": min(reasoning, completion),
        "reported_cost_usd": amount,
        "cost_source": None if amount is None else "provider_response",
    }


def _record(obj: Any) -> Row:
    if not isinstance(obj, Mapping):
        raise not_an_object(obj)
    if isinstance(obj.get("data"), Mapping):
        return generation_row(obj["data"])
    if isinstance(obj.get("response"), Mapping):
        return response_row(obj["response"], obj)
    return response_row(obj, {})


def read(ctx: Context) -> Rows:
    """Rows of an OpenRouter file (JSON lines or one document; `responses` lists included): one per
    response or generation record."""
    yield from document_rows(documents(ctx.path, ctx.display, ctx.quarantine))


def document_rows(docs: Iterable[tuple[int, Any]]) -> Rows:
    """Rows of JSON values (line, value): a response, an envelope, a generation record, or a list or
    `responses` page of them (the bulk reader gives the lines its SQL leaves)."""
    for doc_line, doc in docs:
        for line, obj in items(doc, doc_line, key="responses"):
            yield guarded(line_of(obj, line), _record, obj)
