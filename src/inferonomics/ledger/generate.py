"""A seeded generator of realistic usage ledgers, streamed to Parquet in chunks.

What it models (all vectorized with numpy, chunk by chunk, so 100M rows never sit in memory):

* tenants of Zipf-distributed size and users with Zipf-distributed activity: a few users carry
  most of the spend;
* features with their own prompt shapes, model mix across providers and service tiers: chat,
  a coding agent (long sessions, 1-hour cache), search (web searches, long-context requests),
  batch-eligible summarisation and classification (batch and flex tiers);
* multi-turn sessions whose prompt grows turn by turn (system prompt + history + new message),
  with the cache reads and writes a real client gets: the previous turn's prompt is read from
  cache when the gap since it is within the TTL (refreshed on every hit) and the provider's
  minimum is met; new tokens are written (Anthropic) or simply billed as input (OpenAI, Gemini,
  DeepSeek, in their cache units);
* diurnal, weekday-heavy arrivals in each tenant's time zone; reasoning tokens on reasoning
  models; data-residency tenants (US inference on Claude Sonnet 4.6, EU on GPT-5.4).

The workload itself (features, cache behaviour, arrival curve) is data in `ledger/demo_features.py`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inferonomics.ledger import hints
from inferonomics.ledger.demo_features import ANTHROPIC_MIN, CACHE_POLICY, FEATURES, HOURLY
from inferonomics.ledger.prefix_blocks import block_ids
from inferonomics.ledger.profiles import PROFILES, generate_unoptimized
from inferonomics.ledger.schema import (
    KEYS_METADATA_KEY,
    LEDGER_SCHEMA,
    MODALITY_COLUMNS,
    PREFIX_BLOCK_TOKENS_METADATA_KEY,
    REPORTED_COLUMNS,
    UNIQUE_IDS_METADATA_KEY,
)

DEFAULT_START = dt.datetime(2026, 10, 1)
DEFAULT_DAYS = 31


@dataclass
class Population:
    """Tenants and users, fixed by the seed (the same across chunks)."""

    tenant_of_user: np.ndarray
    user_weights: np.ndarray
    tenant_names: list[str]
    user_names: list[str]
    tenant_utc_offset: np.ndarray
    tenant_residency: np.ndarray
    tenant_priority: np.ndarray


def population(seed: int, users: int, tenants: int) -> Population:
    """The tenants and users of a generated ledger, fixed by `seed` alone: tenant sizes Zipf-like (exponent
    1.1), user activity Pareto-distributed, each tenant with a UTC offset; about 15% of tenants are
    data-resident and 10% buy the priority tier (for their GPT-5 and GPT-5 mini sessions)."""
    rng = np.random.default_rng([seed, 0xC0FFEE])
    tenant_sizes = 1.0 / np.arange(1, tenants + 1) ** 1.1
    tenant_of_user = rng.choice(tenants, size=users, p=tenant_sizes / tenant_sizes.sum())
    weights = rng.pareto(1.15, size=users) + 0.05
    weights /= weights.sum()
    return Population(
        tenant_of_user=tenant_of_user,
        user_weights=weights,
        tenant_names=[f"tenant-{i:03d}" for i in range(tenants)],
        user_names=[f"user-{i:06d}" for i in range(users)],
        tenant_utc_offset=rng.choice([-8, -5, 0, 1, 2, 5, 8, 9], size=tenants),
        tenant_residency=rng.random(tenants) < 0.15,
        tenant_priority=rng.random(tenants) < 0.1,
    )


def _segment_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each segment start (`starts` is a boolean mask)."""
    total = np.cumsum(values)
    idx = np.maximum.accumulate(np.where(starts, np.arange(len(values)), 0))
    offset = total[idx] - values[idx]
    result: np.ndarray = total - offset
    return result


@dataclass
class _Dictionary:
    values: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def code(self, value: str) -> int:
        if value not in self.index:
            self.index[value] = len(self.values)
            self.values.append(value)
        return self.index[value]


def generate_chunk(
    seed: int,
    chunk: int,
    sessions: int,
    pop: Population,
    start: dt.datetime,
    days: int,
    *,
    prefix_block_tokens: int | None = None,
    id_base: int = 0,
) -> pa.Table:
    """The rows of `sessions` sessions (a reproducible chunk of the ledger). With
    `prefix_block_tokens`, rows carry `prefix_hashes` too (see `ledger/prefix_blocks.py`; block ids
    from `id_base` on); the other columns are the same either way."""
    rng = np.random.default_rng([seed, chunk])
    f_weights = np.array([f.weight for f in FEATURES])
    feat = rng.choice(len(FEATURES), size=sessions, p=f_weights / f_weights.sum())
    user = rng.choice(len(pop.user_weights), size=sessions, p=pop.user_weights)
    tenant = pop.tenant_of_user[user]

    # Model per session, by the feature's mix; residency tenants move Claude Sonnet to 4.6 (US)
    # and GPT-5.4 stays EU-resident.
    combos = _Dictionary()
    combo = np.empty(sessions, dtype=np.int64)
    reasoning_share = np.zeros(sessions)
    for fi, f in enumerate(FEATURES):
        mask = feat == fi
        if not mask.any():
            continue
        w = np.array([m.weight for m in f.models])
        pick = rng.choice(len(f.models), size=int(mask.sum()), p=w / w.sum())
        codes = np.array([combos.code(f"{m.provider}|{m.model}") for m in f.models])
        combo[mask] = codes[pick]
        reasoning_share[mask] = np.array([m.reasoning for m in f.models])[pick]
    providers = np.array([c.split("|")[0] for c in combos.values])
    models = np.array([c.split("|")[1] for c in combos.values], dtype=object)
    sess_provider = providers[combo]
    sess_model = models[combo].astype(object)
    resident = pop.tenant_residency[tenant]
    sess_model[resident & (sess_model == "claude-sonnet-4-5")] = "claude-sonnet-4-6"
    region = np.full(sessions, None, dtype=object)
    region[sess_provider == "anthropic"] = "global"
    region[resident & (sess_model == "claude-sonnet-4-6")] = "us"
    region[resident & (sess_model == "gpt-5.4")] = "eu"

    # Service tier per session.
    tier = np.full(sessions, "standard", dtype=object)
    batch_share = np.array([f.batch_share for f in FEATURES])[feat]
    flex_share = np.array([f.flex_share for f in FEATURES])[feat]
    u = rng.random(sessions)
    batchable = np.isin(sess_provider, ["anthropic", "openai", "google"])
    tier[(u < batch_share) & batchable] = "batch"
    flexible = sess_model == "gpt-5-nano"
    tier[(u >= batch_share) & (u < batch_share + flex_share) & flexible] = "flex"
    priority = (
        pop.tenant_priority[tenant] & np.isin(sess_model, ["gpt-5-mini", "gpt-5"]) & (tier == "standard")
    )
    tier[priority] = "priority"

    # Turns.
    mean_turns = np.array([f.mean_turns for f in FEATURES])[feat]
    turns = np.where(mean_turns <= 1.0, 1, 1 + rng.geometric(1.0 / np.maximum(mean_turns, 1.0)) - 1)
    turns = np.minimum(turns, 200)
    sid = np.repeat(np.arange(sessions), turns)
    n = len(sid)
    first = np.zeros(n, dtype=bool)
    first[np.concatenate([[0], np.cumsum(turns)[:-1]])] = True

    def lognormal(mean: np.ndarray, sigma: float) -> np.ndarray:
        drawn: np.ndarray = rng.lognormal(np.log(np.maximum(mean, 1.0)) - sigma**2 / 2, sigma)
        return drawn

    f_of = feat[sid]
    user_tok = lognormal(np.array([f.user_tokens for f in FEATURES])[f_of], 0.8).astype(np.int64) + 5
    visible = lognormal(np.array([f.output_tokens for f in FEATURES])[f_of], 0.7).astype(np.int64) + 1
    rshare = reasoning_share[sid]
    reasoning = np.where(rshare > 0, lognormal(np.maximum(visible * rshare / (1 - rshare), 1), 0.9), 0)
    reasoning = reasoning.astype(np.int64)
    output = visible + reasoning
    system = np.array([f.system_tokens for f in FEATURES])[f_of]
    cap = np.array([f.context_cap for f in FEATURES])[f_of]

    # Prompt: system + history (user and visible output of earlier turns) + this message.
    contrib = user_tok + visible
    history = _segment_cumsum(contrib, first) - contrib
    epoch = history // np.maximum(cap - system, 1)
    history = history % np.maximum(cap - system, 1)  # compaction when the context fills up
    prompt = system + history + user_tok

    # Timing: diurnal session start in the tenant's zone, then turn gaps.
    day = rng.integers(0, days, size=sessions)
    weekday = (start + dt.timedelta(days=1)).weekday()
    dow = (weekday - 1 + day) % 7
    keep_weekend = rng.random(sessions) < 0.35
    day = np.where((dow >= 5) & ~keep_weekend, rng.integers(0, days, size=sessions), day)
    hour_local = rng.choice(24, size=sessions, p=HOURLY / HOURLY.sum())
    hour_utc = (hour_local - pop.tenant_utc_offset[tenant]) % 24
    start_s = day * 86400 + hour_utc * 3600 + rng.integers(0, 3600, size=sessions)
    gap_mean = np.array([f.gap_seconds for f in FEATURES])[f_of]
    gaps = np.where(first, 0.0, rng.exponential(np.maximum(gap_mean, 1.0)))
    # One gap in ten is a coffee break (well past any 5-minute TTL).
    gaps = np.where(~first & (rng.random(n) < 0.1), gaps + rng.exponential(900, size=n), gaps)
    offset_us = (start_s[sid] * 1_000_000 + (_segment_cumsum(gaps, first) * 1_000_000)).astype(np.int64)
    offset_us %= days * 86_400_000_000
    ts = np.datetime64(start, "us") + offset_us.astype("timedelta64[us]")

    # Caching, as each provider's client would see it.
    prev_prompt = np.where(first, 0, np.roll(prompt, 1))
    gap = gaps
    prov = sess_provider[sid]
    mdl = sess_model[sid]
    tier_row = tier[sid]
    cache_read = np.zeros(n, dtype=np.int64)
    write5 = np.zeros(n, dtype=np.int64)
    write1h = np.zeros(n, dtype=np.int64)
    hot_system = rng.random(n) < 0.7  # another session of the feature kept the system prompt warm
    for p_name, (ttl, minimum, unit, writes, hit_p) in CACHE_POLICY.items():
        mask = prov == p_name
        if not mask.any():
            continue
        mins = np.full(n, minimum)
        if p_name == "anthropic":
            for m_name, m_min in ANTHROPIC_MIN.items():
                mins[mdl == m_name] = m_min
        f_ttl = np.array([3600 if (f.ttl == "1h" and p_name == "anthropic") else ttl for f in FEATURES])[f_of]
        alive = ~first & (gap <= f_ttl) & (prev_prompt >= mins) & (prev_prompt <= prompt)
        hit = rng.random(n) < hit_p
        warm = np.where(alive, prev_prompt, np.where(hot_system & (system >= mins), system, 0))
        warm = np.where(hit, warm, 0)
        warm = (warm // unit) * unit
        cacheable = prompt >= mins
        read = np.where(mask & cacheable, warm, 0)
        cache_read = np.where(mask, read, cache_read)
        if writes:
            tail = np.minimum(rng.integers(1, 60, size=n), prompt - read)
            written = np.where(cacheable, prompt - read - tail, 0)
            one_hour = f_ttl >= 3600
            write1h = np.where(mask & one_hour, written, write1h)
            write5 = np.where(mask & ~one_hour, written, write5)
    input_tokens = prompt - cache_read - write5 - write1h

    web = np.array([f.web_searches for f in FEATURES])[f_of]
    web_requests = np.where((web > 0) & np.isin(prov, ["anthropic", "openai", "google"]), rng.poisson(web), 0)

    users = np.array(pop.user_names, dtype=object)[user[sid]]
    tenants = np.array(pop.tenant_names, dtype=object)[tenant[sid]]
    features = np.array([f.name for f in FEATURES], dtype=object)[f_of]
    ids = pa.array(np.arange(n, dtype=np.int64))
    prefix = f"req-{seed}-{chunk}-"
    request_id = pc.binary_join_element_wise(pa.scalar(prefix), pc.cast(ids, pa.string()), "")
    session = pc.binary_join_element_wise(
        pa.scalar(f"s-{seed}-{chunk}-"), pc.cast(pa.array(sid.astype(np.int64)), pa.string()), ""
    )
    zeros = pa.array(np.zeros(n, dtype=np.int64))
    columns = {
        "ts": pa.array(ts, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")),
        "request_id": request_id,
        "provider": _dict(prov),
        "model": _dict(mdl),
        "tenant": _dict(tenants),
        "user": _dict(users),
        "feature": _dict(features),
        "session": session,
        "service_tier": _dict(tier_row),
        "region": _dict(region[sid]),
        "requests": pa.array(np.ones(n, dtype=np.int64)),
        "input_tokens": pa.array(input_tokens),
        "cache_read_tokens": pa.array(cache_read),
        "cache_write_5m_tokens": pa.array(write5),
        "cache_write_1h_tokens": pa.array(write1h),
        "cache_write_other_tokens": zeros,
        "output_tokens": pa.array(output),
        "reasoning_tokens": pa.array(reasoning),
        "web_search_requests": pa.array(web_requests.astype(np.int64)),
    }
    if prefix_block_tokens is not None:
        columns["prefix_hashes"], _ = block_ids(
            sid=sid,
            prompt=prompt,
            system=system,
            epoch=epoch,
            tenant=tenant[sid],
            feature=f_of,
            n_tenants=len(pop.tenant_names),
            n_features=len(FEATURES),
            max_system=max(f.system_tokens for f in FEATURES),
            block=prefix_block_tokens,
            id_base=id_base,
        )
    # Logs come in time order: each chunk is sorted by time (this also keeps a chunk's sessions,
    # buckets and keys close together, which query engines like).
    table = pa.table(columns)
    return table.take(pc.sort_indices(table, sort_keys=[("ts", "ascending")]))


def _dict(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string()).dictionary_encode()


GEN_SCHEMA = pa.schema(
    [
        f
        if f.type != pa.string() or f.name in ("request_id", "session")
        else pa.field(f.name, pa.dictionary(pa.int32(), pa.string()), f.nullable)
        for f in LEDGER_SCHEMA
        # The demo has no audio, image or video traffic: its files leave the modality columns out
        # (read as 0), so they stay as small as before them.
        if f.name not in ("prefix_hashes", "source_file", "source_line", *REPORTED_COLUMNS, *MODALITY_COLUMNS)
    ],
    metadata={**(LEDGER_SCHEMA.metadata or {}), UNIQUE_IDS_METADATA_KEY: b"true"},
)


def generate_demo(
    path: str | Path,
    rows: int,
    *,
    seed: int = 42,
    start: dt.datetime = DEFAULT_START,
    days: int = DEFAULT_DAYS,
    users: int | None = None,
    tenants: int = 40,
    chunk_rows: int = 1_000_000,
    progress: Callable[[int], None] | None = None,
    prefix_block_tokens: int | None = None,
    profile: str = "realistic",
) -> int:
    """Write a demo ledger of exactly `rows` rows to Parquet, chunk by chunk. Returns rows written.
    `prefix_block_tokens` adds a `prefix_hashes` column of prompt blocks of that many tokens (for
    cache replays); without it the file is the same as ever. `profile="unoptimized"` writes the
    un-optimized organisation of `ledger/profiles.py` instead (savings planted, the truth in the
    file's metadata; it always has 512-token prefix hashes)."""
    if rows < 1:
        raise ValueError("rows must be >= 1")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile '{profile}' (one of: {', '.join(PROFILES)})")
    if profile == "unoptimized":
        written = generate_unoptimized(path, rows, seed=seed, start=start, days=days)
        if progress is not None:
            progress(written)
        return written
    users = users or max(200, min(200_000, rows // 150))
    pop = population(seed, users, tenants)
    mean_turns = sum(f.weight * f.mean_turns for f in FEATURES) / sum(f.weight for f in FEATURES)
    written = 0
    chunk = 0
    keys: dict[tuple[str, str, str, str | None], int] = {}
    ts_min, ts_max = None, None
    fp = (0, 0, 0)
    schema = GEN_SCHEMA
    if prefix_block_tokens is not None:
        schema = schema.append(pa.field("prefix_hashes", pa.list_(pa.int64()))).with_metadata(
            {**(schema.metadata or {}), PREFIX_BLOCK_TOKENS_METADATA_KEY: str(prefix_block_tokens).encode()}
        )
    id_base = 0
    with pq.ParquetWriter(str(path), schema, compression="lz4") as writer:
        while written < rows:
            want = min(chunk_rows, rows - written)
            sessions = max(1, int(want / mean_turns))
            table = generate_chunk(
                seed,
                chunk,
                sessions,
                pop,
                start,
                days,
                prefix_block_tokens=prefix_block_tokens,
                id_base=id_base,
            )
            if prefix_block_tokens is not None:
                top = pc.max(table["prefix_hashes"].combine_chunks().flatten()).as_py()
                id_base = max(id_base, (top or 0) + 1)
            table = table.slice(0, min(table.num_rows, want))
            writer.write_table(table.cast(schema), row_group_size=chunk_rows)
            counts = table.group_by(["provider", "model", "service_tier", "region"]).aggregate(
                [([], "count_all")]
            )
            for r in counts.to_pylist():
                k = (r["provider"], r["model"], r["service_tier"], r["region"])
                keys[k] = keys.get(k, 0) + r["count_all"]
            lo, hi = pc.min_max(table["ts"]).values()
            ts_min = lo.as_py() if ts_min is None else min(ts_min, lo.as_py())
            ts_max = hi.as_py() if ts_max is None else max(ts_max, hi.as_py())
            written += table.num_rows
            fp = hints.add(fp, hints.fingerprint(table))
            chunk += 1
            if progress is not None:
                progress(table.num_rows)
        hint = {
            "keys": [[*k, n] for k, n in sorted(keys.items(), key=lambda kv: tuple(map(str, kv[0])))],
            "ts_min": ts_min.isoformat() if ts_min else None,
            "ts_max": ts_max.isoformat() if ts_max else None,
        }
        writer.add_key_value_metadata(
            {
                KEYS_METADATA_KEY: json.dumps(hint).encode(),
                hints.IDS_FINGERPRINT_METADATA_KEY: hints.encode(fp),
            }
        )
    return written
