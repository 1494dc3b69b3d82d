"""Azure OpenAI chat completions (content-filter results in every response) read in bulk in their own
shape (`bulk_responses.AZURE`: the SQL tells Azure from OpenAI as `responses.is_azure` does) against
the reference, the Python reader: bare, in envelopes and as Batch output, with every quirk of the
filter results; read whole, in pieces and gzip; and a file of them read whole by DuckDB's JSON
reader, every line decided in SQL (it was left to Python whole before: every line has the text
`filter_results`). Also: text with the escapes Go's writers put for `<`, `>` and `&` is decided in
SQL, a key spelt with escapes of a word's letters is not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_bulk_envelopes import _envelope, _message, _openai_batch
from test_bulk_readers import _both, _chat, _json_readings, _write, assert_bulk_reads_as_python

from inferonomics.ledger.readers import bulk_responses

FILTERS = {
    "hate": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}


def _azure(n: int, **usage: Any) -> dict[str, Any]:
    """A chat completion as Azure OpenAI returns it: filter results for the prompt and each choice."""
    body = _chat(n, **usage)
    body["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": FILTERS}]
    body["choices"] = [{**c, "content_filter_results": FILTERS} for c in body["choices"]]
    return body


def _quirks() -> list[dict[str, Any]]:
    """Bodies whose provider depends on the filter results (the reference decides each)."""
    plain = _chat(200)
    return [
        {**_azure(100), "prompt_filter_results": None},  # a null at the top: present, so Azure
        {**_azure(101), "prompt_filter_results": []},
        {k: v for k, v in _azure(102).items() if k != "prompt_filter_results"},  # choices only
        {**_azure(103), "choices": [{"index": 0, "content_filter_results": None}]},  # a null in a choice
        {**_azure(104), "choices": [{"index": 0}, {"index": 1, "content_filter_results": {}}]},
        {**plain, "id": "p-105", "choices": {"content_filter_results": FILTERS}},  # not a list: OpenAI
        {**plain, "id": "p-106", "choices": ["content_filter_results"]},  # a string, not a key
        {
            **plain,
            "id": "p-107",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": '"content_filter_results"'}}
            ],
        },
        {**plain, "id": "p-108"},  # an OpenAI response among Azure ones
        {
            **plain,
            "id": "p-109",
            "choices": [{"index": 0, "message": {"content_filter_results": {}}}],
        },  # deeper
        {**_azure(110, prompt_tokens="1200")},  # a text count
        {**_azure(111), "object": "chat.completion.chunk"},
        {
            "id": "resp_112",
            "object": "response",
            "created_at": 1786363400,
            "model": "gpt-5.4-mini",
            "output": [{"type": "message"}],
            "usage": {"input_tokens": 500, "output_tokens": 20},
            "prompt_filter_results": [],
        },
        {**_azure(113), "id": "chatcmpl-000001"},  # a duplicate id
        {**_azure(114), "model": None},
        _message(115),  # an Anthropic message
    ]


def _bare_lines() -> list[str]:
    ok = [json.dumps(_azure(n)) for n in range(40)]
    return ok[:20] + [json.dumps(q) for q in _quirks()] + ok[20:] + ['{"id": "cut", "object": "chat.comp']


@pytest.mark.parametrize(("gz", "chunk"), [(False, None), (True, None), (False, 1500)])
def test_bare_azure_responses_read_as_python_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool, chunk: int | None
) -> None:
    assert_bulk_reads_as_python(tmp_path, monkeypatch, "azure", _bare_lines(), gz=gz, chunk=chunk, in_sql=40)


def test_azure_envelopes_and_batch_output_read_as_python_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelopes = [json.dumps(_envelope(n, _azure(n))) for n in range(40)]
    envelopes[5:5] = [json.dumps(_envelope(300 + i, q)) for i, q in enumerate(_quirks())]
    assert_bulk_reads_as_python(tmp_path, monkeypatch, "azure-envelopes", envelopes, in_sql=40)
    batch = [
        json.dumps(_openai_batch(n, response={"status_code": 200, "body": _azure(n)})) for n in range(40)
    ]
    batch[7:7] = [
        json.dumps(_openai_batch(400 + i, response={"status_code": 200, "body": q}))
        for i, q in enumerate(_quirks())
    ]
    assert_bulk_reads_as_python(tmp_path, monkeypatch, "azure-batch", batch, in_sql=40)
    with_object = [json.dumps({"object": "batch", "id": "batch_1", "completed_at": 1786370000}), *batch]
    assert_bulk_reads_as_python(tmp_path, monkeypatch, "azure-batch-object", with_object, in_sql=40)


def test_a_file_of_azure_responses_is_read_whole_and_decided_in_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [json.dumps(_azure(n)) for n in range(30)]
    lines[3] = json.dumps({k: v for k, v in _azure(3).items() if k != "prompt_filter_results"})
    path = _write(tmp_path / "azure.jsonl", lines)
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert taken == [True]  # one whole reading by DuckDB's JSON reader
    assert fast["in_sql"] == 30  # every line decided in SQL (line 4 by its choices' filter results)
    assert fast == reference
    # By hand: every row Azure; input = prompt - cached - written = 1000 + n - 640.
    assert {r["provider"] for r in fast["rows"]} == {"azure"}
    assert sum(r["input_tokens"] for r in fast["rows"]) == sum(1000 + n - 640 for n in range(30))


def test_the_shape_is_chosen_by_the_first_line() -> None:
    azure, openai = json.dumps(_azure(1)), json.dumps(_chat(1))
    assert bulk_responses.spec_for(azure, openai) == (bulk_responses.AZURE, None)
    assert bulk_responses.spec_for(openai, azure) == (bulk_responses.FORMAT, None)
    spec, _ = bulk_responses.spec_for(json.dumps(_envelope(1, _azure(1))), "") or (None, None)
    assert spec is not None
    assert "filter_results" not in spec.words
    assert "'azure'" in spec.columns["provider"]


def _go_escaped(body: dict[str, Any]) -> str:
    """The line as Go's encoding/json writes it: `<`, `>` and `&` in strings escaped (`\\u003c`)."""
    return json.dumps(body).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def test_text_escaped_as_go_escapes_it_is_decided_in_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Go's writers escape `<`, `>` and `&`; no word the SQL looks for has them, so such lines are
    read whole and decided in SQL (before, every one went to Python). A key spelt with an escape of
    a word's letter (`prompt_\\u0066ilter_results`) is still left to Python, which reads it as Azure."""
    code = {"index": 0, "message": {"role": "assistant", "content": "Use <b>x & y</b>."}}
    lines = [_go_escaped({**_chat(n), "choices": [code]}) for n in range(30)]
    path = _write(tmp_path / "go.jsonl", lines)
    taken = _json_readings(monkeypatch)
    fast, reference = _both(path, monkeypatch)
    assert taken == [True]
    assert fast["in_sql"] == 30
    assert fast == reference
    assert {r["provider"] for r in fast["rows"]} == {"openai"}
    hidden = json.dumps(_chat(40)).replace('"id"', '"prompt_\\u0066ilter_results": [], "id"', 1)
    spelt = json.dumps(_chat(41)).replace('"usage": {', '"usage": {"\\u0063ache_read_input_tokens": 5, ', 1)
    for chunk in (None, 2000):
        mixed = [*lines[:10], hidden, *lines[10:20], spelt, *lines[20:]]
        assert_bulk_reads_as_python(tmp_path, monkeypatch, f"go-{chunk}", mixed, chunk=chunk, in_sql=30)
    fast, _ = _both(_write(tmp_path / "hidden.jsonl", [*lines, hidden]), monkeypatch)
    assert fast["rows"][-1]["provider"] == "azure"  # (the reference's reading: the key is present)
