"""The time of one engine iteration, from FLOPs and bytes moved per operator group.

Everything here is elementwise over `ConfigArrays` columns (numpy, float64 seconds and bytes).

An iteration of a worker runs every layer once for the tokens scheduled in it: `dec_seqs` decoding
sequences per attention rank (one new token each, reading their KV cache) and `pf_tokens` prompt
tokens per rank from requests of length `pf_len`. Each operator group takes the longer of its
memory time and its compute time (a roofline per group, summed over groups):

- dense GEMMs (attention projections, dense MLPs, shared experts): weights read once per step;
- routed experts: only the experts the step's tokens touch are read. A token picks `k` of `E`
  experts, so `T` tokens leave an expert untouched with probability (1 - k/E)^T and touch
  E * (1 - (1 - k/E)^T) experts on average (uniform routing);
- attention: decode reads each sequence's KV cache (sharded over tensor-parallel ranks by KV
  head; an MLA latent is shared by all heads, so every rank reads it whole); prefill is causal
  attention compute;
- output head (BF16).

Plus collectives (tensor-parallel all-reduce twice per layer; expert-parallel all-to-all dispatch
and combine per MoE layer; over the scale-up fabric when the group fits in its domain, else over
the network), pipeline hops, and fixed per-layer and per-step overheads.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from inferonomics.serving.configs import ConfigArrays
from inferonomics.serving.params import EfficiencyParams

__all__ = [
    "Side",
    "expected_distinct_experts",
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
        return cls(a.tp, a.pp, a.adp, a.moe_tp, a.moe_ep)

    @classmethod
    def prefill(cls, a: ConfigArrays) -> Side:
        return cls(a.p_tp, a.p_pp, a.p_adp, a.p_moe_tp, a.p_moe_ep)

    @property
    def gpus(self) -> F64:
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


def _gemm_time(p: EfficiencyParams, dec_rows: F64, pf_rows: F64, flops_per_row: F64, peak: F64) -> F64:
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
    dec = np.asarray(dec_seqs, dtype=np.float64) / s.pp  # sequences per pipeline micro-batch
    pf = np.asarray(pf_tokens, dtype=np.float64) / s.pp
    c = np.asarray(ctx, dtype=np.float64)
    plen = np.maximum(np.asarray(pf_len, dtype=np.float64), 1.0)
    tokens = dec + pf  # new tokens per attention rank in this micro-batch
    bw = p.hbm_efficiency * a.hbm_bw * np.where(a.wo_dense > 0, p.weight_only_efficiency, 1.0)
    expert_bw = p.expert_hbm_efficiency * a.hbm_bw * np.where(a.wo_moe > 0, p.weight_only_efficiency, 1.0)
    layers = a.num_layers / s.pp  # each GPU runs its stage's layers

    # Dense GEMMs: rows = tokens of the rank; weights split over tp.
    dense_params = (a.attn_params + a.dense_ffn_params) / (s.tp * s.pp)
    t_dense = np.maximum(
        dense_params * a.wb_dense / bw, _gemm_time(p, dec, pf, 2.0 * dense_params, a.flops_dense)
    )

    # Routed experts: tokens of every attention-DP rank meet in the worker's expert group.
    group_tokens = tokens * s.adp
    touched = expected_distinct_experts(a.n_experts, a.top_k, group_tokens) / s.moe_ep  # per GPU
    # Rows per expert GEMM: the group's tokens x k spread over E experts.
    per_expert = s.adp * a.top_k / np.maximum(a.n_experts, 1.0)
    moe_layers = a.n_moe_layers / s.pp
    # FLOPs per (expert row) on this GPU: every expert's rows are split over moe_tp x moe_ep GPUs.
    expert_flops_per_row = 2.0 * a.expert_params * moe_layers * a.n_experts / (s.moe_tp * s.moe_ep)
    t_moe = np.maximum(
        moe_layers * touched * a.expert_params * a.wb_moe / (s.moe_tp * expert_bw),
        _gemm_time(p, dec * per_expert, pf * per_expert, expert_flops_per_row, a.flops_moe),
    )

    # Output head: BF16 weights split over tp, logits for decode tokens and one per prefill request.
    head_rows = dec + pf / plen
    t_head = np.maximum(
        a.lm_head_params * 2.0 / (s.tp * p.hbm_efficiency * a.hbm_bw),
        _gemm_time(p, head_rows, 0.0 * head_rows, 2.0 * a.lm_head_params / s.tp, a.flops_attn),
    )
    t_head = np.where(s.pp > 1, t_head / s.pp, t_head)

    # Attention: decode reads KV; prefill is causal compute. Recurrent mixers update a state.
    shards = kv_shards(a, s.tp)
    capped_ctx = np.where(a.read_cap > 0, np.minimum(c, a.read_cap), 0.0)
    kv_read = ((a.kv_read_full * c + a.kv_read_capped * capped_ctx) * a.kvb + 2.0 * a.state_bytes) / s.pp
    attn_flops_dec = dec * (a.attn_fl_dec * c + a.attn_fl_dec_capped * capped_ctx) / (s.tp * s.pp)
    attn_flops_pf = (
        (pf / plen)
        * (a.attn_fl_pre * plen * plen / 2.0 + a.attn_fl_pre_capped * _capped_causal(plen, a.read_cap))
    ) / (s.tp * s.pp)
    state_flops = tokens * a.state_flops / (s.tp * s.pp)
    attn_rate = p.attention_efficiency * a.flops_attn
    kv_bw = p.kv_hbm_efficiency * a.hbm_bw
    t_attn = np.maximum(dec * kv_read / shards / kv_bw, (attn_flops_dec + state_flops) / attn_rate)
    t_attn = t_attn + attn_flops_pf / (attn_rate * p.prefill_efficiency / p.compute_efficiency)

    # Collectives.
    link = p.link_efficiency
    lat = p.collective_latency_us * 1e-6
    act = tokens * a.hidden * 2.0  # BF16 activations of the rank
    tp_group = s.tp
    ar = np.where(
        tp_group > 1,
        2.0 * layers * (lat + 2.0 * (tp_group - 1) / tp_group * act / (link * _link_bw(a, tp_group))),
        0.0,
    )
    worker_gpus = s.tp * s.adp
    ep = s.moe_ep
    a2a_bytes = (tokens / s.tp) * a.top_k * a.moe_hidden * 3.0 * (ep - 1) / np.maximum(ep, 1)
    a2a = np.where(
        (ep > 1) & (a.n_experts > 0),
        moe_layers * (2.0 * lat + a2a_bytes / (link * _link_bw(a, worker_gpus))),
        0.0,
    )
    # Experts tensor-parallel over data-parallel attention ranks: gather tokens, scatter results.
    gather = np.where(
        (ep <= 1) & (s.adp > 1) & (a.n_experts > 0),
        moe_layers
        * (
            2.0 * lat
            + 2.0 * act * s.adp * (worker_gpus - 1) / worker_gpus / (link * _link_bw(a, worker_gpus))
        ),
        0.0,
    )
    pp_hops = (s.pp - 1) * (lat + act / (link * _link_bw(a, s.tp * s.pp)))

    overhead = layers * p.layer_overhead_us * 1e-6 + moe_layers * p.moe_layer_overhead_us * 1e-6
    stage = t_dense + t_moe + t_head + t_attn + ar + a2a + gather + overhead
    return s.pp * stage + pp_hops + p.step_overhead_ms * 1e-3
