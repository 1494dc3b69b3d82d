"""Consecutive Parquet inputs of one shape are read as one multi-file scan (`Ledger.parts`): the
bill, the quarantine and the duplicate report are those of the files read one by one, in the order
the inputs were given."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from inferonomics.billing.bill import bill
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger

UTC = dt.UTC
REQUEST = Decimal("0.3")
"""One request of 100k input tokens on Sonnet 4.5 ($3 per million input tokens under 200k)."""


def _write(path: Path, ids: list[str], inputs: list[int], tag: list[str] | None = None) -> Path:
    n = len(ids)
    columns: dict[str, object] = {
        "ts": pa.array(
            [dt.datetime(2026, 5, 1, 12, i, tzinfo=UTC) for i in range(n)], pa.timestamp("us", "UTC")
        ),
        "provider": ["anthropic"] * n,
        "model": ["claude-sonnet-4-5"] * n,
        "request_id": ids,
        "input_tokens": inputs,
        "output_tokens": [0] * n,
    }
    if tag is not None:
        columns["team"] = tag
    pq.write_table(pa.table(columns), str(path))  # plain pyarrow: no hints
    return path


def _quarantine(ledger: Ledger) -> list[tuple[str, int, str, str]]:
    return [
        (r["source_file"], r["source_line"], r["field"], r["reason"]) for r in ledger.quarantine().to_pylist()
    ]


def test_files_of_one_shape_are_one_scan_with_the_same_report(tmp_path: Path, book: PriceBook) -> None:
    # Given in the order b, a (not the order of their names): "z" is first seen in b, line 3.
    b = _write(tmp_path / "b.parquet", ["x", "y", "z"], [100_000] * 3)
    a = _write(tmp_path / "a.parquet", ["w", "z", "v"], [100_000, 100_000, -5])
    ledger = Ledger.open([b, a])
    assert len(ledger.parts) == 1
    result = bill(ledger, book=book)
    account = result.account
    assert (account.rows_read, account.rows_billed, account.rows_quarantined, account.duplicates) == (
        6,
        4,
        2,
        1,
    )
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == 4 * REQUEST
    (dup, bad) = _quarantine(ledger)
    assert dup == (str(a), 2, "request_id", f'duplicate request_id "z" (first at {b} line 3)')
    assert bad[:3] == (str(a), 3, "input_tokens")
    assert bad[3].startswith('column input_tokens is "-5"')
    # Every row keeps its own file and line.
    rows = ledger.rows.to_pyarrow().to_pylist()
    assert sorted((r["source_file"], r["source_line"], r["request_id"]) for r in rows) == [
        (str(a), 1, "w"),
        (str(b), 1, "x"),
        (str(b), 2, "y"),
        (str(b), 3, "z"),
    ]

    # The other order: now a's "z" (line 2) is the first, and b's the repeat.
    ledger = Ledger.open([a, b])
    assert len(ledger.parts) == 1
    assert _quarantine(ledger)[1] == (
        str(b),
        3,
        "request_id",
        f'duplicate request_id "z" (first at {a} line 2)',
    )


def test_a_file_given_twice_is_read_twice(tmp_path: Path, book: PriceBook) -> None:
    a = _write(tmp_path / "a.parquet", ["w", "z", "v"], [100_000, 100_000, -5])
    ledger = Ledger.open([a, a])
    assert len(ledger.parts) == 2
    result = bill(ledger, book=book)
    account = result.account
    # The second copy repeats both valid rows; the bad row is quarantined in each copy.
    assert (account.rows_read, account.rows_billed, account.rows_quarantined, account.duplicates) == (
        6,
        2,
        4,
        2,
    )
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == 2 * REQUEST


def test_inputs_of_another_shape_break_the_run(tmp_path: Path, book: PriceBook) -> None:
    # p1 and p2 are one scan; t has a tag column (another shape); p3 comes after it: three parts.
    p1 = _write(tmp_path / "p1.parquet", ["a", "b"], [100_000, 100_000])
    p2 = _write(tmp_path / "p2.parquet", ["c", "a"], [100_000, 100_000])
    t = _write(tmp_path / "t.parquet", ["d", "c"], [100_000, 100_000], tag=["x", "y"])
    p3 = _write(tmp_path / "p3.parquet", ["b", "e"], [100_000, 100_000])
    ledger = Ledger.open([p1, p2, t, p3])
    assert [part.src for part in ledger.parts] == [None, 2, 3]
    result = bill(ledger, book=book)
    # a, b, c, d, e once each; p2's "a", t's "c" and p3's "b" are repeats of earlier inputs.
    assert (result.account.rows_billed, result.account.duplicates) == (5, 3)
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == 5 * REQUEST
    reasons = {(r[0], r[1]): r[3] for r in _quarantine(ledger)}
    assert reasons == {
        (str(p2), 2): f'duplicate request_id "a" (first at {p1} line 1)',
        (str(t), 2): f'duplicate request_id "c" (first at {p2} line 1)',
        (str(p3), 1): f'duplicate request_id "b" (first at {p1} line 2)',
    }


def test_a_column_named_like_duckdbs_file_columns_is_kept_as_a_tag(tmp_path: Path, book: PriceBook) -> None:
    # DuckDB's multi-file read names each row's file `filename`: files with a column of that name
    # are read one by one, and the column stays the file's own.
    paths = []
    for name, ids in (("f1", ["a", "b"]), ("f2", ["c", "d"])):
        path = tmp_path / f"{name}.parquet"
        table = pq.read_table(_write(path, ids, [100_000, 100_000]))
        pq.write_table(table.append_column("filename", pa.array(["mine"] * 2)), str(path))
        paths.append(path)
    ledger = Ledger.open(paths)
    assert [part.src for part in ledger.parts] == [0, 1]
    assert ledger.tags == ["filename"]
    assert {r["filename"] for r in ledger.rows.to_pyarrow().to_pylist()} == {"mine"}
    assert bill(ledger, book=book).account.rows_billed == 4


def test_files_of_one_schema_are_described_once_and_of_another_on_their_own(
    tmp_path: Path, book: PriceBook
) -> None:
    # 40 files of one schema, then one whose counts are text and one with a tag: three shapes.
    same = [_write(tmp_path / f"p{i:02d}.parquet", [f"r{i}"], [100_000]) for i in range(40)]
    text = tmp_path / "text.parquet"
    first = pq.read_table(same[0]).set_column(3, "request_id", pa.array(["x"]))
    pq.write_table(first.set_column(4, "input_tokens", pa.array(["100000"])), text)
    tagged = _write(tmp_path / "tagged.parquet", ["t"], [100_000], tag=["search"])
    ledger = Ledger.open([*same, text, tagged])
    assert len(ledger.con.described) == 6  # (a file shape and its selection, for each of the three)
    kinds = [dict(s.raw.columns)["input_tokens"] for s in ledger.sources]
    assert kinds == ["BIGINT"] * 40 + ["VARCHAR", "BIGINT"]
    assert "team" in dict(ledger.sources[-1].raw.columns)
    tails = [s.raw.columns[-2:] for s in ledger.sources[:2]]
    assert tails == [(("_file", "VARCHAR"), ("_line", "BIGINT"))] * 2
    result = bill(ledger, book=book)
    assert (result.account.rows_read, result.account.rows_billed) == (42, 42)
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == 42 * REQUEST
    # The 40 are read in one scan, through no view of their own; the other two each through theirs.
    assert len(ledger.parts) == 3
    assert ledger.con.made == {ledger.sources[40].raw.view, ledger.sources[41].raw.view}


def test_a_parquet_file_without_rows_is_noted_and_its_neighbour_billed(
    tmp_path: Path, book: PriceBook
) -> None:
    good = _write(tmp_path / "good.parquet", ["a"], [100_000])
    empty = tmp_path / "empty.parquet"
    pq.write_table(pq.read_table(good).slice(0, 0), empty)
    ledger = Ledger.open([empty, good])
    assert [s.notes for s in ledger.sources] == [[f"{empty}: no rows in this file"], []]
    result = bill(ledger, book=book)
    assert (result.account.rows_read, result.account.rows_billed) == (1, 1)
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == REQUEST
