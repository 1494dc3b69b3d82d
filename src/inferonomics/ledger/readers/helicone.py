"""Helicone request logs → request rows, from the REST export (`HeliconeRequest`, a JSON array or
`{"data": [...]}`) or ClickHouse `request_response_rmt` rows (JSON lines). See
`shared/reference/usage_formats.md` §5.3 and `docs/formats.md`.

`prompt_tokens` is the uncached input (Helicone's cost code treats it as fresh input) with
`prompt_cache_read_tokens` and `prompt_cache_write_tokens` beside it; when `total_tokens` shows
the prompt included them (total = prompt + completion), they are taken out of it. The export
keeps only the aggregate cache-write count, so its TTL is unknown unless `response_body` holds the
provider's own usage (then the 5-minute / 1-hour split and the reasoning count come from there).
ClickHouse's `cost` is an integer of USD × 1e9 (`COST_PRECISION_MULTIPLIER`), read exactly;
`costUSD` is the REST export's float. Both are Helicone's estimate, carried for `reconcile`.
`cache_reference_id` marks Helicone's own response cache (not provider prompt caching): such a
request made no provider call and is not billed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import count, dig, first, money
from inferonomics.ledger.readers.jsondoc import documents, items, line_of

COST_PRECISION_MULTIPLIER = 1_000_000_000
NO_CACHE = ("", "00000000-0000-0000-0000-000000000000")
PROVIDERS = {
    "ANTHROPIC": "anthropic",
    "OPENAI": "openai",
    "AZURE": "azure",
    "GOOGLE": "google",
    "VERTEX": "google",
    "GEMINI": "google",
    "BEDROCK": "aws",
    "AWS": "aws",
    "OPENROUTER": "openrouter",
    "GROQ": "groq",
    "MISTRAL": "mistral",
    "DEEPSEEK": "deepseek",
    "X": "x-ai",
    "XAI": "x-ai",
    "TOGETHER": "together",
    "FIREWORKS": "fireworks",
}
KEYS = frozenset({"request_id", "request_created_at", "prompt_tokens", "completion_tokens"})


def _status(rec: Mapping[str, Any]) -> int | None:
    value = first(rec.get("response_status"), rec.get("status"))
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def request_row(rec: Mapping[str, Any]) -> Row:
    """The ledger row of one Helicone request (REST export or ClickHouse row): cache tokens taken out of
    `prompt_tokens` when `total_tokens` shows it held them, the cache-write TTL split and reasoning from
    the provider's usage in `response_body` when it is there, and Helicone's cost estimate as
    `reported_cost_usd`. Raises `RecordError` for a failed request (status not 2xx) or one served from
    Helicone's response cache."""
    status = _status(rec)
    if status is not None and not 200 <= status < 300:
        raise RecordError(f"response status {status}: the request failed, not billed", "response_status")
    cache_ref = rec.get("cache_reference_id")
    if cache_ref is not None and str(cache_ref) not in NO_CACHE:
        raise RecordError(
            "served from Helicone's response cache (cache_reference_id): no provider call, not billed",
            "cache_reference_id",
        )
    prompt = count(rec.get("prompt_tokens"), "prompt_tokens")
    read = count(rec.get("prompt_cache_read_tokens"), "prompt_cache_read_tokens")
    written = count(rec.get("prompt_cache_write_tokens"), "prompt_cache_write_tokens")
    completion = count(rec.get("completion_tokens"), "completion_tokens")
    total = rec.get("total_tokens")
    uncached = prompt
    if total is not None and (read or written):
        declared = count(total, "total_tokens")
        if declared == prompt + completion and prompt >= read + written:
            uncached = prompt - read - written  # this provider's prompt count included the cache
    body = rec.get("response_body")
    usage = body.get("usage") if isinstance(body, Mapping) else None
    usage = usage if isinstance(usage, Mapping) else {}
    split = usage.get("cache_creation")
    if isinstance(split, Mapping):
        w5 = count(split.get("ephemeral_5m_input_tokens"), "ephemeral_5m_input_tokens")
        w1 = count(split.get("ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens")
        w5, w1 = min(w5, written), min(w1, max(written - w5, 0))
    else:
        w5 = w1 = 0
    reasoning = count(
        first(
            dig(usage, "output_tokens_details", "thinking_tokens"),
            dig(usage, "completion_tokens_details", "reasoning_tokens"),
            dig(usage, "output_tokens_details", "reasoning_tokens"),
        ),
        "reasoning_tokens",
    )
    if rec.get("cost") is not None:
        amount = money(rec.get("cost"), "cost", divide_by=COST_PRECISION_MULTIPLIER)
    else:
        amount = money(first(rec.get("costUSD"), rec.get("cost_usd")), "costUSD")
    raw_provider = str(rec.get("provider") or "")
    properties = first(rec.get("properties"), rec.get("request_properties"))
    properties = properties if isinstance(properties, Mapping) else {}
    tier = first(usage.get("service_tier"), body.get("service_tier") if isinstance(body, Mapping) else None)
    return {
        "ts": first(rec.get("request_created_at"), rec.get("created_at")),
        "request_id": rec.get("request_id"),
        "provider": PROVIDERS.get(raw_provider.upper(), raw_provider.lower() or None),
        "model": first(rec.get("model"), rec.get("response_model"), rec.get("request_model")),
        "tenant": first(properties.get("Tenant"), properties.get("Team")),
        "user": first(rec.get("request_user_id"), rec.get("user_id")),
        "feature": properties.get("Feature"),
        "session": first(properties.get("Helicone-Session-Id"), properties.get("Session")),
        "service_tier": tier,
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_write_other_tokens": written - w5 - w1,
        "output_tokens": completion,
        "reasoning_tokens": min(reasoning, completion),
        "reported_cost_usd": amount,
        "cost_source": None if amount is None else "tool_estimate",
    }


def read(ctx: Context) -> Rows:
    """Rows of a Helicone export (a JSON array, `{"data": [...]}` pages or JSON lines), one per request
    record."""
    yield from document_rows(documents(ctx.path, ctx.display, ctx.quarantine))


def document_rows(docs: Iterable[tuple[int, Any]]) -> Rows:
    """Rows of JSON values (line, value): a request record, a list or `data` pages of them (the bulk
    reader gives the lines its SQL leaves)."""
    for doc_line, doc in docs:
        for line, rec in items(doc, doc_line):
            if not isinstance(rec, Mapping):
                yield line, not_an_object(rec)
                continue
            yield guarded(line_of(rec, line), request_row, rec)
