"""Differential test against the peer library: the billing engine (vectorized, whole ledger)
against genai-prices' `calc_price` (one request at a time), on 12,000 random requests across the
direct providers' models and every modifier both support: 5-minute and 1-hour cache writes,
cache reads, long-context tiers, batch, flex and priority tiers, web searches, reasoning tokens,
dated price changes and DeepSeek's peak/off-peak windows.

Where the toolkit deliberately differs (only at the dates and hours a reason in DELIBERATE covers,
each with its source), the request is checked against an independent figure instead: a rate typed
here from the provider's published page, half the standard price for Anthropic's batches, or the
tier price genai-prices itself publishes from its variant's first day (carried back across a
standard price change by its ratio to the standard price); never against the book.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from inferonomics.billing.engine import price
from inferonomics.catalog.book import PriceBook, Quote, Unpriced
from inferonomics.ledger.core import Ledger

genai_prices = pytest.importorskip("genai_prices")
from genai_prices import Usage, calc_price  # noqa: E402
from genai_prices import data as gp_data  # noqa: E402

DELIBERATE = {
    "batch-before-2026-10-14": (
        "genai-prices dates its batch variants from 2026-10-14 and silently bills batch requests before "
        "that at standard prices; the batch APIs are older (Anthropic 2024-10-08, OpenAI 2024-04-15, "
        "Gemini 2025-07-07): https://www.anthropic.com/news/message-batches-api, "
        "https://platform.openai.com/docs/guides/batch, https://ai.google.dev/gemini-api/docs/batch-mode"
    ),
    "tier-before-2026-10-12": (
        "flex and priority variants are dated from 2026-10-12 in genai-prices (standard price before); "
        "flex launched 2025-04-16 and priority processing in July 2025 at the same premiums: "
        "https://platform.openai.com/docs/guides/flex-processing, https://openai.com/api-priority-processing/"
    ),
    "deepseek-history": (
        "genai-prices keeps deepseek-chat/-reasoner at the V3/R1 prices with a daily off-peak window at "
        "every date; the real history is the V3 promotion to 2025-02-08, off-peak discounts only from "
        "2025-02-26 16:30 to 2025-09-05, V3.1 from 2025-09-05 and V3.2 from 2025-09-29 "
        "(https://api-docs.deepseek.com/news/news250929)."
    ),
    "deepseek-peak": (
        "genai-prices cannot combine a date with a daily window nor say 'weekdays': its V4 peak windows "
        "apply every day at every date; DeepSeek's peak started 2026-08-17, V4 Flash's peak rate changed "
        "2026-09-10 (when deepseek-flash appeared) and from 2026-08-23 the peak is Monday to Friday only "
        "(https://api-docs.deepseek.com/updates). Only requests in those hours and dates differ."
    ),
    "before-launch": (
        "genai-prices prices a model at every date; usage dated before the model existed is unpriced in "
        "the book (launch dates in LAUNCH, each from the provider's announcement)."
    ),
    "price-history": (
        "price cuts and tiers genai-prices 0.2.3 lacks: o3 was $10 / $2.50 cached / $40 until the "
        "2025-06-10 cut (https://help.openai.com/en/articles/9624314-model-release-notes); o1-mini $3 / "
        "$1.50 / $12 until 2025-01-31 (https://openai.com/index/openai-o3-mini/); Claude Sonnet 4 bills "
        "requests over 200k input at $6 / $22.50 from 2025-08-12 (https://www.anthropic.com/news/1m-context)."
    ),
}

# Launch days (UTC) of the audited models launched after 2025-01-01, from the announcements cited in
# the overlay; typed here by hand, not read from the book.
LAUNCH = {
    ("openai", "o3-mini"): dt.datetime(2025, 1, 31),
    ("openai", "o3"): dt.datetime(2025, 4, 16),
    ("openai", "o4-mini"): dt.datetime(2025, 4, 16),
    ("openai", "gpt-4.1"): dt.datetime(2025, 4, 14),
    ("openai", "gpt-4.1-mini"): dt.datetime(2025, 4, 14),
    ("openai", "gpt-4.1-nano"): dt.datetime(2025, 4, 14),
    ("openai", "gpt-4.5-preview"): dt.datetime(2025, 2, 27),
    ("openai", "gpt-5"): dt.datetime(2025, 8, 7),
    ("openai", "gpt-5-mini"): dt.datetime(2025, 8, 7),
    ("openai", "gpt-5-nano"): dt.datetime(2025, 8, 7),
    ("openai", "gpt-realtime"): dt.datetime(2025, 8, 28),
    ("openai", "gpt-image-1"): dt.datetime(2025, 4, 23),
    ("anthropic", "claude-3-7-sonnet-latest"): dt.datetime(2025, 2, 24),
    ("anthropic", "claude-opus-4-0"): dt.datetime(2025, 5, 22),
    ("anthropic", "claude-sonnet-4-0"): dt.datetime(2025, 5, 22),
    ("anthropic", "claude-opus-4-1"): dt.datetime(2025, 8, 5),
    ("anthropic", "claude-sonnet-4-5"): dt.datetime(2025, 9, 29),
    ("anthropic", "claude-haiku-4-5"): dt.datetime(2025, 10, 15),
    ("google", "gemini-2.0-flash"): dt.datetime(2025, 2, 5),
    ("google", "gemini-2.5-flash"): dt.datetime(2025, 6, 17),
    ("google", "claude-3-7-sonnet"): dt.datetime(2025, 2, 24),
    ("google", "claude-4-opus"): dt.datetime(2025, 5, 22),
    ("google", "claude-4-sonnet"): dt.datetime(2025, 5, 22),
    ("google", "claude-sonnet-4-5"): dt.datetime(2025, 9, 29),
    ("google", "claude-haiku-4-5"): dt.datetime(2025, 10, 15),
    ("x-ai", "grok-3"): dt.datetime(2025, 4, 9),
    ("x-ai", "grok-3-mini"): dt.datetime(2025, 4, 9),
    ("x-ai", "grok-4-0709"): dt.datetime(2025, 7, 9),
    ("deepseek", "deepseek-flash"): dt.datetime(2026, 9, 10),
    ("anthropic", "claude-opus-4-5"): dt.datetime(2025, 11, 24),
    ("openai", "gpt-5-pro"): dt.datetime(2025, 10, 6),
    ("openai", "gpt-5.1"): dt.datetime(2025, 11, 13),
    ("openai", "gpt-5.2"): dt.datetime(2025, 12, 11),
    ("openai", "gpt-5.2-pro"): dt.datetime(2025, 12, 11),
    ("google", "gemini-2.5-flash-lite"): dt.datetime(2025, 6, 17),
    ("google", "gemini-3-pro-preview"): dt.datetime(2025, 11, 18),
    ("x-ai", "grok-4-fast-reasoning"): dt.datetime(2025, 9, 19),
    ("x-ai", "grok-4-fast-non-reasoning"): dt.datetime(2025, 9, 19),
    ("x-ai", "grok-4-1-fast-reasoning"): dt.datetime(2025, 11, 19),
    ("x-ai", "grok-4-1-fast-non-reasoning"): dt.datetime(2025, 11, 19),
}

PROVIDERS = ("anthropic", "openai", "google", "deepseek", "x-ai", "mistral", "moonshotai", "cohere", "groq")
N = 12_000
TIERS_FROM = dt.datetime(2026, 10, 14)


def _models() -> list[tuple[str, str, set[str]]]:
    """(provider, model id, tiers it has variants for) of chat models priced for input and output."""
    out = []
    for p in gp_data.providers:
        if p.id not in PROVIDERS:
            continue
        for m in p.models:
            prices = m.prices if isinstance(m.prices, list) else [None]
            entries = [c.prices for c in prices] if prices != [None] else [m.prices]
            if not all(
                getattr(e, "input_mtok", None) is not None and getattr(e, "output_mtok", None) is not None
                for e in entries
            ):
                continue
            if m.id.startswith(("ft:", "gpt-4o-mini-2024-07-18.ft")) or "tts" in m.id or "image" in m.id:
                continue
            if p.find_model(m.id) is not m:  # an id another model's clause claims first
                continue
            tiers = set()
            for v in m.price_variants or []:
                when = tuple(v.when.items())
                if when == (("processing", "batch"),):
                    tiers.add("batch")
                elif when in ((("service_tier", "flex"),), (("service_tier", "priority"),)):
                    tiers.add(when[0][1])
            out.append((p.id, m.id, tiers))
    return out


_MODEL_INFO = {(p.id, m.id): m for p in gp_data.providers for m in p.models}


def _has(provider: str, model: str, key: str, at: dt.datetime, context: dict[str, str] | None) -> bool:
    m = _MODEL_INFO[(provider, model)]
    return getattr(m.get_prices(at.replace(tzinfo=dt.UTC), context), key, None) is not None


def _requests(rng: random.Random) -> list[dict[str, Any]]:
    models = _models()
    rows = []
    for i in range(N):
        provider, model, tiers = rng.choice(models)
        at = dt.datetime(2025, 1, 1) + dt.timedelta(seconds=rng.randrange(0, 700 * 86400))
        tier = "standard"
        if tiers and rng.random() < 0.4:
            tier = rng.choice(sorted(tiers))
            if rng.random() < 0.7:
                at = TIERS_FROM + dt.timedelta(seconds=rng.randrange(0, 35 * 86400))
        context = (
            None
            if tier == "standard"
            else ({"processing": "batch"} if tier == "batch" else {"service_tier": tier})
        )
        big = rng.random() < 0.15
        total_in = rng.randrange(150_000, 320_000) if big else rng.randrange(1, 40_000)
        read = rng.randrange(0, total_in) if rng.random() < 0.5 else 0
        w1 = rng.randrange(0, total_in - read) if rng.random() < 0.3 else 0
        w5 = rng.randrange(0, total_in - read - w1) if rng.random() < 0.3 else 0
        has_cache_price = _has(provider, model, "cache_read_mtok", at, context)
        if not has_cache_price:
            read = w1 = w5 = 0
        output = rng.randrange(0, 8_000)
        reasoning = rng.randrange(0, output + 1) if rng.random() < 0.3 else 0
        web = (
            rng.randrange(1, 6)
            if rng.random() < 0.2 and _has(provider, model, "web_searches_kcount", at, context)
            else 0
        )
        rows.append(
            {
                "ts": at.replace(tzinfo=dt.UTC),
                "request_id": f"d{i}",
                "provider": provider,
                "model": model,
                "service_tier": tier,
                "requests": 1,
                "input_tokens": total_in - read - w1 - w5,
                "cache_read_tokens": read,
                "cache_write_5m_tokens": w5,
                "cache_write_1h_tokens": w1,
                "cache_write_other_tokens": 0,
                "output_tokens": output,
                "reasoning_tokens": reasoning,
                "web_search_requests": web,
                "_context": context,
            }
        )
    return rows


def _genai(row: dict[str, Any]) -> Decimal:
    result = calc_price(
        _usage(row),
        row["model"],
        provider_id=row["provider"],
        genai_request_timestamp=row["ts"],
        price_context=row["_context"],
    )
    return result.total_price


def _peak(at: dt.datetime) -> bool:
    """DeepSeek V4's peak hours (UTC 01:00-04:00 and 06:00-10:00)."""
    return 1 <= at.hour < 4 or 6 <= at.hour < 10


def _deliberate(row: dict[str, Any]) -> str | None:
    at = row["ts"].replace(tzinfo=None)
    key = (row["provider"], row["model"])
    weekend = at.weekday() >= 5
    if key in LAUNCH and at < LAUNCH[key]:
        return "before-launch"
    if key in (("deepseek", "deepseek-chat"), ("deepseek", "deepseek-reasoner")):
        return "deepseek-history"
    pro_differs = at < dt.datetime(2026, 8, 17) or (weekend and at >= dt.datetime(2026, 8, 23))
    if key == ("deepseek", "deepseek-v4-pro") and _peak(at) and pro_differs:
        return "deepseek-peak"
    flash_differs = at < dt.datetime(2026, 9, 10) or weekend
    if (
        key in (("deepseek", "deepseek-v4-flash"), ("deepseek", "deepseek-flash"))
        and _peak(at)
        and flash_differs
    ):
        return "deepseek-peak"
    if key == ("openai", "o3") and at < dt.datetime(2025, 6, 10):
        return "price-history"
    if key == ("openai", "o1-mini") and at < dt.datetime(2025, 1, 31):
        return "price-history"
    if (
        key == ("anthropic", "claude-sonnet-4-0")
        and at >= dt.datetime(2025, 8, 12)
        and _input_total(row) > 200_000
    ):
        return "price-history"
    first = _first_variant(row)
    if first is not None and at < first[0]:  # genai-prices falls back to standard prices here
        return "batch-before-2026-10-14" if row["service_tier"] == "batch" else "tier-before-2026-10-12"
    return None


def _first_variant(row: dict[str, Any]) -> tuple[dt.datetime, Any] | None:
    """genai-prices' earliest dated variant of the row's tier (start, prices), if it dates them."""
    if row["_context"] is None:
        return None
    m = _MODEL_INFO[(row["provider"], row["model"])]
    dated = []
    for v in m.price_variants or []:
        if v.when != row["_context"]:
            continue
        start = getattr(v.constraint, "start_date", None)
        if start is None:
            return None
        dated.append((dt.datetime.combine(start, dt.time()), v.prices))
    return min(dated, key=lambda d: d[0]) if dated else None


def _input_total(row: dict[str, Any]) -> int:
    return int(
        row["input_tokens"]
        + row["cache_read_tokens"]
        + row["cache_write_5m_tokens"]
        + row["cache_write_1h_tokens"]
    )


def _deepseek_rates(model: str, at: dt.datetime) -> tuple[str, str, str] | None:
    """DeepSeek's published (input, cache hit, output) USD/MTok at an instant, typed from its pricing
    pages and news posts (https://api-docs.deepseek.com/news/news1226, news250226, news250821,
    news250929, https://api-docs.deepseek.com/updates)."""
    off_peak = at.hour * 60 + at.minute >= 16 * 60 + 30 or at.hour * 60 + at.minute < 30
    weekday_peak = _peak(at) and at.weekday() < 5
    if model in ("deepseek-chat", "deepseek-reasoner"):
        if at >= dt.datetime(2025, 9, 29, 12):
            return ("0.28", "0.028", "0.42")
        if at >= dt.datetime(2025, 9, 5, 16):
            return ("0.56", "0.07", "1.68")
        if at >= dt.datetime(2025, 2, 26, 16, 30) and off_peak:
            return ("0.135", "0.035", "0.55")
        if model == "deepseek-reasoner":
            return ("0.55", "0.14", "2.19") if at >= dt.datetime(2025, 1, 20) else None
        if at >= dt.datetime(2025, 2, 8, 16):
            return ("0.27", "0.07", "1.10")
        return None  # the V3 launch promotion is not in the book (see the overlay)
    if model == "deepseek-v4-pro":
        if at < dt.datetime(2026, 8, 17):
            return ("0.435", "0.003625", "0.87")
        peak = _peak(at) if at < dt.datetime(2026, 8, 23) else weekday_peak
        return ("1.32", "0.044", "3.96") if peak else ("0.66", "0.022", "1.98")
    if model == "deepseek-v4-flash" and at < dt.datetime(2026, 9, 10):
        if at < dt.datetime(2026, 8, 17):
            return ("0.14", "0.0028", "0.28")
        peak = _peak(at) if at < dt.datetime(2026, 8, 23) else weekday_peak
        return ("0.44", "0.014", "1.32") if peak else ("0.22", "0.007", "0.66")
    if at < dt.datetime(2026, 9, 10):
        return None  # deepseek-flash did not exist yet
    return ("0.30", "0.006", "1.20") if weekday_peak else ("0.15", "0.003", "0.60")


# Standard rates of the audited periods that differ from genai-prices: (input, cache read, 5m write,
# 1h write, output, web search per 1k); None = the input rate (OpenAI bills no cache writes).
HISTORY_RATES = {
    "o3": ("10", "2.5", None, None, "40", "10"),
    "o1-mini": ("3", "1.5", None, None, "12", None),
    "claude-sonnet-4-0": ("6", "0.6", "7.5", "12", "22.5", "10"),
}


# Launch of each provider's batch, flex and priority tiers (sources in DELIBERATE); none: unpriced.
TIER_LAUNCHED = {
    ("anthropic", "batch"): dt.datetime(2024, 10, 8),
    ("openai", "batch"): dt.datetime(2024, 4, 15),
    ("openai", "flex"): dt.datetime(2025, 4, 16),
    ("openai", "priority"): dt.datetime(2025, 7, 1),
    ("google", "batch"): dt.datetime(2025, 7, 7),
}
# o3 before its 2025-06-10 cut, by tier: half the standard input and output (flex halves cached
# input too), https://platform.openai.com/docs/guides/flex-processing.
O3_TIERS = {"batch": ("5", "2.5", "20"), "flex": ("5", "1.25", "20")}


def _independent(row: dict[str, Any]) -> Decimal | None:
    """The expected price of a deliberately different request, from published figures typed in this
    file (never from the book): None where the request must be unpriced."""
    why = _deliberate(row)
    at = row["ts"].replace(tzinfo=None)
    million = Decimal(1_000_000)
    if why == "before-launch":
        return None
    if why in ("deepseek-history", "deepseek-peak"):
        rates = _deepseek_rates(row["model"], at)
        if rates is None:
            return None
        inp, read, out = (Decimal(r) for r in rates)
        uncached = row["input_tokens"] + row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"]
        return (uncached * inp + row["cache_read_tokens"] * read + row["output_tokens"] * out) / million
    if why == "price-history":
        inp, read, w5, w1, out, web = HISTORY_RATES[row["model"]]
        rate = {
            k: Decimal(v) if v is not None else None
            for k, v in zip(("i", "r", "w5", "w1", "o", "web"), (inp, read, w5, w1, out, web), strict=True)
        }
        w5_rate = rate["w5"] if rate["w5"] is not None else rate["i"]
        w1_rate = rate["w1"] if rate["w1"] is not None else w5_rate
        assert rate["i"] is not None
        assert rate["r"] is not None
        assert rate["o"] is not None
        tokens = (
            row["input_tokens"] * rate["i"]
            + row["cache_read_tokens"] * rate["r"]
            + row["cache_write_5m_tokens"] * w5_rate
            + row["cache_write_1h_tokens"] * w1_rate
            + row["output_tokens"] * rate["o"]
        ) / million
        fees = row["web_search_requests"] * (rate["web"] or Decimal(0)) / 1000
        if row["service_tier"] == "batch" and row["provider"] == "anthropic":
            return tokens / 2 + fees  # Message Batches: 50% of every token rate
        if row["service_tier"] != "standard" and row["model"] == "o3":
            launched = TIER_LAUNCHED.get((row["provider"], row["service_tier"]))
            if launched is None or at < launched:
                return None
            t_in, t_read, t_out = (Decimal(v) for v in O3_TIERS[row["service_tier"]])
            uncached = row["input_tokens"] + row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"]
            return (
                uncached * t_in + row["cache_read_tokens"] * t_read + row["output_tokens"] * t_out
            ) / million + fees
        assert row["service_tier"] == "standard", f"no published {row['service_tier']} price typed in: {row}"
        return tokens + fees
    # Tiers before genai-prices dates them: the price genai-prices publishes for that tier on the
    # first day it has it, for the same usage (the model's standard price being the same then).
    launched = TIER_LAUNCHED.get((row["provider"], row["service_tier"]))
    if launched is None or at < launched:
        return None  # no such tier then (or no launch date for it): unpriced, not standard
    return _genai_published_tier(row)


def _usage(row: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=_input_total(row),
        cache_read_tokens=row["cache_read_tokens"],
        cache_write_tokens=row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"],
        cache_write_1h_tokens=row["cache_write_1h_tokens"],
        output_tokens=row["output_tokens"],
        output_reasoning_tokens=row["reasoning_tokens"],
        web_searches=row["web_search_requests"],
    )


def _genai_published_tier(row: dict[str, Any]) -> Decimal:
    """genai-prices' own tier variant (the prices it publishes for batch, flex or priority, from a later
    date) carried back to the request's date by its ratio to genai-prices' standard price on the
    variant's first day (batch and flex are a fixed share of the standard price, priority a fixed
    premium: https://platform.openai.com/docs/guides/batch, https://openai.com/api-priority-processing/),
    laid over genai-prices' standard price at the request's date, priced by genai-prices."""
    m = _MODEL_INFO[(row["provider"], row["model"])]
    first = _first_variant(row)
    assert first is not None
    standard = m.get_prices(row["ts"], None)
    quoted = m.get_prices(first[0].replace(tzinfo=dt.UTC), None)
    merged = {k: v for k, v in vars(standard).items() if not k.startswith("_")}
    for k, v in vars(first[1]).items():
        if v is not None and not k.startswith("_"):
            merged[k] = _carried(merged.get(k), v, getattr(quoted, k, None)) if k.endswith("_mtok") else v
    result: Decimal = type(standard)(**merged).calc_price(_usage(row))["total_price"]
    return result


def _band_price(price: Any, start: int | None) -> Decimal | None:
    if price is None or isinstance(price, Decimal):
        return price
    if start is None:
        return price.base  # type: ignore[no-any-return]  # genai-prices' TieredPrices
    below = [t.price for t in price.tiers if t.start <= start]
    return below[-1] if below else price.base  # type: ignore[no-any-return]  # genai-prices' Tier


def _carried(now: Any, variant: Any, quoted: Any) -> Any:
    """A variant's rate at the request's date: the standard rate then, times the variant's ratio to the
    standard rate it was quoted against (per long-context band)."""
    from genai_prices.types import Tier, TieredPrices

    starts = sorted({t.start for p in (now, variant, quoted) if isinstance(p, TieredPrices) for t in p.tiers})

    def one(start: int | None) -> Decimal:
        n, v, q = (_band_price(p, start) for p in (now, variant, quoted))
        assert v is not None
        return v if n is None or q is None or q == 0 else n * v / q

    if not starts:
        return one(None)
    return TieredPrices(base=one(None), tiers=[Tier(start=s, price=one(s)) for s in starts])


def _quote(book: PriceBook, row: dict[str, Any]) -> Quote | Unpriced:
    """The scalar resolver's price of a generated request (Python Decimal, one at a time)."""
    counts = (
        "input_tokens",
        "cache_read_tokens",
        "cache_write_5m_tokens",
        "cache_write_1h_tokens",
        "output_tokens",
        "reasoning_tokens",
        "web_search_requests",
    )
    return book.quote(
        row["provider"],
        row["model"],
        at=row["ts"],
        service_tier=row["service_tier"],
        **{k: row[k] for k in counts},
    )


@pytest.fixture(scope="module")
def compared(book: PriceBook) -> tuple[list[dict[str, Any]], dict[str, Decimal | None]]:
    rows = _requests(random.Random(20261122))
    table = pa.Table.from_pylist([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    priced = price(Ledger.from_arrow(table, name="differential"), book).to_arrow()
    ours = dict(zip(priced["request_id"].to_pylist(), priced["cost_usd"].to_pylist(), strict=True))
    return rows, ours


def test_agrees_with_genai_prices_to_1e_9_usd(compared: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    rows, ours = compared
    models = {(r["provider"], r["model"]) for r in rows}
    assert len(models) >= 30
    modifiers = {
        "cache 5m": sum(r["cache_write_5m_tokens"] > 0 for r in rows),
        "cache 1h": sum(r["cache_write_1h_tokens"] > 0 for r in rows),
        "cache read": sum(r["cache_read_tokens"] > 0 for r in rows),
        "batch": sum(r["service_tier"] == "batch" for r in rows),
        "flex": sum(r["service_tier"] == "flex" for r in rows),
        "priority": sum(r["service_tier"] == "priority" for r in rows),
        "web search": sum(r["web_search_requests"] > 0 for r in rows),
        "reasoning": sum(r["reasoning_tokens"] > 0 for r in rows),
    }
    assert all(n >= 50 for n in modifiers.values()), modifiers
    compared_rows, mismatches = 0, []
    for row in rows:
        if _deliberate(row) is not None:
            continue
        theirs = _genai(row)
        mine = ours[row["request_id"]]
        compared_rows += 1
        if mine is None or abs(mine - theirs) > Decimal("1e-9"):
            mismatches.append((row["provider"], row["model"], row["service_tier"], row["ts"], mine, theirs))
    assert compared_rows >= 10_000
    assert not mismatches, "\n".join(map(str, mismatches[:20]))


def test_deliberate_differences_match_published_figures(
    compared: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    """Where we differ from genai-prices on purpose, the engine gives an independent figure: a rate
    typed from the provider's published page, half the standard price for Anthropic's batches, or the
    tier price genai-prices itself publishes from its variant's first day; unpriced before a launch."""
    rows, ours = compared
    checked = dict.fromkeys(DELIBERATE, 0)
    wrong = []
    for row in rows:
        why = _deliberate(row)
        if why is None:
            continue
        expected = _independent(row)
        mine = ours[row["request_id"]]
        if mine != expected and (mine is None or expected is None or abs(mine - expected) > Decimal("1e-9")):
            wrong.append((why, row["provider"], row["model"], row["service_tier"], row["ts"], mine, expected))
        checked[why] += 1
    assert not wrong, "\n".join(map(str, wrong[:20]))
    assert all(n > 0 for n in checked.values()), checked


def test_batch_before_its_variant_date_is_where_genai_prices_falls_back() -> None:
    """The documented pitfall behind the first deliberate difference."""
    usage = Usage(input_tokens=1_000_000)
    early = calc_price(
        usage,
        "claude-opus-4-5",
        provider_id="anthropic",
        genai_request_timestamp=dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
        price_context={"processing": "batch"},
    )
    assert early.total_price == Decimal(5)  # standard price: genai-prices ignores the batch context


def test_scalar_quote_matches_engine_on_every_row(
    compared: tuple[list[dict[str, Any]], dict[str, Any]], book: PriceBook
) -> None:
    rows, ours = compared
    for row in rows[:3000]:
        q = _quote(book, row)
        assert ours[row["request_id"]] == (q.total_usd if isinstance(q, Quote) else None), row
