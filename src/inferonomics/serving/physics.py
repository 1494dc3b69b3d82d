"""The time of one engine iteration, from FLOPs and bytes moved per operator group.

Everything here is elementwise over `ConfigArrays` columns (numpy, float64 seconds and bytes).

An iteration of a worker runs every layer once for the tokens scheduled in it: `dec_seqs` decoding
sequences per attention rank (one new token each, reading their KV cache) and `pf_tokens` prompt
tokens per rank from requests of length `pf_len`. Each operator group takes the longer of its
memory time and its compute time (a roofline per group, summed over groups):

- dense GEMMs (attention projections, dense MLPs, shared experts): weights read once per step;
- routed experts: only the experts the step's tokens touch are read. A token picks `k` of `E`
  experts, so `T` tokens leave an expert untouched with probability (1 - k/E)^T and touch
  E * (1 - (1 - k/E)^T) experts on average (uniform routing). Under expert parallelism the step
  waits for the busiest GPU: the experts it holds that are touched, and the tokens routed to it,
  are binomial, and the expected maximum over the `ep` GPUs is the mean plus z(ep) standard
  deviations (z = expected maximum of `ep` standard normals: 1.42 for 8, 2.07 for 32). Grouped
  expert GEMMs reach only a fraction of the dense GEMMs' efficiency;
- attention: decode reads each sequence's KV cache (sharded over tensor-parallel ranks by KV
  head; an MLA latent is shared by all heads, so every rank reads it whole); prefill is causal
  attention compute;
- output head (BF16).

Plus collectives (tensor-parallel all-reduce twice per layer; expert-parallel all-to-all dispatch
and combine per MoE layer; over the scale-up fabric when the group fits in its domain, else over
the network, with the network's extra latency), pipeline hops, fixed per-layer overheads (more when
data-parallel attention ranks must meet at every expert exchange) and a time
per running sequence (scheduling, sampling, streaming). The whole iteration is scaled by the
engine's step-time factor (its kernels' speed relative to vLLM's).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from inferonomics.serving.configs import ConfigArrays
from inferonomics.serving.params import EfficiencyParams

__all__ = [
    "Side",
    "StepModel",
    "expected_distinct_experts",
    "expected_max_normal",
    "experts_on_busiest_gpu",
    "iteration_time",
    "kv_bytes_per_seq",
    "kv_capacity_seqs",
    "kv_shards",
    "weight_bytes_per_gpu",
]

F64 = NDArray[np.float64]


class Side:
    """The parallelism columns of one side of a deployment (the agg/decode worker, or prefill)."""

    def __init__(self, tp: F64, pp: F64, adp: F64, moe_tp: F64, moe_ep: F64) -> None:
        self.tp = tp
        self.pp = pp
        self.adp = adp
        self.moe_tp = moe_tp
        self.moe_ep = moe_ep

    @classmethod
    def decode(cls, a: ConfigArrays) -> Side:
        """The parallelism columns of the aggregated worker, or of the decode worker when disaggregated."""
        return cls(a.tp, a.pp, a.adp, a.moe_tp, a.moe_ep)

    @classmethod
    def prefill(cls, a: ConfigArrays) -> Side:
        """The parallelism columns of the prefill worker (the `p_*` columns)."""
        return cls(a.p_tp, a.p_pp, a.p_adp, a.p_moe_tp, a.p_moe_ep)

    @property
    def gpus(self) -> F64:
        """GPUs per worker of this side, per configuration: tp x pp x attention_dp."""
        return self.tp * self.pp * self.adp


def expected_distinct_experts(n_experts: F64 | float, top_k: F64 | float, tokens: F64 | float) -> F64:
    """Expected number of distinct experts `tokens` tokens touch, each picking `top_k` of `n_experts`.

    E * (1 - (1 - k/E)^T) under uniform, independent routing; 0 for a dense model.
    """
    e = np.asarray(n_experts, dtype=np.float64)
    k = np.asarray(top_k, dtype=np.float64)
    t = np.asarray(tokens, dtype=np.float64)
    safe_e = np.where(e > 0, e, 1.0)
    miss = np.power(np.clip(1.0 - k / safe_e, 0.0, 1.0), np.maximum(t, 0.0))
    return np.where(e > 0, e * (1.0 - miss), 0.0)


# Expected maximum of 2^i independent standard normals, i = 0..8 (1 to 256 GPUs).
_MAX_NORMAL = np.array([0.0, 0.5642, 1.0294, 1.4236, 1.7660, 2.0697, 2.3410, 2.5866, 2.8122])


def expected_max_normal(n: F64 | float) -> F64:
    """Expected maximum of `n` independent standard normal draws (interpolated in log2 n; 0 for n <= 1)."""
    x = np.log2(np.maximum(np.asarray(n, dtype=np.float64), 1.0))
    return np.asarray(
        np.interp(x, np.arange(_MAX_NORMAL.size, dtype=np.float64), _MAX_NORMAL), dtype=np.float64
    )


def experts_on_busiest_gpu(
    n_experts: F64 | float, top_k: F64 | float, tokens: F64 | float, ep: F64 | float
) -> F64:
    """Expected number of touched experts on the busiest of `ep` expert-parallel GPUs.

    Each GPU holds n = E/ep experts; each is touched with probability q = 1 - (1 - k/E)^T, so a
    GPU's count is binomial (mean nq, variance nq(1-q)); the maximum over `ep` GPUs is taken as the
    mean plus z(ep) standard deviations (normal approximation), at most n.
    """
    e = np.asarray(n_experts, dtype=np.float64)
    g = np.maximum(np.asarray(ep, dtype=np.float64), 1.0)
    n = e / g
    mean = expected_distinct_experts(e, top_k, tokens) / g
    q = np.clip(mean / np.maximum(n, 1e-9), 0.0, 1.0)
    return np.minimum(n, mean + expected_max_normal(g) * np.sqrt(n * q * (1.0 - q)))


def kv_shards(a: ConfigArrays, tp: F64) -> F64:
    """Ways a sequence's KV cache is split over a tensor-parallel group (by KV head; MLA: 1)."""
    return np.where(a.is_mla > 0, 1.0, np.minimum(tp, a.kv_heads))


def kv_bytes_per_seq(a: ConfigArrays, tokens: F64) -> F64:
    """KV-cache and recurrent-state bytes one sequence of `tokens` tokens holds."""
    windowed = np.where(a.window > 0, np.minimum(tokens, a.window), tokens)
    return (a.kv_full * tokens + a.kv_window * windowed) * a.kvb + a.state_bytes


def weight_bytes_per_gpu(a: ConfigArrays, s: Side) -> F64:
    """Weight bytes each GPU of a worker holds (dense layers split by tp, experts by moe_tp x moe_ep)."""
    dense = (a.attn_params + a.dense_ffn_params) * a.wb_dense / s.tp
    experts = a.n_moe_layers * a.n_experts * a.expert_params * a.wb_moe / (s.moe_tp * s.moe_ep)
    head = (a.lm_head_params + a.embed_params) * 2.0 / s.tp
    return (dense + experts + head) / s.pp


def kv_capacity_seqs(a: ConfigArrays, s: Side, p: EfficiencyParams, tokens: F64) -> F64:
    """Sequences of `tokens` tokens one attention rank can hold in KV memory (may be < 1)."""
    # The engine takes a fraction of memory (the rest: activations, buffers, CUDA graphs); weights
    # come out of it first. Deployments that squeeze weights past that fraction still keep a sliver
    # (2 % of HBM) for KV; weights beyond 100 % of HBM do not fit at all (capacity 0).
    weights = weight_bytes_per_gpu(a, s)
    free = np.maximum(p.kv_memory_fraction * a.hbm_bytes - weights, 0.02 * a.hbm_bytes)
    free = np.where(weights < a.hbm_bytes, free, 0.0)
    per_seq = kv_bytes_per_seq(a, tokens) / kv_shards(a, s.tp) / s.pp
    return np.maximum(free, 0.0) / per_seq


def _link_bw(a: ConfigArrays, group: F64) -> F64:
    return np.where(group <= a.su_domain, a.su_bw, a.so_bw)


def _gemm_time(
    p: EfficiencyParams, dec_rows: F64, pf_rows: F64 | float, flops_per_row: F64, peak: F64
) -> F64:
    """Compute time of a GEMM group: decode rows at the decode efficiency, prompt rows at prefill's.

    Efficiency ramps with the rows in the GEMM as rows / (rows + gemm_half_rows): a handful of
    rows cannot fill the tensor cores.
    """
    rows = np.maximum(dec_rows + pf_rows, 1e-9)
    ramp = rows / (rows + p.gemm_half_rows)
    rate = ramp * peak
    return flops_per_row * (dec_rows / p.compute_efficiency + pf_rows / p.prefill_efficiency) / rate


def _capped_causal(s: F64, cap: F64) -> F64:
    """Sum over positions 1..s of min(position, cap): causal attention with a window of `cap`."""
    full = s * s / 2.0
    capped = s * cap - cap * cap / 2.0
    return np.where((cap > 0) & (s > cap), capped, full)


class StepModel:
    """One side of a deployment, ready to time iterations: everything that does not depend on the
    iteration's tokens is computed once (the fixed-point solver calls it several times)."""

    def __init__(self, a: ConfigArrays, s: Side, p: EfficiencyParams) -> None:
        self.a, self.s, self.p = a, s, p
        pp = s.pp
        self.bw = p.hbm_efficiency * a.hbm_bw
        expert_bw = p.expert_hbm_efficiency * a.hbm_bw
        layers = a.num_layers / pp  # each GPU runs its stage's layers

        # Dense GEMMs: weights split over tp, read once per step.
        dense_params = (a.attn_params + a.dense_ffn_params) / (s.tp * pp)
        self.dense_mem = dense_params * a.wb_dense / self.bw
        self.dense_flops_row = 2.0 * dense_params

        # Routed experts: the tokens of every attention-DP rank meet in the worker's expert group.
        self.has_moe = bool(np.any(a.n_experts > 0))
        moe_layers = a.n_moe_layers / pp
        self.per_expert = s.adp * a.top_k / np.maximum(a.n_experts, 1.0)  # rows per expert per token
        # FLOPs per expert row on this GPU: every expert's rows are split over moe_tp x moe_ep GPUs.
        self.expert_flops_row = 2.0 * a.expert_params * moe_layers * a.n_experts / (s.moe_tp * s.moe_ep)
        self.expert_mem = moe_layers * a.expert_params * a.wb_moe / (s.moe_tp * expert_bw)  # per expert

        # Output head: BF16, split over tp; on the last pipeline stage only.
        self.head_mem = a.lm_head_params * 2.0 / (s.tp * p.hbm_efficiency * a.hbm_bw) / pp
        self.head_flops_row = 2.0 * a.lm_head_params / s.tp / pp

        # Attention.
        self.shards = kv_shards(a, s.tp)
        self.kv_bw = p.kv_hbm_efficiency * a.hbm_bw * self.shards * pp
        self.attn_rate = p.attention_efficiency * a.flops_attn * s.tp * pp
        self.pf_attn_rate = self.attn_rate * p.prefill_efficiency / p.compute_efficiency
        self.has_cap = bool(np.any(a.read_cap > 0))

        # Collectives are affine in the step's tokens: fixed latencies plus bytes per token.
        link = p.link_efficiency
        act = a.hidden * 2.0  # BF16 activation bytes per token
        tp = s.tp
        worker = s.tp * s.adp
        ep = s.moe_ep
        moe = a.n_experts > 0
        # A collective over the network (group larger than the scale-up domain) pays its latency too.
        lat_tp = (p.collective_latency_us + np.where(tp > a.su_domain, p.network_latency_us, 0.0)) * 1e-6
        lat = (p.collective_latency_us + np.where(worker > a.su_domain, p.network_latency_us, 0.0)) * 1e-6
        ar_on = tp > 1
        fixed = np.where(ar_on, 2.0 * layers * lat_tp, 0.0)
        per_token = np.where(ar_on, 2.0 * layers * 2.0 * (tp - 1) / tp * act / (link * _link_bw(a, tp)), 0.0)
        a2a_on = (ep > 1) & moe
        fixed = fixed + np.where(a2a_on, moe_layers * 2.0 * lat, 0.0)
        a2a_bytes = a.top_k * a.moe_hidden * 3.0 * (ep - 1) / np.maximum(ep, 1) / tp  # fp8 out, bf16 back
        per_token = per_token + np.where(a2a_on, moe_layers * a2a_bytes / (link * _link_bw(a, worker)), 0.0)
        # Experts tensor-parallel over data-parallel attention ranks: gather tokens, scatter results.
        gather_on = (ep <= 1) & (s.adp > 1) & moe
        fixed = fixed + np.where(gather_on, moe_layers * 2.0 * lat, 0.0)
        gather_bytes = 2.0 * act * s.adp * (worker - 1) / worker
        per_token = per_token + np.where(
            gather_on, moe_layers * gather_bytes / (link * _link_bw(a, worker)), 0.0
        )
        # Data-parallel attention ranks of a mixture of experts meet at every expert exchange.
        dp_sync = np.where((s.adp > 1) & moe, layers * p.attention_dp_layer_us * 1e-6, 0.0)
        self.comm_fixed = (
            fixed
            + dp_sync
            + layers * p.layer_overhead_us * 1e-6
            + moe_layers * p.moe_layer_overhead_us * 1e-6
        )
        self.comm_per_token = per_token
        lat_pp = p.collective_latency_us + np.where(s.tp * pp > a.su_domain, p.network_latency_us, 0.0)
        self.pp_fixed = (pp - 1) * lat_pp * 1e-6
        self.pp_per_token = (pp - 1) * act / (link * _link_bw(a, s.tp * pp))
        self.step = p.step_overhead_ms * 1e-3
        self.per_seq = p.sequence_overhead_us * 1e-6
        self.engine_factor: F64 = np.asarray(p.engine_step_time_factor(), dtype=np.float64)[
            a.engine.astype(np.intp)
        ]
        # Expert parallelism: the busiest of `ep` GPUs sets the step (see the module docstring).
        self.z_ep = expected_max_normal(s.moe_ep)

    def __call__(
        self,
        *,
        dec_seqs: F64 | float,
        ctx: F64 | float,
        pf_tokens: F64 | float = 0.0,
        pf_len: F64 | float = 1.0,
    ) -> F64:
        a, s, p = self.a, self.s, self.p
        dec = np.asarray(dec_seqs, dtype=np.float64) / s.pp  # sequences per pipeline micro-batch
        pf = np.asarray(pf_tokens, dtype=np.float64) / s.pp
        c = np.asarray(ctx, dtype=np.float64)
        plen = np.maximum(np.asarray(pf_len, dtype=np.float64), 1.0)
        tokens = dec + pf  # new tokens per attention rank in this micro-batch

        t = np.maximum(self.dense_mem, _gemm_time(p, dec, pf, self.dense_flops_row, a.flops_dense))
        if self.has_moe:
            touched = experts_on_busiest_gpu(a.n_experts, a.top_k, tokens * s.adp, s.moe_ep)
            # Token-expert pairs per GPU are binomial too: the busiest GPU's GEMMs have more rows.
            routed = np.maximum(tokens * s.adp * a.top_k / s.moe_ep, 1e-9)  # token-expert pairs per GPU
            rows = self.per_expert * (1.0 + self.z_ep * np.sqrt(routed * (1.0 - 1.0 / s.moe_ep)) / routed)
            expert_gemm = _gemm_time(p, dec * rows, pf * rows, self.expert_flops_row, a.flops_moe)
            t = t + np.maximum(touched * self.expert_mem, expert_gemm / p.expert_gemm_efficiency)
        # Output head: logits for every decode token and one per prompt.
        t = t + np.maximum(
            self.head_mem, _gemm_time(p, dec + pf / plen, 0.0, self.head_flops_row, a.flops_attn)
        )

        # Attention: decode reads each sequence's KV; prefill is causal compute; recurrent mixers
        # read and write a state.
        if self.has_cap:
            capped = np.where(a.read_cap > 0, np.minimum(c, a.read_cap), 0.0)
            kv_read = (a.kv_read_full * c + a.kv_read_capped * capped) * a.kvb + 2.0 * a.state_bytes
            flops_dec = dec * (a.attn_fl_dec * c + a.attn_fl_dec_capped * capped)
            pf_pairs = a.attn_fl_pre * plen * plen / 2.0 + a.attn_fl_pre_capped * _capped_causal(
                plen, a.read_cap
            )
        else:
            kv_read = a.kv_read_full * c * a.kvb + 2.0 * a.state_bytes
            flops_dec = dec * a.attn_fl_dec * c
            pf_pairs = a.attn_fl_pre * plen * plen / 2.0
        t = t + np.maximum(dec * kv_read / self.kv_bw, (flops_dec + tokens * a.state_flops) / self.attn_rate)
        t = t + (pf / plen) * pf_pairs / self.pf_attn_rate

        stage = (t + self.comm_fixed + self.comm_per_token * tokens) * self.engine_factor
        seqs = dec + pf / plen  # sequences in this micro-batch: decoding ones and prompts
        return s.pp * (stage + self.per_seq * seqs) + self.pp_fixed + self.pp_per_token * tokens + self.step


def iteration_time(
    a: ConfigArrays,
    s: Side,
    p: EfficiencyParams,
    *,
    dec_seqs: F64 | float,
    ctx: F64 | float,
    pf_tokens: F64 | float = 0.0,
    pf_len: F64 | float = 1.0,
) -> F64:
    """Seconds for one iteration of a worker (all its attention ranks in lockstep)."""
    return StepModel(a, s, p)(dec_seqs=dec_seqs, ctx=ctx, pf_tokens=pf_tokens, pf_len=pf_len)
