"""Gemini `GenerateContentResponse` objects → request rows (see `shared/reference/usage_formats.md`
§3 and `docs/formats.md`).

Gemini counts differently from both Anthropic and OpenAI: `promptTokenCount` includes the cached
tokens (`cachedContentTokenCount` is a subset), while `thoughtsTokenCount` and
`toolUsePromptTokenCount` are *not* inside the prompt or candidate counts (`totalTokenCount` =
prompt + candidates + tool-use prompt + thoughts). So:

* input (uncached) = promptTokenCount − cachedContentTokenCount + toolUsePromptTokenCount
* cache reads = cachedContentTokenCount (Gemini bills no per-request cache writes)
* output = candidatesTokenCount + thoughtsTokenCount, of which reasoning = thoughtsTokenCount

Modalities: `promptTokensDetails`, `cacheTokensDetails`, `toolUsePromptTokensDetails` and
`candidatesTokensDetails` list `{modality, tokenCount}`. Uncached audio input = prompt AUDIO −
cached AUDIO + tool-use AUDIO (likewise IMAGE, VIDEO); cached audio = cached AUDIO; audio output =
candidates AUDIO (likewise IMAGE, VIDEO). TEXT, and DOCUMENT (PDF pages, which Google bills as
input tokens at the text rate), stay in the text remainder; any other modality is refused.

A line is a response (REST camelCase or SDK snake_case), an envelope `{"ts": ..., "response":
{...}}`, or a batch output line (`{"key": ..., "response": {...}}`, Vertex `{"request": ...,
"response": ..., "status": ""}`), priced at the batch tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import count, first, instant
from inferonomics.ledger.readers.jsondoc import documents, items, line_of
from inferonomics.ledger.readers.responses import ENVELOPE_DIMENSIONS, ENVELOPE_TS_KEYS

TRAFFIC_TYPES = {
    "ON_DEMAND": "standard",
    "ON_DEMAND_PRIORITY": "priority",
    "ON_DEMAND_FLEX": "flex",
}


def _get(obj: Mapping[str, Any], camel: str, snake: str) -> Any:
    return first(obj.get(camel), obj.get(snake))


def _web_searches(response: Mapping[str, Any], model: str) -> int:
    """Grounding with Google Search: Gemini 3 models bill each search query, earlier models each
    grounded prompt."""
    candidates = response.get("candidates")
    if not isinstance(candidates, list):
        return 0
    queries = 0
    grounded = False
    for c in candidates:
        meta = _get(c, "groundingMetadata", "grounding_metadata") if isinstance(c, Mapping) else None
        found = _get(meta, "webSearchQueries", "web_search_queries") if isinstance(meta, Mapping) else None
        if isinstance(found, list) and found:
            grounded = True
            queries += len(found)
    if not grounded:
        return 0
    return queries if model.lower().startswith("gemini-3") else 1


MODALITIES = {"AUDIO": "audio", "IMAGE": "image", "VIDEO": "video"}
TEXT_MODALITIES = frozenset({"TEXT", "DOCUMENT", "MODALITY_UNSPECIFIED", ""})
"""Counted as text: TEXT, DOCUMENT (PDF pages, billed as input tokens at the text rate) and an
unspecified modality ("When a modality is not specified, it is treated as TEXT",
https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1beta1/ModalityTokenCount)."""


def _by_modality(usage: Mapping[str, Any], camel: str, snake: str, whole: int | None) -> dict[str, int]:
    """A `*TokensDetails` list as {audio|image|video: tokens}; checks its sum against `whole`."""
    details = _get(usage, camel, snake)
    if details is None:
        return {}
    if not isinstance(details, list):
        raise RecordError(f"{camel} is not a list", camel)
    out: dict[str, int] = {}
    total = 0
    for d in details:
        if not isinstance(d, Mapping):
            raise RecordError(f"{camel} holds {str(d)[:40]!r}, not a {{modality, tokenCount}} object", camel)
        modality = str(d.get("modality") or "").upper()
        tokens = count(_get(d, "tokenCount", "token_count"), f"{camel}.tokenCount")
        total += tokens
        if modality in MODALITIES:
            out[MODALITIES[modality]] = out.get(MODALITIES[modality], 0) + tokens
        elif modality not in TEXT_MODALITIES:
            raise RecordError(
                f"{camel} has modality {modality[:40]!r}: not TEXT, DOCUMENT, IMAGE, VIDEO or AUDIO "
                "(no rate can be told for it)",
                camel,
            )
    if whole is not None and total > whole:
        raise RecordError(f"{camel} add up to {total}: more than its count ({whole})", camel)
    return out


def _modality_parts(usage: Mapping[str, Any], prompt: int, cached: int, candidates: int, tool: int) -> Row:
    prompt_m = _by_modality(usage, "promptTokensDetails", "prompt_tokens_details", prompt)
    cache_m = _by_modality(usage, "cacheTokensDetails", "cache_tokens_details", cached)
    tool_m = _by_modality(usage, "toolUsePromptTokensDetails", "tool_use_prompt_tokens_details", tool)
    out_m = _by_modality(usage, "candidatesTokensDetails", "candidates_tokens_details", candidates)
    parts: Row = {}
    for m in MODALITIES.values():
        if cache_m.get(m, 0) > prompt_m.get(m, 0):
            raise RecordError(
                f"cacheTokensDetails {m.upper()} ({cache_m[m]}) exceeds promptTokensDetails "
                f"{m.upper()} ({prompt_m.get(m, 0)})",
                "cacheTokensDetails",
            )
        if cached and prompt_m.get(m) and _get(usage, "cacheTokensDetails", "cache_tokens_details") is None:
            raise RecordError(
                f"the prompt has {prompt_m[m]} {m.upper()} tokens and {cached} cached tokens, with no "
                "cacheTokensDetails to tell which were cached: cannot tell which rate applies",
                "cacheTokensDetails",
            )
        uncached = prompt_m.get(m, 0) - cache_m.get(m, 0) + tool_m.get(m, 0)
        for column, value in (
            (f"input_{m}_tokens", uncached),
            (f"cache_read_{m}_tokens", cache_m.get(m, 0)),
            (f"output_{m}_tokens", out_m.get(m, 0)),
        ):
            if value:
                parts[column] = value
    return parts


def gemini_row(response: Mapping[str, Any], envelope: Mapping[str, Any], batch: bool) -> Row:
    """The ledger row of one Gemini response: uncached input = prompt − cached + tool-use prompt, cache
    reads = cached, output = candidates + thoughts (reasoning = thoughts). `envelope` gives the time, model
    and dimensions the response lacks; `batch` puts it on the batch tier. Raises `RecordError` without
    usage or a time, for provisioned-throughput traffic, or when the cached count exceeds the prompt."""
    usage = _get(response, "usageMetadata", "usage_metadata")
    if not isinstance(usage, Mapping):
        raise RecordError("no usageMetadata in the response", "usageMetadata")
    prompt = count(_get(usage, "promptTokenCount", "prompt_token_count"), "promptTokenCount")
    cached = count(
        _get(usage, "cachedContentTokenCount", "cached_content_token_count"), "cachedContentTokenCount"
    )
    candidates = count(_get(usage, "candidatesTokenCount", "candidates_token_count"), "candidatesTokenCount")
    thoughts = count(_get(usage, "thoughtsTokenCount", "thoughts_token_count"), "thoughtsTokenCount")
    tool = count(
        _get(usage, "toolUsePromptTokenCount", "tool_use_prompt_token_count"), "toolUsePromptTokenCount"
    )
    if cached > prompt:
        raise RecordError(
            f"cachedContentTokenCount ({cached}) exceeds promptTokenCount ({prompt}) "
            "(Gemini counts cached tokens inside the prompt)",
            "cachedContentTokenCount",
        )
    model = first(_get(response, "modelVersion", "model_version"), envelope.get("model"))
    traffic = _get(usage, "trafficType", "traffic_type")
    tier: Any = envelope.get("service_tier")
    if traffic is not None:
        if str(traffic) == "PROVISIONED_THROUGHPUT":
            raise RecordError(
                "trafficType PROVISIONED_THROUGHPUT: billed as reserved capacity, not per token",
                "trafficType",
            )
        tier = TRAFFIC_TYPES.get(str(traffic), traffic)
    if batch:
        tier = "batch"
    ts = next((envelope[k] for k in ENVELOPE_TS_KEYS if envelope.get(k) is not None), None)
    ts = first(ts, _get(response, "createTime", "create_time"))
    if ts is None:
        raise RecordError(
            "no timestamp: a Gemini response carries none outside Vertex AI (createTime); "
            'wrap the line as {"ts": "2026-01-31T12:00:00Z", "response": {...}}',
            "ts",
        )
    row: Row = {
        "ts": instant(ts, "ts"),
        "request_id": first(_get(response, "responseId", "response_id"), envelope.get("key")),
        "provider": "google",
        "model": model,
        "service_tier": tier,
        "input_tokens": prompt - cached + tool,
        "cache_read_tokens": cached,
        "output_tokens": candidates + thoughts,
        "reasoning_tokens": thoughts,
        "web_search_requests": _web_searches(response, str(model or "")),
        **_modality_parts(usage, prompt, cached, candidates, tool),
    }
    for key in ENVELOPE_DIMENSIONS:
        if envelope.get(key) is not None:
            row[key] = envelope[key]
    return row


def _record(obj: Any) -> Row:
    if not isinstance(obj, Mapping):
        raise not_an_object(obj)
    if "key" in obj and ("response" in obj or "error" in obj):  # Gemini API batch output line
        if obj.get("error") or not isinstance(obj.get("response"), Mapping):
            raise RecordError(f"batch request {obj.get('key')} failed: not billed")
        return gemini_row(obj["response"], obj, batch=True)
    if "request" in obj and "response" in obj:  # Vertex AI batch prediction output line
        if obj.get("status") or not isinstance(obj.get("response"), Mapping):
            raise RecordError(f"batch request failed ({str(obj.get('status'))[:60]}): not billed")
        return gemini_row(obj["response"], obj, batch=True)
    if isinstance(obj.get("response"), Mapping):
        return gemini_row(obj["response"], obj, batch=False)
    return gemini_row(obj, {}, batch=False)


def is_gemini(obj: Any) -> bool:
    """Whether a record looks like a Gemini response (bare, enveloped or a batch line)."""
    if not isinstance(obj, Mapping):
        return False
    inner = obj.get("response") if isinstance(obj.get("response"), Mapping) else obj
    return isinstance(inner, Mapping) and ("usageMetadata" in inner or "usage_metadata" in inner)


def _batch_time(obj: Any) -> Any:
    """The end (else last update, else creation) time of a batch job object (`{"name": "batches/...",
    ...}`: the REST operation's `metadata.endTime`, or the Python SDK's `BatchJob` dumped in snake_case,
    `end_time`), whose output lines carry no time of their own; None for anything else."""
    if not isinstance(obj, Mapping) or not str(obj.get("name") or "").startswith("batches/"):
        return None
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        meta = obj
    return first(*(_get(meta, camel, snake) for camel, snake in _JOB_TIMES), "")


_JOB_TIMES = (("endTime", "end_time"), ("updateTime", "update_time"), ("createTime", "create_time"))


def read(ctx: Context) -> Rows:
    """Rows of a Gemini file (JSON lines or one document; `responses` lists included): one per response. A
    batch job object gives its time to the output lines after it and is counted in the notes; failed batch
    lines are quarantined."""
    return document_rows(documents(ctx.path, ctx.display, ctx.quarantine), ctx)


def document_rows(docs: Iterable[tuple[int, Any]], ctx: Context) -> Rows:
    """Rows of the numbered JSON values `docs`, in order (see `read`; the bulk reader passes the lines
    its SQL leaves, among them every batch job object and every line that could take its time)."""
    batch_ts: Any = None
    for doc_line, doc in docs:
        for line, obj in items(doc, doc_line, key="responses"):
            job_ts = _batch_time(obj)
            if job_ts is not None:
                batch_ts = job_ts or None
                ctx.notes["batch job objects read for their time (not usage)"] += 1
                continue
            if batch_ts is not None and isinstance(obj, Mapping) and "key" in obj and "ts" not in obj:
                obj = {**obj, "ts": batch_ts}
            yield guarded(line_of(obj, line), _record, obj)
