"""Describing the price book: the rates in force for a model, with their sources; listings."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pyarrow as pa

from inferonomics.catalog.book import ModelMatch, PriceBook, Resolved, Unpriced, modality_what
from inferonomics.catalog.matching import exact_names, nearest
from inferonomics.catalog.schema import MODALITY_RATE_FIELDS
from inferonomics.errors import UnknownModelError

RATE_LABELS = (
    ("input_usd_per_mtok", "input", "MTok"),
    ("cache_read_usd_per_mtok", "cache read", "MTok"),
    ("cache_write_5m_usd_per_mtok", "cache write 5m", "MTok"),
    ("cache_write_1h_usd_per_mtok", "cache write 1h", "MTok"),
    ("cache_write_other_usd_per_mtok", "cache write (other TTL)", "MTok"),
    ("output_usd_per_mtok", "output", "MTok"),
    ("reasoning_usd_per_mtok", "reasoning", "MTok"),
    *((name, modality_what(name), "MTok") for name in MODALITY_RATE_FIELDS),
    ("web_search_usd_per_k", "web search", "1k"),
    ("request_usd_per_k", "per request", "1k"),
)


def list_providers(book: PriceBook) -> pa.Table:
    """One row per provider of the book, in book order: id, name, number of models and first pricing page
    (None without one)."""
    rows = [
        {
            "provider": p.id,
            "name": p.name,
            "models": len(p.models),
            "pricing": next(iter(p.pricing_urls), None),
        }
        for p in book.providers.values()
    ]
    return pa.Table.from_pylist(rows)


def list_models(book: PriceBook, provider: str, at: dt.datetime) -> pa.Table:
    """One row per model `provider` lists itself (not its fallback providers' models): standard input,
    output and cache-read USD per MTok in force at `at` (naive UTC; None when unpriced) and whether it is
    deprecated. An unknown provider raises `UnknownModelError`."""
    found = book.find_provider(provider)
    if found is None:
        hint = nearest(provider, book.providers)
        raise UnknownModelError(
            f"unknown provider '{provider}'" + (f" (nearest: {', '.join(hint)})" if hint else "")
        )
    rows: list[dict[str, Any]] = []
    for m in found.models:
        r = book.resolve(ModelMatch(found, m), "standard", None, at, at.weekday(), _tod(at), 0)
        rows.append(
            {
                "model": m.id,
                "input_usd_per_mtok": None if isinstance(r, Unpriced) else r.input_usd_per_mtok,
                "output_usd_per_mtok": None if isinstance(r, Unpriced) else r.output_usd_per_mtok,
                "cache_read_usd_per_mtok": None if isinstance(r, Unpriced) else r.cache_read_usd_per_mtok,
                "deprecated": m.deprecated,
            }
        )
    return pa.Table.from_pylist(rows)


STALE_SCHEMA = pa.schema(
    [
        pa.field("entry", pa.string()),
        pa.field("valid_from", pa.string()),
        pa.field("checked", pa.date32()),
        pa.field("days", pa.int64()),
        pa.field("layer", pa.string()),
        pa.field("source", pa.string()),
    ]
)


def stale_entries(book: PriceBook, days: int, today: dt.date) -> tuple[pa.Table, int]:
    """(entries, undated): every dated price (a model period, a tier, residency or batch rule) whose
    `checked` date is more than `days` before `today`, oldest first; and how many periods carry no
    `checked` date at all (the bulk import's, dated by its import as a whole)."""
    rows: list[dict[str, Any]] = []
    undated = 0

    def add(entry: str, valid_from: dt.datetime | None, origin: Any) -> None:
        nonlocal undated
        if origin.checked is None:
            undated += 1
            return
        age = (today - origin.checked).days
        if age > days:
            rows.append(
                {
                    "entry": entry,
                    "valid_from": valid_from.isoformat(sep=" ") if valid_from else "(first)",
                    "checked": origin.checked,
                    "days": age,
                    "layer": origin.layer,
                    "source": origin.source,
                }
            )

    for p in book.providers.values():
        for m in p.models:
            for e in m.periods:
                add(m.key, e.period.valid_from, e.origin)
    for rule, origin in book.tier_rules:
        add(f"{rule.provider} {rule.tier} rule", rule.valid_from, origin)
    for rrule, origin in book.residency_rules:
        add(f"{rrule.provider} residency rule", rrule.valid_from, origin)
    rows.sort(key=lambda r: (r["checked"], r["entry"]))
    return pa.Table.from_pylist(rows, schema=STALE_SCHEMA), undated


def _tod(at: dt.datetime) -> int:
    return at.hour * 3600 + at.minute * 60 + at.second


def describe_model(
    book: PriceBook,
    model: str,
    *,
    provider: str | None,
    at: dt.datetime,
    tier: str = "standard",
    region: str | None = None,
) -> dict[str, Any]:
    """Everything about a model's price at an instant: rates (all tiers and windows), sources."""
    if provider is None:
        prefix, sep, rest = model.partition("/")
        if sep and book.find_provider(prefix) is not None:
            provider, model = prefix, rest
        else:
            provider = _guess_provider(book, model)
    if provider is None:
        pool = book.model_names()
        hint = nearest(model, [k.split("/", 1)[1] for k in pool])
        raise UnknownModelError(
            f"unknown model '{model}'"
            + (f" (nearest: {', '.join(hint)})" if hint else "")
            + "; name the provider with --provider or as PROVIDER/MODEL"
        )
    found = book.find_model(provider, model)
    if isinstance(found, Unpriced):
        raise UnknownModelError(found.reason)
    if tier not in ("standard", "batch", "flex", "priority"):
        raise UnknownModelError(f"unknown service tier '{tier}' (standard, batch, flex or priority)")
    m = found.model
    base = book.resolve(found, tier, region, at, at.weekday(), _tod(at), 0)
    matched = how_matched(book, provider, model)
    info: dict[str, Any] = {
        "provider": found.provider.id,
        "model": m.id,
        "name": m.name,
        "asked": model,
        "match": matched["status"],
        "at": at.isoformat(sep=" ") + "Z",
        "service_tier": tier,
        "region": region,
        "context_window": m.context_window,
    }
    if isinstance(base, Unpriced):
        info["unpriced"] = base.reason
        info["history"] = _history(m)
        return info
    info["rates"] = _rates(base)
    info["entry"] = base.entry
    info["sources"] = list(dict.fromkeys(o.describe() for o in base.origins))
    notes = [o.note for o in base.origins if o.note]
    if notes:
        info["notes"] = notes
    tiers = []
    thresholds = sorted(
        {t.above_input_tokens for e in m.periods if e.valid_from <= at for t in e.period.tiers}
        | {t.above_input_tokens for e in m.tier_periods.get(tier, []) for t in e.period.tiers}
    )
    for threshold in thresholds:
        r = book.resolve(found, tier, region, at, at.weekday(), _tod(at), threshold + 1)
        if isinstance(r, Resolved):
            tiers.append({"above_input_tokens": threshold, "rates": _rates(r)})
    if tiers:
        info["long_context"] = tiers
    windows = []
    current = [e for e in m.periods if e.valid_from <= at]
    if current:
        for w in current[-1].period.windows:
            day = [
                d
                for d in range(7)
                if w.weekdays and ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] in w.weekdays
            ]
            probe = at - dt.timedelta(days=at.weekday() - day[0]) if day else at
            instant = dt.datetime.combine(probe.date(), w.start)
            r = book.resolve(found, tier, region, at, instant.weekday(), _tod(instant), 0)
            if isinstance(r, Resolved):
                windows.append(
                    {
                        "label": w.label,
                        "weekdays": w.weekdays,
                        "utc": f"{w.start:%H:%M}-{w.end:%H:%M}",
                        "rates": _rates(r),
                    }
                )
    if windows:
        info["windows"] = windows
    info["history"] = _history(m)
    return info


def _guess_provider(book: PriceBook, model: str) -> str | None:
    """The first provider (direct sellers first) that knows the model name."""
    preferred = ["anthropic", "openai", "google", "deepseek", "x-ai", "mistral", "moonshotai"]
    order = preferred + [p for p in book.providers if p not in preferred]
    for pid in order:
        if pid in book.providers and not isinstance(book.find_model(pid, model), Unpriced):
            return pid
    return None


def _rates(r: Resolved) -> dict[str, Decimal | None]:
    return {name: r.rate(name) for name, _, _ in RATE_LABELS}


def _history(m: Any) -> list[dict[str, Any]]:
    out = []
    for e in m.periods:
        r = e.period.rates
        out.append(
            {
                "valid_from": e.period.valid_from.isoformat(sep=" ") if e.period.valid_from else "(first)",
                "input_usd_per_mtok": r.input_usd_per_mtok,
                "output_usd_per_mtok": r.output_usd_per_mtok,
                "modality": {
                    name: getattr(r, name) for name in MODALITY_RATE_FIELDS if getattr(r, name) is not None
                },
                "windows": len(e.period.windows),
                "tiers": len(e.period.tiers),
                "source": e.origin.describe(),
                "note": e.origin.note,
            }
        )
    return out


# A name that extends a known one by a date, a version or a region is that name (a snapshot, an
# inference profile), not a near match.
_SUFFIX = re.compile(r"^(?:[-@:.](?:\d{8}|\d{4}-\d{2}-\d{2}|\d{4}|latest|v\d+(?::\d+)?|\d+))*$")
_PREFIX = re.compile(r"^(?:(?:[a-z]{2,6}|global|regional)\.)*(?:[a-z0-9_.-]+/)?$")

MATCH_KINDS = ("exact", "alias", "near", "unknown")
"""How a ledger's model name meets the book, from the surest to the least sure (see `how_matched`)."""


def _decorates(leaf: str, name: str) -> bool:
    """Whether `name` is `leaf` with only a region or provider prefix and a date or version suffix."""
    if not leaf or leaf not in name:
        return False
    before, after = name.split(leaf, 1)
    return _PREFIX.match(before) is not None and _SUFFIX.match(after) is not None


def match_kind(book: PriceBook, found: ModelMatch, model: str) -> str:
    """`exact`, `alias` or `near` for a model name the book found (see `how_matched`)."""
    m = found.model
    name = model.strip().lower()
    prefix, sep, rest = name.partition("/")
    bare = rest if sep and book.find_provider(prefix) is not None else name
    if bare == m.id.lower():
        return "exact"
    named = {a.lower() for a in m.aliases} | {n.lower() for n in exact_names(m.match)}
    if bare in named:
        return "alias"
    leaves = {m.id.lower(), *named, *(n.lower() for n in _leaves(m.match))}
    return "alias" if any(_decorates(leaf, name) for leaf in leaves) else "near"


def how_matched(book: PriceBook, provider: str, model: str) -> dict[str, Any]:
    """How a ledger's (provider, model) names meet the book. `status` is `exact` (the model's id,
    with a `provider/` prefix at most), `alias` (another name the book gives the model: an alias, a
    name its clause tree spells out, or the id or one of those with a date, version or region around
    it, e.g. a dated snapshot), `near` (a prefix or pattern clause matched a name that is more than
    that: worth checking) or `unknown` (`reason` names the nearest known names); `matched` is the
    `provider/model` key priced (absent when unknown)."""
    found = book.find_model(provider, model)
    if isinstance(found, Unpriced):
        return {"provider": provider, "model": model, "status": "unknown", "reason": found.reason}
    return {
        "provider": provider,
        "model": model,
        "status": match_kind(book, found, model),
        "matched": found.model.key,
    }


def _leaves(clause: Any) -> list[str]:
    if clause is None:
        return []
    out = [v for v in (clause.equals, clause.starts_with, clause.contains) if v]
    for sub in (clause.any_of or []) + (clause.all_of or []):
        out.extend(_leaves(sub))
    return out
