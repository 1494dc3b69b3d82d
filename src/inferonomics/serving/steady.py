"""Steady-state continuous batching: time to first token and time per output token under load.

A closed loop of `concurrency` requests (each sends its next request when the last one ends, as the
measured benchmarks do) is spread over the attention ranks of the deployment.

Aggregated serving (prefill and decode on the same GPUs). A rank holds `b` requests; KV memory caps
the running batch at `b_max` and the rest wait for a slot. Each decode iteration also carries the
prompt tokens of requests arriving meanwhile, at rate b / (TTFT + (osl - 1) TPOT) per rank, so

    TPOT = t_decode(b) + interference x (prompt time arriving per iteration)
    TTFT = fixed + t_prefill(own prompt) + queue x (b - 1) x t_prefill(one more prompt) + KV-slot wait

(solved by a few fixed-point iterations; `queue` is the share of the other in-flight requests'
prefills a new request waits behind, `interference` the share of prefill time that lands in decode
steps — both fitted, global).

Disaggregated serving. Decode workers only decode: TPOT = t_decode(b). Prompts queue at the prefill
workers; TTFT adds the KV hand-off over the network and, once prompts arrive faster than the prefill
workers clear them, the closed loop's cycle time C x t_prefill / ranks sets the wait.

An unstated disaggregated layout (no worker counts) is laid out as published disaggregated
benchmarks are: a decode pool of `disagg_decode_batch` sequences per attention rank at low
concurrency, capped at `disagg_decode_gpus` GPUs, beyond which the pool's batch grows; and, for a
mixture-of-experts model, each decode worker's attention tensor- or data-parallel over its GPUs
(experts expert-parallel over them all), whichever decodes faster — low-latency deployments use
tensor-parallel attention, high-throughput ones data-parallel attention.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from inferonomics.serving.configs import ConfigArrays
from inferonomics.serving.params import EfficiencyParams
from inferonomics.serving.physics import Side, StepModel, kv_bytes_per_seq, kv_capacity_seqs

__all__ = ["Prediction", "predict_arrays"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Prediction:
    """Predicted steady state of each configuration (seconds, tokens, GPUs)."""

    ttft_s: F64
    tpot_s: F64
    decode_batch: F64
    """Running decode sequences per attention rank."""
    kv_limited: NDArray[np.bool_]
    """True where KV memory, not the offered concurrency, sets the running batch."""
    fits: NDArray[np.bool_]
    """False where the weights alone exceed the GPUs' memory."""
    gpus: F64
    """GPUs in use (all workers)."""
    prefill_gpus: F64
    decode_gpus: F64
    request_s: F64
    """Seconds per request: TTFT + (osl - 1) x TPOT."""
    output_tokens_per_s: F64
    """Output tokens per second of the whole deployment."""
    prefill_busy: F64
    """Share of GPU time spent on prompts (agg: within each iteration; disagg: prefill utilization)."""

    @property
    def output_tokens_per_s_per_gpu(self) -> F64:
        """Output tokens per second per GPU in use (all workers), per configuration."""
        return self.output_tokens_per_s / self.gpus

    @property
    def tokens_per_s_per_user(self) -> F64:
        """Output tokens per second each request sees while decoding (1 / TPOT), per configuration."""
        return 1.0 / self.tpot_s


def _replicas(a: ConfigArrays, s: Side, p: EfficiencyParams, cap_tokens: F64) -> tuple[F64, F64]:
    """Decode workers (given, or sized) and KV capacity per attention rank.

    Unstated worker counts are sized: agg to the fewest workers whose KV memory holds the
    concurrency; disagg decode workers also to `disagg_decode_batch` sequences per attention rank,
    up to `disagg_decode_gpus` GPUs (published disaggregated deployments scale the decode pool out
    at low concurrency and grow its batch at high concurrency).
    """
    cap = kv_capacity_seqs(a, s, p, cap_tokens)
    need = np.ceil(a.conc / np.maximum(cap * s.adp, 1e-9))
    # (Unrounded: a pool sized by a rule stands for the deployments it averages over.)
    budget = np.maximum(p.disagg_decode_gpus / s.gpus, 1.0)
    by_batch = np.minimum(a.conc / (p.disagg_decode_batch * s.adp), budget)
    need = np.where(a.disagg > 0, np.maximum(need, by_batch), need)
    workers = np.where(np.isnan(a.n_workers), np.clip(need, 1.0, None), a.n_workers)
    return workers, cap


def predict_arrays(a: ConfigArrays, p: EfficiencyParams, iterations: int = 6) -> Prediction:
    """Predict TTFT and TPOT of every configuration in `a` (vectorized).

    Unstated disaggregated layouts of mixture-of-experts models are predicted twice, with
    tensor-parallel and with data-parallel attention on the decode workers, and take the faster.
    """
    pred = _predict(a, p, iterations)
    unstated = (a.disagg > 0) & np.isnan(a.n_workers) & (a.n_experts > 0) & (a.tp > 1)
    idx = np.flatnonzero(unstated)
    if idx.size == 0:
        return pred
    sub = a.take(idx)
    gpus = sub.tp * sub.adp
    alt = _predict(sub.with_(tp=1.0, adp=gpus, moe_tp=1.0, moe_ep=gpus), p, iterations)
    faster = alt.tpot_s < pred.tpot_s[idx]
    take = idx[faster]
    out = {}
    for f in fields(Prediction):
        column = getattr(pred, f.name).copy()
        column[take] = getattr(alt, f.name)[faster]
        out[f.name] = column
    return Prediction(**out)


def _predict(a: ConfigArrays, p: EfficiencyParams, iterations: int) -> Prediction:
    dec = Side.decode(a)
    pre = Side.prefill(a)
    full_len = a.isl + a.osl
    ctx = a.isl + a.osl / 2.0  # mean context over a request's decode
    disagg = a.disagg > 0

    workers, cap = _replicas(a, dec, p, full_len)
    ranks = workers * dec.adp
    b = a.conc / ranks
    b_run = np.maximum(np.minimum(b, np.floor(cap)), 1.0)
    kv_limited = b > b_run + 1e-9
    fits = cap >= 1.0

    # Decode iteration with the running batch; prefill cost of one more prompt on the same worker.
    step = StepModel(a, dec, p)
    t_dec = step(dec_seqs=b_run, ctx=ctx)
    t_with_pf = step(dec_seqs=b_run, ctx=ctx, pf_tokens=a.isl, pf_len=a.isl)
    t_pf_marginal = np.maximum(t_with_pf - t_dec, 1e-6)

    # Disaggregated prefill side (unstated pool: sized each iteration below).
    any_disagg = bool(disagg.any())
    given_p = ~np.isnan(a.n_prefill_workers)
    p_workers = np.where(given_p, a.n_prefill_workers, 1.0)
    if any_disagg:
        pre_step = StepModel(a, pre, p)
        t_pf_alone = pre_step(dec_seqs=0.0, ctx=0.0, pf_tokens=a.isl, pf_len=a.isl)
        t_pf_more = np.maximum(
            pre_step(dec_seqs=0.0, ctx=0.0, pf_tokens=2.0 * a.isl, pf_len=a.isl) - t_pf_alone, 1e-6
        )
        kv_link = np.where(pre.gpus + dec.gpus * workers <= a.su_domain, a.su_bw, a.so_bw) * p.link_efficiency
        kv_handoff = kv_bytes_per_seq(a, a.isl) / kv_link
    else:
        t_pf_alone = t_pf_more = kv_handoff = np.zeros_like(t_dec)

    engine = a.engine.astype(np.intp)
    fixed = np.asarray(p.engine_ttft_overhead_ms())[engine] * 1e-3
    queue_factor = np.asarray(p.engine_prefill_queue_factor())[engine]
    interference = np.asarray(p.engine_prefill_interference())[engine]
    tpot = t_dec.copy()
    own_prefill = t_dec + p.prefill_passes * t_pf_marginal
    ttft = fixed + own_prefill
    slot_wait = np.zeros_like(ttft)
    for _ in range(iterations):
        # A request holds a KV slot from its prefill to its last token; waiting for a slot comes first.
        served = ttft - slot_wait + (a.osl - 1.0) * tpot
        request = ttft + (a.osl - 1.0) * tpot
        # Aggregated: prompts join the running batch at b / served per rank; each iteration carries
        # the prompts arriving during it.
        arriving = b_run * tpot / np.maximum(served, 1e-9)
        tpot_agg = t_dec + interference * arriving * t_pf_marginal
        slot_wait = np.where(kv_limited, (b - b_run) / b_run * served, 0.0)
        ttft_agg = (
            fixed
            + own_prefill
            + p.ttft_wait_iterations * tpot
            + queue_factor * (b_run - 1.0) * t_pf_marginal
            + slot_wait
        )
        if not any_disagg:
            done = np.allclose(tpot_agg, tpot, rtol=1e-9, atol=0.0) and np.allclose(
                ttft_agg, ttft, rtol=1e-9, atol=0.0
            )
            tpot, ttft = tpot_agg, ttft_agg
            if done:
                break
            continue
        # Disaggregated: size an unstated prefill pool to `disagg_prefill_load` at this rate.
        demand = a.conc / np.maximum(request, 1e-9) * t_pf_more / pre.adp
        p_workers = np.where(given_p, p_workers, np.maximum(demand / p.disagg_prefill_load, 1.0))
        per_p_rank = a.conc / (p_workers * pre.adp)
        queue = queue_factor * np.maximum(per_p_rank - 1.0, 0.0) * t_pf_more
        cycle = per_p_rank * t_pf_more - (a.osl - 1.0) * tpot  # saturated prefill sets the loop
        ttft_dis = (
            p.disagg_ttft_overhead_ms * 1e-3
            + p.prefill_passes * t_pf_alone
            + kv_handoff
            + np.maximum(queue, cycle)
            + slot_wait
        )
        tpot = np.where(disagg, t_dec, tpot_agg)
        ttft = np.where(disagg, ttft_dis, ttft_agg)

    request = ttft + (a.osl - 1.0) * tpot
    served = request - slot_wait
    gpus_dec = workers * dec.gpus
    gpus_pre = np.where(disagg, p_workers * pre.gpus, 0.0)
    gpus = gpus_dec + gpus_pre
    out_tps = a.conc * a.osl / request
    busy_agg = np.clip(b_run * t_pf_marginal / np.maximum(served, 1e-9), 0.0, 1.0)
    busy_dis = np.clip(a.conc / np.maximum(request, 1e-9) * t_pf_more / (p_workers * pre.adp), 0.0, 1.0)
    return Prediction(
        ttft_s=ttft,
        tpot_s=tpot,
        decode_batch=b_run,
        kv_limited=kv_limited,
        fits=fits,
        gpus=gpus,
        prefill_gpus=gpus_pre,
        decode_gpus=gpus_dec,
        request_s=request,
        output_tokens_per_s=out_tps,
        prefill_busy=np.where(disagg, busy_dis, busy_agg),
    )
