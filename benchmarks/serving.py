"""Benchmark of the serving model: configurations per second, one configuration's latency, and
(when NVIDIA aiconfigurator is available) accuracy and time per configuration side by side.

    python benchmarks/serving.py [--configs N] [--aic-python PYTHON] [--aic-rows N]
                                 [--oos-restarts N] [--oos-iterations N]

Figures printed:
- vectorized sweep: configurations per second predicting N configurations in one call;
- baseline measured in the same run: the same model called once per configuration in a Python loop;
- one configuration: building its columns and predicting it (median of repeated calls);
- aiconfigurator: if the package imports here, or `--aic-python` / $AICONFIGURATOR_PYTHON names an
  interpreter that has it (it is a 114 MB wheel; keep it out of the project environment), both
  tools predict the same aggregated calibration rows and the errors and times are compared:
  - this model's error out of sample, each row predicted by parameters fitted from the defaults
    without the row's model (the folds `scripts/fit_serving.py --cv` wrote to out/serving_cv/, or
    fitted here with --oos-restarts x --oos-iterations), and beside it, labelled, the in-sample
    error of the shipped parameters (fitted on these very rows);
  - time per configuration, both timed the same way: the whole call per row from the model id and
    GPU name (config read, deployment built, predicted), one call after another, each tool in its
    own process; median over the rows, the first call apart (it pays one-time loads); the ratio of
    the medians.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
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
from typing import Any

import numpy as np

from inferonomics.catalog.architectures import (
    architecture_from_config,
    load_architecture,
    resolve_config_path,
)
from inferonomics.catalog.gpus import load_gpu_catalog
from inferonomics.errors import ArchitectureError, ServingError
from inferonomics.serving.calibration import FIT_ITERATIONS, FIT_RESTARTS, cross_validate, training_data
from inferonomics.serving.configs import ConfigArrays, Workload, build_arrays
from inferonomics.serving.deploy import make_deployment, predict_one
from inferonomics.serving.measurements import (
    MeasuredSet,
    default_calibration_csv,
    read_measurements,
    row_to_config,
)
from inferonomics.serving.params import FIT_NAMES, EfficiencyParams, load_fitted_params
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
    kw = dict(mode="agg", backend_name=r["backend"], isl=r["isl"], osl=r["osl"], batch_size=r["batch"],
              tp_size=r["tp"], pp_size=r["pp"], attention_dp_size=r["adp"], moe_tp_size=r["moe_tp"],
              moe_ep_size=r["moe_ep"], gemm_quant_mode=r["gemm"], moe_quant_mode=r["moe"])
    rec = {"id": r["id"]}
    # The model id first, then a local copy of the config this model reads; only the attempt that
    # answered (or the last one) is timed, so a failed lookup of the id does not count against it.
    for via, model in (("id", r["model"]), ("local config", r["local"])):
        if model is None:
            continue
        t0 = time.perf_counter()
        try:
            res = cli_estimate(model, r["system"], **kw)
            rec.update(ttft=float(res.ttft), tpot=float(res.tpot), via=via)
            rec["seconds"] = time.perf_counter() - t0
            break
        except Exception as exc:  # the comparison records AIC's failures, it does not stop on them
            rec["seconds"] = time.perf_counter() - t0
            rec["error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
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


FOLDS_FILE = Path(__file__).resolve().parents[1] / "out" / "serving_cv" / "folds_by_model.json"


def held_out_params(
    measured: MeasuredSet, models: list[str], restarts: int, iterations: int
) -> tuple[dict[str, EfficiencyParams], str]:
    """Leave-one-model-out parameters for `models`: each fitted from the defaults without that model.

    Read from the folds `scripts/fit_serving.py --cv` wrote (out/serving_cv/, git-ignored) when they
    were fitted on this very file with the current parameter list; the missing ones are fitted here
    with the stated budget (and saved there when there was no such file, so a file holds one budget).
    """
    sha = hashlib.sha256(Path(measured.path).read_bytes()).hexdigest()
    cached: dict[str, EfficiencyParams] = {}
    how = ""
    if FOLDS_FILE.is_file():
        saved = json.loads(FOLDS_FILE.read_text())
        if saved.get("csv_sha256") == sha and saved.get("fit_names") == list(FIT_NAMES):
            cached = {k: EfficiencyParams.model_validate(v) for k, v in saved["folds"].items()}
            how = (
                f"from {FOLDS_FILE.parent.name}/{FOLDS_FILE.name} (fitted from the defaults, "
                f"{saved['restarts']} x {saved['iterations']} per fold)"
            )
    missing = sorted(set(models) - set(cached))
    if missing:
        t0 = time.perf_counter()
        cv = cross_validate(training_data(measured), "model", restarts, iterations, only=missing)
        took = time.perf_counter() - t0
        fitted = (
            f"{len(missing)} fold(s) fitted here from the defaults, {restarts} x {iterations} each, "
            f"{took:.0f} s"
        )
        how = f"{how}; {fitted}" if how else fitted
        if not cached:  # one budget for every fold in the file
            FOLDS_FILE.parent.mkdir(parents=True, exist_ok=True)
            folds = {k: f.params.model_dump() for k, f in sorted(cv.folds.items())}
            saved = {
                "csv_sha256": sha,
                "fit_names": list(FIT_NAMES),
                "start": "defaults",
                "restarts": restarts,
                "iterations": iterations,
                "folds": folds,
            }
            FOLDS_FILE.write_text(json.dumps(saved, indent=2) + "\n")
        cached.update({k: f.params for k, f in cv.folds.items()})
    return {m: cached[m] for m in models}, how


def whole_call(row: dict[str, Any], params: EfficiencyParams) -> tuple[float, float]:
    """One configuration as a user runs it, from names: the model's config read from disk by its id,
    the GPU looked up by name, the deployment built from the row's layout, TTFT and TPOT (ms)."""
    arch = load_architecture(str(row["model_path"]))
    gpu = load_gpu_catalog().get(str(row["system"]))
    dep, wl = row_to_config(row, arch, gpu)
    pred = predict_arrays(build_arrays([dep], [wl]), params)
    if not pred.fits[0]:
        return math.nan, math.nan
    return float(pred.ttft_s[0]) * 1e3, float(pred.tpot_s[0]) * 1e3


def bench_aiconfigurator(python: str | None, n_rows: int, restarts: int, iterations: int) -> None:
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

    rows = pacsv.read_csv(
        Path(measured.path), convert_options=pacsv.ConvertOptions(strings_can_be_null=True)
    ).to_pylist()
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

    # This model, timed as aiconfigurator is: the whole call per configuration, in one process,
    # over the same rows in the same order (the first call pays one-time loads in both).
    shipped = load_fitted_params()
    ours_in: dict[str, tuple[float, float]] = {}
    our_seconds: list[float] = []
    for i in pick:
        t1 = time.perf_counter()
        with contextlib.suppress(ValueError, ServingError):  # counted below as not predicted
            ours_in[rows[i]["id"]] = whole_call(rows[i], shipped)
        our_seconds.append(time.perf_counter() - t1)
    ours_in = {k: v for k, v in ours_in.items() if math.isfinite(v[0]) and math.isfinite(v[1])}
    # The call from names predicts exactly what the vectorized score of the file does.
    assert measured.arrays is not None
    vec = predict_arrays(measured.arrays, shipped)
    for k, j in enumerate(measured.predictable):
        if measured.row_ids[j] in ours_in:
            got = ours_in[measured.row_ids[j]]
            assert math.isclose(got[0], vec.ttft_s[k] * 1e3, rel_tol=1e-9), measured.row_ids[j]
            assert math.isclose(got[1], vec.tpot_s[k] * 1e3, rel_tol=1e-9), measured.row_ids[j]

    # Out of sample: each row predicted by parameters fitted without its model.
    models = sorted({str(rows[i]["model_path"]) for i in pick})
    held, how = held_out_params(measured, models, restarts, iterations)
    ours_out: dict[str, tuple[float, float]] = {}
    for i in pick:
        if rows[i]["id"] in ours_in:
            ours_out[rows[i]["id"]] = whole_call(rows[i], held[str(rows[i]["model_path"])])

    both = [i for i in pick if "ttft" in results[rows[i]["id"]] and rows[i]["id"] in ours_in]
    failed = [results[rows[i]["id"]] for i in pick if "ttft" not in results[rows[i]["id"]]]

    def med(values: list[float]) -> str:
        return f"{100 * statistics.median(values):.1f}%" if values else "-"

    def ape(p: float, m: float) -> float:
        return abs(p / m - 1.0)

    def errors(pred: dict[str, tuple[float, float]], idx: list[int], k: int) -> list[float]:
        col = "silicon_ttft_ms" if k == 0 else "silicon_tpot_ms"
        return [ape(pred[rows[i]["id"]][k], rows[i][col]) for i in idx if rows[i]["id"] in pred]

    aic_t = [ape(results[rows[i]["id"]]["ttft"], rows[i]["silicon_ttft_ms"]) for i in both]
    aic_p = [ape(results[rows[i]["id"]]["tpot"], rows[i]["silicon_tpot_ms"]) for i in both]
    aic_seconds = [results[rows[i]["id"]]["seconds"] for i in pick]
    via_local = sum(results[rows[i]["id"]].get("via") == "local config" for i in both)
    aic_med, our_med = statistics.median(aic_seconds), statistics.median(our_seconds)
    print(f"aiconfigurator on {len(pick)} aggregated calibration rows (seed {SEED}), {wall:.0f} s in all:")
    print(
        f"  predicted: aiconfigurator {len(both)}/{len(pick)} ({via_local} from the local config after "
        f"the model id failed), this model {len(ours_in)}/{len(pick)}"
    )
    print(f"  this model's out-of-sample parameters: {how}")
    print(
        f"  on the {len(both)} rows both predict, median APE TTFT / TPOT: aiconfigurator "
        f"{med(aic_t)} / {med(aic_p)}; this model out of sample (fitted without the row's model) "
        f"{med(errors(ours_out, both, 0))} / {med(errors(ours_out, both, 1))}; this model in-sample "
        f"(shipped parameters, fitted on these rows too) {med(errors(ours_in, both, 0))} / "
        f"{med(errors(ours_in, both, 1))}"
    )
    print(
        f"  this model on all {len(ours_in)} sampled rows it predicts: out of sample "
        f"{med(errors(ours_out, pick, 0))} / {med(errors(ours_out, pick, 1))}, in-sample "
        f"{med(errors(ours_in, pick, 0))} / {med(errors(ours_in, pick, 1))}"
    )
    print(
        f"  time per configuration, the whole call from names (median over the {len(pick)} rows): "
        f"aiconfigurator {aic_med:.3f} s, this model {our_med * 1e3:.3f} ms: {aic_med / our_med:,.0f}x; "
        f"first call aiconfigurator {aic_seconds[0]:.2f} s, this model {our_seconds[0] * 1e3:.2f} ms "
        "(this process had read the GPU catalogue already)"
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
    parser.add_argument(
        "--oos-restarts",
        type=int,
        default=FIT_RESTARTS,
        help="restarts per leave-one-model-out fold fitted here (when not cached)",
    )
    parser.add_argument(
        "--oos-iterations", type=int, default=FIT_ITERATIONS, help="iterations per restart of those folds"
    )
    args = parser.parse_args()
    bench_speed(args.configs)
    bench_aiconfigurator(_aic_python(args.aic_python), args.aic_rows, args.oos_restarts, args.oos_iterations)


if __name__ == "__main__":
    main()
