"""Helpers of the format tests: where the fixtures are, published prices, and a tiny readable cost
function. Expected buckets and costs are written out by hand in each test from the documented
semantics of the format (`shared/reference/usage_formats.md`), never taken from the reader."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from inferonomics.billing.bill import bill
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
BUCKETS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_write_other_tokens",
    "output_tokens",
    "reasoning_tokens",
    "web_search_requests",
)


@dataclass(frozen=True)
class Price:
    """Published list prices, USD per million tokens (web search: per thousand requests)."""

    input: str
    cache_read: str
    write_5m: str
    write_1h: str
    output: str
    write_other: str | None = None  # unknown-TTL writes: the 5-minute rate unless the provider says
    web_search: str = "0"

    def scaled(self, factor: str) -> Price:
        f = Decimal(factor)
        fields = ("input", "cache_read", "write_5m", "write_1h", "output")
        values = {k: str(Decimal(getattr(self, k)) * f) for k in fields}
        other = None if self.write_other is None else str(Decimal(self.write_other) * f)
        return Price(**values, write_other=other, web_search=self.web_search)


# Anthropic pricing page: cache reads 0.1x input, 5-minute writes 1.25x, 1-hour writes 2x; batch 50%;
# US-only inference (inference_geo "us") 1.1x on tokens; web search $10 per 1,000.
SONNET_46 = Price("3", "0.30", "3.75", "6", "15", web_search="10")
SONNET_45 = Price("3", "0.30", "3.75", "6", "15", web_search="10")
SONNET_45_LONG = Price("6", "0.60", "7.50", "12", "22.50", web_search="10")  # above 200k input
HAIKU_45 = Price("1", "0.10", "1.25", "2", "5", web_search="10")
OPUS_46 = Price("5", "0.50", "6.25", "10", "25", web_search="10")
# OpenAI pricing page: cached input 0.1x; batch and flex 50%, priority 2x; cache writes at the input rate.
GPT_54_MINI = Price("0.75", "0.075", "0.75", "0.75", "4.50", write_other="0.75", web_search="10")
GPT_5_NANO = Price("0.05", "0.005", "0.05", "0.05", "0.40", write_other="0.05")
EMBEDDING_3_SMALL = Price("0.02", "0.02", "0.02", "0.02", "0")
# Gemini API pricing: cached input $0.03 (also in batch), grounding with Google Search $35 per 1,000
# grounded prompts.
GEMINI_25_FLASH = Price("0.30", "0.03", "0.30", "0.30", "2.50", web_search="35")
GEMINI_25_FLASH_BATCH = Price("0.15", "0.03", "0.15", "0.15", "1.25", web_search="35")
# OpenRouter passes the provider's prices through (its fee is charged on credit purchases).
OR_SONNET_45 = Price("3", "0.30", "3.75", "3.75", "15")
OR_GPT_5_MINI = Price("0.25", "0.025", "0.25", "0.25", "2")
OR_GEMINI_25_FLASH = Price("0.30", "0.075", "0.3833", "0.3833", "2.50")
# Amazon Bedrock cross-region (us.) profiles of Claude Sonnet 4.5: 10% over Anthropic's price.
BEDROCK_SONNET_45 = Price("3.3", "0.33", "4.125", "6.6", "16.5")


def cost(price: Price, b: dict[str, int]) -> Decimal:
    """What a row costs at `price`: each bucket times its rate (they never overlap)."""
    m = Decimal(1_000_000)
    other = Decimal(price.write_other if price.write_other is not None else price.write_5m)
    return (
        b.get("input_tokens", 0) * Decimal(price.input) / m
        + b.get("cache_read_tokens", 0) * Decimal(price.cache_read) / m
        + b.get("cache_write_5m_tokens", 0) * Decimal(price.write_5m) / m
        + b.get("cache_write_1h_tokens", 0) * Decimal(price.write_1h) / m
        + b.get("cache_write_other_tokens", 0) * other / m
        + b.get("output_tokens", 0) * Decimal(price.output) / m
        + b.get("web_search_requests", 0) * Decimal(price.web_search) / 1000
    )


def buckets(**counts: int) -> dict[str, int]:
    """Every bucket, zero unless given."""
    return {c: counts.get(c, 0) for c in BUCKETS}


def read(name: str, **kw: Any) -> list[dict[str, Any]]:
    with Ledger.open([FIXTURES / name], **kw) as ledger:
        return ledger.to_arrow().to_pylist()


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["request_id"]: r for r in rows}


def counts_of(row: dict[str, Any]) -> dict[str, int]:
    return {c: row[c] for c in BUCKETS}


def billed(name: str, book: PriceBook) -> tuple[Decimal, int, int]:
    """(total cost, unpriced requests, quarantined rows) of a fixture, as `inferonomics bill` sees it."""
    with Ledger.open([FIXTURES / name]) as ledger:
        result = bill(ledger, book=book)
        table = result.table.to_pylist()
        total = sum((r["cost_usd"] for r in table), Decimal(0))
        unpriced = sum(r["unpriced_requests"] for r in table)
        return total, unpriced, result.account.rows_quarantined


def quarantined(name: str) -> dict[int, str]:
    with Ledger.open([FIXTURES / name]) as ledger:
        return {r["source_line"]: r["reason"] for r in ledger.quarantine().to_pylist()}
