"""The throughput-interactivity frontier: output tokens/s per GPU against tokens/s per user.

A sweep over parallel layouts (tensor-parallel attention, or data-parallel attention with
expert-parallel experts for MoE models) and concurrencies, predicted in one vectorized pass; the
frontier keeps the points no other point beats on both axes.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from inferonomics.catalog.architectures import ModelArchitecture, load_architecture
from inferonomics.catalog.gpus import GpuSpec, load_gpu_catalog
from inferonomics.errors import DeploymentError
from inferonomics.serving.configs import ConfigArrays, Deployment, Workload, build_arrays
from inferonomics.serving.deploy import make_deployment
from inferonomics.serving.params import EfficiencyParams, load_fitted_params
from inferonomics.serving.steady import predict_arrays

__all__ = [
    "FrontierPoint",
    "FrontierResult",
    "best_layout_under_slo",
    "frontier",
    "pareto_mask",
    "sweep_arrays",
]


class FrontierPoint(BaseModel):
    """One configuration on the frontier: its parallel layout and concurrency, with the predicted latencies
    and throughputs and (given a GPU-hour price) the output cost."""

    model_config = ConfigDict(frozen=True)

    tp: int = Field(description="Attention tensor-parallel degree.")
    attention_dp: int = Field(description="Data-parallel attention ranks.")
    ep: int = Field(description="Expert-parallel degree.")
    gpus: int = Field(description="GPUs of the worker.")
    concurrency: float = Field(description="Requests in flight.")
    ttft_ms: float = Field(description="Time to first token, ms.")
    tpot_ms: float = Field(description="Time per output token, ms.")
    tokens_per_s_per_user: float = Field(description="1 / TPOT.")
    output_tokens_per_s_per_gpu: float = Field(description="Output tokens per second per GPU.")
    output_usd_per_mtok: Decimal | None = Field(
        None, description="Output $/MTok at the given GPU-hour price (decode share of GPU time)."
    )


class FrontierResult(BaseModel):
    """The frontier of one model on one GPU type at one request shape (`isl` in, `osl` out): how many
    configurations were swept, and the Pareto-optimal points, most interactive first."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Model id.")
    gpu: str = Field(description="GPU catalogue key.")
    isl: int = Field(description="Input tokens per request.")
    osl: int = Field(description="Output tokens per request.")
    configurations: int = Field(description="Configurations swept.")
    frontier: list[FrontierPoint] = Field(description="Pareto-optimal points, most interactive first.")


def pareto_mask(interactivity: np.ndarray, throughput: np.ndarray) -> np.ndarray:
    """Points not beaten on both axes (higher is better on both)."""
    order = np.lexsort((-throughput, -interactivity))
    keep = np.zeros(interactivity.size, dtype=bool)
    best = -np.inf
    for i in order:
        if throughput[i] > best:
            keep[i] = True
            best = throughput[i]
    return keep


def _layouts(gpus_max: int, is_moe: bool) -> list[tuple[int, int, int]]:
    """(tp, attention_dp, ep) layouts up to `gpus_max` GPUs."""
    sizes = [g for g in (1, 2, 4, 8, 16, 32, 64, 72) if g <= gpus_max]
    out = [(g, 1, g if is_moe else 1) for g in sizes]
    if is_moe:
        out += [(1, g, g) for g in sizes if g > 1]
    return out


def sweep_arrays(
    deployments: list[Deployment], isl: int, osl: int, concurrencies: np.ndarray
) -> tuple[ConfigArrays, np.ndarray]:
    """Columns for every (deployment, concurrency) pair, and the deployment index of each row."""
    base = build_arrays(deployments, [Workload(isl=isl, osl=osl, concurrency=1)] * len(deployments))
    n = concurrencies.size
    arrays = base.repeat(n).with_(conc=np.tile(concurrencies, len(deployments)))
    return arrays, np.repeat(np.arange(len(deployments)), n)


def _candidate_deployments(
    arch: ModelArchitecture, spec: GpuSpec, gpus_max: int, precision: str | None, engine: str
) -> list[Deployment]:
    deployments: list[Deployment] = []
    for tp, adp, ep in _layouts(gpus_max, arch.is_moe):
        try:
            deployments.append(
                make_deployment(
                    arch, spec, tp=tp, attention_dp=adp, ep=ep, precision=precision, engine=engine
                )
            )
        except DeploymentError:
            continue  # the layout does not fit or does not divide the heads
    if not deployments:
        raise DeploymentError(
            f"no layout of up to {gpus_max} {spec.name} GPUs holds {arch.model_id}: raise --max-gpus or "
            "lower --precision"
        )
    return deployments


def best_layout_under_slo(
    model: str | ModelArchitecture,
    gpu: str | GpuSpec,
    isl: int,
    osl: int,
    tpot_slo_ms: float,
    *,
    precision: str | None = None,
    engine: str = "generic",
    max_gpus: int | None = None,
    params: EfficiencyParams | None = None,
    configs_dir: Path | None = None,
) -> tuple[Deployment, float]:
    """The layout and concurrency with the most output tokens/s per GPU at TPOT <= `tpot_slo_ms`.

    Only operating points whose batch fits in KV memory count (past it, requests just queue).
    """
    params = params or load_fitted_params()
    arch = model if isinstance(model, ModelArchitecture) else load_architecture(model, configs_dir)
    spec = gpu if isinstance(gpu, GpuSpec) else load_gpu_catalog().get(gpu)
    deployments = _candidate_deployments(arch, spec, max_gpus or spec.scale_up_domain_gpus, precision, engine)
    conc = np.unique(np.round(np.geomspace(1, 8192, 160)))
    arrays, which = sweep_arrays(deployments, isl, osl, conc)
    pred = predict_arrays(arrays, params)
    ok = pred.fits & ~pred.kv_limited & (pred.tpot_s * 1e3 <= tpot_slo_ms)
    if not ok.any():
        best = float(np.min(np.where(pred.fits, pred.tpot_s, np.inf)) * 1e3)
        raise DeploymentError(
            f"no layout of {arch.model_id} on {spec.name} reaches TPOT <= {tpot_slo_ms} ms "
            f"(best {best:.1f} ms): relax the SLO or allow more GPUs"
        )
    thr = np.where(ok, pred.output_tokens_per_s_per_gpu, -np.inf)
    i = int(np.argmax(thr))
    return deployments[int(which[i])], float(arrays.conc[i])


def frontier(
    model: str,
    gpu: str,
    isl: int,
    osl: int,
    *,
    precision: str | None = None,
    engine: str = "generic",
    max_gpus: int | None = None,
    concurrencies: np.ndarray | None = None,
    gpu_hour_usd: Decimal | None = None,
    configs_dir: Path | None = None,
    params: EfficiencyParams | None = None,
) -> FrontierResult:
    """Sweep layouts and concurrencies; return the throughput-interactivity frontier."""
    params = params or load_fitted_params()
    arch = load_architecture(model, configs_dir)
    spec = load_gpu_catalog().get(gpu)
    gpus_max = max_gpus or spec.scale_up_domain_gpus
    deployments = _candidate_deployments(arch, spec, gpus_max, precision, engine)
    conc = concurrencies if concurrencies is not None else np.unique(np.round(np.geomspace(1, 2048, 48)))
    arrays, which = sweep_arrays(deployments, isl, osl, conc)
    pred = predict_arrays(arrays, params)
    inter = 1.0 / pred.tpot_s
    thr = pred.output_tokens_per_s_per_gpu
    ok = pred.fits & np.isfinite(inter) & np.isfinite(thr)
    mask = pareto_mask(np.where(ok, inter, -np.inf), np.where(ok, thr, -np.inf)) & ok
    points: list[FrontierPoint] = []
    for i in np.flatnonzero(mask)[np.argsort(-inter[mask])]:
        dep = deployments[int(which[i])]
        price = None
        if gpu_hour_usd is not None:
            decode_share = 1.0 - float(pred.prefill_busy[i])
            usd_per_s = gpu_hour_usd / Decimal(3600) * Decimal(format(decode_share, ".12g"))
            price = (usd_per_s * Decimal(1_000_000) / Decimal(format(float(thr[i]), ".12g"))).quantize(
                Decimal("0.000001"), rounding=ROUND_HALF_EVEN
            )
        points.append(
            FrontierPoint(
                tp=dep.worker.tp,
                attention_dp=dep.worker.attention_dp,
                ep=dep.worker.expert_ep,
                gpus=dep.worker.gpus,
                concurrency=float(arrays.conc[i]),
                ttft_ms=round(float(pred.ttft_s[i]) * 1e3, 2),
                tpot_ms=round(float(pred.tpot_s[i]) * 1e3, 3),
                tokens_per_s_per_user=round(float(inter[i]), 2),
                output_tokens_per_s_per_gpu=round(float(thr[i]), 2),
                output_usd_per_mtok=price,
            )
        )
    return FrontierResult(
        model=arch.model_id, gpu=spec.name, isl=isl, osl=osl, configurations=len(arrays), frontier=points
    )
