"""The GPU catalogue: sourced specs, dated prices, strict loading, nearest-name errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from inferonomics.catalog.gpus import GpuCatalog, GpuPrice, GpuSpec, load_gpu_catalog, parse_gpu_catalog
from inferonomics.errors import GpuCatalogError

REQUIRED = ["h100_sxm", "h100_pcie", "h200_sxm", "b200_sxm", "b300_sxm", "gb200", "gb300", "a100_sxm", "l40s"]
REQUIRED += ["mi300x", "mi325x", "mi355x"]


def test_required_gpus_are_catalogued_with_sources() -> None:
    catalog = load_gpu_catalog()
    assert set(REQUIRED) <= set(catalog.names())
    for gpu in catalog.gpus:
        assert gpu.source
        assert gpu.checked <= dt.date.today()
        assert gpu.hbm_bytes_per_s > 0
        assert gpu.flops_per_s("bf16") > 0


def test_published_figures() -> None:
    catalog = load_gpu_catalog()
    h100 = catalog.get("h100_sxm")
    assert h100.flops_per_s("bf16") == 989.4e12  # NVIDIA datasheet, dense
    assert h100.flops_per_s("fp8") == 1978.9e12
    assert h100.hbm_bytes_per_s == 3.35e12
    assert h100.hbm_bytes == 80 * 2**30
    mi300x = catalog.get("mi300x")  # AMD product page
    assert (mi300x.flops_per_s("bf16"), mi300x.flops_per_s("fp8")) == (1307.4e12, 2614.9e12)
    assert mi300x.hbm_bytes_per_s == 5.3e12
    assert mi300x.hbm_bytes == 192 * 2**30
    # FP4 only where the hardware has it; elsewhere the next wider format's rate.
    assert catalog.get("b200").flops_per_s("nvfp4") == 9000e12
    assert not h100.has_precision("nvfp4")
    assert h100.flops_per_s("nvfp4") == 1978.9e12


def test_lookup_is_forgiving_and_errors_name_the_nearest() -> None:
    catalog = load_gpu_catalog()
    assert catalog.get("H100").name == "h100_sxm"
    assert catalog.get("B200-SXM").name == "b200_sxm"
    with pytest.raises(GpuCatalogError, match=r"nearest: h100"):
        catalog.get("h1000")


def test_prices_are_exact_and_dated() -> None:
    catalog = load_gpu_catalog()
    spot = catalog.price("h100_sxm", "specialist")
    assert isinstance(spot.low_usd_per_gpu_hour, Decimal)
    assert (spot.low_usd_per_gpu_hour, spot.high_usd_per_gpu_hour) == (Decimal("1.49"), Decimal("1.90"))
    assert spot.mid_usd_per_gpu_hour == Decimal("1.695")
    with pytest.raises(GpuCatalogError, match="in force"):
        catalog.price("h100_sxm", "specialist", on=dt.date(2020, 1, 1))
    with pytest.raises(GpuCatalogError, match="tiers with a price"):
        catalog.price("b200", "spot")


def test_every_field_is_described() -> None:
    for model in (GpuSpec, GpuPrice, GpuCatalog):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_loader_is_strict() -> None:
    text = """
gpus:
  - name: x
    display_name: X
    vendor: nvidia
    architecture: y
    dense_tflops: {bf16: 1.0}
    hbm_capacity_gib: 1
    hbm_bandwidth_tb_per_s: 1
    scale_up_gb_per_s: 1
    scale_up_domain_gpus: 1
    power_watts: 1
    source: s
    checked: 2026-01-01
    hbm_gb: 3
prices: []
"""
    with pytest.raises(GpuCatalogError, match=r"gpus\.0\.hbm_gb"):
        parse_gpu_catalog(text, "test.yaml")
