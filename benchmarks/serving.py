"""Benchmark of the serving model: configurations per second, one configuration's latency, and
(when NVIDIA aiconfigurator is available) accuracy and time per configuration side by side.

    python benchmarks/serving.py [--configs N] [--aic-python PYTHON] [--aic-rows N]

Figures printed:
- vectorized sweep: configurations per second predicting N configurations in one call;
- baseline measured in the same run: the same model called once per configuration in a Python loop;
- one configuration: building its columns and predicting it (median of repeated calls);
- aiconfigurator: if the package imports here, or `--aic-python` / $AICONFIGURATOR_PYTHON names an
  interpreter that has it (it is a 114 MB wheel; keep it out of the project environment), both
  tools predict the same aggregated calibration rows and the errors and times are compared.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from inferonomics.catalog.architectures import architecture_from_config, resolve_config_path
from inferonomics.errors import ArchitectureError
from inferonomics.serving.configs import ConfigArrays, Workload, build_arrays
from inferonomics.serving.deploy import make_deployment, predict_one
from inferonomics.serving.measurements import MeasuredSet, default_calibration_csv, read_measurements
from inferonomics.serving.params import load_fitted_params
from inferonomics.serving.steady import predict_arrays

SEED = 0

# Used when the shared data is absent: Llama-3.1-8B as published.
LLAMA = {
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "hidden_act": "silu",
}


def base_arrays() -> tuple[ConfigArrays, str, MeasuredSet | None]:
    csv = default_calibration_csv()
    if csv.is_file():
        measured = read_measurements(csv)
        assert measured.arrays is not None
        return measured.arrays, f"the {len(measured.arrays)} calibration rows", measured
    arch = architecture_from_config(LLAMA, "meta-llama/Llama-3.1-8B")
    deps = [make_deployment(arch, g, tp=t) for g in ("h100_sxm", "b200_sxm", "mi300x") for t in (1, 2, 4, 8)]
    wls = [Workload(isl=1024, osl=1024, concurrency=c) for c in (1, 8, 64, 256)]
    pairs = [(d, w) for d in deps for w in wls]
    return (
        build_arrays([p[0] for p in pairs], [p[1] for p in pairs]),
        "a synthetic sweep (no shared data)",
        None,
    )


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `fn()` over `repeat` calls, seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_speed(n_configs: int) -> None:
    params = load_fitted_params()
    base, what, _ = base_arrays()
    sweep = base.repeat(math.ceil(n_configs / len(base))).take(np.arange(n_configs))
    predict_arrays(sweep.take(np.arange(10)), params)  # warm up
    t_vec = timed(lambda: predict_arrays(sweep, params), 3)
    loop_n = min(1000, len(base))
    singles = [base.take(np.array([i])) for i in range(loop_n)]
    t_loop = timed(lambda: [predict_arrays(s, params) for s in singles], 1)
    arch = architecture_from_config(LLAMA, "meta-llama/Llama-3.1-8B")
    dep = make_deployment(arch, "h100_sxm", tp=1)
    wl = Workload(isl=1024, osl=1024, concurrency=32)
    t_one = timed(lambda: predict_one(dep, wl, params), 200)
    t_one_predict = timed(lambda: predict_arrays(singles[0], params), 200)
    vec_rate = n_configs / t_vec
    loop_rate = loop_n / t_loop
    print(f"base configurations: {what}")
    print(
        f"vectorized sweep: {n_configs:,} configurations in {t_vec * 1e3:.1f} ms = {vec_rate:,.0f} configs/s"
    )
    print(f"baseline (per-configuration Python loop, same run): {loop_rate:,.0f} configs/s")
    print(f"ratio vectorized / loop: {vec_rate / loop_rate:.0f}x")
    print(
        f"one configuration: {t_one * 1e3:.3f} ms (columns + prediction), "
        f"{t_one_predict * 1e3:.3f} ms (prediction only)"
    )
    print(
        f"targets: >= 10,000 configs/s {'met' if vec_rate >= 1e4 else 'NOT met'}; "
        f"< 1 ms for one {'met' if t_one < 1e-3 else 'NOT met'}"
    )


AIC_DRIVER = r"""
import json, os, sys, time, shutil, tempfile
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import logging
logging.disable(logging.WARNING)
from aiconfigurator.cli.api import cli_estimate
rows = json.load(sys.stdin)
out = []
for r in rows:
    t0 = time.perf_counter()
    kw = dict(mode="agg", backend_name=r["backend"], isl=r["isl"], osl=r["osl"], batch_size=r["batch"],
              tp_size=r["tp"], pp_size=r["pp"], attention_dp_size=r["adp"], moe_tp_size=r["moe_tp"],
              moe_ep_size=r["moe_ep"], gemm_quant_mode=r["gemm"], moe_quant_mode=r["moe"])
    rec = {"id": r["id"]}
    for model in (r["model"], r["local"]):
        if model is None:
            continue
        try:
            res = cli_estimate(model, r["system"], **kw)
            rec.update(ttft=float(res.ttft), tpot=float(res.tpot))
            break
        except Exception as exc:  # the comparison records AIC's failures, it does not stop on them
            rec["error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
    rec["seconds"] = time.perf_counter() - t0
    out.append(rec)
print("AIC-RESULTS " + json.dumps(out))
"""


def _aic_python(arg: str | None) -> str | None:
    if arg:
        return arg
    if os.environ.get("AICONFIGURATOR_PYTHON"):
        return os.environ["AICONFIGURATOR_PYTHON"]
    if importlib.util.find_spec("aiconfigurator") is not None:
        return sys.executable
    return None


def _num(x: object, default: int) -> int:
    try:
        v = float(str(x))
    except (TypeError, ValueError):
        return default
    return int(v) if v == v and v >= 1 else default


def bench_aiconfigurator(python: str | None, n_rows: int) -> None:
    print()
    if python is None:
        print("aiconfigurator: not installed here (pass --aic-python or set AICONFIGURATOR_PYTHON to an")
        print("interpreter that has `pip install aiconfigurator`); comparison skipped")
        return
    _, _, measured = base_arrays()
    if measured is None:
        print("aiconfigurator: no calibration file, comparison skipped")
        return
    import pyarrow.csv as pacsv

    rows = pacsv.read_csv(Path(measured.path)).to_pylist()
    rng = np.random.default_rng(SEED)
    agg = [i for i, r in enumerate(rows) if r["mode"] == "agg"]
    pick = sorted(rng.choice(agg, size=min(n_rows, len(agg)), replace=False).tolist())
    tmp = Path(tempfile.mkdtemp(prefix="aic-configs-"))
    payload = []
    for i in pick:
        r = rows[i]
        local = None
        try:  # the same config this model reads (an instruct/quantized id resolves to its base)
            src, _ = resolve_config_path(str(r["model_path"]))
        except ArchitectureError:
            src = None
        if src is not None:
            d = tmp / str(r["model_path"]).replace("/", "--")
            d.mkdir(exist_ok=True)
            shutil.copy(src, d / "config.json")
            quant = src.with_name(src.name.replace("_config.json", "_hf_quant_config.json"))
            if quant.is_file():
                shutil.copy(quant, d / "hf_quant_config.json")
            local = str(d)
        adp = _num(r["attention_dp_size"], 1)
        payload.append(
            {
                "id": r["id"],
                "model": r["model_path"],
                "local": local,
                "system": r["system"],
                "backend": r["backend"],
                "isl": int(r["isl"]),
                "osl": int(r["osl"]),
                "batch": _num(r["batch_size"], 1),
                "tp": _num(r["tp_size"], 1),
                "pp": _num(r["pp_size"], 1),
                "adp": adp,
                "moe_tp": _num(r["moe_tp_size"], 1),
                "moe_ep": _num(r["moe_ep_size"], 1),
                "gemm": r["gemm_quant_mode"] or None,
                "moe": r["moe_quant_mode"] or None,
            }
        )
    driver = tmp / "aic_driver.py"
    driver.write_text(AIC_DRIVER)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [python, str(driver)], input=json.dumps(payload), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    shutil.rmtree(tmp, ignore_errors=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("AIC-RESULTS ")), None)
    if line is None:
        print(f"aiconfigurator: the driver failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
        return
    results = {r["id"]: r for r in json.loads(line[len("AIC-RESULTS ") :])}
    params = load_fitted_params()
    assert measured.arrays is not None
    pred = predict_arrays(measured.arrays, params)
    ours = {
        measured.row_ids[j]: (pred.ttft_s[k] * 1e3, pred.tpot_s[k] * 1e3)
        for k, j in enumerate(measured.predictable)
    }
    both = [i for i in pick if "ttft" in results[rows[i]["id"]] and rows[i]["id"] in ours]
    failed = [results[rows[i]["id"]] for i in pick if "ttft" not in results[rows[i]["id"]]]

    def med(values: list[float]) -> str:
        return f"{100 * statistics.median(values):.1f}%" if values else "-"

    def ape(p: float, m: float) -> float:
        return abs(p / m - 1.0)

    aic_t = [ape(results[rows[i]["id"]]["ttft"], rows[i]["silicon_ttft_ms"]) for i in both]
    aic_p = [ape(results[rows[i]["id"]]["tpot"], rows[i]["silicon_tpot_ms"]) for i in both]
    our_t = [ape(ours[rows[i]["id"]][0], rows[i]["silicon_ttft_ms"]) for i in both]
    our_p = [ape(ours[rows[i]["id"]][1], rows[i]["silicon_tpot_ms"]) for i in both]
    our_all_t = [
        ape(ours[rows[i]["id"]][0], rows[i]["silicon_ttft_ms"]) for i in pick if rows[i]["id"] in ours
    ]
    our_all_p = [
        ape(ours[rows[i]["id"]][1], rows[i]["silicon_tpot_ms"]) for i in pick if rows[i]["id"] in ours
    ]
    per_config = statistics.median([results[rows[i]["id"]]["seconds"] for i in pick])
    one_row = measured.arrays.take(np.arange(1))
    t_ours = timed(lambda: predict_arrays(one_row, params), 100)
    print(f"aiconfigurator on {len(pick)} aggregated calibration rows (seed {SEED}), {wall:.0f} s in all:")
    print(f"  predicted: aiconfigurator {len(both)}/{len(pick)}, this model {len(our_all_t)}/{len(pick)}")
    print(
        f"  on the {len(both)} rows both predict: TTFT median APE aiconfigurator {med(aic_t)}, this model "
        f"{med(our_t)}; TPOT median APE aiconfigurator {med(aic_p)}, this model {med(our_p)}"
    )
    print(f"  this model on all {len(our_all_t)} sampled rows: TTFT {med(our_all_t)}, TPOT {med(our_all_p)}")
    print(
        f"  time per configuration: aiconfigurator {per_config:.2f} s (median), this model "
        f"{t_ours * 1e3:.3f} ms: {per_config / t_ours:,.0f}x"
    )
    for f in failed[:10]:
        print(f"  aiconfigurator failed on {f['id']}: {f.get('error', '?')}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configs", type=int, default=100_000, help="configurations in the vectorized sweep")
    parser.add_argument(
        "--aic-python", default=None, help="a Python interpreter with aiconfigurator installed"
    )
    parser.add_argument("--aic-rows", type=int, default=40, help="calibration rows for the comparison")
    args = parser.parse_args()
    bench_speed(args.configs)
    bench_aiconfigurator(_aic_python(args.aic_python), args.aic_rows)


if __name__ == "__main__":
    main()
