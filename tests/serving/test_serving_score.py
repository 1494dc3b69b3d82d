"""The scoreboard: every row counted, unpredictable rows named, errors as fractions."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from serving_helpers import LLAMA31_8B

from inferonomics.serving.calibration import nelder_mead
from inferonomics.serving.measurements import read_measurements
from inferonomics.serving.params import FIT_NAMES, EfficiencyParams, load_fitted_params
from inferonomics.serving.score import score_file

HEADER = [
    "id",
    "silicon_data_source",
    "backend",
    "model_path",
    "system",
    "precision",
    "mode",
    "isl",
    "osl",
    "gemm_quant_mode",
    "moe_quant_mode",
    "batch_size",
    "tp_size",
    "pp_size",
    "attention_dp_size",
    "moe_tp_size",
    "moe_ep_size",
    "silicon_ttft_ms",
    "silicon_tpot_ms",
]


def write_points(tmp_path: Path) -> tuple[Path, Path]:
    """A three-row file in the calibration format: one good row, an unknown model, an unknown GPU."""
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "test--Llama-8B_config.json").write_text(json.dumps(LLAMA31_8B))
    rows = [
        [
            "ok",
            "silicon_concurrency=8",
            "vllm",
            "test/Llama-8B",
            "h100_sxm",
            "bf16",
            "agg",
            1024,
            128,
            "",
            "",
            8,
            1,
            1,
            1,
            "",
            "",
            120.0,
            9.0,
        ],
        [
            "nomodel",
            "silicon_concurrency=8",
            "vllm",
            "test/Nope-1B",
            "h100_sxm",
            "bf16",
            "agg",
            1024,
            128,
            "",
            "",
            8,
            1,
            1,
            1,
            "",
            "",
            100.0,
            5.0,
        ],
        [
            "nogpu",
            "silicon_concurrency=8",
            "vllm",
            "test/Llama-8B",
            "h900",
            "bf16",
            "agg",
            1024,
            128,
            "",
            "",
            8,
            1,
            1,
            1,
            "",
            "",
            100.0,
            5.0,
        ],
    ]
    path = tmp_path / "points.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path, configs


def test_unpredictable_rows_are_counted_and_named(tmp_path: Path) -> None:
    path, configs = write_points(tmp_path)
    report = score_file(path, configs)
    assert (report.rows, report.predicted) == (3, 1)
    reasons = {u.id: u.reason for u in report.unpredicted}
    assert set(reasons) == {"nomodel", "nogpu"}
    assert "unknown model" in reasons["nomodel"]
    assert "unknown GPU 'h900'" in reasons["nogpu"]
    assert report.by_system["h100_sxm"].rows == 2
    assert report.by_system["h100_sxm"].predicted == 1
    # Errors are fractions of the measurement.
    assert report.tpot_median_ape is not None
    assert report.tpot_median_ape < 5


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,model_path\nx,y\n")
    with pytest.raises(ValueError, match="missing column"):
        read_measurements(path)


@pytest.mark.shared_data
def test_calibration_file_is_predicted(calibration_csv: Path, configs_dir: Path) -> None:
    report = score_file(calibration_csv, configs_dir)
    assert report.rows == 2737
    assert report.predicted >= 0.98 * report.rows
    assert report.rows - report.predicted == len(report.unpredicted)
    assert sum(g.rows for g in report.by_mode.values()) == report.rows
    assert sum(g.rows for g in report.by_system.values()) == report.rows


def test_fitted_parameters_load_and_are_global() -> None:
    params = load_fitted_params()
    assert isinstance(params, EfficiencyParams)
    assert set(FIT_NAMES) <= set(EfficiencyParams.model_fields)
    assert len(FIT_NAMES) <= 30  # a small set of global parameters, not a table per model or point


def test_nelder_mead_finds_a_minimum() -> None:
    import numpy as np

    x, value = nelder_mead(
        lambda v: float((v[0] - 1.5) ** 2 + 3 * (v[1] + 0.5) ** 2), np.zeros(2), iterations=400
    )
    assert value < 1e-5
    assert x == pytest.approx([1.5, -0.5], abs=3e-3)
