"""Anthropic's aggregated usage and cost data → bucket rows (see `shared/reference/usage_formats.md`
§1.3-1.5 and `docs/formats.md`).

* Admin API Messages Usage Report (`/v1/organizations/usage_report/messages`): pages of time
  buckets, each with result rows of non-overlapping counts (`uncached_input_tokens`, cache reads,
  5-minute and 1-hour cache writes, output). Both the nested `cache_creation` object and the
  flattened `cache_creation_5m_input_tokens` spelling are read.
* Admin API Cost Report (`/v1/organizations/cost_report`): amounts in cents as decimal text, one
  row per (day, description); cost rows carry no tokens, only `reported_cost_usd`.
* Console exports: the usage CSV (same buckets, per day) and the cost CSV (`cost_usd`, models by
  display name).

Neither report counts requests: a bucket's `requests` is the fewest its context-window tier
allows (`fields.requests_floor`), so its long-context tier is judged right.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import (
    bucket_id,
    count,
    dig,
    display_model,
    first,
    money,
    requests_floor,
)
from inferonomics.ledger.readers.jsondoc import documents, items, line_of
from inferonomics.ledger.readers.text import csv_records

USAGE_METRICS = frozenset(
    {
        "uncached_input_tokens",
        "cache_creation",
        "cache_creation_5m_input_tokens",
        "cache_creation_1h_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
        "server_tool_use",
    }
)
USAGE_TYPES = {"message": "standard", "messages": "standard", "batch": "batch", "priority": "priority"}
USAGE_CSV_HEADER = (
    "usage_date_utc",
    "model_version",
    "usage_input_tokens_no_cache",
    "usage_input_tokens_cache_read",
    "usage_output_tokens",
)
COST_CSV_HEADER = ("usage_date_utc", "model", "token_type", "cost_usd")


def _buckets(ctx: Context) -> Any:
    """(line, bucket start, bucket end, result) for every result row of every bucket."""
    for doc_line, doc in documents(ctx.path, ctx.display, ctx.quarantine):
        for line, bucket in items(doc, doc_line):
            if not isinstance(bucket, Mapping) or not isinstance(bucket.get("results"), list):
                yield (
                    line,
                    None,
                    None,
                    RecordError("not a report bucket (expected starting_at, ending_at, results)"),
                )
                continue
            for result in bucket["results"]:
                yield line_of(result, line), bucket.get("starting_at"), bucket.get("ending_at"), result


def _usage_row(fmt: str, r: Mapping[str, Any], start: Any, end: Any) -> Row:
    if start is None:
        raise RecordError("the bucket has no starting_at", "starting_at")
    model = r.get("model")
    if not model:
        raise RecordError(
            "no model: fetch the usage report grouped by model (group_by[]=model) so it can be priced",
            "model",
        )
    if r.get("uncached_input_tokens") is None and r.get("output_tokens") is None:
        raise RecordError("no token counts (uncached_input_tokens, output_tokens)", "uncached_input_tokens")
    uncached = count(r.get("uncached_input_tokens"), "uncached_input_tokens")
    read = count(r.get("cache_read_input_tokens"), "cache_read_input_tokens")
    w5 = count(
        first(dig(r, "cache_creation", "ephemeral_5m_input_tokens"), r.get("cache_creation_5m_input_tokens")),
        "cache_creation.ephemeral_5m_input_tokens",
    )
    w1 = count(
        first(dig(r, "cache_creation", "ephemeral_1h_input_tokens"), r.get("cache_creation_1h_input_tokens")),
        "cache_creation.ephemeral_1h_input_tokens",
    )
    dims = {k: v for k, v in r.items() if k not in USAGE_METRICS}
    return {
        "ts": start,
        "request_id": bucket_id(fmt, {"starting_at": start, "ending_at": end, **dims}),
        "provider": "anthropic",
        "model": model,
        "tenant": r.get("workspace_id"),
        "user": first(r.get("account_id"), r.get("service_account_id")),
        "feature": r.get("api_key_id"),
        "service_tier": r.get("service_tier"),
        "region": r.get("inference_geo"),
        "requests": requests_floor(uncached + read + w5 + w1, r.get("context_window")),
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "output_tokens": count(r.get("output_tokens"), "output_tokens"),
        "web_search_requests": count(dig(r, "server_tool_use", "web_search_requests"), "web_search_requests"),
    }


def usage_report(ctx: Context) -> Rows:
    """Rows of an Anthropic Messages Usage Report (JSON pages of time buckets): one bucket row per result,
    at the bucket's start, with a deterministic request id and the fewest requests its context-window tier
    allows. A result without a model or token counts is quarantined; results at speed `fast` are counted in
    the notes."""
    for line, start, end, r in _buckets(ctx):
        if isinstance(r, RecordError):
            yield line, r
        elif not isinstance(r, Mapping):
            yield line, not_an_object(r)
        else:
            if r.get("speed") == "fast":
                ctx.notes["rows at speed fast, priced at their service tier (no fast-mode prices)"] += 1
            yield guarded(line, _usage_row, "anthropic-usage-report", r, start, end)


def _cost_model(r: Mapping[str, Any]) -> str:
    model = r.get("model")
    if model:
        return str(model)
    description = str(r.get("description") or "")
    name, sep, _ = description.partition(" Usage")
    if sep and name.lower().startswith("claude") and any(ch.isdigit() for ch in name):
        return display_model(name)
    raise RecordError(
        f'no model in this cost row (description "{description[:60]}"): fetch the cost report grouped by '
        "description (group_by[]=description) so costs can be matched to models",
        "model",
    )


def _cost_row(r: Mapping[str, Any], start: Any, end: Any) -> Row:
    if start is None:
        raise RecordError("the bucket has no starting_at", "starting_at")
    currency = str(r.get("currency") or "USD")
    if currency.upper() != "USD":
        raise RecordError(f"amount in {currency}: only USD amounts are read", "currency")
    amount = money(r.get("amount"), "amount", divide_by=100)  # the lowest currency unit: cents
    if amount is None:
        raise RecordError("no amount", "amount")
    dims = {k: v for k, v in r.items() if k != "amount"}
    return {
        "ts": start,
        "request_id": bucket_id("anthropic-cost-report", {"starting_at": start, "ending_at": end, **dims}),
        "provider": "anthropic",
        "model": _cost_model(r),
        "tenant": r.get("workspace_id"),
        "service_tier": r.get("service_tier"),
        "region": r.get("inference_geo"),
        "reported_cost_usd": amount,
        "cost_source": "provider_report",
    }


def cost_report(ctx: Context) -> Rows:
    """Rows of an Anthropic Cost Report: one row per result with `reported_cost_usd` (the report's cents /
    100) and no tokens. Amounts not in USD, and rows whose model cannot be told (no `model`, no Claude
    model in the description), are quarantined."""
    for line, start, end, r in _buckets(ctx):
        if isinstance(r, RecordError):
            yield line, r
        elif not isinstance(r, Mapping):
            yield line, not_an_object(r)
        else:
            yield guarded(line, _cost_row, r, start, end)


def _tier(usage_type: str | None) -> str | None:
    if not usage_type:
        return None
    return USAGE_TYPES.get(usage_type.strip().lower(), usage_type)


def _model_name(text: str | None) -> str | None:
    if not text:
        return None
    return display_model(text) if " " in text.strip() else text.strip()


def _console_usage_row(rec: Mapping[str, str]) -> Row:
    model = _model_name(rec.get("model_version"))
    if not model:
        raise RecordError("column model_version is empty", "model_version")
    uncached = count(rec.get("usage_input_tokens_no_cache"), "usage_input_tokens_no_cache")
    read = count(rec.get("usage_input_tokens_cache_read"), "usage_input_tokens_cache_read")
    w5 = count(rec.get("usage_input_tokens_cache_write_5m"), "usage_input_tokens_cache_write_5m")
    w1 = count(rec.get("usage_input_tokens_cache_write_1h"), "usage_input_tokens_cache_write_1h")
    metrics = {
        "usage_input_tokens_no_cache",
        "usage_input_tokens_cache_read",
        "usage_input_tokens_cache_write_5m",
        "usage_input_tokens_cache_write_1h",
        "usage_output_tokens",
        "web_search_count",
    }
    dims = {k: v for k, v in rec.items() if k not in metrics}
    return {
        "ts": rec.get("usage_date_utc"),
        "request_id": bucket_id("anthropic-console-usage-csv", dims),
        "provider": "anthropic",
        "model": model,
        "tenant": rec.get("workspace"),
        "feature": rec.get("api_key"),
        "service_tier": _tier(rec.get("usage_type")),
        "region": rec.get("inference_geo"),
        "requests": requests_floor(uncached + read + w5 + w1, rec.get("context_window")),
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "output_tokens": count(rec.get("usage_output_tokens"), "usage_output_tokens"),
        "web_search_requests": count(rec.get("web_search_count"), "web_search_count"),
    }


def console_usage_csv(ctx: Context) -> Rows:
    """Rows of the Anthropic Console usage CSV export: one bucket row per line (a day of one model and its
    dimensions), display names of models read as ids and `usage_type` as the service tier."""
    for line, rec in csv_records(ctx.path, ctx.display, ctx.quarantine):
        yield guarded(line, _console_usage_row, rec)


def _console_cost_row(rec: Mapping[str, str]) -> Row:
    model = _model_name(rec.get("model"))
    if not model:
        raise RecordError("column model is empty: a cost that is not a model's usage", "model")
    amount = money(rec.get("cost_usd"), "cost_usd")
    if amount is None:
        raise RecordError("column cost_usd is empty", "cost_usd")
    dims = {k: v for k, v in rec.items() if k not in ("cost_usd", "list_price_usd")}
    return {
        "ts": rec.get("usage_date_utc"),
        "request_id": bucket_id("anthropic-console-cost-csv", dims),
        "provider": "anthropic",
        "model": model,
        "tenant": rec.get("workspace"),
        "feature": rec.get("api_key"),
        "service_tier": _tier(rec.get("usage_type")),
        "region": rec.get("inference_geo"),
        "reported_cost_usd": amount,
        "cost_source": "provider_report",
    }


def console_cost_csv(ctx: Context) -> Rows:
    """Rows of the Anthropic Console cost CSV export: one row per line with `reported_cost_usd` from
    `cost_usd` and no tokens; a line without a model (a cost that is not a model's usage) is quarantined."""
    for line, rec in csv_records(ctx.path, ctx.display, ctx.quarantine):
        yield guarded(line, _console_cost_row, rec)
