"""Building deployments from names, with defaults and clear errors.

`make_deployment("deepseek-ai/DeepSeek-V3", "h200", tp=8)` resolves the model config and the GPU,
picks defaults a user did not state (the checkpoint's precision, the smallest tensor-parallel
degree whose weights leave room for a KV cache, experts expert-parallel over the worker's GPUs)
and refuses impossible ones with a message saying what to change.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from inferonomics.catalog.architectures import ModelArchitecture, bytes_per_param, load_architecture
from inferonomics.catalog.gpus import GpuSpec, load_gpu_catalog
from inferonomics.errors import DeploymentError
from inferonomics.serving.configs import Deployment, Parallelism, Workload, build_arrays, kv_precision_for
from inferonomics.serving.params import EfficiencyParams, load_fitted_params
from inferonomics.serving.steady import Prediction, predict_arrays

__all__ = ["make_deployment", "predict_one", "weights_per_gpu_bytes"]

_PRECISION_ALIASES = {"fp4": "nvfp4", "bfloat16": "bf16", "float16": "fp16", "w4a16": "int4"}
_VALID = ("bf16", "fp16", "fp8", "fp8_block", "nvfp4", "mxfp4", "int4")


def weights_per_gpu_bytes(
    arch: ModelArchitecture, dense_precision: str, expert_precision: str, tp: int, gpus: int, pp: int = 1
) -> float:
    """Weight bytes per GPU: dense layers split `tp` ways, routed experts over all `gpus` of the worker."""
    dense = (arch.attention_params + arch.dense_ffn_params) * bytes_per_param(dense_precision) / tp
    experts = arch.routed_expert_params * bytes_per_param(expert_precision) / gpus
    head = (arch.lm_head_params + arch.embedding_params) * 2.0 / tp
    return (dense + experts + head) / pp


def _precision(name: str | None, arch: ModelArchitecture) -> str:
    p = (name or arch.default_weight_precision).lower()
    p = _PRECISION_ALIASES.get(p, p)
    if p not in _VALID:
        raise DeploymentError(f"unknown precision {name!r}: use one of {', '.join(_VALID)}")
    return p


def make_deployment(
    model: str | ModelArchitecture,
    gpu: str | GpuSpec,
    *,
    tp: int | None = None,
    ep: int | None = None,
    attention_dp: int = 1,
    pp: int = 1,
    precision: str | None = None,
    moe_precision: str | None = None,
    engine: str = "generic",
    mode: str = "agg",
    configs_dir: Path | None = None,
) -> Deployment:
    """A deployment of `model` on `gpu` (names or loaded objects), defaults filled in."""
    arch = model if isinstance(model, ModelArchitecture) else load_architecture(model, configs_dir)
    spec = gpu if isinstance(gpu, GpuSpec) else load_gpu_catalog().get(gpu)
    weight_p = _precision(precision, arch)
    expert_p = _precision(moe_precision, arch) if moe_precision else weight_p
    if tp is None:
        # Smallest power-of-two degree within the scale-up domain whose weights leave a quarter
        # of HBM for the KV cache.
        options = [d for d in (1, 2, 4, 8, 16, 32, 64, 72) if d <= spec.scale_up_domain_gpus]
        chosen = None
        for d in options:
            if (
                weights_per_gpu_bytes(arch, weight_p, expert_p, d, d * attention_dp, pp)
                <= 0.75 * spec.hbm_bytes
            ):
                chosen = d
                break
        if chosen is None:
            need = weights_per_gpu_bytes(arch, weight_p, expert_p, 1, 1) / (0.75 * spec.hbm_bytes)
            raise DeploymentError(
                f"{arch.model_id} at {expert_p} needs about {need:.0f} {spec.name} GPUs of weights, more "
                f"than its scale-up domain of {spec.scale_up_domain_gpus}: pass --tp (and --ep) "
                "explicitly, a narrower --precision, or a GPU with more memory"
            )
        tp = chosen
    gpus = tp * attention_dp
    if ep is None:
        ep = gpus if arch.is_moe else 1
    if ep > 1 and not arch.is_moe:
        raise DeploymentError(f"--ep {ep}: {arch.model_id} is a dense model (no experts to spread)")
    if gpus % ep:
        raise DeploymentError(f"--ep {ep} must divide the worker's {gpus} GPUs (tp x attention_dp)")
    if arch.num_attention_heads % tp:
        raise DeploymentError(
            f"--tp {tp} does not divide the {arch.num_attention_heads} attention heads of {arch.model_id}"
        )
    if engine not in ("trtllm", "vllm", "sglang", "generic"):
        raise DeploymentError(f"unknown engine {engine!r}: use trtllm, vllm, sglang or generic")
    if mode not in ("agg", "disagg"):
        raise DeploymentError(f"unknown mode {mode!r}: use agg or disagg")
    per_gpu = weights_per_gpu_bytes(arch, weight_p, expert_p, tp, gpus, pp)
    if per_gpu >= spec.hbm_bytes:
        raise DeploymentError(
            f"{arch.model_id} at {expert_p} needs {per_gpu / 1e9:.0f} GB of weights per GPU with tp={tp}, "
            f"ep={ep}; a {spec.name} has {spec.hbm_bytes / 1e9:.0f} GB: raise --tp/--ep or lower --precision"
        )
    try:
        return Deployment(
            architecture=arch,
            gpu=spec,
            weight_precision=weight_p,
            moe_precision=expert_p,
            kv_precision=kv_precision_for(weight_p),
            mode=mode,
            engine=engine,
            worker=Parallelism(tp=tp, pp=pp, attention_dp=attention_dp, moe_tp=gpus // ep, moe_ep=ep),
            decode_workers=1 if mode == "agg" else None,
        )
    except ValidationError as exc:
        raise DeploymentError(str(exc.errors()[0]["msg"])) from None


def predict_one(
    deployment: Deployment, workload: Workload, params: EfficiencyParams | None = None
) -> Prediction:
    """Predict one configuration (a one-row call of the vectorized model)."""
    return predict_arrays(build_arrays([deployment], [workload]), params or load_fitted_params())
