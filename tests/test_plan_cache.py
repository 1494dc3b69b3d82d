"""The plan cache (`billing/plan.py`) and the user cache under it (`inferonomics.cache`): a bill
from cached SQL equals the bill the Ibis path computes (with the cache off), on a first run (a
miss), a second (a hit), on ledgers of the same schema but other keys and cut points, and when
the cache is corrupt or cannot be written."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inferonomics import cache
from inferonomics.billing.bill import bill, price, summarize
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.generate import generate_demo

BY = ["provider", "model", "service_tier", "region"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    """A generated ledger with every modifier in play (tiers, regions, cache writes, reasoning,
    web search, long context, off-peak windows, unknown models)."""
    path = tmp_path_factory.mktemp("demo") / "demo.parquet"
    generate_demo(path, 4_000, seed=5)
    return pq.read_table(path)


def _bill(table: pa.Table, setting: str, **kw: Any) -> tuple[list[dict[str, Any]], Any]:
    old = os.environ.get(cache.ENV)
    os.environ[cache.ENV] = setting
    try:
        result = bill(Ledger.from_arrow(table), book=PriceBook.load(), **kw)
        return result.table.to_pylist(), result.account
    finally:
        if old is None:
            del os.environ[cache.ENV]
        else:
            os.environ[cache.ENV] = old


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.pickle"))


@pytest.mark.parametrize(
    "kw", [{"by": BY, "grain": "day"}, {}, {"by": ["tenant"], "grain": "week", "tz": "Europe/Paris"}]
)
def test_a_miss_and_a_hit_give_the_bill_of_the_ibis_path(demo: pa.Table, tmp_path: Path, kw: Any) -> None:
    reference = _bill(demo, "off", **kw)
    miss = _bill(demo, str(tmp_path), **kw)
    stored = _entries(tmp_path / "plans")
    assert stored, "the first run stores its plans"
    hit = _bill(demo, str(tmp_path), **kw)
    assert _entries(tmp_path / "plans") == stored  # nothing new compiled
    assert miss == reference
    assert hit == reference
    assert sum(r["cost_usd"] for r in reference[0]) > 0


def test_other_keys_and_cut_points_on_the_same_plans_give_their_own_bills(
    demo: pa.Table, tmp_path: Path
) -> None:
    # Same schema, so the same plans: only the variables (cut points) and the rate table differ.
    slices = [
        demo.slice(0, 50),
        demo.filter(pa.compute.equal(demo["provider"], "anthropic")),
        demo.filter(pa.compute.equal(demo["provider"], "openai")),
        demo.slice(1000, 700),
    ]
    for part in slices:
        for kw in ({"by": BY}, {"by": ["model"], "grain": "month"}):
            assert _bill(part, str(tmp_path), **kw) == _bill(part, "off", **kw)


def test_a_summary_from_the_plan_cache_equals_the_ibis_one(demo: pa.Table, tmp_path: Path) -> None:
    def run(setting: str) -> Any:
        os.environ[cache.ENV] = setting
        ledger = Ledger.from_arrow(demo)
        s = summarize(ledger, PriceBook.load())
        rows = price(ledger, book=PriceBook.load()).to_arrow()
        # (the per-row output comes in no particular order)
        return (
            s.totals,
            s.by_model.to_pylist(),
            s.account,
            sorted(rows.to_pylist(), key=lambda r: r["request_id"]),
        )

    old = os.environ[cache.ENV]
    try:
        reference = run("off")
        assert run(str(tmp_path)) == reference  # a miss
        assert run(str(tmp_path)) == reference  # a hit
    finally:
        os.environ[cache.ENV] = old


def test_a_corrupt_cache_is_ignored_and_rebuilt(demo: pa.Table, tmp_path: Path) -> None:
    reference = _bill(demo, "off", by=BY)
    _bill(demo, str(tmp_path), by=BY)
    entries = _entries(tmp_path)
    assert len(entries) >= 4  # plans, the rate table, the parsed book
    for i, path in enumerate(entries):
        # Garbage, an empty file, and a valid pickle of something else.
        path.write_bytes([b"\x80\x05garbage", b"", b"\x80\x05K\x01."][i % 3])
    assert _bill(demo, str(tmp_path), by=BY) == reference
    left = [str(p.relative_to(tmp_path)) for p in _entries(tmp_path) if p.stat().st_size <= 20]
    assert left == [], f"not rewritten (of {len(entries)} entries): {left}"  # every entry rewritten


def test_an_unwritable_or_missing_cache_home_is_no_error(demo: pa.Table, tmp_path: Path) -> None:
    reference = _bill(demo, "off", by=BY)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert _bill(demo, str(blocker / "cache"), by=BY) == reference  # cannot be created
    assert _bill(demo, str(blocker), by=BY) == reference  # a file, not a folder
    assert not (blocker / "cache").exists()


def test_the_cache_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(cache.ENV, "off")
    assert cache.directory() is None
    monkeypatch.setenv(cache.ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.directory() == tmp_path / "inferonomics"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.directory() == tmp_path / "home" / ".cache" / "inferonomics"


HEAVY = (
    "ibis",
    "pandas",
    "inferonomics.catalog.schema",
    "inferonomics.cli.serve",
    "inferonomics.cli.levers",
    "inferonomics.ledger.readers.bulk",
    "inferonomics.ledger.readers.lines",
    "inferonomics.report.tables",
    "rich._emoji_codes",
)
"""What a bill from the cache does without: Ibis, pandas (which pyarrow imports to turn time-zone-aware
values into Python ones), the price book's models, the other commands' modules, the bulk readers of
response logs, the coding-agent logs' line scan, the terminal tables (the bill is written as JSON)
and rich's emoji table."""
if tuple(int(p) for p in importlib.metadata.version("typer").split(".")[:2]) < (0, 29):
    # pydantic is imported only by Typer 0.29's option parsing (the version pyproject.toml keeps out).
    HEAVY = (*HEAVY, "pydantic")


@pytest.mark.parametrize(
    ("kind", "cost"),
    [
        # gpt-4o on 2026-01-01: $2.50 / MTok input, $10.00 / MTok output (the book's openai entry).
        ("csv", "0.0035"),
        ("parquet", "0.0035"),
        # Claude Sonnet 4.5, whose prices change above 200k input tokens: the rate table is expanded
        # into context bands (`Cells.expand`). Up to 200k: $3 / MTok input, $15 / MTok output.
        ("banded", "0.0045"),
    ],
)
def test_a_bill_from_the_cache_imports_neither_ibis_nor_pandas(tmp_path: Path, kind: str, cost: str) -> None:
    usage = tmp_path / f"one.{'parquet' if kind == 'parquet' else 'csv'}"
    if kind == "csv":
        usage.write_text(
            "ts,provider,model,input_tokens,output_tokens\n2026-01-01T00:00:00Z,openai,gpt-4o,1000,100\n"
        )
    elif kind == "banded":
        usage.write_text(
            "ts,provider,model,input_tokens,output_tokens\n"
            "2026-01-01T00:00:00Z,anthropic,claude-sonnet-4-5,1000,100\n"
        )
    else:  # as another tool writes it: a time-zone-aware timestamp
        ts = pa.array([0], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        row = {"provider": ["openai"], "model": ["gpt-4o"], "input_tokens": [1000], "output_tokens": [100]}
        pq.write_table(pa.table({"ts": pa.array([1767225600000000], pa.int64()).cast(ts.type), **row}), usage)
    code = (
        "import sys\n"
        "from inferonomics.cli.app import main\n"
        f"sys.argv = ['inferonomics', 'bill', {str(usage)!r}, '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    env = {**os.environ, cache.ENV: str(tmp_path / "cache")}

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        return done.stdout

    first = run()
    assert "'ibis'" in first.strip().rsplit("[", 1)[1]  # a miss compiles through Ibis
    second = run()
    assert second.strip().endswith("[]")
    assert f'"cost_usd": "{cost}"' in second
    assert first.rsplit("[", 1)[0] == second.rsplit("[", 1)[0]


def test_the_checked_rows_parse_each_count_once() -> None:
    # The validation query the plan cache materialises, over an input of text columns (a CSV): each
    # count is trimmed and parsed in one place, which its checks and its typed value then name.
    import ibis

    from inferonomics.backend import connect
    from inferonomics.billing.plan import _without
    from inferonomics.ledger.schema import COUNT_COLUMNS
    from inferonomics.ledger.validate import canonical

    names = ["ts", "provider", "model", "requests", *COUNT_COLUMNS, "_file"]
    raw = ibis.table({**dict.fromkeys(names, "string"), "_line": "int64"}, name="usage")
    sql = ibis.to_sql(_without(canonical(raw, connect()), "_problem"), dialect="duckdb", pretty=False)
    for name in ("requests", *COUNT_COLUMNS):
        # Its number, and whether the text is present (not NULL, not empty): nowhere else. Written
        # as one projection, the checks repeated it (98 times for reasoning_tokens).
        assert sql.count(f'TRIM("t0"."{name}"') == 3, name
    assert "_problem" not in sql  # the plan cache leaves the messages out of the query


def test_a_parquet_file_another_tool_wrote_bills_alike_from_the_cache(demo: pa.Table, tmp_path: Path) -> None:
    # Renamed columns (mapped back with a column map) and an extra column kept as a tag: read as a
    # DuckDB view (no Ibis) when the cache is on.
    path = tmp_path / "foreign.parquet"
    table = demo.rename_columns(["created_at" if c == "ts" else c for c in demo.column_names])
    pq.write_table(table.append_column("team", pa.array(["a", "b"] * (demo.num_rows // 2))), path)

    def run(setting: str) -> Any:
        old = os.environ[cache.ENV]
        os.environ[cache.ENV] = setting
        try:
            ledger = Ledger.open([path], column_map={"ts": "created_at"})
            result = bill(ledger, book=PriceBook.load(), by=["team", "model"], grain="month")
            return result.table.to_pylist(), result.account, ledger.tags
        finally:
            os.environ[cache.ENV] = old

    reference = run("off")
    assert reference[2] == ["team"]
    assert run(str(tmp_path / "cache")) == reference
    assert run(str(tmp_path / "cache")) == reference


def test_the_rate_table_is_cached_whatever_the_order_of_the_keys(
    demo: pa.Table, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The light pass's GROUP BY gives its keys in an order that varies with DuckDB's threads: the
    # same keys in reverse order must find the same entry (one entry) and give the same table.
    from inferonomics.billing.engine import rates_for

    monkeypatch.setenv(cache.ENV, str(tmp_path))
    keys = Ledger.from_arrow(demo).keys()
    assert keys.table.num_rows > 2
    book = PriceBook.load()
    first = rates_for(book, keys.table, keys.ts_min, keys.ts_max)
    reverse = keys.table.take(list(range(keys.table.num_rows - 1, -1, -1)))
    again = rates_for(book, reverse, keys.ts_min, keys.ts_max)
    assert len(_entries(tmp_path / "rates")) == 1
    assert again.equals(first)
