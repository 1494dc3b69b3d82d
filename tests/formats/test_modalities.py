"""Audio, image and video tokens priced at their own rates (issue 10).

Records are in the shapes the producers emit:

* Gemini `usageMetadata` with `promptTokensDetails` / `cacheTokensDetails` / `candidatesTokensDetails`,
  lists of `{modality, tokenCount}` (https://ai.google.dev/api/generate-content#UsageMetadata);
* OpenAI Chat Completions `usage.prompt_tokens_details.audio_tokens` and
  `completion_tokens_details.audio_tokens` (https://platform.openai.com/docs/api-reference/chat/object);
* the OpenAI Images API `usage` with `input_tokens_details` {text_tokens, image_tokens}
  (https://platform.openai.com/docs/api-reference/images/object);
* the OpenAI Usage API's `input_audio_tokens`, `input_cached_audio_tokens`, `output_audio_tokens`
  (https://platform.openai.com/docs/api-reference/usage/completions_object).

Expected costs are computed by hand below from the published rate in force at each record's date
(Gemini: https://ai.google.dev/gemini-api/docs/pricing; OpenAI: https://platform.openai.com/docs/pricing
and the announcements cited in the overlay), never from the code under test.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from inferonomics.billing.bill import bill, price
from inferonomics.billing.focus import focus_export
from inferonomics.catalog.book import PriceBook, Quote
from inferonomics.ledger.core import Ledger

M = Decimal(1_000_000)


def usd(*terms: tuple[int, str]) -> Decimal:
    """Tokens times a published rate in USD per million tokens, summed."""
    return sum((n * Decimal(rate) / M for n, rate in terms), Decimal(0))


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def priced_rows(path: Path, book: PriceBook) -> dict[str, dict[str, Any]]:
    with Ledger.open([path]) as ledger:
        return {r["request_id"]: r for r in price(ledger, book=book).to_arrow().to_pylist()}


def gemini(rid: str, ts: str, model: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {"ts": ts, "response": {"responseId": rid, "modelVersion": model, "usageMetadata": usage}}


def chat(
    rid: str, created: int, model: str, prompt: dict[str, Any], completion: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "usage": {
            "prompt_tokens": prompt.pop("total"),
            "completion_tokens": completion.pop("total"),
            "prompt_tokens_details": prompt,
            "completion_tokens_details": completion,
        },
    }


# 2025-09-10 12:00 UTC and other instants used below, as Unix seconds.
SEP_2025 = 1757505600
JAN_2025 = 1736942400  # 2025-01-15 12:00 UTC
NOV_2024 = 1731672000  # 2024-11-15 12:00 UTC
FEB_2025 = 1738411200  # 2025-02-01 12:00 UTC


def test_gemini_audio_input_and_cached_audio_at_their_rates(tmp_path: Path, book: PriceBook) -> None:
    usage = {
        "promptTokenCount": 12000,
        "cachedContentTokenCount": 4000,
        "candidatesTokenCount": 300,
        "thoughtsTokenCount": 200,
        "totalTokenCount": 12500,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": 2000},
            {"modality": "AUDIO", "tokenCount": 10000},
        ],
        "cacheTokensDetails": [
            {"modality": "TEXT", "tokenCount": 1000},
            {"modality": "AUDIO", "tokenCount": 3000},
        ],
        "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 300}],
    }
    path = write_jsonl(
        tmp_path / "g.jsonl", [gemini("g1", "2025-09-10T12:00:00Z", "gemini-2.5-flash", usage)]
    )
    row = priced_rows(path, book)["g1"]
    assert (row["input_tokens"], row["input_audio_tokens"]) == (8000, 7000)
    assert (row["cache_read_tokens"], row["cache_read_audio_tokens"]) == (4000, 3000)
    assert (row["output_tokens"], row["reasoning_tokens"]) == (500, 200)
    # Gemini 2.5 Flash: input $0.30 text / $1.00 audio, cached $0.03 text / $0.10 audio, output $2.50.
    assert row["cost_input_usd"] == usd((1000, "0.30"), (7000, "1.00"))
    assert row["cost_cache_read_usd"] == usd((1000, "0.03"), (3000, "0.10"))
    assert row["cost_usd"] == Decimal("0.00888")
    # Priced as if all text it would be $0.00377: the audio-heavy request is 2.4x that.
    assert row["cost_usd"] == usd((1000, "0.30"), (7000, "1"), (1000, "0.03"), (3000, "0.1"), (500, "2.5"))


def test_gemini_image_input_at_the_text_rate_google_publishes(tmp_path: Path, book: PriceBook) -> None:
    usage = {
        "promptTokenCount": 1290,
        "candidatesTokenCount": 100,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": 32},
            {"modality": "IMAGE", "tokenCount": 1258},
        ],
    }
    path = write_jsonl(tmp_path / "g.jsonl", [gemini("g2", "2025-09-10T12:00:00Z", "gemini-2.5-pro", usage)])
    row = priced_rows(path, book)["g2"]
    assert row["input_image_tokens"] == 1258
    # Gemini 2.5 Pro: one input price for text / image / video, $1.25 (prompts <= 200k), output $10.
    assert row["status"] == "priced"
    assert row["cost_usd"] == usd((1290, "1.25"), (100, "10"))


def test_an_unknown_modality_rate_leaves_the_request_unpriced(tmp_path: Path, book: PriceBook) -> None:
    audio_out = {
        "promptTokenCount": 100,
        "candidatesTokenCount": 900,
        "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 900}],
    }
    g_record = gemini("g3", "2025-09-10T12:00:00Z", "gemini-2.5-flash", audio_out)
    c_record = chat("c1", JAN_2025, "gpt-4o", {"total": 300, "audio_tokens": 200}, {"total": 10})
    g_path = write_jsonl(tmp_path / "g.jsonl", [g_record])
    c_path = write_jsonl(tmp_path / "c.jsonl", [c_record])
    rows = {**priced_rows(g_path, book), **priced_rows(c_path, book)}
    assert rows["g3"]["status"] == "unpriced: no audio output rate for google/gemini-2.5-flash"
    assert rows["c1"]["status"] == "unpriced: no audio input rate for openai/gpt-4o"
    assert rows["g3"]["cost_usd"] is None
    assert rows["c1"]["cost_usd"] is None
    with Ledger.open([g_path, c_path]) as ledger:
        table = bill(ledger, book=book).table.to_pylist()
    assert sum(r["unpriced_requests"] for r in table) == 2
    assert sum((r["cost_usd"] for r in table), Decimal(0)) == 0


def test_openai_audio_chat_completions_by_date(tmp_path: Path, book: PriceBook) -> None:
    def record(rid: str, created: int, model: str, p: int, pa: int, c: int, ca: int) -> dict[str, Any]:
        return chat(
            rid, created, model, {"total": p, "cached_tokens": 0, "audio_tokens": pa},
            {"total": c, "reasoning_tokens": 0, "audio_tokens": ca},
        )  # fmt: skip

    records = [
        record("a-dec", JAN_2025, "gpt-4o-audio-preview-2024-12-17", 1000, 800, 500, 400),
        record("a-oct", NOV_2024, "gpt-4o-audio-preview", 1000, 800, 500, 400),
        record("mini", FEB_2025, "gpt-4o-mini-audio-preview", 500, 400, 200, 150),
    ]
    rows = priced_rows(write_jsonl(tmp_path / "a.jsonl", records), book)
    assert rows["a-dec"]["input_audio_tokens"] == 800
    assert rows["a-dec"]["output_audio_tokens"] == 400
    # From 2024-12-17: text $2.50 / $10, audio $40 / $80 per MTok.
    assert rows["a-dec"]["cost_usd"] == usd((200, "2.5"), (800, "40"), (100, "10"), (400, "80"))
    assert rows["a-dec"]["cost_usd"] == Decimal("0.0655")
    # Before the cut (launch 2024-10-17): audio $100 / $200.
    assert rows["a-oct"]["cost_usd"] == usd((200, "2.5"), (800, "100"), (100, "10"), (400, "200"))
    # GPT-4o mini audio: text $0.15 / $0.60, audio $10 / $20.
    assert rows["mini"]["cost_usd"] == usd((100, "0.15"), (400, "10"), (50, "0.6"), (150, "20"))


def test_openai_image_input_to_a_chat_model_is_billed_as_text(tmp_path: Path, book: PriceBook) -> None:
    record = chat("v1", JAN_2025, "gpt-4o", {"total": 800, "image_tokens": 765}, {"total": 50})
    row = priced_rows(write_jsonl(tmp_path / "v.jsonl", [record]), book)["v1"]
    assert row["input_image_tokens"] == 765
    # GPT-4o (gpt-4o-2024-08-06 from 2024-10-02): $2.50 / $10; images are metered at the input rate.
    assert row["cost_usd"] == usd((800, "2.5"), (50, "10"))


def test_audio_with_cached_tokens_but_no_split_is_quarantined(tmp_path: Path) -> None:
    record = chat(
        "q1",
        JAN_2025,
        "gpt-4o-audio-preview",
        {"total": 900, "audio_tokens": 500, "cached_tokens": 256},
        {"total": 5},
    )
    path = write_jsonl(tmp_path / "q.jsonl", [record])
    with Ledger.open([path]) as ledger:
        reasons = [r["reason"] for r in ledger.quarantine().to_pylist()]
    assert len(reasons) == 1
    assert "no split of those by modality" in reasons[0]


def test_gpt_image_1_images_api_response(tmp_path: Path, book: PriceBook) -> None:
    response = {
        "created": 1746100800,  # 2025-05-01 12:00 UTC
        "data": [{"b64_json": "..."}],
        "usage": {
            "total_tokens": 4210,
            "input_tokens": 50,
            "output_tokens": 4160,
            "input_tokens_details": {"text_tokens": 10, "image_tokens": 40},
        },
    }
    path = write_jsonl(tmp_path / "i.jsonl", [{"model": "gpt-image-1", "response": response, "user": "u1"}])
    rows = list(priced_rows(path, book).values())
    assert len(rows) == 1
    row = rows[0]
    assert (row["input_image_tokens"], row["output_image_tokens"]) == (40, 4160)
    # gpt-image-1: text input $5, image input $10, image output $40 per MTok.
    assert row["cost_usd"] == usd((10, "5"), (40, "10"), (4160, "40")) == Decimal("0.16685")


LEDGER_HEADER = (
    "ts,request_id,provider,model,input_tokens,input_audio_tokens,input_image_tokens,cache_read_tokens,"
    "cache_read_audio_tokens,output_tokens,output_audio_tokens\n"
)


def test_gpt_realtime_ledger_rows_and_their_rollups(tmp_path: Path, book: PriceBook) -> None:
    path = tmp_path / "rt.csv"
    path.write_text(
        LEDGER_HEADER
        + "2025-09-15T10:00:00Z,r1,openai,gpt-realtime,2000,1500,100,5000,4000,1000,800\n"
        + "2025-09-15T11:00:00Z,r2,openai,gpt-realtime-2025-08-28,1000,0,0,0,0,100,0\n"
        + "2025-09-15T12:00:00Z,r3,openai,gpt-4o-realtime-preview,1000,1000,0,0,0,100,100\n"
    )
    # gpt-realtime: text $4 / cached $0.40 / $16, audio $32 / cached $0.40 / $64, image $5.
    r1 = usd((400, "4"), (1500, "32"), (100, "5"), (1000, "0.4"), (4000, "0.4"), (200, "16"), (800, "64"))
    assert r1 == Decimal("0.1065")
    r2 = usd((1000, "4"), (100, "16"))
    # gpt-4o-realtime-preview from 2024-12-17: audio $40 / $80, text output $20.
    r3 = usd((1000, "40"), (100, "80"))
    rows = priced_rows(path, book)
    assert [rows[k]["cost_usd"] for k in ("r1", "r2", "r3")] == [r1, r2, r3]
    with Ledger.open([path]) as ledger:
        by_model = {r["model"]: r for r in bill(ledger, by=["model"], book=book).table.to_pylist()}
        assert by_model["gpt-realtime"]["cost_usd"] == r1
        assert sum((r["cost_usd"] for r in by_model.values()), Decimal(0)) == r1 + r2 + r3
        assert by_model["gpt-realtime"]["input_audio_tokens"] == 1500
        focus = focus_export(ledger, book).table.to_pylist()
    assert sum((r["BilledCost"] for r in focus), Decimal(0)) == r1 + r2 + r3
    realtime = [r for r in focus if r["SkuId"].startswith("openai/gpt-realtime/")]

    def of(sku: str, column: str) -> Decimal:
        return sum((r[column] for r in realtime if r["SkuId"].endswith("/" + sku)), Decimal(0))

    assert of("input-audio", "ConsumedQuantity") == 1500
    assert of("input-audio", "BilledCost") == usd((1500, "32"))
    assert of("input", "ConsumedQuantity") == 400 + 1000  # the text of r1 and r2
    assert of("cache-read-audio", "BilledCost") == usd((4000, "0.4"))
    assert {r["x_TokenDirection"] for r in realtime if r["SkuId"].endswith("/output-audio")} == {"Output"}


def test_modality_columns_are_validated_and_optional(tmp_path: Path, book: PriceBook) -> None:
    path = tmp_path / "v.csv"
    path.write_text(
        LEDGER_HEADER
        + "2025-09-15T10:00:00Z,ok,openai,gpt-realtime,100,100,0,0,0,10,10\n"
        + "2025-09-15T10:00:00Z,big,openai,gpt-realtime,100,80,30,0,0,10,0\n"
        + "2025-09-15T10:00:00Z,neg,openai,gpt-realtime,100,-5,0,0,0,10,0\n"
        + "2025-09-15T10:00:00Z,cached,openai,gpt-realtime,100,0,0,10,20,10,0\n"
        + "2025-09-15T10:00:00Z,out,openai,gpt-realtime,100,0,0,0,0,10,11\n"
    )
    with Ledger.open([path]) as ledger:
        reasons = {r["source_line"]: r["reason"] for r in ledger.quarantine().to_pylist()}
    assert set(reasons) == {3, 4, 5, 6}
    assert "columns input_audio_tokens + input_image_tokens + input_video_tokens add up to 110" in reasons[3]
    assert "more than input_tokens (100)" in reasons[3]
    assert 'column input_audio_tokens is "-5"' in reasons[4]
    assert "more than cache_read_tokens (10)" in reasons[5]
    assert "reasoning_tokens add up to 11: more than output_tokens (10)" in reasons[6]
    # A ledger without the columns reads them as 0.
    plain = tmp_path / "plain.csv"
    plain.write_text(
        "ts,provider,model,input_tokens,output_tokens\n2025-09-15T10:00:00Z,openai,gpt-realtime,100,10\n"
    )
    row = next(iter(priced_rows(plain, book).values()))
    assert row["input_audio_tokens"] == 0
    assert row["cost_usd"] == usd((100, "4"), (10, "16"))


def test_usage_api_buckets_with_audio(tmp_path: Path, book: PriceBook) -> None:
    result = {
        "object": "organization.usage.completions.result",
        "input_tokens": 10000,
        "input_cached_tokens": 2000,
        "input_uncached_tokens": 8000,
        "input_audio_tokens": 6000,
        "input_cached_audio_tokens": 1500,
        "output_tokens": 3000,
        "output_audio_tokens": 2500,
        "num_model_requests": 10,
        "model": "gpt-4o-realtime-preview-2024-12-17",
        "batch": False,
    }
    old = {**result, "model": "gpt-4o-audio-preview"}
    for k in ("input_uncached_tokens", "input_cached_audio_tokens"):
        old.pop(k)
    page = {
        "object": "page",
        "data": [
            {"object": "bucket", "start_time": 1740787200, "end_time": 1740873600, "results": [result, old]}
        ],
    }
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(page))
    with Ledger.open([path]) as ledger:
        rows = ledger.to_arrow().to_pylist()
        reasons = [r["reason"] for r in ledger.quarantine().to_pylist()]
        total = sum((r["cost_usd"] for r in bill(ledger, book=book).table.to_pylist()), Decimal(0))
    assert len(rows) == 1
    assert len(reasons) == 1
    assert "cannot tell which rate applies" in reasons[0]
    r = rows[0]
    assert (r["input_tokens"], r["input_audio_tokens"]) == (8000, 6000)
    assert (r["cache_read_tokens"], r["cache_read_audio_tokens"]) == (2000, 1500)
    # gpt-4o-realtime-preview on 2025-03-01: text $5 / cached $2.50 / $20, audio $40 / cached $2.50 / $80.
    assert total == usd((2000, "5"), (6000, "40"), (500, "2.5"), (1500, "2.5"), (500, "20"), (2500, "80"))


@pytest.mark.parametrize("model", ["gpt-realtime", "gemini-2.5-flash"])
def test_quote_prices_modalities_as_the_engine_does(model: str, book: PriceBook, tmp_path: Path) -> None:
    import datetime as dt

    provider = "openai" if model.startswith("gpt") else "google"
    parts = {"input_audio_tokens": 700, "cache_read_audio_tokens": 300}
    q = book.quote(
        provider, model, at=dt.datetime(2025, 9, 15, 10), input_tokens=1000, cache_read_tokens=500,
        output_tokens=100, modalities=parts,
    )  # fmt: skip
    assert isinstance(q, Quote)
    path = tmp_path / "q.csv"
    path.write_text(
        "ts,provider,model,input_tokens,input_audio_tokens,cache_read_tokens,cache_read_audio_tokens,output_tokens\n"
        f"2025-09-15T10:00:00Z,{provider},{model},1000,700,500,300,100\n"
    )
    row = next(iter(priced_rows(path, book).values()))
    assert row["cost_usd"] == q.total_usd


def test_otel_span_with_audio_attributes(tmp_path: Path, book: PriceBook) -> None:
    # Attribute names of the GenAI conventions' per-modality usage (gen_ai.usage.audio.input_tokens,
    # gen_ai.usage.audio.cache_read.input_tokens, gen_ai.usage.audio.output_tokens); input includes
    # cached tokens, as gen_ai.usage.input_tokens does.
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.response.model": "gpt-realtime",
        "gen_ai.response.id": "resp_rt1",
        "gen_ai.usage.input_tokens": 3000,
        "gen_ai.usage.cache_read.input_tokens": 1000,
        "gen_ai.usage.audio.input_tokens": 2000,
        "gen_ai.usage.audio.cache_read.input_tokens": 800,
        "gen_ai.usage.output_tokens": 600,
        "gen_ai.usage.audio.output_tokens": 500,
    }
    span = {"traceId": "t1", "spanId": "s1", "name": "chat gpt-realtime", "attributes": attrs}
    span["startTimeUnixNano"] = "1757930400000000000"  # 2025-09-15 10:00 UTC
    export = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [span]}]}]}
    path = tmp_path / "spans.json"
    path.write_text(json.dumps(export))
    row = priced_rows(path, book)["resp_rt1"]
    assert (row["input_tokens"], row["input_audio_tokens"]) == (2000, 1200)
    assert (row["cache_read_tokens"], row["cache_read_audio_tokens"]) == (1000, 800)
    assert row["output_audio_tokens"] == 500
    # gpt-realtime: text $4 / $0.40 / $16, audio $32 / $0.40 / $64.
    expected = usd((800, "4"), (1200, "32"), (200, "0.4"), (800, "0.4"), (100, "16"), (500, "64"))
    assert row["cost_usd"] == expected == Decimal("0.0756")


def test_litellm_spend_log_with_audio_usage(tmp_path: Path, book: PriceBook) -> None:
    # LiteLLM's usage object is OpenAI's (prompt_tokens_details.audio_tokens...), see
    # https://docs.litellm.ai/docs/proxy/logging_spec
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 800},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 400},
    }
    record = {
        "request_id": "ll-1",
        "call_type": "acompletion",
        "spend": 0.0655,
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "startTime": "2025-01-15T12:00:00Z",
        "model": "gpt-4o-audio-preview",
        "custom_llm_provider": "openai",
        "metadata": {"usage_object": usage},
    }
    row = priced_rows(write_jsonl(tmp_path / "spend.jsonl", [record]), book)["ll-1"]
    assert (row["input_audio_tokens"], row["output_audio_tokens"]) == (800, 400)
    assert row["cost_usd"] == usd((200, "2.5"), (800, "40"), (100, "10"), (400, "80"))


def test_gemini_unspecified_modality_is_text_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    unspecified = {
        "promptTokenCount": 100,
        "candidatesTokenCount": 1,
        "promptTokensDetails": [{"tokenCount": 100}],
    }
    unknown = {
        "promptTokenCount": 100,
        "candidatesTokenCount": 1,
        "promptTokensDetails": [{"modality": "HOLOGRAM", "tokenCount": 100}],
    }
    over = {
        "promptTokenCount": 100,
        "candidatesTokenCount": 1,
        "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": 150}],
    }
    records = [
        gemini(rid, "2025-09-10T12:00:00Z", "gemini-2.5-flash", u)
        for rid, u in (("u", unspecified), ("h", unknown), ("o", over))
    ]
    path = write_jsonl(tmp_path / "g.jsonl", records)
    with Ledger.open([path]) as ledger:
        rows = ledger.to_arrow().to_pylist()
        reasons = {r["source_line"]: r["reason"] for r in ledger.quarantine().to_pylist()}
    assert [(r["request_id"], r["input_audio_tokens"]) for r in rows] == [("u", 0)]
    assert "modality 'HOLOGRAM'" in reasons[2]
    assert "promptTokensDetails add up to 150: more than its count (100)" in reasons[3]


def test_levers_keep_modality_parts_inside_their_buckets(tmp_path: Path, book: PriceBook) -> None:
    from inferonomics.levers.playbook import whatif
    from inferonomics.levers.report import uncached

    path = tmp_path / "rt.csv"
    path.write_text(
        "ts,request_id,provider,model,input_tokens,input_audio_tokens,cache_read_tokens,"
        "cache_read_audio_tokens,output_tokens,output_audio_tokens\n"
        "2025-09-15T10:00:00Z,r1,openai,gpt-realtime,4000,3000,0,0,1000,800\n"
    )
    # gpt-realtime: text $4 / $0.40 / $16, audio $32 / $0.40 / $64 per MTok.
    baseline = usd((1000, "4"), (3000, "32"), (200, "16"), (800, "64"))
    with Ledger.open([path]) as ledger:
        capped = whatif(ledger, ["cap:output=100"], book=book)
        assert capped.baseline.cost_usd == baseline
        # The 100 tokens left of the output are audio (a part never exceeds its bucket).
        assert capped.final.cost_usd == usd((1000, "4"), (3000, "32"), (100, "64"))
        cached = whatif(ledger, ["cache:hit_rate=0.5"], book=book)
        # Half the prompt read from cache; audio keeps its share of the reads (3/4).
        row = cached.final.table.to_pylist()[0]
        assert (row["cache_read_tokens"], row["cache_read_audio_tokens"], row["input_audio_tokens"]) == (
            2000, 1500, 1500,
        )  # fmt: skip
        expected = usd((500, "4"), (1500, "32"), (500, "0.4"), (1500, "0.4"), (200, "16"), (800, "64"))
        assert cached.final.cost_usd == expected
    cached_path = tmp_path / "cached.csv"
    cached_path.write_text(
        path.read_text().splitlines()[0]
        + "\n2025-09-15T10:00:00Z,r2,openai,gpt-realtime,1000,600,2000,1500,10,0\n"
    )
    with Ledger.open([cached_path]) as ledger:
        # Without caching, cached audio is billed as uncached audio.
        row = bill(uncached(ledger), book=book).table.to_pylist()[0]
        assert (row["input_tokens"], row["input_audio_tokens"], row["cache_read_audio_tokens"]) == (
            3000,
            2100,
            0,
        )
        assert row["cost_usd"] == usd((900, "4"), (2100, "32"), (10, "16"))


def test_prices_shows_modality_rates_and_names_the_missing_ones() -> None:
    from typer.testing import CliRunner

    from inferonomics.cli.app import app

    result = CliRunner().invoke(
        app, ["prices", "gpt-4o-realtime-preview", "--at", "2025-01-15", "--history"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[0].strip(): line for line in result.output.splitlines() if "│" in line}
    # From 2024-12-17: audio $40 in, $2.50 cached, $80 out.
    assert lines["audio input"].split("│")[1].strip() == "40"
    assert lines["audio cache read"].split("│")[1].strip() == "2.5"
    assert lines["audio output"].split("│")[1].strip() == "80"
    assert "no rate (tokens of these leave a request unpriced): " in result.output
    assert "video input" in result.output.split("no rate")[1].splitlines()[0]
    assert "audio input 100, audio output 200" in result.output  # the launch period, in the history


MODALITY_KEYS = {
    # genai-prices price key -> (our ledger column, genai-prices usage key)
    "input_audio_mtok": ("input_audio_tokens", "input_audio_tokens"),
    "input_image_mtok": ("input_image_tokens", "input_image_tokens"),
    "input_video_mtok": ("input_video_tokens", "input_video_tokens"),
    "cache_audio_read_mtok": ("cache_read_audio_tokens", "cache_audio_read_tokens"),
    "cache_image_read_mtok": ("cache_read_image_tokens", "cache_image_read_tokens"),
    "output_audio_mtok": ("output_audio_tokens", "output_audio_tokens"),
    "output_image_mtok": ("output_image_tokens", "output_image_tokens"),
}


def test_modality_prices_agree_with_genai_prices(book: PriceBook) -> None:
    """Every genai-prices model with modality rates (plain prices: no tiers or windows), priced by
    genai-prices' own `calc_price` and by the engine, agree to 1e-9 USD on random requests. genai-prices
    counts a modality inside its parent (input_audio within input, cached audio within both), the
    ledger as parts of each bucket; the usages below say the same request both ways."""
    import datetime as dt
    import random

    import pyarrow as pa
    from genai_prices import Usage
    from genai_prices import data as gp_data
    from genai_prices import types as gp

    rng = random.Random(20261204)
    at = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
    rows, theirs = [], {}
    for p in gp_data.providers:
        for m in p.models:
            prices = m.prices if isinstance(m.prices, gp.ModelPrice) else m.prices[-1].prices
            keys = {k for k, v in prices.__dict__.items() if v is not None and not k.startswith("_")}
            modal = [k for k in MODALITY_KEYS if k in keys]
            if not modal or any(isinstance(v, gp.TieredPrices) for v in prices.__dict__.values()):
                continue
            if not isinstance(m.prices, gp.ModelPrice) and m.prices[-1].constraint is not None:
                continue
            if not {"input_mtok", "output_mtok"} <= keys or keys - {
                *MODALITY_KEYS,
                "input_mtok",
                "output_mtok",
                "web_searches_kcount",  # no searches in these requests
                "cache_read_mtok",
            }:
                continue  # other units (web searches, audio hours...) are out of this comparison
            for i in range(5):
                ours: dict[str, Any] = dict.fromkeys(
                    ("input_tokens", "cache_read_tokens", "output_tokens"), 0
                )
                usage: dict[str, int] = {}
                cached_parts = 0
                for key in modal:
                    column, their_key = MODALITY_KEYS[key]
                    n = rng.randrange(0, 50_000)
                    ours[column] = n
                    if column.startswith("cache_read"):
                        cached_parts += n
                ours["cache_read_tokens"] = (
                    (cached_parts + rng.randrange(0, 20_000)) if "cache_read_mtok" in keys else cached_parts
                )
                uncached_parts = sum(
                    v for k, v in ours.items() if k.startswith("input_") and k != "input_tokens"
                )
                ours["input_tokens"] = uncached_parts + rng.randrange(0, 20_000)
                out_parts = sum(
                    v for k, v in ours.items() if k.startswith("output_") and k != "output_tokens"
                )
                ours["output_tokens"] = out_parts + rng.randrange(0, 20_000)
                for key in modal:
                    column, their_key = MODALITY_KEYS[key]
                    usage[their_key] = ours[column]
                for m_ in (
                    "audio",
                    "image",
                    "video",
                ):  # genai-prices: cached modality is inside input modality
                    if f"input_{m_}_tokens" in usage:
                        usage[f"input_{m_}_tokens"] += ours.get(f"cache_read_{m_}_tokens", 0)
                usage["input_tokens"] = ours["input_tokens"] + ours["cache_read_tokens"]
                usage["cache_read_tokens"] = ours["cache_read_tokens"]
                usage["output_tokens"] = ours["output_tokens"]
                rid = f"{p.id}/{m.id}/{i}"
                every = dict.fromkeys((c for c, _ in MODALITY_KEYS.values()), 0)
                rows.append({"ts": at, "request_id": rid, "provider": p.id, "model": m.id, **every, **ours})
                theirs[rid] = prices.calc_price(Usage(**usage))["total_price"]
    assert len({r["model"] for r in rows}) >= 25
    table = pa.Table.from_pylist(rows)
    priced = price(Ledger.from_arrow(table, name="modalities"), book=book).to_arrow().to_pylist()
    compared = 0
    for r in priced:
        if r["cost_usd"] is None:
            raise AssertionError(f"{r['request_id']}: {r['status']}")
        compared += 1
        assert abs(r["cost_usd"] - theirs[r["request_id"]]) <= Decimal("1e-9"), (
            r["request_id"],
            r["cost_usd"],
            theirs[r["request_id"]],
        )
    assert compared == len(rows)


def test_bill_names_the_missing_modality_rate_on_stderr(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from inferonomics.cli.app import app

    path = tmp_path / "u.csv"
    path.write_text(
        "ts,provider,model,input_tokens,input_audio_tokens,output_tokens\n"
        "2025-01-15T12:00:00Z,openai,gpt-4o,300,200,10\n"
        "2025-01-15T12:00:00Z,openai,gpt-4o,300,0,10\n"
    )
    result = CliRunner().invoke(app, ["bill", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert (
        "unpriced: no audio input rate for openai/gpt-4o (1 request; --per-row lists them)" in result.output
    )
    rows = json.loads(result.stdout[: result.stdout.rindex("]") + 1])
    # The priced row: GPT-4o at $2.50 / $10 (gpt-4o-2024-08-06 prices from 2024-10-02).
    assert Decimal(rows[0]["cost_usd"]) == usd((300, "2.5"), (10, "10"))
    assert rows[0]["unpriced_requests"] == 1
