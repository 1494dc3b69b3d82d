"""Seed cases D1, D2, D3 and D5 (`shared/reference/seed_cases.md`): the articles' true-cost claims.

Each function computes the case from the serving model (or, for an article's own chain, from the
article's stated assumptions) and says whether the article's figure holds. API prices are never
built in: D2 and D5 take them as arguments (the price book supplies them in the product; tests and
docs pass the prices the case text states).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict, Field

from inferonomics.catalog.architectures import ModelArchitecture, architecture_from_config
from inferonomics.catalog.gpus import load_gpu_catalog
from inferonomics.errors import DeploymentError
from inferonomics.serving.configs import Workload
from inferonomics.serving.cost import CostResult, cost_of, gpu_hour_price
from inferonomics.serving.deploy import make_deployment, weights_per_gpu_bytes
from inferonomics.serving.frontier import best_layout_under_slo
from inferonomics.serving.params import EfficiencyParams, load_fitted_params
from inferonomics.serving.physics import expected_distinct_experts

__all__ = [
    "LLAMA2_CONFIGS",
    "D1Result",
    "D2Row",
    "D3Result",
    "D5Row",
    "d1_article_chain",
    "d1_sound_model",
    "d2_margin_table",
    "d3_session_cost",
    "d5_break_even",
    "verdict",
]

Q6 = Decimal("0.000001")


def verdict(computed: Decimal | float, claimed_low: Decimal | float, claimed_high: Decimal | float) -> str:
    """'holds' when `computed` is in the claimed range widened by 5 % (the articles round), else the gap."""
    c = float(computed)
    lo, hi = float(claimed_low), float(claimed_high)
    if lo * 0.95 <= c <= hi * 1.05:
        return "holds"
    ref = lo if c < lo else hi
    return f"does not hold ({c / ref:.2g}x the claim)"


# --------------------------------------------------------------------------------------------------
# D1


class D1ArticleChain(BaseModel):
    """The article's own arithmetic, reproduced step by step under its stated assumptions."""

    model_config = ConfigDict(frozen=True)

    gpus: int
    instances: int
    usd_per_hour: Decimal
    forward_passes_per_s: Decimal = Field(description="Per instance: ONE GPU's bandwidth / the whole model.")
    input_tokens_per_hour: Decimal
    output_tokens_per_hour: Decimal
    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    asymmetry: Decimal
    checks: dict[str, str] = Field(description="Claim -> verdict.")


class D1SoundRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    deployment: str
    feasible: bool
    note: str
    cost: CostResult | None


class D1Result(BaseModel):
    model_config = ConfigDict(frozen=True)

    article: D1ArticleChain
    corrected_chain: dict[str, float] = Field(
        description="The same chain with the slips fixed, step by step."
    )
    sound_model: list[D1SoundRow]
    why: list[str]


def d1_article_chain(
    gpus: int = 72,
    usd_per_gpu_hour: Decimal = Decimal(2),
    tp: int = 8,
    batch: int = 32,
    prompt_tokens: int = 1000,
    hbm_tb_per_s: Decimal = Decimal("3.35"),
    weights_gb: Decimal = Decimal(74),
) -> D1ArticleChain:
    """D1 as the article computes it (exact decimal arithmetic)."""
    instances = gpus // tp
    usd_per_hour = usd_per_gpu_hour * gpus
    passes = hbm_tb_per_s * 1000 / weights_gb  # TB/s over GB: one GPU's bandwidth, all 74 GB
    in_per_h = passes * batch * prompt_tokens * instances * 3600
    out_per_h = passes * batch * instances * 3600
    in_price = (usd_per_hour / (in_per_h / 1_000_000)).quantize(Q6, rounding=ROUND_HALF_EVEN)
    out_price = (usd_per_hour / (out_per_h / 1_000_000)).quantize(Q6, rounding=ROUND_HALF_EVEN)
    asym = (in_per_h / out_per_h).quantize(Decimal(1))
    checks = {
        "~46.8 billion input tokens/hour": verdict(in_per_h / Decimal(10**9), 46.8, 46.8),
        "~$0.003 per million input tokens": verdict(in_price, 0.003, 0.003),
        "~46.7 million output tokens/hour": verdict(out_per_h / Decimal(10**6), 46.7, 46.7),
        "~$3.08 per million output tokens": verdict(out_price, 3.08, 3.08),
        "asymmetry ~1,000x": verdict(asym, 1000, 1000),
    }
    return D1ArticleChain(
        gpus=gpus,
        instances=instances,
        usd_per_hour=usd_per_hour,
        forward_passes_per_s=passes.quantize(Decimal("0.0001")),
        input_tokens_per_hour=in_per_h.quantize(Decimal(1)),
        output_tokens_per_hour=out_per_h.quantize(Decimal(1)),
        input_usd_per_mtok=in_price,
        output_usd_per_mtok=out_price,
        asymmetry=asym,
        checks=checks,
    )


def d1_sound_model(
    params: EfficiencyParams | None = None,
    model: str = "deepseek-ai/DeepSeek-R1",
    usd_per_gpu_hour: Decimal = Decimal(2),
    batch: int = 32,
    isl: int = 1000,
    osl: int = 1000,
) -> D1Result:
    """D1 under the serving model: the article's deployment and the nearest ones that fit."""
    params = params or load_fitted_params()
    article = d1_article_chain(usd_per_gpu_hour=usd_per_gpu_hour, batch=batch, prompt_tokens=isl)
    h100 = load_gpu_catalog().get("h100_sxm")
    dep8 = make_deployment(model, h100, tp=8, ep=8, precision="fp8")
    arch = dep8.architecture
    touched = float(expected_distinct_experts(arch.n_experts, arch.top_k, batch))
    fp8_weights = weights_per_gpu_bytes(arch, "fp8", "fp8", 8, 8) * 8
    routed = arch.routed_expert_params * touched / arch.n_experts
    step_bytes = (arch.attention_params + arch.dense_ffn_params + routed + arch.lm_head_params) * 1.0
    kv_step = batch * (isl + osl / 2) * arch.kv_bytes_per_token("fp8")
    agg_bw = 8 * h100.hbm_bytes_per_s
    corrected = {
        "instance_bandwidth_tb_per_s": agg_bw / 1e12,
        "fp8_weight_bytes_gb": fp8_weights / 1e9,
        "experts_touched_per_layer_at_batch": touched,
        "bytes_per_decode_step_gb": (step_bytes + kv_step) / 1e9,
        "decode_steps_per_s_at_peak_bandwidth": agg_bw / (step_bytes + kv_step),
        "output_tokens_per_s_per_instance_at_peak": batch * agg_bw / (step_bytes + kv_step),
        "prefill_seconds_per_batch_at_peak_fp8": 2.0
        * arch.matmul_params_per_token
        * isl
        * batch
        / (8 * h100.flops_per_s("fp8")),
    }
    workload = Workload(isl=isl, osl=osl, concurrency=batch)
    rows: list[D1SoundRow] = []
    fits_note = (
        f"FP8 weights are {fp8_weights / 1e9:.0f} GB against {8 * h100.hbm_bytes / 1e9:.0f} GB of HBM: "
        "no room for a KV cache"
    )
    feasible = fp8_weights < 0.9 * 8 * h100.hbm_bytes
    rows.append(
        D1SoundRow(
            deployment="8x H100 SXM, TP8/EP8, FP8 (the article's instance)",
            feasible=feasible,
            note="fits" if feasible else fits_note,
            cost=cost_of(dep8, workload, usd_per_gpu_hour, params=params) if feasible else None,
        )
    )
    for label, gpu, tp, adp in (
        ("16x H100 SXM (2 nodes), TP8 x 2 attention-DP, EP16, FP8", "h100_sxm", 8, 2),
        ("8x H200 SXM, TP8/EP8, FP8", "h200_sxm", 8, 1),
    ):
        dep = make_deployment(model, gpu, tp=tp, attention_dp=adp, ep=tp * adp, precision="fp8")
        rows.append(
            D1SoundRow(
                deployment=label,
                feasible=True,
                note=f"batch {batch}, {isl} in / {osl} out, ${usd_per_gpu_hour}/GPU-hour, 100% use",
                cost=cost_of(dep, workload, usd_per_gpu_hour, params=params),
            )
        )
    why = [
        "The chain divides one GPU's 3.35 TB/s by all 74 GB; an 8-GPU instance reads its weights at "
        "8 x 3.35 TB/s with each GPU holding an eighth.",
        "FP8 weights (the released checkpoint) are 1 byte per parameter, not 2.",
        f"A batch of {batch} sends tokens to about {touched:.0f} of 256 experts per layer, so a decode step "
        "reads most of the 671B parameters, not 37B: MoE decode at this batch is bound by total, not "
        "active, weights.",
        "Every decode step also reads every sequence's KV cache (MLA keeps it small: 35 KB per token, FP8).",
        "Prefill is compute-bound (2 FLOPs per active parameter per token), not a bandwidth-bound pass "
        "over the weights per 32,000 tokens: input costs far more than $0.003/MTok.",
        "671B parameters in FP8 do not fit 8 x 80 GB with room for a KV cache: the instance needs 16 "
        "H100s or 8 H200s.",
    ]
    return D1Result(article=article, corrected_chain=corrected, sound_model=rows, why=why)


# --------------------------------------------------------------------------------------------------
# D2

# The article's estimated true cost (output $/MTok ranges, and the input figure where it gives one)
# and its margin ranges, as the case text states them: claims to check, not inputs.
D2_CLAIMS: dict[str, dict[str, tuple[float, float]]] = {
    "Opus 4.1": {"cost_output": (3.0, 8.0), "cost_input": (0.01, 0.01), "margin": (0.90, 0.96)},
    "Opus 4.5": {"cost_output": (2.0, 5.0), "margin": (0.80, 0.92)},
    "Sonnet": {"cost_output": (1.0, 3.0), "margin": (0.80, 0.93)},
    "Haiku 4.5": {"cost_output": (0.5, 1.0), "margin": (0.80, 0.90)},
    "Haiku 3": {"cost_output": (0.10, 0.30), "margin": (0.76, 0.92)},
    "DeepSeek V3.2": {"cost_output": (0.50, 1.0), "margin": (0.09, 0.55)},
}


class D2Proxy(BaseModel):
    """The open-weights model standing in for an API model (an assumption, stated as such)."""

    model_config = ConfigDict(frozen=True)

    model: str
    gpu: str
    precision: str = "fp8"


# Closed models have no public architecture: each is priced as an open model of a similar class
# (frontier ~1T MoE, large ~700B MoE, mid ~235B MoE, small ~32B dense), served on one 8-GPU node.
DEFAULT_D2_PROXIES: dict[str, D2Proxy] = {
    "Opus 4.1": D2Proxy(model="moonshotai/Kimi-K2-Instruct", gpu="b200_sxm"),
    "Opus 4.5": D2Proxy(model="moonshotai/Kimi-K2-Instruct", gpu="b200_sxm"),
    "Sonnet": D2Proxy(model="deepseek-ai/DeepSeek-V3", gpu="h200_sxm"),
    "Haiku 4.5": D2Proxy(model="Qwen/Qwen3-235B-A22B-FP8", gpu="h200_sxm"),
    "Haiku 3": D2Proxy(model="Qwen/Qwen3-32B", gpu="h200_sxm"),
    "DeepSeek V3.2": D2Proxy(model="deepseek-ai/DeepSeek-V3.2", gpu="h200_sxm"),
}


class D2Row(BaseModel):
    model_config = ConfigDict(frozen=True)

    api_model: str
    api_input_usd_per_mtok: Decimal
    api_output_usd_per_mtok: Decimal
    proxy: str
    concurrency: float
    cost_input_usd_per_mtok: Decimal
    cost_output_usd_per_mtok: Decimal
    margin_input: Decimal
    margin_output: Decimal
    claimed_cost_output: tuple[float, float] | None
    claimed_margin: tuple[float, float] | None
    cost_verdict: str
    margin_verdict: str


def d2_margin_table(
    api_prices: Mapping[str, tuple[Decimal, Decimal]],
    proxies: Mapping[str, D2Proxy] | None = None,
    *,
    isl: int = 2048,
    osl: int = 512,
    tpot_slo_ms: float = 25.0,
    utilization: Decimal = Decimal(1),
    market: str = "owner_neocloud",
    params: EfficiencyParams | None = None,
) -> list[D2Row]:
    """Gross margin of API list prices over the serving model's cost, per model.

    `api_prices` maps a model name to (input, output) $/MTok; the lead wires it to the price book.
    Each model is served by its proxy in the layout (up to one 8-GPU node) and at the concurrency
    giving the most output tokens/s per GPU within `tpot_slo_ms`, at the catalogue's `market`
    GPU-hour price and `utilization`.
    """
    params = params or load_fitted_params()
    proxies = proxies or DEFAULT_D2_PROXIES
    rows: list[D2Row] = []
    for name, (price_in, price_out) in api_prices.items():
        proxy = proxies.get(name)
        if proxy is None:
            raise DeploymentError(f"no proxy deployment for {name!r}: pass one in `proxies`")
        dep, conc = best_layout_under_slo(
            proxy.model, proxy.gpu, isl, osl, tpot_slo_ms, precision=proxy.precision, params=params
        )
        price = gpu_hour_price(proxy.gpu, market=market)
        cost = cost_of(dep, Workload(isl=isl, osl=osl, concurrency=conc), price, utilization, params)
        m_in = (1 - cost.input_usd_per_mtok / Decimal(price_in)).quantize(Decimal("0.0001"))
        m_out = (1 - cost.output_usd_per_mtok / Decimal(price_out)).quantize(Decimal("0.0001"))
        claim = D2_CLAIMS.get(name, {})
        c_out = claim.get("cost_output")
        c_margin = claim.get("margin")
        rows.append(
            D2Row(
                api_model=name,
                api_input_usd_per_mtok=Decimal(price_in),
                api_output_usd_per_mtok=Decimal(price_out),
                proxy=(
                    f"{proxy.model} on {dep.worker.gpus}x {proxy.gpu} ({proxy.precision}, "
                    f"TP{dep.worker.tp} x DP{dep.worker.attention_dp}, EP{dep.worker.expert_ep})"
                ),
                concurrency=conc,
                cost_input_usd_per_mtok=cost.input_usd_per_mtok,
                cost_output_usd_per_mtok=cost.output_usd_per_mtok,
                margin_input=m_in,
                margin_output=m_out,
                claimed_cost_output=c_out,
                claimed_margin=c_margin,
                cost_verdict=verdict(cost.output_usd_per_mtok, *c_out) if c_out else "no claim",
                margin_verdict=verdict(m_out, *c_margin) if c_margin else "no claim",
            )
        )
    return rows


# --------------------------------------------------------------------------------------------------
# D3


class D3Result(BaseModel):
    model_config = ConfigDict(frozen=True)

    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    cached_input_usd_per_mtok: Decimal
    cached_fraction: Decimal
    per_session_usd: Decimal
    per_day_usd: Decimal
    per_month_usd: Decimal
    checks: dict[str, str]


def d3_session_cost(
    input_usd_per_mtok: Decimal,
    output_usd_per_mtok: Decimal,
    *,
    input_tokens: int = 500_000,
    output_tokens: int = 5_000,
    sessions_per_day: int = 50,
    days_per_month: int = 30,
    cached_fraction: Decimal = Decimal(0),
    cached_input_usd_per_mtok: Decimal | None = None,
) -> D3Result:
    """A coding-agent session's cost at given rates (a share of the input may be cache hits)."""
    cached_rate = cached_input_usd_per_mtok if cached_input_usd_per_mtok is not None else input_usd_per_mtok
    mtok = Decimal(1_000_000)
    cached_in = Decimal(input_tokens) * cached_fraction
    fresh_in = Decimal(input_tokens) - cached_in
    session = (
        fresh_in * input_usd_per_mtok + cached_in * cached_rate + output_tokens * output_usd_per_mtok
    ) / mtok
    day = session * sessions_per_day
    month = day * days_per_month
    checks = {
        "~$0.017 per session": verdict(session, 0.017, 0.017),
        "~$0.85 per day": verdict(day, 0.85, 0.85),
        "~$25 per month": verdict(month, 25, 25),
    }
    return D3Result(
        input_usd_per_mtok=input_usd_per_mtok,
        output_usd_per_mtok=output_usd_per_mtok,
        cached_input_usd_per_mtok=cached_rate,
        cached_fraction=cached_fraction,
        per_session_usd=session.quantize(Q6),
        per_day_usd=day.quantize(Q6),
        per_month_usd=month.quantize(Q6),
        checks=checks,
    )


# --------------------------------------------------------------------------------------------------
# D5

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

D5_CLAIMS: dict[str, float] = {"7B": 0.50, "13B": 0.10}


def llama2(size: str) -> ModelArchitecture:
    return architecture_from_config(LLAMA2_CONFIGS[size], f"meta-llama/Llama-2-{size.lower()}-hf")


class D5Row(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    deployment: str
    tier: str
    gpu_hour_usd: Decimal
    concurrency: float
    cost_per_request_at_full_use_usd: Decimal
    api_cost_per_request_usd: Decimal
    break_even_utilization: Decimal | None = Field(description="None: never, even at 100 % use.")
    claim: str
    verdict: str


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
            claim = D5_CLAIMS.get(size)
            if claim is None:
                v = "no claim"
            elif be is None:
                v = "holds (never breaks even, even at 100% use)"
            else:
                # The claim is a floor ("50%+ needed"): it holds when break-even is at or above it.
                v = "holds" if float(be) >= 0.95 * claim else f"does not hold ({float(be):.0%} suffices)"
            rows.append(
                D5Row(
                    model=f"Llama-2-{size}",
                    deployment=f"{dep.worker.gpus}x H100 SXM, TP{dep.worker.tp}, BF16",
                    tier=tier,
                    gpu_hour_usd=price,
                    concurrency=conc,
                    cost_per_request_at_full_use_usd=per_req.quantize(Decimal("0.00000001")),
                    api_cost_per_request_usd=api_req.quantize(Decimal("0.00000001")),
                    break_even_utilization=be,
                    claim=f">= {claim:.0%} utilization" if claim is not None else "none",
                    verdict=v,
                )
            )
    return rows
