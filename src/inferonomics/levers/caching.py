"""The prompt-caching lever: replay each request's prompt against a provider's cache and re-bill it.

For every replayed request (one request per row, with a prefix structure; see
`levers/prefixes.py`) the replay finds the cached prefix (`levers/replay.py`), then applies the
provider's rules (`levers/policies.py`):

* a prompt below the minimum is not cached at all (it neither reads nor writes nor refreshes);
* the read is the cached prefix rounded down to the provider's increment, and nothing when that
  is below the minimum;
* the rest of the prompt is written (`writes="all"`, what automatic caching does: a breakpoint at
  the end of every prompt), or only the part a later request reads within the TTL
  (`writes="reused"`, ideal breakpoints); writes bill in the policy's bucket (Anthropic 5-minute
  or 1-hour writes, OpenAI writes at the book's write rate, which is the input rate before
  GPT-5.6), or as plain input (Gemini implicit, DeepSeek);
* explicit Gemini caches add storage: tokens held times hours times the storage price.

Rows that are aggregates of several requests, or that the structure says nothing about, keep
their recorded buckets. Without a prefix structure, `AssumedCaching` (`levers/assumed.py`) assumes
a share of each cacheable prompt is read instead of replaying.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from inferonomics.catalog.book import PriceBook
from inferonomics.errors import LeverError
from inferonomics.ledger.schema import INPUT_COLUMNS, MODALITIES
from inferonomics.levers import prefixes
from inferonomics.levers.base import Scenario, counterfactual, measure
from inferonomics.levers.policies import INPUT, TTL_OPTIONS, CachePolicy, policy_for
from inferonomics.levers.replay import lru_replay, ttl_replay

WRITES = ("all", "reused")
US_PER_HOUR_MTOK = Decimal(3_600_000_000) * Decimal(1_000_000)
FEMTO_USD = Decimal("1E-15")


def storage_usd(token_us: int, usd_per_mtok_hour: Decimal) -> Decimal:
    """Storage of `token_us` token-microseconds, to the femto-dollar (the billing engine's unit:
    a price per token-hour seldom divides into a finite decimal)."""
    return (Decimal(token_us) * usd_per_mtok_hour / US_PER_HOUR_MTOK).quantize(FEMTO_USD, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Caching:
    """Replay prompt caching under a provider's rules (see the module docstring)."""

    name: ClassVar[str] = "cache"
    policy: str | None = None
    """anthropic, openai, gemini, gemini-explicit, deepseek; None: each model's own provider's."""
    ttl_seconds: float | None = None
    """None: the policy's; `math.inf`: no expiry."""
    min_tokens: int | None = None
    structure: str = "auto"
    block_tokens: int | None = None
    """Tokens per `prefix_hashes` block (None: the size the ledger's writer recorded, else 512)."""
    system_tokens: int | Mapping[str, int] | None = None
    writes: str = "all"
    capacity_blocks: int | None = None
    """A self-hosted KV cache of this many blocks per model (LRU, no expiry) instead of a TTL."""
    write_ttl_seconds: float | None = None
    """The TTL whose write rate bills writes (default: the TTL's own)."""
    ttl_by_model: Mapping[str, float] | None = None
    """TTL per "provider/model" (over `ttl_seconds`)."""
    choose_ttl: bool = False
    """For each model whose provider offers a choice of TTL (Anthropic 5 min or 1 h, explicit
    Gemini caches), replay each and keep the one that bills least."""

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario with each replayed request's input re-split by the replay (cache reads; writes in
        the policy's bucket; the rest uncached input) and explicit-cache storage added to its extra costs;
        rows the replay cannot use keep their buckets. Raises `LeverError` for an unknown policy or writes
        mode, or a structure the replay cannot use."""
        return replay_cache(scenario, self).scenario

    def describe(self) -> str:
        """One line: whose rules the replay follows, the TTL (or the cheaper TTL per model) and the LRU
        capacity when one is set."""
        rules = self.policy or "each provider's own"
        ttl = "" if self.ttl_seconds is None else f", TTL {_ttl_text(self.ttl_seconds)}"
        if self.choose_ttl:
            ttl = ", the cheaper TTL per model where the provider offers a choice"
        size = f", LRU of {self.capacity_blocks:,} blocks" if self.capacity_blocks else ""
        return f"prompt caching replayed with {rules} rules{ttl}{size}"

    def assumptions(self) -> list[str]:
        """What the replay takes for granted: requests in timestamp order with entries usable at once, one
        cache per model for the whole ledger, which prompts are written, and the same tokens after earlier
        levers."""
        out = []
        out.append("requests arrive in timestamp order; a response's cache entry is usable at once")
        out.append("one cache per model shared by every request of the ledger (one organisation)")
        if self.writes == "all":
            out.append("every cacheable prompt is written to the cache (automatic caching)")
        else:
            out.append("only prefixes a later request reads are written (ideal breakpoints)")
        out.append("the same tokenizer and prompts after any earlier lever")
        return out


def _ttl_text(seconds: float) -> str:
    if math.isinf(seconds):
        return "none (no expiry)"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"


@dataclass(frozen=True)
class CacheReplay:
    """What a caching replay found, with the counterfactual scenario to bill."""

    scenario: Scenario
    requests: int
    replayed_requests: int
    below_minimum_requests: int
    input_tokens_total: int
    cached_input_tokens: int
    cache_write_tokens: int
    storage_usd: Decimal
    structure: str
    policies: list[dict[str, Any]]
    storage_by_model: dict[str, Decimal]
    by_feature: pa.Table
    """feature, requests, input_tokens_total, cached_input_tokens (the replay's, per feature)."""
    notes: list[str] = field(default_factory=list)

    @property
    def cached_input_share(self) -> Decimal:
        """Cache reads over all input tokens (uncached, read and written), 0-1 (exact; 0 when there is no
        input)."""
        if not self.input_tokens_total:
            return Decimal(0)
        return Decimal(self.cached_input_tokens) / Decimal(self.input_tokens_total)


@dataclass(frozen=True)
class _Split:
    """One replay's outcome, row by row, before it becomes a ledger."""

    policies: list[CachePolicy]
    replayed: np.ndarray
    active: np.ndarray
    read: np.ndarray
    written: np.ndarray
    columns: dict[str, np.ndarray]
    storage_by_model: dict[str, Decimal]


def _policies(book: PriceBook, groups: list[tuple[str, str]], lever: Caching) -> list[CachePolicy]:
    try:
        return [
            policy_for(
                book,
                p,
                m,
                policy=lever.policy,
                ttl_seconds=(lever.ttl_by_model or {}).get(f"{p}/{m}", lever.ttl_seconds),
                min_tokens=lever.min_tokens,
                write_ttl_seconds=lever.write_ttl_seconds,
            )
            for p, m in groups
        ]
    except ValueError as e:
        raise LeverError(str(e)) from None


def _split(
    req: prefixes.Requests, policies: list[CachePolicy], lever: Caching, only: np.ndarray | None = None
) -> _Split:
    """Replay, then the providers' rules: reads, writes and the new input buckets of every row
    (of the rows in `only`, when given: the others are not replayed and must not be used)."""
    minimum = np.array([p.min_tokens for p in policies], dtype=np.int64)[req.group]
    increment = np.array([p.increment for p in policies], dtype=np.int64)[req.group]
    replayed = req.has_prefix & (req.requests == 1)
    active = replayed & (req.prompt >= minimum)
    if only is not None:
        active = active & only
    hits = np.zeros(len(req.prompt), dtype=np.int64)
    reuse = np.zeros(len(req.prompt), dtype=np.int64)
    storage: dict[int, int] = {}
    if lever.capacity_blocks is not None:
        if lever.writes == "reused":
            raise LeverError("writes=reused needs a TTL replay (an LRU cache keeps what it is given)")
        hits = lru_replay(req.blocks, req.ts_us, lever.capacity_blocks, active, req.group)
    elif active.any():
        # One pass for every model: models never share a block, so each keeps its own TTL.
        ttl_us = np.array([p.ttl_seconds * 1_000_000 for p in policies], dtype=np.float64)[req.group]
        explicit = [i for i, p in enumerate(policies) if p.storage_usd_per_mtok_hour is not None]
        out = ttl_replay(req.blocks, req.ts_us, ttl_us, active, groups=req.group, storage_groups=explicit)
        hits, reuse, storage = out.hit_blocks, out.reuse_blocks, out.storage_token_us
    cached = np.minimum(req.blocks.prefix_tokens(hits), req.prompt)
    read = cached // increment * increment
    read = np.where(active & (read >= minimum) & (read > 0), read, 0)
    if lever.writes == "all":
        written = np.where(active, req.prompt - read, 0)
    else:
        reused = np.minimum(req.blocks.prefix_tokens(reuse), req.prompt)
        written = np.where(active & (reused >= minimum), np.maximum(reused - read, 0), 0)
    storage_by_model = {
        "/".join(req.groups[g]): storage_usd(token_us, policies[g].storage_usd_per_mtok_hour or Decimal(0))
        for g, token_us in storage.items()
    }
    columns = _buckets(req.table, replayed, read, written, policies, req.group)
    return _Split(policies, replayed, active, read, written, columns, storage_by_model)


def _load(scenario: Scenario, lever: Caching) -> prefixes.Requests:
    return prefixes.load(
        scenario.ledger,
        structure="hashes" if lever.capacity_blocks is not None else lever.structure,
        block_tokens=lever.block_tokens,
        system_tokens=lever.system_tokens,
    )


def replay_cache(scenario: Scenario, lever: Caching) -> CacheReplay:
    """Replay the lever's caching over the scenario's ledger (see the module docstring)."""
    if lever.writes not in WRITES:
        raise LeverError(f"unknown writes mode '{lever.writes}' (one of: {', '.join(WRITES)})")
    if lever.capacity_blocks is not None and lever.structure not in ("auto", "hashes"):
        raise LeverError("an LRU cache of blocks needs per-request block hashes (prefix_hashes)")
    req = _load(scenario, lever)
    notes: list[str] = []
    if lever.choose_ttl:
        split, notes = _best_split(scenario, lever, req)
    else:
        split = _split(req, _policies(scenario.book, req.groups, lever), lever)
    ledger = counterfactual(scenario.ledger, req.table, split.columns)
    storage_usd = sum(split.storage_by_model.values(), Decimal(0))
    policies = split.policies
    write_bucket = np.array([p.write_column != INPUT for p in policies], dtype=bool)[req.group]
    all_read = split.columns["cache_read_tokens"]
    by_feature = _by_feature(req, all_read)
    replayed, active = split.replayed, split.active
    return CacheReplay(
        scenario=replace(
            scenario,
            ledger=ledger,
            extra_usd=scenario.extra_usd + storage_usd,
            notes=(*scenario.notes, *notes),
        ),
        requests=int(req.requests.sum()),
        replayed_requests=int(replayed.sum()),
        below_minimum_requests=int((replayed & ~active).sum()),
        input_tokens_total=int(req.prompt.sum()),
        cached_input_tokens=int(all_read.sum()),
        cache_write_tokens=int(np.where(write_bucket, split.written, 0).sum()),
        storage_usd=storage_usd,
        structure=req.structure,
        policies=[describe_policy(req.groups[i], p) for i, p in enumerate(policies)],
        storage_by_model=split.storage_by_model,
        by_feature=by_feature,
        notes=sorted({n for p in policies for n in p.notes} | set(notes)),
    )


def _best_split(scenario: Scenario, lever: Caching, req: prefixes.Requests) -> tuple[_Split, list[str]]:
    """For each model whose policy offers TTLs to choose from, the one whose replay bills least
    (ties: the shorter); models without a choice keep the policy's TTL. The policies' TTLs are
    replayed once for every row; each other TTL only for the rows of the models that can choose
    it; only those rows are billed, and each model's rows come from the replay of its TTL."""
    default = replace(lever, ttl_by_model=None, choose_ttl=False)
    base_policies = _policies(scenario.book, req.groups, default)
    base = _split(req, base_policies, default)
    options = {i: TTL_OPTIONS[p.name] for i, p in enumerate(base_policies) if p.name in TTL_OPTIONS}
    index = {g: i for i, g in enumerate(req.groups)}
    splits: dict[float, _Split] = {}
    parts: list[tuple[float, np.ndarray]] = []
    for ttl in sorted({t for opts in options.values() for t in opts}):
        codes = [i for i, opts in options.items() if ttl in opts]
        rows = np.isin(req.group, codes)
        if not rows.any():
            continue
        if all(base_policies[i].ttl_seconds == ttl for i in codes):
            splits[ttl] = base
        else:
            trial = replace(default, ttl_by_model={"/".join(req.groups[i]): ttl for i in codes})
            splits[ttl] = _split(req, _policies(scenario.book, req.groups, trial), trial, only=rows)
        parts.append((ttl, rows))
    costs: dict[int, dict[float, Decimal]] = {}
    if parts:
        # Every candidate's rows in one ledger, told apart by a label: one bill for them all.
        labels = {f"ttl-{i}": ttl for i, (ttl, _) in enumerate(parts)}
        keys = pa.concat_tables([req.table.filter(pa.array(rows)) for _, rows in parts])
        columns = {c: np.concatenate([splits[t].columns[c][rows] for t, rows in parts]) for c in base.columns}
        label = pa.array(np.repeat(list(labels), [int(rows.sum()) for _, rows in parts]), pa.string())
        trials = counterfactual(scenario.ledger, keys, columns, label=label)
        table = measure(Scenario(trials, scenario.book), ["provider", "model", "feature"]).table
        for row in table.to_pylist():
            g, ttl = index[(row["provider"], row["model"])], labels[row["feature"]]
            extra = splits[ttl].storage_by_model.get("/".join(req.groups[g]), Decimal(0))
            by_ttl = costs.setdefault(g, {})
            by_ttl[ttl] = by_ttl.get(ttl, Decimal(0)) + row["cost_usd"] + extra
    chosen = {g: min(by_ttl, key=lambda t: (by_ttl[t], t)) for g, by_ttl in costs.items()}
    notes = []
    for g, by_ttl in sorted(costs.items(), key=lambda kv: req.groups[kv[0]]):
        others = ", ".join(f"{_ttl_text(t)} ${c:,.2f}" for t, c in sorted(by_ttl.items()) if t != chosen[g])
        notes.append(
            f"{'/'.join(req.groups[g])}: TTL {_ttl_text(chosen[g])} (${by_ttl[chosen[g]]:,.2f}; {others})"
        )
    pick = np.array([chosen.get(g, math.nan) for g in range(len(req.groups))])[req.group]

    def assemble(field_of: Any) -> np.ndarray:
        out: np.ndarray = field_of(base)
        for ttl, split in splits.items():
            if split is not base:
                out = np.where(pick == ttl, field_of(split), out)
        return out

    policies = []
    storage: dict[str, Decimal] = {}
    for g, group in enumerate(req.groups):
        source = splits[chosen[g]] if g in chosen else base
        policies.append(source.policies[g])
        if "/".join(group) in source.storage_by_model:
            storage["/".join(group)] = source.storage_by_model["/".join(group)]
    merged = _Split(
        policies,
        base.replayed,
        assemble(lambda sp: sp.active),
        assemble(lambda sp: sp.read),
        assemble(lambda sp: sp.written),
        {c: assemble(lambda sp, c=c: sp.columns[c]) for c in base.columns},
        storage,
    )
    return merged, notes


def _by_feature(req: prefixes.Requests, read: np.ndarray) -> pa.Table:
    """Requests, input tokens and cached input tokens per feature (exact integer sums)."""
    size = len(req.features)
    requests, total, cached = (np.zeros(size, dtype=np.int64) for _ in range(3))
    np.add.at(requests, req.feature, req.requests)
    np.add.at(total, req.feature, req.prompt)
    np.add.at(cached, req.feature, read)
    return pa.table(
        {
            "feature": pa.array(req.features, pa.string()),
            "requests": requests,
            "input_tokens_total": total,
            "cached_input_tokens": cached,
        }
    )


def describe_policy(group: tuple[str, str], p: CachePolicy) -> dict[str, Any]:
    """A model's replayed cache rules as plain data for reports: provider, model, policy name, TTL in
    seconds (None: no expiry), minimum cacheable tokens, read increment and the ledger bucket writes bill
    in."""
    return {
        "provider": group[0],
        "model": group[1],
        "policy": p.name,
        "ttl_seconds": None if math.isinf(p.ttl_seconds) else p.ttl_seconds,
        "min_tokens": p.min_tokens,
        "increment": p.increment,
        "writes_billed_as": p.write_column,
    }


def _buckets(
    table: pa.Table,
    replayed: np.ndarray,
    read: np.ndarray,
    written: np.ndarray,
    policies: list[CachePolicy],
    group: np.ndarray,
) -> dict[str, np.ndarray]:
    """The new input buckets of every row (replayed rows re-split, others as recorded)."""
    prompt = sum((table[c].to_numpy() for c in INPUT_COLUMNS[1:]), table[INPUT_COLUMNS[0]].to_numpy())
    apart = np.array([p.write_column != INPUT for p in policies], dtype=bool)[group]
    out: dict[str, np.ndarray] = {}
    for col in INPUT_COLUMNS:
        if col == "cache_read_tokens":
            new = read
        elif col == INPUT:
            new = prompt - read - np.where(apart, written, 0)
        else:
            mine = np.array([p.write_column == col for p in policies], dtype=bool)[group]
            new = np.where(mine, written, 0)
        out[col] = np.where(replayed, new, table[col].to_numpy())
    room = out[INPUT].copy()
    for m in MODALITIES:
        # A modality's share of the cache reads is its share of the prompt; the rest stays
        # uncached input as far as the uncached input holds it (what a write took is a write).
        total = table[f"input_{m}_tokens"].to_numpy() + table[f"cache_read_{m}_tokens"].to_numpy()
        read_m = np.where(prompt > 0, total * read // np.maximum(prompt, 1), 0)
        input_m = np.minimum(total - read_m, room)
        room = room - input_m
        out[f"cache_read_{m}_tokens"] = np.where(replayed, read_m, table[f"cache_read_{m}_tokens"].to_numpy())
        out[f"input_{m}_tokens"] = np.where(replayed, input_m, table[f"input_{m}_tokens"].to_numpy())
    return out
