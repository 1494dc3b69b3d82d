"""The bulk reading of Langfuse observations as JSON lines (`readers/bulk_langfuse.py`: exports and
blob-storage exports) against the reference, the Python reader: the same rows, quarantine, notes and
account, on generated files of plain lines with every quirk, read whole, in small pieces and gzip; a
few rows' buckets and costs by hand; and the sets of keys the SQL reads against the reader's rules."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_bulk_readers import FIXTURES, _both, _write, assert_bulk_reads_as_python

from inferonomics.ledger.readers import (
    bulk_gemini,
    bulk_helicone,
    bulk_langfuse,
    bulk_litellm,
    bulk_openrouter,
    bulk_responses,
    langfuse,
)
from inferonomics.ledger.readers.bulk import BulkFormat
from inferonomics.ledger.readers.bulk_scan import PieceReader


def _obs(n: int, details: Any = None, **over: Any) -> dict[str, Any]:
    """An Anthropic generation as a Langfuse export writes it: exclusive buckets, total = their sum
    (`details` "DROP": no `usageDetails` at all)."""
    usage = {
        "input": 400 + n,
        "cache_read_input_tokens": 30000,
        "cache_creation_ephemeral_5m_input_tokens": 2000,
        "cache_creation_ephemeral_1h_input_tokens": 3000,
        "cache_creation_input_tokens": 5000,
        "output": 1200,
        "total": 400 + n + 30000 + 5000 + 1200,
    }
    obs = {
        "id": f"obs-{n:06d}",
        "traceId": f"tr-{n // 3}",
        "type": "GENERATION",
        "name": "answer",
        "startTime": f"2026-08-10T12:{n % 60:02d}:01.120Z",
        "endTime": f"2026-08-10T12:{n % 60:02d}:09.400Z",
        "providedModelName": "claude-sonnet-4-6",
        "internalModelId": "cm3x0",
        "userId": f"u_{n % 7}",
        "sessionId": f"s_{n % 5}",
        "traceName": "support-chat",
        "tags": ["prod", "feature:ticket_summary"],
        "usageDetails": usage if details is None else details,
        "costDetails": {"input": 0.001236, "output": 0.028395, "total": 0.074386},
        "totalCost": 0.074386,
        "metadata": {"provider": "anthropic", "tenant": "acme", "service_tier": "standard"},
        "level": "DEFAULT",
        **over,
    }
    if details == "DROP":
        del obs["usageDetails"]
    return obs


def _openai(n: int, **over: Any) -> dict[str, Any]:
    """An OpenAI generation whose `input` holds the cache reads (total = input + output, langfuse#10592),
    its provider guessed from the model's name."""
    usage = {
        "input": 12840,
        "input_cached_tokens": 11264,
        "output": 958,
        "output_reasoning_tokens": 300,
        "total": 14098,
    }
    fields = {"providedModelName": "gpt-5.4-mini", "metadata": {"feature": "routing"}, "tags": []}
    return _obs(n, usage, **{**fields, "costDetails": {"total": 0.01317}, **over})


def _snake(n: int, **over: Any) -> dict[str, Any]:
    """A blob-storage export line: snake_case keys."""
    return {
        "id": f"obs-{n:06d}",
        "trace_id": f"tr-{n}",
        "project_id": "p1",
        "type": "GENERATION",
        "start_time": f"2026-08-10 13:{n % 60:02d}:00.000",
        "provided_model_name": "gemini-2.5-flash",
        "user_id": "u_9",
        "session_id": "s_9",
        "trace_name": "batch",
        "usage_details": {"input": 900, "output": 100, "total": 1000},
        "cost_details": {"total": 0.00052},
        "total_cost": 0.00052,
        "metadata": {},
        **over,
    }


def _span(n: int, **over: Any) -> dict[str, Any]:
    return {
        "id": f"span-{n}",
        "traceId": f"tr-{n}",
        "type": "SPAN",
        "name": "retrieve",
        "startTime": "2026-08-10T12:05:00.500Z",
        **over,
    }


def _usage(**over: Any) -> dict[str, Any]:
    base = _obs(0)["usageDetails"]
    return {k: v for k, v in {**base, **over}.items() if v != "DROP"}


def _lines() -> list[str]:
    ok = [json.dumps(_obs(n) if n % 2 else _openai(n)) for n in range(40)]
    ok += [json.dumps(_snake(n)) for n in range(40, 50)]
    ok += [json.dumps(_span(n)) for n in range(50, 60)]
    weird: list[Any] = [
        # counts
        _obs(100, _usage(input="400")),
        _obs(101, _usage(input=400.0)),
        _obs(102, _usage(input=-5)),
        _obs(103, _usage(input=True)),
        _obs(104, _usage(input=None)),
        _obs(105, _usage(input=10**13)),
        _obs(106, _usage(input=10**30, total=10**31)),
        _obs(107, _usage(input=999_999_999_999, total="DROP")),
        _obs(108, _usage(foo=3)),  # a key the reader ignores: Python
        _obs(109, _usage(Input=7)),  # counted as input by Python's lower(): Python
        _obs(99, _usage(input_modality_text=5)),  # another input key: counted by Python
        _obs(110, _usage(input_cached_tokens=100)),  # two keys of one group: Python
        _obs(111, _usage(cache_read_input_tokens=None, input_cache_read=200)),
        _obs(112, _usage(output_reasoning_tokens=50, reasoning_tokens=60)),
        _obs(113, _usage(output_reasoning_tokens=None, reasoning_tokens=60)),
        _obs(114, {"input": 10, "input_tokens": 5, "prompt_tokens": 3, "output": 2, "completion": 1}),
        _obs(115, {"input": 100, "input_audio_tokens": 40, "output": 20, "output_audio_tokens": 7}),
        _obs(116, {"input": 100, "cache_creation_input_tokens": 900, "output": 5}),  # TTL unknown
        _obs(117, {"input": 100, "input_cache_creation_5m": 600, "cache_write_input_tokens": 500}),
        _obs(118, {"input": 10, "output": 1, "total": 1}),  # a total matching neither reading
        _obs(119, _usage(total=None)),
        _obs(120, _usage(total="DROP")),
        _obs(121, _usage(total="36601")),
        _obs(122, _usage(total=400 + 122 + 1200)),  # inclusive: the cache taken out of input...
        _obs(123, _usage(input=100, total=1300)),  # ...only when input holds it (here it cannot)
        _obs(129, _usage(input=36000, total=37200)),
        _obs(124, {"output": 3}),
        _obs(125, {"input": None}),
        _obs(126, {"input": 5, "output": {"text": 5}}),
        _obs(127, {"input": 5, "output": [5]}),
        _obs(128, {"input": 5, "output": 1.5}),
        # usage in other shapes, or none
        _obs(130, {}, usage={"input": 10, "output": 5, "total": 15}),
        _obs(131, "DROP", promptTokens=12, completionTokens=3),
        _obs(132, "DROP"),
        _obs(133, "some text"),
        _obs(134, None, usage_details={"input": 4, "output": 4}),
        _obs(135, "", usage_details={"input": 5, "output": 5}),
        _obs(136, [1, 2]),
        # types
        _span(137, type="EVENT"),
        _span(138, type="span"),
        _obs(139, type=None),
        _obs(140, type=""),
        _obs(141, type="embedding", providedModelName="text-embedding-3-small"),
        _obs(142, type=5),
        _obs(143, type="AGENT"),
        _span(144, type=False),  # falsy: a generation, without usage
        _span(145, type="Stra\u00dfe"),
        _span(146, type=["SPAN"]),
        # models and providers
        _obs(150, providedModelName=None),
        _obs(151, providedModelName=None, model="claude-haiku-4-5"),
        _obs(152, providedModelName="", provided_model_name="claude-opus-4-6"),
        _obs(153, providedModelName=5),
        _obs(154, providedModelName="gpt-5\u00e9"),
        _obs(155, metadata=None),
        _obs(156, metadata={"ls_provider": "openai"}, providedModelName="gpt-5"),
        _obs(157, metadata={"provider": "", "ls_provider": "azure"}),
        _obs(158, metadata={"provider": 5}),
        _obs(159, metadata={"gen_ai.system": "aws.bedrock"}),
        _obs(160, metadata={"attributes": {"gen_ai.system": "vertex_ai"}}),
        _obs(161, metadata="anthropic"),
        _obs(162, metadata=[1]),
        _obs(163, metadata={"team": "core", "serviceTier": "priority", "feature": "search"}, tags=None),
        _obs(164, metadata={"tenant": 5}),
        *(
            _openai(165 + i, providedModelName=m, metadata={})
            for i, m in enumerate(
                [
                    "o3",
                    "o3-mini",
                    "o30",  # no provider: quarantined
                    "openai/gpt-4o",
                    "vertex_ai/gemini-2.5-pro",
                    "models/gemini-2.5-flash",
                    "gemma-3-27b",
                    "mistral-large-latest",
                    "command-r-plus",
                    "grok-4",
                    "deepseek-chat",
                    "chatgpt-4o-latest",
                    "Claude-Sonnet-4-6",
                    " gpt-4o ",
                    "my-finetune-v2",  # no provider: quarantined
                    "gpt-4o\u00e9",
                    "meta-llama/llama-3",
                    "azure/gpt-4o",
                    "davinci-002",
                ]
            )
        ),
        # costs
        _obs(190, costDetails=None),
        _obs(191, costDetails={"total": None}, totalCost=None, calculatedTotalCost=0.5),
        _obs(192, costDetails={"total": "0.5"}),
        _obs(193, costDetails={"total": 1e-05}),
        _obs(194, costDetails={"total": -0.5}),
        _obs(195, costDetails={"total": 123456789.123456}),
        _obs(196, costDetails={"total": 0}),
        _obs(197, costDetails={"total": 0.10}),
        _obs(198, costDetails={}, totalCost=None),
        _obs(199, costDetails={"total": 1.2345678901234567}),
        # times
        _obs(200, startTime="2026-08-10 12:00:01"),
        _obs(201, startTime=1786363200),
        _obs(202, startTime="yesterday"),
        _obs(203, startTime=None),
        _obs(204, startTime=None, start_time="2026-08-10T12:00:00+02:00"),
        _obs(205, startTime="2300-01-01T00:00:00Z"),
        # ids, users, tags
        _obs(210, id="obs-000003"),  # a duplicate of a plain line
        _obs(211, id="obs-000142"),  # a duplicate of an odd line
        _obs(212, id=212),
        _obs(213, id=None),
        _obs(214, userId=5),
        _obs(215, userId=None, user_id="u-snake", sessionId="", session_id="s-snake"),
        _obs(216, tags=["feature:"]),
        _obs(217, tags=[5, {"a": "feature:x"}, "feature:y"]),
        _obs(218, tags="feature:z"),
        _obs(226, tags=["feature:\u0301x"]),
        _obs(219, tags=[], traceName=None, trace_name="tn-snake"),
        _obs(220, tags=None, metadata={"provider": "anthropic"}, traceName=""),
        _snake(221, usage_details={"input": 5, "input_cached_tokens": 5, "output": 1, "total": 6}),
        _snake(222, provided_model_name="", model="mistral-small"),
        {"data": [_obs(223), _obs(224)]},  # a page on one line
        [_obs(225)],
        5,
        "text",
        None,
    ]
    lines = ok[:30] + [json.dumps(w) for w in weird] + ok[30:]
    raw = json.dumps(_obs(230))
    return [
        *lines,
        raw.replace('"input": 630', '"input": 1, "input": 630'),  # a repeated usage key
        raw.replace('"provider": "anthropic"', '"provider": "openai", "provider": "anthropic"'),
        raw.replace('"feature:ticket_summary"', '"feature\\u003aescaped"'),
        raw.replace('"input"', '"\\u0069nput"'),
        raw[:-1] + ', "model": "x",}',  # a trailing comma
        "",
        "not json",
        json.dumps(_obs(240))[:90],
    ]


@pytest.mark.parametrize("chunk", [None, 4000, 1000])
@pytest.mark.parametrize("gz", [False, True])
def test_langfuse_lines_with_every_quirk_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool, chunk: int | None
) -> None:
    assert_bulk_reads_as_python(tmp_path, monkeypatch, "langfuse", _lines(), gz=gz, chunk=chunk, in_sql=100)


def test_plain_langfuse_lines_are_all_decided_in_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [json.dumps(_obs(n) if n % 3 else _openai(n)) for n in range(60)]
    lines += [json.dumps(_span(n)) for n in range(60, 80)] + [json.dumps(_snake(n)) for n in range(80, 90)]
    fast, reference = _both(_write(tmp_path / "plain.jsonl", lines), monkeypatch)
    assert fast["bulk"]
    assert fast["in_sql"] == 90
    assert fast == reference
    assert any("20 observations that are not generations" in n for n in fast["notes"])
    assert any(f"20 {langfuse.INCLUSIVE_NOTE}" in n for n in fast["notes"])


def test_langfuse_rows_are_counted_and_costed_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = _both(_write(tmp_path / "l.jsonl", _lines()), monkeypatch)
    rows = {r["request_id"]: r for r in fast["rows"]}
    buckets = (
        "input_tokens",
        "cache_read_tokens",
        "cache_write_5m_tokens",
        "cache_write_1h_tokens",
        "cache_write_other_tokens",
        "output_tokens",
        "reasoning_tokens",
    )

    def counts(rid: str) -> tuple[int, ...]:
        return tuple(rows[rid][b] for b in buckets)

    # _obs(1): exclusive buckets, the total their sum: 401 input, 30,000 read, 2,000 + 3,000 written
    # by TTL (the 5,000 of unknown TTL are those two), 1,200 out
    assert counts("obs-000001") == (401, 30000, 2000, 3000, 0, 1200, 0)
    one = rows["obs-000001"]
    assert (one["provider"], one["tenant"], one["feature"], one["service_tier"]) == (
        "anthropic",
        "acme",
        "ticket_summary",
        "standard",
    )
    assert one["reported_cost_usd"] == Decimal("0.074386")
    # _openai(0): total 14,098 = 12,840 + 958 + 300: the input held the 11,264 cached tokens,
    # 12,840 - 11,264 = 1,576 uncached; output 958 + 300 reasoning
    assert counts("obs-000000") == (1576, 11264, 0, 0, 0, 1258, 300)
    assert (rows["obs-000000"]["provider"], rows["obs-000000"]["feature"]) == ("openai", "routing")
    assert rows["obs-000000"]["reported_cost_usd"] == Decimal("0.01317")
    # _obs(116): 900 written of unknown TTL; _obs(117): 500 in all, 600 at 5 minutes (no other)
    assert counts("obs-000116") == (100, 0, 0, 0, 900, 5, 0)
    assert counts("obs-000117") == (100, 0, 600, 0, 0, 0, 0)
    # _obs(114): every input key added (10 + 5 + 3), every output key (2 + 1)
    assert counts("obs-000114") == (18, 0, 0, 0, 0, 3, 0)
    # _obs(129): total 37,200 = 36,000 input + 1,200 output: the input held the 35,000 cache tokens
    assert counts("obs-000129") == (1000, 30000, 2000, 3000, 0, 1200, 0)
    # _obs(122): total = input + output too, but its 400 input cannot hold 35,000: buckets as given
    assert counts("obs-000122")[0] == 400
    assert rows["obs-000040"]["provider"] == "google"  # guessed from gemini-2.5-flash
    assert rows["obs-000040"]["reported_cost_usd"] == Decimal("0.00052")
    assert rows["obs-000195"]["reported_cost_usd"] == Decimal("123456789.123456")
    assert rows["obs-000197"]["reported_cost_usd"] == Decimal("0.1")
    assert rows["obs-000190"]["reported_cost_usd"] == Decimal("0.074386")  # from totalCost
    assert rows["obs-000198"]["reported_cost_usd"] is None
    guessed = {m: rows[f"obs-{165 + i:06d}"]["provider"] for i, m in enumerate(["o3", "o3-mini"])}
    assert guessed == {"o3": "openai", "o3-mini": "openai"}
    assert rows["obs-000168"]["provider"] == "openai"  # openai/gpt-4o
    assert rows["obs-000169"]["provider"] == "vertex_ai"
    assert rows["obs-000177"]["provider"] == "anthropic"  # Claude-Sonnet-4-6, lower-cased
    assert (rows["obs-000163"]["tenant"], rows["obs-000163"]["feature"]) == ("core", "search")
    assert rows["obs-000216"]["feature"] == "support-chat"  # an empty feature tag: the trace name
    assert rows["obs-000217"]["feature"] == "y"
    reasons = {q["source_line"]: q["reason"] for q in fast["quarantine"]}
    assert any('no provider for model "o30"' in r for r in reasons.values())
    assert any("no usage (usageDetails)" in r for r in reasons.values())
    assert any('duplicate request_id "obs-000003"' in r for r in reasons.values())
    notes = " ".join(fast["notes"])
    assert "observations that are not generations skipped" in notes


def test_the_keys_the_sql_reads_are_bucketed_as_the_reader_buckets_them() -> None:
    for key in bulk_langfuse.INPUT_KEYS:
        assert langfuse.buckets({key: 7})["input_tokens"] == 7, key
    for key in bulk_langfuse.OUTPUT_KEYS:
        assert langfuse.buckets({key: 7})["output_tokens"] == 7, key
    assert len(set(bulk_langfuse.KNOWN_KEYS)) == len(bulk_langfuse.KNOWN_KEYS)


def test_langfuse_fixtures_read_the_same_in_bulk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fixture is an API page (one document: Python's); its observations as export lines are bulk's.
    page = json.loads((FIXTURES / "langfuse_observations.json").read_text())
    fast, reference = _both(FIXTURES / "langfuse_observations.json", monkeypatch)
    assert not fast["bulk"]
    assert fast == reference
    lines = [json.dumps({**o, "traceId": o.get("traceId", "t")}) for o in page["data"]]
    fast, reference = _both(_write(tmp_path / "export.jsonl", lines), monkeypatch)
    assert fast["bulk"]
    assert fast["in_sql"] >= 3
    assert fast == reference


@pytest.mark.parametrize(
    "spec",
    [
        bulk_langfuse.FORMAT,
        bulk_helicone.FORMAT,
        bulk_litellm.FORMAT,
        bulk_openrouter.BARE,
        bulk_openrouter.ENVELOPE,
        *(bulk_gemini._format(envelope, snake) for envelope in (False, True) for snake in (False, True)),
        bulk_responses._bare(),
        *(bulk_responses._wrapped(s, None) for s in ("openai-envelope", "anthropic-envelope")),
    ],
)
def test_the_whole_reading_keeps_the_lines_order(spec: BulkFormat, tmp_path: Path) -> None:
    # The whole reading numbers the lines by the order its rows come in: its plan must hold no join
    # (DuckDB plans `x IN (...)` of more than a few constants as one, and a join reorders the rows
    # of a file large enough to be read by several threads, which the small test files are not).
    import duckdb

    duck = duckdb.connect()
    path = _write(tmp_path / "one.jsonl", ['{"id": "x"}'])
    ctx = SimpleNamespace(display="one.jsonl")
    reader = PieceReader(duck, ctx, spec, tmp_path, "plan", 2)  # type: ignore[arg-type]  # (only its display)
    plan = duck.sql("EXPLAIN " + reader.sql(path)).fetchall()[0][1]
    assert "JOIN" not in plan.upper()
