"""The `gemini` format in bulk (see `bulk.py`): Gemini `GenerateContentResponse` objects, bare or in an
envelope `{"ts": ..., "response": {...}}`, as the REST API writes them (`usageMetadata`, camelCase) or
as the Python SDK dumps them (`usage_metadata`, snake_case), one a line, counted exactly as
`gemini.gemini_row` counts them: uncached input = promptTokenCount − cachedContentTokenCount +
toolUsePromptTokenCount, cache reads = cachedContentTokenCount, output = candidatesTokenCount +
thoughtsTokenCount (reasoning = thoughts), the tier from `trafficType`.

Decided in SQL: lines whose counts are plain integers, whose `*TokensDetails` lists are absent,
empty or one TEXT entry (as the API writes them for text), whose time is plain ISO 8601 text or
whole epoch seconds, in [1970, 2200) (made a timestamp here as validation reads it: validation does
not parse it again), and whose names are strings. Left to the Python reader: modality lists with
anything else (audio, image, video, DOCUMENT, several entries), grounding with Google Search
(`webSearchQueries`), provisioned-throughput traffic, batch output lines and batch job objects (a
job object gives its time to the lines after it: every line that could take it, one with a `key`,
goes to Python with the job objects, in order, so the Python reader's state is the same as when it
reads the whole file), `responses` lists, values of other types, cached counts over the prompt."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from inferonomics.ledger.readers import gemini
from inferonomics.ledger.readers.base import Context, Rows
from inferonomics.ledger.readers.bulk import BulkFormat, sql_text
from inferonomics.ledger.readers.bulk_sql import (
    absent,
    blank,
    count,
    count_or_zero,
    first_value,
    in_range,
    is_text,
    text,
    time,
)
from inferonomics.ledger.readers.jsondoc import line_documents
from inferonomics.ledger.readers.responses import ENVELOPE_DIMENSIONS, ENVELOPE_TS_KEYS

_RESPONSE_KEYS = {  # name → (camelCase, snake_case): `gemini._get` takes the first not blank
    "mv": ("modelVersion", "model_version"),
    "id": ("responseId", "response_id"),
    "ct": ("createTime", "create_time"),
}
_USAGE_KEYS = {
    "prompt": ("promptTokenCount", "prompt_token_count"),
    "cached": ("cachedContentTokenCount", "cached_content_token_count"),
    "cand": ("candidatesTokenCount", "candidates_token_count"),
    "thoughts": ("thoughtsTokenCount", "thoughts_token_count"),
    "tool": ("toolUsePromptTokenCount", "tool_use_prompt_token_count"),
    "traffic": ("trafficType", "traffic_type"),
    "d_prompt": ("promptTokensDetails", "prompt_tokens_details"),
    "d_cached": ("cacheTokensDetails", "cache_tokens_details"),
    "d_tool": ("toolUsePromptTokensDetails", "tool_use_prompt_tokens_details"),
    "d_cand": ("candidatesTokensDetails", "candidates_tokens_details"),
}
_COUNTS = ("prompt", "cached", "cand", "thoughts", "tool")
_DETAILS = {"d_prompt": "prompt", "d_cached": "cached", "d_tool": "tool", "d_cand": "cand"}
"""Each modality list and the count its entries may not exceed."""


def _fields(envelope: bool, snake: bool) -> dict[str, str]:
    root = "$.response." if envelope else "$."
    usage = f"{root}usage_metadata" if snake else f"{root}usageMetadata"
    out = {"response": "$.response", "responses": "$.responses", "name": "$.name"}
    if envelope:
        out |= {"env_model": "$.model", "env_tier": "$.service_tier"}
        out |= {f"env_{k}": f"$.{k}" for k in (*ENVELOPE_TS_KEYS, *ENVELOPE_DIMENSIONS)}
    out["usage"] = usage
    if snake:
        out["usage_camel"] = f"{root}usageMetadata"  # (read first when it is not blank)
    for name, (camel, snake_name) in _RESPONSE_KEYS.items():
        out[f"p_{name}"], out[f"p_{name}2"] = f"{root}{camel}", f"{root}{snake_name}"
    for name, (camel, snake_name) in _USAGE_KEYS.items():
        out[f"p_{name}"], out[f"p_{name}2"] = f"{usage}.{camel}", f"{usage}.{snake_name}"
    return out


_ENV_TS = "CASE " + "".join(f"WHEN NOT {absent('env_' + k)} THEN env_{k} " for k in ENVELOPE_TS_KEYS) + "END"
"""The envelope's first time that is not None (even ""), as `gemini_row` takes it."""


def _derived(envelope: bool) -> tuple[dict[str, str], ...]:
    # (a time of "" is a value the response's own time replaces)
    ts = "CASE WHEN w_ts IS NOT NULL AND w_ts <> '\"\"' THEN w_ts ELSE v_ct END" if envelope else "v_ct"
    return (
        {
            **{f"v_{k}": first_value(f"p_{k}", f"p_{k}2") for k in (*_RESPONSE_KEYS, *_USAGE_KEYS)},
            **({"w_ts": _ENV_TS} if envelope else {}),
        },
        {**{f"n_{k}": count(f"v_{k}") for k in _COUNTS}, "v_ts": ts, "t_traffic": text("v_traffic")},
        {"t": time("v_ts")},  # (NULL for other text: Python reads the line)
    )


_ONE_TEXT = '^\\[\\{"modality":"TEXT","(?:tokenCount|token_count)":([0-9]{1,12})\\}\\]$'
"""A modality list of one TEXT entry, as DuckDB writes JSON back (no spaces, keys in order), its count
in camelCase (REST) or snake_case (the SDK's)."""


def _details_ok(details: str, whole: str) -> str:
    """The list is absent, empty, or one TEXT entry of at most its count (else Python: other
    modalities, or a sum the reader checks and refuses)."""
    v = f"v_{details}"
    # (no match: '' from the extraction, NULL as a number)
    tokens = f"TRY_CAST(regexp_extract({v}, '{_ONE_TEXT}', 1) AS BIGINT)"
    return f"({v} IS NULL OR {v} = '[]' OR coalesce({tokens} <= n_{whole}, false))"


_ENV_TEXTS = ("model", "tier", *ENVELOPE_DIMENSIONS)
"""The envelope's values a row takes as they are: strings (or absent) in the lines decided here."""


def _simple(envelope: bool, snake: bool) -> str:
    tests = [
        # an envelope's response is an object; a bare response has none (the line is the response)
        "starts_with(response, '{')" if envelope else "(response IS NULL OR NOT starts_with(response, '{'))",
        "(responses IS NULL OR NOT starts_with(responses, '['))",  # (a list of responses on one line)
        absent("name"),  # (a batch job object, whose name starts with "batches/")
        # the usage object: usageMetadata, else (the SDK's) usage_metadata
        *([blank("usage_camel")] if snake else []),
        "starts_with(usage, '{')",
        *(count_or_zero(f"v_{k}") for k in _COUNTS),
        "n_cached <= n_prompt",
        *(_details_ok(d, whole) for d, whole in _DETAILS.items()),
        is_text("v_traffic"),
        "coalesce(t_traffic, '') <> 'PROVISIONED_THROUGHPUT'",
        is_text("v_mv"),
        is_text("v_id"),
        # a time validation takes as it is: in [1970, 2200)
        in_range("t"),
    ]
    if envelope:
        tests += [is_text(f"env_{k}") for k in _ENV_TEXTS]
    return " AND ".join(tests)


_TRAFFIC = (
    "CASE t_traffic "
    + "".join(f"WHEN {sql_text(k)} THEN {sql_text(v)} " for k, v in gemini.TRAFFIC_TYPES.items())
    + "ELSE t_traffic END"
)


def _columns(envelope: bool) -> dict[str, str]:
    out = {
        "ts": "t",
        "request_id": text("v_id"),
        "provider": "'google'",
        "model": text("v_mv"),
        "service_tier": f"CASE WHEN v_traffic IS NOT NULL THEN {_TRAFFIC} END",
        "input_tokens": "n_prompt - n_cached + n_tool",
        "cache_read_tokens": "n_cached",
        "output_tokens": "n_cand + n_thoughts",
        "reasoning_tokens": "n_thoughts",
    }
    if envelope:
        out |= {
            "provider": f"coalesce({text('env_provider')}, 'google')",
            "model": f"coalesce({text('v_mv')}, nullif({text('env_model')}, ''))",
            "service_tier": f"CASE WHEN v_traffic IS NOT NULL THEN {_TRAFFIC} ELSE {text('env_tier')} END",
            **{k: text(f"env_{k}") for k in ENVELOPE_DIMENSIONS if k != "provider"},
        }
    return out


def _format(envelope: bool, snake: bool) -> BulkFormat:
    return BulkFormat(
        fields=_fields(envelope, snake),
        # Keys whose mere presence, even null (which DuckDB's JSON reader does not tell from absent
        # at the top), changes the reading: batch output lines (`key`, Vertex's `request`); and
        # grounding with Google Search (`webSearchQueries`, `web_search_queries`). (Each a search
        # over the file's text, cheaper when it starts with a rare byte: not a quote.)
        words=('key"', 'request"', "Queries", "_queries"),
        simple=_simple(envelope, snake),
        columns=_columns(envelope),
        key=text("v_id"),
        derived=_derived(envelope),
        types={"ts": "TIMESTAMP"},
    )


FORMATS = {
    (envelope, snake): _format(envelope, snake) for envelope in (False, True) for snake in (False, True)
}
"""(envelope, snake_case) → the reading of a file of that shape: bare responses or envelopes `{"ts":
..., "response": {...}}`, whose usage is `usageMetadata` (REST) or `usage_metadata` (the Python
SDK's objects dumped). A file's other lines go to Python."""


def format_of(first: Any) -> BulkFormat | None:
    """The reading for a file whose first line is `first` (its JSON value), of its shape (a file
    keeps to one); None for anything else (a batch file, a list: Python reads it)."""
    if not isinstance(first, dict) or "key" in first or "request" in first or "name" in first:
        return None
    envelope = isinstance(first.get("response"), dict)
    response = first["response"] if envelope else first
    if isinstance(response.get("usageMetadata"), dict):
        return FORMATS[envelope, False]
    if response.get("usageMetadata") in (None, "") and isinstance(response.get("usage_metadata"), dict):
        return FORMATS[envelope, True]
    return None


def fallback(lines: Iterable[tuple[int, str]], ctx: Context) -> Rows:
    """The Python reader over the numbered lines the SQL leaves (see the module's docstring)."""
    return gemini.document_rows(line_documents(lines, ctx.display, ctx.quarantine), ctx)
