"""Benchmark: billing whole ledgers, measured as a user meets it.

The ledger is generated (every modifier in play: cache reads, 5-minute and 1-hour writes,
long-context requests, batch / flex / priority, US and EU residency, DeepSeek's peak windows, web
searches, reasoning tokens) and then rewritten by plain pyarrow with no inferonomics metadata at all
(no unique-ids claim, no fingerprint, no key list; plain strings, snappy): a file another tool wrote.
Prints, in one run on that file:

1. `inferonomics bill FILE --by provider,model --grain day` as a whole process (start-up, imports,
   reading, validation, the duplicate check, pricing, output): wall time and rows per second;
2. a hand-written DuckDB query doing the same arithmetic (the engine's rate table, a range join,
   per-row products, GROUP BY), also as a whole process, its runs alternated with the CLI's (after
   one warm-up run of the CLI): the ratio CLI / SQL, of wall and of CPU time; and the same query
   with a duplicate check (`count(DISTINCT request_id)`), which the CLI always makes;
3. the fixed cost: a 1-row `inferonomics bill` as a whole process, median of repeated runs after one
   warm-up run (bytecode may be written, as in benchmarks/fixed_cost.py), against a whole-process
   DuckDB query of the same file;
4. a genai-prices `calc_price` loop over 100,000 of the rows: time per row, and the ratio;
5. with --spark N: an N-row ledger billed on Spark local mode and on DuckDB (in process, the Spark
   session started beforehand and timed apart): both times, and whether the bills are equal;
6. with --big N: an N-row ledger billed in a fresh process, pass by pass: time, peak memory and
   DuckDB's spill (with INFERONOMICS_MEMORY_LIMIT set, DuckDB spills to DATA/spill beyond it). Past
   --big-base rows (10M) the ledger is files of that many rows, copies of one generated file with
   their request ids suffixed by the copy number: its bill is the base bill times the copies.

Usage: python benchmarks/bill.py [--rows 20000000] [--spark 0] [--big 0] [--data DIR]
(--rows 0 skips parts 1-4: `--rows 0 --big 1000000000` is the billion-row run alone.)
The machine may be shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inferonomics.billing.engine import price
from inferonomics.billing.rollup import rollup
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.generate import generate_demo

CLI = [sys.executable, "-m", "inferonomics"]


def foreign_file(directory: Path, rows: int) -> Path:
    """The generated ledger of `rows` rows, rewritten by plain pyarrow without our metadata."""
    path = directory / f"foreign-ledger-{rows}.parquet"
    if path.exists() and pq.read_metadata(path).num_rows == rows:
        return path
    ours = directory / f"generated-{rows}.parquet"
    t = time.perf_counter()
    generate_demo(ours, rows, seed=2026)
    source = pq.ParquetFile(ours)
    plain = pa.schema(
        [
            pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
            for f in source.schema_arrow
        ]
    )
    with pq.ParquetWriter(path, plain, compression="snappy") as writer:
        for i in range(source.num_row_groups):
            writer.write_table(source.read_row_group(i).cast(plain))
    ours.unlink()
    meta = pq.read_metadata(path).metadata or {}
    assert not any(k.startswith(b"inferonomics") for k in meta), meta
    print(f"wrote {rows:,} rows with pyarrow (no hints) in {time.perf_counter() - t:.1f} s -> {path}")
    return path


def big_parts(directory: Path, rows: int, base: int) -> list[Path]:
    """A `rows`-row ledger as files of `base` rows, each a copy of the `base`-row foreign file with
    its request ids suffixed by the copy number (so every id is unique across the files), written
    by plain pyarrow one file at a time (memory: one copy; disk: the ledger). Its bill is exactly the
    base bill times the number of copies. Files already there are kept, so a stopped run resumes."""
    folder = directory / f"big-{rows}-x{base}"
    folder.mkdir(exist_ok=True)
    copies = -(-rows // base)
    paths = [folder / f"part-{i:04d}.parquet" for i in range(copies)]
    todo = [p for p in paths if not (p.exists() and pq.read_metadata(p).num_rows == base)]
    if not todo:
        return paths
    if rows % base:
        raise SystemExit(f"--big {rows} must be a multiple of --big-base {base}")
    table = pq.read_table(foreign_file(directory, base))
    ids = table.column_names.index("request_id")
    # Every column but the ids is dictionary-encoded; the ids are unique, so a dictionary is waste.
    dictionary = [c for c in table.column_names if c != "request_id"]
    t = time.perf_counter()
    for path in todo:
        copy = paths.index(path)
        suffixed = pc.binary_join_element_wise(table["request_id"], pa.scalar(f"-{copy}"), "")
        partial = path.with_suffix(".partial")
        pq.write_table(
            table.set_column(ids, "request_id", suffixed),
            partial,
            compression="snappy",
            use_dictionary=dictionary,
            row_group_size=1_000_000,
        )
        partial.rename(path)
        print(f"   wrote {path.name} ({time.perf_counter() - t:.0f} s)", flush=True)
    print(f"wrote {rows:,} rows ({copies} files of {base:,}) in {time.perf_counter() - t:.1f} s -> {folder}")
    return paths


def wall(cmd: list[str], repeat: int, env: dict[str, str] | None = None) -> tuple[list[float], str]:
    """Wall times of `repeat` whole-process runs of `cmd`, and the last run's stdout."""
    times, out = [], ""
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        times.append(time.perf_counter() - t)
        out = proc.stdout
    return times, out


HAND_SQL = """
WITH l AS (
  SELECT provider, model, service_tier, region, requests,
         input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
         cache_write_other_tokens, output_tokens, reasoning_tokens, web_search_requests,
         make_timestamp(epoch_us(ts)) AS t,
         ((epoch_us(ts) // 1000000 // 86400 + 3) % 7) * 86400 + (epoch_us(ts) // 1000000) % 86400 AS tow,
         input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens
           + cache_write_other_tokens AS total_in
  FROM read_parquet('{path}')
)
SELECT l.provider, l.model, date_trunc('day', l.t) AS day,
       sum((l.input_tokens * r.r_input + l.cache_read_tokens * r.r_cache_read
          + l.cache_write_5m_tokens * r.r_cache_write_5m + l.cache_write_1h_tokens * r.r_cache_write_1h
          + l.cache_write_other_tokens * r.r_cache_write_other
          + (l.output_tokens - l.reasoning_tokens) * r.r_output + l.reasoning_tokens * r.r_reasoning
          + l.web_search_requests * r.r_web_search + l.requests * r.r_request)::DECIMAL(38, 0))
         * 0.000000000000001::DECIMAL(38, 15) AS cost_usd
FROM l JOIN read_parquet('{rates}') r
  ON l.provider = r.provider AND l.model = r.model
 AND l.service_tier IS NOT DISTINCT FROM r.service_tier AND l.region IS NOT DISTINCT FROM r.region
 AND l.t >= r.valid_from AND l.t < r.valid_to
 AND l.tow >= r.tow_lo AND l.tow < r.tow_hi
 AND l.total_in > r.band_lo AND l.total_in <= r.band_hi
WHERE r.reason IS NULL
GROUP BY ALL
"""

SQL_PROCESS = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute("SET enable_progress_bar = false")
sql = open(sys.argv[1]).read()
total = sum(r[-1] for r in con.sql(sql).fetchall())
if len(sys.argv) > 2:
    check = "SELECT count(*), count(DISTINCT request_id) FROM read_parquet('%s')"
    n, distinct = con.execute(check % sys.argv[2]).fetchone()
print(total)
"""


def hand_sql_cmd(path: Path, rates: Path, data: Path, dedup: bool) -> list[str]:
    query = data / "hand.sql"
    query.write_text(HAND_SQL.format(path=path, rates=rates))
    return [sys.executable, "-c", SQL_PROCESS, str(query), *([str(path)] if dedup else [])]


def hand_sql(path: Path, rates: Path, data: Path, repeat: int, dedup: bool) -> tuple[list[float], Decimal]:
    times, out = wall(hand_sql_cmd(path, rates, data, dedup), repeat)
    return times, Decimal(out.strip().splitlines()[-1])


def alternated(cmds: list[list[str]], repeat: int) -> list[tuple[list[float], list[float], str]]:
    """`repeat` rounds of one whole-process run of each command in turn: for each, its wall times, its
    CPU times (user + system) and the last run's stdout. Alternating, a change of load on a shared
    machine weighs on every command alike, and so on their ratio less."""
    results: list[tuple[list[float], list[float], str]] = [([], [], "") for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            elapsed = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            walls, cpus, _ = results[i]
            results[i] = ([*walls, elapsed], [*cpus, cpu], proc.stdout)
    return results


def cli_total(csv_text: str) -> Decimal:
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    return sum((Decimal(r["cost_usd"]) for r in rows if r["cost_usd"]), Decimal(0))


def genai_loop(path: Path, n: int) -> tuple[float, int]:
    from genai_prices import Usage, calc_price

    rows = pq.ParquetFile(path).read_row_group(0).slice(0, n).to_pylist()
    contexts = {
        "batch": {"processing": "batch"},
        "flex": {"service_tier": "flex"},
        "priority": {"service_tier": "priority"},
    }
    t = time.perf_counter()
    priced = 0
    for r in rows:
        usage = Usage(
            input_tokens=r["input_tokens"]
            + r["cache_read_tokens"]
            + r["cache_write_5m_tokens"]
            + r["cache_write_1h_tokens"],
            cache_read_tokens=r["cache_read_tokens"],
            cache_write_tokens=r["cache_write_5m_tokens"] + r["cache_write_1h_tokens"],
            cache_write_1h_tokens=r["cache_write_1h_tokens"],
            output_tokens=r["output_tokens"],
            web_searches=r["web_search_requests"],
        )
        try:
            calc_price(
                usage,
                r["model"],
                provider_id=r["provider"],
                genai_request_timestamp=r["ts"],
                price_context=contexts.get(r["service_tier"]),
            )
            priced += 1
        except (LookupError, ValueError):
            pass
    return (time.perf_counter() - t) / len(rows), priced


def spark_run(path: Path, book: PriceBook) -> None:
    from inferonomics.backend import connect

    t = time.perf_counter()
    spark = connect(engine="spark")
    start = time.perf_counter() - t
    by = ["provider", "model", "service_tier"]
    results = {}
    for name, con in (("duckdb", None), ("spark", spark)):
        t = time.perf_counter()
        ledger = Ledger.open([path], con=con) if con is not None else Ledger.open([path])
        table = rollup(price(ledger, book), by, "day").table
        results[name] = (time.perf_counter() - t, table)
    key = [*by, "period"]
    a, b = ({tuple(r[k] for k in key): r for r in t.to_pylist()} for _, t in results.values())
    total = sum((r["cost_usd"] for r in a.values()), Decimal(0))
    rows = sum(r["rows"] for r in a.values())
    print(f"\n5. {rows:,} rows billed by provider, model, tier, day (in process)")
    print(f"   Spark session start (local mode, {os.cpu_count()} cores): {start:.1f} s")
    print(f"   DuckDB {results['duckdb'][0]:.2f} s; Spark {results['spark'][0]:.2f} s; ", end="")
    print(f"Spark/DuckDB {results['spark'][0] / results['duckdb'][0]:.1f}x")
    print(f"   bills equal to the last digit: {a == b}; total ${total:,.2f}")
    spark._session.stop()


def big_run(paths: list[Path], spill: Path) -> None:
    """Run in a child process: bill the big ledger pass by pass, printing to stderr as it goes (each
    pass's time; every 30 s the peak memory so far and the bytes DuckDB has spilled to `spill`), so
    a run stopped early still says how far it got; the last line on stdout is the result."""
    from inferonomics.backend import connect

    spill.mkdir(parents=True, exist_ok=True)
    peak_spill = [0]
    t0 = time.perf_counter()

    def watch() -> None:
        while True:
            time.sleep(30)
            size = 0
            for f in spill.rglob("*"):
                with contextlib.suppress(OSError):  # DuckDB creates and deletes spill files as it goes
                    size += f.stat().st_size if f.is_file() else 0
            peak_spill[0] = max(peak_spill[0], size)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
            print(
                f"   ... {time.perf_counter() - t0:.0f} s: peak memory {rss:.2f} GB; spilled now "
                f"{size / 1e9:.1f} GB (peak {peak_spill[0] / 1e9:.1f} GB); "
                f"load {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
                flush=True,
            )

    threading.Thread(target=watch, daemon=True).start()
    con = connect()
    con.duck.execute(f"SET temp_directory = '{spill}'")
    book = PriceBook.load()
    ledger = Ledger.open(paths, con=con)
    keys = ledger.keys()
    print(
        f"   keys pass: {time.perf_counter() - t0:.1f} s ({len(keys.table)} keys)",
        file=sys.stderr,
        flush=True,
    )
    t = time.perf_counter()
    duplicates = ledger.duplicate_count
    print(
        f"   duplicate check: {time.perf_counter() - t:.1f} s ({duplicates} duplicates)",
        file=sys.stderr,
        flush=True,
    )
    t = time.perf_counter()
    result = rollup(price(ledger, book), ["provider", "model"], "day")
    print(f"   pricing and rollup pass: {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    total = sum(result.table["cost_usd"].to_pylist(), Decimal(0))
    print(f"{result.account.rows_billed} {elapsed:.3f} {peak:.3f} {total} {peak_spill[0]}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000_000, help="rows of parts 1-4 (0: skip them)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small-repeat", type=int, default=7)
    parser.add_argument("--genai-rows", type=int, default=100_000)
    parser.add_argument("--spark", type=int, default=0, help="rows billed on Spark and DuckDB (0: skip)")
    parser.add_argument("--big", type=int, default=0, help="rows of the fresh-process memory run (0: skip)")
    parser.add_argument(
        "--big-base",
        type=int,
        default=10_000_000,
        help="a --big ledger past this size is files of this many rows, copies of one",
    )
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inferonomics-bench")
    parser.add_argument("--child", type=Path, nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        big_run(args.child, args.data / "spill")
        return 0
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs; duckdb {duckdb.__version__}; {dt.date.today()}")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    book = PriceBook.load()
    if args.rows:
        path = foreign_file(args.data, args.rows)
        rates = args.data / "rates.parquet"
        pq.write_table(price(Ledger.open([path]), book).rates, rates)

        cmd = [*CLI, "bill", str(path), "--by", "provider,model", "--grain", "day", "--format", "csv"]
        wall(cmd, 1)  # warms the plan cache and the page cache
        (cli_times, cli_cpu, out), (sql_times, sql_cpu, sql_out) = alternated(
            [cmd, hand_sql_cmd(path, rates, args.data, dedup=False)], args.repeat
        )
        cli_time, total = statistics.median(cli_times), cli_total(out)
        n = args.rows
        print(f"\n1. inferonomics bill, whole process ({n:,} rows, a file pyarrow wrote, no hints)")
        print(
            f"   times {', '.join(f'{x:.2f}' for x in cli_times)} s; median {cli_time:.2f} s "
            f"= {n / cli_time / 1e6:.2f} M rows/s (target >= 10); "
            f"CPU median {statistics.median(cli_cpu):.2f} s; total ${total:,.2f}"
        )

        sql_time, sql_total = statistics.median(sql_times), Decimal(sql_out.strip().splitlines()[-1])
        print(
            "\n2. hand-written DuckDB SQL, whole process, same rate table and arithmetic (range join), "
            "run by run alternated with 1."
        )
        print(
            f"   times {', '.join(f'{x:.2f}' for x in sql_times)} s; median {sql_time:.2f} s "
            f"= {n / sql_time / 1e6:.2f} M rows/s; CLI/SQL {cli_time / sql_time:.2f} (target <= 2); "
            f"CPU median {statistics.median(sql_cpu):.2f} s, CLI/SQL "
            f"{statistics.median(cli_cpu) / statistics.median(sql_cpu):.2f}; same total: {sql_total == total}"
        )
        dd_times, _ = hand_sql(path, rates, args.data, args.repeat, dedup=True)
        dd_time = statistics.median(dd_times)
        print(
            f"   with a duplicate check (count(DISTINCT request_id)): median {dd_time:.2f} s; "
            f"CLI/(SQL + duplicate check) {cli_time / dd_time:.2f}"
        )

        one = args.data / "one-row.parquet"
        pq.write_table(pq.read_table(path).slice(0, 1), one)
        # As benchmarks/fixed_cost.py: the runs may write bytecode (an installed package has it;
        # without it every run compiles the changed modules again), and one run warms the plan cache
        # for the small file's keys before the timed ones.
        warm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        wall([*CLI, "bill", str(one)], 1, warm_env)
        small, _ = wall([*CLI, "bill", str(one)], args.small_repeat, warm_env)
        base_sql = args.data / "one.sql"
        base_sql.write_text(HAND_SQL.format(path=one, rates=rates))
        base, _ = wall([sys.executable, "-c", SQL_PROCESS, str(base_sql)], args.small_repeat)
        print(f"\n3. fixed cost: a 1-row file, whole process, median of {args.small_repeat}")
        print(
            f"   inferonomics bill {statistics.median(small):.2f} s (target < 0.5; runs "
            f"{', '.join(f'{x:.2f}' for x in small)}); hand SQL process {statistics.median(base):.2f} s; "
            f"ratio {statistics.median(small) / statistics.median(base):.1f}"
        )

        if args.genai_rows:
            per_row, priced_rows = genai_loop(path, args.genai_rows)
            ours = cli_time / n
            print(f"\n4. genai-prices calc_price loop over {args.genai_rows:,} rows ({priced_rows:,} priced)")
            print(
                f"   {per_row * 1e6:.1f} us per row; CLI {ours * 1e9:.0f} ns per row: {per_row / ours:,.0f}x"
            )

    if args.spark:
        spark_run(foreign_file(args.data, args.spark), book)

    if args.big:
        big = (
            big_parts(args.data, args.big, args.big_base)
            if args.big > args.big_base
            else [foreign_file(args.data, args.big)]
        )
        print(f"\n6. billing {args.big:,} rows in a fresh process, pass by pass:", flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--data", str(args.data), "--child", *map(str, big)],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        shutil.rmtree(args.data / "spill", ignore_errors=True)
        rows, seconds, peak, big_total, spilled = proc.stdout.split()
        rate = int(rows) / float(seconds) / 1e6
        limit = os.environ.get("INFERONOMICS_MEMORY_LIMIT", "unset")
        print(f"   {int(rows):,} rows in a fresh process (INFERONOMICS_MEMORY_LIMIT={limit}): ", end="")
        print(f"{float(seconds):.1f} s = {rate:.1f} M rows/s; peak memory {float(peak):.2f} GB; ", end="")
        print(
            f"spilled at most {int(spilled) / 1e9:.1f} GB (sampled every 30 s); "
            f"total ${Decimal(big_total):,.2f}"
        )
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
