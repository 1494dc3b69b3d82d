"""An engine's failure while it reads the data is the user's to fix, told in one line: a Parquet
file whose footer reads but whose pages do not (cut short, damaged), and DuckDB out of memory.
The CLI's cases run as a whole process; the hostile corpus (`corpus.py`,
`parquet-data-*`) runs the damaged files through the command as well."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from inferonomics.cli._failures import engine_failure

from .corpus import damaged_parquet


def _good(path: Path, rows: int = 3) -> Path:
    pq.write_table(
        pa.table(
            {
                "ts": ["2026-01-05T10:00:00Z"] * rows,
                "request_id": [f"r{i}" for i in range(rows)],
                "provider": ["openai"] * rows,
                "model": ["gpt-4o"] * rows,
                "input_tokens": pa.array(range(rows), pa.int64()),
                "output_tokens": pa.array([100] * rows, pa.int64()),
            }
        ),
        path,
    )
    return path


def test_a_message_naming_no_file_is_traced_to_the_file_that_does_not_read(tmp_path: Path) -> None:
    # DuckDB's message through Ibis names no file; each Parquet input is read until one fails.
    good = _good(tmp_path / "good.parquet")
    cut = tmp_path / "cut.parquet"
    damaged_parquet("cut")(cut)
    csv = tmp_path / "usage.csv"
    csv.write_text("not parquet\n")
    error = engine_failure(
        duckdb.Error("Prefetch registered requested for bytes outside file"), [csv, good, cut]
    )
    assert error is not None
    assert str(error).startswith(f"{cut}: its data could not be read (DuckDB: Prefetch registered")
    assert error.exit_code == 1


def test_a_folder_of_parquet_is_searched_and_when_none_fails_all_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    a = _good(folder / "a.parquet")
    flipped = folder / "b.parquet"
    damaged_parquet("flipped")(flipped)
    found = engine_failure(duckdb.InvalidInputException("Invalid Input Error: TProtocolException"), [folder])
    assert found is not None
    assert str(found).startswith(f"{flipped}: its data could not be read")
    b = _good(tmp_path / "b.parquet")
    neither = engine_failure(duckdb.IOException("IO Error: read failed"), [a, b])
    assert neither is not None
    assert str(neither).startswith(f"the data of one of {a}, {b} could not be read (DuckDB: IO Error")


def test_credentials_in_a_url_are_not_repeated_and_other_errors_are_not_taken() -> None:
    error = engine_failure(duckdb.IOException("cannot open postgresql://admin:hunter2@db.internal/usage"))
    assert error is not None
    assert "hunter2" not in str(error)
    assert "postgresql://…@db.internal/usage" in str(error)
    # A mistake in a query is a defect, not the user's input: let through with its traceback.
    assert engine_failure(duckdb.BinderException("Binder Error: column x not found")) is None
    assert engine_failure(ValueError("x")) is None


def test_out_of_memory_under_the_limit_says_to_raise_it(tmp_path: Path) -> None:
    ledger = _good(tmp_path / "ledger.parquet", rows=300_000)
    result = subprocess.run(
        [sys.executable, "-m", "inferonomics", "bill", str(ledger)],
        capture_output=True,
        text=True,
        env={**os.environ, "INFERONOMICS_MEMORY_LIMIT": "1MB", "INFERONOMICS_CACHE": "off"},
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith(
        "error: DuckDB ran out of memory under INFERONOMICS_MEMORY_LIMIT=1MB (Out of Memory"
    )
    assert line.endswith("raise the limit, or bill the files in parts")
