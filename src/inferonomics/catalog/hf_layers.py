"""Reading Hugging Face `config.json` dialects into one record per decoder block.

Each architecture family names the same quantities differently (experts, shared experts, MoE
placement, sliding windows, latent attention, linear attention, Mamba blocks); this module
translates them into `LayerSpec` records, which `catalog.architectures` sums into a
`ModelArchitecture`. Conventions: gated MLPs (SwiGLU, GeGLU) have three matrices, `relu2` MLPs two;
multi-token-prediction heads and norms are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from inferonomics.errors import ArchitectureError

__all__ = [
    "ConfigReader",
    "LayerSpec",
    "checkpoint_precision",
    "parse_layers",
    "text_config",
]


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


class ConfigReader:
    """A config dict with typed, named-error accessors."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def has(self, key: str) -> bool:
        """Whether the config sets `key` to a non-null value."""
        return self.data.get(key) is not None

    def num(self, key: str, default: int | None = None) -> int:
        """The value of `key` as an int (a float is truncated), or `default` when it is missing or null. A
        missing key without a default, or a value that is not a number, raises `ArchitectureError` naming
        the config."""
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
        """The int value (as `num` reads it) of the first of `keys` the config sets, else `default`; with
        none set and no default, raises `ArchitectureError`."""
        for key in keys:
            if self.has(key):
                return self.num(key)
        if default is not None:
            return default
        names = " or ".join(repr(k) for k in keys)
        raise ArchitectureError(f"{self.where}: required field {names} is missing")

    def get(self, key: str, default: Any = None) -> Any:
        """The raw value of `key`, or `default` when it is missing or null."""
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


def _layer_kinds(c: ConfigReader, n: int) -> list[str]:
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


def _moe_layers(c: ConfigReader, n: int, kinds: list[str]) -> list[bool]:
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


def _n_experts(c: ConfigReader) -> int:
    return c.first_int(("n_routed_experts", "num_local_experts", "num_experts"), 0)


def _top_k(c: ConfigReader) -> int:
    return c.first_int(
        ("num_experts_per_tok", "experts_per_token", "top_k_experts", "num_experts_per_token"), 0
    )


def _shared_inter(c: ConfigReader, moe_inter: int) -> int:
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


def _decilm_layers(c: ConfigReader, d: int, heads: int, head_dim: int, gated: bool) -> list[LayerSpec]:
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
    c = ConfigReader(cfg, where)
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


def text_config(raw: Mapping[str, Any]) -> dict[str, Any]:
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


def checkpoint_precision(cfg: Mapping[str, Any], quant: Mapping[str, Any] | None) -> str:
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
