"""The computations behind cases D1-D3: the true cost of serving, as an article chains it and as
the serving model prices it.

- `d1_article_chain`: D1's arithmetic, step by step, under the article's own assumptions;
- `d1_sound_model`: the same deployment and its nearest feasible ones, through the serving model;
- `d2_margin_table`: API list prices against the serving model's cost of a stated open-weights proxy;
- `d3_session_cost`: a coding-agent session's cost at given rates.

They are case computations over the serving model, not part of it; the claims they are checked
against live in the cases (`cases/serving.py`). API prices are arguments: the cases pass the price
book's (or, where the claim is about the article's own figure, the article's).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict, Field

from inferonomics.catalog.gpus import load_gpu_catalog
from inferonomics.errors import DeploymentError
from inferonomics.serving.configs import Workload
from inferonomics.serving.cost import CostResult, cost_of, gpu_hour_price
from inferonomics.serving.deploy import make_deployment, weights_per_gpu_bytes
from inferonomics.serving.frontier import best_layout_under_slo
from inferonomics.serving.params import EfficiencyParams, load_fitted_params
from inferonomics.serving.physics import expected_distinct_experts

__all__ = [
    "D1ArticleChain",
    "D1Result",
    "D1SoundRow",
    "D2Proxy",
    "D2Row",
    "D3Result",
    "d1_article_chain",
    "d1_sound_model",
    "d2_margin_table",
    "d3_session_cost",
]

Q6 = Decimal("0.000001")
ARTICLE_HBM_TB_PER_S = Decimal("3.35")
"""D1's article: one H100's memory bandwidth, TB/s."""
ARTICLE_WEIGHTS_GB = Decimal(74)
"""D1's article: "37B active parameters requiring 74GB in FP16"."""


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


class D1SoundRow(BaseModel):
    """One deployment of D1's model under the serving model: feasible or not, and its cost."""

    model_config = ConfigDict(frozen=True)

    deployment: str
    feasible: bool
    note: str
    cost: CostResult | None


class D1Result(BaseModel):
    """D1 under the article's chain and under the serving model, with why they differ."""

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
    hbm_tb_per_s: Decimal = ARTICLE_HBM_TB_PER_S,
    weights_gb: Decimal = ARTICLE_WEIGHTS_GB,
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
    hbm = 8 * h100.hbm_bytes
    why = [
        f"The chain divides one GPU's {ARTICLE_HBM_TB_PER_S} TB/s by all {ARTICLE_WEIGHTS_GB} GB; an 8-GPU "
        f"instance reads its weights at {agg_bw / 1e12:.1f} TB/s with each GPU holding an eighth.",
        f"FP8 weights (the released checkpoint) are {fp8_weights / arch.total_params:.2f} bytes per "
        "parameter, not 2.",
        f"A batch of {batch} sends tokens to about {touched:.0f} of {arch.n_experts} experts per layer, so a "
        f"decode step reads {(step_bytes + kv_step) / 1e9:.0f} GB (with the KV cache) of the "
        f"{arch.total_params / 1e9:.0f}B parameters, not the {arch.active_params / 1e9:.1f}B active ones: "
        "MoE decode at this "
        "batch is bound by total, not active, weights.",
        "Every decode step also reads every sequence's KV cache "
        f"({arch.kv_bytes_per_token('fp8') / 1e3:.0f} KB per token in FP8).",
        f"Prefill is compute-bound: {corrected['prefill_seconds_per_batch_at_peak_fp8']:.2f} s per batch of "
        f"{batch * isl:,} prompt tokens at peak FP8 on 8 GPUs, not one bandwidth-bound pass over the "
        "weights.",
        f"FP8 weights of {fp8_weights / 1e9:.0f} GB do not fit {hbm / 1e9:.0f} GB of HBM with room for a "
        "KV cache: the instance needs 16 H100s or 8 H200s.",
    ]
    return D1Result(article=article, corrected_chain=corrected, sound_model=rows, why=why)


# --------------------------------------------------------------------------------------------------
# D2


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
    """One API model's list price against its proxy's serving cost, and the margins."""

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

    `api_prices` maps a model name to (input, output) $/MTok (the case passes the article's).
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
            )
        )
    return rows


# --------------------------------------------------------------------------------------------------
# D3


class D3Result(BaseModel):
    """A coding-agent session's cost at given rates: per session, day and month."""

    model_config = ConfigDict(frozen=True)

    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    cached_input_usd_per_mtok: Decimal
    cached_fraction: Decimal
    per_session_usd: Decimal
    per_day_usd: Decimal
    per_month_usd: Decimal


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
    return D3Result(
        input_usd_per_mtok=input_usd_per_mtok,
        output_usd_per_mtok=output_usd_per_mtok,
        cached_input_usd_per_mtok=cached_rate,
        cached_fraction=cached_fraction,
        per_session_usd=session.quantize(Q6),
        per_day_usd=day.quantize(Q6),
        per_month_usd=month.quantize(Q6),
    )
