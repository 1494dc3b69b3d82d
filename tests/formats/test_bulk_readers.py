"""The bulk readers (`ledger/readers/bulk.py`) against their reference, the Python readers: the same
rows, quarantine (reasons and lines), notes and account, on every format fixture and on generated
files with every quirk the readers meet (bad JSON, a half-written last line, wrong types, huge
numbers, missing usage, duplicate ids, gzip, a byte-order mark, Windows line ends, pieces cut
small)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers import bulk

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def _read(path: Path) -> dict[str, Any]:
    with Ledger.open([path]) as ledger:
        rows = sorted(ledger.to_arrow().to_pylist(), key=lambda r: (r["source_file"], r["source_line"]))
        return {
            "rows": rows,
            "quarantine": ledger.quarantine().to_pylist(),
            "notes": [n for s in ledger.sources for n in s.notes],
            "account": ledger.account(),
        }


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], dict[str, Any]]:
    """(bulk, reference) readings of `path`; the bulk one says whether the bulk reader read it."""
    took: list[bool] = []
    sql: list[int] = []
    real = bulk.read

    def spy(*args: Any, **kwargs: Any) -> bulk.BulkRead | None:
        got = real(*args, **kwargs)
        took.append(got is not None)
        sql.append(0 if got is None else got.in_sql)
        return got

    with monkeypatch.context() as m:
        m.setattr(bulk, "read", spy)
        fast = _read(path)
    fast["bulk"] = took == [True]
    fast["in_sql"] = sum(sql)
    with monkeypatch.context() as m:
        m.setattr(bulk, "BULK", False)
        reference = _read(path)
    reference["bulk"], reference["in_sql"] = fast["bulk"], fast["in_sql"]  # (compared apart)
    return fast, reference


def assert_bulk_reads_as_python(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    lines: list[str],
    *,
    gz: bool = False,
    chunk: int | None = None,
    in_sql: int = 40,
) -> None:
    """`lines` written to a file (gzip or not), read in bulk (whole, or in pieces of `chunk` bytes)
    and by the Python reader: the bulk reader read it, decided at least `in_sql` lines in SQL (the
    plain ones, not Python), and every row, quarantine reason, note and count is the reference's."""
    path = _write(tmp_path / f"{name}.jsonl{'.gz' if gz else ''}", lines)
    if chunk is not None:
        monkeypatch.setattr(bulk, "CHUNK_BYTES", chunk)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"]
    assert fast["in_sql"] >= in_sql
    assert fast == reference


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".jsonl", ".json"))
)
def test_every_fixture_reads_the_same_in_bulk(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, reference = _both(FIXTURES / name, monkeypatch)
    assert fast == reference


def _chat(n: int, **usage: Any) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{n:06d}",
        "object": "chat.completion",
        "created": 1786363200 + n,
        "model": "gpt-5.4-mini",
        "service_tier": "default",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "d\u00e9j\u00e0 vu"}}],
        "usage": {
            "prompt_tokens": 1000 + n,
            "completion_tokens": 50 + n,
            "prompt_tokens_details": {"cached_tokens": 512, "cache_write_tokens": 128},
            "completion_tokens_details": {"reasoning_tokens": 20},
            **usage,
        },
    }


def _responses_lines() -> list[str]:
    ok = [json.dumps(_chat(n)) for n in range(40)]
    weird: list[Any] = [
        _chat(100, prompt_tokens="1200"),  # text count
        _chat(101, prompt_tokens=1200.0),  # integral float
        _chat(102, prompt_tokens=-5),
        _chat(103, prompt_tokens=True),
        _chat(104, completion_tokens=None),
        _chat(105, prompt_tokens=10**13),  # over the count limit
        _chat(106, prompt_tokens=10**30),
        _chat(107, prompt_tokens=100),  # cache tokens exceed the prompt
        {**_chat(108), "usage": None},  # missing usage
        {**_chat(109), "usage": [1, 2]},
        {**_chat(110), "created": "2026-08-10T12:00:00Z"},
        {**_chat(111), "created": 1786363200.5},
        {**_chat(112), "created": 10**15},
        {**_chat(113), "created": None, "created_at": 1786363300},
        {**_chat(135), "created": 7_258_118_399},  # 2199-12-31T23:59:59Z: the last instant billed
        {**_chat(136), "created": 7_258_118_400},  # 2200: quarantined by validation
        {**_chat(114), "model": 5},
        {**_chat(115), "id": 7},
        {**_chat(116), "metadata": {"user": 5, "feature": "search"}},
        {**_chat(117), "metadata": {"user_id": "u1", "tenant": "acme", "session": "s\\1"}},
        {**_chat(118), "prompt_filter_results": []},  # Azure
        {**_chat(119), "id": "chatcmpl-000003"},  # a duplicate of a simple line
        {**_chat(120), "id": "chatcmpl-000116", "model": 6},  # a duplicate of an odd line's id
        {**_chat(121), "service_tier": None, "model": "gpt-5-nano\u00e9"},
        _chat(123, prompt_tokens_details={"cached_tokens": 0, "audio_tokens": 0, "image_tokens": 0}),
        _chat(124, prompt_tokens_details={"cached_tokens": 0, "audio_tokens": 300}),  # audio input
        _chat(125, completion_tokens_details={"audio_tokens": 40, "reasoning_tokens": 0}),
        _chat(126, prompt_tokens_details={"cached_tokens": 200, "audio_tokens": 300}),  # no cached split
        _chat(
            127,
            prompt_tokens_details={
                "cached_tokens": 200,
                "audio_tokens": 300,
                "cached_tokens_details": {"audio_tokens": 100, "image_tokens": 0},
            },
        ),
        _chat(128, prompt_tokens_details={"audio_tokens": 0, "cached_tokens_details": {"audio_tokens": 5}}),
        {
            "id": "resp_1",
            "object": "response",
            "created_at": 1786363400,
            "model": "gpt-5.4-mini",
            "output": [{"type": "web_search_call"}, {"type": "message"}],
            "usage": {
                "input_tokens": 500,
                "output_tokens": 20,
                "input_tokens_details": {"cached_tokens": 100},
            },
        },
        {
            "id": "resp_2",
            "object": "response",
            "created_at": 1786363401,
            "model": "gpt-5.4-mini",
            "output": [{"type": "message"}],
            "usage": {
                "input_tokens": 600,
                "output_tokens": 30,
                "output_tokens_details": {"reasoning_tokens": 9},
            },
        },
        {
            "ts": "2026-08-10T12:00:00Z",
            "user": "u9",
            "response": {
                "id": "msg_01X",
                "type": "message",
                "model": "claude-sonnet-4-6",
                "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 100},
            },
        },
        {"object": "batch", "id": "batch_1", "completed_at": 1786363500},
        {
            "custom_id": "req-1",
            "response": {"status_code": 200, "body": _chat(122)},
            "error": None,
        },
        {"object": "list", "data": []},
        [1, 2, 3],
        "a string",
    ]
    lines = (
        ok[:20] + [w if isinstance(w, str) and w.startswith("{") else json.dumps(w) for w in weird] + ok[20:]
    )
    lines += [
        "",
        "   ",
        "not json at all",
        json.dumps(_chat(130))[:90],  # cut short
        " " + json.dumps(_chat(131)),  # leading blank
        '{"\\u0063ustom_id": "x", ' + json.dumps(_chat(132))[1:],  # a key spelt with an escape
        json.dumps(_chat(133), ensure_ascii=False),
    ]
    return lines


def _write(
    path: Path, lines: list[str], *, end: str = "\n", last_open: bool = False, bom: bool = False
) -> Path:
    text = end.join(lines) + ("" if last_open else end)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "end", "last_open", "bom", "chunk"),
    [
        ("responses.jsonl", "\n", False, False, None),
        ("responses.jsonl.gz", "\n", True, False, None),
        ("responses-crlf.jsonl", "\r\n", True, True, 700),
        ("responses-small.jsonl", "\n", False, False, 900),
    ],
)
def test_openai_responses_with_every_quirk_read_the_same(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    end: str,
    last_open: bool,
    bom: bool,
    chunk: int | None,
) -> None:
    lines = _responses_lines()
    if last_open:
        lines.append(json.dumps(_chat(140))[:-30])  # half written: no newline, not closed
    path = _write(tmp_path / name, lines, end=end, last_open=last_open, bom=bom)
    if chunk is not None:
        monkeypatch.setattr(bulk, "CHUNK_BYTES", chunk)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"]
    assert fast["in_sql"] >= 40  # the plain chat completions were decided in SQL, not by Python
    assert fast == reference
    # The quirks are there: every simple line billed, the odd ones read as Python reads them.
    reasons = [q["reason"] for q in fast["quarantine"]]
    assert sum("duplicate request_id" in r for r in reasons) == 2
    assert sum("not valid JSON" in r for r in reasons) == 2 + last_open
    assert any("exceed the prompt" in r for r in reasons)
    assert sum(r["input_audio_tokens"] for r in fast["rows"]) == 300 + 200  # lines 124 and 127
    providers = {r["provider"] for r in fast["rows"]}
    assert {"openai", "azure", "anthropic"} <= providers


def test_the_last_time_the_sql_makes_is_the_last_validation_takes() -> None:
    import datetime as dt

    from inferonomics.ledger import validate
    from inferonomics.ledger.readers import bulk_sql

    end = dt.datetime.fromtimestamp(bulk_sql.TS_END_EPOCH, dt.UTC).replace(tzinfo=None)
    assert end == validate.TS_END == dt.datetime(2200, 1, 1)


def test_a_bare_carriage_return_sends_the_file_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "cr.jsonl", [json.dumps(_chat(n)) for n in range(5)], end="\r")
    fast, reference = _both(path, monkeypatch)
    assert not fast["bulk"]  # the bulk reader declined: the Python reader read the file whole
    assert fast == reference
    assert fast["account"].rows_billed == 5


def test_sql_the_line_scanner_cannot_run_sends_the_file_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the line scanner's SQL to fail on a piece (an engine's error, or a fault of ours), the
    file is read by the reference whole: the same reading, never a traceback."""
    from inferonomics.ledger.readers import bulk_scan

    lines = [json.dumps(_chat(n)) for n in range(30)]
    lines[4] = lines[4][:-1] + ', "x": [1,]}'  # a trailing comma: the piece is read by the scanner
    path = _write(tmp_path / "chat.jsonl", lines)
    monkeypatch.setattr(bulk_scan, "candidate", lambda words: "no_such_function(line)")
    fast, reference = _both(path, monkeypatch)
    assert not fast["bulk"]
    assert fast == reference
    assert fast["account"].rows_billed == 29


def _spend(n: int, **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "request_id": f"chatcmpl-{n:06d}",
        "call_type": "acompletion",
        "spend": 0.373215,
        "total_tokens": 103925,
        "prompt_tokens": 98805,
        "completion_tokens": 5120,
        "startTime": "2026-08-10T10:02:11.120Z",
        "model": "claude-sonnet-4-6",
        "custom_llm_provider": "anthropic",
        "api_base": "https://api.anthropic.com/v1/messages",
        "user": "",
        "end_user": "cust_42",
        "team_id": "team-search",
        "cache_hit": "False",
        "request_tags": ["env:prod", "feature:rag-answer"],
        "session_id": "sess_81",
        "status": "success",
        "metadata": {
            "user_api_key_alias": "search-prod",
            "user_api_key_team_alias": "Search",
            "usage_object": {
                "prompt_tokens_details": {"cached_tokens": 66360, "cache_creation_tokens": 32435},
                "cache_read_input_tokens": 66360,
                "cache_creation_input_tokens": 32435,
                "completion_tokens_details": {"reasoning_tokens": 1710},
            },
        },
    }
    rec.update(over)
    return rec


def _usage(**u: Any) -> dict[str, Any]:
    return {"user_api_key_alias": "k", "usage_object": u}


def _litellm_lines() -> list[str]:
    ok = [json.dumps(_spend(n)) for n in range(30)]
    weird: list[Any] = [
        _spend(100, metadata=json.dumps(_spend(0)["metadata"])),  # metadata saved as JSON text
        _spend(101, request_tags=json.dumps(["feature:x"])),
        _spend(102, request_tags=["feature:"]),
        _spend(103, request_tags=[5, {"a": 1}, "feature:tagged"]),
        _spend(104, request_tags=None, metadata={"spend_logs_metadata": {"feature": "meta-f"}}),
        _spend(105, spend="0.5"),
        _spend(106, spend=1e-7),
        _spend(107, spend=0.30000000000000004),
        _spend(108, spend=5.0),
        _spend(109, spend=100),
        _spend(110, spend=None),
        _spend(111, spend=12.50),
        _spend(112, prompt_tokens=100),  # older LiteLLM: prompt excludes the cache tokens
        _spend(113, prompt_tokens=50),
        _spend(
            114,
            metadata=_usage(
                cache_creation_input_tokens=9000,
                prompt_tokens_details={
                    "cache_creation_token_details": {
                        "ephemeral_5m_input_tokens": 4000,
                        "ephemeral_1h_input_tokens": 6000,
                    }
                },
            ),
        ),
        _spend(115, metadata=_usage(cache_creation=7, cache_creation_input_tokens=10)),
        _spend(
            116,
            metadata=_usage(cache_creation={"ephemeral_5m_input_tokens": None}, cache_read_input_tokens=""),
        ),
        _spend(117, cache_hit="True"),
        _spend(118, cache_hit=True),
        _spend(119, cache_hit=1),
        _spend(120, cache_hit=False),
        _spend(121, status="failure"),
        _spend(122, status=""),
        _spend(123, api_base="https://bedrock-runtime.eu-west-1.amazonaws.com/model/x"),
        _spend(124, api_base="https://us-central1-aiplatform.googleapis.com/v1/projects"),
        _spend(125, api_base="https://user@bedrock-runtime.us-east-1.amazonaws.com"),
        _spend(126, api_base="bedrock-runtime.us-east-1.amazonaws.com"),
        _spend(127, api_base="HTTPS://Bedrock-Runtime.US-EAST-2.amazonaws.com:443/x"),
        _spend(128, api_base=None, model="openai/gpt-5.4-mini", custom_llm_provider=""),
        _spend(129, model="/gpt-5", custom_llm_provider=None),
        _spend(130, model=None),
        _spend(131, prompt_tokens=1200.0),
        _spend(132, prompt_tokens=10**13),
        _spend(133, completion_tokens="12"),
        _spend(134, call_type="acreate_batch"),
        _spend(135, request_id="x_batch_cost"),
        _spend(136, request_id="chatcmpl-000002"),  # a duplicate of a simple line
        _spend(137, request_id="chatcmpl-000100", end_user=9),  # of an odd one
        _spend(138, team_id=None, end_user=None, user=None, metadata={"user_api_key_user_id": "u7"}),
        _spend(139, startTime=1786363200),
        {"data": [_spend(140), _spend(141)], "has_more": False},
        [_spend(142), "x"],
        _spend(143, user="\u00e9l\u00e8ve", session_id="s\\2"),
    ]
    lines = ok[:15] + [json.dumps(w) for w in weird] + ok[15:]
    lines += ["", "{not json", json.dumps(_spend(150))[:120], json.dumps(_spend(151), ensure_ascii=False)]
    return lines


@pytest.mark.parametrize(
    ("name", "last_open", "chunk"),
    [("spend.jsonl", False, None), ("spend.jsonl.gz", True, None), ("spend-small.jsonl", True, 1500)],
)
def test_litellm_spend_logs_with_every_quirk_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, last_open: bool, chunk: int | None
) -> None:
    lines = _litellm_lines()
    if last_open:
        lines.append(json.dumps(_spend(160))[:-20])
    path = _write(tmp_path / name, lines, last_open=last_open)
    if chunk is not None:
        monkeypatch.setattr(bulk, "CHUNK_BYTES", chunk)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"]
    assert fast["in_sql"] >= 30  # the plain records were decided in SQL, not by Python
    assert fast == reference
    reasons = [q["reason"] for q in fast["quarantine"]]
    assert sum("duplicate request_id" in r for r in reasons) == 2
    assert sum("response cache" in r for r in reasons) == 2
    assert any("older LiteLLM" in n for n in fast["notes"])
    regions = {r["region"] for r in fast["rows"]}
    assert {"eu-west-1", "us-central1", "us-east-2"} <= regions


def _short_cut_records() -> list[dict[str, Any]]:
    """Records the SQL decides by a short cut where it can (the first tag the feature's, with no
    escapes; a region looked for only where the URL names bedrock or aiplatform in any case; the
    usual cache_hit values; amounts of at most 15 characters) and by the long way where it cannot."""
    return [
        _spend(1, request_tags=["feature:first", "feature:second"]),
        _spend(2, request_tags=['feature:say "hi"', "x"]),
        _spend(3, request_tags=["feature:caf\u00e9", "env:prod"]),
        _spend(4, request_tags=["feature:back\\slash"]),
        _spend(5, request_tags=["featured", "feature:later"]),
        _spend(6, request_tags=["feature:"]),
        _spend(7, api_base="https://BEDROCK.US-WEST-2.AMAZONAWS.COM"),
        _spend(8, api_base="https://US-CENTRAL1-AIPLATFORM.googleapis.com/v1"),
        _spend(9, api_base="https://api.example.com/bedrock-runtime.us-east-1/aiplatform"),
        _spend(10, api_base="https://bedrock-runtime.ap-south-1.amazonaws.com?x=1#y"),
        _spend(11, cache_hit="false"),
        _spend(12, cache_hit=""),
        _spend(13, cache_hit=None),
        _spend(14, cache_hit="no"),
        _spend(15, cache_hit=False),
        _spend(16, spend=10.0),
        _spend(17, spend=100.5),
        _spend(18, spend=1.2345678901234),
        _spend(19, spend=0.012345678901234),
        _spend(20, spend=0),
        _spend(21, request_id="y\\_batch_cost"),
        _spend(22, call_type="retrieve_batch", request_id="req-\u00e9"),
    ]


@pytest.mark.parametrize("chunk", [None, 3000])
def test_spend_logs_the_sql_decides_by_short_cuts_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int | None
) -> None:
    records = _short_cut_records()
    path = _write(tmp_path / "short-cuts.jsonl", [json.dumps(r) for r in records])
    if chunk is not None:
        monkeypatch.setattr(bulk, "CHUNK_BYTES", chunk)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"]
    assert fast["in_sql"] == len(records)  # every line decided in SQL, none left to Python
    assert fast == reference
    by_id = {r["request_id"]: r for r in fast["rows"]}
    features = [by_id[f"chatcmpl-{n:06d}"]["feature"] for n in range(1, 7)]
    assert features == ["first", 'say "hi"', "caf\u00e9", "back\\slash", "later", None]
    regions = [by_id[f"chatcmpl-{n:06d}"]["region"] for n in range(7, 11)]
    assert regions == ["us-west-2", "us-central1", None, "ap-south-1"]
    costs = [by_id[f"chatcmpl-{n:06d}"]["reported_cost_usd"] for n in range(16, 21)]
    assert costs == [Decimal(x) for x in ("10", "100.5", "1.2345678901234", "0.012345678901234", "0")]
    assert by_id["y\\_batch_cost"]["service_tier"] == by_id["req-\u00e9"]["service_tier"] == "batch"


def test_the_environment_turns_the_bulk_path_off() -> None:
    code = "from inferonomics.ledger.readers import bulk; print(bulk.BULK)"
    for value, expected in (("0", "False"), ("1", "True")):
        env = {**os.environ, "INFERONOMICS_BULK": value}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected


def _json_readings(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """A list that records, for each reading offered to DuckDB's JSON reader (a whole file, or a
    piece of one), whether it took it."""
    from inferonomics.ledger.readers import bulk_scan

    taken: list[bool] = []
    for method in ("_fast", "whole"):
        real = getattr(bulk_scan.PieceReader, method)

        def spy(self: bulk_scan.PieceReader, *args: Any, real: Any = real, **kwargs: Any) -> Any:
            got = real(self, *args, **kwargs)
            taken.append(got is not None)
            return got

        monkeypatch.setattr(bulk_scan.PieceReader, method, spy)
    return taken


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (
            '{"id": "x-1", "object": "chat.completion", "created": 1786363200, "model": "m", "usage": '
            '{"prompt_tokens": 5, "completion_tokens": 1,}}',
            "a trailing comma: not JSON to Python",
        ),
        ("", "a blank line"),
        ("  " + json.dumps(_chat(300)), "leading blank space"),
        (json.dumps(_chat(301)) + "\x0c", "a form feed after the object"),
        (json.dumps({**_chat(303), "prompt_filter_results": None}), "Azure's key, null"),
        (json.dumps({**_chat(304), "custom_id": None, "result": {"type": "errored"}}), "a batch result"),
        (json.dumps(_chat(305, cache_read_input_tokens=None)), "Anthropic usage, null"),
        (json.dumps({**_chat(306), "model": "m" * 300_000}), "a huge model name"),
        (json.dumps({**_chat(307), "created": "1786363200"}), "a time as text"),
        (json.dumps({**_chat(308), "usage": "none"}), "usage of another type"),
        (json.dumps({k: v for k, v in _chat(309).items() if k != "usage"}), "no usage"),
        (json.dumps(_chat(310, prompt_tokens=float("nan"))), "NaN"),
        (json.dumps(_chat(312, completion_tokens=float("inf"))), "infinity"),
        ('{"id": "x-2", "object": "chat.completion"', "cut short"),
        (json.dumps(["not", "an", "object"]), "a list"),
        (json.dumps({**_chat(311), "type": None, "response": None}), "null type and response"),
        (json.dumps(_chat(313, prompt_tokens_details=5)), "a number where an object is read"),
        (json.dumps({**_chat(314), "metadata": {"user": None, "tenant": "acme"}}), "a null metadata value"),
    ],
)
def test_a_hostile_line_among_plain_ones_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, why: str
) -> None:
    lines = [json.dumps(_chat(n)) for n in range(60)]
    lines.insert(37, line)
    path = _write(tmp_path / "hostile.jsonl", lines)
    monkeypatch.setattr(bulk, "CHUNK_BYTES", 4000)  # pieces of a few lines: most of them plain
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"], why
    assert any(taken), why  # DuckDB's JSON reader read the plain pieces
    assert fast == reference, why


def test_plain_files_are_read_by_the_json_reader_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chats = [json.dumps(_chat(n)) for n in range(50)]
    spends = [json.dumps(_spend(n)) for n in range(50)]
    for name, lines in (("chat.jsonl", chats), ("spend.jsonl", spends)):
        taken = _json_readings(monkeypatch)
        fast, reference = _both(_write(tmp_path / name, lines), monkeypatch)
        assert taken == [True], name
        assert fast["in_sql"] == 50
        assert fast == reference
        assert fast["account"].rows_billed == 50


@pytest.mark.parametrize(
    ("line", "in_sql", "why"),
    [
        (json.dumps({**_chat(30), "prompt_filter_results": []}), 58, "Azure's key: a piece not plain"),
        ("", 58, "a blank line: the JSON reader would skip it"),
        (" " + json.dumps(_chat(30)), 59, "a line that does not start an object (read by its piece's)"),
    ],
)
def test_a_file_with_a_line_the_whole_reading_cannot_number_is_read_piece_by_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, in_sql: int, why: str
) -> None:
    lines = [json.dumps(_chat(n)) for n in range(60)]
    lines[30] = line
    lines[45] = json.dumps(_chat(45, prompt_tokens="1045"))  # a plain piece's line the SQL leaves
    path = _write(tmp_path / "mixed.jsonl", lines)
    monkeypatch.setattr(bulk, "CHUNK_BYTES", 4000)
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert len(taken) > 1, why  # no whole reading: one reading a piece
    assert any(taken), why
    assert fast == reference, why
    assert fast["in_sql"] == in_sql, why


def test_a_file_whose_name_is_a_pattern_is_read_as_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "chat[1].jsonl", [json.dumps(_chat(n)) for n in range(20)])
    _write(tmp_path / "chat1.jsonl", [json.dumps(_chat(n)) for n in range(100, 150)])  # what it matches
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert taken == [True]  # read whole, through a link: DuckDB never sees the pattern
    assert fast == reference
    assert fast["account"].rows_billed == 20


@pytest.mark.parametrize(
    ("record", "why"),
    [
        (_spend(200, metadata=json.dumps(_spend(0)["metadata"])), "metadata saved as JSON text"),
        (_spend(201, metadata=None, end_user=None, team_id=None), "nulls where objects and text are read"),
        (_spend(202, prompt_tokens="98805"), "a count as text"),
        (
            _spend(
                203,
                metadata=_usage(cache_creation={"ephemeral_5m_input_tokens": 7}, prompt_tokens_details=[]),
            ),
            "a list where an object is read",
        ),
        (_spend(204, request_tags="feature:x"), "tags as one string"),
        (_spend(205, spend=1e-12), "a tiny amount"),
    ],
)
def test_a_hostile_spend_log_among_plain_ones_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record: dict[str, Any], why: str
) -> None:
    lines = [json.dumps(_spend(n)) for n in range(40)]
    lines.insert(23, json.dumps(record))
    path = _write(tmp_path / "hostile-spend.jsonl", lines)
    monkeypatch.setattr(bulk, "CHUNK_BYTES", 6000)
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"], why
    assert any(taken), why
    assert fast == reference, why


def test_the_shared_sql_tests_read_json_values_as_python_does(tmp_path: Path) -> None:
    """`bulk_sql`'s tests and text over values as DuckDB's JSON reader writes them back, against
    what Python makes of the same JSON: a string (text, escapes, not ASCII, a quote), a count, or
    neither."""
    import duckdb

    from inferonomics.ledger.readers import bulk_sql

    values: list[Any] = ["", "a", "caf\u00e9", 'say "hi"', "back\\slash", "\u0301x", "5", "null", "#", "!"]
    values += [0, 7, 10**11, 10**12 - 1, 10**12, -5, 1.5, 2.0, 1e20, True, False, None, [], {}, ["a"]]
    path = tmp_path / "values.jsonl"
    path.write_text("".join(json.dumps({"v": v}) + "\n" for v in values))
    got = duckdb.sql(
        f"SELECT {bulk_sql.is_text('v')}, {bulk_sql.is_int('v')}, {bulk_sql.text('v')} "
        f"FROM (SELECT CAST(v AS VARCHAR) AS v FROM read_json('{path}', format = 'newline_delimited', "
        "columns = {'v': 'JSON'}))"
    ).fetchall()
    for v, (is_text, is_int, text) in zip(values, got, strict=True):
        assert is_text == (v is None or isinstance(v, str)), v
        assert bool(is_int) == (type(v) is int and 0 <= v < 10**12), v  # (NULL for a null: false)
        if isinstance(v, str):
            assert text == v
