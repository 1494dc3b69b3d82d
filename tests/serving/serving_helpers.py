"""Constants shared by the serving-model tests (published configs, the ideal-roofline parameters)."""

from __future__ import annotations

from inferonomics.serving.params import EfficiencyParams

# Llama-3.1-8B as its published config.json states it (huggingface.co/meta-llama/Llama-3.1-8B):
# enough for the physics tests to run without the shared data.
LLAMA31_8B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "hidden_act": "silu",
    "tie_word_embeddings": False,
}

# Mixtral-8x7B as published (huggingface.co/mistralai/Mixtral-8x7B-v0.1): a small mixture of experts.
MIXTRAL_8X7B = {
    "architectures": ["MixtralForCausalLM"],
    "model_type": "mixtral",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "num_local_experts": 8,
    "num_experts_per_tok": 2,
    "vocab_size": 32000,
    "hidden_act": "silu",
    "tie_word_embeddings": False,
}

# Efficiency 1 and no overheads: the model reduces to the roofline, which a hand computation checks.
IDEAL = EfficiencyParams(
    hbm_efficiency=1.0,
    expert_hbm_efficiency=1.0,
    kv_hbm_efficiency=1.0,
    compute_efficiency=1.0,
    prefill_efficiency=1.0,
    expert_gemm_efficiency=1.0,
    gemm_half_rows=0.0,
    attention_efficiency=1.0,
    link_efficiency=1.0,
    collective_latency_us=0.0,
    network_latency_us=0.0,
    layer_overhead_us=0.0,
    moe_layer_overhead_us=0.0,
    step_overhead_ms=0.0,
    sequence_overhead_us=0.0,
)
