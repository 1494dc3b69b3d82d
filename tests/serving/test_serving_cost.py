"""$ per million tokens: exact money, conserved cost, the split rule's properties."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from serving_helpers import LLAMA31_8B

from inferonomics.catalog.architectures import architecture_from_config
from inferonomics.errors import CostError, DeploymentError
from inferonomics.serving.configs import Workload
from inferonomics.serving.cost import CostResult, concurrency_for_tpot, cost_of, gpu_hour_price
from inferonomics.serving.deploy import make_deployment

LLAMA = architecture_from_config(LLAMA31_8B, "meta-llama/Llama-3.1-8B")


def _cost(price: Decimal = Decimal(2), utilization: Decimal = Decimal(1), conc: float = 32) -> CostResult:
    dep = make_deployment(LLAMA, "h100_sxm", tp=1, precision="bf16")
    return cost_of(dep, Workload(isl=2000, osl=500, concurrency=conc), price, utilization)


def test_money_is_decimal_and_the_cost_is_conserved() -> None:
    r = _cost()
    for field in ("input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok", "gpu_hour_usd"):
        assert isinstance(getattr(r, field), Decimal)
    # Input and output revenue at these prices pays exactly for the GPU time (to rounding).
    per_s = float(r.input_usd_per_mtok) * r.input_tokens_per_s_per_gpu + float(r.output_usd_per_mtok) * (
        r.output_tokens_per_s_per_gpu
    )
    assert per_s / 1e6 == pytest.approx(2 / 3600, rel=1e-4)
    assert r.cached_input_usd_per_mtok <= r.input_usd_per_mtok
    assert 0 < r.prefill_share < 1


def test_price_and_utilization_scale_the_cost() -> None:
    base = _cost()
    double = _cost(price=Decimal(4))
    half_used = _cost(utilization=Decimal("0.5"))
    for r in (double, half_used):
        assert r.output_usd_per_mtok == pytest.approx(2 * base.output_usd_per_mtok, abs=Decimal("0.000002"))
        assert r.input_usd_per_mtok == pytest.approx(2 * base.input_usd_per_mtok, abs=Decimal("0.000002"))


@settings(max_examples=15, deadline=None)
@given(c1=st.integers(1, 256), c2=st.integers(1, 256))
def test_batching_never_raises_the_output_price(c1: int, c2: int) -> None:
    lo, hi = sorted((c1, c2))
    small, large = _cost(conc=lo), _cost(conc=hi)
    if not large.kv_limited:
        assert large.output_usd_per_mtok <= small.output_usd_per_mtok * Decimal("1.000001")


def test_tpot_slo_picks_the_largest_concurrency() -> None:
    dep = make_deployment(LLAMA, "h100_sxm", tp=1, precision="bf16")
    c = concurrency_for_tpot(dep, 1000, 200, tpot_slo_ms=30)
    assert c >= 1
    slower = cost_of(dep, Workload(isl=1000, osl=200, concurrency=c), Decimal(2))
    assert slower.tpot_ms <= 30
    with pytest.raises(CostError, match="relax --tpot-slo"):
        concurrency_for_tpot(dep, 1000, 200, tpot_slo_ms=0.1)


def test_catalogue_prices_and_bad_inputs(llama_config_file: Path) -> None:
    assert gpu_hour_price("h100", market="specialist") == Decimal("1.695")
    assert gpu_hour_price("h100", usd="2.5") == Decimal("2.5")
    with pytest.raises(CostError, match="must be > 0"):
        gpu_hour_price("h100", usd="-1")
    with pytest.raises(CostError, match="utilization"):
        _cost(utilization=Decimal("1.5"))
    with pytest.raises(DeploymentError, match="dense model"):
        make_deployment(str(llama_config_file), "h100_sxm", tp=2, ep=2)
    with pytest.raises(DeploymentError, match="does not divide"):
        make_deployment(str(llama_config_file), "gb200", tp=3)
