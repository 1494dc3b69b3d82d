"""LiteLLM daily activity (`GET /user/daily/activity`, and the team / tag variants) → one row per
model and day (see `docs/formats.md`).

The proxy's spend dashboards read its daily spend tables through these endpoints: a page is
`{"results": [{"date", "metrics", "breakdown": {"models": {MODEL: {"metrics": ...}}, "providers",
"api_keys", ...}}], "metadata": ...}`. A model's `metrics` hold `spend` (LiteLLM's own estimate,
carried for `reconcile`), `prompt_tokens` (OpenAI-style: it includes the cache reads and writes,
`cache_read_input_tokens` and `cache_creation_input_tokens`, whose TTL it does not say),
`completion_tokens` and `api_requests`. Rows get deterministic ids (`date:model`), so importing the
same days twice counts nothing twice.

The breakdown by model does not name the provider: it comes from the model's name (`anthropic/...`
or a known family), else from the day's provider breakdown when it holds a single provider.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, not_an_object
from inferonomics.ledger.readers.fields import count, money
from inferonomics.ledger.readers.jsondoc import documents, line_of
from inferonomics.ledger.readers.langfuse import provider_of


def is_daily_activity(obj: Any) -> bool:
    """Whether a JSON document is a page of LiteLLM daily activity."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("results"), list):
        return False
    sample = next((r for r in obj["results"] if isinstance(r, Mapping)), None)
    return sample is not None and "date" in sample and isinstance(sample.get("breakdown"), Mapping)


def _provider(model: str, providers: Any) -> str:
    found = provider_of(model, None)
    if found is not None:
        return found
    if isinstance(providers, Mapping) and len(providers) == 1:
        return str(next(iter(providers)))
    raise RecordError(
        f'no provider for model "{model[:60]}": the daily breakdown names none and the day used several',
        "breakdown.models",
    )


def model_row(date: Any, model: str, bucket: Mapping[str, Any], providers: Any) -> Row:
    """The ledger row of one model's day; raises `RecordError` for malformed metrics or an unknown
    provider."""
    if not date:
        raise RecordError("a day of activity without its date", "date")
    m = bucket.get("metrics")
    if not isinstance(m, Mapping):
        raise RecordError(f"breakdown.models.{model} has no metrics", f"breakdown.models.{model}.metrics")
    prompt = count(m.get("prompt_tokens"), "prompt_tokens")
    read = count(m.get("cache_read_input_tokens"), "cache_read_input_tokens")
    written = count(m.get("cache_creation_input_tokens"), "cache_creation_input_tokens")
    # Older proxies kept the cache out of prompt_tokens: a prompt smaller than the cache is uncached.
    uncached = prompt - read - written if prompt >= read + written else prompt
    spend = money(m.get("spend"), "spend")
    return {
        "ts": f"{date}T00:00:00Z",
        "request_id": f"litellm-daily:{date}:{model}",
        "provider": _provider(model, providers),
        "model": model,
        "requests": max(count(m.get("api_requests"), "api_requests"), 1),
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_other_tokens": written,
        "output_tokens": count(m.get("completion_tokens"), "completion_tokens"),
        "reported_cost_usd": spend,
        "cost_source": None if spend is None else "tool_estimate",
    }


def _day_rows(line: int, day: Mapping[str, Any]) -> Iterator[tuple[int, Row | RecordError]]:
    breakdown = day.get("breakdown")
    models = breakdown.get("models") if isinstance(breakdown, Mapping) else None
    if not isinstance(models, Mapping):
        yield line, RecordError("no breakdown by model for this day", "breakdown.models")
        return
    providers = breakdown.get("providers") if isinstance(breakdown, Mapping) else None
    for model, bucket in models.items():
        if not isinstance(bucket, Mapping):
            yield line, RecordError(f"breakdown.models.{model} is not an object", "breakdown.models")
            continue
        try:
            yield line, model_row(day.get("date"), str(model), bucket, providers)
        except RecordError as e:
            yield line, e


def read(ctx: Context) -> Rows:
    """Rows of saved daily-activity pages (one page, JSON lines of pages, or a list of them): one per
    model and day."""
    for doc_line, doc in documents(ctx.path, ctx.display, ctx.quarantine):
        for page in doc if isinstance(doc, list) else [doc]:
            if not isinstance(page, Mapping):
                yield doc_line, not_an_object(page)
                continue
            for day in page.get("results") or []:
                if not isinstance(day, Mapping):
                    yield doc_line, not_an_object(day)
                    continue
                yield from _day_rows(line_of(day, doc_line), day)
