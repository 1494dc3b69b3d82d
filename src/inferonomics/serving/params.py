"""The serving model's global efficiency parameters, and the fitted values shipped with the package.

There is one set for every model, GPU and engine: fractions of peak the hardware reaches, fixed
latencies of kernels and collectives, how much a request's time to first token grows with the other
prefills it queues behind, and a few per-engine terms (iteration time relative to vLLM, how an
engine schedules prompts) that no hardware quantity explains. `scripts/fit_serving.py` fits them on
the calibration file and writes `serving/fitted_params.json`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ENGINES", "FIT_NAMES", "EfficiencyParams", "fitted_record", "load_fitted_params"]

# Serving engines with their own fixed request overhead; `generic` uses the mean of the three.
ENGINES: tuple[str, ...] = ("trtllm", "vllm", "sglang", "generic")


def _per_engine(trtllm: float, vllm: float, sglang: float) -> list[float]:
    known = [trtllm, vllm, sglang]
    return [*known, sum(known) / len(known)]


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
    expert_gemm_efficiency: float = Field(
        0.25,
        gt=0,
        le=1,
        description=(
            "Routed-expert grouped GEMMs: fraction of the dense GEMMs' efficiency they reach (few rows "
            "per expert, token gather and scatter, per-expert tiles)."
        ),
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
    collective_latency_us: float = Field(
        0.0,
        ge=0,
        description=(
            "Fixed latency of one collective within a scale-up domain, µs (not fitted: the calibration "
            "data cannot separate it from the per-layer overhead, which absorbs it)."
        ),
    )
    network_latency_us: float = Field(
        20.0,
        ge=0,
        description="Extra latency of a collective whose group spans more than one scale-up domain, µs.",
    )
    layer_overhead_us: float = Field(
        8.0, ge=0, description="Fixed time per decoder layer per step (kernel launches, small ops), µs."
    )
    attention_dp_layer_us: float = Field(
        20.0,
        ge=0,
        description=(
            "Extra fixed time per layer when a mixture of experts runs attention data-parallel (the ranks "
            "synchronise at every expert exchange, padded to the busiest), µs."
        ),
    )
    moe_layer_overhead_us: float = Field(
        40.0, ge=0, description="Extra fixed time per MoE layer per step (routing, dispatch kernels), µs."
    )
    step_overhead_ms: float = Field(0.0, ge=0, description="Fixed time per engine iteration, ms.")
    sequence_overhead_us: float = Field(
        10.0,
        ge=0,
        description=(
            "Time per sequence in an engine iteration (scheduling, sampling, streaming its token): "
            "grows with the running batch, µs."
        ),
    )
    step_time_factor_trtllm: float = Field(
        1.0,
        gt=0,
        description="TensorRT-LLM's iteration time relative to vLLM's for the same work (kernels, fusion).",
    )
    step_time_factor_sglang: float = Field(1.0, gt=0, description="The same for SGLang.")
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
    prefill_queue_factor_trtllm: float = Field(
        0.1,
        ge=0,
        description="TensorRT-LLM: prefills of other in-flight requests a new one waits behind, per request.",
    )
    prefill_queue_factor_vllm: float = Field(0.1, ge=0, description="The same for vLLM.")
    prefill_queue_factor_sglang: float = Field(0.1, ge=0, description="The same for SGLang.")
    prefill_interference_trtllm: float = Field(
        1.0,
        ge=0,
        description="TensorRT-LLM: share of other requests' prefill time that lands in each decode step.",
    )
    prefill_interference_vllm: float = Field(1.0, ge=0, description="The same for vLLM.")
    prefill_interference_sglang: float = Field(1.0, ge=0, description="The same for SGLang.")
    disagg_decode_batch: float = Field(
        4.0,
        gt=0,
        description=(
            "Disagg with unstated decode workers: sequences per attention rank the pool is sized to at low "
            "concurrency (more workers, each lightly loaded) ..."
        ),
    )
    disagg_decode_gpus: float = Field(
        32.0,
        gt=0,
        description="... up to this many decode GPUs; past it the pool stays and its batch grows.",
    )
    disagg_prefill_load: float = Field(
        1.0,
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
        return _per_engine(
            self.ttft_overhead_trtllm_ms, self.ttft_overhead_vllm_ms, self.ttft_overhead_sglang_ms
        )

    def engine_step_time_factor(self) -> list[float]:
        """Iteration time relative to vLLM, per engine in `ENGINES` order (generic: the mean)."""
        return _per_engine(self.step_time_factor_trtllm, 1.0, self.step_time_factor_sglang)

    def engine_prefill_queue_factor(self) -> list[float]:
        """Prefill queue factor per engine, in `ENGINES` order (generic: the mean)."""
        return _per_engine(
            self.prefill_queue_factor_trtllm, self.prefill_queue_factor_vllm, self.prefill_queue_factor_sglang
        )

    def engine_prefill_interference(self) -> list[float]:
        """Prefill interference per engine, in `ENGINES` order (generic: the mean)."""
        return _per_engine(
            self.prefill_interference_trtllm, self.prefill_interference_vllm, self.prefill_interference_sglang
        )


# The parameters the calibration fits; the rest keep their defaults.
FIT_NAMES: tuple[str, ...] = (
    "hbm_efficiency",
    "expert_hbm_efficiency",
    "kv_hbm_efficiency",
    "compute_efficiency",
    "prefill_efficiency",
    "expert_gemm_efficiency",
    "gemm_half_rows",
    "attention_efficiency",
    "link_efficiency",
    "network_latency_us",
    "layer_overhead_us",
    "attention_dp_layer_us",
    "moe_layer_overhead_us",
    "sequence_overhead_us",
    "step_time_factor_trtllm",
    "step_time_factor_sglang",
    "ttft_overhead_trtllm_ms",
    "ttft_overhead_vllm_ms",
    "ttft_overhead_sglang_ms",
    "disagg_ttft_overhead_ms",
    "ttft_wait_iterations",
    "prefill_queue_factor_trtllm",
    "prefill_queue_factor_vllm",
    "prefill_queue_factor_sglang",
    "prefill_interference_trtllm",
    "prefill_interference_vllm",
    "prefill_interference_sglang",
    "disagg_decode_batch",
    "disagg_decode_gpus",
)

_FITTED_FILE = "fitted_params.json"


@cache
def fitted_record() -> dict[str, Any] | None:
    """The whole of `serving/fitted_params.json` (None if it is absent): the parameters, what they
    were fitted on (the file's SHA-256, the fingerprints of the rows used), the fit's score and its
    cross-validation. Treat it as read-only: it is cached."""
    path = resources.files("inferonomics.serving").joinpath(_FITTED_FILE)
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@cache
def load_fitted_params() -> EfficiencyParams:
    """The fitted parameters shipped in `serving/fitted_params.json` (defaults if it is absent)."""
    record = fitted_record()
    if record is None:
        return EfficiencyParams()
    return EfficiencyParams.model_validate(record["params"])


def fitted_params_path() -> Path:
    """Where the fitting script writes the fitted parameters (inside the source tree)."""
    return Path(__file__).with_name(_FITTED_FILE)
