"""Model architectures from Hugging Face configs: parameter counts, weight and KV bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serving_helpers import LLAMA31_8B

from inferonomics.catalog.architectures import (
    architecture_from_config,
    list_config_ids,
    load_architecture,
    resolve_config_path,
)
from inferonomics.errors import ArchitectureError

# Hand counts for Llama-3.1-8B (hidden 4096, 32 layers, 32 query / 8 KV heads of 128, MLP 14336,
# vocabulary 128256), norms left out:
#   attention per layer: q 4096*4096 + k,v 2*4096*1024 + o 4096*4096 = 41,943,040
#   MLP per layer (gate, up, down): 3*4096*14336                      = 176,160,768
#   32 layers: 32 * 218,103,808                                        = 6,979,321,856
#   embedding and output head (untied): 2 * 128256*4096                = 1,050,673,152
LLAMA_LAYERS = 6_979_321_856
LLAMA_EMBED = 128_256 * 4_096
LLAMA_TOTAL = LLAMA_LAYERS + 2 * LLAMA_EMBED  # 8,029,995,008 (the model card's "8.03B")


def test_llama_parameter_count_and_weight_bytes() -> None:
    arch = architecture_from_config(LLAMA31_8B, "meta-llama/Llama-3.1-8B")
    assert arch.total_params == LLAMA_TOTAL
    assert arch.active_params == LLAMA_TOTAL
    assert arch.weight_bytes("bf16") == 2 * LLAMA_TOTAL  # 16,059,990,016 bytes
    # FP8 linear layers, BF16 embedding and head.
    assert arch.weight_bytes("fp8") == LLAMA_LAYERS + 2 * 2 * LLAMA_EMBED


def test_gqa_kv_bytes_per_token() -> None:
    arch = architecture_from_config(LLAMA31_8B, "meta-llama/Llama-3.1-8B")
    # K and V, 8 KV heads of 128, 32 layers: 2 * 8 * 128 * 32 = 65,536 elements per token.
    assert arch.kv_full_per_token == 65_536
    assert arch.kv_bytes_per_token("bf16") == 131_072
    assert arch.kv_bytes_per_token("fp8") == 65_536
    assert arch.kv_bytes_per_sequence(1000, "bf16") == 131_072_000


DEEPSEEK_V3_ATTENTION = {
    "model_type": "deepseek_v3",
    "hidden_size": 7168,
    "num_hidden_layers": 61,
    "num_attention_heads": 128,
    "num_key_value_heads": 128,
    "kv_lora_rank": 512,
    "q_lora_rank": 1536,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "v_head_dim": 128,
    "intermediate_size": 18432,
    "moe_intermediate_size": 2048,
    "n_routed_experts": 256,
    "n_shared_experts": 1,
    "num_experts_per_tok": 8,
    "first_k_dense_replace": 3,
    "moe_layer_freq": 1,
    "vocab_size": 129280,
    "hidden_act": "silu",
    "tie_word_embeddings": False,
}


def test_mla_kv_bytes_per_token() -> None:
    arch = architecture_from_config(DEEPSEEK_V3_ATTENTION, "deepseek-ai/DeepSeek-V3")
    assert arch.is_mla
    # One compressed latent (512) plus the shared RoPE key (64) per layer: 61 * 576 = 35,136.
    assert arch.kv_full_per_token == 35_136
    assert arch.kv_bytes_per_token("bf16") == 70_272
    # 128 heads would need 2 * 128 * 128 * 61 = 1,998,848 elements as plain multi-head attention.
    assert arch.kv_full_per_token < 1_998_848 / 56


def test_deepseek_moe_counts_match_the_model_card() -> None:
    arch = architecture_from_config(DEEPSEEK_V3_ATTENTION, "deepseek-ai/DeepSeek-V3")
    # 3 dense layers, 58 MoE layers of 256 routed experts, 8 per token (config) ...
    assert (arch.n_moe_layers, arch.n_experts, arch.top_k) == (58, 256, 8)
    # ... one expert is a gated MLP 7168 -> 2048: 3 * 7168 * 2048 = 44,040,192 parameters.
    assert arch.expert_params == 44_040_192
    # Model card: 671B total parameters, 37B activated per token.
    assert arch.total_params == pytest.approx(671e9, rel=0.005)
    assert arch.active_params == pytest.approx(37e9, rel=0.03)


def test_missing_field_is_named() -> None:
    broken = {k: v for k, v in LLAMA31_8B.items() if k != "num_attention_heads"}
    with pytest.raises(ArchitectureError, match="num_attention_heads"):
        architecture_from_config(broken, "broken", where="broken_config.json")


def test_config_path_loads(llama_config_file: Path) -> None:
    arch = load_architecture(str(llama_config_file))
    assert arch.total_params == LLAMA_TOTAL


# ------------------------------------------------------------------------- shared configs


@pytest.mark.shared_data
def test_every_shared_config_loads(configs_dir: Path) -> None:
    ids = list_config_ids(configs_dir)
    assert len(ids) >= 80
    for model_id in ids:
        arch = load_architecture(model_id, configs_dir)
        assert arch.total_params > arch.active_params * 0.999 > 0, model_id
        assert arch.num_layers > 0, model_id
        assert arch.kv_full_per_token + arch.kv_window_per_token + arch.state_bytes_per_seq > 0, model_id


@pytest.mark.shared_data
def test_every_quantization_sidecar_belongs_to_a_config(configs_dir: Path) -> None:
    sidecars = sorted(configs_dir.glob("*_hf_quant_config.json"))
    assert sidecars
    for path in sidecars:
        quant = json.loads(path.read_text())
        assert "quantization" in quant, path.name
        assert path.with_name(path.name.replace("_hf_quant_config.json", "_config.json")).is_file()
    # The sidecar sets the checkpoint precision (NVFP4 experts).
    assert load_architecture("nvidia/DeepSeek-V3.1-NVFP4", configs_dir).default_weight_precision == "nvfp4"


# Published totals (model cards): (id, total, active or None).
PUBLISHED = [
    ("meta-llama/Meta-Llama-3.1-70B", 70.6e9, None),
    ("meta-llama/Meta-Llama-3.1-405B", 405.9e9, None),
    ("Qwen/Qwen3-32B", 32.8e9, None),
    ("Qwen/Qwen3-235B-A22B", 235e9, 22e9),
    ("Qwen/Qwen3-30B-A3B", 30.5e9, 3.3e9),
    ("Qwen/Qwen3.5-397B-A17B", 397e9, 17e9),
    ("mistralai/Mixtral-8x7B-v0.1", 46.7e9, 12.9e9),
    ("mistralai/Mixtral-8x22B-v0.1", 141e9, 39e9),
    ("openai/gpt-oss-120b", 116.8e9, None),
    ("openai/gpt-oss-20b", 20.9e9, None),
    ("moonshotai/Kimi-K2-Instruct", 1.04e12, 32e9),
    ("meta-llama/Llama-4-Maverick-17B-128E-Instruct", 400e9, 17e9),
    ("MiniMaxAI/MiniMax-M2.5", 230e9, None),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(("model_id", "total", "active"), PUBLISHED)
def test_published_parameter_counts(
    configs_dir: Path, model_id: str, total: float, active: float | None
) -> None:
    arch = load_architecture(model_id, configs_dir)
    assert arch.total_params == pytest.approx(total, rel=0.02)
    if active is not None:
        assert arch.active_params == pytest.approx(active, rel=0.03)


@pytest.mark.shared_data
def test_quantized_and_instruct_variants_resolve_to_their_base(configs_dir: Path) -> None:
    assert resolve_config_path("nvidia/DeepSeek-R1-NVFP4", configs_dir)[1] == "deepseek-ai/DeepSeek-R1"
    assert (
        resolve_config_path("meta-llama/Llama-3.1-8B-Instruct", configs_dir)[1]
        == "meta-llama/Meta-Llama-3.1-8B"
    )
    assert resolve_config_path("nvidia/Qwen3-32B-NVFP4", configs_dir)[1] == "Qwen/Qwen3-32B"


@pytest.mark.shared_data
def test_unknown_model_names_nearest(configs_dir: Path) -> None:
    with pytest.raises(ArchitectureError, match=r"nearest known: deepseek-ai/DeepSeek-V3"):
        load_architecture("deepseek-ai/DeepSek-V3", configs_dir)


@pytest.mark.shared_data
def test_sliding_window_and_hybrid_layers(configs_dir: Path) -> None:
    gpt_oss = load_architecture("openai/gpt-oss-120b", configs_dir)
    # Half the 36 layers slide over 128 tokens: 18 * 2 * 8 * 64 elements per token in each half.
    assert (gpt_oss.kv_full_per_token, gpt_oss.kv_window_per_token, gpt_oss.window_tokens) == (
        18_432,
        18_432,
        128,
    )
    qwen35 = load_architecture("Qwen/Qwen3.5-397B-A17B", configs_dir)
    # One layer in four is full attention (15 of 60): 15 * 2 * 2 * 256 = 15,360; the rest keep a state.
    assert qwen35.kv_full_per_token == 15_360
    assert qwen35.state_bytes_per_seq > 0
