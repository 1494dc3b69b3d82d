"""Fit the serving model's global efficiency parameters on the calibration file, and cross-validate.

    python scripts/fit_serving.py [CSV] [--cv] [--cv-only] [--by model|system|both]
                                  [--restarts N] [--iterations N] [--from-shipped] [--dry-run]

Reads the measured points (default: the shared data's measured/serving_calibration.csv) and fits
the parameters listed in `serving.params.FIT_NAMES` by Nelder-Mead from the defaults
(`EfficiencyParams()`), `--restarts` restarts of `--iterations` iterations each. It writes them to
`src/inferonomics/serving/fitted_params.json` with the fit's score, its start and budget, the
calibration file's SHA-256 and the fingerprints of the rows it used (so that a score can say whether
the rows it scores are ones the parameters were fitted on).

--cv adds leave-one-model-out and leave-one-system-out cross-validation: each model (then each GPU
system) predicted by parameters fitted without it, every fold fitted from the defaults with the same
budget as the full fit (never from a fit that saw the held-out rows), and each fold's objective
compared with the full fit's on the same training rows. --cv-only keeps the shipped parameters
(the file must be the one they were fitted on), checks that a fit from the defaults reproduces them,
and records the cross-validation and the row fingerprints beside them.

Each fold's parameters are written to out/serving_cv/ (git-ignored) for benchmarks/serving.py.
Deterministic: no random starts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from inferonomics.serving.calibration import (
    FIT_ITERATIONS,
    FIT_RESTARTS,
    CrossValidation,
    Fold,
    cross_validate,
    file_fingerprints,
    fit_params,
    objective,
    training_data,
    training_rows,
)
from inferonomics.serving.measurements import default_calibration_csv, read_measurements
from inferonomics.serving.params import (
    FIT_NAMES,
    EfficiencyParams,
    fitted_params_path,
    fitted_record,
    load_fitted_params,
)
from inferonomics.serving.score import score_measured

ROOT = Path(__file__).resolve().parents[1]
FOLDS_DIR = ROOT / "out" / "serving_cv"


def _progress(name: str, fold: Fold) -> None:
    ref = "-" if fold.reference_objective is None else f"{fold.reference_objective:.4f}"
    print(
        f"  {name:36s} rows {fold.rows:4d}  TTFT median {fold.ttft_median_ape:.3f}  "
        f"TPOT median {fold.tpot_median_ape:.3f}  objective {fold.fold_objective:.4f} "
        f"(full fit on the same rows {ref})  {fold.seconds:.0f} s",
        flush=True,
    )


def write_folds(cv: CrossValidation, csv_sha256: str, folds_dir: Path) -> Path:
    """Each fold's parameters, for benchmarks that need out-of-sample predictions."""
    folds_dir.mkdir(parents=True, exist_ok=True)
    path = folds_dir / f"folds_by_{cv.by}.json"
    payload = {
        "csv_sha256": csv_sha256,
        "fit_names": list(FIT_NAMES),
        "start": "defaults",
        "restarts": cv.restarts,
        "iterations": cv.iterations,
        "folds": {name: fold.params.model_dump() for name, fold in cv.folds.items()},
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("csv", nargs="?", type=Path, default=None, help="calibration CSV")
    parser.add_argument("--configs", type=Path, default=None, help="directory of config.json files")
    parser.add_argument("--restarts", type=int, default=FIT_RESTARTS, help="Nelder-Mead restarts")
    parser.add_argument("--iterations", type=int, default=FIT_ITERATIONS, help="iterations per restart")
    parser.add_argument(
        "--from-shipped",
        action="store_true",
        help="start the full fit from the shipped values (polishing), not the defaults",
    )
    parser.add_argument("--cv", action="store_true", help="fit, then cross-validate")
    parser.add_argument(
        "--cv-only", action="store_true", help="keep the shipped parameters; cross-validate and record it"
    )
    parser.add_argument("--by", choices=("model", "system", "both"), default="both", help="CV grouping")
    parser.add_argument("--folds-dir", type=Path, default=FOLDS_DIR, help="where each fold's parameters go")
    parser.add_argument("--dry-run", action="store_true", help="do not write the parameters file")
    args = parser.parse_args()

    csv = args.csv or default_calibration_csv()
    sha256 = hashlib.sha256(csv.read_bytes()).hexdigest()
    measured = read_measurements(csv, args.configs)
    data = training_data(measured)
    used = len(data.ttft_ms)
    print(
        f"{csv.name}: {measured.n_rows} rows, {used} used; "
        f"defaults' objective {objective(data, EfficiencyParams()):.4f}"
    )
    record = fitted_record()

    t0 = time.perf_counter()
    if args.cv_only:
        if record is None or record["fitted_on"]["sha256"] != sha256:
            sys.exit(
                f"{csv}: not the file the shipped parameters were fitted on (SHA-256 differs); refit instead"
            )
        params = load_fitted_params()
        fit_objective = objective(data, params)
        print(f"shipped parameters: objective {fit_objective:.4f}")
        # Is the shipped fit reproducible from the defaults with the full budget?
        check = fit_params(data, None, restarts=args.restarts, iterations=args.iterations)
        print(
            f"fit from the defaults ({args.restarts} x {args.iterations}) "
            f"in {time.perf_counter() - t0:.0f} s: "
            f"objective {check.loss:.4f} against the shipped {fit_objective:.4f}",
            flush=True,
        )
        fitted_on = dict(record["fitted_on"])
        fitted_on.setdefault("start", "an earlier fit (not recorded)")
        fitted_on["defaults_refit"] = {
            "restarts": args.restarts,
            "iterations": args.iterations,
            "objective": check.loss,
            "shipped_objective": fit_objective,
        }
        summary = record["score"]
    else:
        start = load_fitted_params() if args.from_shipped else EfficiencyParams()
        result = fit_params(data, start, restarts=args.restarts, iterations=args.iterations)
        params, fit_objective = result.params, result.loss
        print(
            f"fitted {len(FIT_NAMES)} parameters from the "
            f"{'shipped values' if args.from_shipped else 'defaults'} "
            f"in {time.perf_counter() - t0:.1f} s: objective {fit_objective:.4f}"
        )
        for name in FIT_NAMES:
            print(f"  {name:28s} {getattr(params, name):.6g}")
        report = score_measured(measured, params)
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
        fitted_on = {
            "file": csv.name,
            "sha256": sha256,
            "rows": measured.n_rows,
            "rows_used": used,
            "start": "shipped values" if args.from_shipped else "defaults",
            "restarts": args.restarts,
            "iterations": args.iterations,
        }

    cv: dict[str, Any] | None = None
    if args.cv or args.cv_only:
        cv = {}
        for by in ("model", "system") if args.by == "both" else (args.by,):
            t0 = time.perf_counter()
            print(
                f"leave-one-{by}-out cross-validation, each fold from the defaults, "
                f"{args.restarts} x {args.iterations}:",
                flush=True,
            )
            result_cv = cross_validate(
                data, by, args.restarts, args.iterations, reference=params, progress=_progress
            )
            cv[by] = result_cv.summary()
            print(
                f"  {'(all rows, held out)':36s} rows {result_cv.pooled_rows:4d}  "
                f"TTFT median {result_cv.pooled_ttft_median_ape:.3f}  "
                f"TPOT median {result_cv.pooled_tpot_median_ape:.3f}  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            print(f"  fold parameters: {write_folds(result_cv, sha256, args.folds_dir)}")
    elif record is not None and not args.dry_run:
        print("no --cv: the file's cross-validation is dropped (it described other parameters)")

    if not args.dry_run:
        fingerprints = file_fingerprints(csv)
        fitted_on["row_fingerprints"] = sorted({fingerprints[i] for i in training_rows(measured)})
        out = {
            "fitted_on": fitted_on,
            # --cv-only keeps the shipped values exactly as they were written.
            "loss": record["loss"] if args.cv_only and record is not None else fit_objective,
            "params": record["params"] if args.cv_only and record is not None else params.model_dump(),
            "score": summary,
            "cross_validation": cv,
        }
        path = fitted_params_path()
        path.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
