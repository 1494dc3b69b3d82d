"""The `responses` format in bulk (see `bulk.py`), counted exactly as `responses.response_row` counts.
A file is read by one of five shapes, chosen by its first line (`spec_for`); the lines of a file
that are not of its shape, and those the SQL cannot decide, go to the Python reader:

* `bare`: OpenAI Chat Completions (`chat.completion`) and Responses API (`response`) objects;
* `openai-envelope` / `anthropic-envelope`: `{"ts": ..., "response": {...}, "user": ...}` around
  one of those, or around an Anthropic message (also served by Bedrock, `msg_bdrk_`, or Vertex AI,
  `msg_vrtx_`);
* `openai-batch`: OpenAI Batch output lines (`{"custom_id", "response": {"status_code", "body"}}`);
* `anthropic-batch`: Anthropic Message Batches results (`{"custom_id", "result": {"type":
  "succeeded", "message"}}`), whose time is the batch object's on the first line (or the line's).

Always left to Python: Azure's content-filter results, web-search calls, audio and image tokens,
Cohere and Images API responses, values of other types, cache tokens that exceed the prompt, text
times other than plain ISO 8601. A batch object (`message_batch`, `batch`) anywhere but the first
line sends the whole file to Python (it gives its time to the batch lines after it)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from inferonomics.ledger.readers.bulk import BulkFormat, sql_text
from inferonomics.ledger.readers.bulk_sql import (
    ISO_TIME,
    TS_END_EPOCH,
    absent,
    count,
    count_or_zero,
    in_range,
    is_int,
    is_object,
    is_string,
    is_text,
    text,
    time,
)
from inferonomics.ledger.readers.responses import (
    ENVELOPE_DIMENSIONS,
    ENVELOPE_TS_KEYS,
    batch_time,
    is_azure,
    is_batch_object,
)

_OPENAI_BODY = {
    "id": "$.id",
    "object": "$.object",
    "type": "$.type",
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
_ANTHROPIC_BODY = {
    "id": "$.id",
    "type": "$.type",
    "model": "$.model",
    "a_in": "$.usage.input_tokens",
    "a_out": "$.usage.output_tokens",
    "a_read": "$.usage.cache_read_input_tokens",
    "a_write": "$.usage.cache_creation_input_tokens",
    "a_split": "$.usage.cache_creation",
    "a_w5": "$.usage.cache_creation.ephemeral_5m_input_tokens",
    "a_w1": "$.usage.cache_creation.ephemeral_1h_input_tokens",
    "a_think": "$.usage.output_tokens_details.thinking_tokens",
    "a_search": "$.usage.server_tool_use.web_search_requests",
    "a_tier": "$.usage.service_tier",
    "a_geo": "$.usage.inference_geo",
    "m_tenant": "$.metadata.tenant",
    "m_user": "$.metadata.user",
    "m_feature": "$.metadata.feature",
    "m_session": "$.metadata.session",
    "m_user_id": "$.metadata.user_id",
}
_ENVELOPE = {
    **{f"e_{k}": f"$.{k}" for k in (*ENVELOPE_TS_KEYS, *ENVELOPE_DIMENSIONS)},
    **{f"em_{k}": f"$.metadata.{k}" for k in ("tenant", "user", "feature", "session", "user_id")},
    "e_model_id": "$.modelId",
    "e_model_id2": "$.model_id",
    "e_result": "$.result",
    "e_custom_id": "$.custom_id",
}
_OPENAI_WORDS = ("filter_results", "cache_read_input_tokens")
"""Keys whose mere presence, even null (which DuckDB's JSON reader does not tell from absent),
changes an OpenAI body's reading: Azure's content-filter results, Anthropic's usage. (A file of
Azure OpenAI responses is read in its own shape, `azure`, without the first.)"""
_AZURE_WORDS = ("cache_read_input_tokens",)
_AZURE_CHOICES = (
    "CASE WHEN choices IS NULL OR NOT contains(choices, 'content_filter_results') THEN false "
    "ELSE coalesce(len(json_extract(choices, '$[*].content_filter_results')) > 0, false) END"
)
"""Whether a choice (an object in the `choices` list) has `content_filter_results`, even null
(`responses.is_azure`): the wildcard finds the key's values, a null among them, in the objects of a
list only."""
_MODALITIES = ("audio", "image", "cached_audio", "cached_image", "out_audio", "out_image")
"""Audio and image parts (`responses.openai_modalities`): lines where any is not zero or absent go to
Python (text-only responses carry them as 0)."""
_COUNTS = ("prompt", "cached", "written", "out", "reasoning")
_CHAT = "object = '\"chat.completion\"'"
_RESPONSE = "object = '\"response\"'"
_TEXTS = ("id", "model", "m_tenant", "m_user", "m_feature", "m_session", "m_user_id")


def _at(prefix: str, fields: Mapping[str, str]) -> dict[str, str]:
    """`fields` (paths from `$`) moved under `prefix` (`$.response`)."""
    return {k: prefix + v[1:] for k, v in fields.items()}


def _openai(
    prefix: str, azure: bool = False
) -> tuple[dict[str, str], list[dict[str, str]], list[str], dict[str, str]]:
    """An OpenAI body at `prefix`: its fields, derived layers, tests and columns (`responses.openai_chat`
    / `openai_response`; `p_created` is the body's own time, `n_created` as a number). `azure`: the
    body is a chat completion that Azure OpenAI served, by its content-filter results (a line with
    none, or where a null `prompt_filter_results` at the top cannot be told from an absent one, is
    left to Python)."""

    def pick(chat: str, response: str) -> str:
        return f"CASE WHEN {_CHAT} THEN {chat} ELSE {response} END"

    derived = [
        {
            **{f"p_{k}": pick(f"c_{k}", f"r_{k}") for k in (*_COUNTS, *_MODALITIES)},
            "p_created": "CASE WHEN created IS NULL OR created = 'null' THEN created_at ELSE created END",
        },
        {**{f"n_{k}": count(f"p_{k}") for k in _COUNTS}, "n_created": "TRY_CAST(p_created AS BIGINT)"},
    ]
    tests = [
        f"({_CHAT} OR {_RESPONSE})",
        absent("type"),
        "u_cache_read IS NULL",
        "(output IS NULL OR NOT contains(output, 'web_search_call'))",
        count_or_zero("p_prompt"),
        count_or_zero("p_cached"),
        count_or_zero("p_written"),
        is_int("p_out"),  # (also: usage is an object)
        count_or_zero("p_reasoning"),
        "n_cached + n_written <= n_prompt",
        *(f"({absent('p_' + m)} OR p_{m} = '0')" for m in _MODALITIES),
        *(is_text(x) for x in (*_TEXTS, "tier")),
    ]
    columns = {
        "provider": "'openai'",
        "model": text("model"),
        "request_id": text("id"),
        "input_tokens": "n_prompt - n_cached - n_written",
        "cache_read_tokens": "n_cached",
        "cache_write_other_tokens": "n_written",
        "output_tokens": "n_out",
        "reasoning_tokens": "n_reasoning",
        "service_tier": text("tier"),
    }
    body = _at(prefix, _OPENAI_BODY)
    if azure:
        body |= _at(prefix, {"pfr": "$.prompt_filter_results", "choices": "$.choices"})
        derived[0]["az_choices"] = _AZURE_CHOICES
        tests += [_CHAT, "(pfr IS NOT NULL OR az_choices)"]
        columns["provider"] = "'azure'"
    return body, derived, tests, columns


def _anthropic(prefix: str) -> tuple[dict[str, str], list[dict[str, str]], list[str], dict[str, str]]:
    """An Anthropic message at `prefix` (`responses.anthropic_message`, Bedrock and Vertex ids)."""
    derived = [
        {
            "n_write": count("a_write"),
            "n_w5": count("a_w5"),
            "n_w1": count("a_w1"),
            "split": f"coalesce({is_object('a_split')}, false)",
            "id_text": text("id"),
        },
        {
            "vertex": "coalesce(starts_with(id_text, 'msg_vrtx_'), false)",
            "bedrock": "coalesce(starts_with(id_text, 'msg_bdrk_'), false)",
        },
    ]
    tests = [
        "type = '\"message\"'",
        is_int("a_in"),
        is_int("a_out"),  # (also: usage is an object)
        count_or_zero("a_read"),
        count_or_zero("a_write"),
        f"({absent('a_split')} OR {is_object('a_split')})",
        count_or_zero("a_w5"),
        count_or_zero("a_w1"),
        # (a breakdown over the written total is refused, unless the total is 0)
        "(NOT split OR n_write = 0 OR n_w5 + n_w1 <= n_write)",
        count_or_zero("a_think"),
        count_or_zero("a_search"),
        *(is_text(x) for x in (*_TEXTS, "a_tier", "a_geo")),
    ]
    columns = {
        "provider": "CASE WHEN bedrock THEN 'aws' WHEN vertex THEN 'google' ELSE 'anthropic' END",
        "model": text("model"),
        "request_id": "id_text",
        "input_tokens": count("a_in"),
        "cache_read_tokens": count("a_read"),
        "cache_write_5m_tokens": "CASE WHEN split THEN n_w5 ELSE n_write END",
        "cache_write_1h_tokens": "CASE WHEN split THEN n_w1 ELSE 0 END",
        "cache_write_other_tokens": "CASE WHEN split THEN greatest(n_write - n_w5 - n_w1, 0) ELSE 0 END",
        "output_tokens": count("a_out"),
        "reasoning_tokens": f"least({count('a_think')}, {count('a_out')})",
        "web_search_requests": count("a_search"),
        "service_tier": text("a_tier"),
        "region": text("a_geo"),
    }
    return _at(prefix, _ANTHROPIC_BODY), derived, tests, columns


BARE_TS = "make_timestamp(n_created * 1000000)"


def _bare(azure: bool = False) -> BulkFormat:
    fields, derived, tests, columns = _openai("$", azure)
    return BulkFormat(
        fields={**fields, "response": "$.response", "result": "$.result"},
        words=_AZURE_WORDS if azure else _OPENAI_WORDS,
        simple=" AND ".join(
            [
                *tests,
                absent("response"),
                # (an Anthropic batch result; Anthropic usage, even null; web searches in a Responses output)
                "(result IS NULL OR NOT starts_with(result, '{'))",
                is_int("p_created"),
                f"n_created < {TS_END_EPOCH}",
            ]
        ),
        columns={**columns, "ts": BARE_TS, **_metadata("m_")},
        key=text("id"),
        derived=derived,
        types={"ts": "TIMESTAMP"},
    )


def _metadata(*prefixes: str) -> dict[str, str]:
    """The dimensions from metadata and an envelope, highest precedence first (`em_`: the envelope's
    metadata; `e_`: the envelope; `m_`: the body's metadata), as `response_row` applies them."""
    out = {}
    for dim in ("tenant", "user", "feature", "session"):
        values = []
        for p in prefixes:
            if p != "e_" or dim in ENVELOPE_DIMENSIONS:
                values.append(text(p + dim))
            if dim == "user" and p != "e_":
                values.append(text(p + "user_id"))
        out[dim] = values[0] if len(values) == 1 else "coalesce(" + ", ".join(values) + ")"
    # (a body's metadata `user` wins over its `user_id`: text(x) is NULL only when x is absent or null)
    return out


FORMAT = _bare()
"""The `bare` shape (and the reading of a file whose first line is no other)."""
AZURE = _bare(azure=True)
"""The `bare` shape of Azure OpenAI chat completions (a file whose first line is one)."""


_BODY = {
    "bare": "$",
    "openai-envelope": "$.response",
    "anthropic-envelope": "$.response",
    "openai-batch": "$.response.body",
    "anthropic-batch": "$.result.message",
}
"""Where a line of each shape holds its response body."""


def _wrapped(shape: str, batch_ts: str | None, azure: bool = False) -> BulkFormat:
    """A shape other than `bare`; `batch_ts` is the JSON text of a batch object's time (first line);
    `azure`: OpenAI bodies served by Azure OpenAI (see `_openai`)."""
    body = _BODY[shape]
    anthropic = shape.startswith("anthropic")
    batch = shape.endswith("batch")
    fields, derived, tests, columns = _anthropic(body) if anthropic else _openai(body, azure)
    fields = {**fields, **_ENVELOPE}
    envelope_ts = "coalesce(" + ", ".join(f"nullif(e_{k}, 'null')" for k in ENVELOPE_TS_KEYS) + ")"
    if batch_ts is not None:
        envelope_ts = sql_text(batch_ts)  # (simple lines have a custom_id and no "ts": see words)
    derived = [*derived, {"e": envelope_ts}, {"t": time("e")}]
    tests = [*tests, *(is_text(f"e_{k}") for k in ENVELOPE_DIMENSIONS), is_text("e_model_id")]
    tests += [is_text("e_model_id2"), *(is_text(f"em_{k}") for k in ("tenant", "user", "feature"))]
    tests += [
        is_text("em_session"),
        is_text("em_user_id"),
        f"(e IS NULL OR (t IS NOT NULL AND {in_range('t')}))",
    ]
    if anthropic:
        tests.append("e IS NOT NULL")  # (a message carries no time of its own)
        ts = "t"
    else:
        # the body's own time, read even when the envelope's is taken (where it could fail)
        created = f"({is_int('p_created')} AND n_created < {TS_END_EPOCH})"
        tests += [
            f"({absent('p_created')} OR {is_string('p_created')} OR {created})",
            f"(e IS NOT NULL OR {created})",
        ]
        ts = f"CASE WHEN e IS NOT NULL THEN t ELSE {BARE_TS} END"
    if shape == "anthropic-batch":
        fields["r_type"] = "$.result.type"
        tests += ["r_type = '\"succeeded\"'"]
    else:
        # (a result object and a custom_id make the line an Anthropic batch result)
        tests.append(f"(e_result IS NULL OR NOT {is_object('e_result')})")
    if shape == "openai-batch":
        fields["status"] = "$.response.status_code"
        fields["error"] = "$.error"
        tests += [is_int("status"), "TRY_CAST(status AS BIGINT) < 400", absent("error")]
    elif not batch:
        fields["r_body"] = "$.response.body"  # (a response with a body object is a batch line)
        tests.append(f"(r_body IS NULL OR NOT {is_object('r_body')})")
    if batch:
        tests += [f"NOT {absent('e_custom_id')}", is_text("e_custom_id")]
        request_id = columns["request_id"]
        blank_id = f"({absent('id')} OR id = '\"\"')"
        columns["request_id"] = f"CASE WHEN {blank_id} THEN {text('e_custom_id')} ELSE {request_id} END"
        columns["service_tier"] = "'batch'"
    if anthropic:
        columns["model"] = (
            f"CASE WHEN bedrock THEN coalesce({text('e_model_id')}, {text('e_model_id2')}, {text('model')}) "
            f"ELSE {text('model')} END"
        )
        columns["region"] = f"coalesce({text('e_region')}, {columns['region']})"
    else:
        columns["region"] = text("e_region")
    columns["provider"] = f"coalesce({text('e_provider')}, {columns['provider']})"
    words = (() if anthropic else _AZURE_WORDS if azure else _OPENAI_WORDS) + (
        ('"ts"',) if batch_ts is not None else ()
    )
    if not batch:
        words += ('"custom_id"',)  # (such a line takes the time of a batch object before it)
    return BulkFormat(
        fields=fields,
        words=words,
        simple=" AND ".join(tests),
        columns={**columns, "ts": ts, **_metadata("em_", "e_", "m_")},
        key=columns["request_id"],
        derived=derived,
        types={"ts": "TIMESTAMP"},
    )


def spec_for(first: str, second: str) -> tuple[BulkFormat, int | None] | None:
    """The shape of a file by its first two non-blank lines, and how many batch objects the Python
    reader may meet in it before the SQL's reading is wrong (None: any number); None when the file
    is best read by Python (a batch object whose time the SQL cannot take, or no batch lines after it).

    A batch object gives its time to the batch lines after it (`_response_rows`): in the batch
    shapes, to every simple line; the SQL takes the time of one on the first line, and a later one
    sends the file to Python. A bare line never takes it, and an envelope line with a `custom_id`
    (see `words`) is left to Python."""
    obj = _object(first)
    if obj is None:
        return FORMAT, None
    if is_batch_object(obj):
        value = batch_time(obj)
        after = _object(second)
        shape = _shape(after) if after is not None else None
        if not _plain_time(value) or shape not in ("openai-batch", "anthropic-batch"):
            return None
        return _wrapped(shape, json.dumps(value), after is not None and _is_azure(after, shape)), 1
    shape = _shape(obj)
    if shape == "bare":
        return (AZURE if _is_azure(obj, shape) else FORMAT), None
    return _wrapped(shape, None, _is_azure(obj, shape)), (0 if shape.endswith("batch") else None)


def _is_azure(obj: Mapping[str, Any], shape: str) -> bool:
    """Whether the line's body (in `shape`) is a chat completion Azure OpenAI served."""
    body: Any = obj
    for key in _BODY[shape].split(".")[1:]:
        body = body.get(key) if isinstance(body, Mapping) else None
    return (
        not shape.startswith("anthropic")
        and isinstance(body, Mapping)
        and body.get("object") == "chat.completion"
        and is_azure(body)
    )


def _plain_time(value: Any) -> bool:
    """Whether the SQL reads `value` as Python's `instant` and validation read it."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < TS_END_EPOCH
    return isinstance(value, str) and re.fullmatch(ISO_TIME, value) is not None


def _object(line: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _shape(obj: Mapping[str, Any]) -> str:
    response, result = obj.get("response"), obj.get("result")
    if isinstance(result, Mapping) and "custom_id" in obj:
        return "anthropic-batch"
    if isinstance(response, Mapping) and isinstance(response.get("body"), Mapping):
        return "openai-batch"
    if isinstance(response, Mapping):
        return "anthropic-envelope" if response.get("type") == "message" else "openai-envelope"
    return "bare"
