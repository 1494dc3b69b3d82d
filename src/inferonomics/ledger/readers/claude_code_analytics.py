"""Anthropic's Claude Code Analytics API (`GET /v1/organizations/usage_report/claude_code`) → one
row per user, day and model (see `docs/formats.md`).

A page is `{"data": [record...], "has_more", "next_page"}`; each record is one actor (a user by
`email_address`, or an API key by `api_key_name`) on one UTC `date`, with productivity metrics and a
`model_breakdown`: per model, `tokens` (`input`, `output`, `cache_read`, `cache_creation`) and
`estimated_cost` (`amount` in minor currency units: cents for USD), which `reconcile` compares with
our price. The report gives no request count and no cache-write TTL: a row holds the fewest requests
that keep its average request under the 200k long-context threshold (`fields.requests_floor`), and
its cache writes are of unknown TTL (`cache_write_other_tokens`, billed at the 5-minute rate).
Rows get deterministic ids (day, actor, model), so importing the same days twice counts nothing
twice. Records of subscription users (`customer_type` "subscription", Pro / Max / Team plans) are
priced at API rates like the others, and counted in the notes: a plan does not bill per token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import count, dig, first, money, requests_floor
from inferonomics.ledger.readers.jsondoc import documents, line_of

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SUBSCRIPTION_NOTE = "Claude Code records of subscription users: priced at API rates, not billed per token"


def is_record(obj: Any) -> bool:
    """Whether a JSON object is one Claude Code Analytics record (an actor's day)."""
    return isinstance(obj, Mapping) and isinstance(obj.get("model_breakdown"), list) and "actor" in obj


def _actor(record: Mapping[str, Any]) -> str:
    actor = record.get("actor")
    name = first(dig(actor, "email_address"), dig(actor, "api_key_name"))
    if name is None:
        raise RecordError("the record's actor has neither email_address nor api_key_name", "actor")
    return str(name)


def model_row(record: Mapping[str, Any], item: Any) -> Row:
    """The ledger row of one model of an actor's day; raises `RecordError` when a field is missing or
    malformed."""
    date = record.get("date")
    if not isinstance(date, str) or not date:
        raise RecordError("a record without its date", "date")
    if not isinstance(item, Mapping):
        raise RecordError("a model_breakdown entry is not an object", "model_breakdown")
    model = item.get("model")
    if not model:
        raise RecordError("a model_breakdown entry without its model", "model_breakdown.model")
    tokens = item.get("tokens")
    if not isinstance(tokens, Mapping):
        raise RecordError(f"model_breakdown {model}: no tokens object", "model_breakdown.tokens")
    uncached = count(tokens.get("input"), "tokens.input")
    read = count(tokens.get("cache_read"), "tokens.cache_read")
    written = count(tokens.get("cache_creation"), "tokens.cache_creation")
    cost = item.get("estimated_cost")
    currency = dig(cost, "currency")
    if currency not in (None, "USD"):
        raise RecordError(
            f"estimated_cost in {str(currency)[:10]}: only USD is read", "estimated_cost.currency"
        )
    reported = money(dig(cost, "amount"), "estimated_cost.amount", divide_by=100)
    actor = _actor(record)
    return {
        "ts": f"{date}T00:00:00Z" if _DAY.match(date) else date,
        "request_id": f"claude-code-analytics:{date[:10]}:{actor}:{model}",
        "provider": "anthropic",
        "model": str(model),
        "tenant": record.get("organization_id"),
        "user": actor,
        "feature": "claude-code",
        "requests": requests_floor(uncached + read + written, None),
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_other_tokens": written,
        "output_tokens": count(tokens.get("output"), "tokens.output"),
        "reported_cost_usd": reported,
        "cost_source": None if reported is None else "provider_report",
    }


def _records(doc: Any, doc_line: int) -> Iterator[tuple[int, Any]]:
    for page in doc if isinstance(doc, list) else [doc]:
        if isinstance(page, Mapping) and isinstance(page.get("data"), list):
            for record in page["data"]:
                yield line_of(record, doc_line), record
        else:  # a record saved on its own (JSON lines of records)
            yield line_of(page, doc_line), page


def read(ctx: Context) -> Rows:
    """Rows of saved Claude Code Analytics pages (one page, JSON lines of pages or of records, or a list
    of them): one per actor, day and model."""
    for doc_line, doc in documents(ctx.path, ctx.display, ctx.quarantine):
        for line, record in _records(doc, doc_line):
            if not isinstance(record, Mapping):
                yield line, not_an_object(record)
                continue
            if not is_record(record):
                yield (
                    line,
                    RecordError("not a Claude Code Analytics record (expected actor, model_breakdown)"),
                )
                continue
            if record.get("customer_type") == "subscription":
                ctx.notes[SUBSCRIPTION_NOTE] += 1
            if not record["model_breakdown"]:
                ctx.notes["Claude Code records with no model_breakdown (no tokens that day)"] += 1
            for item in record["model_breakdown"]:
                yield guarded(line_of(item, line), model_row, record, item)
