"""Serving configurations: the typed description of one deployment, and its columnar form.

`Deployment` + `Workload` describe one configuration as a user states it (model, GPU, precision,
parallelism, lengths, concurrency). `ConfigArrays` holds many configurations as numpy columns, the
form the performance model computes on: one vectorized pass predicts thousands of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from inferonomics.catalog.architectures import ModelArchitecture, bytes_per_param
from inferonomics.catalog.gpus import GpuSpec
from inferonomics.serving.params import ENGINES

__all__ = [
    "ConfigArrays",
    "Deployment",
    "Parallelism",
    "Workload",
    "build_arrays",
    "kv_precision_for",
]

F64 = NDArray[np.float64]

WeightPrecision = Literal["bf16", "fp16", "fp8", "fp8_block", "nvfp4", "mxfp4", "int4"]
Engine = Literal["trtllm", "vllm", "sglang", "generic"]


class Parallelism(BaseModel):
    """How one worker (a model replica) is split over its GPUs.

    GPUs per worker = tp x pp x attention_dp. Attention runs tensor-parallel over `tp` GPUs and
    data-parallel over `attention_dp` groups; the routed experts run over the same GPUs split
    `moe_tp` x `moe_ep` (tensor and expert parallel), so moe_tp x moe_ep = tp x attention_dp.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tp: int = Field(1, ge=1, description="Tensor-parallel degree of attention and dense layers.")
    pp: int = Field(1, ge=1, description="Pipeline-parallel stages.")
    attention_dp: int = Field(1, ge=1, description="Data-parallel attention groups in the worker.")
    moe_tp: int | None = Field(None, ge=1, description="Tensor-parallel degree of experts (default: fill).")
    moe_ep: int | None = Field(None, ge=1, description="Expert-parallel degree (default 1).")

    @model_validator(mode="after")
    def _moe_fits(self) -> Parallelism:
        gpus = self.tp * self.attention_dp
        ep = self.moe_ep or 1
        mtp = self.moe_tp if self.moe_tp is not None else max(gpus // ep, 1)
        if mtp * ep != gpus:
            raise ValueError(
                f"moe_tp x moe_ep = {mtp} x {ep} must equal tp x attention_dp = {gpus} (the same GPUs)"
            )
        return self

    @property
    def gpus(self) -> int:
        """GPUs one worker uses: tp x pp x attention_dp."""
        return self.tp * self.pp * self.attention_dp

    @property
    def expert_tp(self) -> int:
        """Tensor-parallel degree of the routed experts: `moe_tp`, else the worker's tp x attention_dp GPUs
        divided by `expert_ep` (at least 1)."""
        ep = self.moe_ep or 1
        return self.moe_tp if self.moe_tp is not None else max(self.tp * self.attention_dp // ep, 1)

    @property
    def expert_ep(self) -> int:
        """Expert-parallel degree of the routed experts: `moe_ep`, else 1."""
        return self.moe_ep or 1


class Deployment(BaseModel):
    """A model served on a GPU type with given precisions and parallelism."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    architecture: ModelArchitecture = Field(description="The model.")
    gpu: GpuSpec = Field(description="The GPU type.")
    weight_precision: WeightPrecision = Field("bf16", description="Attention and dense-layer weights.")
    moe_precision: WeightPrecision | None = Field(None, description="Routed-expert weights (default: same).")
    kv_precision: Literal["bf16", "fp16", "fp8"] | None = Field(
        None, description="KV cache (default: fp8 for 8-bit or narrower weights, else bf16)."
    )
    mode: Literal["agg", "disagg"] = Field("agg", description="Aggregated or prefill/decode-disaggregated.")
    engine: Engine = Field(
        "generic", description="Serving engine (sets the fixed TTFT overhead; generic: mean of the three)."
    )
    worker: Parallelism = Field(default_factory=Parallelism, description="Agg worker, or decode worker.")
    prefill_worker: Parallelism | None = Field(None, description="Prefill worker (disagg; default: same).")
    decode_workers: int | None = Field(
        None, ge=1, description="Decode workers (disagg) or replicas (agg); default: fewest that fit."
    )
    prefill_workers: int | None = Field(None, ge=1, description="Prefill workers (disagg; default 1).")

    @property
    def expert_precision(self) -> str:
        """Precision of the routed-expert weights: `moe_precision`, else `weight_precision`."""
        return self.moe_precision or self.weight_precision

    @property
    def cache_precision(self) -> str:
        """Precision of the KV cache: `kv_precision`, else FP8 when `weight_precision` is 8-bit or narrower
        and BF16 otherwise."""
        return self.kv_precision or kv_precision_for(self.weight_precision)


class Workload(BaseModel):
    """Steady closed-loop load: `concurrency` requests in flight, each `isl` in and `osl` out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    isl: int = Field(ge=1, description="Input (prompt) tokens per request.")
    osl: int = Field(ge=1, description="Output tokens per request.")
    concurrency: float = Field(gt=0, description="Requests in flight across the deployment.")


def kv_precision_for(weight_precision: str) -> str:
    """Engines serving 8-bit or narrower weights run an FP8 KV cache in the measured setups."""
    return "bf16" if weight_precision in ("bf16", "fp16") else "fp8"


@dataclass(frozen=True)
class ConfigArrays:
    """Many configurations as float64 columns (one element per configuration)."""

    # model
    attn_params: F64
    dense_ffn_params: F64
    expert_params: F64
    n_experts: F64
    top_k: F64
    n_moe_layers: F64
    lm_head_params: F64
    embed_params: F64
    hidden: F64
    moe_hidden: F64
    num_layers: F64
    kv_full: F64
    kv_window: F64
    window: F64
    kv_read_full: F64
    kv_read_capped: F64
    read_cap: F64
    state_bytes: F64
    attn_fl_dec: F64
    attn_fl_dec_capped: F64
    attn_fl_pre: F64
    attn_fl_pre_capped: F64
    state_flops: F64
    kv_heads: F64
    is_mla: F64
    # precision
    wb_dense: F64
    wb_moe: F64
    kvb: F64
    flops_dense: F64
    flops_moe: F64
    flops_attn: F64
    # GPU
    hbm_bw: F64
    hbm_bytes: F64
    su_bw: F64
    su_domain: F64
    so_bw: F64
    # workload
    isl: F64
    osl: F64
    conc: F64
    # deployment
    engine: F64
    """Index into `params.ENGINES`."""
    disagg: F64
    tp: F64
    pp: F64
    adp: F64
    moe_tp: F64
    moe_ep: F64
    n_workers: F64
    """Decode workers (disagg) or replicas (agg); NaN: the fewest that hold the load in memory."""
    p_tp: F64
    p_pp: F64
    p_adp: F64
    p_moe_tp: F64
    p_moe_ep: F64
    n_prefill_workers: F64

    def __len__(self) -> int:
        return int(self.isl.shape[0])

    def take(self, index: NDArray[np.intp] | slice) -> ConfigArrays:
        """A subset of the configurations."""
        return ConfigArrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def with_(self, **columns: F64 | float) -> ConfigArrays:
        """A copy with some columns replaced (scalars broadcast)."""
        n = len(self)
        cast = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy() for k, v in columns.items()}
        return replace(self, **cast)

    def repeat(self, n: int) -> ConfigArrays:
        """Each configuration repeated `n` times (for sweeps)."""
        return ConfigArrays(**{f.name: np.repeat(getattr(self, f.name), n) for f in fields(self)})


def _nan_if_none(x: int | None) -> float:
    return math.nan if x is None else float(x)


def build_arrays(deployments: Sequence[Deployment], workloads: Sequence[Workload]) -> ConfigArrays:
    """Columns for pairs of (deployment, workload)."""
    if len(deployments) != len(workloads):
        raise ValueError("deployments and workloads must have the same length")
    cols: dict[str, list[float]] = {f.name: [] for f in fields(ConfigArrays)}
    for dep, wl in zip(deployments, workloads, strict=True):
        a = dep.architecture
        g = dep.gpu
        pw = dep.prefill_worker or dep.worker
        row = {
            "attn_params": a.attention_params,
            "dense_ffn_params": a.dense_ffn_params,
            "expert_params": a.expert_params,
            "n_experts": a.n_experts,
            "top_k": a.top_k,
            "n_moe_layers": a.n_moe_layers,
            "lm_head_params": a.lm_head_params,
            "embed_params": a.embedding_params,
            "hidden": a.hidden_size,
            "moe_hidden": a.moe_hidden,
            "num_layers": a.num_layers,
            "kv_full": a.kv_full_per_token,
            "kv_window": a.kv_window_per_token,
            "window": a.window_tokens,
            "kv_read_full": a.kv_read_full_per_token,
            "kv_read_capped": a.kv_read_capped_per_token,
            "read_cap": a.read_cap_tokens,
            "state_bytes": a.state_bytes_per_seq,
            "attn_fl_dec": a.attn_flops_decode_per_ctx,
            "attn_fl_dec_capped": a.attn_flops_decode_capped,
            "attn_fl_pre": a.attn_flops_prefill_per_ctx,
            "attn_fl_pre_capped": a.attn_flops_prefill_capped,
            "state_flops": a.state_flops_per_token,
            "kv_heads": max(a.kv_heads, 1),
            "is_mla": 1.0 if a.is_mla else 0.0,
            "wb_dense": bytes_per_param(dep.weight_precision),
            "wb_moe": bytes_per_param(dep.expert_precision),
            "kvb": bytes_per_param(dep.cache_precision),
            "flops_dense": g.flops_per_s(dep.weight_precision),
            "flops_moe": g.flops_per_s(dep.expert_precision),
            "flops_attn": g.flops_per_s("bf16"),
            "hbm_bw": g.hbm_bytes_per_s,
            "hbm_bytes": g.hbm_bytes,
            "su_bw": g.scale_up_bytes_per_s,
            "su_domain": g.scale_up_domain_gpus,
            "so_bw": g.scale_out_bytes_per_s,
            "isl": wl.isl,
            "osl": wl.osl,
            "conc": wl.concurrency,
            "engine": ENGINES.index(dep.engine),
            "disagg": 1.0 if dep.mode == "disagg" else 0.0,
            "tp": dep.worker.tp,
            "pp": dep.worker.pp,
            "adp": dep.worker.attention_dp,
            "moe_tp": dep.worker.expert_tp,
            "moe_ep": dep.worker.expert_ep,
            "n_workers": _nan_if_none(dep.decode_workers),
            "p_tp": pw.tp,
            "p_pp": pw.pp,
            "p_adp": pw.attention_dp,
            "p_moe_tp": pw.expert_tp,
            "p_moe_ep": pw.expert_ep,
            "n_prefill_workers": _nan_if_none(dep.prefill_workers),
        }
        for key, value in row.items():
            cols[key].append(float(value))
    return ConfigArrays(**{k: np.asarray(v, dtype=np.float64) for k, v in cols.items()})
