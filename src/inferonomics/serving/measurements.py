"""Measured serving points in the calibration file's format, turned into configurations.

The format (columns, semantics) is that of NVIDIA aiconfigurator's silicon sample; see
`shared/data/measured/README.md`. Each row becomes a `Deployment` + `Workload`, or an explained
reason why it cannot be predicted (the row is then counted and named, never dropped).

Reading rules (the file's own semantics):
- concurrency: `silicon_concurrency=N` in `silicon_data_source`; else batch_size x attention_dp
  (agg) or decode batch x workers x attention_dp (disagg);
- GPUs per worker: tp x pp x attention_dp; where moe_tp x moe_ep names more GPUs than that, the
  extra are data-parallel attention ranks;
- precision: `gemm_quant_mode` for attention and dense layers, `moe_quant_mode` for experts, BF16
  where empty; the KV cache is FP8 when weights are 8-bit or narrower;
- disaggregated worker counts, when empty, are left unstated: the model lays the deployment out by
  its rule for unstated layouts (`serving.steady`); the decode side's `moe_ep` of such rows is a
  copy of the prefill side's, and whether attention was data-parallel is not recorded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
from numpy.typing import NDArray
from pydantic import ValidationError

from inferonomics.catalog.architectures import ModelArchitecture, load_architecture, shared_data_dir
from inferonomics.catalog.gpus import GpuSpec, load_gpu_catalog
from inferonomics.errors import ArchitectureError, GpuCatalogError, InputError
from inferonomics.serving.configs import ConfigArrays, Deployment, Parallelism, Workload, build_arrays

__all__ = ["MeasuredSet", "UnpredictedRow", "default_calibration_csv", "read_measurements"]

REQUIRED_COLUMNS = (
    "model_path",
    "system",
    "mode",
    "isl",
    "osl",
    "silicon_ttft_ms",
    "silicon_tpot_ms",
)

_PRECISIONS = {"fp8": "fp8", "fp8_block": "fp8_block", "nvfp4": "nvfp4", "mxfp4": "mxfp4", "bf16": "bf16"}
_W4 = {"w4a16_mxfp4": "mxfp4", "w4afp8": "int4", "int4_wo": "int4", "w4a16": "int4", "fp4": "nvfp4"}


def default_calibration_csv() -> Path:
    """The measured serving points the model is calibrated and scored against by default: `<shared
    data>/measured/serving_calibration.csv` (not checked for existence)."""
    return shared_data_dir() / "measured" / "serving_calibration.csv"


@dataclass(frozen=True)
class UnpredictedRow:
    """A row that could not be predicted, and why."""

    line: int
    """Line number in the file (the header is line 1)."""
    row_id: str
    reason: str


@dataclass
class MeasuredSet:
    """Measured rows with their configurations (predictable rows only in `arrays`)."""

    path: str
    n_rows: int
    row_ids: list[str]
    systems: list[str]
    models: list[str]
    modes: list[str]
    backends: list[str]
    measured_ttft_ms: NDArray[np.float64]
    measured_tpot_ms: NDArray[np.float64]
    predictable: NDArray[np.intp]
    """Row indices (0-based, in file order) that `arrays` holds, in the same order."""
    arrays: ConfigArrays | None
    unpredicted: list[UnpredictedRow] = field(default_factory=list)


def _num(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _pos_int(value: float, default: int) -> int:
    return int(value) if value == value and value >= 1 else default


def _precision(value: Any) -> str:
    text = str(value or "").strip().lower()
    if not text or text in ("nan", "none", "float16", "bfloat16"):
        return "bf16"
    if text in _PRECISIONS:
        return _PRECISIONS[text]
    if text in _W4:
        return _W4[text]
    raise ValueError(f"unknown quantization mode {text!r}")


def _concurrency(row: Mapping[str, Any]) -> float:
    match = re.search(r"silicon_concurrency=(\d+)", str(row.get("silicon_data_source") or ""))
    if match:
        return float(match.group(1))
    if row.get("mode") == "disagg":
        b = _num(row.get("decode_batch_size"))
        w = _num(row.get("decode_num_workers"))
        dp = _pos_int(_num(row.get("decode_attention_dp_size")), 1)
        return b * w * dp if b == b and w == w else math.nan
    b = _num(row.get("batch_size"))
    return b * _pos_int(_num(row.get("attention_dp_size")), 1)


def _parallelism(row: Mapping[str, Any], prefix: str, heads: int, domain: int) -> Parallelism:
    tp = _pos_int(_num(row.get(f"{prefix}tp_size")), 1)
    pp = _pos_int(_num(row.get(f"{prefix}pp_size")), 1)
    adp = _pos_int(_num(row.get(f"{prefix}attention_dp_size")), 1)
    mtp = _pos_int(_num(row.get(f"{prefix}moe_tp_size")), 0)
    mep = _pos_int(_num(row.get(f"{prefix}moe_ep_size")), 1)
    if mtp == mep > 1 and tp * adp == mtp * mep > domain:
        # Rows such as tp=64 with moe 8x8 on an 8-GPU HGX node count the node twice (k x k GPUs
        # for a k-GPU layout; some have an identical twin row labelled with k GPUs): read them
        # as k GPUs with attention split k ways and experts k-way expert-parallel.
        if tp >= mtp:
            tp //= mtp
        else:
            adp //= mtp
        mtp = 1
    if tp > 1 and heads % tp:
        # Attention tensor parallelism must divide the heads; a wider "tp" (e.g. 36 or 72 GPUs of a
        # GB200 rack) can only run as data-parallel attention with the experts spread over the GPUs.
        adp, tp = adp * tp, 1
        mtp, mep = 1, adp
    if mtp == 0:  # not stated: experts fill the worker's GPUs
        mtp = max(tp * adp // mep, 1)
    moe_gpus = mtp * mep
    if moe_gpus > tp * adp and moe_gpus % tp == 0:
        adp = moe_gpus // tp  # the file's extra GPUs are data-parallel attention ranks
    elif moe_gpus != tp * adp:  # inconsistent: keep the expert-parallel degree if it divides the GPUs
        mep = mep if (tp * adp) % mep == 0 else 1
        mtp = tp * adp // mep
    return Parallelism(tp=tp, pp=pp, attention_dp=adp, moe_tp=mtp, moe_ep=mep)


def row_to_config(
    row: Mapping[str, Any],
    arch: ModelArchitecture,
    gpu: GpuSpec,
) -> tuple[Deployment, Workload]:
    """The deployment and workload a measured row describes (raises ValueError with a reason)."""
    conc = _concurrency(row)
    if not conc == conc or conc <= 0:
        raise ValueError("no concurrency: silicon_concurrency, batch_size and worker counts are all empty")
    isl = _num(row.get("isl"))
    osl = _num(row.get("osl"))
    if not (isl >= 1 and osl >= 1):
        raise ValueError(f"isl/osl must be >= 1 (got {row.get('isl')!r}, {row.get('osl')!r})")
    dense = _precision(row.get("gemm_quant_mode"))
    moe = _precision(row.get("moe_quant_mode")) if arch.is_moe else dense
    backend = str(row.get("backend") or "").strip().lower()
    engine = backend if backend in ("trtllm", "vllm", "sglang") else "generic"
    mode = str(row.get("mode") or "agg")
    if mode not in ("agg", "disagg"):
        raise ValueError(f"mode {mode!r} is neither agg nor disagg")
    if mode == "disagg":
        worker = _parallelism(row, "decode_", arch.num_attention_heads, gpu.scale_up_domain_gpus)
        prefill = _parallelism(row, "prefill_", arch.num_attention_heads, gpu.scale_up_domain_gpus)
        dw = _num(row.get("decode_num_workers"))
        pw = _num(row.get("prefill_num_workers"))
        dep = Deployment(
            architecture=arch,
            gpu=gpu,
            weight_precision=dense,
            moe_precision=moe,
            mode="disagg",
            engine=engine,
            worker=worker,
            prefill_worker=prefill,
            decode_workers=int(dw) if dw == dw and dw >= 1 else None,
            prefill_workers=int(pw) if pw == pw and pw >= 1 else None,
        )
    else:
        dep = Deployment(
            architecture=arch,
            gpu=gpu,
            weight_precision=dense,
            moe_precision=moe,
            mode="agg",
            engine=engine,
            worker=_parallelism(row, "", arch.num_attention_heads, gpu.scale_up_domain_gpus),
            decode_workers=1,
        )
    return dep, Workload(isl=int(isl), osl=int(osl), concurrency=conc)


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file; pass a CSV in the calibration file's format")
    convert = pacsv.ConvertOptions(strings_can_be_null=True)
    table = pacsv.read_csv(path, convert_options=convert)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            "the file must have the calibration file's columns (see shared/data/measured/README.md)"
        )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def read_measurements(path: Path, configs_dir: Path | None = None) -> MeasuredSet:
    """Read a measured-points CSV and build the configurations of every predictable row."""
    rows = _read_rows(path)
    catalog = load_gpu_catalog()
    arch_cache: dict[str, ModelArchitecture | str] = {}
    deployments: list[Deployment] = []
    workloads: list[Workload] = []
    keep: list[int] = []
    unpredicted: list[UnpredictedRow] = []
    for i, row in enumerate(rows):
        row_id = str(row.get("id") or f"row {i + 2}")
        model = str(row.get("model_path") or "")
        if model not in arch_cache:
            try:
                arch_cache[model] = load_architecture(model, configs_dir)
            except ArchitectureError as exc:
                arch_cache[model] = str(exc)
        arch = arch_cache[model]
        try:
            if isinstance(arch, str):
                raise ValueError(arch)
            gpu = catalog.get(str(row.get("system") or ""))
            dep, wl = row_to_config(row, arch, gpu)
        except (ValueError, GpuCatalogError, ValidationError) as exc:
            reason = str(exc).splitlines()[0]
            unpredicted.append(UnpredictedRow(line=i + 2, row_id=row_id, reason=reason))
            continue
        deployments.append(dep)
        workloads.append(wl)
        keep.append(i)
    arrays = build_arrays(deployments, workloads) if deployments else None
    return MeasuredSet(
        path=str(path),
        n_rows=len(rows),
        row_ids=[str(r.get("id") or f"row {i + 2}") for i, r in enumerate(rows)],
        systems=[str(r.get("system") or "") for r in rows],
        models=[str(r.get("model_path") or "") for r in rows],
        modes=[str(r.get("mode") or "") for r in rows],
        backends=[str(r.get("backend") or "") for r in rows],
        measured_ttft_ms=np.array([_num(r.get("silicon_ttft_ms")) for r in rows], dtype=np.float64),
        measured_tpot_ms=np.array([_num(r.get("silicon_tpot_ms")) for r in rows], dtype=np.float64),
        predictable=np.array(keep, dtype=np.intp),
        arrays=arrays,
        unpredicted=unpredicted,
    )
