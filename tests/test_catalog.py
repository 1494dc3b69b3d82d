"""The price book: layering, resolution semantics and validation. Expected figures are the
providers' published prices (cited in the overlay) or hand computations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from inferonomics.catalog.book import PriceBook, Quote, Unpriced, window_active
from inferonomics.catalog.schema import Sheet, Window
from inferonomics.errors import PriceBookError

D = Decimal


def quote(book: PriceBook, provider: str, model: str, at: dt.datetime, **usage: object) -> Quote:
    q = book.quote(provider, model, at=at, **usage)  # type: ignore[arg-type]
    assert isinstance(q, Quote), q
    return q


def test_overlay_entries_carry_source_and_checked_date() -> None:
    path = Path(__file__).resolve().parents[1] / "src/inferonomics/catalog/data/overlay.yaml"
    raw = yaml.safe_load(path.read_text())
    Sheet.model_validate(raw)  # strict schema: unknown keys are errors
    entries = raw["tier_rules"] + raw["residency_rules"] + raw["models"]
    assert entries
    for entry in entries:
        assert str(entry["source"]).startswith("https://"), entry
        assert isinstance(entry["checked"], dt.date), entry


def test_sonnet_45_with_cache_matches_hand_computation(book: PriceBook) -> None:
    # 20k uncached + 60k cache read + 20k 5m write + 2k output at $3 / $0.30 / $3.75 / $15 per MTok
    q = quote(
        book,
        "anthropic",
        "claude-sonnet-4-5-20250929",
        dt.datetime(2025, 11, 1),
        input_tokens=20_000,
        cache_read_tokens=60_000,
        cache_write_5m_tokens=20_000,
        output_tokens=2_000,
    )
    assert q.total_usd == D("0.06") + D("0.018") + D("0.075") + D("0.03")


def test_one_hour_writes_cost_twice_input(book: PriceBook) -> None:
    q = quote(
        book, "anthropic", "claude-haiku-4-5", dt.datetime(2025, 11, 1), cache_write_1h_tokens=1_000_000
    )
    assert q.cache_write_usd == D("2")


def test_long_context_tier_is_a_cliff_on_all_tokens(book: PriceBook) -> None:
    at = dt.datetime(2025, 11, 1)
    below = quote(book, "anthropic", "claude-sonnet-4-5", at, input_tokens=200_000, output_tokens=1000)
    above = quote(book, "anthropic", "claude-sonnet-4-5", at, input_tokens=200_001, output_tokens=1000)
    assert below.total_usd == D("0.6") + D("0.015")
    assert above.total_usd == D("200001") * D(6) / 10**6 + D("0.0225")


def test_cache_reads_count_toward_the_long_context_threshold(book: PriceBook) -> None:
    q = quote(
        book,
        "anthropic",
        "claude-sonnet-4-5",
        dt.datetime(2025, 11, 1),
        input_tokens=1_000,
        cache_read_tokens=200_000,
    )
    assert q.rates.input_usd_per_mtok == D(6)
    assert q.rates.cache_read_usd_per_mtok == D("0.6")


def test_batch_before_genai_prices_dates_uses_the_backdated_rates(book: PriceBook) -> None:
    # Message Batches API since 2024-10-08 at 50%; genai-prices dates its variant 2026-10-14.
    q = quote(
        book,
        "anthropic",
        "claude-opus-4-5",
        dt.datetime(2025, 12, 1),
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        requests=10,
        service_tier="batch",
    )
    assert q.total_usd == D("2.5") + D("12.5")


def test_batch_before_the_api_existed_is_unpriced(book: PriceBook) -> None:
    q = book.quote(
        "anthropic", "claude-3-haiku", at=dt.datetime(2024, 6, 1), input_tokens=10, service_tier="batch"
    )
    assert isinstance(q, Unpriced)
    assert "no batch price" in q.reason


def test_openai_flex_only_where_offered(book: PriceBook) -> None:
    at = dt.datetime(2025, 9, 1)
    flex = quote(book, "openai", "gpt-5", at, input_tokens=1_000_000, service_tier="flex")
    assert flex.total_usd == D("0.625")
    missing = book.quote("openai", "gpt-4o", at=at, input_tokens=1, service_tier="flex")
    assert isinstance(missing, Unpriced)


def test_priority_uses_published_premiums(book: PriceBook) -> None:
    # openai.com/api-priority-processing: GPT-4o $4.25 / $17 per MTok
    q = quote(
        book,
        "openai",
        "gpt-4o",
        dt.datetime(2025, 9, 1),
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        service_tier="priority",
    )
    assert q.total_usd == D("4.25") + D("17")


def test_deepseek_peak_only_on_weekdays(book: PriceBook) -> None:
    friday = dt.datetime(2026, 11, 20, 2, 0)
    saturday = dt.datetime(2026, 11, 21, 2, 0)
    friday_noon = dt.datetime(2026, 11, 20, 12, 0)
    assert quote(book, "deepseek", "deepseek-v4-pro", friday, input_tokens=10**6).total_usd == D("1.32")
    assert quote(book, "deepseek", "deepseek-v4-pro", saturday, input_tokens=10**6).total_usd == D("0.66")
    assert quote(book, "deepseek", "deepseek-v4-pro", friday_noon, input_tokens=10**6).total_usd == D("0.66")


def test_deepseek_v3_off_peak_window_crosses_midnight(book: PriceBook) -> None:
    # 2025 rule: UTC 16:30-00:30 at 50% off for V3.
    peak = quote(book, "deepseek", "deepseek-chat", dt.datetime(2025, 6, 2, 16, 29), output_tokens=10**6)
    evening = quote(book, "deepseek", "deepseek-chat", dt.datetime(2025, 6, 2, 23, 59), output_tokens=10**6)
    after_midnight = quote(
        book, "deepseek", "deepseek-chat", dt.datetime(2025, 6, 3, 0, 15), output_tokens=10**6
    )
    morning = quote(book, "deepseek", "deepseek-chat", dt.datetime(2025, 6, 3, 0, 30), output_tokens=10**6)
    assert (peak.total_usd, evening.total_usd, after_midnight.total_usd, morning.total_usd) == (
        D("1.10"),
        D("0.55"),
        D("0.55"),
        D("1.10"),
    )


def test_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    w = Window(weekdays=["fri"], start=dt.time(22), end=dt.time(2), rates={"input_usd_per_mtok": 1})
    assert window_active(w, 4, 23 * 3600)  # Friday 23:00
    assert window_active(w, 5, 3600)  # Saturday 01:00
    assert not window_active(w, 4, 3600)  # Friday 01:00 is Thursday's window
    assert not window_active(w, 5, 23 * 3600)


def test_us_residency_uplift_only_on_new_models(book: PriceBook) -> None:
    at = dt.datetime(2026, 6, 1)
    new = quote(book, "anthropic", "claude-sonnet-4-6", at, input_tokens=10**6, region="us")
    old = quote(book, "anthropic", "claude-sonnet-4-5", at, input_tokens=10**5, region="us")
    glob = quote(book, "anthropic", "claude-sonnet-4-6", at, input_tokens=10**6, region="global")
    assert new.total_usd == D("3.3")
    assert old.total_usd == D("0.3")
    assert glob.total_usd == D("3")


def test_openai_regional_uplift_from_march_2026_models(book: PriceBook) -> None:
    at = dt.datetime(2026, 6, 1)
    eu = quote(book, "openai", "gpt-5.4", at, input_tokens=10**5, region="eu")
    plain = quote(book, "openai", "gpt-5.4", at, input_tokens=10**5)
    assert eu.total_usd == plain.total_usd * D("1.1")
    old = quote(book, "openai", "gpt-5", at, input_tokens=10**5, region="eu")
    assert old.total_usd == quote(book, "openai", "gpt-5", at, input_tokens=10**5).total_usd


def test_unknown_names_get_nearest_known(book: PriceBook) -> None:
    found = book.find_model("anthropic", "claude-sonet-4-5")
    assert isinstance(found, Unpriced)
    assert "claude-sonnet-4-5" in found.reason
    provider = book.find_model("antropic", "claude-sonnet-4-5")
    assert isinstance(provider, Unpriced)
    assert "anthropic" in provider.reason


def test_aliases_and_otel_provider_names(book: PriceBook) -> None:
    assert not isinstance(book.find_model("gcp.vertex_ai", "claude-sonnet-4-5@20250929"), Unpriced)
    assert not isinstance(book.find_model("openai", "gpt-5.2-20251211"), Unpriced)  # compact date
    assert not isinstance(book.find_model("anthropic", "anthropic/claude-opus-4-5"), Unpriced)
    azure = book.find_model("azure.ai.openai", "gpt-4o")
    assert not isinstance(azure, Unpriced)
    assert azure.provider.id == "azure"


def test_user_sheet_discount_and_custom_model(tmp_path: Path) -> None:
    sheet = tmp_path / "negotiated.yaml"
    sheet.write_text(
        """
providers:
  - id: acme
    name: ACME inference
models:
  - provider: acme
    model: acme-large
    aliases: [acme-l]
    source: contract 2026-01
    checked: 2026-01-15
    periods:
      - valid_from: 2026-01-01
        rates: {input_usd_per_mtok: 0.123456789, output_usd_per_mtok: 2}
discounts:
  - provider: anthropic
    models: [claude-sonnet-4-5]
    percent_off: 15
    valid_from: 2026-01-01
    source: MSA addendum 3
"""
    )
    book = PriceBook.load([sheet])
    at = dt.datetime(2026, 2, 1)
    custom = book.quote("acme", "acme-l", at=at, input_tokens=10**6, output_tokens=10**6)
    assert isinstance(custom, Quote)
    assert custom.total_usd == D("2.123456789")
    discounted = quote(book, "anthropic", "claude-sonnet-4-5", at, input_tokens=10**5)
    assert discounted.total_usd == D("0.3") * D("0.85")
    before = quote(book, "anthropic", "claude-sonnet-4-5", dt.datetime(2025, 12, 1), input_tokens=10**5)
    assert before.total_usd == D("0.3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "models: [{provider: nobody, model: x, source: s, checked: 2026-01-01}]",
            "unknown provider 'nobody'",
        ),
        ("discounts: [{percent_off: 10, multiplier: 0.9, source: s}]", "exactly one of"),
        ("models: [{provider: anthropic, model: claude-sonnet-4-5, source: s}]", "checked"),
        (
            "tier_rules: [{provider: openai, tier: batch, valid_from: 2025-01-01, source: s, "
            "checked: 2025-01-01}]",
            "backdate_explicit",
        ),
        ("not: [valid", "not valid YAML"),
        ("- a list", "YAML mapping"),
    ],
)
def test_bad_sheets_say_what_and_where(tmp_path: Path, text: str, message: str) -> None:
    sheet = tmp_path / "bad.yaml"
    sheet.write_text(text)
    with pytest.raises(PriceBookError) as e:
        PriceBook.load([sheet])
    assert message in str(e.value)
    assert "bad.yaml" in str(e.value)


def test_book_covers_every_provider_of_note(book: PriceBook) -> None:
    for provider in ("anthropic", "openai", "google", "deepseek", "x-ai", "mistral", "aws", "azure", "groq"):
        assert provider in book.providers
    assert sum(len(p.models) for p in book.providers.values()) > 2000
