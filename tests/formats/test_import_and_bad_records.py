"""Importing an export twice yields the ledger of importing it once; every record read is a row or
a quarantine record with its file and line; malformed records (truncated JSON, wrong types, missing
usage) are quarantined, never crash the run; a file that matches no format says what it resembled."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from format_helpers import FIXTURES

from inferonomics.errors import InputError
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers import detect_format

# Whole processes and property searches: `make test` runs them, `make quick` does not.
pytestmark = pytest.mark.slow

EXPORTS = [
    # Aggregated exports: their rows' ids are made from their content.
    "anthropic_usage_report.json",
    "anthropic_cost_report.json",
    "anthropic_console_usage.csv",
    "anthropic_console_cost.csv",
    "openai_usage_completions.json",
    "openai_costs.json",
    "openai_dashboard_activity.csv",
    "openai_dashboard_cost.csv",
    # Request logs: deduplicated by the provider's (or the tool's) request id.
    "litellm_spend_logs.jsonl",
    "otel_genai_spans.json",
]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferonomics", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def data(table: object) -> list[dict[str, object]]:
    rows = table.drop_columns(["source_file", "source_line"]).to_pylist()  # type: ignore[attr-defined]
    return sorted(rows, key=lambda r: str(r["request_id"]))


@pytest.mark.parametrize("name", EXPORTS)
def test_importing_an_export_twice_is_importing_it_once(tmp_path: Path, name: str) -> None:
    again = tmp_path / name  # the same export downloaded again
    shutil.copy(FIXTURES / name, again)
    with Ledger.open([FIXTURES / name]) as once, Ledger.open([FIXTURES / name, again]) as twice:
        single = once.to_arrow()
        assert single.num_rows > 0
        assert data(twice.to_arrow()) == data(single)
        account = twice.account()
        assert account.duplicates == single.num_rows  # every row of the second copy, set aside
        assert account.rows_read == account.rows_billed + account.rows_quarantined


def test_import_command_writes_the_canonical_ledger(tmp_path: Path) -> None:
    out = tmp_path / "ledger.parquet"
    source = FIXTURES / "anthropic_usage_report.json"
    result = run("import", source, source, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "rows read 12 = billed 6 + quarantined 6" in result.stderr
    assert f"wrote 6 rows to {out}" in result.stderr
    assert pq.read_metadata(out).num_rows == 6
    # The written ledger reads back as it was, and bills the same.
    with Ledger.open([out]) as back, Ledger.open([source]) as original:
        assert data(back.to_arrow()) == data(original.to_arrow())
    billed = json.loads(run("bill", out, "--format", "json").stdout)
    direct = json.loads(run("bill", source, "--format", "json").stdout)
    assert billed == direct


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def reasons(path: Path) -> dict[int, str]:
    with Ledger.open([path]) as ledger:
        return {r["source_line"]: r["reason"] for r in ledger.quarantine().to_pylist()}


def test_malformed_json_lines_are_quarantined_with_file_and_line(tmp_path: Path) -> None:
    good = (FIXTURES / "litellm_spend_logs.jsonl").read_text().splitlines()[0]
    wrong_type = json.loads(good)
    wrong_type["request_id"], wrong_type["prompt_tokens"] = "r-wrong", "lots"
    no_usage = json.loads(good)
    no_usage["request_id"] = "r-none"
    del no_usage["prompt_tokens"], no_usage["completion_tokens"], no_usage["metadata"]
    path = write(
        tmp_path / "spend.jsonl", [good, good[:120], json.dumps(wrong_type), "[1, 2]", json.dumps(no_usage)]
    )
    assert detect_format(path) == "litellm-spend-logs"
    got = reasons(path)
    assert got[2].startswith("not valid JSON (truncated")
    assert got[3] == 'prompt_tokens is "lots": not a whole number >= 0'
    assert got[4] == "a JSON number, expected an object"  # each item of the list
    assert 5 not in got  # no token counts is a request of zero tokens, not an error: LiteLLM logs those
    result = run("bill", path)
    assert "Traceback" not in result.stderr
    assert f"{path} line 2: not valid JSON (truncated" in result.stderr


def test_missing_usage_and_wrong_types_in_responses(tmp_path: Path) -> None:
    lines = (FIXTURES / "gemini_responses.jsonl").read_text().splitlines()
    no_usage = json.loads(lines[0])
    del no_usage["response"]["usageMetadata"]
    wrong = json.loads(lines[0])
    wrong["response"]["responseId"] = "other"
    wrong["response"]["usageMetadata"]["candidatesTokenCount"] = -3
    path = write(
        tmp_path / "gemini.jsonl", [lines[0], json.dumps(no_usage), json.dumps(wrong), lines[0][:-40]]
    )
    assert reasons(path) == {
        2: "no usageMetadata in the response",
        3: "candidatesTokenCount is -3: not a whole number >= 0",
        4: reasons(path)[4],
    }
    assert reasons(path)[4].startswith("not valid JSON")


def test_a_truncated_document_is_one_quarantine_record(tmp_path: Path) -> None:
    text = (FIXTURES / "anthropic_usage_report.json").read_text()
    path = tmp_path / "usage_report.json"
    path.write_text(text[: len(text) // 2])
    assert detect_format(path) == "anthropic-usage-report"  # known from the keys it starts with
    with Ledger.open([path]) as ledger:
        [record] = ledger.quarantine().to_pylist()
        assert record["reason"].startswith("not valid JSON (the document is truncated)")
        assert record["source_line"] > 1
        assert ledger.account().rows_read == 1


def test_wrong_types_in_a_document_keep_their_own_line(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "openai_usage_completions.json").read_text())
    doc[0]["data"][0]["results"][1]["output_tokens"] = "52k"
    doc[0]["data"][0]["results"][2]["input_cached_tokens"] = 90000  # more than the input
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(doc, indent=2))
    text = path.read_text().splitlines()
    got = reasons(path)
    assert set(got) == {n for n in got if text[n - 1].strip() == "{"}  # each at its object's first line
    assert sorted(got.values()) == [
        "input_uncached_tokens (40000) + input_cached_tokens (90000) + input_cache_write_tokens (0) "
        "do not add up to input_tokens (60000)",
        'output_tokens is "52k": not a whole number >= 0',
    ]


def test_csv_exports_with_bad_values(tmp_path: Path) -> None:
    lines = (FIXTURES / "anthropic_console_usage.csv").read_text().splitlines()
    bad = lines[1].replace("1520334", "1.5M")
    path = write(tmp_path / "usage.csv", [lines[0], lines[1], bad, lines[2][:30]])
    got = reasons(path)
    assert got[3] == 'usage_input_tokens_no_cache is "1.5M": not a whole number >= 0'
    assert got[4].startswith("has ")  # a truncated line: too few fields


def test_a_file_matching_nothing_says_what_it_resembled(tmp_path: Path) -> None:
    path = write(
        tmp_path / "spend.jsonl",
        [json.dumps({"request_id": "r1", "spend": 0.1, "prompt_tokens": 10, "completion_tokens": 5})],
    )
    with pytest.raises(InputError) as e:
        Ledger.open([path])
    message = str(e.value)
    assert "missing required columns ts, provider, model" in message
    assert (
        "litellm-spend-logs (has request_id, spend, prompt_tokens, completion_tokens; "
        "lacks call_type, startTime)" in (message)
    )
    result = run("bill", path)
    assert result.returncode == 1  # the input is unusable as a whole (docs/reliability.md)
    assert "it resembles litellm-spend-logs" in result.stderr
    assert "Traceback" not in result.stderr
