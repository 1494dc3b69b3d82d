"""Model architectures read from Hugging Face `config.json` files.

A config is reduced to one `LayerSpec` per decoder block (attention or state-space mixer, dense MLP
or mixture of experts) and then to a `ModelArchitecture`: parameter counts (total and active), KV
cache elements per token, recurrent state per sequence and attention FLOPs per context token. The
serving model only needs these sums, so the many config dialects (Llama, Qwen3/3.5, DeepSeek MLA and
DSA, Kimi, GLM, MiniMax, gpt-oss, Mixtral, Gemma, Llama 4, Nemotron-H, DeciLM, Step, MiMo) are
translated here and nowhere else.

Conventions: parameters are counted without the multi-token-prediction heads (they are not part of
the served model's forward pass unless speculative decoding is on), routers and norms are ignored
(< 0.1 %), and gated MLPs (SwiGLU, GeGLU) have three matrices, `relu2` MLPs two.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BYTES_PER_PARAM",
    "ArchitectureError",
    "LayerSpec",
    "ModelArchitecture",
    "architecture_from_config",
    "default_configs_dir",
    "list_config_ids",
    "load_architecture",
    "resolve_config_path",
    "shared_data_dir",
]

# Bytes per stored weight, scales included: NVFP4 has one FP8 scale per 16 values, MXFP4 one
# 8-bit scale per 32, int4 weight-only one BF16 scale per 128; FP8 block scales (one FP32 per
# 128x128 block) are negligible.
BYTES_PER_PARAM: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "fp8_block": 1.0,
    "int8": 1.0,
    "nvfp4": 0.5 + 1.0 / 16.0,
    "mxfp4": 0.5 + 1.0 / 32.0,
    "fp4": 0.5 + 1.0 / 16.0,
    "int4": 0.5 + 2.0 / 128.0,
}


class ArchitectureError(ValueError):
    """A config cannot be found or read; the message says which file, which field, what to do."""


def shared_data_dir() -> Path:
    """The `shared/data` directory beside the repository (or `$INFERONOMICS_SHARED_DATA`)."""
    env = os.environ.get("INFERONOMICS_SHARED_DATA")
    if env:
        return Path(env)
    # src/inferonomics/catalog/architectures.py -> repository root is three levels above `src`.
    repo_root = Path(__file__).resolve().parents[3]
    return repo_root.parent / "shared" / "data"


def default_configs_dir() -> Path:
    """Where Hugging Face configs are read from by default: `<shared data>/models/hf_configs`."""
    return shared_data_dir() / "models" / "hf_configs"


@dataclass(frozen=True)
class LayerSpec:
    """One decoder block reduced to the sums the serving model needs (element counts, not bytes)."""

    attn_params: int = 0
    ffn_params: int = 0
    """Always-active MLP parameters: dense MLP, shared experts, latent projections."""
    n_experts: int = 0
    top_k: int = 0
    expert_params: int = 0
    """Parameters of one routed expert."""
    moe_hidden: int = 0
    """Width of the tokens sent to experts (the hidden size, or the latent size of a latent MoE)."""
    kv_full: int = 0
    """KV-cache elements stored per token for every token of the context."""
    kv_window: int = 0
    """KV-cache elements stored per token, for the last `window` tokens only."""
    window: int = 0
    kv_read_full: int = 0
    """Elements read per context token at decode (differs from storage for sparse attention)."""
    kv_read_capped: int = 0
    """Elements read per context token, for at most `read_cap` tokens (sliding window, top-k)."""
    read_cap: int = 0
    state_bytes: int = 0
    """Recurrent state per sequence (linear attention, Mamba), in bytes."""
    attn_flops_decode: int = 0
    """FLOPs per (query token x context token) pair at decode; 0 for state-space mixers."""
    attn_flops_prefill: int = 0
    state_flops_per_token: int = 0
    """FLOPs per token of a recurrent mixer's state update (independent of context length)."""
    kv_heads: int = 0
    """KV heads, for tensor-parallel sharding of the cache; 1 for MLA (the latent is shared)."""
    is_attention: bool = False


class ModelArchitecture(BaseModel):
    """What the serving model needs to know about a model, derived from its config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str = Field(description="Hugging Face id, e.g. `deepseek-ai/DeepSeek-V3`.")
    model_type: str = Field(description="The config's `model_type`.")
    hidden_size: int = Field(description="Width of the residual stream.")
    num_attention_heads: int = Field(
        description="Query heads per attention layer (tensor parallelism divides them)."
    )
    num_layers: int = Field(description="Decoder blocks (Nemotron-H counts mixer and MLP blocks apart).")
    vocab_size: int = Field(description="Vocabulary size.")
    tie_word_embeddings: bool = Field(description="Whether the output head shares the embedding matrix.")
    attention_params: int = Field(description="Attention / state-space mixer parameters, all layers.")
    dense_ffn_params: int = Field(description="Always-active MLP parameters (dense MLPs, shared experts).")
    n_moe_layers: int = Field(description="Layers with routed experts.")
    n_experts: int = Field(description="Routed experts per MoE layer (0 for a dense model).")
    top_k: int = Field(description="Routed experts each token uses.")
    expert_params: int = Field(description="Parameters of one routed expert in one layer.")
    moe_hidden: int = Field(description="Width of tokens dispatched to experts (for all-to-all sizes).")
    embedding_params: int = Field(description="Input embedding parameters (vocab x hidden).")
    kv_full_per_token: int = Field(description="KV elements stored per token for the whole context.")
    kv_window_per_token: int = Field(description="KV elements stored per token within a sliding window.")
    window_tokens: int = Field(description="Sliding-window length (0 when there is none).")
    kv_read_full_per_token: int = Field(description="KV elements read per context token at decode.")
    kv_read_capped_per_token: int = Field(description="KV elements read per context token, capped.")
    read_cap_tokens: int = Field(description="Cap on context tokens read (window or sparse top-k).")
    state_bytes_per_seq: int = Field(description="Recurrent-state bytes per sequence (linear attn, Mamba).")
    attn_flops_decode_per_ctx: int = Field(
        description="Attention FLOPs per (token, context token) at decode, full-context layers."
    )
    attn_flops_decode_capped: int = Field(description="Same, for window / top-k layers (capped context).")
    attn_flops_prefill_per_ctx: int = Field(
        description="Attention FLOPs per (token, context token) at prefill, full-context layers."
    )
    attn_flops_prefill_capped: int = Field(description="Same, for window / top-k layers (capped context).")
    state_flops_per_token: int = Field(description="Recurrent mixer FLOPs per token.")
    kv_heads: int = Field(description="Fewest KV heads of any attention layer (1 for MLA).")
    is_mla: bool = Field(description="Multi-head latent attention (DeepSeek, Kimi, GLM-5).")
    default_weight_precision: str = Field(description="Precision of the checkpoint's routed/linear weights.")

    @property
    def is_moe(self) -> bool:
        return self.n_experts > 0

    @property
    def lm_head_params(self) -> int:
        return self.vocab_size * self.hidden_size

    @property
    def routed_expert_params(self) -> int:
        return self.n_moe_layers * self.n_experts * self.expert_params

    @property
    def total_params(self) -> int:
        """All weights of the served model (embedding and output head counted once if tied)."""
        head = 0 if self.tie_word_embeddings else self.lm_head_params
        return (
            self.attention_params
            + self.dense_ffn_params
            + self.routed_expert_params
            + self.embedding_params
            + head
        )

    @property
    def active_params(self) -> int:
        """Weights one token uses: everything but the routed experts it is not sent to.

        The embedding row lookup is counted, as model cards do (DeepSeek-V3's "37B activated").
        """
        head = 0 if self.tie_word_embeddings else self.lm_head_params
        routed = self.n_moe_layers * self.top_k * self.expert_params
        return self.attention_params + self.dense_ffn_params + routed + self.embedding_params + head

    @property
    def matmul_params_per_token(self) -> int:
        """Weights multiplied per token (no embedding gather; the output head always multiplies)."""
        routed = self.n_moe_layers * self.top_k * self.expert_params
        return self.attention_params + self.dense_ffn_params + routed + self.lm_head_params

    def weight_bytes(self, precision: str, *, embeddings_precision: str = "bf16") -> float:
        """Bytes of all weights with linear layers in `precision`, embedding and head in BF16."""
        wb = bytes_per_param(precision)
        eb = bytes_per_param(embeddings_precision)
        head = 0 if self.tie_word_embeddings else self.lm_head_params
        linear = self.attention_params + self.dense_ffn_params + self.routed_expert_params
        return linear * wb + (self.embedding_params + head) * eb

    def kv_bytes_per_token(self, kv_precision: str = "bf16") -> float:
        """KV-cache bytes one token adds (full-context layers plus window layers)."""
        return (self.kv_full_per_token + self.kv_window_per_token) * bytes_per_param(kv_precision)

    def kv_bytes_per_sequence(self, tokens: int, kv_precision: str = "bf16") -> float:
        """KV-cache plus recurrent-state bytes of one sequence of `tokens` tokens."""
        b = bytes_per_param(kv_precision)
        windowed = min(tokens, self.window_tokens) if self.window_tokens else tokens
        return (self.kv_full_per_token * tokens + self.kv_window_per_token * windowed) * b + float(
            self.state_bytes_per_seq
        )


def bytes_per_param(precision: str) -> float:
    try:
        return BYTES_PER_PARAM[precision.lower()]
    except KeyError:
        known = ", ".join(sorted(BYTES_PER_PARAM))
        raise ArchitectureError(f"unknown precision {precision!r}: use one of {known}") from None


# --------------------------------------------------------------------------------------------------
# Config parsing


class _Cfg:
    """A config dict with typed, named-error accessors."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def num(self, key: str, default: int | None = None) -> int:
        value = self.data.get(key)
        if value is None:
            if default is not None:
                return default
            raise ArchitectureError(
                f"{self.where}: required field {key!r} is missing; "
                "add it to the config or pass a complete Hugging Face config.json"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ArchitectureError(f"{self.where}: field {key!r} is {value!r}; expected a number")
        return int(value)

    def first_int(self, keys: Iterable[str], default: int | None = None) -> int:
        for key in keys:
            if self.has(key):
                return self.num(key)
        if default is not None:
            return default
        names = " or ".join(repr(k) for k in keys)
        raise ArchitectureError(f"{self.where}: required field {names} is missing")

    def get(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value


def _mlp_params(hidden: int, inter: int, gated: bool) -> int:
    return (3 if gated else 2) * hidden * inter


def _gqa(
    d: int, heads: int, kv_heads: int, head_dim: int, v_head_dim: int | None = None, *, k_eq_v: bool = False
) -> tuple[int, int, int]:
    """(params, kv elements per token, attention FLOPs per context token) of a GQA layer."""
    vd = head_dim if v_head_dim is None else v_head_dim
    kv_width = kv_heads * head_dim + (0 if k_eq_v else kv_heads * vd)
    params = d * heads * head_dim + d * kv_width + heads * vd * d
    flops = 2 * heads * (head_dim + vd)
    return params, kv_width, flops


def _layer_kinds(c: _Cfg, n: int) -> list[str]:
    """Per-layer attention kind: full, sliding, chunked, linear, mamba, mlp (no mixer), none."""
    mt = str(c.get("model_type", ""))
    if c.has("hybrid_override_pattern") or c.has("layers_block_type"):
        pattern = c.get("hybrid_override_pattern")
        if pattern is not None:
            table = {"M": "mamba", "*": "full", "-": "mlp", "E": "moe"}
            return [table.get(ch, "mlp") for ch in str(pattern)]
        names = {"mamba": "mamba", "attention": "full", "mlp": "mlp", "moe": "moe"}
        return [names.get(str(x), "mlp") for x in c.get("layers_block_type")]
    if isinstance(c.get("layer_types"), list):
        table = {
            "full_attention": "full",
            "sliding_attention": "sliding",
            "linear_attention": "linear",
            "chunked_attention": "chunked",
        }
        return [table.get(str(x), "full") for x in c.get("layer_types")]
    if isinstance(c.get("hybrid_layer_pattern"), list):  # MiMo-V2: 1 = sliding window
        return ["sliding" if int(x) else "full" for x in c.get("hybrid_layer_pattern")]
    lac = c.get("linear_attn_config")
    if isinstance(lac, dict) and "full_attn_layers" in lac:  # Kimi linear: 1-based layer numbers
        full = {int(i) - 1 for i in lac["full_attn_layers"]}
        return ["full" if i in full else "linear" for i in range(n)]
    if mt == "llama4" and c.has("attention_chunk_size"):
        # Llama 4: three chunked-attention layers, then one global (NoPE) layer.
        step = 4
        return ["full" if (i + 1) % step == 0 else "chunked" for i in range(n)]
    if c.has("sliding_window") and c.get("use_sliding_window", True) and mt not in ("qwen3", "qwen3_moe"):
        return ["sliding"] * n
    return ["full"] * n


def _moe_layers(c: _Cfg, n: int, kinds: list[str]) -> list[bool]:
    if "moe" in kinds:
        return [k == "moe" for k in kinds]
    if isinstance(c.get("mlp_layer_types"), list):
        return [str(x) == "sparse" for x in c.get("mlp_layer_types")]
    freq = c.get("moe_layer_freq")
    if isinstance(freq, list):
        return [bool(int(x)) for x in freq]
    first = c.num("first_k_dense_replace", 0)
    if c.has("interleave_moe_layer_step"):
        step = c.num("interleave_moe_layer_step")
        return [(i + 1) % step == 0 for i in range(n)]
    if c.has("mlp_only_layers") or c.has("decoder_sparse_step"):
        dense = {int(i) for i in c.get("mlp_only_layers", [])}
        step = c.num("decoder_sparse_step", 1)
        return [i not in dense and (i + 1) % step == 0 for i in range(n)]
    step = int(freq) if isinstance(freq, int | float) and freq else 1
    return [i >= first and i % step == 0 for i in range(n)]


def _n_experts(c: _Cfg) -> int:
    return c.first_int(("n_routed_experts", "num_local_experts", "num_experts"), 0)


def _top_k(c: _Cfg) -> int:
    return c.first_int(
        ("num_experts_per_tok", "experts_per_token", "top_k_experts", "num_experts_per_token"), 0
    )


def _shared_inter(c: _Cfg, moe_inter: int) -> int:
    n_shared = c.first_int(("n_shared_experts", "num_shared_experts"), 0)
    if c.has("shared_expert_intermediate_size"):
        return c.num("shared_expert_intermediate_size")
    if c.has("moe_shared_expert_intermediate_size"):
        return c.num("moe_shared_expert_intermediate_size") * max(n_shared, 1)
    if c.has("shared_intermediate_size"):
        return c.num("shared_intermediate_size") * max(n_shared, 1)
    if c.has("share_expert_dim"):
        return c.num("share_expert_dim") * max(n_shared, 1)
    return n_shared * moe_inter


def _decilm_layers(c: _Cfg, d: int, heads: int, head_dim: int, gated: bool) -> list[LayerSpec]:
    """DeciLM / Nemotron-NAS: each block states its own KV grouping and MLP multiplier."""
    out: list[LayerSpec] = []
    for block in c.get("block_configs"):
        attn = block.get("attention", {})
        ffn = block.get("ffn", {})
        attn_params = kv = flops = kvh = 0
        if attn.get("replace_with_linear"):
            attn_params = d * d
        elif not attn.get("no_op"):
            kvh = heads // int(attn["n_heads_in_group"])
            attn_params, kv, flops = _gqa(d, heads, kvh, head_dim)
        ffn_params = 0
        if ffn.get("replace_with_linear"):
            ffn_params = d * d
        elif not ffn.get("no_op"):
            inter = int(2 * float(ffn["ffn_mult"]) * d / 3)
            inter = -(-inter // 256) * 256  # rounded up to a multiple of 256, as the model code does
            ffn_params = _mlp_params(d, inter, gated)
        out.append(
            LayerSpec(
                attn_params=attn_params,
                ffn_params=ffn_params,
                kv_full=kv,
                kv_read_full=kv,
                attn_flops_decode=flops,
                attn_flops_prefill=flops,
                kv_heads=kvh,
                is_attention=kv > 0,
            )
        )
    return out


def parse_layers(cfg: Mapping[str, Any], where: str = "config") -> list[LayerSpec]:
    """Reduce a (text) config to one `LayerSpec` per decoder block."""
    c = _Cfg(cfg, where)
    d = c.num("hidden_size")
    heads = c.num("num_attention_heads")
    kv_heads = c.num("num_key_value_heads", heads)
    head_dim = c.first_int(("head_dim", "attention_head_dim"), d // heads)
    act = str(c.get("mlp_hidden_act", c.get("hidden_act", c.get("hidden_activation", "silu"))))
    gated = act not in ("relu2", "gelu_new_nongated")

    if c.has("block_configs"):
        return _decilm_layers(c, d, heads, head_dim, gated)

    if c.has("num_hidden_layers"):
        n = c.num("num_hidden_layers")
    elif c.has("layers_block_type") or c.has("hybrid_override_pattern"):
        n = len(c.get("layers_block_type") or c.get("hybrid_override_pattern"))
    else:
        n = c.num("num_hidden_layers")
    kinds = _layer_kinds(c, n)
    if len(kinds) != n:
        if c.has("hybrid_override_pattern") or c.has("layers_block_type"):
            n = len(kinds)
        else:
            kinds = (kinds + [kinds[-1]] * n)[:n]
    moe_flags = _moe_layers(c, n, kinds)
    if len(moe_flags) < n:
        moe_flags = moe_flags + [moe_flags[-1] if moe_flags else False] * (n - len(moe_flags))

    n_exp = _n_experts(c)
    top_k = _top_k(c)
    mt = str(c.get("model_type", ""))
    # The size of one routed expert goes by different names; MiniMax-M2, Mixtral and gpt-oss put it
    # in intermediate_size. Llama 4 has intermediate_size per expert and intermediate_size_mlp dense.
    if c.has("moe_intermediate_size"):
        moe_inter = c.num("moe_intermediate_size")
    else:
        moe_inter = c.num("intermediate_size", 0)
    if c.has("dense_intermediate_size"):
        dense_inter = c.num("dense_intermediate_size")
    elif c.has("intermediate_size_mlp"):
        dense_inter = c.num("intermediate_size_mlp")
    else:
        dense_inter = c.num("intermediate_size", 0)
    latent = c.first_int(("moe_latent_size", "routed_expert_hidden_size"), 0)
    moe_hidden = latent or d
    expert_params = _mlp_params(moe_hidden, moe_inter, gated) if n_exp else 0
    shared_inter = _shared_inter(c, moe_inter) if n_exp else 0
    if mt == "llama4":
        shared_inter = moe_inter  # one shared expert of the routed size
    latent_proj = 2 * d * latent if latent else 0
    moe_ffn_always = _mlp_params(d, shared_inter, gated) + latent_proj + d * n_exp  # + router
    # Gemma 4 runs a dense MLP beside the experts in every layer.
    parallel_dense = mt.startswith("gemma4") and bool(c.get("enable_moe_block", False))

    # Attention geometry
    mla = c.has("kv_lora_rank")
    sliding_window = c.num("sliding_window", 0) if c.has("sliding_window") else 0
    if mt == "llama4":
        sliding_window = c.num("attention_chunk_size", 8192)
    index_dim = c.num("index_head_dim", 0)
    index_heads = c.num("index_n_heads", 0)
    index_topk = c.num("index_topk", 0)

    def attention_layer(kind: str, i: int) -> LayerSpec:
        if kind in ("mamba",):
            nh = c.num("mamba_num_heads")
            hd = c.num("mamba_head_dim")
            inner = nh * hd
            groups = c.num("n_groups", 1)
            state = c.num("ssm_state_size")
            kernel = c.num("conv_kernel", 4)
            conv_dim = inner + 2 * groups * state
            params = d * (2 * inner + 2 * groups * state + nh) + inner * d + conv_dim * kernel
            state_bytes = nh * hd * state * 4 + conv_dim * (kernel - 1) * 2
            return LayerSpec(
                attn_params=params, state_bytes=state_bytes, state_flops_per_token=2 * 3 * nh * hd * state
            )
        if kind == "linear":
            lac = c.get("linear_attn_config")
            if isinstance(lac, dict):  # Kimi delta attention
                nh = int(lac.get("num_heads", heads))
                hd = int(lac.get("head_dim", head_dim))
                kernel = int(lac.get("short_conv_kernel_size", 4))
                qkv = 3 * nh * hd
                params = d * qkv + d * nh * hd + nh * hd * d + 2 * d * nh  # q,k,v, gate, out, a/b
                state_bytes = nh * hd * hd * 4 + qkv * (kernel - 1) * 2
                return LayerSpec(
                    attn_params=params, state_bytes=state_bytes, state_flops_per_token=2 * 3 * nh * hd * hd
                )
            nk = c.num("linear_num_key_heads")
            nv = c.num("linear_num_value_heads")
            dk = c.num("linear_key_head_dim")
            dv = c.num("linear_value_head_dim")
            kernel = c.num("linear_conv_kernel_dim", 4)
            qkv = 2 * nk * dk + nv * dv
            params = d * qkv + d * nv * dv + nv * dv * d + 2 * d * nv  # q,k,v, z gate, out, a/b
            state_bytes = nv * dk * dv * 4 + qkv * (kernel - 1) * 2
            return LayerSpec(
                attn_params=params, state_bytes=state_bytes, state_flops_per_token=2 * 3 * nv * dk * dv
            )
        if kind == "mlp" or kind == "moe":
            return LayerSpec()
        if mla:
            return _mla_layer(kind)
        if mt == "deepseek_v4" or c.has("compress_ratios"):
            return _dsv4_layer(i)
        hd, kvh, nh, vd = head_dim, kv_heads, heads, c.num("v_head_dim", 0) or None
        k_eq_v = False
        if kind == "full" and c.has("global_head_dim"):  # Gemma 4 global layers
            hd = c.num("global_head_dim")
            kvh = c.num("num_global_key_value_heads", kv_heads)
            k_eq_v = bool(c.get("attention_k_eq_v", False))
        if kind == "sliding" and c.has("swa_num_key_value_heads"):  # MiMo-V2 window layers
            nh = c.num("swa_num_attention_heads", heads)
            kvh = c.num("swa_num_key_value_heads")
            hd = c.num("swa_head_dim", head_dim)
            vd = c.num("swa_v_head_dim", 0) or None
        params, kv, flops = _gqa(d, nh, kvh, hd, vd, k_eq_v=k_eq_v)
        if c.get("attn_output_gate", False):
            params += d * nh * hd
        if kind in ("sliding", "chunked") and sliding_window:
            return LayerSpec(
                attn_params=params,
                kv_window=kv,
                window=sliding_window,
                kv_read_capped=kv,
                read_cap=sliding_window,
                attn_flops_decode=flops,
                attn_flops_prefill=flops,
                kv_heads=kvh,
                is_attention=True,
            )
        return LayerSpec(
            attn_params=params,
            kv_full=kv,
            kv_read_full=kv,
            attn_flops_decode=flops,
            attn_flops_prefill=flops,
            kv_heads=kvh,
            is_attention=True,
        )

    def _mla_layer(kind: str) -> LayerSpec:
        kv_lora = c.num("kv_lora_rank")
        rope = c.num("qk_rope_head_dim")
        nope = c.num("qk_nope_head_dim")
        vd = c.num("v_head_dim")
        q_lora = c.num("q_lora_rank", 0)
        qk = nope + rope
        q_params = d * q_lora + q_lora * heads * qk if q_lora else d * heads * qk
        params = q_params + d * (kv_lora + rope) + kv_lora * heads * (nope + vd) + heads * vd * d
        latent = kv_lora + rope
        # Decode runs the absorbed form: scores against the latent, values from the latent.
        flops_decode = 2 * heads * (kv_lora + rope) + 2 * heads * kv_lora
        flops_prefill = 2 * heads * (qk + vd)
        if index_dim:  # DeepSeek sparse attention: an indexer scores every token, attention reads top-k
            params += q_lora * index_heads * index_dim + d * index_dim + d * index_heads
            return LayerSpec(
                attn_params=params,
                kv_full=latent + index_dim,
                kv_read_full=index_dim,
                kv_read_capped=latent,
                read_cap=index_topk,
                attn_flops_decode=flops_decode,
                attn_flops_prefill=flops_prefill,
                kv_heads=1,
                is_attention=True,
            )
        return LayerSpec(
            attn_params=params,
            kv_full=latent,
            kv_read_full=latent,
            attn_flops_decode=flops_decode,
            attn_flops_prefill=flops_prefill,
            kv_heads=1,
            is_attention=True,
        )

    ratios = list(c.get("compress_ratios", []))

    def _dsv4_layer(i: int) -> LayerSpec:
        # DeepSeek-V4 (approximate): one shared KV head of head_dim, a sliding window on every layer
        # and, on most layers, a compressed full-context cache (head_dim per `ratio` tokens).
        ratio = int(ratios[i]) if i < len(ratios) else 0
        q_lora = c.num("q_lora_rank", 0)
        o_lora = c.num("o_lora_rank", 0)
        rope = c.num("qk_rope_head_dim", 64)
        params = (
            d * q_lora
            + q_lora * heads * head_dim
            + d * head_dim
            + heads * head_dim * o_lora // max(c.num("o_groups", 1), 1)
            + o_lora * d
        )
        flops = 2 * heads * (head_dim + rope) + 2 * heads * head_dim
        full = head_dim // ratio if ratio else 0
        return LayerSpec(
            attn_params=params,
            kv_full=full,
            kv_window=head_dim,
            window=sliding_window,
            kv_read_full=full,
            kv_read_capped=head_dim,
            read_cap=sliding_window,
            attn_flops_decode=flops,
            attn_flops_prefill=flops,
            kv_heads=1,
            is_attention=True,
        )

    layers: list[LayerSpec] = []
    nemotron_blocks = c.has("hybrid_override_pattern") or c.has("layers_block_type")
    for i in range(n):
        kind = kinds[i]
        spec = attention_layer(kind, i)
        ffn = 0
        experts = top = ep = 0
        if nemotron_blocks:
            if kind == "mlp":
                ffn = _mlp_params(d, dense_inter, gated)
            elif kind == "moe":
                ffn, experts, top, ep = moe_ffn_always, n_exp, top_k, expert_params
        elif moe_flags[i] and n_exp:
            ffn, experts, top, ep = moe_ffn_always, n_exp, top_k, expert_params
            if parallel_dense:
                ffn += _mlp_params(d, dense_inter, gated)
        else:
            ffn = _mlp_params(d, dense_inter, gated)
        layers.append(
            LayerSpec(
                attn_params=spec.attn_params,
                ffn_params=ffn,
                n_experts=experts,
                top_k=top,
                expert_params=ep,
                moe_hidden=moe_hidden if experts else 0,
                kv_full=spec.kv_full,
                kv_window=spec.kv_window,
                window=spec.window,
                kv_read_full=spec.kv_read_full,
                kv_read_capped=spec.kv_read_capped,
                read_cap=spec.read_cap,
                state_bytes=spec.state_bytes,
                attn_flops_decode=spec.attn_flops_decode,
                attn_flops_prefill=spec.attn_flops_prefill,
                state_flops_per_token=spec.state_flops_per_token,
                kv_heads=spec.kv_heads,
                is_attention=spec.is_attention,
            )
        )
    return layers


def _text_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The language model's config: `text_config` of multimodal models, with top-level fallbacks."""
    text = raw.get("text_config")
    if isinstance(text, Mapping):
        merged = dict(text)
        for key in ("tie_word_embeddings", "quantization_config"):
            if key not in merged and key in raw:
                merged[key] = raw[key]
        if "model_type" not in merged or str(merged.get("model_type", "")).endswith("_text"):
            merged["model_type"] = raw.get("model_type", merged.get("model_type", ""))
        return merged
    return dict(raw)


def _algo_precision(algo: str) -> str | None:
    algo = algo.lower()
    if "nvfp4" in algo or algo == "fp4":
        return "nvfp4"
    if "mxfp4" in algo:
        return "mxfp4"
    if "fp8" in algo:
        return "fp8"
    if "int4" in algo or "w4a16" in algo:
        return "int4"
    return None


def _checkpoint_precision(cfg: Mapping[str, Any], quant: Mapping[str, Any] | None) -> str:
    """The precision of the checkpoint's bulk weights (routed experts when they differ)."""
    if quant:
        q = quant.get("quantization", {})
        layers = q.get("quantized_layers")
        if isinstance(layers, Mapping) and layers:
            algos = [str(v.get("quant_algo", "")) for k, v in layers.items() if "expert" in k] or [
                str(v.get("quant_algo", "")) for v in layers.values()
            ]
            found = _algo_precision(max(set(algos), key=algos.count))
            if found:
                return found
        found = _algo_precision(str(q.get("quant_algo", "")))
        if found:
            return found
    expert = _algo_precision(str(cfg.get("expert_dtype", "")).replace("fp4", "nvfp4"))
    if expert:
        return expert
    qc = cfg.get("quantization_config")
    if isinstance(qc, Mapping):
        groups = qc.get("config_groups")
        if isinstance(groups, Mapping):
            for group in groups.values():
                weights = group.get("weights") or {}
                bits = weights.get("num_bits")
                if bits == 4:
                    if weights.get("type") == "int":
                        return "int4"
                    return "mxfp4" if weights.get("group_size") == 32 else "nvfp4"
                if bits == 8:
                    return "fp8"
        method = str(qc.get("quant_method", "")).lower()
        found = _algo_precision(method) or _algo_precision(str(qc.get("fmt", "")))
        if found:
            return found
    return "bf16"


def architecture_from_config(
    raw: Mapping[str, Any],
    model_id: str,
    *,
    quant: Mapping[str, Any] | None = None,
    where: str | None = None,
) -> ModelArchitecture:
    """Build a `ModelArchitecture` from a parsed Hugging Face `config.json` dict."""
    where = where or model_id
    cfg = _text_config(raw)
    c = _Cfg(cfg, where)
    layers = parse_layers(cfg, where)
    d = c.num("hidden_size")
    vocab = c.num("vocab_size")
    tie = bool(cfg.get("tie_word_embeddings", False))
    moe = [lay for lay in layers if lay.n_experts]
    attn_layers = [lay for lay in layers if lay.is_attention]
    windows = [lay.window for lay in layers if lay.window]
    caps = [lay.read_cap for lay in layers if lay.read_cap]
    # Full-context layers see the whole context, capped layers at most `cap` tokens.
    decode_full = sum(lay.attn_flops_decode for lay in layers if lay.is_attention and not lay.read_cap)
    decode_capped = sum(lay.attn_flops_decode for lay in layers if lay.is_attention and lay.read_cap)
    prefill_full = sum(lay.attn_flops_prefill for lay in layers if lay.is_attention and not lay.read_cap)
    prefill_capped = sum(lay.attn_flops_prefill for lay in layers if lay.is_attention and lay.read_cap)
    return ModelArchitecture(
        model_id=model_id,
        model_type=str(cfg.get("model_type", "")),
        hidden_size=d,
        num_attention_heads=c.num("num_attention_heads"),
        num_layers=len(layers),
        vocab_size=vocab,
        tie_word_embeddings=tie,
        attention_params=sum(lay.attn_params for lay in layers),
        dense_ffn_params=sum(lay.ffn_params for lay in layers),
        n_moe_layers=len(moe),
        n_experts=moe[0].n_experts if moe else 0,
        top_k=moe[0].top_k if moe else 0,
        expert_params=moe[0].expert_params if moe else 0,
        moe_hidden=moe[0].moe_hidden if moe else d,
        embedding_params=vocab * d,
        kv_full_per_token=sum(lay.kv_full for lay in layers),
        kv_window_per_token=sum(lay.kv_window for lay in layers),
        window_tokens=max(windows) if windows else 0,
        kv_read_full_per_token=sum(lay.kv_read_full for lay in layers),
        kv_read_capped_per_token=sum(lay.kv_read_capped for lay in layers),
        read_cap_tokens=max(caps) if caps else 0,
        state_bytes_per_seq=sum(lay.state_bytes for lay in layers),
        attn_flops_decode_per_ctx=decode_full,
        attn_flops_decode_capped=decode_capped,
        attn_flops_prefill_per_ctx=prefill_full,
        attn_flops_prefill_capped=prefill_capped,
        state_flops_per_token=sum(lay.state_flops_per_token for lay in layers),
        kv_heads=min((lay.kv_heads for lay in attn_layers), default=1),
        is_mla=c.has("kv_lora_rank"),
        default_weight_precision=_checkpoint_precision(cfg, quant),
    )


# --------------------------------------------------------------------------------------------------
# Finding configs


def _file_stem(model_id: str) -> str:
    return model_id.replace("/", "--")


def list_config_ids(configs_dir: Path | None = None) -> list[str]:
    """Model ids of every architecture config in `configs_dir` (quantization sidecars excluded)."""
    root = configs_dir or default_configs_dir()
    if not root.is_dir():
        return []
    ids = []
    for path in sorted(root.glob("*_config.json")):
        if path.name.endswith("_hf_quant_config.json"):
            continue
        ids.append(path.name[: -len("_config.json")].replace("--", "/", 1))
    return ids


_QUANT_SUFFIXES = ("-fp8", "-nvfp4", "-bf16", "-fp4", "-mxfp4", "-int4", "-awq", "-gptq")


def _canonical(model_id: str) -> str:
    """A quantized or instruct variant's base name: same architecture, different weights or tuning."""
    name = model_id.split("/")[-1].lower()
    changed = True
    while changed:
        changed = False
        for suffix in (*_QUANT_SUFFIXES, "-instruct", "-base"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                changed = True
    if name.startswith("meta-llama-"):
        name = name[len("meta-") :]
    return name


def resolve_config_path(model: str, configs_dir: Path | None = None) -> tuple[Path, str]:
    """Find the config of `model` (a Hugging Face id or a path to a config.json).

    Returns the path and the id it was resolved to. A checkpoint whose config is not stored but
    whose base model's is (`nvidia/DeepSeek-R1-NVFP4` -> `deepseek-ai/DeepSeek-R1`,
    `meta-llama/Llama-3.1-8B-Instruct` -> `meta-llama/Meta-Llama-3.1-8B`) resolves to the base: the
    architecture is the same, only the weights' precision differs, and that is given separately.
    """
    candidate = Path(model)
    if candidate.suffix == ".json" and candidate.is_file():
        return candidate, model
    root = configs_dir or default_configs_dir()
    if not root.is_dir():
        raise ArchitectureError(
            f"model configs directory {root} does not exist; set INFERONOMICS_SHARED_DATA to the "
            "shared data directory or pass --configs DIR"
        )
    exact = root / f"{_file_stem(model)}_config.json"
    if exact.is_file():
        return exact, model
    ids = list_config_ids(root)
    target = _canonical(model)
    matches = [i for i in ids if _canonical(i) == target]
    if matches:
        # Several variants may share the base name (Qwen3-32B, Qwen3-32B-FP8): the shortest is the base.
        chosen = min(matches, key=lambda i: (len(i.split("/")[-1]), i))
        return root / f"{_file_stem(chosen)}_config.json", chosen
    near = difflib.get_close_matches(model, ids, n=5, cutoff=0.3)
    hint = f"; nearest known: {', '.join(near)}" if near else ""
    raise ArchitectureError(
        f"unknown model {model!r}: no config {exact.name} in {root}{hint}. "
        "Pass a known id or the path to a config.json"
    )


def load_architecture(model: str, configs_dir: Path | None = None) -> ModelArchitecture:
    """Load `model` (Hugging Face id or path to a config.json) as a `ModelArchitecture`."""
    path, resolved = resolve_config_path(model, configs_dir)
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ArchitectureError(f"{path}: not valid JSON ({exc}); pass a Hugging Face config.json") from None
    if not isinstance(raw, dict):
        raise ArchitectureError(f"{path}: expected a JSON object, found {type(raw).__name__}")
    quant_path = path.with_name(path.name.replace("_config.json", "_hf_quant_config.json"))
    quant = json.loads(quant_path.read_text()) if quant_path.is_file() else None
    return architecture_from_config(raw, resolved, quant=quant, where=str(path.name))
