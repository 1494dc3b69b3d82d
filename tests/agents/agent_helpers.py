"""Helpers of the coding-agent tests: where the fixtures are, reading a tree, summing buckets.
Expected figures are written out by hand in each test from the documented mapping
(`docs/formats.md`, "Coding agents"), never taken from the reader."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from inferonomics.billing.bill import bill
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agents"
CLAUDE = FIXTURES / "claude"
CODEX = FIXTURES / "codex"
SESSION_1 = "5c1e7a42-1f0b-4a57-9d7e-2b8f6c0d9a11"
SESSION_2 = "9d2f4b10-6e3a-4c8d-b1f5-7a0e3c2d4f60"
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


def buckets(**counts: int) -> dict[str, int]:
    """Every bucket, zero unless given."""
    return {c: counts.get(c, 0) for c in BUCKETS}


def counts_of(row: dict[str, Any]) -> dict[str, int]:
    return {c: row[c] for c in BUCKETS}


def rows_of(*paths: Path | str, **kw: Any) -> list[dict[str, Any]]:
    with Ledger.open(list(paths), **kw) as ledger:
        return ledger.to_arrow().to_pylist()


def by_line(rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Rows by (file name, line)."""
    return {(Path(r["source_file"]).name, r["source_line"]): r for r in rows}


def quarantined(*paths: Path | str) -> dict[tuple[str, int], str]:
    with Ledger.open(list(paths)) as ledger:
        return {
            (Path(r["source_file"]).name, r["source_line"]): r["reason"]
            for r in ledger.quarantine().to_pylist()
        }


def billed(book: PriceBook, *paths: Path | str) -> tuple[Decimal, int, int, int]:
    """(total cost, unpriced requests, rows billed, rows quarantined), as `inferonomics bill` sees it."""
    with Ledger.open(list(paths)) as ledger:
        result = bill(ledger, book=book)
        table = result.table.to_pylist()
        total = sum((r["cost_usd"] for r in table), Decimal(0))
        unpriced = sum(r["unpriced_requests"] for r in table)
        return total, unpriced, result.account.rows_billed, result.account.rows_quarantined


def per_million(*terms: tuple[int, str]) -> Decimal:
    """Σ tokens × USD-per-million rate."""
    return sum((n * Decimal(rate) for n, rate in terms), Decimal(0)) / 1_000_000
