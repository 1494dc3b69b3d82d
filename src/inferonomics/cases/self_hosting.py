"""The computation behind case D5: the GPU utilization at which serving Llama 2 (7B, 13B, 70B)
on one's own H100s costs as much as buying the same tokens from an API.

The claim it is checked against lives in the case (`cases/serving.py`); API prices are an argument
(the case passes the price book's).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from inferonomics.catalog.architectures import ModelArchitecture, architecture_from_config
from inferonomics.catalog.gpus import load_gpu_catalog
from inferonomics.serving.configs import Workload
from inferonomics.serving.cost import cost_of
from inferonomics.serving.frontier import best_layout_under_slo
from inferonomics.serving.params import EfficiencyParams, load_fitted_params

__all__ = ["LLAMA2_CONFIGS", "D5Row", "d5_break_even", "llama2"]

# Llama 2 architectures, the 7B / 13B / 70B family of the D5 article, as published in their
# Hugging Face config.json (huggingface.co/meta-llama/Llama-2-{7b,13b,70b}-hf, checked 2026-11-22).
LLAMA2_CONFIGS: dict[str, dict[str, object]] = {
    "7B": {
        "model_type": "llama",
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "vocab_size": 32000,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
    },
    "13B": {
        "model_type": "llama",
        "hidden_size": 5120,
        "intermediate_size": 13824,
        "num_hidden_layers": 40,
        "num_attention_heads": 40,
        "num_key_value_heads": 40,
        "vocab_size": 32000,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
    },
    "70B": {
        "model_type": "llama",
        "hidden_size": 8192,
        "intermediate_size": 28672,
        "num_hidden_layers": 80,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "vocab_size": 32000,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
    },
}


def llama2(size: str) -> ModelArchitecture:
    """Llama 2 of `size` ("7B", "13B", "70B") from its published config."""
    return architecture_from_config(LLAMA2_CONFIGS[size], f"meta-llama/Llama-2-{size.lower()}-hf")


class D5Row(BaseModel):
    """One Llama 2 size at one GPU market tier: cost per request against the API's, and the
    utilization at which self-hosting breaks even."""

    model_config = ConfigDict(frozen=True)

    model: str
    deployment: str
    tier: str
    gpu_hour_usd: Decimal
    concurrency: float
    cost_per_request_at_full_use_usd: Decimal
    api_cost_per_request_usd: Decimal
    cost_over_price: Decimal = Field(
        description="GPU cost per request at 100 % use / API price per request: the break-even "
        "utilization (above 1: never)."
    )
    break_even_utilization: Decimal | None = Field(description="None: never, even at 100 % use.")


def d5_break_even(
    api_prices: Mapping[str, tuple[Decimal, Decimal]],
    *,
    tiers: tuple[str, ...] = ("specialist", "mid_tier", "spot", "hyperscaler_on_demand", "cluster_all_in"),
    isl: int = 1000,
    osl: int = 250,
    tpot_slo_ms: float = 50.0,
    params: EfficiencyParams | None = None,
) -> list[D5Row]:
    """Utilization above which self-hosting a Llama 2 7B / 13B / 70B on H100s beats the API.

    `api_prices` maps "7B" / "13B" / "70B" to (input, output) $/MTok. Each model runs in BF16 on
    the H100 layout (up to 8 GPUs) and concurrency with the most output tokens/s per GPU within
    `tpot_slo_ms`; the GPU-hour price
    is the mid-point of each D5 market tier. Break-even utilization = GPU cost per request at 100 %
    use / API price per request (above 1: never).
    """
    params = params or load_fitted_params()
    catalog = load_gpu_catalog()
    rows: list[D5Row] = []
    for size, (p_in, p_out) in api_prices.items():
        arch = llama2(size)
        dep, conc = best_layout_under_slo(
            arch, "h100_sxm", isl, osl, tpot_slo_ms, precision="bf16", params=params
        )
        api_req = (Decimal(isl) * Decimal(p_in) + Decimal(osl) * Decimal(p_out)) / Decimal(1_000_000)
        for tier in tiers:
            price = catalog.price("h100_sxm", tier).mid_usd_per_gpu_hour
            cost = cost_of(dep, Workload(isl=isl, osl=osl, concurrency=conc), price, Decimal(1), params)
            per_req = (
                Decimal(isl) * cost.input_usd_per_mtok + Decimal(osl) * cost.output_usd_per_mtok
            ) / Decimal(1_000_000)
            ratio = per_req / api_req
            be = ratio.quantize(Decimal("0.0001")) if ratio <= 1 else None
            rows.append(
                D5Row(
                    model=f"Llama-2-{size}",
                    deployment=f"{dep.worker.gpus}x H100 SXM, TP{dep.worker.tp}, BF16",
                    tier=tier,
                    gpu_hour_usd=price,
                    concurrency=conc,
                    cost_per_request_at_full_use_usd=per_req.quantize(Decimal("0.00000001")),
                    api_cost_per_request_usd=api_req.quantize(Decimal("0.00000001")),
                    cost_over_price=ratio.quantize(Decimal("0.0001")),
                    break_even_utilization=be,
                )
            )
    return rows
