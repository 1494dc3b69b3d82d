"""The canonical usage ledger: one Arrow schema with non-overlapping token buckets.

A row is one request (`requests` = 1) or a pre-aggregated bucket of `requests` requests.
Token buckets never overlap: `input_tokens` is uncached input only; cache reads and writes are
their own buckets; `output_tokens` includes reasoning and `reasoning_tokens` is the part of it
spent reasoning. The modality columns are "of which" parts in the same way: `input_audio_tokens` is
the part of `input_tokens` that was audio, `cache_read_image_tokens` the part of
`cache_read_tokens` that was image, `output_audio_tokens` the part of `output_tokens` that was
audio (text is what is left). `source_file` / `source_line` say where each row came from. A source that states
what it charged carries it in `reported_cost_usd` (with `cost_source`); the ledger's own price is
always computed, never taken from there.
"""

from __future__ import annotations

import pyarrow as pa

SERVICE_TIERS = ("standard", "batch", "flex", "priority")

TOKEN_COLUMNS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_write_other_tokens",
    "output_tokens",
    "reasoning_tokens",
    "input_audio_tokens",
    "input_image_tokens",
    "input_video_tokens",
    "cache_read_audio_tokens",
    "cache_read_image_tokens",
    "cache_read_video_tokens",
    "output_audio_tokens",
    "output_image_tokens",
    "output_video_tokens",
)
"""Token buckets, in the order they are billed (the last ten are parts of earlier ones)."""

MODALITIES = ("audio", "image", "video")
"""Modalities priced apart from text (text is what a bucket holds besides them)."""

MODALITY_BUCKETS = ("input", "cache_read", "output")
"""Buckets split by modality: uncached input, cache reads and output (providers report no
modality split of cache writes)."""

MODALITY_PARTS: dict[str, tuple[str, ...]] = {
    f"{bucket}_tokens": tuple(f"{bucket}_{m}_tokens" for m in MODALITIES) for bucket in MODALITY_BUCKETS
}
"""Each split bucket and its modality parts ("of which" counts, like `reasoning_tokens`): the parts
of a bucket never add up to more than it; text is the remainder."""

MODALITY_COLUMNS = tuple(c for parts in MODALITY_PARTS.values() for c in parts)

COUNT_COLUMNS = (*TOKEN_COLUMNS, "web_search_requests")
"""Every count a row carries besides `requests`."""

INPUT_COLUMNS = TOKEN_COLUMNS[:5]
"""The buckets whose sum is the request's total input (for long-context tiers)."""

DIMENSION_COLUMNS = ("tenant", "user", "feature", "session", "region")
"""Free-text attribution columns (nullable)."""

COST_SOURCES = ("provider_report", "provider_response", "tool_estimate")
"""Where a row's `reported_cost_usd` comes from: a provider's own cost report (Admin cost APIs,
console and dashboard cost exports), a provider's response (OpenRouter's charged `cost`), or an
observability tool's or gateway's own estimate (LiteLLM `spend`, Helicone, Langfuse)."""

REPORTED_COLUMNS = ("reported_cost_usd", "cost_source")
"""Optional: the cost a source says it charged (exact decimal USD) and where that figure comes
from. NULL for usage that carries no cost; pricing ignores them, `reconcile` compares them."""

MONEY_TYPE = pa.decimal128(38, 15)

TS_TYPE = pa.timestamp("us", tz="UTC")

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("ts", TS_TYPE, nullable=False),
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("provider", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("tenant", pa.string()),
        pa.field("user", pa.string()),
        pa.field("feature", pa.string()),
        pa.field("session", pa.string()),
        pa.field("service_tier", pa.string(), nullable=False),
        pa.field("region", pa.string()),
        pa.field("requests", pa.int64(), nullable=False),
        *(pa.field(c, pa.int64(), nullable=False) for c in COUNT_COLUMNS),
        pa.field("reported_cost_usd", MONEY_TYPE),
        pa.field("cost_source", pa.string()),
        pa.field("prefix_hashes", pa.list_(pa.int64())),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_line", pa.int64(), nullable=False),
    ],
    metadata={
        b"inferonomics.schema": b"ledger/1",
        b"inferonomics.ts": b"UTC",
    },
)
"""The canonical ledger schema (`source_file`/`source_line` are provenance)."""

CANONICAL_COLUMNS = tuple(LEDGER_SCHEMA.names)

RESERVED_NAMES = frozenset(
    {
        "rows",
        "period",
        "cost_usd",
        "unpriced_requests",
        "price_entry",
        "match",
        "matched_model",
        "status",
        "file_row_number",
        *(f"cost_{c}_usd" for c in ("input", "cache_read", "cache_write", "output", "fees")),
    }
)
"""Names a rollup or the engine gives its own columns: an input column so named is not a tag."""

MAX_TAGS = 64
"""Most extra columns kept as tags per ledger (the rest are ignored, and the run says so)."""

MAX_TAG_NAME = 100


def tag_problem(name: str) -> str | None:
    """Why an extra input column cannot be kept as a tag (None: it can). Tags are the columns of
    an input beyond the canonical ones (team, project, cost center...): kept as text, grouped by
    like any dimension."""
    if not name.strip() or name != name.strip():
        return "an empty name, or spaces around it"
    if name.startswith("_"):
        return "names starting with _ are the engine's"
    if name in CANONICAL_COLUMNS or name in RESERVED_NAMES:
        return "a name the ledger or its rollups use"
    if "," in name or len(name) > MAX_TAG_NAME or any(ord(ch) < 32 for ch in name):
        return f"a comma, a control character or more than {MAX_TAG_NAME} characters"
    return None


DATA_COLUMNS = tuple(n for n in CANONICAL_COLUMNS if n not in ("source_file", "source_line"))

REQUIRED_COLUMNS = ("ts", "provider", "model")
"""Columns an input must have (provider and model may instead come from `--model-as`)."""
ALWAYS_STAGED = (*REQUIRED_COLUMNS, "request_id")
"""Staged columns kept even when no row has a value in them (the others may be left out: validation
reads an absent one as a NULL)."""

DEFAULTS: dict[str, object] = {
    "service_tier": "standard",
    "requests": 1,
    **dict.fromkeys(COUNT_COLUMNS, 0),
}
"""Values of optional columns an input leaves out."""

TIER_ALIASES = {
    "standard": "standard",
    "default": "standard",
    "auto": "standard",
    "on_demand": "standard",
    "standard_only": "standard",
    "batch": "batch",
    "flex": "flex",
    "priority": "priority",
    "fast": "priority",
}
"""Service-tier spellings seen in provider responses → the ledger's four tiers. OpenAI reports
its `fast` tier as `priority`; `scale` (Scale Tier) is prepaid capacity and is not mapped."""

UNIQUE_IDS_METADATA_KEY = b"inferonomics.unique_request_ids"
"""Parquet key-value metadata a writer sets when it guarantees request ids are unique; a reader
believes it only with a fingerprint of the ids that the rows match (see `ledger/hints.py`)."""

PREFIX_BLOCK_TOKENS_METADATA_KEY = b"inferonomics.prefix_block_tokens"
"""Parquet key-value metadata a writer sets when it knows how many tokens each `prefix_hashes`
block stands for (the cache replay reads it; a differing `--block-tokens` is refused)."""

KEYS_METADATA_KEY = b"inferonomics.keys"
"""Parquet key-value metadata a writer may set: JSON {"keys": [[provider, model, service_tier,
region, rows], ...], "ts_min": ISO, "ts_max": ISO}. Written for people reading the file; the
billing engine does not read it (its light pass reads the keys and time span from the rows)."""

EVENTS_SCHEMA = pa.schema(
    [
        pa.field("ts", TS_TYPE, nullable=False),
        pa.field("agent", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("window", pa.string()),
        pa.field("used_percent", pa.float64()),
        pa.field("window_minutes", pa.int64()),
        pa.field("resets_at", TS_TYPE),
        pa.field("model", pa.string()),
        pa.field("message", pa.string()),
        pa.field("session", pa.string()),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_line", pa.int64(), nullable=False),
    ]
)
"""Subscription-limit observations read beside the usage rows (`Ledger.events()`): `limit_hit` (an
agent said a usage limit was reached; `resets_at` when the message gives it) and `limit_reading` (a
window's used percentage, as Codex reports it on every token count). `window` is `5h`, `weekly`, or
the source's own label when it is neither; `message` is the limit text, cut to 200 characters."""

EVENT_KINDS = ("limit_hit", "limit_reading")
