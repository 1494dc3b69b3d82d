"""Playbook discovery scored against the un-optimized profile's planted truth: every planted saving
found by the right lever (recall), no interactive feature batched and no quality-sensitive feature
routed without a flag (precision), each step's saving equal to hand arithmetic from the ledger's
token sums and the providers' published prices, and the compounded saving near the planted maximum.

Prices used by hand (Anthropic's pricing page, USD per million tokens): Claude Opus 4.1 $15 input /
$75 output; Claude Haiku 4.5 $1 / $5; Claude Sonnet 4.5 $3 / $15, and the Batch API at 50% of it.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import inferonomics as inf
from inferonomics.errors import LeverError
from inferonomics.ledger.profiles import PLANTED_METADATA_KEY, planted_truth
from inferonomics.levers.batch import Batch
from inferonomics.levers.caching import Caching
from inferonomics.levers.caps import OutputCap
from inferonomics.levers.discover_candidate import QualityVerdicts
from inferonomics.levers.routing import Route

ROWS = 6_000
MTOK = Decimal(1_000_000)


@pytest.fixture(scope="module")
def unoptimized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("discover") / "unoptimized.parquet"
    inf.generate_demo(path, ROWS, seed=11, profile="unoptimized")
    return path


@pytest.fixture(scope="module")
def quality(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("quality") / "quality.csv"
    path.write_text(
        "feature,model,acceptable\n"
        "legal-check,anthropic/claude-haiku-4-5,no\n"
        "ticket-classify,anthropic/claude-haiku-4-5,yes\n"
    )
    return path


@pytest.fixture(scope="module")
def book() -> inf.PriceBook:
    return inf.PriceBook.load()


def _sums(path: Path, feature: str) -> tuple[int, int, np.ndarray]:
    t = pq.read_table(path)
    t = t.filter(pc.equal(t["feature"], feature))
    return (
        pc.sum(t["input_tokens"]).as_py(),
        pc.sum(t["output_tokens"]).as_py(),
        t["output_tokens"].to_numpy(),
    )


def _step(result: inf.Playbook, lever: str) -> inf.Step:
    (step,) = [s for s in result.steps if s.lever == lever]
    return step


def test_the_profile_records_what_it_planted(unoptimized: Path) -> None:
    truth = planted_truth(unoptimized)
    assert truth is not None
    assert (truth["profile"], truth["rows"], truth["seed"]) == ("unoptimized", ROWS, 11)
    assert truth["batchable"] == ["nightly-digest"]
    assert truth["routable"] == {
        "ticket-classify": {"from": "anthropic/claude-opus-4-1", "to": "anthropic/claude-haiku-4-5"}
    }
    assert (list(truth["cacheable"]), list(truth["runaway"])) == (["support-chat"], ["report-writer"])
    assert PLANTED_METADATA_KEY in (pq.read_schema(unoptimized).metadata or {})
    # Rows per feature: 6,000 x 35/25/20/15/5 %.
    t = pq.read_table(unoptimized, columns=["feature"])
    counts = {r["values"]: r["counts"] for r in pc.value_counts(t["feature"]).to_pylist()}
    assert counts == {
        "support-chat": 2100,
        "ticket-classify": 1500,
        "nightly-digest": 1200,
        "report-writer": 900,
        "legal-check": 300,
    }


def test_a_realistic_file_has_no_planted_truth(tmp_path: Path) -> None:
    path = tmp_path / "real.parquet"
    inf.generate_demo(path, 500, seed=3)
    assert planted_truth(path) is None


@pytest.mark.slow
def test_discovery_finds_every_planted_saving_by_the_right_lever(
    unoptimized: Path, book: inf.PriceBook
) -> None:
    truth = planted_truth(unoptimized)
    assert truth is not None
    found = inf.discover(inf.Ledger.open([unoptimized]), book)
    by_lever = {c.lever: c for c in found.candidates}
    assert [c.lever for c in found.candidates] == ["cache", "cap", "route", "batch"]
    # Recall.
    assert set(truth["batchable"]) <= set(by_lever["batch"].features)
    assert set(truth["cacheable"]) <= set(by_lever["cache"].features)
    assert set(truth["runaway"]) <= set(by_lever["cap"].features)
    for feature, move in truth["routable"].items():
        assert by_lever["route"].detail[f"{feature}|{move['from']}"]["to"] == move["to"]
    # Precision: no interactive feature batched, nothing else capped or batched, every heuristic
    # route flagged for an evaluation (the quality-sensitive feature included).
    assert not set(truth["interactive"]) & set(by_lever["batch"].features)
    assert by_lever["batch"].features == ["nightly-digest"]
    assert by_lever["cap"].features == ["report-writer"]
    assert by_lever["cache"].features == ["support-chat"]
    for feature in truth["quality_sensitive"]:
        assert any(f.startswith(f"{feature}: verify with an evaluation") for f in by_lever["route"].flags)
    assert len(by_lever["route"].flags) == len(by_lever["route"].features)
    # Evidence carries the figures: the burst, and the cap's tail and truncated share.
    assert any("100.0% of its requests arrive in bursts" in e for e in by_lever["batch"].evidence)
    assert "p50/p95/p99/max" in by_lever["cap"].evidence[0]


@pytest.mark.slow
def test_each_discovered_step_bills_what_hand_arithmetic_gives(
    unoptimized: Path, quality: Path, book: inf.PriceBook
) -> None:
    ledger = inf.Ledger.open([unoptimized])
    options = inf.DiscoveryOptions().with_files(quality=quality)
    # Route: ticket-classify from Opus 4.1 to Haiku 4.5; legal-check stays (the table says no).
    routed = inf.playbook(
        ledger, book=book, options=inf.DiscoveryOptions(only=("route",), quality=options.quality)
    )
    step = _step(routed, "route")
    assert (step.features, step.flags) == (["ticket-classify"], [])
    tin, tout, _ = _sums(unoptimized, "ticket-classify")
    assert step.saving_usd == (Decimal(tin) * 14 + Decimal(tout) * 70) / MTOK
    assert any("legal-check" in n and "accepts no cheaper model" in n for n in routed.notes)
    # Batch: the nightly digest on Sonnet 4.5 at half price.
    batched = inf.playbook(ledger, book=book, options=inf.DiscoveryOptions(only=("batch",)))
    nin, nout, _ = _sums(unoptimized, "nightly-digest")
    assert _step(batched, "batch").saving_usd == (Decimal(nin) * 3 + Decimal(nout) * 15) / MTOK / 2
    # Cap: the report writer's output cut at its 95th percentile (linear interpolation, rounded up).
    capped = inf.playbook(ledger, book=book, options=inf.DiscoveryOptions(only=("cap",)))
    _, _, outputs = _sums(unoptimized, "report-writer")
    cap = math.ceil(float(np.percentile(outputs, 95)))
    cut = int(np.maximum(outputs - cap, 0).sum())
    step = _step(capped, "cap")
    assert step.description == f"output capped at {cap:,} tokens (report-writer)"
    assert step.saving_usd == Decimal(cut) * 15 / MTOK
    truncated = int((outputs > cap).sum())
    assert capped.discovery is not None
    assert capped.discovery.candidates[0].detail["report-writer"]["truncated_requests"] == truncated


@pytest.mark.slow
def test_the_compounded_saving_is_near_the_planted_maximum(
    unoptimized: Path, quality: Path, book: inf.PriceBook
) -> None:
    truth = planted_truth(unoptimized)
    assert truth is not None
    ledger = inf.Ledger.open([unoptimized])
    runaway = truth["runaway"]["report-writer"]["normal_max_output"]
    planted = inf.whatif(
        ledger,
        [
            Caching(choose_ttl=True),
            OutputCap(max_output=runaway, features=("report-writer",)),
            Route(((None, ("ticket-classify",), truth["routable"]["ticket-classify"]["to"]),)),
            Batch(features=tuple(truth["batchable"])),
        ],
        book=book,
    )
    found = inf.playbook(ledger, book=book, options=inf.DiscoveryOptions().with_files(quality=quality))
    assert abs(found.saving_share - planted.saving_share) <= Decimal("0.03")
    assert found.saving_share == found.compounded_share


def test_a_quality_table_is_read_strictly(tmp_path: Path) -> None:
    good = tmp_path / "q.csv"
    good.write_text(
        "feature,model,acceptable\nchat,anthropic/claude-haiku-4-5,Yes\nchat,openai/gpt-5-nano,0\n"
    )
    table = QualityVerdicts.load(good)
    assert table.for_feature("chat") == {"anthropic/claude-haiku-4-5": True, "openai/gpt-5-nano": False}
    bad = tmp_path / "bad.csv"
    bad.write_text("feature,model,acceptable\nchat,anthropic/claude-haiku-4-5,maybe\n")
    with pytest.raises(LeverError, match=r"bad.csv line 2: acceptable is 'maybe': yes or no"):
        QualityVerdicts.load(bad)
    bad.write_text("feature,model,acceptable\nchat,haiku,yes\n")
    with pytest.raises(LeverError, match=r"line 2: a target model is PROVIDER/MODEL"):
        QualityVerdicts.load(bad)
    bad.write_text("feature,model\nchat,anthropic/claude-haiku-4-5\n")
    with pytest.raises(LeverError, match="columns feature, model, acceptable"):
        QualityVerdicts.load(bad)


def test_unknown_levers_and_percentiles_are_refused(unoptimized: Path, book: inf.PriceBook) -> None:
    ledger = inf.Ledger.open([unoptimized])
    with pytest.raises(LeverError, match="unknown lever 'teleport'"):
        inf.discover(ledger, book, inf.DiscoveryOptions(only=("teleport",)))
    with pytest.raises(LeverError, match="cap percentile"):
        inf.discover(ledger, book, inf.DiscoveryOptions(cap_percentile=1.5))


@pytest.mark.slow
def test_a_commitment_from_the_users_sheet_is_proposed_only_where_spend_covers_it(
    unoptimized: Path, book: inf.PriceBook, tmp_path: Path
) -> None:
    sheet = tmp_path / "offers.yaml"
    sheet.write_text(
        "commitments:\n"
        "  - {provider: anthropic, percent: 10, monthly: 1, name: small}\n"
        "  - {provider: anthropic, percent: 30, monthly: 1000000000, name: huge}\n"
    )
    ledger = inf.Ledger.open([unoptimized])
    options = inf.DiscoveryOptions(only=("commit",)).with_files(commitments=sheet)
    result = inf.playbook(ledger, book=book, options=options)
    (step,) = result.steps
    assert step.lever == "commit"
    # One month of Anthropic spend, far above $1: 10% off every rate, no shortfall.
    assert step.saving_usd == result.baseline.cost_usd / 10
    assert any("'huge' not proposed" in n for n in result.notes)
    bad = tmp_path / "bad.yaml"
    bad.write_text("commitments:\n  - {provider: anthropic, percent: 120, monthly: 5}\n")
    with pytest.raises(LeverError, match="percent is in"):
        inf.DiscoveryOptions().with_files(commitments=bad)
