"""The scoreboard: the serving model's error against measured points.

For each measured row the model predicts TTFT and TPOT; the absolute percentage error is
|predicted - measured| / measured. Reported overall and by system, model and mode: rows, rows
predicted, median and mean absolute percentage error (as fractions: 0.12 is 12 %). A row the model
cannot predict is counted in `rows`, not in `predicted`, and named in `unpredicted` with its reason.

A score says whether it is in-sample: `fitted_rows` counts the scored rows the shipped parameters
were fitted on (matched by content fingerprint against what `fitted_params.json` records), and
`note` states it in one line with the held-out error by model from the same file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from inferonomics.errors import InputError
from inferonomics.serving.calibration import file_fingerprints
from inferonomics.serving.measurements import MeasuredSet, read_measurements
from inferonomics.serving.params import EfficiencyParams, fitted_record, load_fitted_params
from inferonomics.serving.physics import Side, weight_bytes_per_gpu
from inferonomics.serving.steady import predict_arrays

__all__ = [
    "GroupScore",
    "ScoreReport",
    "UnpredictedEntry",
    "held_out_by_model",
    "predict_measured",
    "sample_overlap",
    "score_file",
    "score_measured",
]


class GroupScore(BaseModel):
    """Errors over one group of rows (fractions; None when no row of the group was predicted)."""

    model_config = ConfigDict(frozen=True)

    rows: int = Field(description="Rows in the group.")
    predicted: int = Field(description="Rows the model predicted.")
    ttft_median_ape: float | None = Field(description="Median absolute percentage error of TTFT.")
    tpot_median_ape: float | None = Field(description="Median absolute percentage error of TPOT.")
    ttft_mape: float | None = Field(description="Mean absolute percentage error of TTFT.")
    tpot_mape: float | None = Field(description="Mean absolute percentage error of TPOT.")
    ttft_median_signed: float | None = Field(description="Median signed error of TTFT (+: over-predicted).")
    tpot_median_signed: float | None = Field(description="Median signed error of TPOT (+: over-predicted).")


class UnpredictedEntry(BaseModel):
    """A row of the scored file that has no prediction or no measurement to compare with: its line (header
    = 1), its id and why."""

    model_config = ConfigDict(frozen=True)

    line: int = Field(description="Line in the file (header = 1).")
    id: str = Field(description="The row's id.")
    reason: str = Field(description="Why the row was not predicted.")


class ScoreReport(BaseModel):
    """Score of the serving model on a file of measured points."""

    model_config = ConfigDict(frozen=True)

    file: str = Field(description="The scored file.")
    rows: int = Field(description="Rows in the file.")
    predicted: int = Field(description="Rows predicted.")
    ttft_median_ape: float | None = Field(description="Median absolute percentage error of TTFT (fraction).")
    tpot_median_ape: float | None = Field(description="Median absolute percentage error of TPOT (fraction).")
    ttft_mape: float | None = Field(description="Mean absolute percentage error of TTFT (fraction).")
    tpot_mape: float | None = Field(description="Mean absolute percentage error of TPOT (fraction).")
    by_system: dict[str, GroupScore] = Field(description="Breakdown by GPU system.")
    by_model: dict[str, GroupScore] = Field(description="Breakdown by model.")
    by_mode: dict[str, GroupScore] = Field(description="Breakdown by mode (agg / disagg).")
    unpredicted: list[UnpredictedEntry] = Field(description="Rows not predicted, with reasons.")
    in_sample: bool | None = Field(
        description=(
            "True if any scored row is one the shipped parameters were fitted on (the error is then "
            "in-sample and flatters the model), False if none is; None when it cannot be told "
            "(parameters passed by the caller, or the scored file cannot be re-read)."
        )
    )
    fitted_rows: int | None = Field(
        description="Scored rows the shipped parameters were fitted on (None when in_sample is None)."
    )
    note: str = Field(
        description="One line: whether the error is in-sample, and the held-out error by model."
    )


def predict_measured(
    measured: MeasuredSet, params: EfficiencyParams
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[tuple[int, str]]]:
    """Predicted TTFT and TPOT (ms, NaN where not predicted) per row, and rows lost in prediction."""
    n = measured.n_rows
    ttft = np.full(n, np.nan)
    tpot = np.full(n, np.nan)
    lost: list[tuple[int, str]] = []
    if measured.arrays is None:
        return ttft, tpot, lost
    pred = predict_arrays(measured.arrays, params)
    ok = pred.fits & np.isfinite(pred.ttft_s) & np.isfinite(pred.tpot_s)
    idx = measured.predictable
    ttft[idx[ok]] = pred.ttft_s[ok] * 1e3
    tpot[idx[ok]] = pred.tpot_s[ok] * 1e3
    a = measured.arrays
    weights = weight_bytes_per_gpu(a, Side.decode(a))
    for k in np.flatnonzero(~pred.fits):
        reason = (
            f"weights need {weights[k] / 1e9:.0f} GB per GPU with the stated layout (tp={a.tp[k]:.0f}, "
            f"attention_dp={a.adp[k]:.0f}, moe_ep={a.moe_ep[k]:.0f}); a {measured.systems[idx[k]]} "
            f"has {a.hbm_bytes[k] / 1e9:.0f} GB, so the row's parallelism columns cannot be what ran"
        )
        lost.append((int(idx[k]), reason))
    return ttft, tpot, lost


def _group(
    mask: NDArray[np.bool_],
    ttft_ape: NDArray[np.float64],
    tpot_ape: NDArray[np.float64],
    ttft_err: NDArray[np.float64],
    tpot_err: NDArray[np.float64],
) -> GroupScore:
    ok = mask & np.isfinite(ttft_ape) & np.isfinite(tpot_ape)

    def stat(values: NDArray[np.float64], f: str) -> float | None:
        v = values[ok]
        if v.size == 0:
            return None
        return round(float(np.median(v) if f == "median" else np.mean(v)), 4)

    return GroupScore(
        rows=int(mask.sum()),
        predicted=int(ok.sum()),
        ttft_median_ape=stat(ttft_ape, "median"),
        tpot_median_ape=stat(tpot_ape, "median"),
        ttft_mape=stat(ttft_ape, "mean"),
        tpot_mape=stat(tpot_ape, "mean"),
        ttft_median_signed=stat(ttft_err, "median"),
        tpot_median_signed=stat(tpot_err, "median"),
    )


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def held_out_by_model() -> tuple[float, float] | None:
    """Median TTFT and TPOT error of every row predicted by parameters fitted without its model,
    as `fitted_params.json` records it (None if it records no cross-validation from the defaults)."""
    record = fitted_record() or {}
    cv = (record.get("cross_validation") or {}).get("model") or {}
    pooled = (cv.get("groups") or {}).get("(all rows, held out)")
    if cv.get("start") != "defaults" or not pooled:
        return None
    return float(pooled["ttft_median_ape"]), float(pooled["tpot_median_ape"])


def sample_overlap(
    path: Path, n_rows: int, params: EfficiencyParams | None
) -> tuple[bool | None, int | None, str]:
    """(in_sample, fitted_rows, note) of scoring the file at `path` with `params` (None: shipped)."""
    if params is not None and params != load_fitted_params():
        return (
            None,
            None,
            "parameters passed by the caller: whether they were fitted on these rows is not known",
        )
    record = fitted_record()
    if record is None:
        return (
            False,
            0,
            f"out of sample: no fitted parameters are shipped, the defaults scored these {n_rows} rows",
        )
    held = held_out_by_model()
    held_text = (
        f"; held-out error by model is {_pct(held[0])} TTFT / {_pct(held[1])} TPOT (median, docs/serving.md)"
        if held
        else ""
    )
    fitted_on = record.get("fitted_on") or {}
    known = fitted_on.get("row_fingerprints")
    try:
        if known is not None:
            known_set = set(known)
            overlap = sum(fp in known_set for fp in file_fingerprints(path))
        elif hashlib.sha256(path.read_bytes()).hexdigest() == fitted_on.get("sha256"):
            overlap = n_rows  # the very file the parameters were fitted on
        else:
            return (
                None,
                None,
                "the shipped parameters do not record their rows: overlap with this file unknown",
            )
    except (OSError, InputError):
        return None, None, f"{path} cannot be re-read: overlap with the fitted rows unknown"
    if overlap == 0:
        return (
            False,
            0,
            f"out of sample: none of these {n_rows} rows is one the shipped parameters were fitted on",
        )
    if overlap == n_rows:
        return (
            True,
            overlap,
            f"in-sample: these {n_rows} rows are ones the shipped parameters were fitted on{held_text}",
        )
    share = f"{overlap} of these {n_rows} rows are ones the shipped parameters were fitted on"
    return True, overlap, f"partly in-sample: {share}{held_text}"


def score_measured(measured: MeasuredSet, params: EfficiencyParams | None = None) -> ScoreReport:
    """Score the model on already-read measurements (`params`: the shipped fit when None)."""
    in_sample, fitted_rows, note = sample_overlap(Path(measured.path), measured.n_rows, params)
    params = params or load_fitted_params()
    ttft, tpot, lost = predict_measured(measured, params)
    with np.errstate(invalid="ignore", divide="ignore"):
        ttft_err = ttft / measured.measured_ttft_ms - 1.0
        tpot_err = tpot / measured.measured_tpot_ms - 1.0
    ttft_ape = np.abs(ttft_err)
    tpot_ape = np.abs(tpot_err)
    unpredicted = [UnpredictedEntry(line=u.line, id=u.row_id, reason=u.reason) for u in measured.unpredicted]
    unpredicted += [UnpredictedEntry(line=i + 2, id=measured.row_ids[i], reason=r) for i, r in lost]
    bad_measure = ~(np.isfinite(measured.measured_ttft_ms) & np.isfinite(measured.measured_tpot_ms))
    for i in np.flatnonzero(bad_measure & np.isfinite(ttft)):
        unpredicted.append(
            UnpredictedEntry(line=int(i) + 2, id=measured.row_ids[i], reason="measured TTFT or TPOT is empty")
        )
    unpredicted.sort(key=lambda u: u.line)
    everything = np.ones(measured.n_rows, dtype=bool)
    overall = _group(everything, ttft_ape, tpot_ape, ttft_err, tpot_err)

    def breakdown(labels: list[str]) -> dict[str, GroupScore]:
        arr = np.array(labels, dtype=object)
        return {str(k): _group(arr == k, ttft_ape, tpot_ape, ttft_err, tpot_err) for k in sorted(set(labels))}

    return ScoreReport(
        file=measured.path,
        rows=overall.rows,
        predicted=overall.predicted,
        ttft_median_ape=overall.ttft_median_ape,
        tpot_median_ape=overall.tpot_median_ape,
        ttft_mape=overall.ttft_mape,
        tpot_mape=overall.tpot_mape,
        by_system=breakdown(measured.systems),
        by_model=breakdown(measured.models),
        by_mode=breakdown(measured.modes),
        unpredicted=unpredicted,
        in_sample=in_sample,
        fitted_rows=fitted_rows,
        note=note,
    )


def score_file(
    path: Path, configs_dir: Path | None = None, params: EfficiencyParams | None = None
) -> ScoreReport:
    """Read a measured-points CSV and score the model on it."""
    return score_measured(read_measurements(path, configs_dir), params)
