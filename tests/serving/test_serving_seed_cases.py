"""Seed cases D1, D2, D3, D5: the articles' chains reproduced, the sound model's answers checked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from inferonomics.serving.seed_cases import (
    d1_article_chain,
    d1_sound_model,
    d2_margin_table,
    d3_session_cost,
    d5_break_even,
    llama2,
    verdict,
)


def test_d1_article_chain_exactly() -> None:
    chain = d1_article_chain()
    # 3,350 GB/s / 74 GB = 45.2703 passes/s per instance; x 32 x 1,000 tokens x 9 instances x 3,600 s.
    assert chain.forward_passes_per_s == Decimal("45.2703")
    assert chain.input_tokens_per_hour == Decimal(46_936_216_216)
    assert chain.output_tokens_per_hour == Decimal(46_936_216)
    # $144 / 46,936.216 M = $0.003068; $144 / 46.936216 M = $3.067993.
    assert chain.input_usd_per_mtok == Decimal("0.003068")
    assert chain.output_usd_per_mtok == Decimal("3.067993")
    assert chain.asymmetry == Decimal(1000)
    assert set(chain.checks.values()) == {"holds"}


@pytest.mark.shared_data
def test_d1_sound_model(configs_dir: Path) -> None:
    result = d1_sound_model()
    article_instance, *fits = result.sound_model
    # 671B FP8 parameters leave no KV room in 8 x 80 GiB.
    assert not article_instance.feasible
    assert article_instance.cost is None
    for row in fits:
        assert row.cost is not None
        # A sound input price is far above the article's $0.003/MTok (prefill is compute-bound).
        assert row.cost.input_usd_per_mtok > 10 * result.article.input_usd_per_mtok
    assert result.corrected_chain["experts_touched_per_layer_at_batch"] == pytest.approx(163.31, abs=0.01)


def test_d3_session_cost_at_the_article_rates() -> None:
    r = d3_session_cost(Decimal("0.003"), Decimal(3))
    # 500,000 x $0.003/M + 5,000 x $3/M = $0.0015 + $0.015.
    assert r.per_session_usd == Decimal("0.016500")
    assert r.per_day_usd == Decimal("0.825000")
    assert r.per_month_usd == Decimal("24.750000")
    assert set(r.checks.values()) == {"holds"}
    cached = d3_session_cost(
        Decimal("0.10"), Decimal(3), cached_fraction=Decimal("0.9"), cached_input_usd_per_mtok=Decimal("0.01")
    )
    # 50,000 x 0.10 + 450,000 x 0.01 + 5,000 x 3 = 0.005 + 0.0045 + 0.015 per session.
    assert cached.per_session_usd == Decimal("0.024500")


# The prices the D2 case text states: (input, output) $/MTok.
D2_PRICES = {
    "Opus 4.1": (Decimal(15), Decimal(75)),
    "Opus 4.5": (Decimal(5), Decimal(25)),
    "Sonnet": (Decimal(3), Decimal(15)),
    "Haiku 4.5": (Decimal(1), Decimal(5)),
    "Haiku 3": (Decimal("0.25"), Decimal("1.25")),
    "DeepSeek V3.2": (Decimal("0.27"), Decimal("1.10")),
}


@pytest.mark.shared_data
def test_d2_margin_table(configs_dir: Path) -> None:
    rows = d2_margin_table(D2_PRICES)
    assert [r.api_model for r in rows] == list(D2_PRICES)
    for r in rows:
        price_in, price_out = D2_PRICES[r.api_model]
        assert r.margin_output == (1 - r.cost_output_usd_per_mtok / price_out).quantize(Decimal("0.0001"))
        assert r.margin_input == (1 - r.cost_input_usd_per_mtok / price_in).quantize(Decimal("0.0001"))
        assert r.cost_verdict
        assert r.margin_verdict


def test_llama2_sizes_match_their_names() -> None:
    # Published totals: 6.74B, 13.0B, 69.0B.
    assert llama2("7B").total_params == pytest.approx(6.74e9, rel=0.005)
    assert llama2("13B").total_params == pytest.approx(13.0e9, rel=0.005)
    assert llama2("70B").total_params == pytest.approx(69.0e9, rel=0.005)


def test_d5_break_even_is_cost_over_price() -> None:
    # Illustrative API prices (the price book supplies real ones): $ per MTok in and out.
    rows = d5_break_even(
        {"7B": (Decimal("0.20"), Decimal("0.20"))}, tiers=("specialist", "hyperscaler_on_demand")
    )
    assert len(rows) == 2
    for r in rows:
        ratio = r.cost_per_request_at_full_use_usd / r.api_cost_per_request_usd
        if r.break_even_utilization is None:
            assert ratio > 1
        else:
            assert r.break_even_utilization == pytest.approx(ratio, abs=Decimal("0.0002"))
    # Dearer GPUs need more use to break even.
    assert rows[0].gpu_hour_usd < rows[1].gpu_hour_usd


def test_verdict() -> None:
    assert verdict(3.0, 3.08, 3.08) == "holds"
    assert verdict(1.0, 3.0, 8.0).startswith("does not hold")
