"""OpenRouter responses as JSON lines in bulk (see `bulk.py`), counted exactly as
`openrouter.response_row` counts: cache reads and writes taken out of `prompt_tokens` (writes split by
TTL when Anthropic's `cache_creation` is there), reasoning capped at the completion, provider
`openrouter`, and what OpenRouter charged (`usage.cost`) as the reported cost. A file is read by the
shape of its first line (`spec_for`): bare responses, or envelopes (`{"ts": ..., "response": {...}}`).
Left to the Python reader: generation records (`{"data": {...}}`), bring-your-own-key requests with
an upstream cost (two amounts added), counts or amounts written as text or in exponent form, times
other than epoch seconds or plain ISO 8601, details that are not objects, pages of responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inferonomics.ledger.readers.bulk import BulkFormat
from inferonomics.ledger.readers.bulk_sql import (
    absent,
    amount,
    blank,
    count,
    first_value,
    in_range,
    is_amount,
    is_int,
    is_object,
    is_text,
    text,
    time,
)
from inferonomics.ledger.readers.responses import ENVELOPE_DIMENSIONS, ENVELOPE_TS_KEYS

_DIMENSIONS = tuple(d for d in ENVELOPE_DIMENSIONS if d != "provider")
"""An envelope's dimensions (its `provider` is not the ledger's: OpenRouter bills)."""
_BODY = {
    "id": "$.id",
    "model": "$.model",
    "created": "$.created",
    "created_at": "$.created_at",
    "data": "$.data",
    "prompt": "$.usage.prompt_tokens",
    "input": "$.usage.input_tokens",
    "completion": "$.usage.completion_tokens",
    "output": "$.usage.output_tokens",
    "p_details": "$.usage.prompt_tokens_details",
    "i_details": "$.usage.input_tokens_details",
    "p_cached": "$.usage.prompt_tokens_details.cached_tokens",
    "i_cached": "$.usage.input_tokens_details.cached_tokens",
    "p_written": "$.usage.prompt_tokens_details.cache_write_tokens",
    "i_written": "$.usage.input_tokens_details.cache_write_tokens",
    "c_details": "$.usage.completion_tokens_details",
    "o_details": "$.usage.output_tokens_details",
    "c_reasoning": "$.usage.completion_tokens_details.reasoning_tokens",
    "o_reasoning": "$.usage.output_tokens_details.reasoning_tokens",
    "split": "$.usage.cache_creation",
    "w5": "$.usage.cache_creation.ephemeral_5m_input_tokens",
    "w1": "$.usage.cache_creation.ephemeral_1h_input_tokens",
    "searches": "$.usage.server_tool_use.web_search_requests",
    "tier": "$.usage.service_tier",
    "cost": "$.usage.cost",
    "byok": "$.usage.is_byok",
    "upstream": "$.usage.cost_details.upstream_inference_cost",
}


def _count_ok(x: str) -> str:
    """A count `fields.count` reads as the SQL does: absent, null or "" (0), or a plain integer."""
    return f"({blank(x)} OR {is_int(x)})"


def _details_ok(x: str) -> str:
    """Absent, null or an object (`first(...) or {}` of anything else is read by Python)."""
    return f"({absent(x)} OR {is_object(x)})"


def _spec(envelope: bool) -> BulkFormat:
    prefix = "$.response" if envelope else "$"
    fields = {k: prefix + v[1:] for k, v in _BODY.items()}
    if envelope:
        fields |= {f"e_{k}": f"$.{k}" for k in (*ENVELOPE_TS_KEYS, *_DIMENSIONS)}
        fields["e_data"] = "$.data"
    else:
        fields["response"] = "$.response"
    # (the envelope's first time that is not null, then the body's, skipping blanks: `first`)
    envelope_ts = "coalesce(" + ", ".join(f"nullif(e_{k}, 'null')" for k in ENVELOPE_TS_KEYS) + ")"
    derived = [
        {
            "d_prompt": first_value("prompt", "input"),
            "d_completion": first_value("completion", "output"),
            # (the first details that are not absent or null: both are objects or absent, see tests)
            "d_cached": "CASE WHEN p_details IS NOT NULL AND p_details <> 'null' "
            "THEN p_cached ELSE i_cached END",
            "d_written": "CASE WHEN p_details IS NOT NULL AND p_details <> 'null' "
            "THEN p_written ELSE i_written END",
            "d_reasoning": "CASE WHEN c_details IS NOT NULL AND c_details <> 'null' "
            "THEN c_reasoning ELSE o_reasoning END",
            "has_split": f"coalesce({is_object('split')}, false)",
            "e": envelope_ts if envelope else "NULL",
        },
        {
            "n_prompt": count("d_prompt"),
            "n_completion": count("d_completion"),
            "n_read": count("d_cached"),
            "n_w5": f"CASE WHEN has_split THEN {count('w5')} ELSE 0 END",
            "n_w1": f"CASE WHEN has_split THEN {count('w1')} ELSE 0 END",
            "d_ts": first_value("e", "created", "created_at"),
        },
        {
            "t": time("d_ts"),
            "n_written": f"CASE WHEN has_split THEN greatest({count('d_written')}, n_w5 + n_w1) "
            f"ELSE {count('d_written')} END",
        },
    ]
    tests = [
        # (a generation record; a bare line with a response object is an envelope)
        f"(data IS NULL OR NOT {is_object('data')})",
        *(
            [f"(e_data IS NULL OR NOT {is_object('e_data')})"]
            if envelope
            else [f"(response IS NULL OR NOT {is_object('response')})"]
        ),
    ]
    tests += [
        # usage is an object: one of its counts is a number (else Python says what is missing)
        f"({is_int('d_prompt')} OR {is_int('d_completion')})",
        _count_ok("d_prompt"),
        _count_ok("d_completion"),
        *(_details_ok(x) for x in ("p_details", "i_details", "c_details", "o_details")),
        _count_ok("d_cached"),
        _count_ok("d_written"),
        _count_ok("d_reasoning"),
        f"({absent('split')} OR {is_object('split')})",
        f"(NOT has_split OR ({_count_ok('w5')} AND {_count_ok('w1')}))",
        _count_ok("searches"),
        "n_read + n_written <= n_prompt",
        f"t IS NOT NULL AND {in_range('t')}",
        is_amount("cost"),
        f"NOT (byok = 'true' AND NOT {absent('upstream')})",
        *(is_text(x) for x in ("id", "model", "tier")),
        *(is_text(f"e_{k}") for k in (_DIMENSIONS if envelope else ())),
    ]
    columns = {
        "ts": "t",
        "request_id": text("id"),
        "provider": "'openrouter'",
        "model": text("model"),
        "service_tier": text("tier"),
        "input_tokens": "n_prompt - n_read - n_written",
        "cache_read_tokens": "n_read",
        "cache_write_5m_tokens": "n_w5",
        "cache_write_1h_tokens": "n_w1",
        "cache_write_other_tokens": "n_written - n_w5 - n_w1",
        "output_tokens": "n_completion",
        "reasoning_tokens": f"least({count('d_reasoning')}, n_completion)",
        "web_search_requests": count("searches"),
        "reported_cost_usd": amount("cost"),
        "cost_source": f"CASE WHEN {absent('cost')} THEN NULL ELSE 'provider_response' END",
        **({k: text(f"e_{k}") for k in _DIMENSIONS} if envelope else {}),
    }
    return BulkFormat(
        fields=fields,
        words=(),
        simple=" AND ".join(f"({t})" for t in tests),
        columns=columns,
        key=text("id"),
        derived=derived,
        types={"ts": "TIMESTAMP"},
    )


BARE = _spec(envelope=False)
ENVELOPE = _spec(envelope=True)


def spec_for(first: Mapping[str, Any]) -> BulkFormat | None:
    """The shape of a file by its first record: envelopes, bare responses, or None for generation
    records (read by Python)."""
    if isinstance(first.get("data"), dict):
        return None
    return ENVELOPE if isinstance(first.get("response"), dict) else BARE
