"""The performance model against hand computations (efficiency 1, no overheads: the roofline)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from serving_helpers import IDEAL, LLAMA31_8B, MIXTRAL_8X7B

from inferonomics.catalog.architectures import ModelArchitecture, architecture_from_config
from inferonomics.serving.configs import ConfigArrays, Workload, build_arrays
from inferonomics.serving.deploy import make_deployment
from inferonomics.serving.params import load_fitted_params
from inferonomics.serving.physics import (
    Side,
    expected_distinct_experts,
    expected_max_normal,
    experts_on_busiest_gpu,
    iteration_time,
    kv_capacity_seqs,
)
from inferonomics.serving.steady import predict_arrays

LLAMA_LAYERS = 6_979_321_856  # linear weights of the 32 layers (see test_serving_architectures)
LLAMA_HEAD = 128_256 * 4_096
H100_BW = 3.35e12
H100_BF16 = 989.4e12


def _llama_arrays(tp: int = 1, gpu: str = "h100_sxm") -> ConfigArrays:
    arch = architecture_from_config(LLAMA31_8B, "meta-llama/Llama-3.1-8B")
    dep = make_deployment(arch, gpu, tp=tp, precision="bf16")
    return build_arrays([dep], [Workload(isl=1, osl=1, concurrency=1)])


def test_expected_distinct_experts() -> None:
    # E (1 - (1 - k/E)^T): one token uses exactly k experts ...
    assert expected_distinct_experts(256, 8, 1) == pytest.approx(8.0)
    assert expected_distinct_experts(8, 2, 1) == pytest.approx(2.0)
    # ... 32 tokens of DeepSeek-V3 touch 256 * (1 - (248/256)**32) = 163.31 of 256 experts ...
    assert expected_distinct_experts(256, 8, 32) == pytest.approx(256 * (1 - (248 / 256) ** 32))
    assert expected_distinct_experts(256, 8, 32) == pytest.approx(163.31, abs=0.01)
    # ... two Mixtral tokens touch 8 * (1 - (6/8)**2) = 3.5 experts; a large batch touches them all.
    assert expected_distinct_experts(8, 2, 2) == pytest.approx(3.5)
    assert expected_distinct_experts(8, 2, 10_000) == pytest.approx(8.0)
    assert expected_distinct_experts(0, 0, 32) == 0.0
    assert expected_distinct_experts(256, 8, 0) == 0.0


def test_memory_bound_decode_step() -> None:
    a = _llama_arrays()
    t = iteration_time(a, Side.decode(a), IDEAL, dec_seqs=1.0, ctx=1.0)
    # One token: read every BF16 linear weight and the output head once, plus one token of KV
    # (131,072 bytes); the embedding lookup reads one row only.
    expected = (2 * LLAMA_LAYERS + 2 * LLAMA_HEAD + 131_072) / H100_BW  # 4.4804 ms
    assert float(t[0]) == pytest.approx(expected, rel=1e-9)
    assert float(t[0]) == pytest.approx(4.4804e-3, rel=1e-4)


def test_decode_step_scales_with_bandwidth() -> None:
    h100 = iteration_time(a := _llama_arrays(), Side.decode(a), IDEAL, dec_seqs=1.0, ctx=1.0)
    h200 = iteration_time(b := _llama_arrays(gpu="h200_sxm"), Side.decode(b), IDEAL, dec_seqs=1.0, ctx=1.0)
    assert float(h100[0] / h200[0]) == pytest.approx(4.8 / 3.35, rel=1e-9)


def test_tensor_parallel_halves_the_weight_read() -> None:
    one = iteration_time(a := _llama_arrays(tp=1), Side.decode(a), IDEAL, dec_seqs=1.0, ctx=1.0)
    two = iteration_time(b := _llama_arrays(tp=2), Side.decode(b), IDEAL, dec_seqs=1.0, ctx=1.0)
    # Weights and KV halve; two all-reduces per layer of 8 KB add ~1 µs over NVLink.
    assert float(two[0]) == pytest.approx(float(one[0]) / 2, rel=1e-3)
    assert float(two[0]) > float(one[0]) / 2


def test_compute_bound_prefill() -> None:
    a = _llama_arrays()
    t = iteration_time(a, Side.decode(a), IDEAL, dec_seqs=0.0, ctx=0.0, pf_tokens=8192.0, pf_len=8192.0)
    gemm = 2 * 8192 * LLAMA_LAYERS / H100_BF16  # 115.6 ms
    # Causal attention: 32 layers * 2 * 32 heads * (128 + 128) FLOPs per (query, key) pair, 8192^2/2 pairs.
    attention = 32 * 2 * 32 * 256 * 8192 * 8192 / 2 / H100_BF16  # 17.8 ms
    head = 2 * LLAMA_HEAD / H100_BW  # logits of the last token only: the head is read once
    assert float(t[0]) == pytest.approx(gemm + attention + head, rel=1e-9)


def test_kv_capacity() -> None:
    a = _llama_arrays()
    cap = kv_capacity_seqs(
        a, Side.decode(a), IDEAL.model_copy(update={"kv_memory_fraction": 0.9}), a.isl * 2000
    )
    # 90 % of 80 GiB, less 16.06 GB of BF16 weights, over 2000 tokens x 131,072 bytes.
    free = 0.9 * 80 * 2**30 - 2 * (LLAMA_LAYERS + 2 * LLAMA_HEAD)
    assert float(cap[0]) == pytest.approx(free / (2000 * 131_072), rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(c1=st.integers(1, 512), c2=st.integers(1, 512), isl=st.sampled_from([128, 1024, 8192]))
def test_more_concurrency_never_speeds_a_token(c1: int, c2: int, isl: int) -> None:
    a = _llama_arrays().with_(isl=float(isl), osl=512.0)
    arrays = a.repeat(2).with_(conc=np.array([min(c1, c2), max(c1, c2)], dtype=float))
    pred = predict_arrays(arrays, load_fitted_params())
    assert pred.tpot_s[0] <= pred.tpot_s[1] * (1 + 1e-9)
    assert pred.ttft_s[0] <= pred.ttft_s[1] * (1 + 1e-9)
    assert pred.output_tokens_per_s[0] <= pred.output_tokens_per_s[1] * (1 + 1e-9) or pred.kv_limited[1]


def test_expected_max_normal() -> None:
    # One draw: its mean, 0; two: E[max] = 1 / sqrt(pi); eight: 1.4236 (tabulated order statistics).
    assert float(expected_max_normal(1)) == 0.0
    assert float(expected_max_normal(2)) == pytest.approx(1 / np.sqrt(np.pi), rel=1e-4)
    assert float(expected_max_normal(8)) == pytest.approx(1.4236, abs=1e-4)


def test_busiest_expert_parallel_gpu() -> None:
    # DeepSeek-V3 (256 experts, top 8), one token, experts 8-way expert-parallel: 32 experts per GPU,
    # each touched with probability 8/256, so a GPU touches 1 on average with standard deviation
    # sqrt(32 x 1/32 x 31/32) = 0.9843; the busiest of 8 touches 1 + 1.4236 x 0.9843 = 2.401.
    assert float(experts_on_busiest_gpu(256, 8, 1, 8)) == pytest.approx(2.401, abs=1e-3)
    # Mixtral (8 experts, top 2) 8-way: one expert per GPU, touched with probability 1/4; the busiest
    # GPU: 0.25 + 1.4236 x sqrt(0.25 x 0.75) = 0.8664. Without expert parallelism, the mean (2).
    assert float(experts_on_busiest_gpu(8, 2, 1, 8)) == pytest.approx(0.8664, abs=1e-4)
    assert float(experts_on_busiest_gpu(8, 2, 1, 1)) == pytest.approx(2.0)
    # A large batch touches every expert on every GPU: no imbalance left.
    assert float(experts_on_busiest_gpu(256, 8, 4096, 8)) == pytest.approx(32.0)


def test_busiest_gpu_against_a_simulation() -> None:
    # Uniform routing simulated: 256 experts, top 8, 8 GPUs, 4 tokens (the normal approximation
    # is within 5 % of the simulated expectation).
    rng = np.random.default_rng(0)
    counts = []
    for _ in range(4000):
        touched = np.zeros(256, dtype=bool)
        for _token in range(4):
            touched[rng.choice(256, size=8, replace=False)] = True
        counts.append(touched.reshape(8, 32).sum(axis=1).max())
    assert float(experts_on_busiest_gpu(256, 8, 4, 8)) == pytest.approx(np.mean(counts), rel=0.05)


def test_time_per_running_sequence() -> None:
    a = _llama_arrays()
    base = iteration_time(a, Side.decode(a), IDEAL, dec_seqs=4.0, ctx=100.0)
    p = IDEAL.model_copy(update={"sequence_overhead_us": 10.0})
    more = iteration_time(a, Side.decode(a), p, dec_seqs=4.0, ctx=100.0)
    assert float(more[0] - base[0]) == pytest.approx(4 * 10e-6, rel=1e-9)


def test_collectives_over_the_network_pay_its_latency() -> None:
    # Llama-3.1-8B tensor-parallel over 16 H100s spans two 8-GPU NVLink domains: each of the two
    # all-reduces of its 32 layers pays the network's latency.
    a = _llama_arrays(tp=16)
    base = iteration_time(a, Side.decode(a), IDEAL, dec_seqs=1.0, ctx=1.0)
    p = IDEAL.model_copy(update={"network_latency_us": 20.0})
    slow = iteration_time(a, Side.decode(a), p, dec_seqs=1.0, ctx=1.0)
    assert float(slow[0] - base[0]) == pytest.approx(2 * 32 * 20e-6, rel=1e-9)
    # Within one domain the network is not used.
    b = _llama_arrays(tp=8)
    assert float(iteration_time(b, Side.decode(b), p, dec_seqs=1.0, ctx=1.0)[0]) == pytest.approx(
        float(iteration_time(b, Side.decode(b), IDEAL, dec_seqs=1.0, ctx=1.0)[0]), rel=1e-12
    )


def test_engine_step_time_factor() -> None:
    arch = architecture_from_config(LLAMA31_8B, "meta-llama/Llama-3.1-8B")
    wl = Workload(isl=1, osl=1, concurrency=1)
    trt = build_arrays([make_deployment(arch, "h100_sxm", tp=1, precision="bf16", engine="trtllm")], [wl])
    vllm = build_arrays([make_deployment(arch, "h100_sxm", tp=1, precision="bf16", engine="vllm")], [wl])
    p = IDEAL.model_copy(update={"step_time_factor_trtllm": 0.9})
    t_trt = iteration_time(trt, Side.decode(trt), p, dec_seqs=1.0, ctx=1.0)
    t_vllm = iteration_time(vllm, Side.decode(vllm), p, dec_seqs=1.0, ctx=1.0)
    assert float(t_trt[0]) == pytest.approx(0.9 * float(t_vllm[0]), rel=1e-12)


def test_unstated_disaggregated_layout() -> None:
    p = IDEAL.model_copy(update={"disagg_decode_batch": 2.0, "disagg_decode_gpus": 16.0})

    def pred(arch: ModelArchitecture, conc: float, **worker: int) -> tuple[float, float]:
        dep = make_deployment(arch, "h100_sxm", mode="disagg", precision="fp8", **worker)
        out = predict_arrays(build_arrays([dep], [Workload(isl=1024, osl=1024, concurrency=conc)]), p)
        return float(out.decode_gpus[0]), float(out.tpot_s[0])

    # Llama-3.1-8B on 8-GPU decode workers: 8 requests at 2 per worker would take 4 workers (32 GPUs),
    # capped at 16 GPUs: 2 workers; 2 requests: one worker.
    llama = architecture_from_config(LLAMA31_8B, "meta-llama/Llama-3.1-8B")
    assert pred(llama, 8, tp=8)[0] == pytest.approx(16.0)
    assert pred(llama, 2, tp=8)[0] == pytest.approx(8.0)
    # A mixture of experts' decode workers run attention tensor- or data-parallel, whichever is faster.
    mixtral = architecture_from_config(MIXTRAL_8X7B, "mistralai/Mixtral-8x7B-v0.1")
    for conc in (2.0, 64.0, 2048.0):
        tp_layout = pred(mixtral, conc, tp=8)[1]
        dp_layout = pred(mixtral, conc, tp=1, attention_dp=8)[1]
        assert tp_layout <= dp_layout * (1 + 1e-12)
