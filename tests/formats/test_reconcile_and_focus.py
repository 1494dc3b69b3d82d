"""Reconciliation of reported costs with our prices, and the FOCUS 1.3 export and its validator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from format_helpers import FIXTURES, SONNET_46, billed, buckets, cost

from inferonomics.billing.focus import focus_export, savings_dataset
from inferonomics.billing.focus_rules import read_focus, validate_focus
from inferonomics.billing.reconcile import reconcile
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.report.tables import csv_ready

# Whole processes and property searches: `make test` runs them, `make quick` does not.
pytestmark = pytest.mark.slow


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}  # wide enough for the causes to print on one line
    return subprocess.run(
        [sys.executable, "-m", "inferonomics", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def causes(*names: str, book: PriceBook) -> dict[tuple[str, str, str], tuple[Decimal, str]]:
    with Ledger.open([FIXTURES / n for n in names]) as ledger:
        result = reconcile(ledger, book)
        return {
            (r["day"].isoformat(), r["model"], r["source"]): (r["residual_usd"], r["cause"])
            for r in result.table.to_pylist()
        }


def test_cost_report_against_usage_report(book: PriceBook) -> None:
    got = causes("anthropic_usage_report.json", "anthropic_cost_report.json", book=book)
    report = "anthropic_cost_report.json"
    assert got[("2026-08-10", "claude-sonnet-4-6", report)] == (Decimal(0), "matches")
    assert got[("2026-08-10", "claude-haiku-4-5", report)] == (Decimal(0), "matches")
    # Day two: the report bills 150,000 cache-write tokens at the 1-hour rate, the usage says 5 minutes.
    residual, cause = got[("2026-08-11", "claude-sonnet-4-6", report)]
    assert residual == 150000 * (Decimal("6") - Decimal("3.75")) / 1_000_000
    assert cause == "cache TTL: the writes were billed at the 1-hour rate"
    assert len(got) == 3  # usage without a reported cost (Sonnet 4.5, Opus) is not reconciled


def test_costs_api_pairs_with_dated_model_names(book: PriceBook) -> None:
    got = causes("openai_usage_completions.json", "openai_costs.json", book=book)
    costs = "openai_costs.json"
    # "gpt-5.4-mini" in the Costs API and "gpt-5.4-mini-2026-03-17" in the Usage API are one model.
    assert got[("2026-08-10", "gpt-5.4-mini", costs)] == (Decimal(0), "matches")
    assert got[("2026-08-11", "gpt-5.4-mini", costs)] == (Decimal(0), "matches")
    residual, cause = got[("2026-08-11", "gpt-5.6-mini", costs)]
    assert residual == Decimal("0.0425")  # nothing priced: the model is not in the book
    assert cause.startswith("unknown model: unknown model 'gpt-5.6-mini-2026-06-18'")


def test_gateway_estimates_and_the_double_counting_bug(book: PriceBook) -> None:
    got = causes("litellm_spend_logs.jsonl", book=book)
    residual, cause = got[("2026-08-10", "claude-sonnet-4-6", "litellm_spend_logs.jsonl")]
    ours = cost(
        SONNET_46,
        buckets(input_tokens=10, cache_read_tokens=66360, cache_write_other_tokens=32435, output_tokens=5120),
    ) + cost(
        SONNET_46,
        buckets(
            input_tokens=1410,
            cache_read_tokens=12000,
            cache_write_5m_tokens=4000,
            cache_write_1h_tokens=5000,
            output_tokens=1200,
        ),
    )
    assert residual == Decimal("0.373215") + Decimal("0.08523") - ours
    assert cause.startswith("cache tokens priced as uncached input by the source")
    assert got[("2026-08-10", "gpt-5.4-mini", "litellm_spend_logs.jsonl")][1] == "matches"


def test_reconcile_command(tmp_path: Path) -> None:
    result = run(
        "reconcile", FIXTURES / "anthropic_usage_report.json", FIXTURES / "anthropic_cost_report.json"
    )
    assert result.returncode == 0, result.stderr
    assert "cache TTL" in result.stdout
    assert "residual $0.3375" in result.stdout
    as_json = json.loads(run("reconcile", FIXTURES / "openrouter_responses.jsonl", "--format", "json").stdout)
    assert {r["cost_source"] for r in as_json} == {"provider_response"}


FOCUS_INPUTS = [
    "anthropic_messages.jsonl",
    "anthropic_usage_report.json",
    "openai_usage_completions.json",
    "gemini_responses.jsonl",
    "litellm_spend_logs.jsonl",
]


@pytest.fixture(scope="module")
def export(book: PriceBook) -> pa.Table:
    with Ledger.open([FIXTURES / n for n in FOCUS_INPUTS]) as ledger:
        return focus_export(ledger, book).table


def test_focus_rows_pass_the_validator_and_add_up_to_the_bill(export: pa.Table, book: PriceBook) -> None:
    check = validate_focus(export)
    assert check.ok, [str(v) for v in check.violations]
    total = sum(export["BilledCost"].to_pylist(), Decimal(0))
    assert total == sum((billed(n, book)[0] for n in FOCUS_INPUTS), Decimal(0))
    rows = export.to_pylist()
    assert {r["ConsumedUnit"] for r in rows} == {"Tokens", "Requests"}
    assert {r["PricingUnit"] for r in rows} == {"1000000 Tokens", "1000 Requests"}
    for r in rows:
        assert r["ListCost"] == r["ListUnitPrice"] * r["PricingQuantity"]
        assert r["BilledCost"] == r["EffectiveCost"] == r["ContractedCost"]
    # One token class per row: the Anthropic usage report's first day of Sonnet 4.6.
    workspace = "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"
    day = [r for r in rows if r["x_ModelId"] == "claude-sonnet-4-6" and r["SubAccountId"] == workspace]
    day = [r for r in day if r["ChargePeriodStart"].day == 10]
    meters = {r["SkuMeter"]: r["ConsumedQuantity"] for r in day}
    assert meters == {
        "Input Tokens": 1520334,
        "Cache Read Input Tokens": 9832110,
        "Cache Write Input Tokens (5m)": 210441,
        "Cache Write Input Tokens (1h)": 52000,
        "Output Tokens": 402118,
        "Web Search Requests": 31,
    }
    read_row = next(r for r in day if r["SkuMeter"] == "Cache Read Input Tokens")
    assert json.loads(read_row["SkuPriceDetails"]) == {
        "x_ModelDeveloper": "Anthropic",
        "x_ModelId": "claude-sonnet-4-6",
        "x_ServiceTier": "standard",
        "x_TokenCacheAction": "Read",
        "x_TokenDirection": "Input",
    }
    assert (read_row["ListUnitPrice"], read_row["PricingQuantity"]) == (Decimal("0.3"), Decimal("9.83211"))


def test_csv_and_parquet_round_trip_through_the_validator(export: pa.Table, tmp_path: Path) -> None:
    csv_path, parquet_path = tmp_path / "focus.csv", tmp_path / "focus.parquet"
    pacsv.write_csv(csv_ready(export), csv_path)
    pq.write_table(export, parquet_path)
    for path in (csv_path, parquet_path):
        assert validate_focus(read_focus(path)).ok


def test_the_validator_rejects_a_broken_file(export: pa.Table, tmp_path: Path) -> None:
    text = csv_ready(export)
    broken = text.set_column(
        text.schema.get_field_index("ChargeCategory"),
        "ChargeCategory",
        pa.array(["Usage"] * (text.num_rows - 1) + ["Spend"]),
    )
    broken = broken.set_column(
        broken.schema.get_field_index("ListCost"),
        "ListCost",
        pa.array(["1.5", *broken["ListCost"].to_pylist()[1:]]),
    )
    broken = broken.drop_columns(["ServiceProviderName"]).append_column(
        "Team", pa.array(["x"] * text.num_rows)
    )
    path = tmp_path / "broken.csv"
    pacsv.write_csv(broken, path)
    rules = {(v.column, v.rule) for v in validate_focus(read_focus(path)).violations}
    assert ("ServiceProviderName", "mandatory column missing") in rules
    assert ("ChargeCategory", "not an allowed value (Adjustment, Credit, Purchase, Tax, Usage)") in rules
    assert ("ListCost", "must equal ListUnitPrice × PricingQuantity") in rules
    assert ("Team", "not a FOCUS 1.3 column: custom columns must be prefixed x_") in rules
    result = run("export", "focus-check", path)
    assert result.returncode == 1  # the file fails the check as a whole (docs/reliability.md)
    # The fifth: a "Spend" row is not Usage, so its ConsumedQuantity must be null.
    assert "breaks 5 FOCUS 1.3 column rule(s)" in result.stderr


def test_simulated_savings_are_a_separate_dataset(book: PriceBook, tmp_path: Path) -> None:
    with Ledger.open([FIXTURES / "anthropic_messages.jsonl"]) as ledger:
        base = focus_export(ledger, book).table
        # A what-if ledger: the same requests at the batch tier.
        what_if = ledger.derived(
            ledger.rows.mutate(service_tier=ledger.rows.service_tier.substitute({"standard": "batch"}))
        )
        savings = savings_dataset(ledger, what_if, book, name="batch everything")
        again = focus_export(ledger, book).table
    assert again.equals(base)  # the export of billed cost is untouched by a scenario
    assert not {"BilledCost", "EffectiveCost", "ListCost"} & set(savings.column_names)
    [row] = savings.to_pylist()
    assert row["x_BaselineCost"] == sum(base["BilledCost"].to_pylist(), Decimal(0))
    assert row["x_SimulatedSavings"] == row["x_BaselineCost"] - row["x_ScenarioCost"] > 0
    out, saved = tmp_path / "focus.csv", tmp_path / "savings.csv"
    result = run(
        "export", "focus", FIXTURES / "anthropic_messages.jsonl", "--out", out,
        "--whatif", FIXTURES / "anthropic_batch_results.jsonl", "--savings-out", saved,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "FOCUS 1.3 column rules: ok" in result.stderr
    assert "x_SimulatedSavings" in saved.read_text().splitlines()[0]
    assert "Savings" not in out.read_text()
