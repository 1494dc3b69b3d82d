"""Properties of the billing engine (Hypothesis): cost never falls when a token count rises;
pricing a ledger in two parts and adding equals pricing it whole; every row read is billed or
quarantined. Each example runs the real engine on DuckDB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferonomics.billing.engine import price
from inferonomics.billing.rollup import rollup
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import COUNT_COLUMNS

# Whole processes and property searches: `make test` runs them, `make quick` does not.
pytestmark = pytest.mark.slow

BOOK = PriceBook.load()
MODELS = [
    ("anthropic", "claude-sonnet-4-5", "standard", None),
    ("anthropic", "claude-sonnet-4-6", "batch", "us"),
    ("anthropic", "claude-opus-4-5", "batch", None),
    ("openai", "gpt-5", "flex", None),
    ("openai", "gpt-4o", "priority", None),
    ("google", "gemini-2.5-pro", "standard", None),
    ("deepseek", "deepseek-v4-pro", "standard", None),
    ("deepseek", "deepseek-chat", "standard", None),
    ("openai", "gpt-9", "standard", None),  # unknown: unpriced
]
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

counts = st.integers(min_value=0, max_value=300_000)


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    provider, model, tier, region = draw(st.sampled_from(MODELS))
    at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=draw(st.integers(0, 700 * 24 * 60)))
    output = draw(counts)
    return {
        "ts": at,
        "provider": provider,
        "model": model,
        "service_tier": tier,
        "region": region,
        "requests": 1,
        "input_tokens": draw(counts),
        "cache_read_tokens": draw(counts),
        "cache_write_5m_tokens": draw(counts),
        "cache_write_1h_tokens": draw(counts),
        "cache_write_other_tokens": 0,
        "output_tokens": output,
        "reasoning_tokens": draw(st.integers(0, output)),
        "web_search_requests": draw(st.integers(0, 3)),
    }


def priced_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = pa.Table.from_pylist([{**r, "request_id": str(i)} for i, r in enumerate(rows)])
    out = price(Ledger.from_arrow(table, name="prop"), BOOK).to_arrow()
    return sorted(out.to_pylist(), key=lambda r: int(r["request_id"]))


@SETTINGS
@given(st.lists(requests(), min_size=1, max_size=20), st.data())
def test_cost_never_falls_when_a_token_count_rises(rows: list[dict[str, Any]], data: Any) -> None:
    bumped = []
    for r in rows:
        # The row's own counts (the modality parts, absent here, are parts of these buckets).
        column = data.draw(
            st.sampled_from([c for c in COUNT_COLUMNS if c in r and c != "cache_write_other_tokens"])
        )
        more = dict(r)
        more[column] += data.draw(st.integers(1, 200_000))
        if column == "reasoning_tokens":
            more["output_tokens"] += more["reasoning_tokens"] - r["reasoning_tokens"]
        bumped.append(more)
    for before, after in zip(priced_rows(rows), priced_rows(bumped), strict=True):
        if before["status"] == "priced" and after["status"] == "priced":
            assert after["cost_usd"] >= before["cost_usd"], (before, after)
        elif before["status"] == "priced":  # it now uses a token class the model has no price for
            assert after["status"].startswith("unpriced: no ")
            assert after["status"].endswith(before["model"])
        else:  # an unknown model stays unpriced whatever its counts
            assert after["status"] == before["status"] != "priced"


@SETTINGS
@given(st.lists(requests(), min_size=2, max_size=30), st.integers(min_value=1))
def test_split_and_add_equals_whole(rows: list[dict[str, Any]], cut: int) -> None:
    cut = cut % (len(rows) - 1) + 1

    def total(part: list[dict[str, Any]]) -> tuple[Decimal, int]:
        table = pa.Table.from_pylist([{**r, "request_id": str(i)} for i, r in enumerate(part)])
        result = rollup(price(Ledger.from_arrow(table, name="prop"), BOOK)).table.to_pylist()
        return (result[0]["cost_usd"], result[0]["unpriced_requests"]) if result else (Decimal(0), 0)

    whole = total(rows)
    a, b = total(rows[:cut]), total(rows[cut:])
    assert whole == (a[0] + b[0], a[1] + b[1])


bad_values = st.sampled_from(
    [
        ("output_tokens", -1),
        ("input_tokens", None),
        ("ts", None),
        ("requests", 0),
        ("provider", ""),
        ("service_tier", "gold"),
        ("reasoning_tokens", 10**9),
    ]
)


@SETTINGS
@given(st.lists(st.tuples(requests(), st.one_of(st.none(), bad_values)), min_size=1, max_size=40))
def test_every_row_read_is_billed_or_quarantined(rows: list[tuple[dict[str, Any], Any]]) -> None:
    records, expected_bad = [], 0
    for i, (r, bad) in enumerate(rows):
        rec = {**r, "request_id": str(i)}
        if (bad is not None and bad[1] is not None) or (bad is not None and bad[0] == "ts"):
            column, value = bad
            rec[column] = value
            expected_bad += 1
        records.append(rec)
    schema = pa.schema(
        [
            ("ts", pa.timestamp("us", "UTC")),
            ("request_id", pa.string()),
            ("provider", pa.string()),
            ("model", pa.string()),
            ("service_tier", pa.string()),
            ("region", pa.string()),
            *[(c, pa.int64()) for c in ("requests", *COUNT_COLUMNS)],
        ]
    )
    ledger = Ledger.from_arrow(pa.Table.from_pylist(records, schema=schema), name="prop")
    result = rollup(price(ledger, BOOK))
    account = result.account
    assert account.rows_read == len(rows)
    assert account.rows_quarantined == expected_bad
    assert account.rows_billed + account.rows_quarantined == account.rows_read
    assert sum(result.table["rows"].to_pylist()) == account.rows_billed
    assert ledger.quarantine().num_rows == expected_bad
