"""The bulk reading of Gemini responses (`ledger/readers/bulk_gemini.py`) against its reference, the
Python reader (`readers/gemini.py`): the same rows, quarantine, notes and account on generated
files of REST responses and envelopes with every quirk the reader meets, read whole, in small
pieces and gzipped; and the lines the SQL decides counted by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_bulk_readers import _both, _json_readings, _write

from inferonomics.ledger.readers import bulk

T0 = 1_786_363_200  # 2026-08-10T12:00:00Z


def _usage(n: int, **over: Any) -> dict[str, Any]:
    prompt, cached, cand, thoughts = 4000 + n, 1024, 300 + n, 50
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "cachedContentTokenCount": cached,
        "candidatesTokenCount": cand,
        "thoughtsTokenCount": thoughts,
        "totalTokenCount": prompt + cand + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
        "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": cached}],
        "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": cand}],
        "trafficType": "ON_DEMAND",
    }
    usage.update(over)
    return {k: v for k, v in usage.items() if v is not ...}


def _resp(n: int, usage: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
    """A REST response as the API writes it (Vertex AI's, with its createTime)."""
    rec: dict[str, Any] = {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "Ship it on Tuesday."}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": _usage(n) if usage is None else usage,
        "modelVersion": "gemini-2.5-flash",
        "createTime": f"2026-08-10T12:{n // 60 % 60:02d}:{n % 60:02d}.123456Z",
        "responseId": f"resp-{n:06d}",
    }
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not ...}


def _env(n: int, response: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
    """An envelope: the time and dimensions beside a Gemini API response (which has no time)."""
    rec: dict[str, Any] = {
        "ts": f"2026-08-11T09:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "user": f"u{n % 7}",
        "feature": "doc_qa",
        "response": _resp(n, createTime=...) if response is None else response,
    }
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not ...}


def _text(tokens: int, modality: str = "TEXT") -> list[dict[str, Any]]:
    return [{"modality": modality, "tokenCount": tokens}]


QUIRKS: list[Any] = [
    # counts of other types and sizes
    _resp(100, _usage(100, promptTokenCount="4100")),
    _resp(101, _usage(101, promptTokenCount=4101.0, promptTokensDetails=...)),
    _resp(102, _usage(102, candidatesTokenCount=-5, candidatesTokensDetails=...)),
    _resp(103, _usage(103, thoughtsTokenCount=True)),
    _resp(104, _usage(104, thoughtsTokenCount=None, toolUsePromptTokenCount=None)),  # nulls: 0
    _resp(105, _usage(105, promptTokenCount=10**13, promptTokensDetails=...)),
    _resp(106, _usage(106, candidatesTokenCount=10**30, candidatesTokensDetails=...)),
    _resp(107, _usage(107, cachedContentTokenCount=9000, cacheTokensDetails=...)),  # over the prompt
    _resp(108, _usage(108, toolUsePromptTokenCount=700, toolUsePromptTokensDetails=_text(700))),
    _resp(109, usage=...),  # no usage
    _resp(110, usage=[1, 2]),  # type: ignore[arg-type]
    _resp(111, usage=None) | {"usageMetadata": None},
    # snake_case (the SDK's), and the two spellings mixed in one usage object
    {
        "usage_metadata": {"prompt_token_count": 900, "candidates_token_count": 40},
        "model_version": "gemini-2.5-pro",
        "response_id": "sdk-1",
        "create_time": "2026-08-10T13:00:00Z",
    },
    _resp(113, _usage(113, promptTokenCount=..., prompt_token_count=5000)),
    _resp(114, _usage(114, promptTokenCount="", prompt_token_count=5001)),
    _resp(115, _usage(115, cachedContentTokenCount=0, cached_content_token_count=500)),
    _resp(116, modelVersion=..., model_version="gemini-2.5-flash-lite", responseId="", response_id="sdk-2"),
    _resp(117, createTime=..., create_time="2026-08-10T13:05:00Z"),
    # modality lists the SQL leaves (and a few it takes)
    _resp(120, _usage(120, promptTokensDetails=[*_text(4000), *_text(120, "AUDIO")])),
    _resp(121, _usage(121, promptTokensDetails=[*_text(4021, "IMAGE")], cachedContentTokenCount=0)),
    _resp(122, _usage(122, promptTokensDetails=_text(4122, "text"))),
    _resp(123, _usage(123, promptTokensDetails=_text(9999))),  # the list exceeds its count
    _resp(124, _usage(124, candidatesTokensDetails=[{"modality": "TEXT", "token_count": 424}])),
    _resp(125, _usage(125, candidatesTokensDetails=[])),  # empty: decided in SQL
    _resp(126, _usage(126, promptTokensDetails=_text(4126, "MODALITY_UNSPECIFIED"))),
    _resp(127, _usage(127, promptTokensDetails=_text(4127, "DOCUMENT"))),
    _resp(128, _usage(128, promptTokensDetails=[{"tokenCount": 4128, "modality": "TEXT"}])),
    _resp(129, _usage(129, promptTokensDetails=_text(4000, "AUDIO"))),  # cached, no cached split
    _resp(130, _usage(130, promptTokensDetails="TEXT")),
    _resp(131, _usage(131, cacheTokensDetails=[{"modality": "TEXT", "tokenCount": 1024.0}])),
    # traffic types
    _resp(140, _usage(140, trafficType="PROVISIONED_THROUGHPUT")),
    _resp(141, _usage(141, trafficType="ON_DEMAND_PRIORITY")),
    _resp(142, _usage(142, trafficType="ON_DEMAND_FLEX")),
    _resp(143, _usage(143, trafficType="SOMETHING_NEW")),
    _resp(144, _usage(144, trafficType=5)),
    _resp(145, _usage(145, trafficType="", traffic_type="ON_DEMAND_FLEX")),
    _env(146, _resp(146, _usage(146, trafficType=...), createTime=...), service_tier="priority"),
    # grounding with Google Search: a Gemini 3 model bills each query, earlier ones each prompt
    _resp(150, candidates=[{"groundingMetadata": {"webSearchQueries": ["a", "b"]}}]),
    _resp(
        151, modelVersion="gemini-3-pro", candidates=[{"groundingMetadata": {"webSearchQueries": ["a", "b"]}}]
    ),
    _resp(152, candidates=[{"groundingMetadata": {"groundingChunks": []}}]),  # no searches: SQL
    _resp(153, candidates=[{"grounding_metadata": {"web_search_queries": ["a"]}}]),  # (the SDK's)
    # times
    _env(160, ts="", timestamp="2026-01-01T00:00:00Z"),  # "" is a value: the response's (none)
    _env(161, _resp(161), ts=""),  # ... then createTime
    _env(162, ts=None, timestamp="2026-08-11T10:00:00+02:00"),
    _env(163, ts=T0 + 163),
    _env(164, ts=T0 + 0.5),
    _env(165, ts=10**15),
    _env(166, ts=True),
    _env(167, ts=7_258_118_399),  # 2199-12-31T23:59:59Z: the last instant billed
    _env(168, ts=7_258_118_400),  # 2200: quarantined by validation
    _env(169, ts=["2026"]),
    _env(170, ts="2026-08-11 09:00:00"),
    _env(171, ts="yesterday"),
    _env(172, ts="2026-08-11T09:00:00Z\u00e9"),
    _env(173, ts="2026\\/08"),
    _env(174, ts=..., created_at=T0 + 174),
    _env(178, ts="1969-12-31T23:59:59Z"),  # before 1970: quarantined by validation
    _env(179, ts="2199-12-31T23:59:59.999999Z"),
    _env(220, ts="2200-01-01T00:00:00Z"),
    _env(221, ts="2199-12-31T23:30:00-01:00"),  # 2200 in UTC
    _env(222, ts="2026-08-11T09:00:00"),  # no zone: UTC
    _env(223, ts="2026-02-30T09:00:00Z"),  # no such day
    _env(224, ts=" 2026-08-11T09:00:00Z"),
    _resp(175, createTime=...),  # no time at all
    _resp(176, createTime=..., ts="2026-08-11T09:00:00Z"),  # a bare response's own ts is not read
    _resp(177, createTime=0),
    # envelopes
    _env(180, provider="vertex", tenant="acme", session="s\\1", region="us-central1", service_tier="flex"),
    _env(181, user=5),
    _env(182, _resp(182, modelVersion=..., createTime=...), model="gemini-2.5-flash-lite"),
    _env(183, _resp(183, modelVersion="", createTime=...), model=""),
    _env(184, _resp(184, modelVersion=7)),
    _env(185, _resp(185, responseId=9)),
    _resp(186, response=None),  # a null response: the line is the response
    _resp(187, response="text"),
    _env(188, provider=None, tenant=None),
    _env(189, _resp(189, modelVersion="gemini-2.5-flash-\u00e9", responseId='r\\"189')),
    # batch lines, Vertex batch lines, batch job objects (whose time the lines after them take)
    {"key": "request-1", "response": _resp(190, createTime=...)},
    {"key": None, "response": _resp(191)},
    {"name": "batches/abc", "metadata": {"endTime": "2026-08-10T01:42:10Z"}},
    {"key": "request-2", "response": _resp(192, createTime=...)},
    {"key": "request-3", "error": {"code": 400}},
    {"request": {"contents": []}, "response": _resp(193), "status": ""},
    {"request": None, "response": _resp(194), "status": "failed"},
    {"name": "batches/def", "metadata": {}},  # no time: the lines after it take none
    {"key": "request-4", "response": _resp(195, createTime=...)},
    _resp(196, name="models/x"),
    _resp(197, name=None),
    _resp(198, name="batches/xyz"),  # a response named as a batch job: read as the job
    # lists of responses
    {"responses": [_resp(200), _resp(201)]},
    [_resp(202), _resp(203)],
    {"responses": None, **_resp(204)},
    # duplicate ids: of a simple line, of a line Python reads
    _resp(210, responseId="resp-000003"),
    _resp(211, responseId="resp-000100"),
    # words the SQL looks for, inside text
    _resp(212, candidates=[{"content": {"parts": [{"text": "key"}]}}]),
    _resp(213, candidates=[{"content": {"parts": [{"text": 'a {"key": 1} b'}]}}]),
    _env(214, _resp(214), key=None),
    "a string",
]


def _snake(value: Any) -> Any:
    """`value` with its keys in snake_case, as the Python SDK dumps its objects."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


SNAKE_QUIRKS: list[Any] = [
    {**_snake(_resp(260)), "usageMetadata": ""},  # blank: the snake_case usage is read
    {**_snake(_resp(261)), "usageMetadata": _usage(999)},  # the camelCase usage is read
    {**_snake(_resp(262)), "usageMetadata": None},
    _snake(_resp(263, _usage(263, promptTokensDetails=[{"modality": "TEXT", "tokenCount": 4263}]))),
    _snake(_env(264)) | {"response": {**_snake(_resp(264, createTime=...)), "usageMetadata": _usage(998)}},
    _snake(_env(265)) | {"response": {**_snake(_resp(265, createTime=...)), "usageMetadata": ""}},
]


def _lines(envelopes: bool, snake: bool = False) -> list[str]:
    """80 lines of one shape (envelopes or bare responses; REST or, `snake`, the SDK's: the file's
    first line says which the SQL reads), 10 of another (left to Python), every quirk, and text
    that is not a response."""
    ones, others = (_env, _resp) if envelopes else (_resp, _env)
    shape = _snake if snake else (lambda x: x)
    ok = [json.dumps(shape(ones(n))) for n in range(80)] + [json.dumps(others(n)) for n in range(80, 90)]
    quirks = [*(_snake(q) for q in QUIRKS), *SNAKE_QUIRKS] if snake else QUIRKS
    lines = ok[:40] + [json.dumps(q) for q in quirks] + ok[40:]
    lines += [
        "",
        "   ",
        "not json at all",
        json.dumps(_resp(230))[:90],  # cut short
        " " + json.dumps(_resp(231)),  # a leading blank
        '{"\\u006bey": "x", ' + json.dumps(_resp(232))[1:],  # a batch key spelt with an escape
        json.dumps(_resp(233, modelVersion="gemini-2.5-flash-\u00e9"), ensure_ascii=False),
        json.dumps(_resp(235), indent=None, separators=(",", ":")),
    ]
    return lines


_FILES = [
    ("gemini.jsonl", "\n", False, False, None),
    ("gemini.jsonl.gz", "\n", True, False, None),
    ("gemini-crlf.jsonl", "\r\n", True, True, 1500),
    ("gemini-small.jsonl", "\n", False, False, 900),
]


@pytest.mark.parametrize(
    ("envelopes", "snake", "name", "end", "last_open", "bom", "chunk"),
    [
        *((True, False, *f) for f in _FILES),
        *((False, False, *f) for f in _FILES),
        *((envelopes, True, *f) for envelopes in (True, False) for f in (_FILES[0], _FILES[3])),
    ],
)
def test_gemini_responses_with_every_quirk_read_the_same(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    envelopes: bool,
    snake: bool,
    name: str,
    end: str,
    last_open: bool,
    bom: bool,
    chunk: int | None,
) -> None:
    lines = _lines(envelopes, snake)
    if last_open:
        lines.append(json.dumps(_resp(240))[:-30])  # half written: no newline, not closed
    path = _write(tmp_path / name, lines, end=end, last_open=last_open, bom=bom)
    if chunk is not None:
        monkeypatch.setattr(bulk, "CHUNK_BYTES", chunk)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"]
    assert fast["in_sql"] >= 80  # the plain lines of the file's shape were decided in SQL
    assert fast["in_sql"] <= len(lines) - 70  # ... the other shapes and the quirks mostly left to Python
    assert fast == reference
    # The quirks are there: read as the Python reader reads them.
    reasons = [q["reason"] for q in fast["quarantine"]]
    assert sum("duplicate request_id" in r for r in reasons) == 2
    assert sum("not valid JSON" in r for r in reasons) >= 2 + last_open
    assert any("exceeds promptTokenCount" in r for r in reasons)
    assert any("PROVISIONED_THROUGHPUT" in r for r in reasons)
    assert any("no timestamp" in r for r in reasons)
    assert any("batch request request-3 failed" in r for r in reasons)
    # (a job object in snake_case, `end_time`, is a job too: its lines take its time)
    assert any("batch job objects" in n for n in fast["notes"])
    rows = {r["request_id"]: r for r in fast["rows"]}
    assert rows["resp-000150"]["web_search_requests"] == 1
    assert rows["resp-000151"]["web_search_requests"] == 2
    assert rows["resp-000120"]["input_audio_tokens"] == 120
    assert rows["resp-000192"]["service_tier"] == "batch"  # (the job's time taken)


def _hand(n: int, *, tool: int = 0) -> dict[str, int]:
    """The ledger counts of `_usage(n)` by Gemini's rules, by hand."""
    prompt, cached, cand, thoughts = 4000 + n, 1024, 300 + n, 50
    return {
        "input_tokens": prompt - cached + tool,
        "cache_read_tokens": cached,
        "output_tokens": cand + thoughts,
        "reasoning_tokens": thoughts,
    }


def test_the_bare_lines_the_sql_decides_are_counted_by_gemini_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        _resp(1),
        _resp(3, _usage(3, toolUsePromptTokenCount=700, trafficType="ON_DEMAND_PRIORITY")),
        _resp(4, _usage(4, trafficType="ON_DEMAND_FLEX", promptTokensDetails=[]), createTime=T0 + 4),
        _resp(
            6, _usage(6, prompt_token_count=1), candidates=[{"groundingMetadata": {"groundingChunks": []}}]
        ),
        _resp(7, _usage(7, trafficType="SOMETHING_NEW", candidatesTokensDetails=[])),
        _resp(8, modelVersion="gemini-\u00e9", responseId='r"8', ts="2020-01-01T00:00:00Z"),
        _resp(9, _usage(9, trafficType=...), modelVersion=...),
    ]
    path = _write(tmp_path / "sql.jsonl", [json.dumps(r) for r in records])
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert taken == [True]  # read whole by DuckDB's JSON reader
    assert fast["in_sql"] == len(records)  # every line decided in SQL, none left to Python
    assert fast == reference
    rows = {r["request_id"]: r for r in fast["rows"]}
    for n in (1, 4, 6):
        got = rows[f"resp-{n:06d}"]
        assert {k: got[k] for k in _hand(n)} == _hand(n), n
    assert {k: rows["resp-000003"][k] for k in _hand(3)} == _hand(3, tool=700)
    tiers = [rows[f"resp-{n:06d}"]["service_tier"] for n in (1, 3, 4)]
    assert tiers == ["standard", "priority", "flex"]
    # a traffic type the reader does not know is passed on as the tier, which validation refuses; a
    # response without a model version has no model
    assert [(q["source_line"], q["field"]) for q in fast["quarantine"]] == [(5, "service_tier"), (7, "model")]
    assert {r["provider"] for r in fast["rows"]} == {"google"}
    assert rows['r"8']["model"] == "gemini-\u00e9"
    assert str(rows['r"8']["ts"]).startswith("2026-08-10 12:00:08.123456")  # its own ts is not read
    assert str(rows["resp-000004"]["ts"]).startswith("2026-08-10 12:00:04")
    assert str(rows["resp-000001"]["ts"]).startswith("2026-08-10 12:00:01.123456")


def test_the_envelopes_the_sql_decides_are_counted_by_gemini_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        _env(1),
        _env(2, provider="vertex", tenant="acme", session="s\\1", service_tier="flex"),
        _env(3, _resp(3, _usage(3, trafficType="ON_DEMAND_PRIORITY")), service_tier="flex"),
        _env(
            4, _resp(4, _usage(4, trafficType=...), modelVersion=...), model="gemini-x", service_tier="flex"
        ),
        _env(5, ts=T0 + 5),
        _env(6, _resp(6), ts="", timestamp="2020-01-01T00:00:00Z"),  # "" taken: the response's time
        _env(7, ts=None, created_at="2026-08-11T09:00:00.5+05:30"),
        _env(8, _resp(8, _usage(8, toolUsePromptTokenCount=700, toolUsePromptTokensDetails=_text(700)))),
        _env(9, _resp(9, modelVersion="", createTime=...), model=""),
    ]
    path = _write(tmp_path / "sql.jsonl", [json.dumps(r) for r in records])
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert taken == [True]
    assert fast["in_sql"] == len(records)
    assert fast == reference
    rows = {r["request_id"]: r for r in fast["rows"]}
    for n in (1, 2, 3, 4, 5, 6, 7):
        got = rows[f"resp-{n:06d}"]
        assert {k: got[k] for k in _hand(n)} == _hand(n), n
    assert {k: rows["resp-000008"][k] for k in _hand(8)} == _hand(8, tool=700)
    tiers = [rows[f"resp-{n:06d}"]["service_tier"] for n in (1, 2, 3, 4)]
    assert tiers == ["standard", "standard", "priority", "flex"]  # trafficType over the envelope's
    assert [rows["resp-000002"][k] for k in ("provider", "tenant", "user", "session")] == [
        "vertex",
        "acme",
        "u2",
        "s\\1",
    ]
    assert rows["resp-000001"]["provider"] == "google"
    assert rows["resp-000004"]["model"] == "gemini-x"
    assert [(q["source_line"], q["field"]) for q in fast["quarantine"]] == [(9, "model")]  # "" is none
    assert str(rows["resp-000005"]["ts"]).startswith("2026-08-10 12:00:05")
    assert str(rows["resp-000006"]["ts"]).startswith("2026-08-10 12:00:06.123456")
    assert str(rows["resp-000007"]["ts"]).startswith("2026-08-11 03:30:00.5")
    assert str(rows["resp-000001"]["ts"]).startswith("2026-08-11 09:00:01")


@pytest.mark.parametrize("envelope", [False, True])
def test_the_sdks_snake_case_lines_the_sql_decides_are_counted_by_gemini_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, envelope: bool
) -> None:
    records = [
        _resp(1),
        _resp(2, _usage(2, toolUsePromptTokenCount=700, trafficType="ON_DEMAND_FLEX")),
        _resp(3, _usage(3, trafficType=...)),
    ]
    lines = [_snake(_env(n, r) if envelope else r) for n, r in enumerate(records, 1)]
    # a blank camelCase usage beside the snake_case one: the snake_case usage is read
    blank = _snake(_resp(4))
    blank["usageMetadata"] = ""
    lines.append(_snake(_env(4, blank)) | {"response": blank} if envelope else blank)
    path = _write(tmp_path / "sdk.jsonl", [json.dumps(x) for x in lines])
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert taken == [True]
    assert fast["in_sql"] == len(lines)  # every line decided in SQL
    assert fast == reference
    rows = {r["request_id"]: r for r in fast["rows"]}
    assert {k: rows["resp-000001"][k] for k in _hand(1)} == _hand(1)
    assert {k: rows["resp-000004"][k] for k in _hand(4)} == _hand(4)
    assert {k: rows["resp-000002"][k] for k in _hand(2)} == _hand(2, tool=700)
    assert [rows[f"resp-{n:06d}"]["service_tier"] for n in (1, 2, 3)] == ["standard", "flex", "standard"]
    assert {r["model"] for r in fast["rows"]} == {"gemini-2.5-flash"}


@pytest.mark.parametrize(
    ("first", "why"),
    [
        ({"name": "batches/x", "metadata": {"endTime": "2026-08-10T01:00:00Z"}}, "a batch job first"),
        ({"key": "k-1", "response": _resp(1, createTime=...)}, "a batch output line first"),
        ({"usage_metadata": [5], "create_time": "2026-08-10T00:00:00Z"}, "usage of another type"),
    ],
)
def test_a_file_that_does_not_start_with_a_response_or_an_envelope_is_read_by_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: dict[str, Any], why: str
) -> None:
    lines = [json.dumps(first)] + [json.dumps({"key": f"k{n}", "response": _resp(n)}) for n in range(2, 9)]
    path = _write(tmp_path / "batch.jsonl", lines)
    fast, reference = _both(path, monkeypatch)
    assert not fast["bulk"], why
    assert fast == reference, why
    assert {r["service_tier"] for r in fast["rows"]} == {"batch"}, why


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (json.dumps({**_resp(300), "key": None}), "a batch key, null"),
        (json.dumps({**_resp(301), "request": None, "response": _resp(301)}), "a Vertex batch line"),
        (json.dumps(_resp(302, usage="none")), "usage of another type"),  # type: ignore[arg-type]
        (json.dumps(_env(303, response="none")), "a response of another type"),  # type: ignore[arg-type]
        (json.dumps(_resp(304, _usage(304, promptTokenCount=float("nan")))), "NaN"),
        (
            json.dumps(_resp(305, _usage(305, promptTokensDetails={"modality": "TEXT"}))),
            "an object, not a list",
        ),
        (json.dumps(_resp(306, modelVersion="m" * 300_000)), "a huge model name"),
        (json.dumps({"name": "batches/x", "metadata": {"endTime": "2026-08-10T01:00:00Z"}}), "a batch job"),
    ],
)
def test_a_hostile_line_among_plain_ones_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, why: str
) -> None:
    lines = [json.dumps(_resp(n) if n % 10 == 5 else _env(n)) for n in range(60)]
    lines.insert(37, line)
    lines.insert(45, json.dumps({"key": "after", "response": _resp(399, createTime=...)}))
    path = _write(tmp_path / "hostile.jsonl", lines)
    monkeypatch.setattr(bulk, "CHUNK_BYTES", 4000)  # pieces of a few lines: most of them plain
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert fast["bulk"], why
    assert any(taken), why  # DuckDB's JSON reader read the plain pieces
    assert fast["in_sql"] >= 50, why  # (the bare responses and the batch line left to Python)
    assert fast == reference, why
