"""The realistic demo organisation's workload, as data: its features (prompt shapes, model mixes,
tiers, sessions), each provider's cache behaviour as a client sees it, and the hourly arrival
curve. `ledger/generate.py` draws a ledger from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ModelChoice:
    """One model a feature can use: its provider and book model id, its weight in the feature's model mix
    (weights are normalised per feature), and its mean reasoning share of output."""

    provider: str
    model: str
    weight: float
    reasoning: float = 0.0
    """Mean share of output spent reasoning (0 for non-reasoning models)."""


@dataclass(frozen=True)
class Feature:
    """One product feature of the generated workload: its weight in the session mix, its prompt shape
    (system-prompt tokens; mean user-message and visible-output tokens per turn), mean turns per session
    and mean seconds between turns, its model mix, cache TTL (`1h` honoured on Anthropic only), the shares
    of sessions sent to the batch and flex tiers (where the model offers them), mean web searches per
    request, and the context (tokens) at which history is compacted."""

    name: str
    weight: float
    system_tokens: int
    mean_turns: float
    user_tokens: float
    output_tokens: float
    gap_seconds: float
    models: tuple[ModelChoice, ...]
    ttl: str = "5m"
    batch_share: float = 0.0
    flex_share: float = 0.0
    web_searches: float = 0.0
    context_cap: int = 180_000


FEATURES: tuple[Feature, ...] = (
    Feature(
        "chat",
        0.40,
        2_500,
        6.0,
        180,
        380,
        75,
        (
            ModelChoice("anthropic", "claude-sonnet-4-5", 0.35),
            ModelChoice("openai", "gpt-5-mini", 0.30, reasoning=0.35),
            ModelChoice("google", "gemini-2.5-flash", 0.15),
            ModelChoice("deepseek", "deepseek-v4-flash", 0.20),
        ),
    ),
    Feature(
        "coding-agent",
        0.12,
        14_000,
        28.0,
        2_600,
        650,
        22,
        (
            ModelChoice("anthropic", "claude-sonnet-4-5", 0.55),
            ModelChoice("anthropic", "claude-opus-4-5", 0.15, reasoning=0.3),
            ModelChoice("openai", "gpt-5", 0.30, reasoning=0.45),
        ),
        ttl="1h",
        context_cap=420_000,
    ),
    Feature(
        "search",
        0.18,
        1_800,
        1.6,
        5_000,
        520,
        40,
        (
            ModelChoice("openai", "gpt-5.4", 0.35, reasoning=0.25),
            ModelChoice("anthropic", "claude-haiku-4-5", 0.35),
            ModelChoice("google", "gemini-2.5-pro", 0.30, reasoning=0.3),
        ),
        web_searches=1.4,
    ),
    Feature(
        "summarize",
        0.18,
        900,
        1.0,
        7_000,
        420,
        0,
        (
            ModelChoice("anthropic", "claude-haiku-4-5", 0.5),
            ModelChoice("openai", "gpt-5-mini", 0.5, reasoning=0.2),
        ),
        batch_share=0.65,
    ),
    Feature(
        "classify",
        0.12,
        1_300,
        1.0,
        350,
        25,
        0,
        (
            ModelChoice("openai", "gpt-5-nano", 0.6),
            ModelChoice("deepseek", "deepseek-v4-flash", 0.4),
        ),
        batch_share=0.4,
        flex_share=0.35,
    ),
)

# Cache behaviour by provider: TTL (seconds, refreshed on hit), minimum cacheable prompt, cache
# unit (tokens are cached in multiples of it), whether writes are billed apart, hit probability.
CACHE_POLICY = {
    "anthropic": (300, 1024, 1, True, 1.0),
    "openai": (600, 1024, 128, False, 0.95),
    "google": (600, 2048, 1, False, 0.75),
    "deepseek": (6 * 3600, 64, 64, False, 1.0),
}
ANTHROPIC_MIN = {"claude-opus-4-5": 4096, "claude-haiku-4-5": 4096}
HOURLY = np.array(
    [
        0.25,
        0.18,
        0.14,
        0.12,
        0.12,
        0.16,
        0.3,
        0.55,
        0.85,
        1.0,
        1.05,
        1.05,
        0.95,
        1.05,
        1.1,
        1.08,
        1.0,
        0.9,
        0.75,
        0.62,
        0.55,
        0.5,
        0.42,
        0.32,
    ]
)
