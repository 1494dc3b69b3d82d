"""Raw provider API responses (JSON lines) → ledger rows, counted as each provider counts.

Anthropic's `input_tokens` excludes cache reads and writes (they are added on top); OpenAI's
`prompt_tokens` / `input_tokens` include cached tokens and cache writes (they are subsets). Getting
this wrong double-counts cache tokens, the most reported cost bug in the ecosystem, so each
mapping is written out here once (see `shared/reference/usage_formats.md` §1.1, §2.1-2.3).

A line is a response object, or an envelope `{"ts": ..., "response": {...}, "user": ...}` that adds
what the response lacks (Anthropic messages carry no timestamp), or a batch result line
(OpenAI Batch output, Anthropic Message Batches results), priced at the batch tier. An Anthropic
message whose id starts `msg_bdrk_` was served by AWS Bedrock and is priced at Bedrock's prices
(the bare model name at the regional endpoint's; an envelope `modelId` naming a `global.` inference
profile at the global one). One whose id starts `msg_vrtx_` was served by Vertex AI (provider
`google`). An OpenAI chat.completion with Azure's content-filter results (`prompt_filter_results`,
`content_filter_results`) was served by Azure OpenAI (provider `azure`). A Cohere Chat response is
billed by its `billed_units` (in an envelope that names the model: the response does not).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.fields import instant
from inferonomics.ledger.staging import QuarantineRecord

BATCH_OBJECTS = ("message_batch", "batch")
"""The `type` / `object` of a batch object (Anthropic, OpenAI): batch result lines saved after one
take its time (`batch_time`)."""
ENVELOPE_TS_KEYS = ("ts", "timestamp", "created_at", "start_time", "time")
ENVELOPE_DIMENSIONS = ("tenant", "user", "feature", "session", "region", "provider")
BEDROCK_ID_PREFIX = "msg_bdrk_"  # Anthropic Messages served by AWS Bedrock carry ids like msg_bdrk_01...
VERTEX_ID_PREFIX = "msg_vrtx_"  # ... and by Google Vertex AI, msg_vrtx_01...


def is_azure(body: Mapping[str, Any]) -> bool:
    """Whether a chat.completion came from Azure OpenAI: only Azure adds content-filter results (to the
    response, `prompt_filter_results`, or to its choices, `content_filter_results`)."""
    if "prompt_filter_results" in body:
        return True
    choices = body.get("choices")
    return isinstance(choices, list) and any(
        isinstance(c, Mapping) and "content_filter_results" in c for c in choices
    )


def first_of(obj: Mapping[str, Any], *keys: str) -> Any:
    """The first of `keys` present (not None) in `obj`, else None."""
    return next((obj[k] for k in keys if obj.get(k) is not None), None)


def is_batch_object(obj: Mapping[str, Any]) -> bool:
    """Whether a line is a batch object (Anthropic `message_batch`, OpenAI `batch`), read for its time."""
    return obj.get("type") in BATCH_OBJECTS or obj.get("object") in BATCH_OBJECTS


def batch_time(batch: Mapping[str, Any]) -> Any:
    """The time a batch object gives the result lines after it: `ended_at`, else `completed_at`, else
    `created_at` (the first that is set)."""
    return batch.get("ended_at") or batch.get("completed_at") or batch.get("created_at")


def _int(obj: Mapping[str, Any] | None, *path: str) -> Any:
    """A nested value (None when absent); validated later like any other input value."""
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def _as_count(value: Any, name: str) -> int:
    if value is None:
        return 0
    # (NaN and infinity, which Python's JSON parser reads, have no integer to compare with)
    finite = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if isinstance(value, bool) or not finite or value != int(value) or value < 0:
        raise RecordError(f"usage field {name} is {value!r}: not a whole number >= 0", name)
    return int(value)


def _epoch(value: Any) -> str | None:
    # Through the readers' one conversion of instants: an out-of-range number quarantines the row.
    return None if value is None or value == "" else instant(value, "created")


def anthropic_message(msg: Mapping[str, Any]) -> dict[str, Any]:
    """Ledger fields of an Anthropic Messages API response (`type: message`)."""
    usage = msg.get("usage")
    if not isinstance(usage, Mapping):
        raise RecordError("Anthropic message has no usage object", "usage")
    if usage.get("input_tokens") is None or usage.get("output_tokens") is None:
        raise RecordError("Anthropic usage lacks input_tokens or output_tokens", "usage")
    written = _as_count(usage.get("cache_creation_input_tokens"), "cache_creation_input_tokens")
    breakdown = usage.get("cache_creation")
    if isinstance(breakdown, Mapping):
        w5 = _as_count(breakdown.get("ephemeral_5m_input_tokens"), "cache_creation.ephemeral_5m_input_tokens")
        w1 = _as_count(breakdown.get("ephemeral_1h_input_tokens"), "cache_creation.ephemeral_1h_input_tokens")
        if w5 + w1 > written and written:
            raise RecordError(
                f"cache_creation breakdown ({w5 + w1}) exceeds cache_creation_input_tokens ({written})",
                "cache_creation",
            )
        # Streamed server-tool requests report the TTL breakdown of the first iteration only
        # (litellm#42663): the rest has an unknown TTL, it is not dropped.
        other = max(written - w5 - w1, 0)
    else:
        w5, w1, other = written, 0, 0  # no breakdown: the default TTL (5 minutes)
    output = _as_count(usage.get("output_tokens"), "output_tokens")
    thinking = _int(usage, "output_tokens_details", "thinking_tokens")
    tier = usage.get("service_tier")
    return {
        "provider": "anthropic",
        "model": msg.get("model"),
        "request_id": msg.get("id"),
        "input_tokens": usage.get("input_tokens"),
        "cache_read_tokens": usage.get("cache_read_input_tokens") or 0,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_write_other_tokens": other,
        "output_tokens": output,
        "reasoning_tokens": min(_as_count(thinking, "thinking_tokens"), output),
        "web_search_requests": _int(usage, "server_tool_use", "web_search_requests") or 0,
        "service_tier": tier,
        "region": usage.get("inference_geo"),
    }


def _openai_common(
    obj: Mapping[str, Any], prompt: Any, details: Any, completion: Any, out_details: Any
) -> dict[str, Any]:
    total_in = _as_count(prompt, "prompt_tokens")
    cached = _as_count(_int(details, "cached_tokens"), "cached_tokens")
    written = _as_count(_int(details, "cache_write_tokens"), "cache_write_tokens")
    if cached + written > total_in:
        raise RecordError(
            f"cached_tokens ({cached}) + cache_write_tokens ({written}) "
            f"exceed the prompt's {total_in} tokens "
            "(OpenAI counts cache tokens inside the prompt)",
            "prompt_tokens_details",
        )
    return {
        "provider": "openai",
        "model": obj.get("model"),
        "request_id": obj.get("id"),
        "input_tokens": total_in - cached - written,
        "cache_read_tokens": cached,
        "cache_write_other_tokens": written,  # OpenAI's cache writes have a 30-minute TTL
        "output_tokens": completion,
        "reasoning_tokens": _int(out_details, "reasoning_tokens") or 0,
        "service_tier": obj.get("service_tier"),
        "ts": _epoch(obj.get("created") if obj.get("created") is not None else obj.get("created_at")),
        **openai_modalities(details, out_details, cached, written),
    }


def openai_modalities(details: Any, out_details: Any, cached: int, written: int) -> dict[str, int]:
    """The modality parts of an OpenAI usage: `prompt_tokens_details` / `input_tokens_details`
    `audio_tokens` and `image_tokens` count the whole prompt's (cached included), split by
    `cached_tokens_details` where the response gives it (Realtime, gpt-realtime); output from
    `completion_tokens_details` / `output_tokens_details`. A prompt with audio or image tokens and
    cached or cache-written tokens but no cached split is refused (`RecordError`): which cached tokens
    were audio cannot be told, and guessing would price them at the wrong rate."""
    audio = _as_count(_int(details, "audio_tokens"), "prompt_tokens_details.audio_tokens")
    image = _as_count(_int(details, "image_tokens"), "prompt_tokens_details.image_tokens")
    split = _int(details, "cached_tokens_details")
    cached_audio = _as_count(_int(split, "audio_tokens"), "cached_tokens_details.audio_tokens")
    cached_image = _as_count(_int(split, "image_tokens"), "cached_tokens_details.image_tokens")
    if (audio or image) and ((cached and not isinstance(split, Mapping)) or written):
        raise RecordError(
            f"the prompt has {audio} audio and {image} image tokens and {cached + written} cached or "
            "cache-written tokens, with no split of those by modality: cannot tell which rate applies",
            "prompt_tokens_details",
        )
    if cached_audio > audio or cached_image > image or cached_audio + cached_image > cached:
        raise RecordError(
            f"cached_tokens_details (audio {cached_audio}, image {cached_image}) exceed the prompt's audio "
            f"({audio}), image ({image}) or cached ({cached}) tokens",
            "cached_tokens_details",
        )
    parts = {
        "input_audio_tokens": audio - cached_audio,
        "input_image_tokens": image - cached_image,
        "cache_read_audio_tokens": cached_audio,
        "cache_read_image_tokens": cached_image,
        "output_audio_tokens": _as_count(
            _int(out_details, "audio_tokens"), "completion_tokens_details.audio_tokens"
        ),
        "output_image_tokens": _as_count(
            _int(out_details, "image_tokens"), "completion_tokens_details.image_tokens"
        ),
    }
    return {k: v for k, v in parts.items() if v}


def openai_image(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Ledger fields of an OpenAI Images API response (gpt-image-1: `created`, `data`, `usage` with
    `input_tokens_details` {text_tokens, image_tokens}): input split into text and image tokens; the
    output is image tokens (`output_tokens_details.image_tokens` where given, else all of
    `output_tokens`: these models output only images). The response names no model: the envelope's
    `model` does."""
    usage = obj.get("usage")
    if not isinstance(usage, Mapping):
        raise RecordError("image response has no usage object", "usage")
    total_in = _as_count(usage.get("input_tokens"), "input_tokens")
    details = usage.get("input_tokens_details")
    image = _as_count(_int(details, "image_tokens"), "input_tokens_details.image_tokens")
    text = _as_count(_int(details, "text_tokens"), "input_tokens_details.text_tokens")
    if image + text != total_in:
        raise RecordError(
            f"input_tokens_details (text {text} + image {image}) do not add up to input_tokens ({total_in})",
            "input_tokens_details",
        )
    output = _as_count(usage.get("output_tokens"), "output_tokens")
    out_image = _int(usage, "output_tokens_details", "image_tokens")
    out_image = output if out_image is None else _as_count(out_image, "output_tokens_details.image_tokens")
    if out_image > output:
        raise RecordError(
            f"output_tokens_details.image_tokens ({out_image}) exceed output_tokens ({output})",
            "output_tokens_details",
        )
    return {
        "provider": "openai",
        "model": obj.get("model"),
        "input_tokens": total_in,
        "input_image_tokens": image,
        "output_tokens": output,
        "output_image_tokens": out_image,
        "ts": _epoch(obj.get("created")),
    }


def is_openai_image(body: Mapping[str, Any]) -> bool:
    """Whether a body is an OpenAI Images API response: `data` and a `usage` with `input_tokens_details`."""
    return "data" in body and isinstance(_int(body, "usage", "input_tokens_details"), Mapping)


def openai_chat(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Ledger fields of an OpenAI Chat Completions response (`object: chat.completion`): uncached input =
    prompt_tokens − cached − cache writes, writes in the other-TTL column, the time from `created`. Raises
    `RecordError` without usage or when the cache tokens exceed the prompt."""
    usage = obj.get("usage")
    if not isinstance(usage, Mapping):
        raise RecordError("chat.completion has no usage object", "usage")
    return _openai_common(
        obj,
        usage.get("prompt_tokens"),
        usage.get("prompt_tokens_details"),
        usage.get("completion_tokens"),
        usage.get("completion_tokens_details"),
    )


def openai_response(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Ledger fields of an OpenAI Responses API object (`object: response`), counted as `openai_chat`
    counts, plus one web search per `web_search_call` output item."""
    usage = obj.get("usage")
    if not isinstance(usage, Mapping):
        raise RecordError("response has no usage object", "usage")
    row = _openai_common(
        obj,
        usage.get("input_tokens"),
        usage.get("input_tokens_details"),
        usage.get("output_tokens"),
        usage.get("output_tokens_details"),
    )
    output = obj.get("output")
    if isinstance(output, list):
        row["web_search_requests"] = sum(
            1 for item in output if isinstance(item, Mapping) and item.get("type") == "web_search_call"
        )
    return row


def cohere_response(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Ledger fields of a Cohere Chat response: what Cohere bills is `billed_units` (v2 `usage`, v1
    `meta`), not `tokens` (which include the prompt template Cohere adds and does not bill). The
    response names no model: the envelope's `model` does."""
    billed = _int(obj, "usage", "billed_units")
    if not isinstance(billed, Mapping):
        billed = _int(obj, "meta", "billed_units")
    if not isinstance(billed, Mapping):
        raise RecordError("Cohere response has no billed_units", "usage.billed_units")
    return {
        "provider": "cohere",
        "model": obj.get("model"),
        "request_id": first_of(obj, "id", "generation_id", "response_id"),
        "input_tokens": _as_count(billed.get("input_tokens"), "billed_units.input_tokens"),
        "output_tokens": _as_count(billed.get("output_tokens"), "billed_units.output_tokens"),
    }


def _metadata(meta: Any) -> dict[str, Any]:
    if not isinstance(meta, Mapping):
        return {}
    out = {k: meta[k] for k in ("tenant", "user", "feature", "session") if meta.get(k) is not None}
    if "user" not in out and meta.get("user_id") is not None:
        out["user"] = meta["user_id"]
    return out


def response_row(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Ledger fields of one JSON line: a response, an envelope around one, or a batch result."""
    envelope: Mapping[str, Any] = {}
    tier: str | None = None
    body: Any = obj
    if isinstance(obj.get("result"), Mapping) and "custom_id" in obj:  # Anthropic batch result
        result = obj["result"]
        if result.get("type") != "succeeded":
            raise RecordError(
                f"batch request {obj['custom_id']} did not succeed ({result.get('type')}): not billed"
            )
        body, tier, envelope = result.get("message"), "batch", obj
    elif isinstance(obj.get("response"), Mapping) and isinstance(obj["response"].get("body"), Mapping):
        response = obj["response"]  # OpenAI Batch output line
        status = response.get("status_code", 200)
        if obj.get("error") or (isinstance(status, int) and status >= 400):
            raise RecordError(f"batch request {obj.get('custom_id')} failed: not billed")
        if isinstance(status, bool) or not isinstance(status, int):
            raise RecordError(
                f"batch request {obj.get('custom_id')}: status_code is {status!r}, not a number",
                "status_code",
            )
        body, tier, envelope = response["body"], "batch", obj
    elif isinstance(obj.get("response"), Mapping):
        body, envelope = obj["response"], obj
    if not isinstance(body, Mapping):
        raise RecordError("no response object in the line")
    if body.get("type") == "message" or (
        "usage" in body and "cache_read_input_tokens" in (body.get("usage") or {})
    ):
        row = anthropic_message(body)
        if str(body.get("id") or "").startswith(VERTEX_ID_PREFIX):
            # Served by Vertex AI (Google bills it; a regional endpoint, given as the envelope's
            # `region`, adds Vertex's 10% regional premium from Sonnet 4.5 on).
            row["provider"] = "google"
        if str(body.get("id") or "").startswith(BEDROCK_ID_PREFIX):
            # Served by AWS Bedrock: its price list (regional endpoints 10% over global for Sonnet
            # 4.5 and later). The body names the model, not the inference profile: an envelope's
            # `modelId` (e.g. global.anthropic.claude-...) says which endpoint billed it.
            row["provider"] = "aws"
            model_id = first_of(envelope, "modelId", "model_id")
            if model_id is not None:
                row["model"] = model_id
    elif body.get("object") == "chat.completion":
        row = openai_chat(body)
        if is_azure(body):
            row["provider"] = "azure"
    elif body.get("object") == "response":
        row = openai_response(body)
    elif is_openai_image(body):
        row = openai_image(body)
        row["model"] = first_of(row, "model") or envelope.get("model")
        if not row["model"]:
            raise RecordError(
                "an OpenAI Images API response names no model: wrap it as "
                '{"ts": "2026-01-31T12:00:00Z", "model": "gpt-image-1", "response": {...}}',
                "model",
            )
    elif isinstance(_int(body, "usage", "billed_units"), Mapping) or isinstance(
        _int(body, "meta", "billed_units"), Mapping
    ):
        row = cohere_response(body)
        row["model"] = first_of(row, "model") or envelope.get("model")
        if not row["model"]:
            raise RecordError(
                "a Cohere response names no model: wrap it as "
                '{"ts": "2026-01-31T12:00:00Z", "model": "command-a-03-2025", "response": {...}}',
                "model",
            )
    else:
        raise RecordError(
            "not an Anthropic message, an OpenAI chat.completion / response or a Cohere response "
            "(expected 'type': 'message', 'object': 'chat.completion' / 'response' or 'billed_units')"
        )
    row.update(_metadata(body.get("metadata")))
    for key in ENVELOPE_TS_KEYS:
        if envelope.get(key) is not None:
            row["ts"] = _epoch(envelope[key])
            break
    for key in ENVELOPE_DIMENSIONS:
        if envelope.get(key) is not None:
            row[key] = envelope[key]
    if isinstance(envelope.get("metadata"), Mapping):
        row.update(_metadata(envelope["metadata"]))
    if tier is not None:
        row["service_tier"] = tier
        row["request_id"] = row.get("request_id") or envelope.get("custom_id")
    if row.get("ts") is None:
        raise RecordError(
            "no timestamp: Anthropic messages and batch results carry none; "
            'wrap the line as {"ts": "2026-01-31T12:00:00Z", "response": {...}}',
            "ts",
        )
    return row


def quarantine_from(error: RecordError, display: str, line: int) -> QuarantineRecord:
    """The quarantine record of a reader's `RecordError`: the file as shown, the line, the field the error
    names (None if none) and its message."""
    return QuarantineRecord(display, line, error.field, str(error))
