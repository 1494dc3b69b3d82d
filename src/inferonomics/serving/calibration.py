"""Fitting the global efficiency parameters to measured points, and cross-validating the fit.

The loss is the mean absolute log error of TTFT and of TPOT over all predicted rows (a robust,
scale-free error: a factor of 2 too high costs what a factor of 2 too low does, and a few wild
rows do not dominate), TPOT weighted `tpot_weight` times. Parameters are searched in log space
(or logit space for fractions) by Nelder-Mead from several starts; no per-model or per-point term
exists to fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inferonomics.errors import InputError
from inferonomics.serving.configs import ConfigArrays
from inferonomics.serving.measurements import MeasuredSet
from inferonomics.serving.params import FIT_NAMES, EfficiencyParams
from inferonomics.serving.steady import predict_arrays

__all__ = ["FitResult", "cross_validate", "fit_params", "nelder_mead", "training_data"]

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
    arrays: ConfigArrays
    ttft_ms: F64
    tpot_ms: F64
    groups: NDArray[np.str_]
    """The model of each row (for leave-one-model-out cross-validation)."""
    systems: NDArray[np.str_]
    """The GPU system of each row (for leave-one-system-out cross-validation)."""


def training_data(measured: MeasuredSet) -> TrainingData:
    """The predictable rows with finite, positive measurements."""
    if measured.arrays is None:
        raise InputError(f"{measured.path}: no predictable rows")
    idx = measured.predictable
    ttft = measured.measured_ttft_ms[idx]
    tpot = measured.measured_tpot_ms[idx]
    ok = np.isfinite(ttft) & np.isfinite(tpot) & (ttft > 0) & (tpot > 0)
    keep = np.flatnonzero(ok)
    models = np.array(measured.models, dtype=str)[idx][keep]
    systems = np.array(measured.systems, dtype=str)[idx][keep]
    return TrainingData(measured.arrays.take(keep), ttft[keep], tpot[keep], models, systems)


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


@dataclass(frozen=True)
class FitResult:
    params: EfficiencyParams
    loss: float
    evaluations: int


def fit_params(
    data: TrainingData,
    start: EfficiencyParams | None = None,
    names: Sequence[str] = FIT_NAMES,
    restarts: int = 3,
    iterations: int = 600,
    tpot_weight: float = 2.0,
    prior_weight: float = 0.002,
) -> FitResult:
    """Fit `names` (global parameters) to the training rows; restarts begin at the last best.

    Several parameters trade off against each other (bandwidth efficiency against per-layer
    overhead, prefill efficiency against prefill passes) along valleys where the loss hardly
    changes. A weak pull of the hardware fractions (bandwidth, compute, link efficiencies) towards
    typical achieved values (the `EfficiencyParams` defaults), `prior_weight` per squared unit of
    logit distance, picks the plausible end of each valley.
    """
    base = start or EfficiencyParams()
    prior = EfficiencyParams()
    x_prior = np.array([_to_free(n, getattr(prior, n)) for n in names])
    # Only the hardware fractions have a known plausible range; overheads and queueing factors are free.
    has_prior = np.array([n in _FRACTIONS for n in names])
    x = np.array([_to_free(n, getattr(base, n)) for n in names])
    count = 0

    def f(v: F64) -> float:
        nonlocal count
        count += 1
        penalty = prior_weight * float(np.sum(((v - x_prior) * has_prior) ** 2))
        return loss(data, _params(base, names, v), tpot_weight) + penalty

    best = f(x)
    for r in range(restarts):
        x_new, value = nelder_mead(f, x, step=0.5 / (r + 1), iterations=iterations)
        if value <= best:
            x, best = x_new, value
    return FitResult(params=_params(base, names, x), loss=best, evaluations=count)


def cross_validate(
    data: TrainingData,
    start: EfficiencyParams | None = None,
    names: Sequence[str] = FIT_NAMES,
    restarts: int = 1,
    iterations: int = 300,
    by: str = "model",
) -> dict[str, dict[str, float]]:
    """Leave one model (or GPU system, `by="system"`) out: fit on the rest, score the held-out rows."""
    labels = data.groups if by == "model" else data.systems
    out: dict[str, dict[str, float]] = {}
    pooled_ttft: list[F64] = []
    pooled_tpot: list[F64] = []
    for held_out in sorted(set(labels.tolist())):
        test = labels == held_out
        keep = np.flatnonzero(~test)
        train = TrainingData(
            data.arrays.take(keep),
            data.ttft_ms[keep],
            data.tpot_ms[keep],
            data.groups[keep],
            data.systems[keep],
        )
        fitted = fit_params(train, start, names, restarts=restarts, iterations=iterations).params
        pred = predict_arrays(data.arrays.take(np.flatnonzero(test)), fitted)
        ttft = np.abs(pred.ttft_s * 1e3 / data.ttft_ms[test] - 1.0)
        tpot = np.abs(pred.tpot_s * 1e3 / data.tpot_ms[test] - 1.0)
        ok = pred.fits
        pooled_ttft.append(ttft[ok])
        pooled_tpot.append(tpot[ok])
        out[held_out] = {
            "rows": float(test.sum()),
            "ttft_median_ape": float(np.median(ttft[ok])) if ok.any() else math.nan,
            "tpot_median_ape": float(np.median(tpot[ok])) if ok.any() else math.nan,
        }
    # Every row predicted by parameters that never saw its group.
    all_ttft, all_tpot = np.concatenate(pooled_ttft), np.concatenate(pooled_tpot)
    out["(all rows, held out)"] = {
        "rows": float(all_ttft.size),
        "ttft_median_ape": float(np.median(all_ttft)),
        "tpot_median_ape": float(np.median(all_tpot)),
    }
    return out
