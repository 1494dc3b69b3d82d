"""LiteLLM spend logs as JSON lines in bulk (see `bulk.py`), counted exactly as `litellm.spend_row`
counts: uncached input = prompt_tokens − cache reads − cache writes (older LiteLLM: the prompt taken
whole, and noted), the TTL split of writes, the batch tier, the region from the API base URL,
`spend` as exact decimal text. Left to the Python reader: failed requests and response-cache hits,
`metadata` or `request_tags` saved as JSON text, pages (`data`), amounts and counts written as text
or as non-integral numbers, API base URLs the SQL does not parse as `urlsplit` does, usage with
audio or image tokens."""

from __future__ import annotations

from inferonomics.ledger.readers import litellm
from inferonomics.ledger.readers.bulk import BulkFormat, sql_text
from inferonomics.ledger.readers.bulk_sql import (
    absent,
    amount,
    blank,
    count,
    first_text,
    first_value,
    is_amount,
    is_int,
    is_text,
    text,
)

_USAGE = "$.metadata.usage_object"
FIELDS = {
    "request_id": "$.request_id",
    "call_type": "$.call_type",
    "spend": "$.spend",
    "prompt": "$.prompt_tokens",
    "completion": "$.completion_tokens",
    "start": "$.startTime",
    "model": "$.model",
    "llm_provider": "$.custom_llm_provider",
    "api_base": "$.api_base",
    "user_": "$.user",
    "end_user": "$.end_user",
    "team_id": "$.team_id",
    "cache_hit": "$.cache_hit",
    "tags": "$.request_tags",
    "session_id": "$.session_id",
    "status": "$.status",
    "metadata": "$.metadata",
    "data": "$.data",
    "read1": f"{_USAGE}.cache_read_input_tokens",
    "read2": f"{_USAGE}.prompt_tokens_details.cached_tokens",
    "read3": "$.metadata.additional_usage_values.cache_read_input_tokens",
    "write1": f"{_USAGE}.cache_creation_input_tokens",
    "write2": f"{_USAGE}.prompt_tokens_details.cache_creation_tokens",
    "write3": "$.metadata.additional_usage_values.cache_creation_input_tokens",
    "split1": f"{_USAGE}.prompt_tokens_details.cache_creation_token_details",
    "split2": f"{_USAGE}.cache_creation",
    "w5_1": f"{_USAGE}.prompt_tokens_details.cache_creation_token_details.ephemeral_5m_input_tokens",
    "w1_1": f"{_USAGE}.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens",
    "w5_2": f"{_USAGE}.cache_creation.ephemeral_5m_input_tokens",
    "w1_2": f"{_USAGE}.cache_creation.ephemeral_1h_input_tokens",
    "reasoning": f"{_USAGE}.completion_tokens_details.reasoning_tokens",
    "searches": f"{_USAGE}.server_tool_use.web_search_requests",
    "u_tier": f"{_USAGE}.service_tier",
    "team_alias": "$.metadata.user_api_key_team_alias",
    "key_user": "$.metadata.user_api_key_user_id",
    "meta_feature": "$.metadata.spend_logs_metadata.feature",
    "key_alias": "$.metadata.user_api_key_alias",
    "m_audio": f"{_USAGE}.prompt_tokens_details.audio_tokens",
    "m_image": f"{_USAGE}.prompt_tokens_details.image_tokens",
    "m_cached_audio": f"{_USAGE}.prompt_tokens_details.cached_tokens_details.audio_tokens",
    "m_cached_image": f"{_USAGE}.prompt_tokens_details.cached_tokens_details.image_tokens",
    "m_out_audio": f"{_USAGE}.completion_tokens_details.audio_tokens",
    "m_out_image": f"{_USAGE}.completion_tokens_details.image_tokens",
}
_MODALITIES = ("m_audio", "m_image", "m_cached_audio", "m_cached_image", "m_out_audio", "m_out_image")
"""Audio and image parts (`responses.openai_modalities`): lines where any is not zero or absent go to
Python (text-only usage carries them as 0)."""


def _count_ok(x: str) -> str:
    return f"({blank(x)} OR {is_int(x)})"


_HOST_RE = r"^[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]*)(?:[:/?#]|$)"
_REGION_RE = litellm._REGION.pattern.replace("'", "''")
# Values used more than once, computed once a line (layers of `BulkFormat.derived`).
DERIVED = (
    {
        "d_read": first_value("read1", "read2", "read3"),
        "d_write": first_value("write1", "write2", "write3"),
        "d_split": first_value("split1", "split2"),
        "d_w5": f"CASE WHEN NOT {blank('split1')} THEN w5_1 ELSE w5_2 END",
        "d_w1": f"CASE WHEN NOT {blank('split1')} THEN w1_1 ELSE w1_2 END",
        "d_model": f"coalesce({text('model')}, '')",
        "d_api_base": text("api_base"),
        "d_request_id": text("request_id"),
    },
    {
        "d_has_split": "coalesce(starts_with(d_split, '{'), false)",
        "n_prompt": count("prompt"),
        "n_read": count("d_read"),
        "n_write": count("d_write"),
        "n_completion": count("completion"),
        # The region's pattern needs `bedrock` or `aiplatform` in the host (lower case), a part of the
        # URL: the host is parsed only where the URL has either in any case (ILIKE, no regex).
        "d_region": f"CASE WHEN d_api_base ILIKE '%bedrock%' OR d_api_base ILIKE '%aiplatform%' THEN "
        f"regexp_extract(lower(regexp_extract(d_api_base, '{_HOST_RE}', 1)), '{_REGION_RE}', ['a', 'b']) END",
    },
    {
        "n_w5": f"CASE WHEN d_has_split THEN {count('d_w5')} ELSE 0 END",
        "n_w1": f"CASE WHEN d_has_split THEN {count('d_w1')} ELSE 0 END",
    },
    {
        "n_written": "CASE WHEN d_has_split THEN greatest(n_write, n_w5 + n_w1) ELSE n_write END",
    },
    {"n_uncached": "n_prompt - n_read - n_written"},
)
_READ, _WRITE, _W5, _W1, _HAS_SPLIT = "d_read", "d_write", "d_w5", "d_w1", "d_has_split"
_W5N, _W1N, _WRITTEN, _UNCACHED, _MODEL = "n_w5", "n_w1", "n_written", "n_uncached", "d_model"
_BATCH = (
    f"(coalesce({text('call_type')}, '') IN ({', '.join(sql_text(c) for c in sorted(litellm.BATCH_CALLS))})"
    " OR suffix(coalesce(d_request_id, ''), '_batch_cost'))"
)
_SPEND = "spend"
_FEATURE_TAG = (
    # (a list whose first tag is the feature's, with no escapes: its text runs to the next quote)
    "CASE WHEN starts_with(tags, '[\"feature:') AND NOT contains(tags, '\\') "
    "THEN substr(split_part(tags, '\"', 2), 9) "
    "WHEN starts_with(tags, '[') AND contains(tags, 'feature:') THEN "
    "list_filter(json_extract_string(tags, '$[*]'), lambda t: starts_with(t, 'feature:'))[1][9:] END"
)

SIMPLE = " AND ".join(
    [
        "(metadata IS NULL OR starts_with(metadata, '{') OR metadata = 'null')",
        "(data IS NULL OR NOT starts_with(data, '['))",
        f"({blank('status')} OR status = '\"success\"')",
        # (CASE: the usual values decided without the text's lower case, which OR would compute)
        "CASE WHEN cache_hit IN ('\"False\"', '\"false\"', 'false') THEN true "
        f"ELSE ({absent('cache_hit')} OR (starts_with(cache_hit, '\"') "
        f"AND lower({text('cache_hit')}) <> 'true')) END",
        f"({blank('prompt')} OR {is_int('prompt')})",
        f"({blank('completion')} OR {is_int('completion')})",
        _count_ok(_READ),
        _count_ok(_WRITE),
        f"(NOT {_HAS_SPLIT} OR ({_count_ok(_W5)} AND {_count_ok(_W1)}))",
        f"({absent('reasoning')} OR {is_int('reasoning')})",
        f"({absent('searches')} OR {is_int('searches')})",
        *(f"({absent(m)} OR {m} = '0')" for m in _MODALITIES),
        *(
            is_text(x)
            for x in (
                "request_id",
                "call_type",
                "start",
                "model",
                "llm_provider",
                "api_base",
                "user_",
                "end_user",
                "team_id",
                "session_id",
                "u_tier",
                "team_alias",
                "key_user",
                "meta_feature",
                "key_alias",
            )
        ),
        "(tags IS NULL OR NOT starts_with(tags, '\"'))",
        is_amount(_SPEND),
        "(coalesce(d_api_base, '') = '' OR regexp_full_match(d_api_base, "
        "'[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9.-]+([:/?#][\\x21-\\x7e]*)?'))",
    ]
)

COLUMNS = {
    "ts": text("start"),
    "request_id": "d_request_id",
    "provider": f"coalesce(nullif({text('llm_provider')}, ''), "
    f"CASE WHEN contains({_MODEL}, '/') THEN nullif(split_part({_MODEL}, '/', 1), '') END)",
    "model": f"nullif({_MODEL}, '')",
    "tenant": first_text("team_alias", "team_id"),
    "user": first_text("end_user", "user_", "key_user"),
    "feature": f"coalesce({_FEATURE_TAG}, {first_text('meta_feature', 'key_alias')})",
    "session": text("session_id"),
    "service_tier": f"CASE WHEN {_BATCH} THEN 'batch' ELSE {text('u_tier')} END",
    "region": "coalesce(nullif(d_region.a, ''), nullif(d_region.b, ''))",
    "input_tokens": f"CASE WHEN {_UNCACHED} < 0 THEN n_prompt ELSE {_UNCACHED} END",
    "cache_read_tokens": "n_read",
    "cache_write_5m_tokens": _W5N,
    "cache_write_1h_tokens": _W1N,
    "cache_write_other_tokens": f"{_WRITTEN} - {_W5N} - {_W1N}",
    "output_tokens": "n_completion",
    "reasoning_tokens": f"least({count('reasoning')}, n_completion)",
    "web_search_requests": count("searches"),
    "reported_cost_usd": amount(_SPEND),
    "cost_source": f"CASE WHEN {absent(_SPEND)} THEN NULL ELSE 'tool_estimate' END",
}

NOTE_OLD = "rows whose prompt_tokens exclude cache tokens (older LiteLLM): read as uncached input"

FORMAT = BulkFormat(
    fields=FIELDS,
    words=(),
    simple=SIMPLE,
    columns=COLUMNS,
    key="d_request_id",
    notes={NOTE_OLD: f"{_UNCACHED} < 0"},
    derived=DERIVED,
)
