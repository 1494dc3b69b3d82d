"""Stage directories left by killed processes: the next ledger opened removes them, and only them.

A process killed mid-bill (SIGKILL, out of memory, a closed terminal) cannot remove its staged
parts, which for a big input are gigabytes in the temporary directory. Each stage directory names
its owner (host, PID namespace, PID); opening a ledger removes those whose owner has ended."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from inferonomics.ledger import staging
from inferonomics.ledger.core import Ledger


def _ended_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def _stage(root: Path, name: str, owner: str | None) -> Path:
    path = root / f"{staging.STAGE_PREFIX}{name}"
    path.mkdir()
    (path / "part-00000.parquet").write_bytes(b"PAR1")
    if owner is not None:
        (path / staging.OWNER_FILE).write_text(owner + "\n")
    return path


def _csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["ts", "provider", "model", "request_id", "input_tokens", "output_tokens"])
        for i in range(rows):
            out.writerow(["2026-11-02T10:00:00Z", "openai", "gpt-4o", f"r{i}", 1000, 100])
    return path


def test_only_the_stages_of_ended_processes_here_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = _ended_pid()
    here = staging._owner(ended)
    host, namespace, _ = here.split(" ")
    dead = _stage(tmp_path, "dead", here)
    alive = _stage(tmp_path, "alive", staging._owner(os.getpid()))
    unnamed = _stage(tmp_path, "old", None)
    garbled = _stage(tmp_path, "garbled", "not an owner")
    elsewhere = _stage(tmp_path, "elsewhere", f"{host}-other {namespace} {ended}")
    other_ns = _stage(tmp_path, "otherns", f"{host} pid:[1] {ended}")
    ledger_csv = _csv(tmp_path / "usage.csv", 2)

    ledger = Ledger.open([ledger_csv])

    assert not dead.exists()
    for kept in (alive, unnamed, garbled, elsewhere, other_ns):
        assert (kept / "part-00000.parquet").exists(), kept.name
    kept_names = {p.name for p in (alive, unnamed, garbled, elsewhere, other_ns)}
    (mine,) = [p for p in tmp_path.glob(staging.STAGE_PREFIX + "*") if p.name not in kept_names]
    assert (mine / staging.OWNER_FILE).read_text().split() == [host, namespace, str(os.getpid())]
    assert ledger.quarantine().num_rows == 0


def test_a_killed_bill_leaves_its_parts_and_the_next_run_removes_them(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "INFERONOMICS_CACHE": "off"}
    big = _csv(tmp_path / "big.csv", 400_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "inferonomics", "bill", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    # Killed once it has staged parts (a 400k-row CSV is staged 100k rows at a time).
    while not list(temp.glob(f"{staging.STAGE_PREFIX}*/*.parquet")):
        assert proc.poll() is None, "the bill ended before it staged anything"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (left,) = list(temp.glob(staging.STAGE_PREFIX + "*"))
    assert list(left.glob("*.parquet"))

    small = _csv(tmp_path / "small.csv", 1)
    result = subprocess.run(
        [sys.executable, "-m", "inferonomics", "bill", str(small)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "rows read 1 = billed 1 + quarantined 0" in result.stderr
    assert "$0.003500" in result.stdout  # (gpt-4o: 1,000 × $2.50/M + 100 × $10/M)
    assert not left.exists()
    assert not list(temp.glob(staging.STAGE_PREFIX + "*"))  # (its own went at exit)


def test_a_ledger_spills_into_its_stage_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB spills a query bigger than its memory limit into `temp_directory`, by default `.tmp` in
    the working directory (a read-only one fails the query, a killed run leaves it there). A ledger's
    own connection spills into its stage directory, which is removed with it (or swept)."""
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    with Ledger.open([_csv(tmp_path / "usage.csv", 3)]) as ledger:
        duck = ledger.con.duck
        duck.execute("SET memory_limit = '64MB'")
        duck.execute("SET threads = 1")
        # (a sort of 3M rows of 32-character text, about 150 MB: it must spill to finish)
        got = duck.execute(
            "SELECT count(*) FROM (SELECT md5(i::VARCHAR) AS m FROM range(3000000) t(i) ORDER BY m)"
        ).fetchall()
        spilled = [p for p in temp.rglob("*") if p.is_file() and "spill" in p.parts[-2]]
        assert got == [(3_000_000,)]
        assert not (work / ".tmp").exists()
        (stage,) = temp.glob(staging.STAGE_PREFIX + "*")
        assert duck.execute("SELECT current_setting('temp_directory')").fetchall() == [
            (str(stage / "spill"),)
        ]
        assert spilled or (stage / "spill").is_dir()  # (DuckDB removes its spill files once read)
    assert list(temp.iterdir()) == []
