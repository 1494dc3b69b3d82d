"""Parquet metadata hints are used only when the file proves them: a claim of unique request ids
counts only with a fingerprint the rows match; a key list in the metadata is never read."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inferonomics.billing.bill import bill
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger import core, hints
from inferonomics.ledger.core import (
    Ledger,
    count_sorted,
    duplicate_counts,
    duplicate_parts,
    id_hashes,
    small_pages,
)
from inferonomics.ledger.schema import KEYS_METADATA_KEY, UNIQUE_IDS_METADATA_KEY
from inferonomics.ledger.writer import write_ledger

UTC = dt.UTC


def _rows(ids: list[str], model: str = "claude-sonnet-4-5") -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "ts": pa.array(
                [dt.datetime(2026, 5, 1, 12, i, tzinfo=UTC) for i in range(n)], pa.timestamp("us", "UTC")
            ),
            "provider": ["anthropic"] * n,
            "model": [model] * n,
            "request_id": ids,
            "input_tokens": [100_000] * n,
            "output_tokens": [0] * n,
        }
    )


def _write(path: Path, table: pa.Table, meta: dict[bytes, bytes]) -> Path:
    pq.write_table(table.replace_schema_metadata(meta), str(path))
    return path


def test_a_claim_without_fingerprint_is_not_trusted(tmp_path: Path, book: PriceBook) -> None:
    # Three rows, one a repeat: a writer that lies about unique ids does not get the repeat billed.
    path = _write(tmp_path / "lie.parquet", _rows(["a", "b", "a"]), {UNIQUE_IDS_METADATA_KEY: b"true"})
    result = bill(Ledger.open([path]), book=book)
    assert (result.account.rows_billed, result.account.duplicates) == (2, 1)
    # Sonnet 4.5 input is $3 per million tokens (under 200k): two requests of 100k input tokens.
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == Decimal("0.6")


def test_a_stale_fingerprint_is_not_trusted(tmp_path: Path, book: PriceBook) -> None:
    # The claim and its fingerprint were true of ["a", "b", "c"]; the file now holds a repeat.
    stale = hints.encode(hints.fingerprint(_rows(["a", "b", "c"])))
    meta = {UNIQUE_IDS_METADATA_KEY: b"true", hints.IDS_FINGERPRINT_METADATA_KEY: stale}
    path = _write(tmp_path / "stale.parquet", _rows(["a", "b", "a"]), meta)
    ledger = Ledger.open([path])
    assert ledger.sources[0].ids_fingerprint is not None
    result = bill(ledger, book=book)
    assert (result.account.rows_billed, result.account.duplicates) == (2, 1)


def test_same_ids_in_another_order_match_but_a_swap_for_a_repeat_does_not() -> None:
    assert hints.fingerprint(_rows(["a", "b", "c"])) == hints.fingerprint(_rows(["c", "a", "b"]))
    assert hints.fingerprint(_rows(["a", "b", "c"])) != hints.fingerprint(_rows(["a", "b", "a"]))
    assert hints.fingerprint(_rows(["a", "b", "c"]))[0] == 3


def test_a_written_ledger_proves_its_claim_in_the_key_pass(tmp_path: Path, book: PriceBook) -> None:
    src = _write(tmp_path / "in.parquet", _rows(["a", "b", "a", "c"]), {})
    path = tmp_path / "ledger.parquet"
    write_ledger(Ledger.open([src]), path)  # the repeat is quarantined on the way in
    ledger = Ledger.open([path])
    claim = ledger.sources[0].ids_fingerprint
    assert claim is not None
    assert claim[0] == 3
    assert ledger.keys().ids_fingerprint == claim
    assert ledger.duplicate_count == 0
    assert bill(ledger, book=book).account.rows_billed == 3


def test_malformed_fingerprints_are_ignored() -> None:
    assert hints.decode(b"not json") is None
    assert hints.decode(b'{"rows": 1, "lo": 2}') is None
    assert hints.decode(b'{"rows": 1, "lo": 2, "hi": "3", "hash": "duckdb"}') is None
    assert hints.decode(b'{"rows": 1, "lo": 2, "hi": 3, "hash": "xxhash"}') is None
    assert hints.decode(b'{"rows": 1, "lo": 2, "hi": 3, "hash": "duckdb"}') == (1, 2, 3)


def test_a_wrong_key_list_in_the_metadata_changes_nothing(tmp_path: Path, book: PriceBook) -> None:
    # The metadata names a cheaper model and another month; the rows are Sonnet 4.5 in May 2026.
    wrong = {
        "keys": [["anthropic", "claude-haiku-4-5", None, None, 3]],
        "ts_min": "2025-01-01T00:00:00",
        "ts_max": "2025-01-02T00:00:00",
    }
    meta = {KEYS_METADATA_KEY: json.dumps(wrong).encode()}
    path = _write(tmp_path / "keys.parquet", _rows(["a", "b", "c"]), meta)
    result = bill(Ledger.open([path]), book=book)
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == Decimal("0.9")  # 3 x 100k x $3/M


def test_the_cheap_id_check_hands_a_repeat_among_invalid_rows_to_the_exact_check(tmp_path: Path) -> None:
    """The duplicate check first counts distinct hashes over every row read, valid or not. A repeat
    only among rows validation sets aside makes that count fall short, and the exact check on the
    valid rows then finds no duplicate (only valid rows can be repeats); a repeat between valid rows
    is found and named."""
    table = _rows(["a", "b", "a", "c", "c"])
    # Row 3 ("a" again) has negative output tokens: quarantined by validation, not as a duplicate.
    table = table.set_column(5, "output_tokens", pa.array([0, 0, -1, 0, 0], pa.int64()))
    path = tmp_path / "plain.parquet"
    pq.write_table(table, path)
    ledger = Ledger.open([path])
    assert not ledger._ids_distinct()
    account = ledger.account()
    assert account.duplicates == 1  # the second "c" (line 5), not the invalid "a" (line 3)
    assert (account.rows_read, account.rows_billed, account.rows_quarantined) == (5, 3, 2)
    reasons = {r["source_line"]: r["reason"] for r in ledger.quarantine().to_pylist()}
    assert reasons[5] == f'duplicate request_id "c" (first at {path} line 4)'
    assert "output_tokens" in reasons[3]

    fresh = tmp_path / "fresh.parquet"
    pq.write_table(_rows(["a", "b", "c"]), fresh)
    unique = Ledger.open([fresh])
    assert unique._ids_distinct()
    assert unique.account().duplicates == 0


@pytest.mark.parametrize("parts", [1, 4])
@pytest.mark.parametrize("cache", ["on", "sorted", "off"])
def test_a_request_id_repeated_in_another_file_is_found(
    tmp_path: Path, book: PriceBook, cache: str, parts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Across inputs the duplicate check runs over the union of their rows, on the plan-cache path
    (counting in DuckDB, or by sorting the hashes as it does for large ledgers) and on the Ibis path
    alike, and whether it counts the hashes at once or in parts (as under a memory limit too small
    for one hash table): ids distinct across two files bill every row; an id of the first file
    repeated in the second is quarantined there, naming the first."""
    if cache == "off":
        monkeypatch.setenv("INFERONOMICS_CACHE", "off")
    if cache == "sorted":
        monkeypatch.setattr(core, "SORTED_CHECK_ROWS", 0)
    monkeypatch.setattr(core, "duplicate_parts", lambda rows, limit: parts)
    first, second, third = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    pq.write_table(_rows(["a", "b"]), first)
    pq.write_table(_rows(["c", "d"]), second)
    pq.write_table(_rows(["e", "b"]), third)

    distinct = Ledger.open([first, second])
    assert distinct._ids_distinct()
    result = bill(distinct, book=book)
    assert (result.account.rows_billed, result.account.duplicates) == (4, 0)
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == Decimal("1.2")  # 4 x 100k x $3/M

    repeated = Ledger.open([first, third])
    assert not repeated._ids_distinct()
    result = bill(repeated, book=book)
    assert (result.account.rows_billed, result.account.duplicates) == (3, 1)
    assert sum(result.table["cost_usd"].to_pylist(), Decimal(0)) == Decimal("0.9")
    reasons = [r["reason"] for r in repeated.quarantine().to_pylist()]
    assert reasons == [f'duplicate request_id "b" (first at {first} line 2)']


def test_the_hashes_counted_in_parts_add_up_to_the_whole(tmp_path: Path) -> None:
    # Ids a, b, a, c, c: 5 rows, 3 distinct ids (by hand), whatever the number of parts.
    path = tmp_path / "ids.parquet"
    pq.write_table(_rows(["a", "b", "a", "c", "c"]), path)
    checked = Ledger.open([path]).checked
    for parts in (1, 2, 4, 8):
        tables = [duplicate_counts(checked, part, parts).to_pyarrow() for part in range(parts)]
        assert sum(t["n"][0].as_py() for t in tables) == 5
        assert sum(t["distinct"][0].as_py() for t in tables) == 3
        # Sorting each part's hashes outside the engine counts the same.
        hashes = [id_hashes(checked, part, parts).to_pyarrow()["h"].to_numpy() for part in range(parts)]
        assert [count_sorted(h).to_pylist() for h in hashes] == [t.to_pylist() for t in tables]


def test_the_sorted_check_reads_duckdbs_own_hashes(tmp_path: Path) -> None:
    # The ids a, b, a hashed by DuckDB itself, outside any ledger: the same three unsigned values.
    import duckdb

    path = tmp_path / "ids.parquet"
    pq.write_table(_rows(["a", "b", "a"]), path)
    hashes = id_hashes(Ledger.open([path]).checked).to_pyarrow()["h"]
    expected = duckdb.connect().sql("SELECT hash('a'), hash('b')").fetchall()[0]
    assert hashes.type == pa.uint64()
    assert hashes.to_pylist() == [expected[0], expected[1], expected[0]]
    assert count_sorted(hashes.to_numpy()).to_pylist() == [{"n": 3, "distinct": 2}]


def test_numpy_allocates_in_small_pages_only_within_the_block() -> None:
    from numpy._core.multiarray import _set_madvise_hugepage  # type: ignore[attr-defined]

    # The switch returns its previous value, so setting it to the same value reads it.
    before = _set_madvise_hugepage(True)
    try:
        with small_pages():
            assert _set_madvise_hugepage(False) is False
        assert _set_madvise_hugepage(True) is True
    finally:
        _set_madvise_hugepage(before)


def test_the_parts_keep_each_hash_table_within_the_memory_limit() -> None:
    # 32 bytes a row: 100M rows need 3.2 GB, so 4 parts under 1 GB; 1B rows under 4 GB need 8.
    assert duplicate_parts(100_000_000, 10**9) == 4
    assert duplicate_parts(1_000_000_000, 4 * 10**9) == 8
    assert duplicate_parts(20_000_000, 20 * 2**30) == 1
    assert duplicate_parts(10, None) == 1


def test_the_memory_limit_is_read_back_from_duckdb() -> None:
    from inferonomics.backend import connect, memory_limit_bytes

    # DuckDB reports a limit of 400MB as "381.4 MiB": 381.4 x 2^20 bytes.
    assert memory_limit_bytes(connect(memory_limit="400MB")) == int(381.4 * 2**20)
