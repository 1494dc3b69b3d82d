"""Fitting the global efficiency parameters to measured points, and cross-validating the fit.

The loss is the mean absolute log error of TTFT and of TPOT over all predicted rows (a robust,
scale-free error: a factor of 2 too high costs what a factor of 2 too low does, and a few wild
rows do not dominate), TPOT weighted `tpot_weight` times. Parameters are searched in log space
(or logit space for fractions) by Nelder-Mead from several starts; no per-model or per-point term
exists to fit.

Cross-validation (`cross_validate`) fits each fold from the defaults with the full fit's budget,
and `row_fingerprint` identifies the rows a fit saw, so that a score can say whether it is
in-sample.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from inferonomics.errors import InputError
from inferonomics.serving.configs import ConfigArrays
from inferonomics.serving.measurements import MeasuredSet
from inferonomics.serving.params import FIT_NAMES, EfficiencyParams
from inferonomics.serving.steady import predict_arrays

__all__ = [
    "FIT_ITERATIONS",
    "FIT_RESTARTS",
    "CrossValidation",
    "FitResult",
    "Fold",
    "cross_validate",
    "file_fingerprints",
    "fit_params",
    "nelder_mead",
    "objective",
    "row_fingerprint",
    "training_data",
    "training_rows",
]

F64 = NDArray[np.float64]

# Parameters bounded to (0, 1] are fitted through a logit; the rest through a log.
_FRACTIONS = {
    "hbm_efficiency",
    "expert_hbm_efficiency",
    "kv_hbm_efficiency",
    "compute_efficiency",
    "prefill_efficiency",
    "expert_gemm_efficiency",
    "attention_efficiency",
    "link_efficiency",
    "kv_memory_fraction",
}


@dataclass(frozen=True)
class TrainingData:
    """The measured rows a fit learns from: their configurations as arrays, the measured time to first
    token and time per output token (ms), and each row's model and GPU system."""

    arrays: ConfigArrays
    ttft_ms: F64
    tpot_ms: F64
    groups: NDArray[np.str_]
    """The model of each row (for leave-one-model-out cross-validation)."""
    systems: NDArray[np.str_]
    """The GPU system of each row (for leave-one-system-out cross-validation)."""


def _kept(measured: MeasuredSet) -> NDArray[np.intp]:
    """Positions within `measured.predictable` of the rows with finite, positive measurements."""
    if measured.arrays is None:
        raise InputError(f"{measured.path}: no predictable rows")
    idx = measured.predictable
    ttft = measured.measured_ttft_ms[idx]
    tpot = measured.measured_tpot_ms[idx]
    return np.flatnonzero(np.isfinite(ttft) & np.isfinite(tpot) & (ttft > 0) & (tpot > 0))


def training_rows(measured: MeasuredSet) -> NDArray[np.intp]:
    """The file rows (0-based, header excluded) a fit on `measured` uses."""
    return measured.predictable[_kept(measured)]


def training_data(measured: MeasuredSet) -> TrainingData:
    """The predictable rows with finite, positive measurements."""
    keep = _kept(measured)
    assert measured.arrays is not None  # _kept raised otherwise
    rows = measured.predictable[keep]
    models = np.array(measured.models, dtype=str)[rows]
    systems = np.array(measured.systems, dtype=str)[rows]
    return TrainingData(
        measured.arrays.take(keep),
        measured.measured_ttft_ms[rows],
        measured.measured_tpot_ms[rows],
        models,
        systems,
    )


# The columns that say what ran and what was measured. Ids, dates and engine versions are left
# out, so a copy of a row written by another tool (other id, columns dropped or reordered, numbers
# reformatted) is still recognised as the same row.
_FINGERPRINT_COLUMNS: tuple[str, ...] = (
    "model_path",
    "system",
    "backend",
    "mode",
    "isl",
    "osl",
    "gemm_quant_mode",
    "moe_quant_mode",
    *(
        f"{side}{column}"
        for side in ("", "prefill_", "decode_")
        for column in ("batch_size", "tp_size", "pp_size", "attention_dp_size", "moe_tp_size", "moe_ep_size")
    ),
    "prefill_num_workers",
    "decode_num_workers",
    "silicon_ttft_ms",
    "silicon_tpot_ms",
)


def _canonical(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    # Four significant digits: a rewrite that rounds the measurements still matches, a different
    # measurement of the same configuration does not.
    return "" if math.isnan(number) else f"{number:.4g}"


def row_fingerprint(row: dict[str, Any]) -> str:
    """A short content hash of one calibration-format row (what ran, what was measured)."""
    match = re.search(r"silicon_concurrency=(\d+)", str(row.get("silicon_data_source") or ""))
    fields = [_canonical(row.get(c)) for c in _FINGERPRINT_COLUMNS]
    fields.append(match.group(1) if match else "")
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:16]


def file_fingerprints(path: Path) -> list[str]:
    """The fingerprint of every row of a calibration-format CSV, in file order."""
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot be read as a CSV ({exc})") from None
    return [row_fingerprint(r) for r in table.to_pylist()]


def _to_free(name: str, value: float) -> float:
    if name in _FRACTIONS:
        v = min(max(value, 1e-6), 1 - 1e-6)
        return math.log(v / (1 - v))
    return math.log(max(value, 1e-9))


def _from_free(name: str, x: float) -> float:
    if name in _FRACTIONS:
        return 1.0 / (1.0 + math.exp(-x))
    return math.exp(min(x, 50.0))


def _params(base: EfficiencyParams, names: Sequence[str], x: F64) -> EfficiencyParams:
    update = {n: _from_free(n, float(v)) for n, v in zip(names, x, strict=True)}
    return base.model_copy(update=update)


def _trimmed_mean(values: F64, keep: float) -> float:
    n = max(int(values.size * keep), 1)
    return float(np.mean(np.partition(values, n - 1)[:n]))


def loss(data: TrainingData, params: EfficiencyParams, tpot_weight: float = 2.0, keep: float = 0.8) -> float:
    """Trimmed mean |log(predicted / measured)| of TTFT plus `tpot_weight` times that of TPOT.

    The worst `1 - keep` of rows per metric are left out: a few measurements are off by 10-100x
    (benchmarks that queued far more requests than the stated concurrency) and would otherwise
    steer every parameter.
    """
    pred = predict_arrays(data.arrays, params)
    ok = pred.fits & np.isfinite(pred.ttft_s) & np.isfinite(pred.tpot_s) & (pred.ttft_s > 0)
    if not ok.any():
        return math.inf
    e_ttft = np.abs(np.log(pred.ttft_s[ok] * 1e3 / data.ttft_ms[ok]))
    e_tpot = np.abs(np.log(pred.tpot_s[ok] * 1e3 / data.tpot_ms[ok]))
    return _trimmed_mean(e_ttft, keep) + tpot_weight * _trimmed_mean(e_tpot, keep)


def nelder_mead(
    f: Callable[[F64], float],
    x0: F64,
    step: float = 0.3,
    iterations: int = 600,
    tol: float = 1e-6,
) -> tuple[F64, float]:
    """Minimize `f` from `x0` with the Nelder-Mead simplex (standard coefficients)."""
    n = x0.size
    simplex = [x0.astype(np.float64)] + [x0 + step * np.eye(n)[i] for i in range(n)]
    values = [f(x) for x in simplex]
    for _ in range(iterations):
        order = np.argsort(values)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        if abs(values[-1] - values[0]) < tol:
            break
        centroid = np.mean(simplex[:-1], axis=0)
        worst = simplex[-1]
        reflected = centroid + (centroid - worst)
        fr = f(reflected)
        if fr < values[0]:
            expanded = centroid + 2.0 * (centroid - worst)
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = centroid + 0.5 * (worst - centroid)
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                best = simplex[0]
                simplex = [best] + [best + 0.5 * (x - best) for x in simplex[1:]]
                values = [values[0]] + [f(x) for x in simplex[1:]]
    i = int(np.argmin(values))
    return simplex[i], values[i]


# The full fit's search budget: from the defaults it reaches the shipped fit's objective (0.4804
# against 0.4803), so every cross-validation fold gets the same budget from the same start.
FIT_RESTARTS = 4
FIT_ITERATIONS = 1500
TPOT_WEIGHT = 2.0
PRIOR_WEIGHT = 0.002


def objective(
    data: TrainingData,
    params: EfficiencyParams,
    names: Sequence[str] = FIT_NAMES,
    tpot_weight: float = TPOT_WEIGHT,
    prior_weight: float = PRIOR_WEIGHT,
) -> float:
    """What `fit_params` minimizes: the loss plus the weak pull of the hardware fractions.

    Comparable between any two parameter sets on the same rows, so a fold's fit can be checked
    against the full fit evaluated on the fold's training rows.
    """
    x = np.array([_to_free(n, getattr(params, n)) for n in names])
    return loss(data, params, tpot_weight) + _penalty(x, names, prior_weight)


def _penalty(x: F64, names: Sequence[str], prior_weight: float) -> float:
    prior = EfficiencyParams()
    x_prior = np.array([_to_free(n, getattr(prior, n)) for n in names])
    # Only the hardware fractions have a known plausible range; overheads and queueing factors are free.
    has_prior = np.array([n in _FRACTIONS for n in names])
    return prior_weight * float(np.sum(((x - x_prior) * has_prior) ** 2))


@dataclass(frozen=True)
class FitResult:
    """A fit's outcome: the fitted parameters, the objective they reach (loss plus the prior's pull) and
    how many times the objective was evaluated."""

    params: EfficiencyParams
    loss: float
    """The minimized objective (loss plus the prior's pull), as `objective` computes it."""
    evaluations: int


def fit_params(
    data: TrainingData,
    start: EfficiencyParams | None = None,
    names: Sequence[str] = FIT_NAMES,
    restarts: int = FIT_RESTARTS,
    iterations: int = FIT_ITERATIONS,
    tpot_weight: float = TPOT_WEIGHT,
    prior_weight: float = PRIOR_WEIGHT,
) -> FitResult:
    """Fit `names` (global parameters) to the training rows; restarts begin at the last best.

    Several parameters trade off against each other (bandwidth efficiency against per-layer
    overhead, prefill efficiency against prefill passes) along valleys where the loss hardly
    changes. A weak pull of the hardware fractions (bandwidth, compute, link efficiencies) towards
    typical achieved values (the `EfficiencyParams` defaults), `prior_weight` per squared unit of
    logit distance, picks the plausible end of each valley. `start` defaults to the defaults.
    """
    if restarts < 1 or iterations < 1:
        raise InputError(f"restarts and iterations must be >= 1 (got {restarts}, {iterations})")
    base = start or EfficiencyParams()
    x = np.array([_to_free(n, getattr(base, n)) for n in names])
    count = 0

    def f(v: F64) -> float:
        nonlocal count
        count += 1
        return loss(data, _params(base, names, v), tpot_weight) + _penalty(v, names, prior_weight)

    best = f(x)
    for r in range(restarts):
        x_new, value = nelder_mead(f, x, step=0.5 / (r + 1), iterations=iterations)
        if value <= best:
            x, best = x_new, value
    return FitResult(params=_params(base, names, x), loss=best, evaluations=count)


def subset(data: TrainingData, rows: NDArray[np.intp]) -> TrainingData:
    """The training rows at positions `rows`."""
    return TrainingData(
        data.arrays.take(rows), data.ttft_ms[rows], data.tpot_ms[rows], data.groups[rows], data.systems[rows]
    )


@dataclass(frozen=True)
class Fold:
    """One held-out group: its error, and how well the fit without it converged."""

    rows: int
    predicted: int
    ttft_median_ape: float
    tpot_median_ape: float
    fold_objective: float
    """The fold fit's objective on its own training rows (every row but the held-out group's)."""
    reference_objective: float | None
    """The reference parameters' objective on the same training rows (None without a reference).
    Those parameters saw the held-out rows, so they are only compared with, never started from:
    a fold objective above this one means the fold fit stopped short of what its budget can reach."""
    evaluations: int
    seconds: float
    params: EfficiencyParams

    def summary(self) -> dict[str, float | None]:
        """The fold as JSON-ready numbers (parameters left out)."""
        return {
            "rows": self.rows,
            "predicted": self.predicted,
            "ttft_median_ape": self.ttft_median_ape,
            "tpot_median_ape": self.tpot_median_ape,
            "fold_objective": self.fold_objective,
            "reference_objective": self.reference_objective,
            "evaluations": self.evaluations,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class CrossValidation:
    """Leave-one-group-out results: each group, and every row pooled (each predicted without its group)."""

    by: str
    restarts: int
    iterations: int
    folds: dict[str, Fold]
    pooled_rows: int
    pooled_ttft_median_ape: float
    pooled_tpot_median_ape: float

    def summary(self) -> dict[str, object]:
        """JSON-ready: the conditions, each group, and the pooled figure under "(all rows, held out)"."""
        out: dict[str, object] = {
            "start": "defaults",
            "restarts": self.restarts,
            "iterations": self.iterations,
        }
        groups: dict[str, dict[str, float | None]] = {k: f.summary() for k, f in self.folds.items()}
        groups["(all rows, held out)"] = {
            "rows": self.pooled_rows,
            "ttft_median_ape": self.pooled_ttft_median_ape,
            "tpot_median_ape": self.pooled_tpot_median_ape,
        }
        out["groups"] = groups
        return out


def cross_validate(
    data: TrainingData,
    by: str = "model",
    restarts: int = FIT_RESTARTS,
    iterations: int = FIT_ITERATIONS,
    names: Sequence[str] = FIT_NAMES,
    reference: EfficiencyParams | None = None,
    only: Sequence[str] | None = None,
    progress: Callable[[str, Fold], None] | None = None,
) -> CrossValidation:
    """Leave one model (or GPU system, `by="system"`) out: fit on the rest, score the held-out rows.

    Every fold's fit starts from the defaults (`EfficiencyParams()`), never from a fit that has seen
    the held-out rows: there is deliberately no `start` argument. `reference` (typically the full
    fit) is only evaluated on each fold's training rows, to check the fold fit converged as well.
    `only` restricts the folds to these groups (the pooled figure then covers their rows only).
    """
    if by not in ("model", "system"):
        raise InputError(f"cross-validation by {by!r}: use 'model' or 'system'")
    labels = data.groups if by == "model" else data.systems
    groups = sorted(set(labels.tolist()))
    if only is not None:
        unknown = sorted(set(only) - set(groups))
        if unknown:
            raise InputError(
                f"cross-validation: no rows of {', '.join(unknown)}; known {by}s: {', '.join(groups)}"
            )
        groups = [g for g in groups if g in set(only)]
    folds: dict[str, Fold] = {}
    pooled_ttft: list[F64] = []
    pooled_tpot: list[F64] = []
    for held_out in groups:
        t0 = time.perf_counter()
        test = labels == held_out
        train = subset(data, np.flatnonzero(~test))
        fit = fit_params(train, None, names, restarts=restarts, iterations=iterations)
        pred = predict_arrays(data.arrays.take(np.flatnonzero(test)), fit.params)
        with np.errstate(invalid="ignore", divide="ignore"):
            ttft = np.abs(pred.ttft_s * 1e3 / data.ttft_ms[test] - 1.0)
            tpot = np.abs(pred.tpot_s * 1e3 / data.tpot_ms[test] - 1.0)
        ok = pred.fits & np.isfinite(ttft) & np.isfinite(tpot)
        pooled_ttft.append(ttft[ok])
        pooled_tpot.append(tpot[ok])
        fold = Fold(
            rows=int(test.sum()),
            predicted=int(ok.sum()),
            ttft_median_ape=float(np.median(ttft[ok])) if ok.any() else math.nan,
            tpot_median_ape=float(np.median(tpot[ok])) if ok.any() else math.nan,
            fold_objective=fit.loss,
            reference_objective=None if reference is None else objective(train, reference, names),
            evaluations=fit.evaluations,
            seconds=time.perf_counter() - t0,
            params=fit.params,
        )
        folds[held_out] = fold
        if progress is not None:
            progress(held_out, fold)
    all_ttft, all_tpot = np.concatenate(pooled_ttft), np.concatenate(pooled_tpot)
    return CrossValidation(
        by=by,
        restarts=restarts,
        iterations=iterations,
        folds=folds,
        pooled_rows=int(all_ttft.size),
        pooled_ttft_median_ape=float(np.median(all_ttft)) if all_ttft.size else math.nan,
        pooled_tpot_median_ape=float(np.median(all_tpot)) if all_tpot.size else math.nan,
    )
