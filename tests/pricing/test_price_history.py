"""Price history: alias moves, price cuts, snapshot prices and usage dated before a model existed.
Every expected figure is hand arithmetic on the rate the provider published for the record's date
(sources in the comments; the same sources are cited by the overlay entries)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from inferonomics.catalog.book import PriceBook, Quote, Unpriced

D = Decimal
M = 1_000_000


def total(book: PriceBook, provider: str, model: str, at: str, **usage: int) -> Decimal:
    q = book.quote(provider, model, at=dt.datetime.fromisoformat(at), **usage)  # type: ignore[arg-type]
    assert isinstance(q, Quote), q
    return q.total_usd


@pytest.mark.parametrize(
    ("model", "at", "expected"),
    [
        # The gpt-4o alias served gpt-4o-2024-05-13 ($5 / $15) until 2024-10-02
        # (https://help.openai.com/en/articles/9624314-model-release-notes): 1M in + 1M out = 5 + 15.
        ("gpt-4o", "2024-06-01T12:00:00", D(20)),
        ("gpt-4o", "2024-10-01T23:59:59", D(20)),
        # ... then gpt-4o-2024-08-06 at $2.50 / $10: 2.5 + 10.
        ("gpt-4o", "2024-10-02T00:00:00", D("12.5")),
        # The snapshot itself was $2.50 / $10 from its release, while the alias was still $5 / $15.
        ("gpt-4o-2024-08-06", "2024-09-01T00:00:00", D("12.5")),
        ("gpt-4o-2024-05-13", "2025-06-01T00:00:00", D(20)),
        # o1-mini: $3 / $12 until the o3-mini launch cut (2025-01-31), then $1.10 / $4.40.
        ("o1-mini", "2024-12-01T00:00:00", D(15)),
        ("o1-mini", "2025-03-01T00:00:00", D("5.5")),
        # o3: $10 / $40 until the 80% cut of 2025-06-10, then $2 / $8.
        ("o3", "2025-05-01T00:00:00", D(50)),
        ("o3", "2025-06-10T00:00:00", D(10)),
    ],
)
def test_openai_alias_moves_and_cuts(book: PriceBook, model: str, at: str, expected: Decimal) -> None:
    assert total(book, "openai", model, at, input_tokens=M, output_tokens=M) == expected


def test_cached_input_follows_the_period(book: PriceBook) -> None:
    # o3 on 2025-05-01: 1,000 input at $10, 10,000 cached at $2.50, 1,000 output at $40
    # = 0.01 + 0.025 + 0.04 (genai-prices 0.2.3 has the post-cut $0.50 cached rate for every date).
    assert total(
        book, "openai", "o3", "2025-05-01", input_tokens=1000, cache_read_tokens=10_000, output_tokens=1000
    ) == D("0.075")
    # gpt-4o-mini before prompt caching (2024-10-01): cached tokens at the input rate, $0.15.
    assert total(book, "openai", "gpt-4o-mini", "2024-09-01", cache_read_tokens=M) == D("0.15")
    assert total(book, "openai", "gpt-4o-mini", "2024-10-01", cache_read_tokens=M) == D("0.075")


def test_usage_before_a_model_existed_is_unpriced(book: PriceBook) -> None:
    for provider, model, at, launch in [
        ("openai", "gpt-5", "2025-08-06T23:59:59", "2025-08-07"),
        ("openai", "gpt-4o", "2024-05-12", "2024-05-13"),
        ("anthropic", "claude-sonnet-4-5-20250929", "2025-09-28", "2025-09-29"),
        ("google", "gemini-2.5-flash", "2025-06-16", "2025-06-17"),
        ("aws", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "2025-09-01", "2025-09-29"),
        ("x-ai", "grok-4-0709", "2025-07-08", "2025-07-09"),
    ]:
        q = book.quote(provider, model, at=dt.datetime.fromisoformat(at), input_tokens=1)
        assert isinstance(q, Unpriced), (model, q)
        assert f"before {launch} 00:00:00Z" in q.reason
    # ... and priced from the launch day: 1M input at $1.25 (GPT-5, https://openai.com/index/introducing-gpt-5-for-developers/)
    assert total(book, "openai", "gpt-5", "2025-08-07", input_tokens=M) == D("1.25")


def test_other_providers_cuts(book: PriceBook) -> None:
    # Claude 3.5 Haiku: $1 / $5 at launch (2024-11-04), $0.80 / $4 after the December 2024 cut.
    assert total(
        book, "anthropic", "claude-3-5-haiku-20241022", "2024-11-10", input_tokens=M, output_tokens=M
    ) == D(6)
    assert total(
        book, "anthropic", "claude-3-5-haiku-20241022", "2025-01-10", input_tokens=M, output_tokens=M
    ) == D("4.8")
    # Gemini 1.5 Flash: $0.35 / $1.05 up to 128k input before 2024-08-12, $0.075 / $0.30 after.
    # 100,000 input: 0.1 x 0.35 and 0.1 x 0.075; 1M input is over 128k: all of it at $0.70 before.
    assert total(book, "google", "gemini-1.5-flash-002", "2024-07-01", input_tokens=100_000) == D("0.035")
    assert total(book, "google", "gemini-1.5-flash-002", "2024-09-01", input_tokens=100_000) == D("0.0075")
    assert total(book, "google", "gemini-1.5-flash-002", "2024-07-01", input_tokens=M) == D("0.7")
    # Gemini 1.5 Pro: $3.50 before 2024-10-01, $1.25 after (per MTok input up to 128k).
    assert total(book, "google", "gemini-1.5-pro", "2024-09-30", input_tokens=100_000) == D("0.35")
    assert total(book, "google", "gemini-1.5-pro", "2024-10-01", input_tokens=100_000) == D("0.125")
    # Mistral Large: $3 / $9 before the 2024-09-17 cut, $2 / $6 after.
    assert total(book, "mistral", "mistral-large-2407", "2024-08-01", input_tokens=M, output_tokens=M) == D(
        12
    )
    assert total(book, "mistral", "mistral-large-2407", "2024-10-01", input_tokens=M, output_tokens=M) == D(8)
    # DeepSeek-V3's list price started at 2025-02-08 24:00 Beijing = 16:00 UTC: $0.27 in.
    assert total(book, "deepseek", "deepseek-chat", "2025-02-08T16:00:00", input_tokens=M) == D("0.27")
    early = book.quote("deepseek", "deepseek-chat", at=dt.datetime(2025, 2, 8, 15, 59), input_tokens=M)
    assert isinstance(early, Unpriced)


def test_sonnet_4_long_context_from_its_1m_launch(book: PriceBook) -> None:
    # 250,000 input + 1,000 output: before 2025-08-12 at $3 / $15 = 0.75 + 0.015; from then every
    # token of a request over 200k input at $6 / $22.50 = 1.5 + 0.0225 (https://www.anthropic.com/news/1m-context).
    usage = {"input_tokens": 250_000, "output_tokens": 1000}
    assert total(book, "anthropic", "claude-sonnet-4-20250514", "2025-07-01", **usage) == D("0.765")
    assert total(book, "anthropic", "claude-sonnet-4-20250514", "2025-09-01", **usage) == D("1.5225")


def test_o3_batch_and_flex_before_the_cut(book: PriceBook) -> None:
    # Batch and flex bill half the standard price: $5 / $20 before 2025-06-10, $1 / $4 after.
    for tier in ("batch", "flex"):
        q = book.quote(
            "openai", "o3", at=dt.datetime(2025, 5, 1), input_tokens=M, output_tokens=M, service_tier=tier
        )
        assert isinstance(q, Quote)
        assert q.total_usd == D(25)
        q = book.quote(
            "openai", "o3", at=dt.datetime(2025, 7, 1), input_tokens=M, output_tokens=M, service_tier=tier
        )
        assert isinstance(q, Quote)
        assert q.total_usd == D(5)


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferonomics", *map(str, args)], capture_output=True, text=True
    )


def test_prices_history_lists_every_period_with_its_source() -> None:
    result = _cli("prices", "openai/gpt-4o", "--history", "--at", "2024-06-01")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "from 2024-05-13 00:00:00: input 5, output 15" in text
    assert "from 2024-10-02 00:00:00: input 2.5, output 10" in text
    assert "https://help.openai.com/en/articles/9624314-model-release-notes" in text
    assert "https://platform.openai.com/docs/models/gpt-4o" in text
    assert "moved to gpt-4o-2024-08-06 on 2024-10-02" in text
    # A single undated period is listed too, and said to apply at every earlier date.
    single = _cli("prices", "openai/gpt-4-turbo", "--history")
    assert "from (first)" in single.stdout
    assert "no start date" in " ".join(single.stdout.split())
    data = json.loads(_cli("prices", "openai/o1-mini", "--format", "json").stdout)[0]
    assert [h["valid_from"] for h in data["history"]] == [
        "2024-09-12 00:00:00",
        "2024-10-01 00:00:00",
        "2025-01-31 00:00:00",
    ]


def test_bill_prices_each_row_at_its_own_date(tmp_path: Path) -> None:
    # An OpenAI usage export's rows for the gpt-4o alias across the move: 1M input + 1M output each,
    # $20 on 2024-09-30 and $12.50 on 2024-10-03; GPT-5 a day before its launch is unpriced.
    path = tmp_path / "usage.csv"
    path.write_text(
        "ts,provider,model,input_tokens,output_tokens\n"
        "2024-09-30T10:00:00Z,openai,gpt-4o,1000000,1000000\n"
        "2024-10-03T10:00:00Z,openai,gpt-4o,1000000,1000000\n"
        "2025-08-06T10:00:00Z,openai,gpt-5,1000,1000\n"
    )
    result = _cli("bill", path, "--by", "model", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {r["model"]: r for r in json.loads(result.stdout)}
    assert D(rows["gpt-4o"]["cost_usd"]) == D("32.5")
    assert rows["gpt-5"]["unpriced_requests"] == 1


def test_stale_lists_entries_checked_too_long_ago(book: PriceBook) -> None:
    today = dt.date(2026, 12, 4)
    rows, undated = book.stale(11, today=today)
    entries = rows.to_pylist()
    # The DeepSeek history and the tier and residency rules were checked on 2026-11-22: 12 days before.
    assert {"deepseek/deepseek-chat", "anthropic batch rule", "openai residency rule"} <= {
        e["entry"] for e in entries
    }
    assert all(e["days"] == (today - e["checked"]).days > 11 for e in entries)
    assert all(e["checked"] == dt.date(2026, 11, 22) for e in entries)
    assert [e["checked"] for e in entries] == sorted(e["checked"] for e in entries)
    # The audit's entries (checked 2026-12-04) are not stale; 12 days is not more than 12.
    assert "openai/o1-mini" not in {e["entry"] for e in entries}
    assert book.stale(12, today=today)[0].num_rows == 0
    assert undated > 1000  # the bulk import's periods carry no per-entry checked date
    result = _cli("prices", "--stale", "0", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "periods have no checked date" in result.stderr
    assert any(r["entry"] == "deepseek/deepseek-chat" for r in json.loads(result.stdout))


FLAGSHIPS = [
    # (model as asked, launch day, source): the providers' announcements and model pages.
    ("anthropic/claude-opus-4-5", "2025-11-24", "https://www.anthropic.com/news/claude-opus-4-5"),
    ("anthropic/claude-opus-4-1", "2025-08-05", "https://www.anthropic.com/news/claude-opus-4-1"),
    ("anthropic/claude-sonnet-4-5", "2025-09-29", "https://www.anthropic.com/news/claude-sonnet-4-5"),
    ("anthropic/claude-haiku-4-5", "2025-10-15", "https://www.anthropic.com/news/claude-haiku-4-5"),
    ("openai/gpt-5", "2025-08-07", "https://openai.com/index/introducing-gpt-5-for-developers/"),
    ("openai/gpt-5-pro", "2025-10-06", "https://platform.openai.com/docs/models/gpt-5-pro"),
    ("openai/gpt-5.1", "2025-11-13", "https://platform.openai.com/docs/models/gpt-5.1"),
    ("openai/gpt-5.2", "2025-12-11", "https://platform.openai.com/docs/models/gpt-5.2"),
    ("openai/gpt-5.2-pro", "2025-12-11", "https://platform.openai.com/docs/models/gpt-5.2-pro"),
    (
        "google/gemini-2.5-flash",
        "2025-06-17",
        "https://developers.googleblog.com/en/gemini-2-5-thinking-model-updates/",
    ),
    (
        "google/gemini-2.5-flash-lite",
        "2025-06-17",
        "https://developers.googleblog.com/en/gemini-2-5-thinking-model-updates/",
    ),
    ("google/gemini-3-pro-preview", "2025-11-18", "https://ai.google.dev/gemini-api/docs/changelog"),
    ("x-ai/grok-4-0709", "2025-07-09", "https://docs.x.ai/docs/models"),
    ("x-ai/grok-4-fast-reasoning", "2025-09-19", "https://x.ai/news/grok-4-fast"),
    ("x-ai/grok-4-1-fast-reasoning", "2025-11-19", "https://x.ai/news/grok-4-1-fast"),
]


@pytest.mark.parametrize(("model", "launch", "source"), FLAGSHIPS)
def test_flagships_are_dated_with_their_source(book: PriceBook, model: str, launch: str, source: str) -> None:
    data = json.loads(_cli("prices", model, "--history", "--format", "json").stdout)[0]
    first = data["history"][0]
    assert first["valid_from"] == f"{launch} 00:00:00"
    assert source in first["source"]
    provider, name = model.split("/")
    day = dt.datetime.fromisoformat(launch)
    assert isinstance(book.quote(provider, name, at=day - dt.timedelta(seconds=1), input_tokens=M), Unpriced)
    assert isinstance(book.quote(provider, name, at=day, input_tokens=M), Quote)


def test_opus_4_5_history_on_the_terminal() -> None:
    result = _cli("prices", "anthropic/claude-opus-4-5", "--history", "--at", "2025-12-01")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "from 2025-11-24 00:00:00: input 5, output 25" in text
    assert "https://www.anthropic.com/news/claude-opus-4-5" in text
