"""OpenAI's aggregated usage and cost data → bucket rows (see `shared/reference/usage_formats.md`
§2.4-2.6 and `docs/formats.md`).

* Usage API (`/v1/organization/usage/completions`, and `.../embeddings`): pages of time buckets
  whose results count `input_tokens` *including* cached and cache-write tokens; the uncached part
  is `input_uncached_tokens` (or input − cached − cache writes when an older export lacks it).
  `num_model_requests` is the bucket's request count; `batch: true` is the batch tier. The audio
  and image counts (`input_audio_tokens`, `input_cached_audio_tokens`, `output_image_tokens`...)
  become the ledger's modality parts.
* Costs API (`/v1/organization/costs`): amounts in USD per day and line item ("gpt-5-nano,
  input_tokens"); cost rows carry no tokens, only `reported_cost_usd`.
* Dashboard exports: the cost CSV (amount_value per line item) and the activity CSV (the Usage
  API's result columns with `start_time`/`start_time_iso`), read by header name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import bucket_id, count, dig, first, instant, money
from inferonomics.ledger.readers.jsondoc import documents, items, line_of
from inferonomics.ledger.readers.text import csv_records

COMPLETIONS = "organization.usage.completions.result"
EMBEDDINGS = "organization.usage.embeddings.result"
COSTS = "organization.costs.result"
USAGE_METRICS = frozenset(
    {
        "input_tokens",
        "input_cached_tokens",
        "input_cache_write_tokens",
        "input_uncached_tokens",
        "input_text_tokens",
        "input_image_tokens",
        "input_audio_tokens",
        "input_cached_text_tokens",
        "input_cached_image_tokens",
        "input_cached_audio_tokens",
        "output_tokens",
        "output_text_tokens",
        "output_image_tokens",
        "output_audio_tokens",
        "num_model_requests",
    }
)
MODALITY_METRICS = {
    "input_audio_tokens": "input_audio_tokens",
    "input_image_tokens": "input_image_tokens",
    "input_cached_audio_tokens": "cache_read_audio_tokens",
    "input_cached_image_tokens": "cache_read_image_tokens",
    "output_audio_tokens": "output_audio_tokens",
    "output_image_tokens": "output_image_tokens",
}
"""Usage API modality counts → ledger parts. In the schema with the cached split by modality
(`input_uncached_tokens`, `input_cached_audio_tokens`...), `input_audio_tokens` / `input_image_tokens`
are uncached and `input_cached_*` are parts of the cached tokens; text is the rest. In the older
schema (OpenAPI 2.3.0: `input_audio_tokens` "including cached tokens", no cached split), they are
uncached only when the bucket has no cached tokens."""
SPLIT_SCHEMA_FIELDS = (
    "input_uncached_tokens",
    "input_text_tokens",
    "input_cached_text_tokens",
    "input_cached_audio_tokens",
    "input_cached_image_tokens",
)
ACTIVITY_CSV_HEADER = ("model", "input_tokens", "output_tokens", "num_model_requests")
COST_CSV_HEADER = ("amount_value", "amount_currency", "line_item")


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def _usage_row(fmt: str, r: Mapping[str, Any], start: Any, end: Any, skip: Any) -> Row | None:
    """A Usage API result (or an activity-CSV record) as a row; None for an empty result."""
    kind = r.get("object") or COMPLETIONS
    if kind not in (COMPLETIONS, EMBEDDINGS):
        raise RecordError(f"{kind} results are not token usage of a model: not read", "object")
    total_in = count(r.get("input_tokens"), "input_tokens")
    cached = count(r.get("input_cached_tokens"), "input_cached_tokens")
    written = count(r.get("input_cache_write_tokens"), "input_cache_write_tokens")
    output = count(r.get("output_tokens"), "output_tokens")
    requests = count(r.get("num_model_requests"), "num_model_requests")
    if first(r.get("input_uncached_tokens")) is not None:
        uncached = count(r.get("input_uncached_tokens"), "input_uncached_tokens")
        if uncached + cached + written != total_in and total_in:
            raise RecordError(
                f"input_uncached_tokens ({uncached}) + input_cached_tokens ({cached}) + "
                f"input_cache_write_tokens ({written}) do not add up to input_tokens ({total_in})",
                "input_uncached_tokens",
            )
    else:
        uncached = total_in - cached - written
        if uncached < 0:
            raise RecordError(
                f"input_cached_tokens ({cached}) + input_cache_write_tokens ({written}) exceed input_tokens "
                f"({total_in}) (OpenAI counts cached tokens inside input_tokens)",
                "input_cached_tokens",
            )
    if requests == 0:
        if uncached + cached + written + output == 0:
            skip["empty results skipped (no requests, no tokens)"] += 1
            return None
        raise RecordError("num_model_requests is 0 but the result has tokens", "num_model_requests")
    model = r.get("model")
    if not model:
        raise RecordError(
            "no model: fetch the usage grouped by model (group_by=model) so it can be priced", "model"
        )
    dims = {k: v for k, v in r.items() if k not in USAGE_METRICS}
    parts = {ours: count(r.get(theirs), theirs) for theirs, ours in MODALITY_METRICS.items()}
    split = any(first(r.get(k)) is not None for k in SPLIT_SCHEMA_FIELDS)
    if not split and cached and (parts["input_audio_tokens"] or parts["input_image_tokens"]):
        # The older schema counts cached tokens inside input_audio_tokens / input_image_tokens and
        # does not say how many of them were cached: which rate applies cannot be told.
        raise RecordError(
            f"input_audio_tokens ({parts['input_audio_tokens']}) / input_image_tokens "
            f"({parts['input_image_tokens']}) include cached tokens ({cached}) with no split by "
            "modality (input_cached_audio_tokens...): cannot tell which rate applies",
            "input_audio_tokens",
        )
    for bucket, whole in (("input", uncached), ("cache_read", cached), ("output", output)):
        of = {k: v for k, v in parts.items() if k.startswith(bucket + "_") and v}
        if sum(of.values()) > whole:
            names = " + ".join(f"{k} ({v})" for k, v in of.items())
            raise RecordError(
                f"{names} exceed the {bucket.replace('_', ' ')} tokens ({whole})", next(iter(of))
            )
    return {
        "ts": start,
        "request_id": bucket_id(fmt, {"start_time": start, "end_time": end, **dims}),
        "provider": "openai",
        "model": model,
        "tenant": r.get("project_id"),
        "user": r.get("user_id"),
        "feature": r.get("api_key_id"),
        "service_tier": "batch" if _truthy(r.get("batch")) else r.get("service_tier"),
        "requests": requests,
        "input_tokens": uncached,
        "cache_read_tokens": cached,
        "cache_write_other_tokens": written,  # OpenAI's cache writes have a 30-minute TTL
        "output_tokens": output,
        **{k: v for k, v in parts.items() if v},
    }


def _buckets(ctx: Context) -> Any:
    for doc_line, doc in documents(ctx.path, ctx.display, ctx.quarantine):
        for line, bucket in items(doc, doc_line):
            if not isinstance(bucket, Mapping) or not isinstance(bucket.get("results"), list):
                yield (
                    line,
                    None,
                    None,
                    RecordError("not a usage bucket (expected start_time, end_time, results)"),
                )
                continue
            start = bucket.get("start_time")
            start_iso = instant(start, "start_time") if start is not None else None
            end = bucket.get("end_time")
            for result in bucket["results"]:
                yield line_of(result, line), start_iso, end, result


def usage_api(ctx: Context) -> Rows:
    """Rows of OpenAI Usage API pages (completions or embeddings): one bucket row per result, at the
    bucket's start, with its `num_model_requests`. Uncached input is `input_uncached_tokens` (else input −
    cached − cache writes); cache writes go to the other-TTL column; `batch: true` is the batch tier. Empty
    results are skipped and counted in the notes."""
    for line, start, end, r in _buckets(ctx):
        if isinstance(r, RecordError):
            yield line, r
            continue
        if not isinstance(r, Mapping):
            yield line, not_an_object(r)
            continue
        if start is None:
            yield line, RecordError("the bucket has no start_time", "start_time")
            continue
        try:
            row = _usage_row("openai-usage-api", r, start, end, ctx.notes)
        except RecordError as e:
            yield line, e
            continue
        if row is not None:
            yield line, row


def _line_item(text: str) -> tuple[str, str]:
    """("gpt-5-nano", "input_tokens") from "gpt-5-nano, input_tokens"."""
    model, sep, kind = text.partition(",")
    if not sep or not model.strip():
        raise RecordError(
            f'line item "{text[:60]}" names no model: a cost that is not a model\'s token usage', "line_item"
        )
    return model.strip(), kind.strip().lower()


def _cost_row(fmt: str, r: Mapping[str, Any], start: Any, end: Any, value: Any, currency: Any) -> Row:
    if str(currency or "usd").lower() != "usd":
        raise RecordError(f"amount in {currency}: only USD amounts are read", "currency")
    amount = money(value, "amount.value")
    if amount is None:
        raise RecordError("no amount", "amount")
    line_item = r.get("line_item")
    if not line_item:
        raise RecordError(
            "no line_item: fetch the costs grouped by line_item (group_by=line_item) so costs can be "
            "matched to models",
            "line_item",
        )
    model, kind = _line_item(str(line_item))
    dims = {k: v for k, v in r.items() if k not in ("amount", "amount_value", "quantity")}
    return {
        "ts": start,
        "request_id": bucket_id(fmt, {"start_time": start, "end_time": end, **dims}),
        "provider": "openai",
        "model": model,
        "tenant": first(r.get("project_name"), r.get("project_id")),
        "user": first(r.get("user_email"), r.get("user_id")),
        "feature": r.get("api_key_id"),
        "service_tier": "batch" if "batch" in kind else None,
        "reported_cost_usd": amount,
        "cost_source": "provider_report",
    }


def costs_api(ctx: Context) -> Rows:
    """Rows of OpenAI Costs API pages: one row per result with `reported_cost_usd` and no tokens, the model
    taken from the line item (`gpt-5-nano, input_tokens`; a batch line item is the batch tier). Amounts not
    in USD and line items that name no model are quarantined."""
    for line, start, end, r in _buckets(ctx):
        if isinstance(r, RecordError):
            yield line, r
        elif not isinstance(r, Mapping):
            yield line, not_an_object(r)
        elif start is None:
            yield line, RecordError("the bucket has no start_time", "start_time")
        else:
            yield guarded(
                line,
                _cost_row,
                "openai-costs-api",
                r,
                start,
                end,
                dig(r, "amount", "value"),
                dig(r, "amount", "currency"),
            )


def _csv_start(rec: Mapping[str, str]) -> str:
    iso = (rec.get("start_time_iso") or "").strip()
    if iso:
        return iso if iso.endswith("Z") or "+" in iso[10:] else iso + "Z"  # the export's times are UTC
    epoch = (rec.get("start_time") or "").strip()
    if epoch.isdigit():
        return instant(int(epoch), "start_time")
    raise RecordError("no start_time_iso or start_time", "start_time")


def dashboard_cost_csv(ctx: Context) -> Rows:
    """Rows of the OpenAI dashboard cost CSV export, read as `costs_api` reads a result; lines without an
    amount (quantity only) are skipped and counted in the notes."""
    for line, rec in csv_records(ctx.path, ctx.display, ctx.quarantine):
        if not (rec.get("amount_value") or "").strip():
            ctx.notes["rows with no amount skipped (quantity-only rows)"] += 1
            continue
        try:
            start = _csv_start(rec)
        except RecordError as e:
            yield line, e
            continue
        yield guarded(
            line,
            _cost_row,
            "openai-dashboard-cost-csv",
            rec,
            start,
            rec.get("end_time_iso") or rec.get("end_time"),
            rec.get("amount_value"),
            rec.get("amount_currency"),
        )


def dashboard_activity_csv(ctx: Context) -> Rows:
    """Rows of the OpenAI dashboard activity CSV export, read as `usage_api` reads a result (empty cells as
    absent), each at its `start_time_iso` (UTC) or epoch `start_time`."""
    for line, rec in csv_records(ctx.path, ctx.display, ctx.quarantine):
        try:
            start = _csv_start(rec)
            clean = {k: v for k, v in rec.items() if v != "" and k not in ("start_time", "start_time_iso")}
            row = _usage_row("openai-dashboard-usage-csv", clean, start, rec.get("end_time"), ctx.notes)
        except RecordError as e:
            yield line, e
            continue
        if row is not None:
            yield line, row
