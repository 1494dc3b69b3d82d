"""LiteLLM proxy spend logs (`LiteLLM_SpendLogs`) → request rows, from an export (JSON, JSON lines,
CSV) or straight from the proxy's PostgreSQL database (see `shared/reference/usage_formats.md`
§5.1 and `docs/formats.md`).

LiteLLM normalises usage OpenAI-style: `prompt_tokens` *includes* Anthropic's cache reads and
writes, whose counts live only in `metadata.usage_object` (the table has no cache columns). So:
uncached input = prompt_tokens − cache reads − cache writes; writes split by TTL when
`prompt_tokens_details.cache_creation_token_details` gives the split, else their TTL is unknown.
Older LiteLLM versions excluded cache tokens from `prompt_tokens`: a negative difference means
that, and the prompt is taken as uncached. `spend` is LiteLLM's own estimate (a tool estimate,
with known cache bugs), carried for `reconcile`. `cache_hit` is LiteLLM's response cache, not
provider prompt caching: a hit made no provider call and is not billed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from inferonomics.errors import InputError, RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import count, dig, first, money
from inferonomics.ledger.readers.jsondoc import documents, items, line_of
from inferonomics.ledger.readers.responses import openai_modalities
from inferonomics.ledger.readers.text import csv_records

TABLE = "LiteLLM_SpendLogs"
COLUMNS = (
    "request_id",
    "call_type",
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "startTime",
    "model",
    "model_group",
    "custom_llm_provider",
    "api_base",
    "user",
    "end_user",
    "team_id",
    "metadata",
    "cache_hit",
    "request_tags",
    "session_id",
    "status",
)
KEYS = frozenset({"request_id", "call_type", "spend", "startTime"})
BATCH_CALLS = frozenset({"aretrieve_batch", "retrieve_batch", "acreate_batch", "create_batch"})
_REGION = re.compile(r"(?:bedrock-runtime|bedrock)[.-]([a-z]{2}-[a-z]+-\d)|^([a-z]+-[a-z]+\d+)-aiplatform")


def _json(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def _feature(tags: Any, meta: Mapping[str, Any]) -> Any:
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str) and tag.startswith("feature:"):
                return tag.removeprefix("feature:")
    return first(dig(meta, "spend_logs_metadata", "feature"), meta.get("user_api_key_alias"))


def _region(api_base: Any) -> str | None:
    if not isinstance(api_base, str) or not api_base:
        return None
    host = urlsplit(api_base).hostname or ""
    m = _REGION.search(host)
    return next((g for g in m.groups() if g), None) if m else None


def spend_row(rec: Mapping[str, Any], notes: Any) -> Row:
    """The ledger row of one spend-log record: uncached input = prompt_tokens − cache reads − cache writes
    (cache counts from `metadata.usage_object`; when that is negative the prompt is taken whole and the row
    counted in `notes`), batch calls on the batch tier, the region from the API base URL, and LiteLLM's
    `spend` as `reported_cost_usd`. Raises `RecordError` for a failed request or a hit of LiteLLM's
    response cache."""
    status = rec.get("status")
    if status not in (None, "", "success"):
        raise RecordError(f'status "{status}": the request failed, not billed', "status")
    if str(rec.get("cache_hit")).lower() == "true":
        raise RecordError(
            "served from LiteLLM's own response cache (cache_hit True): no provider call, not billed",
            "cache_hit",
        )
    meta = _json(rec.get("metadata"))
    meta = meta if isinstance(meta, Mapping) else {}
    usage = meta.get("usage_object")
    usage = usage if isinstance(usage, Mapping) else {}
    extra = meta.get("additional_usage_values")
    extra = extra if isinstance(extra, Mapping) else {}
    prompt = count(rec.get("prompt_tokens"), "prompt_tokens")
    completion = count(rec.get("completion_tokens"), "completion_tokens")
    read = count(
        first(
            usage.get("cache_read_input_tokens"),
            dig(usage, "prompt_tokens_details", "cached_tokens"),
            extra.get("cache_read_input_tokens"),
        ),
        "usage_object.cache_read_input_tokens",
    )
    written = count(
        first(
            usage.get("cache_creation_input_tokens"),
            dig(usage, "prompt_tokens_details", "cache_creation_tokens"),
            extra.get("cache_creation_input_tokens"),
        ),
        "usage_object.cache_creation_input_tokens",
    )
    split = first(
        dig(usage, "prompt_tokens_details", "cache_creation_token_details"), usage.get("cache_creation")
    )
    if isinstance(split, Mapping):
        w5 = count(split.get("ephemeral_5m_input_tokens"), "ephemeral_5m_input_tokens")
        w1 = count(split.get("ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens")
        written = max(written, w5 + w1)
        other = written - w5 - w1
    else:
        w5 = w1 = 0
        other = written
    uncached = prompt - read - written
    if uncached < 0:  # LiteLLM before 2024-09 left Anthropic cache tokens out of prompt_tokens
        uncached = prompt
        notes["rows whose prompt_tokens exclude cache tokens (older LiteLLM): read as uncached input"] += 1
    reasoning = count(dig(usage, "completion_tokens_details", "reasoning_tokens"), "reasoning_tokens")
    call_type = str(rec.get("call_type") or "")
    batch = call_type in BATCH_CALLS or str(rec.get("request_id") or "").endswith("_batch_cost")
    model = str(rec.get("model") or "")
    provider = first(rec.get("custom_llm_provider"), model.partition("/")[0] if "/" in model else None)
    tags = _json(rec.get("request_tags"))
    spend = money(rec.get("spend"), "spend")
    return {
        "ts": rec.get("startTime"),
        "request_id": rec.get("request_id"),
        "provider": provider,
        "model": model or None,
        "tenant": first(meta.get("user_api_key_team_alias"), rec.get("team_id")),
        "user": first(rec.get("end_user"), rec.get("user"), meta.get("user_api_key_user_id")),
        "feature": _feature(tags, meta),
        "session": rec.get("session_id"),
        "service_tier": "batch" if batch else usage.get("service_tier"),
        "region": _region(rec.get("api_base")),
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_write_other_tokens": other,
        "output_tokens": completion,
        "reasoning_tokens": min(reasoning, completion),
        "web_search_requests": count(
            dig(usage, "server_tool_use", "web_search_requests"), "web_search_requests"
        ),
        "reported_cost_usd": spend,
        "cost_source": None if spend is None else "tool_estimate",
        # LiteLLM's usage object is OpenAI-shaped: its audio / image details read as OpenAI's are.
        **openai_modalities(
            usage.get("prompt_tokens_details"), usage.get("completion_tokens_details"), read, written
        ),
    }


def read_json(ctx: Context) -> Rows:
    """Rows of a spend-log export in JSON (an array, pages or JSON lines), one per record."""
    yield from document_rows(documents(ctx.path, ctx.display, ctx.quarantine), ctx)


def document_rows(docs: Iterable[tuple[int, Any]], ctx: Context) -> Rows:
    """Rows of the records of JSON values (line, value): a record, a list or pages of them."""
    for doc_line, doc in docs:
        for line, rec in items(doc, doc_line):
            if not isinstance(rec, Mapping):
                yield line, not_an_object(rec)
                continue
            yield guarded(line_of(rec, line), spend_row, rec, ctx.notes)


def read_csv(ctx: Context) -> Rows:
    """Rows of a spend-log export in CSV, one per record (JSON held in text columns such as `metadata` is
    parsed)."""
    for line, rec in csv_records(ctx.path, ctx.display, ctx.quarantine):
        yield guarded(line, spend_row, rec, ctx.notes)


# -- straight from the proxy's database ---------------------------------------------------------

_URL = re.compile(r"^(postgres(?:ql)?):/+(.*)$", re.I)


def database_url(text: str) -> str | None:
    """A PostgreSQL URL given where a path goes (a path joins `//` into `/`: restored), or None."""
    m = _URL.match(text)
    return f"{m.group(1)}://{m.group(2)}" if m else None


_SECRET_PARAM = re.compile(r"(?i)((?:^|&)[^=&]*(?:pass|secret|token|key)[^=&]*=)[^&]*")


def redacted(url: str) -> str:
    """The URL without its secrets, as messages and provenance show it: the password of its user
    part and the value of every query parameter named like a secret (`password`, `sslpassword`,
    `token`, `api_key`...) become `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        if ":" in userinfo:
            netloc = userinfo.split(":", 1)[0] + ":***@" + host
    query = _SECRET_PARAM.sub(lambda m: m.group(1) + "***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def scrubbed(text: str, url: str) -> str:
    """`text` (a driver's message, say) with every secret of `url` replaced by `***`."""
    parts = urlsplit(url)
    secrets = [parts.password or ""]
    secrets += [m.group(0).split("=", 1)[1] for m in _SECRET_PARAM.finditer(parts.query)]
    for secret in sorted((x for x in secrets if x), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def database_rows(url: str, *, batch_rows: int = 50_000) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(row number, record) for every row of the spend-log table, read through Ibis's PostgreSQL
    backend in `startTime` order. The table is `LiteLLM_SpendLogs` unless the URL names another
    with `?table=NAME`."""
    import ibis

    parts = urlsplit(url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    table_name = query.pop("table", TABLE)
    rest = "&".join(f"{k}={v}" for k, v in query.items())
    clean = urlunsplit(parts._replace(scheme="postgres", query=rest))
    try:
        con = ibis.connect(clean)
    except Exception as e:  # the driver raises its own error types for refused or failed logins
        raise InputError(
            f"{redacted(url)}: cannot connect to PostgreSQL ({scrubbed(str(e).strip(), url)[:200]})"
        ) from None
    try:
        if table_name not in con.list_tables():
            raise InputError(
                f"{redacted(url)}: no table {table_name} in this database (a LiteLLM proxy's is {TABLE})"
            )
        t = con.table(table_name)
        missing = [
            c for c in ("request_id", "startTime", "prompt_tokens", "completion_tokens") if c not in t.columns
        ]
        if missing:
            raise InputError(f"{redacted(url)}: table {table_name} has no column {', '.join(missing)}")
        cols = {
            c: (t[c].cast("string") if c in ("metadata", "request_tags") else t[c])
            for c in COLUMNS
            if c in t.columns
        }
        expr = t.select(**cols).order_by([t["startTime"], t["request_id"]])
        number = 0
        for batch in expr.to_pyarrow_batches(chunk_size=batch_rows):
            for rec in batch.to_pylist():
                number += 1
                yield number, rec
    finally:
        con.disconnect()


def read_database(ctx: Context, url: str) -> Rows:
    """Rows of the spend-log table of the PostgreSQL database at `url` (see `database_rows`), numbered in
    `startTime` order; start times without a zone are taken as UTC."""
    for number, rec in database_rows(url):
        if rec.get("startTime") is not None and hasattr(rec["startTime"], "isoformat"):
            ts = rec["startTime"]
            rec = {**rec, "startTime": ts.isoformat() if ts.tzinfo else ts.isoformat() + "Z"}
        yield guarded(number, spend_row, rec, ctx.notes)
