"""Benchmark: the fixed cost of a bill, measured as a user meets it.

A 1-row file (CSV, and the same row in a Parquet file pyarrow wrote) is billed by the
`inferonomics bill FILE` console script as a whole process, with a fresh user cache
(`INFERONOMICS_CACHE` pointed at a new directory):

1. the cold run: the first, which compiles the plans, parses the price book and stores both;
2. the warm runs: the median of N more (the plans, the parsed book and the rate table found);
3. the same with the cache off (`INFERONOMICS_CACHE=off`: the Ibis path), for comparison;
4. the baseline, in the same run: a hand-written DuckDB query of the same row as a whole Python
   process (import duckdb, read the file, join a one-row rate table, DECIMAL arithmetic, print).

Prints each figure, the ratio warm / baseline, and whether the target (a warm 1-row bill under
0.5 s wall, median of repeated runs) is met, with the CPU time (user + system) of the median runs.
The machine may be shared: the load average is printed before and after; the ratio, measured in one
run, is the figure to compare.

The runs may write Python's bytecode caches (`PYTHONDONTWRITEBYTECODE` is dropped for them): an
installed package has its modules compiled, and without them every run would compile the
package's source again (about 0.1-0.2 s), which no user pays.

Usage: python benchmarks/fixed_cost.py [--repeat 11] [--off-repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW = "2026-01-01T00:00:00Z,openai,gpt-4o,1000,100"
HEADER = "ts,provider,model,input_tokens,output_tokens"
EXPECTED = Decimal("0.0035")
"""gpt-4o on 2026-01-01: $2.50 / MTok input, $10.00 / MTok output (openai.com/api/pricing):
1,000 x 2.5e-6 + 100 x 1e-5."""
TARGET = 0.5

SQL_PROCESS = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
path = sys.argv[1]
scan = f"read_parquet('{path}')" if path.endswith(".parquet") else f"read_csv('{path}')"
rates = (
    "(VALUES ('openai', 'gpt-4o', 2500000000::BIGINT, 10000000000::BIGINT)) "
    "r(provider, model, r_in, r_out)"
)
sql = f'''
SELECT sum((l.input_tokens * r.r_in + l.output_tokens * r.r_out)::DECIMAL(38, 0))
       * 0.000000000000001::DECIMAL(38, 15)
FROM {scan} l JOIN {rates} ON l.provider = r.provider AND l.model = r.model
'''
print(con.sql(sql).fetchall()[0][0])
"""


def cli() -> list[str]:
    """The console script beside this interpreter (as installed), else `python -m inferonomics`."""
    script = Path(sys.executable).parent / "inferonomics"
    return [str(script)] if script.exists() else [sys.executable, "-m", "inferonomics"]


CPU: list[float] = []
"""The CPU time (user + system) of each run, in the order of the runs."""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, done.stdout


def timed(cmd: list[str], env: dict[str, str], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `repeat` runs."""
    walls = [run(cmd, env)[0] for _ in range(repeat)]
    return walls, CPU[-repeat:]


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def bench(path: Path, repeat: int, off_repeat: int, folder: Path) -> None:
    cache = folder / f"cache-{path.suffix[1:]}"
    env = {**os.environ, "INFERONOMICS_CACHE": str(cache)}
    bill = [*cli(), "bill", str(path), "--format", "json"]
    cold, out = run(bill, env)
    cost = Decimal(json.loads(out)[0]["cost_usd"])
    warm, warm_cpu = timed(bill, env, repeat)
    off_env = {**os.environ, "INFERONOMICS_CACHE": "off"}
    off, _ = timed(bill, off_env, off_repeat)
    sql = [sys.executable, "-c", SQL_PROCESS, str(path)]
    sql_cost = Decimal(run(sql, dict(os.environ))[1].strip())
    base, base_cpu = timed(sql, dict(os.environ), repeat)
    w, b, o = statistics.median(warm), statistics.median(base), statistics.median(off)
    wc, bc = statistics.median(warm_cpu), statistics.median(base_cpu)
    print(f"\n{path.name}: 1 row, whole process (cost {cost}; hand SQL {sql_cost}; expected {EXPECTED})")
    print(f"  cold cache (first run)     {cold:.2f} s")
    print(f"  warm cache, median of {repeat:<3}  {w:.2f} s  (runs {', '.join(f'{x:.2f}' for x in warm)})")
    print(f"  cache off, median of {off_repeat:<3}   {o:.2f} s")
    print(f"  hand DuckDB SQL process    {b:.2f} s  (median of {repeat})")
    print(f"  CPU (user + system), median: warm {wc:.2f} s, hand SQL {bc:.2f} s")
    verdict = "met" if w < TARGET else "MISSED"
    print(f"  warm / SQL {w / b:.2f}; cache off / warm {o / w:.1f}; target < {TARGET} s: {verdict}")
    if not cost == sql_cost == EXPECTED:
        print("  the bills differ!")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=11, help="warm runs (and baseline runs)")
    parser.add_argument("--off-repeat", type=int, default=3, help="runs with the cache off")
    args = parser.parse_args()
    print(f"load average before: {load()}")
    with tempfile.TemporaryDirectory(prefix="inferonomics-fixed-cost-") as tmp:
        folder = Path(tmp)
        csv_path = folder / "one.csv"
        csv_path.write_text(f"{HEADER}\n{ROW}\n")
        parquet_path = folder / "one.parquet"
        ts, provider, model, tokens_in, tokens_out = ROW.split(",")
        pq.write_table(
            pa.table(
                {
                    "ts": pa.array([ts]).cast(pa.timestamp("us", tz="UTC")),
                    "provider": [provider],
                    "model": [model],
                    "input_tokens": pa.array([int(tokens_in)], pa.int64()),
                    "output_tokens": pa.array([int(tokens_out)], pa.int64()),
                }
            ),
            parquet_path,
        )
        for path in (csv_path, parquet_path):
            bench(path, args.repeat, args.off_repeat, folder)
    print(f"\nload average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
