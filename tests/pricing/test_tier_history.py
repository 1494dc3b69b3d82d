"""Tier prices across standard price changes: explicit batch / flex / priority prices are quoted
against the standard price in force at their date, so carried back (or forward) across a standard
price change they keep their ratio to the standard price, never their amount. Expected figures are
hand arithmetic on the published rates (sources in the comments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

import inferonomics as inf
from inferonomics.catalog.book import PriceBook, Quote

D = Decimal
M = 1_000_000

CASES = [
    # o3: $10 / $2.50 cached / $40 until the 80% cut of 2025-06-10, $2 / $0.50 / $8 after
    # (https://help.openai.com/en/articles/9624314-model-release-notes). Batch is half the standard
    # price (https://platform.openai.com/docs/guides/batch), flex "priced at Batch API rates" with
    # cached input halved too (https://platform.openai.com/docs/guides/flex-processing).
    # (model, tier, instant, input, cached, output, expected USD)
    ("o3", "batch", "2025-05-01", M, 0, M, D(5) + D(20)),
    ("o3", "batch", "2025-07-01", M, 0, M, D(1) + D(4)),
    ("o3", "flex", "2025-05-01", M, M, M, D(5) + D("1.25") + D(20)),
    ("o3", "flex", "2025-07-01", M, M, M, D(1) + D("0.25") + D(4)),
    # Priority processing (July 2025, after the cut): o3 $3.50 / $0.875 / $14
    # (https://openai.com/api-priority-processing/).
    ("o3", "priority", "2025-07-15", M, M, M, D("3.5") + D("0.875") + D(14)),
    # gpt-4o: the alias billed gpt-4o-2024-05-13's $5 / $15 until 2024-10-02, then $2.50 / $10; the
    # Batch API halves both: $2.50 / $7.50, then $1.25 / $5 (https://platform.openai.com/docs/pricing
    # lists gpt-4o-2024-05-13 batch at $2.50 / $7.50).
    ("gpt-4o", "batch", "2024-06-01", M, 0, M, D("2.5") + D("7.5")),
    ("gpt-4o", "batch", "2024-11-01", M, 0, M, D("1.25") + D(5)),
]


@pytest.mark.parametrize(("model", "tier", "at", "inp", "cached", "out", "expected"), CASES)
def test_tier_price_at_the_standard_price_in_force(
    book: PriceBook, model: str, tier: str, at: str, inp: int, cached: int, out: int, expected: Decimal
) -> None:
    q = book.quote(
        "openai",
        model,
        at=dt.datetime.fromisoformat(at),
        input_tokens=inp,
        cache_read_tokens=cached,
        output_tokens=out,
        service_tier=tier,
    )
    assert isinstance(q, Quote), q
    assert q.total_usd == expected


def test_the_entry_says_when_tier_prices_were_scaled(book: PriceBook) -> None:
    def entry(model: str, tier: str, at: dt.datetime) -> str:
        q = book.quote("openai", model, at=at, input_tokens=M, service_tier=tier)
        assert isinstance(q, Quote), q
        return q.rates.entry

    assert "scaled to standard" in entry("o3", "batch", dt.datetime(2025, 5, 1))
    assert "scaled to standard" in entry("gpt-4o", "batch", dt.datetime(2024, 6, 1))
    assert "scaled" not in entry("o3", "batch", dt.datetime(2025, 7, 1))


def test_the_engine_bills_the_same(tmp_path: Path) -> None:
    rows = [
        {
            "ts": dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC),
            "request_id": f"r{i}",
            "provider": "openai",
            "model": model,
            "service_tier": tier,
            "input_tokens": inp,
            "cache_read_tokens": cached,
            "output_tokens": out,
        }
        for i, (model, tier, at, inp, cached, out, _) in enumerate(CASES)
    ]
    priced = inf.price(inf.Ledger.from_arrow(pa.Table.from_pylist(rows), name="tiers")).to_arrow()
    got = dict(zip(priced["request_id"].to_pylist(), priced["cost_usd"].to_pylist(), strict=True))
    assert got == {f"r{i}": case[-1] for i, case in enumerate(CASES)}


def test_a_sheet_tier_price_is_scaled_across_its_own_standard_change(tmp_path: Path) -> None:
    # A user's sheet: standard $4 / $8 from 2026-01-01, $2 / $4 from 2026-06-01; explicit batch prices
    # $1 / $2 dated 2026-07-01 (half the standard of their date). In force from then; before it, no
    # explicit batch price and the sheet's batch rule carries them back: $2 / $4 before the cut.
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(
        """
version: 1
providers:
  - id: acme
    name: Acme
    models:
      - id: acme-1
        prices:
          - valid_from: 2026-01-01
            rates: {input_usd_per_mtok: 4, output_usd_per_mtok: 8}
          - valid_from: 2026-06-01
            rates: {input_usd_per_mtok: 2, output_usd_per_mtok: 4}
        tier_prices:
          batch:
            - valid_from: 2026-07-01
              rates: {input_usd_per_mtok: 1, output_usd_per_mtok: 2}
tier_rules:
  - provider: acme
    tier: batch
    backdate_explicit: true
    valid_from: 2026-01-01
    source: https://example.com/acme-batch
    checked: 2026-12-01
"""
    )
    book = PriceBook.load([sheet])

    def cost(at: dt.datetime) -> Decimal:
        q = book.quote("acme", "acme-1", at=at, input_tokens=M, output_tokens=M, service_tier="batch")
        assert isinstance(q, Quote), q
        return q.total_usd

    assert cost(dt.datetime(2026, 3, 1)) == D(6)  # 4 x 0.5 + 8 x 0.5
    assert cost(dt.datetime(2026, 6, 15)) == D(3)  # the explicit prices, backdated within their period
    assert cost(dt.datetime(2026, 8, 1)) == D(3)
