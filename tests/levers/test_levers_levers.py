"""Batch, routing, output caps, prices, discounts, commitments and the playbook: exact bills of
small ledgers, worked out by hand from list prices (Sonnet 4.5 $3 / $15, Haiku 4.5 $1 / $5,
Opus 4.5 $5 / $25 per MTok; batch half price)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from levers_helpers import make_ledger

from inferonomics.catalog.book import PriceBook
from inferonomics.errors import LeverError
from inferonomics.levers.base import Scenario, measure
from inferonomics.levers.batch import Batch
from inferonomics.levers.caps import OutputCap
from inferonomics.levers.playbook import compound, run
from inferonomics.levers.pricing import Commitment, Discount, PriceChange
from inferonomics.levers.routing import QualityRoute, QualityTable, Route
from inferonomics.levers.rules import Rule
from inferonomics.levers.spec import parse_lever, parse_ttl

D = Decimal
MTOK = D(1_000_000)
SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5"}


def scenario(rows: list[dict[str, object]]) -> Scenario:
    return Scenario(make_ledger(rows), PriceBook.load())


def cost(s: Scenario) -> Decimal:
    return measure(s).cost_usd


def workload() -> Scenario:
    """1M input + 1M output on Sonnet for each of three features (100 requests each, so no long
    context); 1M input on DeepSeek (no batch price)."""
    each = {"requests": 100, "input_tokens": 1_000_000}
    rows: list[dict[str, object]] = [
        {**SONNET, **each, "feature": f, "output_tokens": 1_000_000}
        for f in ("chat", "summarize", "classify")
    ]
    rows.append({"provider": "deepseek", "model": "deepseek-chat", "feature": "summarize", **each})
    return scenario(rows)


def test_batch_by_feature() -> None:
    s = workload()
    base = cost(s)
    after = cost(Batch(features=("summarize",)).apply(s))
    assert base - after == 18 / D(2)  # the Sonnet summarize row: $18 at half price; DeepSeek stays


def test_batch_share_zero_and_one() -> None:
    s = workload()
    assert cost(Batch(share=D(0)).apply(s)) == cost(s)
    assert cost(s) - cost(Batch(share=D(1)).apply(s)) == 3 * 18 / D(2)


def test_batch_rule_and_flex_validation() -> None:
    s = workload()
    assert cost(s) - cost(Batch(rule=Rule.parse("feature:chat+classify")).apply(s)) == 18
    with pytest.raises(LeverError, match="batch or flex"):
        Batch(tier="priority").apply(s)


def test_route_rules_first_match_wins() -> None:
    s = workload()
    lever = Route(
        ((None, ("chat",), "anthropic/claude-haiku-4-5"), (None, None, "anthropic/claude-opus-4-5"))
    )
    after = measure(lever.apply(s), ["feature", "model"]).table.to_pylist()
    got = {(r["feature"], r["model"]): r["cost_usd"] for r in after}
    assert got[("chat", "claude-haiku-4-5")] == 6
    # Summarize: the Sonnet row ($30 on Opus) and the DeepSeek row (1M input, $5 on Opus).
    assert got[("summarize", "claude-opus-4-5")] == 35
    assert ("summarize", "deepseek-chat") not in got


def test_route_to_unknown_model_is_named() -> None:
    with pytest.raises(LeverError, match="claude-nine"):
        Route(((None, None, "anthropic/claude-nine"),)).apply(workload())


def test_quality_route_picks_the_cheapest_model_that_meets_the_bar() -> None:
    table = QualityTable.from_mapping(
        {
            "tasks": {"chat": 0.8, "summarize": {"bar": 0.9}},
            "models": {
                "anthropic/claude-haiku-4-5": {"chat": 0.85, "summarize": 0.7},
                "anthropic/claude-sonnet-4-5": {"chat": 0.9, "summarize": 0.92},
                "anthropic/claude-opus-4-5": {"chat": 0.95, "summarize": 0.97},
            },
        }
    )
    after = QualityRoute(table).apply(workload())
    rows = measure(after, ["feature", "model"]).table.to_pylist()
    models = {(r["feature"], r["model"]) for r in rows}
    assert ("chat", "claude-haiku-4-5") in models  # Haiku meets 0.8 and is cheapest
    assert ("summarize", "claude-sonnet-4-5") in models  # Haiku fails 0.9; Sonnet beats Opus
    assert any("chat → anthropic/claude-haiku-4-5" in n for n in after.notes)


def test_quality_table_errors(tmp_path: Path) -> None:
    bad = tmp_path / "q.yaml"
    bad.write_text("tasks: [chat]\n")
    with pytest.raises(LeverError, match="'tasks:'"):
        QualityTable.load(bad)


def test_output_caps_exact() -> None:
    s = scenario([{**SONNET, "output_tokens": 58_000, "reasoning_tokens": 8_000}])
    assert cost(s) == D("0.87")
    assert cost(OutputCap(max_reasoning=0).apply(s)) == D("0.75")
    assert cost(OutputCap(max_output=10_000).apply(s)) == D("0.15")
    # A 50% trim of visible output keeps 25,000 of 50,000; reasoning trimmed by 25% keeps 6,000.
    assert cost(OutputCap(output_trim=D("0.5"), reasoning_trim=D("0.25")).apply(s)) == 31_000 * 15 / MTOK


def test_discount_price_change_commitment() -> None:
    s = workload()
    base = cost(s)
    assert cost(Discount(D(20), provider="anthropic").apply(s)) == base - D("0.2") * 54
    assert cost(PriceChange(D(-30)).apply(s)) == base * D("0.7")
    later = PriceChange(D(-30), valid_from=dt.datetime(2027, 1, 1)).apply(s)
    assert cost(later) == base  # not in force yet
    floor = Commitment(D(10), D(100), provider="anthropic").apply(s)
    t = measure(floor)
    assert t.shortfall_usd == 100 - D("0.9") * 54
    assert t.cost_usd == 100 + D("0.28")  # DeepSeek's $0.28 is outside the Anthropic commitment
    with pytest.raises(LeverError, match="between 0% and 100%"):
        Discount(D(100)).apply(s)


def test_playbook_compounds() -> None:
    s = workload()
    book = run(
        s.ledger, s.book, [Batch(features=("summarize",)), Discount(D(20)), OutputCap(output_trim=D("0.5"))]
    )
    assert book.final.cost_usd == cost(
        OutputCap(output_trim=D("0.5")).apply(Discount(D(20)).apply(Batch(features=("summarize",)).apply(s)))
    )
    # The product rule, exactly: what is left is the product of what each step left.
    left = Fraction(1)
    for step in book.steps:
        left *= Fraction(step.after_usd) / Fraction(step.before_usd)
    assert Fraction(book.final.cost_usd) / Fraction(book.baseline.cost_usd) == left
    assert book.added_share > book.saving_share
    assert book.ranked[0].lever == "trim"


def test_playbook_leaves_out_a_step_that_costs_more() -> None:
    s = workload()
    book = run(s.ledger, s.book, [PriceChange(D(10)), Discount(D(10))], skip_losers=True)
    assert not book.steps[0].applied
    assert book.steps[0].saving_usd == 0
    assert book.final.cost_usd == cost(Discount(D(10)).apply(s))


def test_compound_is_the_product_rule() -> None:
    assert compound([D("0.5"), D("0.5")]) == D("0.75")
    assert compound([]) == 0


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("cache:policy=anthropic,ttl=1h,writes=reused", "Caching"),
        ("cache:hit_rate=0.6,reads_per_write=5", "AssumedCaching"),
        ("batch:share=0.5,features=summarize+classify,where=input_total>2000", "Batch"),
        ("route:to=anthropic/claude-haiku-4-5,features=chat", "Route"),
        ("switch:from=anthropic/claude-opus-4-5,to=anthropic/claude-sonnet-4-5", "Route"),
        ("cap:output=2000,reasoning=4000", "OutputCap"),
        ("trim:output=0.2", "OutputCap"),
        ("prices:percent=-30,from=2026-01-01", "PriceChange"),
        ("discount:percent=20,provider=anthropic,tiers=standard+batch", "Discount"),
        ("commit:percent=15,monthly=10000", "Commitment"),
    ],
)
def test_lever_specs(text: str, kind: str) -> None:
    assert type(parse_lever(text)).__name__ == kind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "unknown lever 'nope'"),
        ("batch:size=3", "unknown setting size"),
        ("batch:share", "is not KEY=VALUE"),
        ("cap:output=lots", "not a whole number"),
        ("route:to=haiku", "PROVIDER/MODEL"),
        ("batch:where=colour:red", "not a label column"),
        ("cache:ttl=soon", "not seconds, 5m, 1h or inf"),
    ],
)
def test_lever_spec_errors(text: str, message: str) -> None:
    with pytest.raises(LeverError, match=message):
        parse_lever(text)


def test_ttl_spellings() -> None:
    assert [parse_ttl(x) for x in ("300", "5m", "1h", "24h")] == [300, 300, 3600, 86400]
    assert parse_ttl("inf") == float("inf")
