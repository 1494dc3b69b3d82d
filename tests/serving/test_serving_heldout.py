"""In-sample or held out: cross-validation folds never see their held-out rows, a score says whether
its rows are the fitted ones, and the published held-out figures are the recorded ones."""

from __future__ import annotations

import csv
import inspect
import json
from pathlib import Path

import numpy as np
import pytest
from test_serving_score import write_points

from inferonomics.serving.calibration import (
    TrainingData,
    cross_validate,
    fit_params,
    objective,
    row_fingerprint,
    subset,
    training_data,
)
from inferonomics.serving.measurements import read_measurements
from inferonomics.serving.params import EfficiencyParams, fitted_record, load_fitted_params
from inferonomics.serving.score import score_file

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = "meta-llama/Llama-3.1-8B-Instruct"  # 134 rows: a small fold keeps the test fast

ROW = {
    "id": "a",
    "silicon_data_source": "dump; silicon_concurrency=64; measured=2026-04-03",
    "backend": "vllm",
    "model_path": "MiniMaxAI/MiniMax-M2.5",
    "system": "b200_sxm",
    "mode": "agg",
    "isl": 1024,
    "osl": 1024,
    "gemm_quant_mode": "fp8",
    "moe_quant_mode": "fp8",
    "batch_size": 16,
    "tp_size": 4,
    "pp_size": 1,
    "attention_dp_size": 4,
    "moe_tp_size": 1,
    "moe_ep_size": 16,
    "prefill_num_workers": None,
    "silicon_ttft_ms": 146.97408211941365,
    "silicon_tpot_ms": 16.22755031815982,
}


def test_fingerprint_ignores_ids_dates_column_order_and_number_format() -> None:
    rewritten = {k: ROW[k] for k in reversed(list(ROW))}  # another tool's column order
    rewritten |= {
        "id": "copy-of-a",
        "silicon_data_source": "source_file=x.csv; silicon_concurrency=64; image=vllm:v0.19",
        "isl": "1024.0",
        "tp_size": "4",
        "prefill_num_workers": "",
        "silicon_ttft_ms": "146.974",  # rounded on the way through a spreadsheet
        "silicon_tpot_ms": 16.2276,
    }
    assert row_fingerprint(rewritten) == row_fingerprint(ROW)


@pytest.mark.parametrize(
    "change",
    [
        {"silicon_tpot_ms": 16.4},  # another measurement of the same configuration
        {"tp_size": 8},
        {"silicon_data_source": "dump; silicon_concurrency=128"},
        {"backend": "sglang"},
    ],
)
def test_fingerprint_changes_with_what_ran_or_was_measured(change: dict[str, object]) -> None:
    assert row_fingerprint(ROW | change) != row_fingerprint(ROW)


def test_new_rows_are_scored_out_of_sample(tmp_path: Path) -> None:
    path, configs = write_points(tmp_path)  # invented rows of a test model
    report = score_file(path, configs)
    assert (report.in_sample, report.fitted_rows) == (False, 0)
    assert report.note == "out of sample: none of these 3 rows is one the shipped parameters were fitted on"


def test_caller_parameters_make_the_overlap_unknown(tmp_path: Path) -> None:
    path, configs = write_points(tmp_path)
    report = score_file(path, configs, EfficiencyParams())
    assert (report.in_sample, report.fitted_rows) == (None, None)
    assert report.note.startswith("parameters passed by the caller")


def _held_out_text() -> str:
    record = fitted_record()
    assert record is not None
    pooled = record["cross_validation"]["model"]["groups"]["(all rows, held out)"]
    return (
        f"held-out error by model is {100 * pooled['ttft_median_ape']:.1f} % TTFT / "
        f"{100 * pooled['tpot_median_ape']:.1f} % TPOT (median, docs/serving.md)"
    )


@pytest.mark.shared_data
def test_calibration_file_is_scored_in_sample(calibration_csv: Path, configs_dir: Path) -> None:
    report = score_file(calibration_csv, configs_dir)
    assert (report.in_sample, report.fitted_rows) == (True, 2737)
    assert report.note == (
        "in-sample: these 2737 rows are ones the shipped parameters were fitted on; " + _held_out_text()
    )


@pytest.mark.shared_data
def test_a_rewritten_part_of_the_calibration_file_is_partly_in_sample(
    calibration_csv: Path, configs_dir: Path, tmp_path: Path
) -> None:
    with calibration_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))[:50]
    columns = [c for c in reversed(list(rows[0])) if c != "backend_version"]
    for k, row in enumerate(rows):
        row["id"] = f"mine-{k}"
        row["silicon_ttft_ms"] = f"{float(row['silicon_ttft_ms']):.6g}"
    rows[7]["silicon_tpot_ms"] = str(2 * float(rows[7]["silicon_tpot_ms"]))  # re-measured: a new row
    path = tmp_path / "mine.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    report = score_file(path, configs_dir)
    assert (report.in_sample, report.fitted_rows) == (True, 49)
    assert report.note == (
        "partly in-sample: 49 of these 50 rows are ones the shipped parameters were fitted on; "
        + _held_out_text()
    )


def test_cross_validation_takes_no_start() -> None:
    assert "start" not in inspect.signature(cross_validate).parameters


@pytest.fixture
def calibration_data(calibration_csv: Path, configs_dir: Path) -> TrainingData:
    return training_data(read_measurements(calibration_csv, configs_dir))


@pytest.mark.shared_data
def test_a_fold_never_sees_its_held_out_rows(calibration_data: TrainingData) -> None:
    data = calibration_data
    test = data.groups == HELD_OUT
    # The held-out model's measurements made 3x slower: a fold fit that saw them would move.
    slower = TrainingData(
        data.arrays,
        np.where(test, 3 * data.ttft_ms, data.ttft_ms),
        np.where(test, 3 * data.tpot_ms, data.tpot_ms),
        data.groups,
        data.systems,
    )
    shipped = load_fitted_params()
    fold = cross_validate(data, "model", 1, 15, reference=shipped, only=[HELD_OUT]).folds[HELD_OUT]
    fold_slower = cross_validate(slower, "model", 1, 15, only=[HELD_OUT]).folds[HELD_OUT]
    assert fold_slower.params == fold.params
    assert fold_slower.tpot_median_ape != pytest.approx(fold.tpot_median_ape, abs=0.05)
    # ... and it starts from the defaults: the same as fitting the other rows from the defaults.
    train = subset(data, np.flatnonzero(~test))
    assert fold.params == fit_params(train, None, restarts=1, iterations=15).params
    assert fold.params != fit_params(train, shipped, restarts=1, iterations=15).params
    # The reference is only compared with: the full fit evaluated on the fold's training rows.
    assert fold.reference_objective == pytest.approx(objective(train, shipped))
    assert fold.rows == int(test.sum()) == 134


def test_recorded_cross_validation_is_from_the_defaults_and_converged() -> None:
    record = fitted_record()
    assert record is not None
    for by in ("model", "system"):
        cv = record["cross_validation"][by]
        assert (cv["start"], cv["restarts"], cv["iterations"]) == ("defaults", 4, 1500)
        for name, fold in cv["groups"].items():
            if name == "(all rows, held out)":
                continue
            # Each fold fit reaches at least what the full fit scores on its training rows (which it
            # was not fitted for), within 0.005: the fold fits converged as well as the full fit.
            assert fold["fold_objective"] <= fold["reference_objective"] + 0.005, name


@pytest.mark.parametrize("doc", ["README.md", "docs/serving.md"])
def test_published_held_out_figures_are_the_recorded_ones(doc: str) -> None:
    record = fitted_record()
    assert record is not None
    text = " ".join((ROOT / doc).read_text().split())
    for by in ("model", "system") if doc == "docs/serving.md" else ("model",):
        pooled = record["cross_validation"][by]["groups"]["(all rows, held out)"]
        ttft, tpot = (f"{100 * pooled[k]:.1f} %" for k in ("ttft_median_ape", "tpot_median_ape"))
        phrase = f"held out by {by}, every row pooled: TTFT {ttft}, TPOT {tpot}"
        assert phrase.lower() in text.lower(), f"{doc} should say: {phrase}"


def test_recorded_fit_states_its_rows() -> None:
    record = fitted_record()
    assert record is not None
    fitted_on = record["fitted_on"]
    # Distinct fingerprints: the file repeats some measurements verbatim under two ids.
    assert 0 < len(fitted_on["row_fingerprints"]) <= fitted_on["rows_used"]
    assert json.dumps(fitted_on["row_fingerprints"]) == json.dumps(sorted(fitted_on["row_fingerprints"]))
