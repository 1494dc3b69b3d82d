"""What a token costs to serve: $ per million input, output and cached-input tokens.

The GPUs of a deployment cost `gpus x $/GPU-hour`; at utilization U (the share of paid hours the
deployment serves at this operating point) every served second carries 1/U seconds of cost.

Splitting GPU time between phases (the rule):
- aggregated serving: an iteration's time is split by what it computes. The prompt share of GPU time
  is the time prefills add to the decode iterations (per rank: arrival rate x marginal prefill time);
  input tokens carry that share of the cost, output tokens the rest (decode steps, KV reads of the
  whole context, fixed per-step overheads);
- disaggregated serving: the prefill workers' cost goes to input tokens, the decode workers' to
  output tokens.

A cached input token (a prompt prefix already in the KV cache) is not recomputed. It costs reading
its KV once into the prefill of the new tokens (its KV bytes at the KV-read bandwidth) and holding
those bytes in HBM for the cache's lifetime (`cache_ttl_s`, default 300 s) at the deployment's price
per HBM byte-second, capped at the uncached input price (holding a prefix in HBM for minutes can
cost more than recomputing it; an engine would then recompute). Its later KV reads during decode
are already part of the output price.

Money is Decimal; the physics (token rates, seconds) is float64 and enters at 12 significant digits.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from inferonomics.catalog.gpus import load_gpu_catalog
from inferonomics.errors import CostError
from inferonomics.serving.configs import Deployment, Workload, build_arrays
from inferonomics.serving.params import EfficiencyParams, load_fitted_params
from inferonomics.serving.physics import kv_shards
from inferonomics.serving.steady import predict_arrays

__all__ = [
    "COST_RULE",
    "CostResult",
    "concurrency_for_tpot",
    "cost_of",
    "gpu_hour_price",
]

COST_RULE = (
    "GPU cost = GPUs x $/GPU-hour / utilization. Aggregated: input tokens carry the share of GPU time "
    "prefills add to the iterations, output tokens the rest. Disaggregated: prefill workers' cost to "
    "input, decode workers' to output. Cached input: reading its KV once plus holding it in HBM for "
    "the cache lifetime, at most the uncached input price."
)

_MICRO = Decimal("0.000001")


def _dec(x: float) -> Decimal:
    if not math.isfinite(x):
        raise CostError(f"non-finite quantity {x!r} in a cost computation")
    return Decimal(format(x, ".12g"))


def _per_mtok(usd_per_s: Decimal, tokens_per_s: float) -> Decimal:
    if tokens_per_s <= 0:
        raise CostError("no tokens served at this operating point")
    return (usd_per_s * Decimal(1_000_000) / _dec(tokens_per_s)).quantize(_MICRO, rounding=ROUND_HALF_EVEN)


class CostResult(BaseModel):
    """Latency, throughput and $/MTok of one deployment at one operating point."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Model id.")
    gpu: str = Field(description="GPU catalogue key.")
    mode: str = Field(description="agg or disagg.")
    gpus: int = Field(description="GPUs in use.")
    tp: int = Field(description="Tensor-parallel degree of the (decode) worker.")
    ep: int = Field(description="Expert-parallel degree.")
    weight_precision: str = Field(description="Precision of dense weights.")
    moe_precision: str = Field(description="Precision of routed experts.")
    kv_precision: str = Field(description="Precision of the KV cache.")
    isl: int = Field(description="Input tokens per request.")
    osl: int = Field(description="Output tokens per request.")
    concurrency: float = Field(description="Requests in flight.")
    ttft_ms: float = Field(description="Time to first token, ms.")
    tpot_ms: float = Field(description="Time per output token, ms.")
    tokens_per_s_per_user: float = Field(description="Output tokens per second seen by one user (1/TPOT).")
    output_tokens_per_s_per_gpu: float = Field(description="Output tokens per second per GPU.")
    input_tokens_per_s_per_gpu: float = Field(description="Input tokens per second per GPU.")
    kv_limited: bool = Field(description="True when KV memory, not the concurrency, sets the batch.")
    prefill_share: float = Field(description="Share of GPU cost attributed to input tokens.")
    gpu_hour_usd: Decimal = Field(description="Price per GPU-hour used (exact).")
    utilization: Decimal = Field(description="Share of paid GPU hours spent serving.")
    input_usd_per_mtok: Decimal = Field(description="$ per million (uncached) input tokens.")
    output_usd_per_mtok: Decimal = Field(description="$ per million output tokens.")
    cached_input_usd_per_mtok: Decimal = Field(description="$ per million cached input tokens.")
    cache_ttl_s: float = Field(description="Cache lifetime assumed for cached input, s.")
    rule: str = Field(description="How GPU time is split between phases.")


DEFAULT_MARKETS = ("owner_neocloud", "rental_3yr", "mid_tier")
"""The market tier a cost uses when none is named: the first of these the GPU has a price in."""


def gpu_hour_price(gpu: str, *, usd: Decimal | str | None = None, market: str | None = None) -> Decimal:
    """A $/GPU-hour: given directly, or the mid-point of a catalogue market tier's range."""
    if usd is not None:
        value = Decimal(str(usd))
        if value <= 0:
            raise CostError(f"--gpu-hour-usd must be > 0 (got {usd})")
        return value
    catalog = load_gpu_catalog()
    spec = catalog.get(gpu)
    tiers = catalog.tiers(spec.name)
    tier = market or next((t for t in DEFAULT_MARKETS if t in tiers), None)
    if tier is None:
        raise CostError(f"no catalogue price for {spec.name}: pass --gpu-hour-usd")
    return catalog.price(spec.name, tier).mid_usd_per_gpu_hour


def concurrency_for_tpot(
    deployment: Deployment,
    isl: int,
    osl: int,
    tpot_slo_ms: float,
    params: EfficiencyParams | None = None,
    max_concurrency: int = 8192,
) -> float:
    """The largest concurrency whose TPOT is within `tpot_slo_ms` and whose batch fits in KV memory.

    (Past the KV limit extra requests only queue: TPOT stops growing while TTFT explodes.)
    """
    params = params or load_fitted_params()
    grid = np.unique(np.round(np.geomspace(1, max_concurrency, 400)))
    base = build_arrays([deployment], [Workload(isl=isl, osl=osl, concurrency=1)])
    arrays = base.repeat(grid.size).with_(conc=grid)
    pred = predict_arrays(arrays, params)
    ok = (pred.tpot_s * 1e3 <= tpot_slo_ms) & pred.fits & ~pred.kv_limited
    if not ok.any():
        best = float(np.min(pred.tpot_s) * 1e3)
        raise CostError(
            f"no concurrency meets TPOT <= {tpot_slo_ms} ms on this deployment (best {best:.1f} ms at "
            "concurrency 1): relax --tpot-slo or add GPUs (--tp)"
        )
    return float(grid[ok].max())


def cost_of(
    deployment: Deployment,
    workload: Workload,
    gpu_hour_usd: Decimal,
    utilization: Decimal | float = Decimal(1),
    params: EfficiencyParams | None = None,
    cache_ttl_s: float = 300.0,
) -> CostResult:
    """Latency, throughput and $/MTok of a deployment under a workload."""
    params = params or load_fitted_params()
    u = Decimal(str(utilization))
    if not Decimal(0) < u <= Decimal(1):
        raise CostError(f"utilization must be in (0, 1] (got {utilization})")
    arrays = build_arrays([deployment], [workload])
    pred = predict_arrays(arrays, params)
    if not bool(pred.fits[0]):
        raise CostError("the weights do not fit in the GPUs' memory: raise --tp/--ep or lower --precision")
    gpus = float(pred.gpus[0])
    usd_per_s = gpu_hour_usd * _dec(gpus) / Decimal(3600) / u
    share = float(pred.prefill_busy[0])
    if deployment.mode == "disagg":
        share = float(pred.prefill_gpus[0] / pred.gpus[0])
    out_tps = float(pred.output_tokens_per_s[0])
    in_tps = out_tps * workload.isl / workload.osl
    input_price = _per_mtok(usd_per_s * _dec(share), in_tps)
    output_price = _per_mtok(usd_per_s * _dec(1.0 - share), out_tps)

    # Cached input: hold its KV bytes for the TTL, read them once.
    a = arrays
    kv_token = float((a.kv_full[0] + a.kv_window[0]) * a.kvb[0])
    replicas = float(a.tp[0] / kv_shards(a, a.tp)[0])  # MLA latents and few KV heads repeat across TP
    hbm_total = gpus * deployment.gpu.hbm_bytes
    usd_per_byte_s = usd_per_s / _dec(hbm_total)
    hold = usd_per_byte_s * _dec(kv_token * replicas * cache_ttl_s)
    read_s = kv_token * replicas / (params.kv_hbm_efficiency * deployment.gpu.hbm_bytes_per_s)
    read = gpu_hour_usd / Decimal(3600) / u * _dec(read_s)
    cached = ((hold + read) * Decimal(1_000_000)).quantize(_MICRO, rounding=ROUND_HALF_EVEN)
    cached = min(cached, input_price)  # an engine recomputes rather than hold a prefix dearer than that

    w = deployment.worker
    return CostResult(
        model=deployment.architecture.model_id,
        gpu=deployment.gpu.name,
        mode=deployment.mode,
        gpus=round(gpus),
        tp=w.tp,
        ep=w.expert_ep,
        weight_precision=deployment.weight_precision,
        moe_precision=deployment.expert_precision,
        kv_precision=deployment.cache_precision,
        isl=workload.isl,
        osl=workload.osl,
        concurrency=workload.concurrency,
        ttft_ms=round(float(pred.ttft_s[0]) * 1e3, 3),
        tpot_ms=round(float(pred.tpot_s[0]) * 1e3, 4),
        tokens_per_s_per_user=round(1.0 / float(pred.tpot_s[0]), 3),
        output_tokens_per_s_per_gpu=round(out_tps / gpus, 3),
        input_tokens_per_s_per_gpu=round(in_tps / gpus, 3),
        kv_limited=bool(pred.kv_limited[0]),
        prefill_share=round(share, 6),
        gpu_hour_usd=gpu_hour_usd,
        utilization=u,
        input_usd_per_mtok=input_price,
        output_usd_per_mtok=output_price,
        cached_input_usd_per_mtok=cached,
        cache_ttl_s=cache_ttl_s,
        rule=COST_RULE,
    )
