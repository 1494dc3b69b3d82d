"""The cache report: a replay's figures with its bills (as recorded, without caching, replayed), by
feature on request with what each feature loses to expiry (the same rules with no TTL)."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pyarrow as pa

from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import INPUT_COLUMNS
from inferonomics.levers.assumed import AssumedCaching, assumed_replay
from inferonomics.levers.base import Scenario, derive, measure
from inferonomics.levers.caching import CacheReplay, Caching, replay_cache
from inferonomics.levers.policies import DEFAULT_TTL_SECONDS


def uncached(ledger: Ledger) -> Ledger:
    """The ledger with every input token billed as uncached input (no cache reads or writes)."""
    r = ledger.rows
    prompt = sum((r[c] for c in INPUT_COLUMNS[1:]), r[INPUT_COLUMNS[0]])
    zero = {c: r[c] * 0 for c in INPUT_COLUMNS[1:]}
    return derive(ledger, r.mutate(input_tokens=prompt, **zero), "<no caching>")


def cache_report(
    ledger: Ledger, book: PriceBook, lever: Caching | AssumedCaching, *, by_feature: bool = False
) -> dict[str, Any]:
    """The figures of `inferonomics levers cache` (money as exact Decimals)."""
    scenario = Scenario(ledger, book)
    if isinstance(lever, AssumedCaching):
        replay = assumed_replay(scenario, lever)
    else:
        replay = replay_cache(scenario, lever)
    by = ["feature"] if by_feature else []
    before = measure(scenario, by)
    after = measure(replay.scenario, by)
    no_cache = measure(scenario.with_ledger(uncached(ledger)))
    report: dict[str, Any] = {
        "requests": replay.requests,
        "replayed_requests": replay.replayed_requests,
        "below_minimum_requests": replay.below_minimum_requests,
        "structure": replay.structure,
        "input_tokens_total": replay.input_tokens_total,
        "cached_input_tokens": replay.cached_input_tokens,
        "cached_input_share": replay.cached_input_share,
        "cache_write_tokens": replay.cache_write_tokens,
        "cost_before_usd": before.cost_usd,
        "cost_after_usd": after.cost_usd,
        "cost_uncached_usd": no_cache.cost_usd,
        "saving_usd": before.cost_usd - after.cost_usd,
        "storage_usd": replay.storage_usd,
        "unpriced_requests": after.unpriced_requests,
        "policies": replay.policies,
        "notes": replay.notes,
    }
    if by_feature:
        report["by_feature"] = _by_feature(scenario, lever, replay, before.table, after.table)
    return report


def _by_feature(
    scenario: Scenario,
    lever: Caching | AssumedCaching,
    replay: CacheReplay,
    before: pa.Table,
    after: pa.Table,
) -> list[dict[str, Any]]:
    """Per feature: cached share with the lever and with no expiry, and the cost of expiry."""
    costs_before = {r["feature"]: r["cost_usd"] for r in before.to_pylist()}
    costs_after = {r["feature"]: r["cost_usd"] for r in after.to_pylist()}
    forever: CacheReplay | None = None
    costs_forever: dict[Any, Decimal] = {}
    if isinstance(lever, Caching) and lever.capacity_blocks is None:
        # No expiry, writes at the lever's own rates: the difference is what expiry costs.
        ttl = lever.write_ttl_seconds or lever.ttl_seconds or DEFAULT_TTL_SECONDS
        forever = replay_cache(scenario, replace(lever, ttl_seconds=math.inf, write_ttl_seconds=ttl))
        table = measure(forever.scenario, ["feature"]).table
        costs_forever = {r["feature"]: r["cost_usd"] for r in table.to_pylist()}
    cached_forever = (
        {r["feature"]: r["cached_input_tokens"] for r in forever.by_feature.to_pylist()} if forever else {}
    )
    rows = []
    for r in replay.by_feature.to_pylist():
        f = r["feature"]
        total = int(r["input_tokens_total"])
        row: dict[str, Any] = {
            "feature": f,
            "requests": int(r["requests"]),
            "input_tokens_total": total,
            "cached_input_tokens": int(r["cached_input_tokens"]),
            "cached_input_share": Decimal(int(r["cached_input_tokens"])) / total if total else Decimal(0),
            "cost_before_usd": costs_before.get(f, Decimal(0)),
            "cost_after_usd": costs_after.get(f, Decimal(0)),
        }
        if forever is not None:
            kept = int(cached_forever.get(f, 0))
            row["cached_no_expiry_share"] = Decimal(kept) / total if total else Decimal(0)
            row["lost_to_expiry_usd"] = costs_after.get(f, Decimal(0)) - costs_forever.get(f, Decimal(0))
        rows.append(row)
    key = "lost_to_expiry_usd" if forever is not None else "cost_after_usd"
    return sorted(rows, key=lambda x: x[key], reverse=True)
