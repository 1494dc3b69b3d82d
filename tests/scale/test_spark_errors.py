"""A Spark session that cannot start is the user's set-up to fix (a master URL, a Spark Connect
server, its client library): the command says so in one line and exits 1, never with PySpark's
traceback, and never repeats the URL (a Spark Connect URL can carry a token). Run as a user meets
it: the whole `python -m inferonomics` process."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="PySpark is not installed: pip install 'inferonomics[spark]'")


def _bill(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    usage = tmp_path / "one.csv"
    usage.write_text(
        "ts,provider,model,input_tokens,output_tokens\n2025-12-01T00:00:00Z,openai,gpt-4o,1000,100\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "INFERONOMICS_SPARK_MASTER")}
    return subprocess.run(
        [sys.executable, "-m", "inferonomics", "bill", str(usage), "--engine", "spark"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, **env},
    )


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.skipif(
    importlib.util.find_spec("grpc") is not None, reason="Spark Connect's client is installed here"
)
def test_spark_remote_without_the_connect_client_says_what_to_install(tmp_path: Path) -> None:
    result = _bill(tmp_path, SPARK_REMOTE="sc://127.0.0.1:15999/;token=SECRET-123")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "SECRET-123" not in result.stderr + result.stdout
    (line,) = _error_lines(result.stderr)
    assert "pip install 'pyspark[connect]'" in line
    assert "grpcio" in line  # PySpark's own reason, kept


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (java is not on PATH)")
def test_a_master_spark_refuses_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = _bill(tmp_path, INFERONOMICS_SPARK_MASTER="nonsense://cluster")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = _error_lines(result.stderr)
    assert "could not start a Spark session on INFERONOMICS_SPARK_MASTER's master" in line
    assert "nonsense://cluster" not in line
    assert result.stdout == ""  # no bill printed


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (java is not on PATH)")
def test_a_parquet_file_whose_data_spark_cannot_read_is_one_line_naming_it(tmp_path: Path) -> None:
    # The footer reads (so the schema checks pass); Spark's reader fails on the pages mid-job.
    name = "hostile_corpus"
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "hostile" / "corpus.py")
    assert spec is not None
    assert spec.loader is not None
    corpus = sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look it up
    spec.loader.exec_module(corpus)
    damaged_parquet = corpus.damaged_parquet

    cut = tmp_path / "cut.parquet"
    damaged_parquet("cut")(cut)
    clean = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "INFERONOMICS_SPARK_MASTER")}
    result = subprocess.run(
        [sys.executable, "-m", "inferonomics", "bill", str(cut), "--engine", "spark"],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = _error_lines(result.stderr)
    assert line.startswith(f"error: {cut}: its data could not be read (Spark: java.io.EOFException")
    assert line.endswith("write it again from its source, or leave it out")
    assert result.stdout == ""
