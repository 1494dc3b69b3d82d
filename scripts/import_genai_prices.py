"""Convert the pinned genai-prices package's data into the price book's own tables.

Run after bumping the pinned version in pyproject.toml:

    python scripts/import_genai_prices.py

It writes `src/inferonomics/catalog/data/genai_prices.json` (our schema, decimals as strings) and
prints what it could not carry over. The conversion keeps genai-prices' semantics exactly:

* conditional prices ("the last active entry wins") become dated periods; a time-of-day entry that
  comes after a period's base entry becomes a window of that period, one that comes before it is
  shadowed and dropped;
* per-key tiered prices (a cliff on total input tokens) become long-context tiers at the union of
  thresholds;
* price variants `processing=batch`, `service_tier=flex|priority` become tier prices (partial rates,
  the rest falling back to standard), with their start dates;
* modality token rates (audio, image, video input, cache reads and output) become the book's
  modality rates;
* usage units the ledger does not carry (audio hours, document pages, storage searches...) are
  left out.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import genai_prices
from genai_prices import data as gp_data
from genai_prices import types as gp

OUT = Path(__file__).resolve().parents[1] / "src" / "inferonomics" / "catalog" / "data" / "genai_prices.json"

KEY_MAP = {
    "input_mtok": "input_usd_per_mtok",
    "cache_read_mtok": "cache_read_usd_per_mtok",
    "cache_write_mtok": "cache_write_5m_usd_per_mtok",
    "cache_write_1h_mtok": "cache_write_1h_usd_per_mtok",
    "output_mtok": "output_usd_per_mtok",
    "output_reasoning_mtok": "reasoning_usd_per_mtok",
    # Modality rates. genai-prices counts a modality as part of its parent unit (input_audio within
    # input, cache_audio_read within cache_read); the ledger's modality columns are parts of their
    # bucket too, so each rate carries over as it is.
    "input_audio_mtok": "input_audio_usd_per_mtok",
    "input_image_mtok": "input_image_usd_per_mtok",
    "input_video_mtok": "input_video_usd_per_mtok",
    "cache_audio_read_mtok": "cache_read_audio_usd_per_mtok",
    "cache_image_read_mtok": "cache_read_image_usd_per_mtok",
    "cache_video_read_mtok": "cache_read_video_usd_per_mtok",
    "output_audio_mtok": "output_audio_usd_per_mtok",
    "output_image_mtok": "output_image_usd_per_mtok",
    "output_video_mtok": "output_video_usd_per_mtok",
    "web_searches_kcount": "web_search_usd_per_k",
    "requests_kcount": "request_usd_per_k",
}
TIER_OF_VARIANT = {
    ("processing", "batch"): "batch",
    ("service_tier", "flex"): "flex",
    ("service_tier", "priority"): "priority",
}

dropped_units: Counter[str] = Counter()
skipped_variants: Counter[str] = Counter()


def clause(c: Any) -> dict[str, Any]:
    if isinstance(c, gp.ClauseEquals):
        return {"equals": c.equals.lower()}
    if isinstance(c, gp.ClauseStartsWith):
        return {"starts_with": c.starts_with.lower()}
    if isinstance(c, gp.ClauseEndsWith):
        return {"ends_with": c.ends_with.lower()}
    if isinstance(c, gp.ClauseContains):
        return {"contains": c.contains.lower()}
    if isinstance(c, gp.ClauseRegex):
        return {"regex": c.regex}
    if isinstance(c, gp.ClauseOr):
        return {"or": [clause(x) for x in c.or_]}
    if isinstance(c, gp.ClauseAnd):
        return {"and": [clause(x) for x in c.and_]}
    raise TypeError(f"unknown clause {c!r}")


def dec(v: Decimal) -> str:
    return format(v.normalize(), "f")


def rates_and_tiers(mp: gp.ModelPrice) -> tuple[dict[str, str], list[dict[str, Any]]]:
    base: dict[str, str] = {}
    tiered: dict[str, gp.TieredPrices] = {}
    for key, value in mp.__dict__.items():
        if value is None or key.startswith("_"):
            continue
        ours = KEY_MAP.get(key)
        if ours is None:
            dropped_units[key] += 1
            continue
        if isinstance(value, gp.TieredPrices):
            base[ours] = dec(value.base)
            tiered[ours] = value
        else:
            base[ours] = dec(value)
    starts = sorted({t.start for tp in tiered.values() for t in tp.tiers})
    tiers = []
    for start in starts:
        rates = {}
        for ours, tp in tiered.items():
            applicable = tp.base
            for t in tp.tiers:  # sorted ascending by genai-prices
                if t.start <= start:
                    applicable = t.price
            rates[ours] = dec(applicable)
        tiers.append({"above_input_tokens": start, "rates": rates})
    return base, tiers


def date_of(constraint: Any) -> str | None:
    if constraint is None:
        return None
    return dt.datetime.combine(constraint.start_date, dt.time()).isoformat()


def window_of(constraint: gp.TimeOfDateConstraint, mp: gp.ModelPrice) -> dict[str, Any]:
    rates, tiers = rates_and_tiers(mp)

    def hhmm(t: dt.time) -> str:
        if t.tzinfo is not None:
            t = (dt.datetime.combine(dt.date(2000, 1, 3), t) - (t.utcoffset() or dt.timedelta())).time()
        return t.replace(tzinfo=None).isoformat()

    return {
        "start": hhmm(constraint.start_time),
        "end": hhmm(constraint.end_time),
        "label": "time-of-day",
        "rates": rates,
        "tiers": tiers,
    }


def periods_of(model: gp.ModelInfo) -> list[dict[str, Any]]:
    if isinstance(model.prices, gp.ModelPrice):
        rates, tiers = rates_and_tiers(model.prices)
        return [{"valid_from": None, "rates": rates, "tiers": tiers}]
    entries = model.prices
    # Breakpoints: every start date. For each interval, the base is the last entry in list order
    # that is unconstrained or date-active; time-of-day entries after it become its windows.
    dates = sorted(
        {e.constraint.start_date for e in entries if isinstance(e.constraint, gp.StartDateConstraint)}
    )
    starts: list[dt.date | None] = [None, *dates]
    periods = []
    for start in starts:
        base_idx = None
        for i, e in enumerate(entries):
            c = e.constraint
            if c is None or (
                isinstance(c, gp.StartDateConstraint) and start is not None and c.start_date <= start
            ):
                base_idx = i
        if base_idx is None:
            base_idx = 0  # genai-prices falls back to the first entry when nothing is active
        base = entries[base_idx]
        rates, tiers = rates_and_tiers(base.prices)
        windows = [
            window_of(e.constraint, e.prices)
            for e in reversed(entries[base_idx + 1 :])  # later entries win: first match wins here
            if isinstance(e.constraint, gp.TimeOfDateConstraint)
        ]
        valid_from = None if start is None else dt.datetime.combine(start, dt.time()).isoformat()
        periods.append({"valid_from": valid_from, "rates": rates, "tiers": tiers, "windows": windows})
    # Drop a leading period identical to the next (a model whose first entry is dated).
    deduped: list[dict[str, Any]] = []
    for p in periods:
        if deduped and {k: v for k, v in p.items() if k != "valid_from"} == {
            k: v for k, v in deduped[-1].items() if k != "valid_from"
        }:
            continue
        deduped.append(p)
    return deduped


def tier_prices_of(model: gp.ModelInfo) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for v in model.price_variants or []:
        items = tuple(sorted(v.when.items()))
        if len(items) != 1 or items[0] not in TIER_OF_VARIANT:
            skipped_variants[",".join(f"{k}={val}" for k, val in items)] += 1
            continue
        if v.constraint is not None and not isinstance(v.constraint, gp.StartDateConstraint):
            skipped_variants["time-of-day variant"] += 1
            continue
        # An empty variant is a statement too: the tier is billed at the standard price.
        rates, tiers = rates_and_tiers(v.prices)
        out.setdefault(TIER_OF_VARIANT[items[0]], []).append(
            {"valid_from": date_of(v.constraint), "rates": rates, "tiers": tiers}
        )
    return out


def main() -> int:
    providers = []
    for p in gp_data.providers:
        models = []
        for m in p.models:
            entry: dict[str, Any] = {
                "id": m.id,
                "name": m.name,
                "match": clause(m.match),
                "context_window": m.context_window,
                "deprecated": bool(m.deprecated),
                "prices": periods_of(m),
            }
            tp = tier_prices_of(m)
            if tp:
                entry["tier_prices"] = tp
            models.append(entry)
        providers.append(
            {
                "id": p.id,
                "name": p.name,
                "match": clause(p.provider_match) if p.provider_match else None,
                "fallback_providers": list(p.fallback_model_providers or []),
                "pricing_urls": list(p.pricing_urls or []),
                "models": models,
            }
        )
    book = {
        "source_package": "genai-prices",
        "source_version": genai_prices.__version__,
        "source_url": "https://github.com/pydantic/genai-prices",
        "converted": dt.date.today().isoformat(),
        "providers": providers,
    }
    OUT.write_text(json.dumps(book, separators=(",", ":"), sort_keys=True) + "\n")
    n_models = sum(len(p["models"]) for p in providers)
    print(f"wrote {OUT.name}: {len(providers)} providers, {n_models} models")
    print("usage units left out (not in the ledger):", dict(dropped_units.most_common()))
    print("price variants left out:", dict(skipped_variants.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
