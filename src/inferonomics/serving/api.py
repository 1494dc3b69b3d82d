"""The serving model's public entry points: the cost of one deployment, the frontier of a model on
a GPU, the score against measured points, and what the GPU catalogue holds. Each takes names
(a Hugging Face id, a GPU name, a market tier) and returns a typed result."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from inferonomics.catalog.gpus import load_gpu_catalog
from inferonomics.errors import CostError
from inferonomics.serving.configs import Workload
from inferonomics.serving.cost import (
    DEFAULT_MARKETS,
    CostResult,
    concurrency_for_tpot,
    cost_of,
    gpu_hour_price,
)
from inferonomics.serving.deploy import make_deployment
from inferonomics.serving.frontier import FrontierResult, frontier
from inferonomics.serving.score import ScoreReport, score_file

__all__ = ["GpuListing", "gpu_listing", "score_serving", "serving_cost", "serving_frontier"]


def _money(value: Decimal | str | None, option: str) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CostError(f"{option} {value!r} is not a number") from None
    if not number.is_finite() or number <= 0:
        raise CostError(f"{option} must be a positive number, got {value!r}")
    return number


def _gpu_price(gpu: str, gpu_hour_usd: Decimal | str | None, market: str | None) -> Decimal:
    if gpu_hour_usd is not None and market is not None:
        raise CostError("give at most one of a GPU-hour price and a market tier")
    return gpu_hour_price(gpu, usd=_money(gpu_hour_usd, "--gpu-hour-usd"), market=market)


def serving_cost(
    model: str,
    gpu: str,
    *,
    isl: int,
    osl: int,
    concurrency: float | None = None,
    tpot_slo_ms: float | None = None,
    tp: int | None = None,
    ep: int | None = None,
    attention_dp: int = 1,
    precision: str | None = None,
    engine: str = "generic",
    gpu_hour_usd: Decimal | str | None = None,
    market: str | None = None,
    utilization: Decimal | str = Decimal(1),
    configs_dir: Path | None = None,
) -> CostResult:
    """Latency, throughput and $ per million input, output and cached-input tokens of serving
    `model` on `gpu` at `concurrency` requests in flight, or at the highest concurrency whose time
    per output token stays within `tpot_slo_ms` (give exactly one). The GPU-hour price is
    `gpu_hour_usd`, or the catalogue's `market` tier (default: the GPU's default tier)."""
    if (concurrency is None) == (tpot_slo_ms is None):
        raise CostError("give exactly one of a concurrency and a TPOT target (--concurrency / --tpot-slo)")
    dep = make_deployment(
        model,
        gpu,
        tp=tp,
        ep=ep,
        attention_dp=attention_dp,
        precision=precision,
        engine=engine,
        configs_dir=configs_dir,
    )
    if tpot_slo_ms is not None:
        concurrency = concurrency_for_tpot(dep, isl, osl, tpot_slo_ms)
    assert concurrency is not None
    price = _gpu_price(dep.gpu.name, gpu_hour_usd, market)
    try:
        u = Decimal(utilization)
    except InvalidOperation:
        raise CostError(f"--utilization {utilization!r} is not a number") from None
    return cost_of(dep, Workload(isl=isl, osl=osl, concurrency=concurrency), price, u)


def serving_frontier(
    model: str,
    gpu: str,
    *,
    isl: int,
    osl: int,
    precision: str | None = None,
    engine: str = "generic",
    max_gpus: int | None = None,
    gpu_hour_usd: Decimal | str | None = None,
    market: str | None = None,
    configs_dir: Path | None = None,
) -> FrontierResult:
    """Output tokens/s per GPU against tokens/s per user for `model` on `gpu`, over a sweep of
    layouts (up to `max_gpus`, default the scale-up domain) and concurrencies; with a GPU-hour
    price (or market tier), each point's $ per million output tokens."""
    price = None
    if gpu_hour_usd is not None or market is not None:
        price = _gpu_price(gpu, gpu_hour_usd, market)
    return frontier(
        model,
        gpu,
        isl,
        osl,
        precision=precision,
        engine=engine,
        max_gpus=max_gpus,
        gpu_hour_usd=price,
        configs_dir=configs_dir,
    )


def score_serving(csv: Path, configs_dir: Path | None = None) -> ScoreReport:
    """Predict every row of a measured-points CSV (the calibration file's format) and report the
    error, overall and by system, model and mode."""
    return score_file(csv, configs_dir)


@dataclass(frozen=True)
class GpuListing:
    """A GPU of the catalogue with its market tiers (mid-point $/GPU-hour of each, latest price)."""

    name: str
    display_name: str
    aliases: tuple[str, ...]
    hbm_gib: float
    markets: dict[str, Decimal]
    default_market: str | None


def gpu_listing() -> list[GpuListing]:
    """Every GPU the serving model knows, with the market tiers priced for it."""
    catalog = load_gpu_catalog()
    out = []
    for spec in catalog.gpus:
        tiers = catalog.tiers(spec.name)
        out.append(
            GpuListing(
                name=spec.name,
                display_name=spec.display_name,
                aliases=tuple(spec.aliases),
                hbm_gib=spec.hbm_capacity_gib,
                markets={t: catalog.price(spec.name, t).mid_usd_per_gpu_hour for t in tiers},
                default_market=next((t for t in DEFAULT_MARKETS if t in tiers), None),
            )
        )
    return out
