"""The same Ibis expressions on Spark (local mode) give the same money as on DuckDB, to the last
digit of DECIMAL(38, 15): the bill, the per-row output, the summary and the FOCUS export of a
generated ledger with every modifier in play (cache reads and writes, long context, batch, flex and
priority tiers, EU residency, DeepSeek's peak windows, web searches, reasoning tokens).

Slow (a Spark session takes 15-40 s to start on two cores): one session is shared by every test of
the module, and the module is skipped, with its reason, where PySpark or Java is missing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inferonomics.backend import connect
from inferonomics.billing.bill import bill, price, summarize
from inferonomics.billing.focus import focus_export
from inferonomics.catalog.book import PriceBook
from inferonomics.cli.app import app
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.generate import generate_demo
from inferonomics.levers.playbook import whatif

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed: pip install 'inferonomics[spark]'")
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}

if shutil.which("java") is None:
    pytest.skip("Spark needs Java (java is not on PATH)", allow_module_level=True)

pytestmark = [
    pytest.mark.slow,
    # PySpark 4.0.1 leaves the local sockets of its Arrow collect (`DataFrame.toArrow`) to the
    # garbage collector; the warning is about PySpark's internals, not about this code.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    con = connect(engine="spark")
    yield con
    con._session.stop()


@pytest.fixture(scope="module")
def ledger_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark") / "demo.parquet"
    generate_demo(path, 4_000, seed=11)
    return path


def _modifiers(table: Any) -> set[str]:
    """Which modifiers a per-row output exercises (so the comparison is known to cover them)."""
    rows = table.to_pylist()
    seen = set()
    for r in rows:
        if r["cache_read_tokens"]:
            seen.add("cache read")
        if r["cache_write_1h_tokens"]:
            seen.add("cache write 1h")
        if r["cache_write_5m_tokens"]:
            seen.add("cache write 5m")
        if r["service_tier"] in ("batch", "flex", "priority"):
            seen.add(r["service_tier"])
        if r["region"] == "eu":
            seen.add("eu")
        if r["web_search_requests"]:
            seen.add("web search")
        if r["reasoning_tokens"]:
            seen.add("reasoning")
        if r["model"].startswith("deepseek"):
            seen.add("peak windows")
        if r["price_entry"] and "200k" in r["price_entry"]:
            seen.add("long context")
    return seen


def test_bill_on_spark_equals_duckdb(spark: Any, ledger_file: Path, book: PriceBook) -> None:
    by = ["provider", "model", "service_tier", "region"]
    ours = bill(Ledger.open([ledger_file]), book=book, by=by, grain="day")
    theirs = bill(Ledger.open([ledger_file], con=spark), book=book, by=by, grain="day")
    assert theirs.account == ours.account
    key = [*by, "period"]

    def rows(t: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
        return {tuple(r[k] for k in key): r for r in t.to_pylist()}

    a, b = rows(ours.table), rows(theirs.table)
    assert a.keys() == b.keys()
    assert len(a) > 100
    for k in a:
        assert a[k] == b[k], k
    total = sum(r["cost_usd"] for r in a.values())
    assert isinstance(total, Decimal)
    assert total > 0


def test_per_row_output_on_spark_equals_duckdb(spark: Any, ledger_file: Path, book: PriceBook) -> None:
    ours = price(Ledger.open([ledger_file]), book=book).to_arrow()
    theirs = price(Ledger.open([ledger_file], con=spark), book=book).to_arrow()
    cols = ["request_id", "status", "price_entry", "cost_usd", "cost_input_usd", "cost_output_usd"]
    a = sorted(ours.select(cols).to_pylist(), key=lambda r: r["request_id"])
    b = sorted(theirs.select(cols).to_pylist(), key=lambda r: r["request_id"])
    assert a == b
    assert {
        "cache read",
        "cache write 5m",
        "cache write 1h",
        "batch",
        "flex",
        "priority",
        "eu",
        "web search",
        "reasoning",
        "peak windows",
    } <= _modifiers(ours)


def test_summary_and_focus_on_spark_equal_duckdb(spark: Any, ledger_file: Path, book: PriceBook) -> None:
    a = summarize(Ledger.open([ledger_file]), book)
    b = summarize(Ledger.open([ledger_file], con=spark), book)
    assert a.totals == b.totals
    assert (a.users.p50_usd, a.users.p99_usd) == (b.users.p50_usd, b.users.p99_usd)
    fa = focus_export(Ledger.open([ledger_file]), book)
    fb = focus_export(Ledger.open([ledger_file], con=spark), book)
    assert sum(fa.table["BilledCost"].to_pylist()) == sum(fb.table["BilledCost"].to_pylist())
    assert fa.table.num_rows == fb.table.num_rows


def test_levers_on_spark_equal_duckdb(spark: Any, ledger_file: Path, book: PriceBook) -> None:
    levers = ["batch:features=summarize", "cap:output=2000", "switch:from=openai/gpt-5,to=openai/gpt-5-mini"]
    a = whatif(Ledger.open([ledger_file]), levers, book=book)
    b = whatif(Ledger.open([ledger_file], con=spark), levers, book=book)
    assert a.baseline == b.baseline
    assert a.final == b.final
    assert [s.saving_usd for s in a.steps] == [s.saving_usd for s in b.steps]
    assert all(s.saving_usd > 0 for s in a.steps)


@pytest.mark.parametrize(
    "command",
    [
        ["whatif", "--lever", "batch:features=summarize", "--lever", "cap:output=2000"],
        ["playbook", "--only", "batch", "--only", "cap", "--batch-feature", "summarize"],
    ],
    ids=["whatif", "playbook"],
)
def test_whatif_and_playbook_cli_on_spark_equal_duckdb(
    spark: Any, ledger_file: Path, command: list[str]
) -> None:
    """`--engine spark` on the lever commands, as a user runs them: the same steps and savings to
    the last digit as `--engine duckdb` (the CLI's session is the module's: Spark's getOrCreate)."""
    name, *options = command
    out = {}
    for engine in ("duckdb", "spark"):
        result = CliRunner().invoke(
            app, [name, str(ledger_file), *options, "--format", "json", "--engine", engine], env=ENV
        )
        assert result.exit_code == 0, result.output
        out[engine] = json.loads(result.output)
    a, b = out["duckdb"], out["spark"]
    assert [s["lever"] for s in a["steps"]] == [s["lever"] for s in b["steps"]]
    assert a["steps"], "no step: the comparison would be empty"
    for key in ("cost_before_usd", "cost_after_usd", "saving_usd", "saving_share"):
        assert a[key] == b[key], key
    assert [s["saving_usd"] for s in a["steps"]] == [s["saving_usd"] for s in b["steps"]]
    assert Decimal(a["saving_usd"]) > 0


def test_modalities_on_spark_equal_duckdb(spark: Any, tmp_path: Path, book: PriceBook) -> None:
    # Audio and image parts at their own rates, and a missing modality rate (unpriced), on both.
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "modalities.parquet"
    names = "request_id provider model input_tokens input_audio_tokens input_image_tokens cache_read_tokens"
    names += " cache_read_audio_tokens output_tokens output_audio_tokens"
    rows = [
        ("r1", "openai", "gpt-realtime", 2000, 1500, 100, 5000, 4000, 1000, 800),
        ("r2", "google", "gemini-2.5-flash", 8000, 7000, 0, 4000, 3000, 500, 0),
        ("r3", "openai", "gpt-4o", 300, 200, 0, 0, 0, 10, 0),
    ]
    table = pa.Table.from_pylist([dict(zip(names.split(), r, strict=True)) for r in rows])
    ts = pa.array(
        [dt.datetime(2025, 9, 15, 10 + i, tzinfo=dt.UTC) for i in range(3)], pa.timestamp("us", "UTC")
    )
    pq.write_table(table.append_column("ts", ts), path)
    ours = price(Ledger.open([path]), book=book).to_arrow().sort_by("request_id").to_pylist()
    theirs = price(Ledger.open([path], con=spark), book=book).to_arrow().sort_by("request_id").to_pylist()
    assert [(r["status"], r["cost_usd"]) for r in theirs] == [(r["status"], r["cost_usd"]) for r in ours]
    assert ours[0]["cost_usd"] == Decimal("0.1065")
    assert ours[2]["status"] == "unpriced: no audio input rate for openai/gpt-4o"


def test_staged_inputs_on_spark_equal_duckdb(spark: Any, tmp_path: Path, book: PriceBook) -> None:
    # A CSV and a JSONL of chat completions are parsed on the driver into staged Parquet parts, which
    # Spark reads as a list of files (Ibis' PySpark reader takes one path only).
    csv_path = tmp_path / "usage.csv"
    csv_path.write_text(
        "ts,provider,model,input_tokens,output_tokens\n"
        "2026-01-01T00:00:00Z,openai,gpt-4o,1000,100\n"
        "2026-01-01T00:01:00Z,openai,gpt-4o,-5,100\n"
    )
    jsonl = tmp_path / "completions.jsonl"
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1767225600,
        "model": "gpt-4o-2024-08-06",
        "usage": {"prompt_tokens": 2000, "completion_tokens": 50, "total_tokens": 2050},
    }
    jsonl.write_text(json.dumps(completion) + "\n")
    ours = price(Ledger.open([csv_path, jsonl]), book=book)
    theirs = price(Ledger.open([csv_path, jsonl], con=spark), book=book)
    assert theirs.account() == ours.account()
    assert (ours.account().rows_billed, ours.account().rows_quarantined) == (2, 1)
    mine = sorted((r["model"], r["cost_usd"]) for r in ours.to_arrow().to_pylist())
    assert sorted((r["model"], r["cost_usd"]) for r in theirs.to_arrow().to_pylist()) == mine
    # gpt-4o at $2.50 / $10 per million: 1000 x 2.5e-6 + 100 x 1e-5; 2000 x 2.5e-6 + 50 x 1e-5.
    assert mine == [("gpt-4o", Decimal("0.0035")), ("gpt-4o-2024-08-06", Decimal("0.0055"))]
