"""The cache report: a replay's figures with its bills (as recorded, with the replayed caching,
with no caching at all), and on request the same per group of any columns (feature, tenant, a
tag...) with what each group loses to expiry (the same rules with no TTL)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pyarrow as pa

from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import INPUT_COLUMNS, MODALITIES
from inferonomics.levers.assumed import AssumedCaching, assumed_replay
from inferonomics.levers.base import Scenario, derive, has_tokens, measure
from inferonomics.levers.caching import Caching, replay_cache
from inferonomics.levers.policies import DEFAULT_TTL_SECONDS

__all__ = ["CacheReport", "cache_report", "uncached"]


def uncached(ledger: Ledger) -> Ledger:
    """The ledger with every input token billed as uncached input (no cache reads or writes)."""
    r = ledger.rows
    prompt = sum((r[c] for c in INPUT_COLUMNS[1:]), r[INPUT_COLUMNS[0]])
    zero = {c: r[c] * 0 for c in INPUT_COLUMNS[1:]}
    cached_parts = [f"cache_read_{m}_tokens" for m in MODALITIES]
    for m in MODALITIES if has_tokens(r, cached_parts) else ():
        zero[f"input_{m}_tokens"] = r[f"input_{m}_tokens"] + r[f"cache_read_{m}_tokens"]
        zero[f"cache_read_{m}_tokens"] = r[f"cache_read_{m}_tokens"] * 0
    return derive(ledger, r.mutate(input_tokens=prompt, **zero), "<no caching>")


@dataclass(frozen=True)
class CacheReport:
    """What `levers cache` shows: a caching replay (or an assumed hit rate) and its bills."""

    lever: str
    """The lever, described."""
    requests: int
    replayed_requests: int
    below_minimum_requests: int
    structure: str
    """Where the prefixes came from: hashes, sessions, declared, or assumed (no replay)."""
    input_tokens_total: int
    cached_input_tokens: int
    cache_write_tokens: int
    cost_before_usd: Decimal
    """The bill as recorded (with whatever caching the ledger shows)."""
    cost_after_usd: Decimal
    """The bill with the replayed caching (storage of explicit caches included)."""
    cost_uncached_usd: Decimal
    """The bill with every input token sent uncached."""
    storage_usd: Decimal
    unpriced_requests: int
    policies: list[dict[str, Any]]
    """The rules replayed, per model: policy, TTL, minimum, increment, the bucket writes bill in."""
    notes: list[str] = field(default_factory=list)
    by: list[str] = field(default_factory=list)
    grain: str | None = None
    groups: pa.Table | None = None
    """With `by` or `grain`: per group (and `period`), requests, input tokens, cached share, bills
    before and after, and (for a TTL replay) the cached share with no expiry and what expiry
    costs."""

    @property
    def cached_input_share(self) -> Decimal:
        """Cache reads over all input tokens, 0-1 (exact; 0 when there is no input)."""
        total = self.input_tokens_total
        return Decimal(self.cached_input_tokens) / total if total else Decimal(0)

    @property
    def saving_usd(self) -> Decimal:
        """The bill as recorded minus the bill with the replayed caching, USD (exact; negative when the
        replay bills more)."""
        return self.cost_before_usd - self.cost_after_usd

    @property
    def write_buckets(self) -> list[str]:
        """The buckets the replay's writes bill in (e.g. `cache_write_1h_tokens`), each once."""
        return list(dict.fromkeys(p["writes_billed_as"] for p in self.policies))

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data for JSON: every figure, with the cached share and the saving, and `by`,
        `grain` and the groups' rows when there are groups."""
        out: dict[str, Any] = {
            "lever": self.lever,
            "requests": self.requests,
            "replayed_requests": self.replayed_requests,
            "below_minimum_requests": self.below_minimum_requests,
            "structure": self.structure,
            "input_tokens_total": self.input_tokens_total,
            "cached_input_tokens": self.cached_input_tokens,
            "cached_input_share": self.cached_input_share,
            "cache_write_tokens": self.cache_write_tokens,
            "cost_before_usd": self.cost_before_usd,
            "cost_after_usd": self.cost_after_usd,
            "cost_uncached_usd": self.cost_uncached_usd,
            "saving_usd": self.saving_usd,
            "storage_usd": self.storage_usd,
            "unpriced_requests": self.unpriced_requests,
            "policies": self.policies,
            "notes": self.notes,
        }
        if self.groups is not None:
            out["by"] = self.by
            out["grain"] = self.grain
            out["groups"] = self.groups.to_pylist()
        return out


def cache_report(
    ledger: Ledger,
    lever: Caching | AssumedCaching,
    *,
    book: PriceBook | None = None,
    by: Sequence[str] = (),
    grain: str | None = None,
) -> CacheReport:
    """Replay `lever` over the ledger and bill it three ways (as recorded, replayed, uncached);
    `by` (columns) and `grain` (hour, day, week, month) add the same per group and period.
    `book` defaults to the packaged price book."""
    scenario = Scenario(ledger, book or PriceBook.load())
    if isinstance(lever, AssumedCaching):
        replay = assumed_replay(scenario, lever)
    else:
        replay = replay_cache(scenario, lever)
    keys = list(dict.fromkeys(by))
    before = measure(scenario, keys, grain)
    after = measure(replay.scenario, keys, grain)
    no_cache = measure(scenario.with_ledger(uncached(ledger)))
    grouped = keys or grain is not None
    groups = _groups(scenario, lever, keys, grain, before.table, after.table) if grouped else None
    return CacheReport(
        lever=lever.describe(),
        requests=replay.requests,
        replayed_requests=replay.replayed_requests,
        below_minimum_requests=replay.below_minimum_requests,
        structure=replay.structure,
        input_tokens_total=replay.input_tokens_total,
        cached_input_tokens=replay.cached_input_tokens,
        cache_write_tokens=replay.cache_write_tokens,
        cost_before_usd=before.cost_usd,
        cost_after_usd=after.cost_usd,
        cost_uncached_usd=no_cache.cost_usd,
        storage_usd=replay.storage_usd,
        unpriced_requests=after.unpriced_requests,
        policies=replay.policies,
        notes=replay.notes,
        by=keys,
        grain=grain,
        groups=groups,
    )


def _sums(table: pa.Table, keys: list[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Per group: requests, all input tokens, cache reads and cost (a rollup may split a group)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in table.to_pylist():
        k = tuple(r[c] for c in keys)
        s = out.setdefault(k, {"requests": 0, "input": 0, "cached": 0, "cost": Decimal(0)})
        s["requests"] += int(r["requests"])
        s["input"] += sum(int(r[c]) for c in INPUT_COLUMNS)
        s["cached"] += int(r["cache_read_tokens"])
        s["cost"] += r["cost_usd"]
    return out


def _groups(
    scenario: Scenario,
    lever: Caching | AssumedCaching,
    by: list[str],
    grain: str | None,
    before: pa.Table,
    after: pa.Table,
) -> pa.Table:
    """Per group (and period): the cached share with the lever and with no expiry, the bills,
    and the cost of expiry (a TTL replay only: no expiry, writes at the lever's own rates)."""
    keys = [*(["period"] if grain else []), *by]
    was, now = _sums(before, keys), _sums(after, keys)
    forever: dict[tuple[Any, ...], dict[str, Any]] | None = None
    if isinstance(lever, Caching) and lever.capacity_blocks is None:
        ttl = lever.write_ttl_seconds or lever.ttl_seconds or DEFAULT_TTL_SECONDS
        no_expiry = replay_cache(scenario, replace(lever, ttl_seconds=math.inf, write_ttl_seconds=ttl))
        forever = _sums(measure(no_expiry.scenario, by, grain).table, keys)
    rows = []
    for k in dict.fromkeys([*now, *was]):
        a, b = now.get(k), was.get(k)
        total = a["input"] if a else 0
        row: dict[str, Any] = {
            **dict(zip(keys, k, strict=True)),
            "requests": a["requests"] if a else 0,
            "input_tokens_total": total,
            "cached_input_tokens": a["cached"] if a else 0,
            "cached_input_share": Decimal(a["cached"]) / total if a and total else Decimal(0),
            "cost_before_usd": b["cost"] if b else Decimal(0),
            "cost_after_usd": a["cost"] if a else Decimal(0),
        }
        if forever is not None:
            f = forever.get(k)
            row["cached_no_expiry_share"] = Decimal(f["cached"]) / total if f and total else Decimal(0)
            row["lost_to_expiry_usd"] = row["cost_after_usd"] - (f["cost"] if f else Decimal(0))
        rows.append(row)
    key = "lost_to_expiry_usd" if forever is not None else "cost_after_usd"
    rows.sort(key=lambda r: r[key], reverse=True)
    if grain:
        rows.sort(key=lambda r: r["period"])
    return pa.Table.from_pylist(rows)
