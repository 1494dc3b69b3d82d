"""A gzip file of JSON lines read whole by DuckDB (`bulk.py`: DuckDB decompresses it, a second
thread decompresses it too, with the Python path's limits, to look it over and count its lines),
against the reference, the Python reader: the same rows, quarantine, notes and account; the same
error for a damaged stream, one cut short and a likely bomb; and the piece-by-piece reading when the
whole one's rows are not the file's lines one for one, or when DuckDB refuses a line far into a long
file, plain or gzip."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_bulk_readers import _both, _chat

from inferonomics.errors import InputError
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers import bulk, bulk_scan, text


def _spy_whole(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, int | None]]:
    """Record each whole reading: (gzip, its rows, or None when it gave up)."""
    seen: list[tuple[bool, int | None]] = []
    real = bulk_scan.PieceReader.whole

    def spy(self: Any, path: Path, stop: Any, *, gz: bool = False) -> Any:
        got = real(self, path, stop, gz=gz)
        seen.append((gz, None if got is None else got.rows))
        return got

    monkeypatch.setattr(bulk_scan.PieceReader, "whole", spy)
    return seen


def _gz_lines(path: Path, lines: list[str]) -> Path:
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return path


def test_a_plain_gzip_file_is_read_whole_by_duckdb_as_python_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [json.dumps(_chat(n)) for n in range(50)]
    lines[7] = json.dumps(_chat(7, prompt_tokens="1200"))  # a text count: left to Python, quarantined
    lines[9] = json.dumps(_chat(9, prompt_tokens=1200.0))  # an integral float: Python's reading
    path = _gz_lines(tmp_path / "chat.jsonl.gz", lines)
    seen = _spy_whole(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert seen == [(True, 50)]  # one whole reading of the gzip file, every line a row
    assert fast["bulk"]
    assert fast["in_sql"] == 48
    assert fast == reference
    # By hand: 48 simple lines billed, line 8 (the text count) quarantined; input = prompt - cached
    # - written = 1000 + n - 640 a line; line 10 (1200.0) is read by Python as 1200.
    billed = [n for n in range(50) if n != 7]
    assert fast["account"].rows_billed == 49
    assert [q["source_line"] for q in fast["quarantine"]] == [8]
    expected_input = sum(1000 + n - 640 for n in billed if n != 9) + (1200 - 640)
    assert sum(r["input_tokens"] for r in fast["rows"]) == expected_input


def test_concatenated_gzip_members_are_read_whole_every_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rotated.jsonl.gz"
    first = gzip.compress(("\n".join(json.dumps(_chat(n)) for n in range(30)) + "\n").encode(), mtime=0)
    second = gzip.compress(("\n".join(json.dumps(_chat(n)) for n in range(30, 45))).encode(), mtime=0)
    path.write_bytes(first + second)  # as `cat a.gz b.gz` of two rotated logs; no newline at the end
    seen = _spy_whole(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert seen == [(True, 45)]
    assert fast == reference
    assert fast["account"].rows_billed == 45
    assert fast["in_sql"] == 45


def test_rows_that_are_not_the_files_lines_send_it_piece_by_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were DuckDB's decompression to give one row fewer than the file has lines, the whole reading
    would number the lines wrong: it is not kept, and the file is read piece by piece."""
    path = _gz_lines(tmp_path / "chat.jsonl.gz", [json.dumps(_chat(n)) for n in range(20)])
    real = bulk_scan.PieceReader.whole
    kept: list[bool] = []

    def short(self: Any, p: Path, stop: Any, *, gz: bool = False) -> Any:
        got = real(self, p, stop, gz=gz)
        got.rows -= 1
        return got

    real_take = bulk_scan.PieceReader.take

    def take(self: Any, got: Any) -> None:
        kept.append(True)
        real_take(self, got)

    monkeypatch.setattr(bulk_scan.PieceReader, "whole", short)
    monkeypatch.setattr(bulk_scan.PieceReader, "take", take)
    fast, reference = _both(path, monkeypatch)
    assert kept == []
    assert fast == reference
    assert fast["in_sql"] == 20


def _error(path: Path, monkeypatch: pytest.MonkeyPatch, *, use_bulk: bool) -> str:
    with monkeypatch.context() as m:
        m.setattr(bulk, "BULK", use_bulk)
        with pytest.raises(InputError) as e, Ledger.open([path]) as ledger:
            ledger.account()
    return str(e.value)


def test_a_damaged_or_cut_gzip_stream_is_the_python_paths_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = gzip.compress(("\n".join(json.dumps(_chat(n)) for n in range(3000)) + "\n").encode(), mtime=0)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[:-2000])
    junk = tmp_path / "junk.jsonl.gz"
    junk.write_bytes(whole + b"junk-after-the-stream")
    for path, words in ((cut, "cut short"), (junk, "not a readable gzip stream")):
        fast, reference = (_error(path, monkeypatch, use_bulk=b) for b in (True, False))
        assert fast == reference
        assert str(path.name) in fast
        assert words in fast


def test_a_gzip_bomb_of_json_lines_stops_at_the_ratio_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (Limits made small, so that a file of a few MB stands for a bomb: 1 MiB free, then 50:1.)
    monkeypatch.setattr(text, "GZIP_RATIO_FREE", 1 << 20)
    monkeypatch.setattr(text, "GZIP_RATIO_LIMIT", 50)
    line = json.dumps(_chat(1)).encode() + b"\n"
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        for _ in range(40_000):  # about 16 MB of the same line, 200-odd to 1
            f.write(line)
    assert path.stat().st_size * 100 < 40_000 * len(line)
    fast, reference = (_error(path, monkeypatch, use_bulk=b) for b in (True, False))
    assert "compression ratio" in fast
    assert fast.split(" (")[0] == reference.split(" (")[0]  # (the byte counts where it stopped may differ)


def test_the_cli_bills_a_gzip_file_as_the_python_path(tmp_path: Path) -> None:
    path = _gz_lines(tmp_path / "chat.jsonl.gz", [json.dumps(_chat(n)) for n in range(25)])
    outs = []
    for flag in ("1", "0"):
        proc = subprocess.run(
            [sys.executable, "-m", "inferonomics", "bill", str(path), "--format", "json"],
            capture_output=True,
            text=True,
            env={**os.environ, "INFERONOMICS_BULK": flag},
            check=True,
        )
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1]
    assert outs[0][0]["requests"] == 25


@pytest.mark.parametrize("gz", [False, True])
def test_a_bad_line_far_into_a_file_is_quarantined_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool
) -> None:
    """DuckDB finds a line that is not JSON while it streams a long file's rows, and says so through
    Arrow (an OSError, not a `duckdb.Error`): the whole reading is given up, the file read piece by
    piece, and the line quarantined as Python quarantines it (it was a traceback)."""
    lines = [json.dumps(_chat(n)) for n in range(6000)]
    lines[5000] = lines[5000][:40]  # a line cut short, as a writer killed mid-line leaves it
    name = "long.jsonl.gz" if gz else "long.jsonl"
    path = tmp_path / name
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"]
    assert fast == reference
    assert [q["source_line"] for q in fast["quarantine"]] == [5001]
    assert fast["account"].rows_billed == 5999


def test_a_long_gzip_file_cut_short_is_the_python_paths_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = gzip.compress(("\n".join(json.dumps(_chat(n)) for n in range(20000)) + "\n").encode(), mtime=0)
    path = tmp_path / "long-cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    fast, reference = (_error(path, monkeypatch, use_bulk=b) for b in (True, False))
    assert fast == reference
    assert "cut short" in fast
