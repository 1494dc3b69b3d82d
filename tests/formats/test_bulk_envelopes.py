"""The bulk reading of response envelopes and batch lines (`readers/bulk_responses.py`: Anthropic
messages and OpenAI responses in `{"ts": ..., "response": {...}}`, OpenAI Batch output, Anthropic
Message Batches results) against the reference, the Python reader: the same rows, quarantine,
notes and account, on generated files of plain lines with every quirk each shape meets, read whole,
in small pieces and gzip."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from test_bulk_readers import _both, _chat, _write, assert_bulk_reads_as_python


def _message(n: int, **usage: Any) -> dict[str, Any]:
    return {
        "id": f"msg_{n:06d}",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [{"type": "text", "text": "d\u00e9j\u00e0 vu"}],
        "usage": {
            "input_tokens": 400 + n,
            "cache_creation_input_tokens": 3000,
            "cache_read_input_tokens": 20000 + n,
            "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
            "output_tokens": 300 + n,
            "output_tokens_details": {"thinking_tokens": 100},
            "server_tool_use": {"web_search_requests": 1},
            "service_tier": "standard",
            "inference_geo": "global",
            **usage,
        },
    }


def _envelope(n: int, body: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
    return {
        "ts": f"2026-08-10T09:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "user": f"u{n % 7}",
        "feature": "summary",
        "response": _message(n) if body is None else body,
        **over,
    }


def _anthropic_envelopes() -> list[str]:
    ok = [json.dumps(_envelope(n)) for n in range(40)]
    msg = _message
    weird: list[Any] = [
        _envelope(100, msg(100, cache_creation=None)),  # no split: all at 5 minutes
        _envelope(101, {k: v for k, v in msg(101).items() if k != "usage"}),  # no usage
        _envelope(102, msg(102, cache_creation={"ephemeral_5m_input_tokens": 5000})),  # over the total
        _envelope(103, msg(103, cache_creation_input_tokens=0)),  # a split of a zero total: taken
        _envelope(104, msg(104, cache_creation=[1])),
        _envelope(105, msg(105, input_tokens="12")),
        _envelope(106, msg(106, input_tokens=1.5)),
        _envelope(107, msg(107, input_tokens=-1)),
        _envelope(108, msg(108, input_tokens=True)),
        _envelope(109, msg(109, output_tokens=None)),
        _envelope(110, msg(110, input_tokens=10**13)),
        _envelope(111, msg(111, output_tokens_details={"thinking_tokens": 10**6})),  # over the output
        _envelope(112, msg(112, server_tool_use="3")),
        _envelope(113, msg(113, service_tier=None, inference_geo="us")),
        _envelope(114, msg(114), region="eu"),
        _envelope(115, {**msg(115), "id": "msg_bdrk_01A"}, modelId="global.anthropic.claude-sonnet-4-6"),
        _envelope(116, {**msg(116), "id": "msg_bdrk_01B"}, model_id="us.anthropic.claude-sonnet-4-6"),
        _envelope(117, {**msg(117), "id": "msg_bdrk_01C"}),
        _envelope(118, {**msg(118), "id": "msg_vrtx_01D"}, region="us-east5"),
        _envelope(119, ts=1786406400),
        _envelope(120, ts="2026-08-10T12:00:00+05:30"),
        _envelope(121, ts="2026-08-10 12:00:00"),
        _envelope(122, ts="2026-08-10T12:00:00.123456Z"),
        _envelope(123, ts="2026-08-10T12:00:00.1234567Z"),  # 7 digits: text left to validation
        _envelope(124, ts=""),
        _envelope(125, ts=None, timestamp="2026-08-11T00:00:00Z"),
        {k: v for k, v in _envelope(126, created_at=1786406500).items() if k != "ts"},
        {k: v for k, v in _envelope(127, time="2026-08-12T00:00:00Z").items() if k != "ts"},
        _envelope(128, ts=1.5),
        _envelope(129, ts=True),
        _envelope(130, ts="yesterday"),
        _envelope(131, ts="2200-01-01T00:00:00Z"),
        _envelope(132, ts="1969-12-31T23:59:59Z"),
        _envelope(133, ts="2026-02-30T00:00:00Z"),
        _envelope(134, ts=" 2026-08-10T12:00:00Z"),
        _envelope(135, ts=10**15),
        {k: v for k, v in _envelope(136).items() if k != "ts"},  # no time at all
        _envelope(137, provider="aws"),
        _envelope(138, provider=5),
        _envelope(139, user=5),
        _envelope(140, metadata={"user_id": "m-u", "tenant": "acme"}),
        _envelope(141, {**msg(141), "metadata": {"tenant": "body-t", "user": "body-u"}}, user=None),
        _envelope(142, {**msg(142), "type": "error"}),
        _envelope(143, {**msg(143), "usage": None}),
        _envelope(144, {**msg(144), "id": "msg_000003"}),  # a duplicate of a plain line
        _envelope(145, custom_id="c-145"),
        _envelope(146, result={"type": "succeeded"}),
        _envelope(147, _chat(147)),  # an OpenAI body in an Anthropic file
        {"custom_id": "c-148", "response": {"status_code": 200, "body": _chat(148)}},
        {"object": "batch", "id": "batch_1", "completed_at": 1786363500},
        _envelope(149, custom_id="c-149", ts=None),  # (takes the batch object's time)
        _envelope(150, {**msg(150), "id": 150}),
        _envelope(151, {**msg(151), "model": None}),
        _envelope(152, msg(152, cache_read_input_tokens=None, cache_creation_input_tokens=None)),
        _envelope(153, "not an object"),
    ]
    lines = ok[:20] + [json.dumps(w) for w in weird] + ok[20:]
    lines += [
        "not json at all",
        json.dumps(_envelope(160))[:90],  # cut short
        # an id spelt with an escape: served by Bedrock all the same
        json.dumps(_envelope(161, {**msg(161), "id": "msg_bdrk_01E"}, modelId="eu.x")).replace(
            "msg_bdrk_01E", "\\u006dsg_bdrk_01E"
        ),
        json.dumps(_envelope(162), ensure_ascii=False),
    ]
    return lines


def _openai_envelopes() -> list[str]:
    ok = [json.dumps(_envelope(n, _chat(n))) for n in range(40)]
    weird: list[Any] = [
        {k: v for k, v in _envelope(100, _chat(100)).items() if k != "ts"},  # the body's own time
        _envelope(101, {**_chat(101), "created": 10**15}),  # a body time Python cannot read
        _envelope(102, {**_chat(102), "created": "2026-08-10T00:00:00Z"}),
        _envelope(103, {**_chat(103), "created": None}),
        _envelope(104, {**_chat(104), "prompt_filter_results": []}),  # Azure
        _envelope(105, _chat(105, cache_read_input_tokens=None)),  # Anthropic usage, null
        _envelope(106, _chat(106, prompt_tokens=10)),  # cache tokens exceed the prompt
        _envelope(107, _message(107)),  # an Anthropic body in an OpenAI file
        _envelope(
            108,
            {
                "id": "resp_1",
                "object": "response",
                "created_at": 1786363400,
                "model": "gpt-5.4-mini",
                "output": [{"type": "message"}],
                "usage": {"input_tokens": 500, "output_tokens": 20},
            },
            tenant="acme",
        ),
        _envelope(109, _chat(109), provider="azure", region="eastus"),
        _envelope(110, {**_chat(110), "metadata": {"user_id": "b"}}, user=None, metadata={"user": "e"}),
    ]
    return ok[:20] + [json.dumps(w) for w in weird] + ok[20:]


def _openai_batch(n: int, **over: Any) -> dict[str, Any]:
    return {
        "id": f"batch_req_{n:06d}",
        "custom_id": f"doc-{n:05d}",
        "response": {"status_code": 200, "request_id": f"req_{n}", "body": _chat(n)},
        "error": None,
        **over,
    }


def _openai_batches(first: dict[str, Any] | None) -> list[str]:
    ok = [json.dumps(_openai_batch(n)) for n in range(40)]
    weird: list[Any] = [
        _openai_batch(100, response={"status_code": 500, "body": {"error": {"message": "x"}}}),
        _openai_batch(101, response={"status_code": "200", "body": _chat(101)}),
        _openai_batch(102, response={"status_code": None, "body": _chat(102)}),
        _openai_batch(103, response={"body": _chat(103)}),  # no status: 200
        _openai_batch(104, error={"message": "expired"}),
        _openai_batch(105, error=""),
        _openai_batch(106, ts="2026-08-11T00:00:00Z"),
        _openai_batch(107, custom_id=None),
        _openai_batch(108, response={"status_code": 200, "body": {**_chat(108), "id": ""}}),
        _openai_batch(109, metadata={"tenant": "acme"}),
        _openai_batch(110, response={"status_code": 200, "body": _chat(110, prompt_tokens="5")}),
        _openai_batch(111, custom_id="doc-00003"),  # the same custom id, another request id
    ]
    lines = ([json.dumps(first)] if first else []) + ok[:20] + [json.dumps(w) for w in weird] + ok[20:]
    return lines


def _anthropic_result(n: int, **over: Any) -> dict[str, Any]:
    return {"custom_id": f"ticket-{n:05d}", "result": {"type": "succeeded", "message": _message(n)}, **over}


def _anthropic_batches() -> list[str]:
    first = {
        "id": "msgbatch_01",
        "type": "message_batch",
        "processing_status": "ended",
        "created_at": "2026-08-10T02:00:00Z",
        "ended_at": "2026-08-10T03:12:45Z",
    }
    ok = [json.dumps(_anthropic_result(n)) for n in range(40)]
    weird: list[Any] = [
        _anthropic_result(100, result={"type": "errored", "error": {"type": "invalid_request_error"}}),
        _anthropic_result(101, result={"type": "expired"}),
        _anthropic_result(102, ts="2026-08-11T00:00:00Z"),  # its own time
        _anthropic_result(103, ts=None),  # a null time: not the batch's
        _anthropic_result(104, custom_id=None),
        _anthropic_result(105, custom_id=105),
        _anthropic_result(106, result={"type": "succeeded", "message": {**_message(106), "id": ""}}),
        _anthropic_result(107, result={"type": "succeeded", "message": None}),
        _anthropic_result(108, user="u-108"),
    ]
    return [json.dumps(first)] + ok[:20] + [json.dumps(w) for w in weird] + ok[20:]


def _utc(row: dict[str, Any]) -> str:
    return str(row["ts"].astimezone(dt.UTC).replace(tzinfo=None))


SHAPES = {
    "anthropic-envelope": _anthropic_envelopes,
    "openai-envelope": _openai_envelopes,
    "openai-batch": lambda: _openai_batches(None),
    "openai-batch-after-its-batch": lambda: _openai_batches(
        {"id": "batch_1", "object": "batch", "created_at": 1786400000, "completed_at": 1786406400}
    ),
    "anthropic-batch": _anthropic_batches,
}


@pytest.mark.parametrize("chunk", [None, 2500])
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_with_every_quirk_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, gz: bool, chunk: int | None
) -> None:
    assert_bulk_reads_as_python(tmp_path, monkeypatch, shape, SHAPES[shape](), gz=gz, chunk=chunk)


def test_an_anthropic_envelope_is_counted_as_anthropic_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By hand from `_message(0)` (input 400, writes 3000 = 1000 at 5 minutes + 2000 at 1 hour, reads
    20000, output 300 of which 100 thinking, one search) and its lines' variants."""
    fast, _ = _both(_write(tmp_path / "a.jsonl", _anthropic_envelopes()), monkeypatch)
    rows = {r["request_id"]: r for r in fast["rows"]}
    first = rows["msg_000000"]
    assert (first["input_tokens"], first["cache_read_tokens"], first["output_tokens"]) == (400, 20000, 300)
    assert (first["cache_write_5m_tokens"], first["cache_write_1h_tokens"]) == (1000, 2000)
    assert (first["cache_write_other_tokens"], first["reasoning_tokens"]) == (0, 100)
    assert (first["web_search_requests"], first["provider"], first["region"]) == (1, "anthropic", "global")
    assert _utc(first) == "2026-08-10 09:00:00"
    assert (first["user"], first["feature"]) == ("u0", "summary")
    assert rows["msg_000100"]["cache_write_5m_tokens"] == 3000  # no split: the default TTL
    assert rows["msg_000103"]["cache_write_5m_tokens"] == 1000  # a split of a zero total, as given
    assert rows["msg_000111"]["reasoning_tokens"] == 300 + 111  # thinking capped at the output
    assert (rows["msg_bdrk_01A"]["provider"], rows["msg_bdrk_01A"]["model"]) == (
        "aws",
        "global.anthropic.claude-sonnet-4-6",
    )
    assert rows["msg_bdrk_01C"]["model"] == "claude-sonnet-4-6"
    assert (rows["msg_vrtx_01D"]["provider"], rows["msg_vrtx_01D"]["region"]) == ("google", "us-east5")
    assert rows["msg_bdrk_01E"]["provider"] == "aws"
    assert _utc(rows["msg_000120"]) == "2026-08-10 06:30:00"  # +05:30 is 06:30 UTC
    assert rows["msg_000140"]["tenant"] == "acme"
    assert rows["msg_000140"]["user"] == "m-u"
    assert rows["msg_000141"]["user"] == "body-u"
    reasons = {q["source_line"]: q["reason"] for q in fast["quarantine"]}
    assert any("no timestamp" in r for r in reasons.values())
    assert any("exceeds cache_creation_input_tokens" in r for r in reasons.values())


def test_a_second_batch_object_sends_the_file_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch object gives its time to the batch lines after it: one after the first line (here
    between two batches' results) cannot be read in SQL, and the file is read by Python whole."""
    lines = _openai_batches({"id": "batch_1", "object": "batch", "completed_at": 1786406400})
    lines.insert(30, json.dumps({"id": "batch_2", "object": "batch", "completed_at": 1786500000}))
    fast, reference = _both(_write(tmp_path / "two.jsonl", lines), monkeypatch)
    assert not fast["bulk"]
    assert fast == reference
    times = {_utc(r) for r in fast["rows"]}
    assert {"2026-08-11 00:00:00", "2026-08-12 02:00:00"} <= times  # batch_1's, then batch_2's


def test_openai_batch_lines_are_billed_at_the_batch_tier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = _both(_write(tmp_path / "b.jsonl", _openai_batches(None)), monkeypatch)
    rows = {r["request_id"]: r for r in fast["rows"]}
    assert {r["service_tier"] for r in fast["rows"]} == {"batch"}
    # _chat(0): prompt 1000 of which 512 cached and 128 written, completion 50, created 1786363200
    first = rows["chatcmpl-000000"]
    assert (first["input_tokens"], first["cache_read_tokens"], first["cache_write_other_tokens"]) == (
        360,
        512,
        128,
    )
    assert _utc(first) == "2026-08-10 12:00:00"
    assert _utc(rows["chatcmpl-000106"]) == "2026-08-11 00:00:00"  # the line's own time wins
    assert "doc-00108" in rows  # a blank response id: the custom id
    reasons = [q["reason"] for q in fast["quarantine"]]
    assert any("status_code is '200', not a number" in r for r in reasons)
    assert any("status_code is None, not a number" in r for r in reasons)
    assert sum("failed: not billed" in r for r in reasons) == 2  # status 500, and an error
