"""Benchmark: pricing whole ledgers.

Prints, measured in one run on the same generated ledger (every modifier in play: cache reads,
5-minute and 1-hour writes, long-context requests, batch / flex / priority, US and EU residency,
DeepSeek's weekday peak windows, web searches, reasoning tokens):

1. the engine end to end (open the Parquet ledger, price every row, roll up by provider, model
   and day): rows per second;
2. the same bill by a hand-written DuckDB SQL query doing the same arithmetic (the engine's rate
   table, the natural range join, per-row products, a GROUP BY): the ratio engine / SQL;
3. a genai-prices `calc_price` loop over 100,000 of the rows: time per row, and the ratio;
4. the per-row output (every priced row written to Parquet): rows per second;
5. with --big N (default 100M): a ledger of N rows priced in a fresh process, its peak memory.

Usage: python benchmarks/bill.py [--rows 20000000] [--big 100000000] [--data DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from inferonomics.billing.engine import price
from inferonomics.billing.rollup import rollup
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.generate import generate_demo


def ledger_file(directory: Path, rows: int) -> Path:
    path = directory / f"bench-ledger-{rows}.parquet"
    if not path.exists() or pq.read_metadata(path).num_rows != rows:
        t = time.perf_counter()
        generate_demo(path, rows, seed=2026)
        print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s -> {path}")
    return path


def engine_bill(path: Path, book: PriceBook) -> tuple[float, Decimal, int]:
    t = time.perf_counter()
    ledger = Ledger.open([path])
    result = rollup(price(ledger, book), ["provider", "model"], "day")
    elapsed = time.perf_counter() - t
    return elapsed, sum(result.table["cost_usd"].to_pylist(), Decimal(0)), result.account.rows_billed


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
FROM l JOIN rates r
  ON l.provider = r.provider AND l.model = r.model
 AND l.service_tier IS NOT DISTINCT FROM r.service_tier AND l.region IS NOT DISTINCT FROM r.region
 AND l.t >= r.valid_from AND l.t < r.valid_to
 AND l.tow >= r.tow_lo AND l.tow < r.tow_hi
 AND l.total_in > r.band_lo AND l.total_in <= r.band_hi
WHERE r.reason IS NULL
GROUP BY ALL
"""


def hand_sql(path: Path, rates: pa.Table) -> tuple[float, Decimal]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("rates_arrow", rates)
    con.execute("CREATE TABLE rates AS SELECT * FROM rates_arrow")
    t = time.perf_counter()
    out = con.sql(HAND_SQL.format(path=path)).to_arrow_table()
    elapsed = time.perf_counter() - t
    return elapsed, sum(out["cost_usd"].to_pylist(), Decimal(0))


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


def per_row_output(path: Path, book: PriceBook, out: Path) -> float:
    t = time.perf_counter()
    priced = price(Ledger.open([path]), book)
    priced.execute(lambda e: e.to_parquet(out), lambda _: priced.rows)
    return time.perf_counter() - t


def big_run(path: Path) -> None:
    """Run in a child process: price the big ledger and report peak memory."""
    book = PriceBook.load()
    elapsed, total, rows = engine_bill(path, book)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"{rows} {elapsed:.3f} {peak:.3f} {total}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--big", type=int, default=100_000_000, help="0 to skip the memory run")
    parser.add_argument("--genai-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inferonomics-bench")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        big_run(args.child)
        return 0
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs; duckdb {duckdb.__version__}; {dt.date.today()}")
    path = ledger_file(args.data, args.rows)
    book = PriceBook.load()

    runs = [engine_bill(path, book) for _ in range(args.repeat)]
    times = [r[0] for r in runs]
    engine_time, total, rows = statistics.median(times), runs[0][1], runs[0][2]
    print(f"\n1. engine, end to end ({rows:,} rows -> bill by provider, model, day)")
    print(
        f"   times {', '.join(f'{x:.2f}' for x in times)} s; median {engine_time:.2f} s "
        f"= {rows / engine_time / 1e6:.1f} M rows/s (target >= 10); total ${total:,.2f}"
    )

    priced = price(Ledger.open([path]), book)
    rates = priced.rates
    sql_runs = [hand_sql(path, rates) for _ in range(args.repeat)]
    sql_time = statistics.median(r[0] for r in sql_runs)
    print("\n2. hand-written DuckDB SQL, same rate table and arithmetic (range join, per-row products)")
    print(
        f"   median {sql_time:.2f} s = {rows / sql_time / 1e6:.1f} M rows/s; engine/SQL time ratio "
        f"{engine_time / sql_time:.2f} (target <= 1.5); same total: {sql_runs[0][1] == total}"
    )

    per_row, priced_rows = genai_loop(path, args.genai_rows)
    ours = engine_time / rows
    print(f"\n3. genai-prices calc_price loop over {args.genai_rows:,} rows ({priced_rows:,} priced)")
    print(f"   {per_row * 1e6:.1f} us per row; engine {ours * 1e9:.0f} ns per row: ", end="")
    print(f"{per_row / ours:,.0f}x faster (target >= 1,000)")

    out = args.data / "priced-rows.parquet"
    t_rows = per_row_output(path, book, out)
    print("\n4. per-row output: every priced row with its cost components written to Parquet")
    print(f"   {t_rows:.1f} s = {rows / t_rows / 1e6:.2f} M rows/s")
    out.unlink(missing_ok=True)

    if args.big:
        big = ledger_file(args.data, args.big)
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(big)], capture_output=True, text=True, check=True
        )
        n, seconds, peak, big_total = proc.stdout.split()
        rate = int(n) / float(seconds) / 1e6
        print(
            f"\n5. {int(n):,} rows in a fresh process: {float(seconds):.1f} s = {rate:.1f} M rows/s; ", end=""
        )
        print(f"peak memory {float(peak):.2f} GB (target < 4); total ${Decimal(big_total):,.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
