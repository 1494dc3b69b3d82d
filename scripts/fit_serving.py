"""Fit the serving model's global efficiency parameters on the calibration file.

    python scripts/fit_serving.py [CSV] [--cv] [--restarts N] [--from-defaults]

Reads the measured points (default: the shared data's measured/serving_calibration.csv), fits the
parameters listed in `serving.params.FIT_NAMES` by Nelder-Mead from several restarts, writes them
with the fit's score to `src/inferonomics/serving/fitted_params.json`, and with --cv reports
leave-one-model-out and leave-one-system-out cross-validation (each model, then each GPU system,
predicted by parameters fitted without it).
Deterministic: no random starts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

from inferonomics.serving.calibration import cross_validate, fit_params, loss, training_data
from inferonomics.serving.measurements import default_calibration_csv, read_measurements
from inferonomics.serving.params import FIT_NAMES, EfficiencyParams, fitted_params_path, load_fitted_params
from inferonomics.serving.score import score_measured


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("csv", nargs="?", type=Path, default=None, help="calibration CSV")
    parser.add_argument("--configs", type=Path, default=None, help="directory of config.json files")
    parser.add_argument("--restarts", type=int, default=4, help="Nelder-Mead restarts")
    parser.add_argument("--iterations", type=int, default=1500, help="iterations per restart")
    parser.add_argument(
        "--from-defaults", action="store_true", help="start from the defaults, not the shipped fit"
    )
    parser.add_argument(
        "--cv", action="store_true", help="leave-one-model-out and leave-one-system-out cross-validation"
    )
    parser.add_argument("--dry-run", action="store_true", help="do not write the parameters file")
    args = parser.parse_args()

    csv = args.csv or default_calibration_csv()
    measured = read_measurements(csv, args.configs)
    data = training_data(measured)
    start = EfficiencyParams() if args.from_defaults else load_fitted_params()
    used = len(data.ttft_ms)
    print(f"{csv.name}: {measured.n_rows} rows, {used} used; start loss {loss(data, start):.4f}")

    t0 = time.perf_counter()
    result = fit_params(data, start, restarts=args.restarts, iterations=args.iterations)
    print(f"fitted {len(FIT_NAMES)} parameters in {time.perf_counter() - t0:.1f} s: loss {result.loss:.4f}")
    for name in FIT_NAMES:
        print(f"  {name:28s} {getattr(result.params, name):.6g}")

    report = score_measured(measured, result.params)
    summary = {
        "rows": report.rows,
        "predicted": report.predicted,
        "ttft_median_ape": report.ttft_median_ape,
        "tpot_median_ape": report.tpot_median_ape,
        "ttft_mape": report.ttft_mape,
        "tpot_mape": report.tpot_mape,
        "by_mode": {k: v.model_dump() for k, v in report.by_mode.items()},
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "by_mode"}))

    cv: dict[str, dict[str, dict[str, float]]] | None = None
    if args.cv:
        cv = {}
        for by in ("model", "system"):
            t0 = time.perf_counter()
            cv[by] = cross_validate(data, result.params, restarts=1, iterations=600, by=by)
            print(f"leave-one-{by}-out cross-validation ({time.perf_counter() - t0:.0f} s):")
            for name, row in cv[by].items():
                print(
                    f"  {name:36s} rows {int(row['rows']):4d}  TTFT median {row['ttft_median_ape']:.3f}  "
                    f"TPOT median {row['tpot_median_ape']:.3f}"
                )

    if not args.dry_run:
        out = {
            "fitted_on": {
                "file": csv.name,
                "sha256": hashlib.sha256(csv.read_bytes()).hexdigest(),
                "rows": measured.n_rows,
                "rows_used": len(data.ttft_ms),
            },
            "loss": result.loss,
            "params": result.params.model_dump(),
            "score": summary,
            "cross_validation": cv,
        }
        path = fitted_params_path()
        path.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
