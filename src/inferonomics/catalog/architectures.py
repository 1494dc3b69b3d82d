"""Model architectures read from Hugging Face `config.json` files.

A config is reduced to one `LayerSpec` per decoder block (attention or state-space mixer, dense MLP
or mixture of experts; the dialects of Llama, Qwen3/3.5, DeepSeek MLA and DSA, Kimi, GLM, MiniMax,
gpt-oss, Mixtral, Gemma, Llama 4, Nemotron-H, DeciLM, Step and MiMo are read in
`catalog.hf_layers`) and then summed to a `ModelArchitecture`: parameter counts (total and active),
weight bytes per precision, KV-cache elements per token, recurrent state per sequence and attention
FLOPs per context token. This module also finds configs by model id.

Conventions: parameters are counted without the multi-token-prediction heads (they are not part of
the served model's forward pass unless speculative decoding is on), routers and norms are ignored
(< 0.1 %), and gated MLPs (SwiGLU, GeGLU) have three matrices, `relu2` MLPs two.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from inferonomics.catalog.hf_layers import (
    ConfigReader,
    LayerSpec,
    checkpoint_precision,
    parse_layers,
    text_config,
)
from inferonomics.errors import ArchitectureError

__all__ = [
    "BYTES_PER_PARAM",
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
        """Whether the model has routed experts."""
        return self.n_experts > 0

    @property
    def lm_head_params(self) -> int:
        """Parameters of the output head (vocab x hidden), counted whether or not it is tied to the
        embedding."""
        return self.vocab_size * self.hidden_size

    @property
    def routed_expert_params(self) -> int:
        """Parameters of every routed expert in every MoE layer (each layer taken with the first MoE
        layer's expert count and size)."""
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
    """Bytes per stored weight in `precision` (any case), scales included; an unknown precision raises
    `ArchitectureError` listing the known ones."""
    try:
        return BYTES_PER_PARAM[precision.lower()]
    except KeyError:
        known = ", ".join(sorted(BYTES_PER_PARAM))
        raise ArchitectureError(f"unknown precision {precision!r}: use one of {known}") from None


def architecture_from_config(
    raw: Mapping[str, Any],
    model_id: str,
    *,
    quant: Mapping[str, Any] | None = None,
    where: str | None = None,
) -> ModelArchitecture:
    """Build a `ModelArchitecture` from a parsed Hugging Face `config.json` dict."""
    where = where or model_id
    cfg = text_config(raw)
    c = ConfigReader(cfg, where)
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
        default_weight_precision=checkpoint_precision(cfg, quant),
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
