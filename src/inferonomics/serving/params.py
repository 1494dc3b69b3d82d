"""The serving model's global efficiency parameters, and the fitted values shipped with the package.

There is one set for every model, GPU and engine: fractions of peak the hardware reaches, fixed
latencies of kernels and collectives, and how much a request's time to first token grows with the
other prefills it queues behind. `scripts/fit_serving.py` fits them on the calibration file and
writes `serving/fitted_params.json`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ENGINES", "FIT_NAMES", "EfficiencyParams", "load_fitted_params"]

# Serving engines with their own fixed request overhead; `generic` uses the mean of the three.
ENGINES: tuple[str, ...] = ("trtllm", "vllm", "sglang", "generic")


class EfficiencyParams(BaseModel):
    """Global efficiency parameters of the serving model (not per model, GPU or point)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hbm_efficiency: float = Field(0.85, gt=0, le=1, description="Fraction of peak HBM bandwidth reached.")
    expert_hbm_efficiency: float = Field(
        0.75, gt=0, le=1, description="Fraction of peak HBM bandwidth reached reading routed-expert weights."
    )
    kv_hbm_efficiency: float = Field(
        0.6, gt=0, le=1, description="Fraction of peak HBM bandwidth reached reading the (paged) KV cache."
    )
    compute_efficiency: float = Field(
        0.7, gt=0, le=1, description="Fraction of peak dense FLOP/s reached by large GEMMs."
    )
    prefill_efficiency: float = Field(
        0.7, gt=0, le=1, description="Fraction of peak dense FLOP/s reached by prompt (prefill) tokens."
    )
    gemm_half_rows: float = Field(
        64.0, ge=0, description="GEMM rows (tokens) at which compute efficiency is half its peak value."
    )
    attention_efficiency: float = Field(
        0.4, gt=0, le=1, description="Fraction of peak BF16 FLOP/s reached by attention kernels."
    )
    link_efficiency: float = Field(
        0.7, gt=0, le=1, description="Fraction of link bandwidth collectives reach."
    )
    collective_latency_us: float = Field(10.0, ge=0, description="Fixed latency of one collective, µs.")
    layer_overhead_us: float = Field(
        8.0, ge=0, description="Fixed time per decoder layer per step (kernel launches, small ops), µs."
    )
    moe_layer_overhead_us: float = Field(
        40.0, ge=0, description="Extra fixed time per MoE layer per step (routing, dispatch kernels), µs."
    )
    step_overhead_ms: float = Field(
        2.0, ge=0, description="Fixed time per engine iteration (scheduling, sampling), ms."
    )
    ttft_overhead_trtllm_ms: float = Field(
        80.0, ge=0, description="Fixed part of time to first token with TensorRT-LLM (request path), ms."
    )
    ttft_overhead_vllm_ms: float = Field(30.0, ge=0, description="The same with vLLM, ms.")
    ttft_overhead_sglang_ms: float = Field(250.0, ge=0, description="The same with SGLang, ms.")
    disagg_ttft_overhead_ms: float = Field(
        100.0, ge=0, description="Extra fixed TTFT of disaggregated serving (routing, KV hand-off), ms."
    )
    ttft_wait_iterations: float = Field(
        1.0,
        ge=0,
        description="Engine iterations a new request waits before its prompt is scheduled and streamed back.",
    )
    prefill_passes: float = Field(
        1.0, gt=0, description="Prefill-iteration times a new request's own prompt costs (chunking, waits)."
    )
    prefill_queue_factor: float = Field(
        0.5, ge=0, description="Prefills of other in-flight requests a new one waits behind, per request."
    )
    prefill_interference: float = Field(
        1.0, ge=0, description="Share of other requests' prefill time that lands in each decode step."
    )
    disagg_decode_batch: float = Field(
        16.0,
        gt=0,
        description=(
            "Disagg with unstated decode workers: sequences per tensor-parallel decode worker the pool "
            "is sized to (data-parallel-attention workers are sized by KV memory alone)."
        ),
    )
    disagg_prefill_load: float = Field(
        0.7,
        gt=0,
        description=(
            "Disagg with unstated prefill workers: prompt load per prefill rank the pool is sized to "
            "(offered prefill work / capacity; above 1 the pool is undersized and prompts queue)."
        ),
    )
    kv_memory_fraction: float = Field(
        0.9, gt=0, le=1, description="Share of HBM the engine may use for weights, KV cache and buffers."
    )

    def engine_ttft_overhead_ms(self) -> list[float]:
        """Fixed TTFT per engine, in `ENGINES` order (generic: the mean of the three)."""
        known = [self.ttft_overhead_trtllm_ms, self.ttft_overhead_vllm_ms, self.ttft_overhead_sglang_ms]
        return [*known, sum(known) / len(known)]


# The parameters the calibration fits; the rest keep their defaults.
FIT_NAMES: tuple[str, ...] = (
    "hbm_efficiency",
    "expert_hbm_efficiency",
    "kv_hbm_efficiency",
    "compute_efficiency",
    "prefill_efficiency",
    "gemm_half_rows",
    "attention_efficiency",
    "link_efficiency",
    "collective_latency_us",
    "layer_overhead_us",
    "moe_layer_overhead_us",
    "step_overhead_ms",
    "ttft_overhead_trtllm_ms",
    "ttft_overhead_vllm_ms",
    "ttft_overhead_sglang_ms",
    "disagg_ttft_overhead_ms",
    "ttft_wait_iterations",
    "prefill_passes",
    "prefill_queue_factor",
    "prefill_interference",
    "disagg_decode_batch",
    "disagg_prefill_load",
)

_FITTED_FILE = "fitted_params.json"


@cache
def load_fitted_params() -> EfficiencyParams:
    """The fitted parameters shipped in `serving/fitted_params.json` (defaults if it is absent)."""
    path = resources.files("inferonomics.serving").joinpath(_FITTED_FILE)
    if not path.is_file():
        return EfficiencyParams()
    data = json.loads(path.read_text())
    return EfficiencyParams.model_validate(data["params"])


def fitted_params_path() -> Path:
    """Where the fitting script writes the fitted parameters (inside the source tree)."""
    return Path(__file__).with_name(_FITTED_FILE)
