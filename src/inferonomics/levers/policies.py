"""Providers' prompt-caching rules, as a replay needs them: how long an entry lives, the smallest
prompt that is cached, the unit cached tokens come in, and how writes are billed.

From the providers' documentation (see `provider_rules` in the project's reference notes):

* **Anthropic**: entries live 5 minutes, refreshed free on every hit (optional 1-hour TTL);
  minimum cacheable prompt by model (512 to 4,096 tokens); writes bill at 1.25x input (5 minutes)
  or 2x (1 hour), reads at 0.1x, all from the price book.
* **OpenAI**: automatic for prompts of 1,024 tokens or more, hits in 128-token increments; cleared
  after 5-10 minutes idle (we take 5), extended retention up to 24 h; writes cost nothing extra
  before GPT-5.6 and 1.25x from it on (the book's write rate, which falls back to input).
* **Gemini**: implicit caching (reads discounted, writes at input price, no storage charge);
  minimum 2,048 tokens on 2.5 models, 4,096 on 3.x; explicit caches (`gemini-explicit`) live
  1 hour by default and bill storage per million tokens per hour.
* **DeepSeek**: a disk cache, on by default, in 64-token units; unused entries are cleared
  "within a few hours to a few days" (we take 6 hours); writes bill at the miss (input) rate.

A TTL longer than a provider offers is a what-if bound, not a price: the write rate used is the
longest TTL's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal

from inferonomics.catalog.book import PriceBook, Unpriced

POLICIES = ("anthropic", "openai", "gemini", "gemini-explicit", "deepseek")

INPUT = "input_tokens"
WRITE_5M = "cache_write_5m_tokens"
WRITE_1H = "cache_write_1h_tokens"
WRITE_OTHER = "cache_write_other_tokens"
TTL_OPTIONS: dict[str, tuple[float, ...]] = {"anthropic": (300.0, 3600.0), "gemini-explicit": (300.0, 3600.0)}
"""TTLs a client can choose between, by policy (each with its own price: Anthropic's 1-hour
writes bill 2x, explicit Gemini caches bill storage for as long as they are kept)."""
DEFAULT_TTL_SECONDS = 300.0
"""Anthropic's default TTL (5 minutes), whose write rate bills writes unless told otherwise."""

ANTHROPIC_MIN_TOKENS = {
    "claude-opus-5": 512,
    "claude-fable-5": 512,
    "claude-mythos-5": 512,
    "claude-sonnet-5-5": 512,
    "claude-haiku-5-5": 512,
    "claude-sonnet-5": 1024,
    "claude-opus-4-8": 1024,
    "claude-opus-4-7": 2048,
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-haiku-4-5": 4096,
    "claude-sonnet-4-6": 1024,
    "claude-sonnet-4-5": 1024,
    "claude-sonnet-4": 1024,
    "claude-opus-4-1": 1024,
    "claude-opus-4": 1024,
    "claude-3-7-sonnet": 1024,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
}
"""Minimum cacheable prompt by model (the longest matching id prefix wins). Anthropic's 2025 and
2026 docs; the 5.x family at 512 ("Opus 5, Fable 5, Mythos 5 and the 5.1/5.5 models")."""

GEMINI_MIN_TOKENS = {"gemini-3": 4096, "gemini-2.5": 2048}
"""Gemini API pages of 2026 (the 2025 page said 1,024 for 2.5 Flash and 4,096 for 2.5 Pro)."""

GEMINI_STORAGE_USD_PER_MTOK_HOUR = {
    "gemini-2.5-pro": Decimal("4.50"),
    "gemini-2.5-flash": Decimal("1.00"),
}
"""Explicit-cache storage; 2.5 Pro from two developer-forum quotes of the pricing page, 2.5 Flash
as commonly quoted (not verified against a primary source)."""


@dataclass(frozen=True)
class CachePolicy:
    """One provider's caching rules for one model, with the replay's choices applied."""

    name: str
    ttl_seconds: float
    """Idle lifetime, refreshed on every hit; `math.inf` never expires."""
    min_tokens: int
    """Smallest prompt that is cached, and smallest prefix that is read."""
    increment: int
    """Cached tokens are read in multiples of this."""
    write_column: str
    """The ledger bucket writes are billed in (`input_tokens`: no write surcharge)."""
    storage_usd_per_mtok_hour: Decimal | None = None
    """Explicit caches: storage billed per million tokens held per hour."""
    notes: tuple[str, ...] = ()

    @property
    def ttl_label(self) -> str:
        """The TTL for people: `5 min`, `1 h`, `90 s`, or `no expiry`."""
        return "no expiry" if math.isinf(self.ttl_seconds) else _duration(self.ttl_seconds)


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


def _longest_prefix(table: dict[str, int], model_id: str) -> int | None:
    best = None
    for prefix, value in table.items():
        if model_id.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, value)
    return None if best is None else best[1]


def family(provider_id: str, model_id: str) -> str | None:
    """The caching rules a model follows by default (Claude on Vertex follows Anthropic's)."""
    name = model_id.lower()
    if name.startswith("claude") or provider_id == "anthropic":
        return "anthropic"
    if name.startswith("gemini") or provider_id == "google":
        return "gemini"
    if name.startswith("deepseek") or provider_id == "deepseek":
        return "deepseek"
    if name.startswith(("gpt", "o1", "o3", "o4", "chatgpt")) or provider_id in ("openai", "azure"):
        return "openai"
    return None


def policy_for(
    book: PriceBook,
    provider: str,
    model: str,
    *,
    policy: str | None = None,
    ttl_seconds: float | None = None,
    min_tokens: int | None = None,
    write_ttl_seconds: float | None = None,
) -> CachePolicy:
    """The rules to replay a model's requests with: `policy` (default: the model's own
    provider's), with the TTL and minimum overridden when given. Anthropic writes bill at the
    5-minute or the 1-hour rate by the TTL, or by `write_ttl_seconds` when given (to compare TTLs
    at the same write price)."""
    found = book.find_model(provider, model)
    model_id = model if isinstance(found, Unpriced) else found.model.id
    provider_id = provider if isinstance(found, Unpriced) else found.model.provider_id
    name = policy or family(provider_id, model_id)
    if name is None:
        raise ValueError(
            f"no caching rules known for {provider}/{model}: pass a policy ({', '.join(POLICIES)})"
        )
    if name not in POLICIES:
        raise ValueError(f"unknown caching policy '{name}' (one of: {', '.join(POLICIES)})")
    base = _defaults(name, model_id)
    if ttl_seconds is not None:
        if not ttl_seconds > 0:
            raise ValueError(f"a cache TTL must be > 0 seconds, got {ttl_seconds}")
        base = replace(base, ttl_seconds=ttl_seconds)
    if name == "anthropic":
        priced_as = write_ttl_seconds if write_ttl_seconds is not None else base.ttl_seconds
        base = replace(base, write_column=WRITE_5M if priced_as <= 300 else WRITE_1H)
    if min_tokens is not None:
        if min_tokens < 0:
            raise ValueError(f"a minimum cacheable prompt must be >= 0 tokens, got {min_tokens}")
        base = replace(base, min_tokens=min_tokens)
    return base


def _defaults(name: str, model_id: str) -> CachePolicy:
    if name == "anthropic":
        minimum = _longest_prefix(ANTHROPIC_MIN_TOKENS, model_id)
        notes = () if minimum is not None else (f"minimum for {model_id} not known: 1,024 assumed",)
        return CachePolicy(name, 300, minimum or 1024, 1, WRITE_5M, notes=notes)
    if name == "openai":
        return CachePolicy(name, 300, 1024, 128, WRITE_OTHER)
    if name in ("gemini", "gemini-explicit"):
        minimum = _longest_prefix(GEMINI_MIN_TOKENS, model_id)
        notes = () if minimum is not None else (f"minimum for {model_id} not known: 2,048 assumed",)
        if name == "gemini":
            return CachePolicy(name, 300, minimum or 2048, 1, INPUT, notes=notes)
        storage = None
        for prefix, price in GEMINI_STORAGE_USD_PER_MTOK_HOUR.items():
            if model_id.startswith(prefix):
                storage = price
        if storage is None:
            raise ValueError(f"no explicit-cache storage price known for {model_id}")
        return CachePolicy(name, 3600, minimum or 2048, 1, INPUT, storage, notes)
    return CachePolicy(name, 6 * 3600, 64, 64, INPUT)
