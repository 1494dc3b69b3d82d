"""The `responses` format in bulk (see `bulk.py`): bare OpenAI Chat Completions (`chat.completion`)
and Responses API (`response`) objects, one a line, counted exactly as `responses.openai_chat` /
`openai_response` count them. Everything else on a line goes to the Python reader: Anthropic
messages, envelopes and batch result lines (their time may come from an earlier batch object),
Azure's content-filter results, web-search calls, Cohere, values of other types, cache tokens that
exceed the prompt."""

from __future__ import annotations

from inferonomics.ledger.readers.bulk import BulkFormat
from inferonomics.ledger.readers.bulk_sql import (
    absent,
    count,
    count_or_zero,
    is_int,
    is_text,
    text,
)

FIELDS = {
    "id": "$.id",
    "object": "$.object",
    "type": "$.type",
    "response": "$.response",
    "result": "$.result",
    "output": "$.output",
    "u_cache_read": "$.usage.cache_read_input_tokens",
    "c_prompt": "$.usage.prompt_tokens",
    "c_cached": "$.usage.prompt_tokens_details.cached_tokens",
    "c_written": "$.usage.prompt_tokens_details.cache_write_tokens",
    "c_out": "$.usage.completion_tokens",
    "c_reasoning": "$.usage.completion_tokens_details.reasoning_tokens",
    "r_prompt": "$.usage.input_tokens",
    "r_cached": "$.usage.input_tokens_details.cached_tokens",
    "r_written": "$.usage.input_tokens_details.cache_write_tokens",
    "r_out": "$.usage.output_tokens",
    "r_reasoning": "$.usage.output_tokens_details.reasoning_tokens",
    "c_audio": "$.usage.prompt_tokens_details.audio_tokens",
    "c_image": "$.usage.prompt_tokens_details.image_tokens",
    "c_cached_audio": "$.usage.prompt_tokens_details.cached_tokens_details.audio_tokens",
    "c_cached_image": "$.usage.prompt_tokens_details.cached_tokens_details.image_tokens",
    "c_out_audio": "$.usage.completion_tokens_details.audio_tokens",
    "c_out_image": "$.usage.completion_tokens_details.image_tokens",
    "r_audio": "$.usage.input_tokens_details.audio_tokens",
    "r_image": "$.usage.input_tokens_details.image_tokens",
    "r_cached_audio": "$.usage.input_tokens_details.cached_tokens_details.audio_tokens",
    "r_cached_image": "$.usage.input_tokens_details.cached_tokens_details.image_tokens",
    "r_out_audio": "$.usage.output_tokens_details.audio_tokens",
    "r_out_image": "$.usage.output_tokens_details.image_tokens",
    "created": "$.created",
    "created_at": "$.created_at",
    "model": "$.model",
    "tier": "$.service_tier",
    "m_tenant": "$.metadata.tenant",
    "m_user": "$.metadata.user",
    "m_feature": "$.metadata.feature",
    "m_session": "$.metadata.session",
    "m_user_id": "$.metadata.user_id",
}

_CHAT = "object = '\"chat.completion\"'"
_RESPONSE = "object = '\"response\"'"


def _pick(chat: str, response: str) -> str:
    return f"CASE WHEN {_CHAT} THEN {chat} ELSE {response} END"


_MODALITIES = ("audio", "image", "cached_audio", "cached_image", "out_audio", "out_image")
"""Audio and image parts (`responses.openai_modalities`): lines where any is not zero or absent go to
Python (text-only responses carry them as 0)."""
_COUNTS = ("prompt", "cached", "written", "out", "reasoning")
DERIVED = (
    # the values of the object's kind (chat.completion or response), as JSON text
    {
        **{f"p_{k}": _pick(f"c_{k}", f"r_{k}") for k in (*_COUNTS, *_MODALITIES)},
        "p_created": "CASE WHEN created IS NULL OR created = 'null' THEN created_at ELSE created END",
    },
    # ... and as numbers (0 when absent; only used where the text is a count)
    {**{f"n_{k}": count(f"p_{k}") for k in _COUNTS}, "n_created": "TRY_CAST(p_created AS BIGINT)"},
)
TS_END_EPOCH = 7_258_118_400
"""2200-01-01T00:00:00Z, validation's `TS_END`: later instants are left to Python (whose time text
validation quarantines), so that every time made here is one validation takes as it is."""

SIMPLE = " AND ".join(
    [
        f"({_CHAT} OR {_RESPONSE})",
        absent("type"),
        absent("response"),
        # (an Anthropic batch result; Anthropic usage, even null; web searches in a Responses output)
        "(result IS NULL OR NOT starts_with(result, '{'))",
        "u_cache_read IS NULL",
        "(output IS NULL OR NOT contains(output, 'web_search_call'))",
        count_or_zero("p_prompt"),
        count_or_zero("p_cached"),
        count_or_zero("p_written"),
        is_int("p_out"),  # (also: usage is an object)
        count_or_zero("p_reasoning"),
        "n_cached + n_written <= n_prompt",
        *(f"({absent('p_' + m)} OR p_{m} = '0')" for m in _MODALITIES),
        is_int("p_created"),
        f"n_created < {TS_END_EPOCH}",
        *(
            is_text(x)
            for x in ("id", "model", "tier", "m_tenant", "m_user", "m_feature", "m_session", "m_user_id")
        ),
    ]
)

COLUMNS = {
    "provider": "'openai'",
    "model": text("model"),
    "request_id": text("id"),
    "ts": "make_timestamp(n_created * 1000000)",
    "input_tokens": "n_prompt - n_cached - n_written",
    "cache_read_tokens": "n_cached",
    "cache_write_other_tokens": "n_written",
    "output_tokens": "n_out",
    "reasoning_tokens": "n_reasoning",
    "service_tier": text("tier"),
    "tenant": text("m_tenant"),
    "user": f"CASE WHEN {absent('m_user')} THEN {text('m_user_id')} ELSE {text('m_user')} END",
    "feature": text("m_feature"),
    "session": text("m_session"),
}

FORMAT = BulkFormat(
    fields=FIELDS,
    # Keys whose mere presence, even null (which DuckDB's JSON reader does not tell from absent),
    # changes the reading: Azure's content-filter results, Anthropic's usage.
    words=("filter_results", "cache_read_input_tokens"),
    simple=SIMPLE,
    columns=COLUMNS,
    key=text("id"),
    derived=DERIVED,
    types={"ts": "TIMESTAMP"},
)
