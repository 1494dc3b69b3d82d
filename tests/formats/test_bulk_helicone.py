"""The bulk reading of Helicone request logs as JSON lines (`readers/bulk_helicone.py`: ClickHouse
rows and REST export records) against the reference, the Python reader: the same rows, quarantine,
notes and account, on generated files of plain lines with every quirk, read whole, in small pieces
and gzip; and a plain row's counts and cost by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_bulk_readers import _both, _write, assert_bulk_reads_as_python


def _row(n: int, **over: Any) -> dict[str, Any]:
    return {
        "request_id": f"c7d8e9f0-1111-4aaa-8bbb-{n:012d}",
        "request_created_at": f"2026-08-10 14:{n % 60:02d}:00",
        "status": 200,
        "user_id": f"u_{n % 9}",
        "organization_id": "org_1",
        "provider": "ANTHROPIC",
        "model": "claude-sonnet-4-6",
        "prompt_tokens": 900 + n,
        "prompt_cache_read_tokens": 30000,
        "prompt_cache_write_tokens": 8000,
        "completion_tokens": 2200,
        "total_tokens": 900 + n + 30000 + 8000 + 2200,
        "cost": 95700000,
        "properties": {"Feature": "agent", "Tenant": "acme", "Helicone-Session-Id": f"s-{n % 4}"},
        "response_body": {
            "id": f"msg_{n}",
            "type": "message",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": "d\u00e9j\u00e0 vu"}],
            "usage": {
                "input_tokens": 900 + n,
                "cache_read_input_tokens": 30000,
                "cache_creation_input_tokens": 8000,
                "cache_creation": {"ephemeral_5m_input_tokens": 3000, "ephemeral_1h_input_tokens": 5000},
                "output_tokens": 2200,
                "output_tokens_details": {"thinking_tokens": 800},
                "service_tier": "standard",
            },
        },
        **over,
    }


def _openai(n: int, **over: Any) -> dict[str, Any]:
    # an OpenAI request: the prompt holds the cache reads (total = prompt + completion)
    fields: dict[str, Any] = {
        "provider": "OPENAI",
        "model": "gpt-5-nano",
        "prompt_tokens": 5000,
        "prompt_cache_read_tokens": 2048,
        "prompt_cache_write_tokens": 0,
        "completion_tokens": 700,
        "total_tokens": 5700,
        "cost": 530000,
        "response_body": {"usage": {"completion_tokens_details": {"reasoning_tokens": 300}}},
    }
    return _row(n, **{**fields, **over})


def _lines() -> list[str]:
    ok = [json.dumps(_row(n) if n % 2 else _openai(n)) for n in range(40)]
    body = _row(0)["response_body"]
    weird: list[Any] = [
        _row(100, status=500),  # failed: not billed
        _row(101, status="200"),
        _row(102, status=None, response_status=201),
        _row(103, status=200.0),
        _row(104, cache_reference_id="9b2c0000-0000-0000-0000-000000000001"),  # Helicone's cache
        _row(105, cache_reference_id="00000000-0000-0000-0000-000000000000"),
        _row(106, cache_reference_id=""),
        _row(107, prompt_tokens="900"),
        _row(108, completion_tokens=-1),
        _row(109, total_tokens=None),  # the prompt taken as given
        _row(110, total_tokens=1),  # a total that fits neither: as given
        _row(111, total_tokens="41110"),
        _openai(112, prompt_tokens=100),  # the cache does not fit the prompt: as given
        _row(113, cost=None, costUSD=0.0957),  # the REST export's float
        _row(114, cost=None, costUSD=None, cost_usd="0.5"),
        _row(115, cost=None),  # no cost at all
        _row(116, cost=0),
        _row(117, cost=123456789012),
        _row(118, cost=1000000000),
        _row(119, cost=95700000.0),
        _row(120, cost="95700000"),
        _row(
            121,
            response_body={
                **body,
                "usage": {**body["usage"], "cache_creation": {"ephemeral_5m_input_tokens": 9000}},
            },
        ),
        _row(122, response_body={**body, "usage": {**body["usage"], "cache_creation": None}}),
        _row(123, response_body='{"usage": {}}'),  # the body saved as text
        _row(124, response_body={**body, "usage": {"output_tokens_details": {"thinking_tokens": 10**6}}}),
        _row(125, response_body={**body, "service_tier": "priority", "usage": {}}),
        _row(126, provider="BEDROCK"),
        _row(127, provider="together"),
        _row(128, provider="Stra\u00dfe"),
        _row(129, provider=None),
        _row(130, provider=""),
        _row(131, model=None, response_model="claude-sonnet-4-6-20260101"),
        _row(132, model="", request_model="claude-x"),
        _row(133, properties=None, request_properties={"Team": "core", "Session": "s9", "Feature": ""}),
        _row(134, properties="{}"),
        _row(135, properties={"Tenant": 5}),
        _row(136, request_created_at=None, created_at="2026-08-11T00:00:00Z"),
        _row(137, request_created_at=1786406400),
        _row(138, request_created_at="yesterday"),
        _row(139, request_id="c7d8e9f0-1111-4aaa-8bbb-000000000003"),  # a duplicate of a plain line
        _row(140, request_id=140),
        _row(141, user_id=None, request_user_id="ru-1"),
        {"data": [_row(142), _row(143)]},  # a page on one line
    ]
    lines = ok[:20] + [json.dumps(w) for w in weird] + ok[20:]
    return [*lines, "not json", json.dumps(_row(150))[:70]]


@pytest.mark.parametrize("chunk", [None, 3000])
@pytest.mark.parametrize("gz", [False, True])
def test_helicone_lines_with_every_quirk_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool, chunk: int | None
) -> None:
    assert_bulk_reads_as_python(tmp_path, monkeypatch, "helicone", _lines(), gz=gz, chunk=chunk)


def test_a_helicone_row_is_counted_and_costed_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = _both(_write(tmp_path / "h.jsonl", _lines()), monkeypatch)
    rows = {r["request_id"][-3:]: r for r in fast["rows"]}
    # _row(1): 901 uncached (the total is prompt + cache + completion: the prompt held no cache),
    # 30,000 read, 8,000 written of which 3,000 at 5 minutes and 5,000 at 1 hour; 95,700,000 nano-$
    one = rows["001"]
    assert (one["input_tokens"], one["cache_read_tokens"], one["output_tokens"]) == (901, 30000, 2200)
    assert (one["cache_write_5m_tokens"], one["cache_write_1h_tokens"], one["cache_write_other_tokens"]) == (
        3000,
        5000,
        0,
    )
    assert (one["reasoning_tokens"], one["provider"], one["session"]) == (800, "anthropic", "s-1")
    assert one["reported_cost_usd"] == Decimal("0.0957")
    # _openai(0): total 5,700 = prompt + completion, so the 2,048 cached tokens come out of the prompt
    zero = rows["000"]
    assert (zero["input_tokens"], zero["cache_read_tokens"], zero["reasoning_tokens"]) == (2952, 2048, 300)
    assert zero["reported_cost_usd"] == Decimal("0.00053")
    assert rows["117"]["reported_cost_usd"] == Decimal("123.456789012")
    assert rows["118"]["reported_cost_usd"] == Decimal("1")
    assert rows["116"]["reported_cost_usd"] == Decimal("0")
    assert rows["113"]["reported_cost_usd"] == Decimal("0.0957")
    assert rows["115"]["reported_cost_usd"] is None
    assert rows["121"]["cache_write_5m_tokens"] == 8000  # the split capped at the writes
    assert rows["126"]["provider"] == "aws"
    assert (rows["133"]["tenant"], rows["133"]["session"], rows["133"]["feature"]) == (
        "core",
        "s9",
        None,
    )  # (a blank feature is none)
    reasons = [q["reason"] for q in fast["quarantine"]]
    assert any("response status 500" in r for r in reasons)
    assert any("Helicone's response cache" in r for r in reasons)
