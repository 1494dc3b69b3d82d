"""Bad input gives a clear message and loses nothing; nothing crashes with a traceback.
These run the real command (`python -m inferonomics`) as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inferonomics.ledger.core import Ledger

HEADER = "ts,request_id,provider,model,input_tokens,output_tokens,reasoning_tokens\n"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferonomics", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout


@pytest.mark.slow
def test_bad_rows_are_quarantined_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(
        HEADER
        + "2026-01-05T10:00:00Z,a,openai,gpt-4o,100,10,0\n"
        + "2026-01-05T10:00:01Z,b,openai,gpt-4o,100,-5,0\n"  # negative
        + "2026-01-05T10:00:02Z,c,openai,gpt-4o,lots,10,0\n"  # not a number
        + "yesterday,d,openai,gpt-4o,100,10,0\n"  # not a timestamp
        + "2026-01-05T10:00:04Z,a,openai,gpt-4o,100,10,0\n"  # duplicate id
        + "2026-01-05T10:00:05Z,e,openai,gpt-4o,100,10,20\n"  # reasoning > output
        + "2026-01-05T10:00:06Z,f,openai,gpt-4o,12.5,10,0\n"  # fractional tokens
        + "2026-01-05T10:00:07Z,g,openai\n"  # truncated line
    )
    result = run("bill", path, "--format", "json")
    assert_clean(result)
    assert result.returncode == 0
    assert "rows read 8 = billed 1 + quarantined 7" in result.stderr
    assert (
        f'{path} line 3: column output_tokens is "-5": token counts must be >= 0 (row quarantined)'
        in result.stderr
    )
    rows = Ledger.open([path]).quarantine().to_pylist()
    by_line = {r["source_line"]: (r["field"], r["reason"]) for r in rows}
    assert by_line[3][0] == "output_tokens"
    assert by_line[4] == ("input_tokens", 'column input_tokens is "lots": not a whole number')
    assert by_line[5][0] == "ts"
    assert "not a timestamp" in by_line[5][1]
    assert by_line[6] == ("request_id", f'duplicate request_id "a" (first at {path} line 2)')
    assert by_line[7][0] == "reasoning_tokens"
    assert by_line[8][0] == "input_tokens"
    assert "truncated" in by_line[9][1]
    [billed] = json.loads(result.stdout)
    assert billed["requests"] == 1
    assert billed["cost_usd"] == "0.00035"


@pytest.mark.slow
def test_unknown_model_and_provider_are_unpriced_never_zero(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(
        HEADER
        + "2026-01-05T10:00:00Z,a,openai,gpt-4o,1000000,0,0\n"
        + "2026-01-05T10:00:01Z,b,openai,gtp-4o,1000000,0,0\n"
        + "2026-01-05T10:00:02Z,c,opnai,gpt-4o,1000000,0,0\n"
    )
    result = run("bill", path, "--by", "provider,model", "--format", "json")
    assert_clean(result)
    rows = {(r["provider"], r["model"]): r for r in json.loads(result.stdout)}
    assert rows[("openai", "gpt-4o")]["cost_usd"] == "2.5"
    assert rows[("openai", "gtp-4o")]["unpriced_requests"] == 1
    assert rows[("opnai", "gpt-4o")]["unpriced_requests"] == 1
    per_row = run("bill", path, "--per-row", "--format", "json")
    status = {r["request_id"]: r["status"] for r in json.loads(per_row.stdout)}
    assert status["b"].startswith("unpriced: unknown model 'gtp-4o' for provider 'openai' (nearest: gpt-4o, ")
    assert status["c"].startswith("unpriced: unknown provider 'opnai' (nearest: openai")


def test_missing_required_column_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("time,provider,model,input_tokens\n2026-01-01,openai,gpt-4o,1\n")
    result = run("bill", path)
    assert_clean(result)
    assert result.returncode == 1
    assert "missing required column ts" in result.stderr  # the input is unusable as a whole: exit 1
    assert "--columns" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl"])
def test_empty_files_say_so(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("")
    result = run("bill", path)
    assert_clean(result)
    assert result.returncode == 0
    assert "empty" in result.stderr
    assert "rows read 0 = billed 0 + quarantined 0" in result.stderr


@pytest.mark.slow
def test_truncated_jsonl_and_parquet(tmp_path: Path) -> None:
    good = {
        "ts": "2026-01-05T10:00:00Z",
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 1,
        "output_tokens": 1,
    }
    path = tmp_path / "usage.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(good)[:30] + "\n")
    result = run("bill", path)
    assert_clean(result)
    assert "rows read 2 = billed 1 + quarantined 1" in result.stderr
    assert "line 2: not valid JSON (truncated" in result.stderr
    parquet = tmp_path / "usage.parquet"
    parquet.write_bytes(b"PAR1" + b"\x00" * 100)
    result = run("bill", parquet)
    assert_clean(result)
    assert result.returncode == 1
    assert "not a readable Parquet file" in result.stderr


@pytest.mark.slow
def test_a_line_tens_of_megabytes_long(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    huge = "x" * (30 * 1024 * 1024)
    path.write_text(
        HEADER
        + f"2026-01-05T10:00:00Z,a,openai,{huge},1,1,0\n"
        + "2026-01-05T10:00:01Z,b,openai,gpt-4o,1,1,0\n"
    )
    result = run("bill", path)
    assert_clean(result)
    assert "rows read 2 = billed 1 + quarantined 1" in result.stderr
    assert "line 2: column model: a field longer than 1,048,576 characters" in result.stderr
    # A JSON response with a long text is still a good record.
    response = {
        "ts": "2026-01-05T10:00:00Z",
        "response": {
            "id": "msg_1",
            "type": "message",
            "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": huge}],
            "usage": {"input_tokens": 10, "output_tokens": 5},
        },
    }
    jpath = tmp_path / "responses.jsonl"
    jpath.write_text(json.dumps(response) + "\n")
    result = run("bill", jpath, "--format", "json")
    assert_clean(result)
    assert json.loads(result.stdout)[0]["requests"] == 1


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [  # exit 1: an input unusable as a whole; 2: a usage error (docs/reliability.md)
        (["bill", "nowhere.csv"], "no such file", 1),
        (["bill", "{f}", "--by", "colour"], "cannot group by colour", 2),
        (
            ["bill", "{f}", "--grain", "fortnight"],
            "'fortnight' is not one of 'hour', 'day', 'week', 'month'",
            2,
        ),
        (["bill", "{f}", "--model-as", "gpt-4o"], "PROVIDER/MODEL", 2),
        (["bill", "{f}", "--columns", "cost=x"], "not a ledger column", 2),
        (["bill", "{f}", "--format", "parquet"], "needs --out", 2),
        (["bill", "{f}", "--prices", "nowhere.yaml"], "cannot read price sheet", 1),
        (["prices", "gpt-9"], "unknown model 'gpt-9'", 2),
        (["prices", "gpt-4o", "--at", "someday"], "not a date", 2),
    ],
)
def test_bad_arguments(tmp_path: Path, args: list[str], message: str, code: int) -> None:
    f = tmp_path / "u.csv"
    f.write_text(HEADER + "2026-01-05T10:00:00Z,a,openai,gpt-4o,1,1,0\n")
    result = run(*[a.replace("{f}", str(f)) for a in args])
    assert_clean(result)
    assert result.returncode == code
    assert message in result.stderr


@pytest.mark.slow
def test_traces_need_a_model(tmp_path: Path) -> None:
    path = tmp_path / "azure.csv"
    # (Dated 2026: the book does not price gpt-4o before it was sold, 2024-05-13.)
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n2026-01-16 18:15:46.6805900,374,44\n")
    result = run("bill", path)
    assert_clean(result)
    assert result.returncode == 2
    assert "--model-as" in result.stderr
    # The trace is of November 2023: GPT-4 Turbo ($10 / $30 per MTok) was sold then, GPT-4o was not
    # (from 2024-05-13, so it would be unpriced). 374 input x $10 + 44 output x $30.
    result = run("bill", path, "--model-as", "openai/gpt-4-turbo", "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout)[0]["cost_usd"] == "0.00506"
