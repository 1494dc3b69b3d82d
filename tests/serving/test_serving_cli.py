"""`inferonomics serve score | cost | frontier`: outputs, JSON keys, errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serving_helpers import LLAMA31_8B
from test_serving_score import write_points
from typer.testing import CliRunner

from inferonomics.cli.serve import app

runner = CliRunner()


def test_help_texts() -> None:
    out = runner.invoke(app, ["--help"]).output
    for command in ("score", "cost", "frontier"):
        assert command in out
    assert "--tpot-slo" in runner.invoke(app, ["cost", "--help"]).output
    assert "--configs" in runner.invoke(app, ["score", "--help"]).output


def test_score_json(tmp_path: Path) -> None:
    path, configs = write_points(tmp_path)
    result = runner.invoke(app, ["score", str(path), "--configs", str(configs), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("rows", "predicted", "ttft_median_ape", "tpot_median_ape", "ttft_mape", "tpot_mape"):
        assert key in data
    assert (data["rows"], data["predicted"]) == (3, 1)
    assert {"by_system", "by_model", "by_mode", "unpredicted"} <= set(data)


def test_score_table_names_unpredicted_rows(tmp_path: Path) -> None:
    path, configs = write_points(tmp_path)
    result = runner.invoke(app, ["score", str(path), "--configs", str(configs)])
    assert result.exit_code == 0, result.output
    assert "2 row(s) not predicted" in result.output
    assert "nogpu" in result.output


def test_cost_json_keys(llama_config_file: Path) -> None:
    args = ["cost", "--model", str(llama_config_file), "--gpu", "h100", "--isl", "2000", "--osl", "300"]
    result = runner.invoke(app, [*args, "--concurrency", "16", "--gpu-hour-usd", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in (
        "ttft_ms",
        "tpot_ms",
        "output_tokens_per_s_per_gpu",
        "input_usd_per_mtok",
        "output_usd_per_mtok",
        "cached_input_usd_per_mtok",
    ):
        assert key in data
    assert data["gpu_hour_usd"] == "2"
    slo = runner.invoke(app, [*args, "--tpot-slo", "40", "--market", "spot", "--utilization", "0.5"])
    assert slo.exit_code == 0, slo.output
    assert "output_usd_per_mtok" in slo.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--gpu", "h1000", "--concurrency", "4"], "nearest: h100"),
        (["--gpu", "h100"], "exactly one of a concurrency and a TPOT target (--concurrency / --tpot-slo)"),
        (["--gpu", "h100", "--concurrency", "4", "--utilization", "x"], "not a number"),
        (["--gpu", "h100", "--concurrency", "4", "--precision", "fp3"], "'fp3' is not one of"),
        (["--gpu", "l40s", "--concurrency", "4"], "no catalogue price"),
    ],
)
def test_cost_errors_are_messages(llama_config_file: Path, extra: list[str], message: str) -> None:
    base = ["cost", "--model", str(llama_config_file), "--isl", "100", "--osl", "10"]
    result = runner.invoke(app, [*base, *extra])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_config_missing_a_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken_config.json"
    broken.write_text(json.dumps({k: v for k, v in LLAMA31_8B.items() if k != "hidden_size"}))
    args = [
        "cost",
        "--model",
        str(broken),
        "--gpu",
        "h100",
        "--isl",
        "10",
        "--osl",
        "10",
        "--concurrency",
        "1",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "hidden_size" in result.output
    assert "broken_config.json" in result.output


@pytest.mark.shared_data
def test_unknown_model_names_nearest(configs_dir: Path) -> None:
    args = [
        "cost",
        "--model",
        "Qwen/Qwen3-33B",
        "--gpu",
        "h100",
        "--isl",
        "10",
        "--osl",
        "10",
        "--concurrency",
        "1",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "nearest known" in result.output
    assert "Qwen/Qwen3-32B" in result.output


def test_frontier(llama_config_file: Path) -> None:
    args = ["frontier", "--model", str(llama_config_file), "--gpu", "mi300x", "--isl", "1024", "--osl", "256"]
    table = runner.invoke(app, [*args, "--market", "owner_neocloud"])
    assert table.exit_code == 0, table.output
    assert "tok/s/GPU" in table.output
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).output)
    points = data["frontier"]
    assert points
    assert data["configurations"] > len(points)
    # Most interactive first; along the frontier throughput per GPU only rises as interactivity falls.
    inter = [p["tokens_per_s_per_user"] for p in points]
    thr = [p["output_tokens_per_s_per_gpu"] for p in points]
    assert inter == sorted(inter, reverse=True)
    assert thr == sorted(thr)


def test_score_says_whether_it_is_in_sample(tmp_path: Path) -> None:
    # Rows the shipped parameters were never fitted on: the score says so.
    path, configs = write_points(tmp_path)
    result = runner.invoke(app, ["score", str(path), "--configs", str(configs)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "out of sample: none of these 3 rows" in result.output
