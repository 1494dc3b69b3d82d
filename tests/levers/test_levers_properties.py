"""Properties of the levers (Hypothesis), on random small ledgers billed by the real engine: a
lever set to zero reproduces the baseline bill exactly; savings of a playbook follow the product
rule exactly (what is left is the product of what each step left); a longer TTL never lowers
the cached share of a replay."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from levers_helpers import make_ledger

from inferonomics.catalog.book import PriceBook
from inferonomics.levers.assumed import AssumedCaching
from inferonomics.levers.base import Lever, Scenario, measure
from inferonomics.levers.batch import Batch
from inferonomics.levers.caching import Caching, replay_cache
from inferonomics.levers.caps import OutputCap
from inferonomics.levers.playbook import run
from inferonomics.levers.pricing import Commitment, Discount, PriceChange
from inferonomics.levers.routing import Route

# Whole processes and property searches: `make test` runs them, `make quick` does not.
pytestmark = pytest.mark.slow

BOOK = PriceBook.load()
MODELS = [
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("openai", "gpt-5"),
    ("google", "gemini-2.5-flash"),
    ("deepseek", "deepseek-chat"),
]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rows(draw: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        provider, model = draw(st.sampled_from(MODELS))
        output = draw(st.integers(0, 50_000))
        out.append(
            {
                "provider": provider,
                "model": model,
                "at": draw(st.integers(0, 7200)),
                "feature": draw(st.sampled_from(["chat", "summarize"])),
                "session": f"s{draw(st.integers(0, 2))}",
                "service_tier": draw(st.sampled_from(["standard", "standard", "batch"]))
                if provider != "deepseek"
                else "standard",
                "input_tokens": draw(st.integers(1, 150_000)),
                "cache_read_tokens": draw(st.integers(0, 20_000)),
                "output_tokens": output,
                "reasoning_tokens": draw(st.integers(0, output)),
                "request_id": f"q{i}",
            }
        )
    return out


ZERO_LEVERS: list[Lever] = [
    Batch(share=Decimal(0)),
    Batch(features=()),
    OutputCap(),
    OutputCap(output_trim=Decimal(0), reasoning_trim=Decimal(0), max_output=10**9, max_reasoning=10**9),
    Discount(Decimal(0)),
    PriceChange(Decimal(0)),
    Commitment(Decimal(0), Decimal(0)),
    Route(((None, ("no-such-feature",), "anthropic/claude-haiku-4-5"),)),
]


@SETTINGS
@given(data=rows(), lever=st.sampled_from(ZERO_LEVERS))
def test_a_lever_at_zero_reproduces_the_baseline(data: list[dict[str, Any]], lever: Lever) -> None:
    s = Scenario(make_ledger(data), BOOK)
    assert measure(lever.apply(s)).cost_usd == measure(s).cost_usd


@SETTINGS
@given(data=rows())
def test_caching_at_a_zero_hit_rate_is_no_caching(data: list[dict[str, Any]]) -> None:
    for row in data:
        row["cache_read_tokens"] = 0
    s = Scenario(make_ledger(data), BOOK)
    assert measure(AssumedCaching(hit_rate=Decimal(0)).apply(s)).cost_usd == measure(s).cost_usd


STEPS = st.lists(
    st.one_of(
        st.builds(Batch, share=st.sampled_from([Decimal("0.3"), Decimal(1)])),
        st.builds(OutputCap, output_trim=st.sampled_from([Decimal("0.1"), Decimal("0.5")])),
        st.builds(OutputCap, max_reasoning=st.sampled_from([0, 1000])),
        st.builds(Discount, st.sampled_from([Decimal(5), Decimal(30)])),
        st.just(Route(((None, ("chat",), "anthropic/claude-haiku-4-5"),))),
        st.just(AssumedCaching(hit_rate=Decimal("0.5"), reads_per_write=Decimal(4))),
    ),
    min_size=1,
    max_size=4,
)


@SETTINGS
@given(data=rows(), levers=STEPS)
def test_playbook_savings_follow_the_product_rule(data: list[dict[str, Any]], levers: list[Lever]) -> None:
    s = Scenario(make_ledger(data), BOOK)
    book = run(s.ledger, s.book, levers)
    left = Fraction(1)
    for step in book.steps:
        assert step.before_usd > 0
        left *= Fraction(step.after_usd) / Fraction(step.before_usd)
    assert Fraction(book.final.cost_usd) / Fraction(book.baseline.cost_usd) == left
    assert book.steps[0].before_usd == book.baseline.cost_usd


@SETTINGS
@given(data=rows(), short=st.integers(1, 600), more=st.integers(0, 7200))
def test_a_longer_ttl_never_lowers_the_cached_share(
    data: list[dict[str, Any]], short: int, more: int
) -> None:
    s = Scenario(make_ledger(data), BOOK)
    a = replay_cache(s, Caching(ttl_seconds=short, structure="sessions"))
    b = replay_cache(s, Caching(ttl_seconds=short + more, structure="sessions"))
    assert b.cached_input_share >= a.cached_input_share
