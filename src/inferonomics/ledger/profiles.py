"""The un-optimized demo organisation: a seeded ledger with savings planted where discovery should
find them, and the planted truth written into the file.

Five features, each a textbook case (shares of the rows; a month of traffic, one tenant):

* `support-chat` (35%): interactive sessions of 8 turns on Claude Sonnet 4.5 behind a 12,000-token
  system prompt shared by every session, and no cache use at all: **cacheable**, never batchable;
* `ticket-classify` (25%): single requests in business hours on Claude Opus 4.1 (the most
  expensive model in use) answering in 6-14 tokens: **routable** to a small model;
* `nightly-digest` (20%): one service account sending about 2,000 requests a night between 02:00
  and 02:20 UTC on the standard tier, no sessions: **batchable**;
* `report-writer` (15%): reports of about 1,200 tokens, but 4 in 100 run away to 24,000-32,000
  tokens: **runaway** output, to cap;
* `legal-check` (5%): short verdicts on Claude Opus 4.1 too, shaped like a small model's job but
  **quality-sensitive**: routing it needs an evaluation first.

Rows carry `prefix_hashes` (see `ledger/prefix_blocks.py`), so a cache replay sees the shared system
prompt. The truth (which feature is what, with the parameters) is a JSON document under the
Parquet metadata key `inferonomics.planted`; `planted_truth(path)` reads it back.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from inferonomics.ledger import hints
from inferonomics.ledger.prefix_blocks import block_ids
from inferonomics.ledger.schema import (
    KEYS_METADATA_KEY,
    LEDGER_SCHEMA,
    PREFIX_BLOCK_TOKENS_METADATA_KEY,
    REPORTED_COLUMNS,
    UNIQUE_IDS_METADATA_KEY,
)

PLANTED_METADATA_KEY = b"inferonomics.planted"
PROFILES = ("realistic", "unoptimized")
BLOCK_TOKENS = 512
TURNS = 8
CHAT_SYSTEM_TOKENS = 12_000
NIGHTLY_BATCH = 2_000
RUNAWAY_SHARE = 0.04
RUNAWAY_OUTPUT = (24_000, 32_000)
REPORT_BODY_MAX = 6_000
BIG = "claude-opus-4-1"
MID = "claude-sonnet-4-5"
SMALL = "claude-haiku-4-5"

# name, share of rows, model, system-prompt tokens
FEATURES = (
    ("support-chat", 0.35, MID, CHAT_SYSTEM_TOKENS),
    ("ticket-classify", 0.25, BIG, 600),
    ("nightly-digest", 0.20, MID, 700),
    ("report-writer", 0.15, MID, 900),
    ("legal-check", 0.05, BIG, 800),
)

TRUTH: dict[str, Any] = {
    "profile": "unoptimized",
    "batchable": ["nightly-digest"],
    "routable": {"ticket-classify": {"from": f"anthropic/{BIG}", "to": f"anthropic/{SMALL}"}},
    "cacheable": {"support-chat": {"shared_prefix_tokens": CHAT_SYSTEM_TOKENS}},
    "runaway": {
        "report-writer": {
            "share": RUNAWAY_SHARE,
            "normal_max_output": REPORT_BODY_MAX,
            "runaway": RUNAWAY_OUTPUT,
        }
    },
    "interactive": ["support-chat"],
    "quality_sensitive": ["legal-check"],
}
"""What the profile planted (written into every file it generates, with the seed and row count)."""


def _counts(rows: int) -> list[int]:
    """Rows per feature: the shares rounded down, the remainder to the first feature."""
    counts = [int(rows * share) for _, share, _, _ in FEATURES]
    counts[0] += rows - sum(counts)
    return counts


def _lognormal(rng: np.random.Generator, mean: float, sigma: float, n: int) -> np.ndarray:
    drawn: np.ndarray = rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, size=n)
    return drawn.astype(np.int64) + 1


def _business_seconds(rng: np.random.Generator, n: int, days: int) -> np.ndarray:
    """Seconds from the start: a uniform day, 08:00-18:00 UTC."""
    out: np.ndarray = rng.integers(0, days, size=n) * 86_400 + rng.integers(8 * 3600, 18 * 3600, size=n)
    return out


def _feature_rows(rng: np.random.Generator, fi: int, n: int, days: int, users: int) -> dict[str, np.ndarray]:
    """One feature's rows: seconds, user, session (-1: none), system tokens, prompt and output."""
    name, _, _, system = FEATURES[fi]
    sid = np.full(n, -1, dtype=np.int64)
    user = rng.integers(0, users, size=n)
    if name == "support-chat":
        sid = np.arange(n, dtype=np.int64) // TURNS
        first = np.r_[True, sid[1:] != sid[:-1]]
        message = _lognormal(rng, 150, 0.7, n)
        answer = _lognormal(rng, 450, 0.6, n)
        contrib = message + answer
        history = np.cumsum(contrib) - contrib
        starts = np.flatnonzero(first)
        history -= np.repeat(history[starts], np.diff(np.r_[starts, n]))
        prompt = system + history + message
        start = _business_seconds(rng, int(sid[-1]) + 1 if n else 0, days)
        gaps = np.where(first, 0, rng.exponential(60.0, size=n)).astype(np.int64)
        in_session = np.cumsum(gaps) - np.repeat(
            (np.cumsum(gaps))[starts] - gaps[starts], np.diff(np.r_[starts, n])
        )
        seconds = start[sid] + in_session
        user = rng.integers(0, users, size=int(sid[-1]) + 1 if n else 0)[sid]
        output = answer
    elif name == "nightly-digest":
        # About 2,000 requests a night, so a small ledger runs the job on fewer nights, evenly spread.
        nights = max(1, min(days, n // NIGHTLY_BATCH))
        night = rng.integers(0, nights, size=n) * (days // nights)
        seconds = night * 86_400 + 2 * 3600 + rng.integers(0, 1200, size=n)
        user = np.full(n, users, dtype=np.int64)  # the service account, past the people
        prompt = system + _lognormal(rng, 3_500, 0.5, n)
        output = _lognormal(rng, 350, 0.4, n)
    elif name == "report-writer":
        seconds = _business_seconds(rng, n, days)
        prompt = system + _lognormal(rng, 2_500, 0.5, n)
        body = np.minimum(_lognormal(rng, 1_200, 0.35, n), REPORT_BODY_MAX)
        runaway = rng.random(n) < RUNAWAY_SHARE
        output = np.where(runaway, rng.integers(RUNAWAY_OUTPUT[0], RUNAWAY_OUTPUT[1] + 1, size=n), body)
    elif name == "ticket-classify":
        seconds = _business_seconds(rng, n, days)
        prompt = system + _lognormal(rng, 450, 0.6, n)
        output = rng.integers(6, 15, size=n)
    else:  # legal-check
        seconds = _business_seconds(rng, n, days)
        prompt = system + _lognormal(rng, 3_000, 0.5, n)
        output = rng.integers(20, 61, size=n)
    return {
        "seconds": seconds.astype(np.int64),
        "user": user.astype(np.int64),
        "sid": sid,
        "system": np.full(n, system, dtype=np.int64),
        "prompt": prompt.astype(np.int64),
        "output": output.astype(np.int64),
        "feature": np.full(n, fi, dtype=np.int64),
    }


def generate_unoptimized(
    path: str | Path, rows: int, *, seed: int = 42, start: dt.datetime, days: int, users: int = 300
) -> int:
    """Write the un-optimized organisation's ledger (see the module docstring) of exactly `rows` rows to
    Parquet, with the planted truth in its metadata. Returns rows written."""
    if rows < 1:
        raise ValueError("rows must be >= 1")
    rng = np.random.default_rng([seed, 0x0B5E55ED])
    parts = [_feature_rows(rng, fi, n, days, users) for fi, n in enumerate(_counts(rows)) if n]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    # Sessions keep their ids; every other request is a session of one for the block ids.
    solo = cols["sid"] < 0
    top = int(cols["sid"].max(initial=-1)) + 1
    cols["sid"] = np.where(solo, top + np.cumsum(solo) - 1, cols["sid"])
    order = np.argsort(cols["sid"], kind="stable")
    cols = {k: v[order] for k, v in cols.items()}
    hashes, _ = block_ids(
        sid=cols["sid"],
        prompt=cols["prompt"],
        system=cols["system"],
        epoch=np.zeros(rows, dtype=np.int64),
        tenant=np.zeros(rows, dtype=np.int64),
        feature=cols["feature"],
        n_tenants=1,
        n_features=len(FEATURES),
        max_system=max(f[3] for f in FEATURES),
        block=BLOCK_TOKENS,
        id_base=0,
    )
    n = rows
    ts = np.datetime64(start, "us") + (cols["seconds"] * 1_000_000).astype("timedelta64[us]")
    names = np.array([f[0] for f in FEATURES], dtype=object)[cols["feature"]]
    models = np.array([f[2] for f in FEATURES], dtype=object)[cols["feature"]]
    user_names = np.array([f"user-{i:04d}" for i in range(users)] + ["svc-nightly-digest"], dtype=object)
    session = [None if alone else f"chat-{i}" for alone, i in zip(solo[order], cols["sid"], strict=True)]
    zeros = np.zeros(n, dtype=np.int64)
    table = pa.table(
        {
            "ts": pa.array(ts, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")),
            "request_id": pa.array([f"uo-{seed}-{i}" for i in range(n)], pa.string()),
            "provider": pa.array(np.full(n, "anthropic", dtype=object), pa.string()),
            "model": pa.array(models, pa.string()),
            "tenant": pa.array(np.full(n, "acme", dtype=object), pa.string()),
            "user": pa.array(user_names[cols["user"]], pa.string()),
            "feature": pa.array(names, pa.string()),
            "session": pa.array(session, pa.string()),
            "service_tier": pa.array(np.full(n, "standard", dtype=object), pa.string()),
            "region": pa.array(np.full(n, "global", dtype=object), pa.string()),
            "requests": pa.array(np.ones(n, dtype=np.int64)),
            "input_tokens": pa.array(cols["prompt"]),
            "cache_read_tokens": pa.array(zeros),
            "cache_write_5m_tokens": pa.array(zeros),
            "cache_write_1h_tokens": pa.array(zeros),
            "cache_write_other_tokens": pa.array(zeros),
            "output_tokens": pa.array(cols["output"]),
            "reasoning_tokens": pa.array(zeros),
            "web_search_requests": pa.array(zeros),
            "prefix_hashes": hashes,
        }
    )
    table = table.take(np.argsort(ts, kind="stable"))
    truth = {**TRUTH, "seed": seed, "rows": rows, "start": start.isoformat(), "days": days}
    schema = pa.schema(
        [f for f in LEDGER_SCHEMA if f.name in table.column_names and f.name not in REPORTED_COLUMNS],
        metadata={
            **(LEDGER_SCHEMA.metadata or {}),
            UNIQUE_IDS_METADATA_KEY: b"true",
            PREFIX_BLOCK_TOKENS_METADATA_KEY: str(BLOCK_TOKENS).encode(),
            PLANTED_METADATA_KEY: json.dumps(truth).encode(),
        },
    )
    table = table.select(schema.names).cast(schema)
    from inferonomics.ledger.writer import keys_hint  # here: the writer loads the engine's modules

    meta = {
        **schema.metadata,
        KEYS_METADATA_KEY: json.dumps(keys_hint(table)).encode(),
        hints.IDS_FINGERPRINT_METADATA_KEY: hints.encode(hints.fingerprint(table)),
    }
    pq.write_table(
        table.replace_schema_metadata(meta),
        str(path),
        compression="lz4",
    )
    return n


def planted_truth(path: str | Path) -> dict[str, Any] | None:
    """The truth a generated profile planted in the Parquet file at `path` (which features are batchable,
    routable, cacheable, runaway, interactive, quality-sensitive, with the parameters), or None when the
    file has none."""
    meta = pq.read_schema(str(path)).metadata or {}
    raw = meta.get(PLANTED_METADATA_KEY)
    return None if raw is None else dict(json.loads(raw))
