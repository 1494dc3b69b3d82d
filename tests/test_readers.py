"""Readers: each format's rows land in the right non-overlapping buckets. Expected buckets are
computed by hand from the documented semantics (shared/reference/usage_formats.md), not by the
reader."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inferonomics import backend
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers import detect_format, empty_columns
from inferonomics.ledger.schema import COUNT_COLUMNS

ANTHROPIC = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "stop_reason": "end_turn",
    "usage": {
        "input_tokens": 412,
        "cache_creation_input_tokens": 6150,
        "cache_read_input_tokens": 48210,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 6150},
        "output_tokens": 1893,
        "output_tokens_details": {"thinking_tokens": 1204},
        "server_tool_use": {"web_search_requests": 2, "web_fetch_requests": 0},
        "service_tier": "standard",
        "inference_geo": "global",
    },
}
OPENAI_CHAT = {
    "id": "chatcmpl-C4ZpQd3xgR2hT0",
    "object": "chat.completion",
    "created": 1786430112,
    "model": "gpt-5.6-mini-2026-06-18",
    "service_tier": "default",
    "usage": {
        "prompt_tokens": 12840,
        "completion_tokens": 958,
        "total_tokens": 13798,
        "prompt_tokens_details": {"cached_tokens": 11264, "cache_write_tokens": 1024, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 640, "audio_tokens": 0},
    },
}
OPENAI_RESPONSE = {
    "id": "resp_68c1f0a2b7e48190",
    "object": "response",
    "created_at": 1786430200,
    "model": "gpt-5.4",
    "service_tier": "flex",
    "output": [{"type": "web_search_call"}, {"type": "message"}],
    "usage": {
        "input_tokens": 5400,
        "input_tokens_details": {"cached_tokens": 4096, "cache_write_tokens": 0},
        "output_tokens": 1210,
        "output_tokens_details": {"reasoning_tokens": 896},
        "total_tokens": 6610,
    },
}
OPENAI_BATCH_LINE = {
    "id": "batch_req_6a9d1c0e2f",
    "custom_id": "doc-00042",
    "response": {
        "status_code": 200,
        "request_id": "req_8b2f0c1d9e",
        "body": {
            "id": "chatcmpl-C4ZqA1",
            "object": "chat.completion",
            "created": 1786433001,
            "model": "gpt-5.4-mini-2026-03-05",
            "usage": {
                "prompt_tokens": 2210,
                "completion_tokens": 148,
                "total_tokens": 2358,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        },
    },
    "error": None,
}


def write_jsonl(path: Path, objs: list[Any]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))
    return path


def rows_of(paths: list[Path], **kw: Any) -> list[dict[str, Any]]:
    return Ledger.open(paths, **kw).to_arrow().to_pylist()


def test_anthropic_input_excludes_cache_tokens(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl", [{"ts": "2026-08-10T12:00:00Z", "user": "u1", "response": ANTHROPIC}]
    )
    assert detect_format(path) == "responses"
    [row] = rows_of([path])
    # Anthropic's input_tokens is already uncached; cache tokens are added on top.
    assert (
        row["input_tokens"],
        row["cache_read_tokens"],
        row["cache_write_5m_tokens"],
        row["cache_write_1h_tokens"],
        row["cache_write_other_tokens"],
    ) == (412, 48210, 0, 6150, 0)
    assert (row["output_tokens"], row["reasoning_tokens"], row["web_search_requests"]) == (1893, 1204, 2)
    assert (row["provider"], row["model"], row["region"], row["user"]) == (
        "anthropic",
        "claude-sonnet-4-6",
        "global",
        "u1",
    )


def test_anthropic_partial_ttl_breakdown_keeps_the_remainder(tmp_path: Path) -> None:
    msg = json.loads(json.dumps(ANTHROPIC))
    msg["usage"]["cache_creation"] = {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 50}
    path = write_jsonl(tmp_path / "a.jsonl", [{"ts": "2026-08-10T12:00:00Z", "response": msg}])
    [row] = rows_of([path])
    assert (row["cache_write_5m_tokens"], row["cache_write_1h_tokens"], row["cache_write_other_tokens"]) == (
        100,
        50,
        6150 - 150,
    )


def test_openai_prompt_tokens_include_cached_and_written(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "o.jsonl", [OPENAI_CHAT, OPENAI_RESPONSE])
    chat, resp = sorted(rows_of([path]), key=lambda r: r["request_id"])
    # 12840 prompt = 11264 cached + 1024 written + 552 uncached
    assert (chat["input_tokens"], chat["cache_read_tokens"], chat["cache_write_other_tokens"]) == (
        552,
        11264,
        1024,
    )
    assert (chat["output_tokens"], chat["reasoning_tokens"], chat["service_tier"]) == (958, 640, "standard")
    assert chat["ts"] == dt.datetime.fromtimestamp(1786430112, dt.UTC)
    assert (resp["input_tokens"], resp["cache_read_tokens"], resp["output_tokens"]) == (1304, 4096, 1210)
    assert (resp["service_tier"], resp["web_search_requests"]) == ("flex", 1)


def test_batch_output_lines_are_batch_tier(tmp_path: Path) -> None:
    failed = {**OPENAI_BATCH_LINE, "custom_id": "doc-x", "error": {"code": "x"}}
    path = write_jsonl(tmp_path / "batch.jsonl", [OPENAI_BATCH_LINE, failed])
    ledger = Ledger.open([path])
    [row] = ledger.to_arrow().to_pylist()
    assert (row["service_tier"], row["input_tokens"], row["output_tokens"]) == ("batch", 2210, 148)
    [q] = ledger.quarantine().to_pylist()
    assert q["source_line"] == 2
    assert "failed" in q["reason"]


def test_gzip_is_read_from_content(tmp_path: Path) -> None:
    plain = "ts,provider,model,input_tokens,output_tokens\n2026-01-01T00:00:00Z,openai,gpt-4o,10,5\n"
    path = tmp_path / "usage.data"  # no telling extension
    path.write_bytes(gzip.compress(plain.encode()))
    [row] = rows_of([path])
    assert (row["input_tokens"], row["output_tokens"]) == (10, 5)


def test_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "when,vendor,engine,prompt,completion,who\n2026-01-01 10:00:00,openai,gpt-4o,100,20,ann\n"
    )
    [row] = rows_of(
        [path],
        column_map={
            "ts": "when",
            "provider": "vendor",
            "model": "engine",
            "input_tokens": "prompt",
            "output_tokens": "completion",
            "user": "who",
        },
    )
    assert (row["model"], row["input_tokens"], row["user"]) == ("gpt-4o", 100, "ann")
    assert row["ts"] == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)


def test_offsets_in_timestamps_are_honoured(tmp_path: Path) -> None:
    path = tmp_path / "u.jsonl"
    write_jsonl(
        path,
        [
            {
                "ts": "2026-01-01T02:00:00+02:00",
                "provider": "openai",
                "model": "gpt-4o",
                "input_tokens": 1,
                "output_tokens": 1,
            }
        ],
    )
    [row] = rows_of([path])
    assert row["ts"] == dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC)


@pytest.mark.shared_data
def test_azure_trace_totals_match_its_readme(data_dir: Path) -> None:
    ledger = Ledger.open(
        [data_dir / "traces/azure_llm_2023/AzureLLMInferenceTrace_code.csv"], model_as="openai/gpt-4o"
    )
    t = (
        ledger.rows.aggregate(
            n=ledger.rows.count(), i=ledger.rows.input_tokens.sum(), o=ledger.rows.output_tokens.sum()
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    assert (t["n"], t["i"], t["o"]) == (8_819, 18_059_974, 245_896)


@pytest.mark.shared_data
def test_mooncake_trace_totals_match_its_readme(data_dir: Path) -> None:
    path = data_dir / "traces/mooncake_fast25/conversation_trace.jsonl"
    assert detect_format(path) == "mooncake-trace"
    ledger = Ledger.open([path], model_as="moonshotai/kimi-k2", trace_start=dt.datetime(2026, 1, 5))
    r = ledger.rows
    t = (
        r.aggregate(
            n=r.count(),
            i=r.input_tokens.sum(),
            o=r.output_tokens.sum(),
            blocks=r.prefix_hashes.length().sum(),
            last=r.ts.max(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    assert (t["n"], t["i"], t["o"]) == (12_031, 144_793_823, 4_122_048)
    assert t["blocks"] > 0
    assert t["last"] < dt.datetime(2026, 1, 5, 1, 0)  # about 59 minutes of traffic


def test_a_csv_stages_only_the_columns_its_header_has(tmp_path: Path) -> None:
    # A column the header lacks is absent (as from a Parquet file), not NULL in every row: the
    # validation and pricing passes leave it out. The mapped column (prompt -> input_tokens) and the
    # tag are kept; the row reads as written and its defaults are those of an absent column.
    path = tmp_path / "usage.csv"
    path.write_text(
        "ts,provider,model,prompt,output_tokens,team\n2026-01-05T10:00:00Z,openai,gpt-4o,1000,100,a\n"
    )
    ledger = Ledger.open([path], column_map={"input_tokens": "prompt"})
    assert ledger.absent_counts == [c for c in COUNT_COLUMNS if c not in ("input_tokens", "output_tokens")]
    [row] = ledger.to_arrow().to_pylist()
    assert (row["input_tokens"], row["output_tokens"], row["requests"], row["cache_read_tokens"]) == (
        1000,
        100,
        1,
        0,
    )
    assert (row["team"], row["tenant"], row["reported_cost_usd"]) == ("a", None, None)


def test_staged_columns_no_row_fills_are_left_out(tmp_path: Path) -> None:
    # A JSON-lines ledger stages every column a line may have; those no line fills are left out of
    # the scan (absent, as from a Parquet file that lacks them), those one line fills are kept.
    base = {"ts": "2026-01-05T10:00:00Z", "provider": "openai", "model": "gpt-4o", "output_tokens": 5}
    path = write_jsonl(
        tmp_path / "usage.jsonl",
        [
            {**base, "input_tokens": 10},
            {**base, "input_tokens": 20, "tenant": "acme", "cache_read_tokens": 4},
        ],
    )
    ledger = Ledger.open([path])
    assert ledger.absent_counts == [
        c for c in COUNT_COLUMNS if c not in ("input_tokens", "output_tokens", "cache_read_tokens")
    ]
    staged = backend.columns_of(ledger.parts[0].raw)
    assert "tenant" in staged
    assert "region" not in staged
    assert "reported_cost_usd" not in staged
    rows = sorted(ledger.to_arrow().to_pylist(), key=lambda r: r["input_tokens"])
    assert [(r["tenant"], r["cache_read_tokens"], r["requests"], r["region"]) for r in rows] == [
        (None, 0, 1, None),
        ("acme", 4, 1, None),
    ]


def test_empty_columns_reads_the_null_counts_of_every_row_group(tmp_path: Path) -> None:
    # Two row groups of one row each: `late` has a value only in the second, `none` in neither, and
    # `unknown` is written without statistics (so nothing is known of it: kept).
    path = tmp_path / "parts.parquet"
    table = pa.table(
        {"late": [None, "x"], "none": pa.array([None, None], pa.string()), "unknown": [None, None]}
    )
    pq.write_table(table, path, row_group_size=1, write_statistics=["late", "none"])
    other = tmp_path / "other.parquet"  # a part without `none` at all
    pq.write_table(pa.table({"late": [None]}), other)
    got = empty_columns([str(path), str(other)], ["late", "none", "unknown", "absent"])
    assert got == ["none"]
