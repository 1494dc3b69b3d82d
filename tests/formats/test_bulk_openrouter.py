"""The bulk reading of OpenRouter responses (`readers/bulk_openrouter.py`, bare and in envelopes)
against the reference, the Python reader: the same rows, quarantine, notes and account, on generated
files of plain lines with every quirk OpenRouter's records meet, read whole, in small pieces and
gzip; and the counts and the charged cost of a plain line by hand."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_bulk_readers import _both, _write, assert_bulk_reads_as_python


def _response(n: int, **usage: Any) -> dict[str, Any]:
    return {
        "id": f"gen-{1786356000 + n}-{n:06d}",
        "provider": "Anthropic",
        "model": "anthropic/claude-sonnet-4.5",
        "object": "chat.completion",
        "created": 1786356000 + n,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "d\u00e9j\u00e0 vu"}}],
        "usage": {
            "prompt_tokens": 54772 + n,
            "completion_tokens": 1893,
            "total_tokens": 56665 + n,
            "cost": 0.06089925,
            "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": 48210, "cache_write_tokens": 6150, "audio_tokens": 0},
            "cost_details": {"upstream_inference_cost": None},
            "completion_tokens_details": {"reasoning_tokens": 1204, "image_tokens": 0},
            **usage,
        },
    }


def _envelope(n: int, body: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
    return {
        "ts": f"2026-08-10T10:{n % 60:02d}:00Z",
        "user": f"u{n % 5}",
        "response": body or _response(n),
        **over,
    }


def _quirks(wrap: Any) -> list[Any]:
    r = _response
    return [
        wrap(100, r(100, cost=8.75e-05)),  # written 8.75e-05 by Python: 0.0000875
        wrap(101, r(101, cost=1e-07)),  # an exponent DuckDB keeps
        wrap(102, r(102, cost=100.0)),  # 100
        wrap(103, r(103, cost=0)),
        wrap(104, r(104, cost="0.5")),  # an amount as text
        wrap(105, r(105, cost=None)),  # no cost: none reported
        wrap(106, r(106, cost=True)),
        wrap(107, r(107, cost=0.1234567890123456)),  # 16 significant digits
        wrap(108, r(108, is_byok=True, cost_details={"upstream_inference_cost": 0.001525})),  # added
        wrap(109, r(109, is_byok=True)),  # BYOK without an upstream cost: the fee alone
        wrap(110, r(110, prompt_tokens="54772")),
        wrap(111, r(111, prompt_tokens=1200.0)),
        wrap(112, r(112, prompt_tokens=None, input_tokens=60000)),  # the Responses spelling
        wrap(113, r(113, prompt_tokens="", input_tokens=60000)),
        wrap(114, r(114, prompt_tokens=100)),  # cache tokens exceed the prompt
        wrap(115, r(115, prompt_tokens_details=None, input_tokens_details={"cached_tokens": 5})),
        wrap(116, r(116, prompt_tokens_details={}, input_tokens_details={"cached_tokens": 5})),
        wrap(117, r(117, prompt_tokens_details=7)),  # not an object: no cache tokens, says Python
        wrap(
            118, r(118, cache_creation={"ephemeral_5m_input_tokens": 2000, "ephemeral_1h_input_tokens": 4150})
        ),
        wrap(119, r(119, cache_creation={"ephemeral_5m_input_tokens": 6200})),  # over cache_write_tokens
        wrap(120, r(120, cache_creation=[1])),
        wrap(121, r(121, completion_tokens_details={"reasoning_tokens": 10**6})),  # over the completion
        wrap(122, r(122, completion_tokens_details=None, output_tokens_details={"reasoning_tokens": 7})),
        wrap(123, r(123, server_tool_use={"web_search_requests": 2})),
        wrap(124, r(124, service_tier=5)),
        wrap(125, {k: v for k, v in r(125).items() if k != "usage"}),  # no usage
        wrap(126, {**r(126), "usage": "none"}),
        wrap(127, {**r(127), "created": "2026-08-10T11:00:00+02:00"}),
        wrap(128, {**r(128), "created": 1786356000.5}),
        wrap(129, {**r(129), "created": None, "created_at": 1786356100}),
        wrap(130, {**r(130), "created": 10**15}),
        wrap(131, {**r(131), "created": "", "created_at": "2026-08-10T11:30:00Z"}),
        wrap(132, {**r(132), "created": "soon"}),
        wrap(133, {**r(133), "id": "gen-1786356003-000003"}),  # a duplicate of a plain line
        wrap(134, {**r(134), "id": 134}),
        wrap(135, {**r(135), "model": None}),
        {
            "data": {
                "id": "gen-x",
                "model": "google/gemini-2.5-flash",
                "created_at": "2026-08-10T10:02:00Z",
                "total_cost": 0.00163,
                "tokens_prompt": 100,
                "tokens_completion": 20,
            }
        },
        {"responses": [r(136), r(137)]},  # a page of responses
    ]


def _bare_lines() -> list[str]:
    ok = [json.dumps(_response(n)) for n in range(40)]
    weird = [json.dumps(q) for q in _quirks(lambda n, body: body)]
    weird.append(json.dumps(_envelope(138)))  # an envelope among bare responses
    return ok[:20] + weird + ok[20:] + ["not json", json.dumps(_response(139))[:80]]


def _envelope_lines() -> list[str]:
    ok = [json.dumps(_envelope(n)) for n in range(40)]
    weird = [json.dumps(q) for q in _quirks(lambda n, body: _envelope(n, body))]
    weird += [
        json.dumps(_envelope(140, ts=None)),  # the body's time
        json.dumps(_envelope(141, ts="")),  # blank: the body's time
        json.dumps(_envelope(142, ts=1786400000)),
        json.dumps(_envelope(143, ts=None, timestamp="2026-08-11T00:00:00Z")),
        json.dumps(_envelope(144, ts="2026-08-10T12:00:00.1234567Z")),
        json.dumps(_envelope(145, user=5)),
        json.dumps(_envelope(146, provider="aws", region="us-east-1", tenant="acme")),
        json.dumps(_response(147)),  # a bare response among envelopes
    ]
    return ok[:20] + weird + ok[20:]


SHAPES = {"bare": _bare_lines, "envelope": _envelope_lines}


@pytest.mark.parametrize("chunk", [None, 3000])
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_openrouter_lines_with_every_quirk_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, gz: bool, chunk: int | None
) -> None:
    assert_bulk_reads_as_python(
        tmp_path, monkeypatch, f"openrouter-{shape}", SHAPES[shape](), gz=gz, chunk=chunk
    )


def test_an_openrouter_response_is_counted_and_charged_as_openrouter_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By hand from `_response(0)`: prompt 54,772 of which 48,210 read and 6,150 written, so 412
    uncached; completion 1,893 of which 1,204 reasoning; the charge 0.06089925 as written."""
    fast, _ = _both(_write(tmp_path / "e.jsonl", _envelope_lines()), monkeypatch)
    rows = {r["request_id"]: r for r in fast["rows"]}
    first = rows["gen-1786356000-000000"]
    assert (first["input_tokens"], first["cache_read_tokens"], first["cache_write_other_tokens"]) == (
        412,
        48210,
        6150,
    )
    assert (first["output_tokens"], first["reasoning_tokens"], first["provider"]) == (
        1893,
        1204,
        "openrouter",
    )
    assert first["reported_cost_usd"] == Decimal("0.06089925")
    assert first["ts"].astimezone(dt.UTC).replace(tzinfo=None) == dt.datetime(2026, 8, 10, 10, 0)
    assert rows["gen-1786356100-000100"]["reported_cost_usd"] == Decimal("0.0000875")
    assert rows["gen-1786356102-000102"]["reported_cost_usd"] == Decimal("100")
    assert rows["gen-1786356105-000105"]["reported_cost_usd"] is None
    # 0.001525 upstream + 0.06089925 OpenRouter's fee
    assert rows["gen-1786356108-000108"]["reported_cost_usd"] == Decimal("0.06242425")
    split = rows["gen-1786356118-000118"]
    assert (split["cache_write_5m_tokens"], split["cache_write_1h_tokens"]) == (2000, 4150)
    assert rows["gen-1786356119-000119"]["cache_write_5m_tokens"] == 6200
    assert rows["gen-1786356119-000119"]["input_tokens"] == 54772 + 119 - 48210 - 6200  # the split wins
    assert (
        rows["gen-1786356146-000146"]["provider"] == "openrouter"
    )  # an envelope's provider is not who billed
