"""The pricing expression compiled for DuckDB, pinned as a golden file: a change to the query
plan (a join, a cast, a cell formula) shows as a diff in review. The same expression compiled for
BigQuery, Snowflake, ClickHouse and Trino is pinned beside it (`pricing_<dialect>.sql`): Ibis
compiles it there, with DECIMAL arithmetic for the money (docs/scale.md).

The expression is built for a fixed ledger schema and the rate table of four keys over a fixed
window (long-context tiers, a US-inference uplift, time-of-day windows, a batch tier in play),
so a price-book change that moves a cut point inside that window shows too. To accept a change
on purpose: `INFERONOMICS_UPDATE_GOLDEN=1 pytest tests/test_golden_sql.py`, and review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from types import SimpleNamespace

import ibis
import pyarrow as pa
import pytest

from inferonomics import PriceBook
from inferonomics.backend import connect
from inferonomics.billing.engine import expression, rates_for
from inferonomics.ledger.schema import LEDGER_SCHEMA

GOLDEN = Path(__file__).parent / "golden" / "pricing_duckdb.sql"

KEYS = [
    ("anthropic", "claude-sonnet-4-5", "standard", None),  # long-context tier above 200k input
    ("anthropic", "claude-sonnet-4-6", "standard", "us"),  # US inference at 1.1x
    ("deepseek", "deepseek-v4-pro", "standard", None),  # peak and off-peak windows
    ("openai", "gpt-5", "batch", None),  # a batch tier
]


OTHER_DIALECTS = ("bigquery", "snowflake", "clickhouse", "trino")
"""Ibis backends the pricing expression compiles for beyond DuckDB (Spark runs it: tests/scale)."""


def compiled(book: PriceBook, dialect: str = "duckdb") -> str:
    keys = pa.Table.from_pylist(
        [
            dict(zip(("provider", "model", "service_tier", "region"), k, strict=True)) | {"rows": 1}
            for k in KEYS
        ],
        schema=pa.schema(
            [
                ("provider", pa.string()),
                ("model", pa.string()),
                ("service_tier", pa.string()),
                ("region", pa.string()),
                ("rows", pa.int64()),
            ]
        ),
    )
    rates = rates_for(book, keys, dt.datetime(2026, 6, 1), dt.datetime(2026, 11, 30))
    columns = {f.name: ibis.dtype(f.type) for f in LEDGER_SCHEMA if f.name != "prefix_hashes"}
    columns |= {"ts": ibis.dtype("timestamp"), "_ok": "boolean", "_problem": "string", "_src": "int8"}
    columns["_ts_order"] = ibis.dtype("timestamp")
    rows = ibis.table(ibis.schema(columns), name="ledger")
    if dialect == "duckdb":
        expr = expression(rows, rates, False, connect())
    else:  # only the backend's name matters to the expression; DECIMAL arithmetic off DuckDB
        expr = expression(rows, rates, True, SimpleNamespace(name=dialect))
    sql = ibis.to_sql(expr, dialect=dialect)
    # The rate table is an in-memory table with a generated name.
    return re.sub(r"ibis_\w+_memtable_\w+", "rates", str(sql)).rstrip() + "\n"


def test_pricing_expression_compiles_to_the_golden_sql(book: PriceBook) -> None:
    sql = compiled(book)
    if os.environ.get("INFERONOMICS_UPDATE_GOLDEN"):
        GOLDEN.write_text(sql)
    assert GOLDEN.read_text() == sql, (
        "the pricing query changed; if on purpose, rerun with INFERONOMICS_UPDATE_GOLDEN=1 and review "
        "the diff of tests/golden/pricing_duckdb.sql"
    )
    # The one join is by equality: the keys, then the cell; no range predicate in it.
    on = sql.rsplit("\n  ON ", 1)[1]
    assert '"_cell" = "t3"."_cell"' in on
    assert not re.search(r"[<>]", on)


@pytest.mark.parametrize("dialect", OTHER_DIALECTS)
def test_pricing_expression_compiles_for_other_backends(book: PriceBook, dialect: str) -> None:
    sql = compiled(book, dialect)
    golden = GOLDEN.with_name(f"pricing_{dialect}.sql")
    if os.environ.get("INFERONOMICS_UPDATE_GOLDEN"):
        golden.write_text(sql)
    assert golden.read_text() == sql, (
        f"the {dialect} pricing query changed; if on purpose, rerun with INFERONOMICS_UPDATE_GOLDEN=1 "
        f"and review the diff of {golden.name}"
    )
    # Money stays exact there too: token counts and rates are DECIMAL before a product (BigQuery's
    # NUMERIC is DECIMAL(38, 9): integers below 1e29 fUSD, 1e14 USD, are exact), never a float.
    exact = "AS NUMERIC)" if dialect == "bigquery" else "DECIMAL(38, 0)"
    assert sql.upper().count(exact.upper()) >= 18  # both sides of the nine products
    products = [line for line in sql.splitlines() if re.search(r"\br_\w+", line)]
    assert len(products) >= 9
    assert not [line for line in products if re.search(r"FLOAT|DOUBLE", line, re.IGNORECASE)]
