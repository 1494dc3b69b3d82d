"""Hypothesis-generated rows, hostile values among good ones, written as CSV, JSON lines and
Parquet and fed through `bill`: nothing raises, every row read is billed or quarantined, and the
rows billed are exactly those a small independent predicate (below, written from the documented
rules, not from the code) calls valid."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inferonomics as inf

TS = ["2026-01-05T10:00:00Z", "2026-01-05 10:00:00", "", "infinity", "10000-01-01T00:00:00Z", "yesterday"]
PROVIDERS = ["openai", "", None, "  "]
MODELS = ["gpt-4o", "", None, "[red]x[/]", "\x1b]8;;https://evil.example\x07m"]
COUNTS: list[Any] = [
    "5", "0", "", "-1", "NaN", "inf", "1e30", "12.5", "1000000000000", "1000000000001",
    "9223372036854775808", "abc", 7, 7.0, -3, 2.5, float("nan"), float("inf"), 10**19,
]  # fmt: skip
MAX_COUNT = 10**12  # docs/reliability.md: a row carries at most 10^12 of any count

rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "ts": st.sampled_from(TS),
            "provider": st.sampled_from(PROVIDERS),
            "model": st.sampled_from(MODELS),
            "input_tokens": st.sampled_from(COUNTS),
            "output_tokens": st.sampled_from(COUNTS),
            "tenant": st.text(max_size=30),
        }
    ),
    min_size=1,
    max_size=12,
)


def _count_ok(v: Any) -> bool:
    """A count is valid when it is absent, or a whole number from 0 to MAX_COUNT (text or number)."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return True
    try:
        number = float(v)
    except ValueError:
        return False
    return math.isfinite(number) and number == int(number) and 0 <= number <= MAX_COUNT


def valid(row: dict[str, Any]) -> bool:
    """The documented rules, independently: a usable instant, a provider and a model, counts."""
    return (
        row["ts"] in TS[:2]
        and bool((row["provider"] or "").strip())
        and bool((row["model"] or "").strip())
        and _count_ok(row["input_tokens"])
        and _count_ok(row["output_tokens"])
    )


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _write(fmt: str, rows: list[dict[str, Any]], folder: Path) -> Path:
    numbered = [{"request_id": f"r{i}", **r} for i, r in enumerate(rows)]
    if fmt == "csv":
        path = folder / "u.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(numbered[0]))
            w.writeheader()
            w.writerows({k: _text(v) for k, v in r.items()} for r in numbered)
    elif fmt == "jsonl":
        path = folder / "u.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in numbered), encoding="utf-8")
    else:
        path = folder / "u.parquet"
        columns = {
            k: pa.array([None if r[k] is None else _text(r[k]) for r in numbered]) for k in numbered[0]
        }
        pq.write_table(pa.table(columns), path)
    return path


@pytest.fixture(scope="module")
def book() -> inf.PriceBook:
    return inf.PriceBook.load()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy)
def test_generated_rows_reconcile(fmt: str, rows: list[dict[str, Any]], book: inf.PriceBook) -> None:
    with TemporaryDirectory() as folder:
        path = _write(fmt, rows, Path(folder))
        with inf.Ledger.open([path]) as ledger:
            result = inf.bill(ledger, book=book)
            quarantined = ledger.quarantine().to_pylist()
        account = result.account
        assert account.rows_read == len(rows)
        assert account.rows_read == account.rows_billed + account.rows_quarantined
        assert account.rows_billed == sum(valid(r) for r in rows)
        assert len(quarantined) == account.rows_quarantined
        for q in quarantined:
            assert q["source_file"] == str(path)
            assert q["source_line"] >= 1
            assert q["reason"]


def test_a_blank_provider_or_model_in_typed_parquet_is_quarantined(
    tmp_path: Path, book: inf.PriceBook
) -> None:
    # Found by the generated test above: typed Parquet keeps its text as written (no trim), and a
    # provider of two spaces was billed where CSV and JSON lines quarantine it.
    row = {"ts": "2026-01-05T10:00:00Z", "model": "gpt-4o", "input_tokens": 5, "output_tokens": 5}
    rows = [
        {**row, "provider": "openai"},
        {**row, "provider": "  "},
        {**row, "provider": "openai", "model": "\t"},
    ]
    path = tmp_path / "blank.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    with inf.Ledger.open([path]) as ledger:
        account = inf.bill(ledger, book=book).account
        reasons = {(r["source_line"], r["reason"]) for r in ledger.quarantine().to_pylist()}
    assert (account.rows_billed, account.rows_quarantined) == (1, 2)
    assert reasons == {(2, "column provider is empty"), (3, "column model is empty")}


@pytest.mark.parametrize("cache", ["on", "off"])
def test_names_at_the_edges_of_the_cheap_name_checks(
    tmp_path: Path, book: inf.PriceBook, cache: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checks look closer only at names starting below "!" or longer than 200 bytes; by hand:
    # a control character or a leading space before a letter is not blank, spaces and a tab are;
    # 200 letters or 150 two-byte "é" (300 bytes) are short enough, 201 of either are not. A no-break
    # space is not blank either (only space, tab, newline, CR, VT and FF are): billed, unpriced.
    if cache == "off":
        monkeypatch.setenv("INFERONOMICS_CACHE", "off")
    models = ["\x01", " x", " \t\n", "a" * 200, "é" * 150, "a" * 201, "é" * 201, "gpt-4o", "\xa0"]
    row = {"ts": "2026-01-05T10:00:00Z", "provider": "openai", "input_tokens": 5, "output_tokens": 5}
    path = tmp_path / "names.parquet"
    pq.write_table(pa.Table.from_pylist([{**row, "model": m} for m in models]), path)
    with inf.Ledger.open([path]) as ledger:
        account = inf.bill(ledger, book=book).account
        reasons = {r["source_line"]: r["reason"] for r in ledger.quarantine().to_pylist()}
    assert (account.rows_billed, account.rows_quarantined) == (6, 3)
    assert reasons[3] == "column model is empty"
    assert sorted(reasons) == [3, 6, 7]
    assert reasons[6] == f'column model is "{"a" * 60}…": longer than 200 characters'
    assert reasons[7] == f'column model is "{"é" * 60}…": longer than 200 characters'
