"""Benchmark: the peak memory of `inferonomics bill` on hostile inputs, as a user meets it (the
CLI as a whole process, under `/usr/bin/time -v`).

Makes, in a folder (a temporary one unless --dir names one; files already there are reused):

1. a JSON-lines file with one line of 1 GiB, then a good line;
2. the same, gzipped (about 1 MB: it expands more than 1000 times, so it is refused);
3. a gzip bomb: 4 GiB of zero bytes in about 4 MB;
4. a CSV of 10 million rows (about 570 MB);

and the baseline, a CSV of one row. Prints, for each, the exit code, the first line of stderr,
the peak resident memory (max RSS) and the wall time, and the ratio of the peak to the baseline's.

Usage: python benchmarks/bill_memory.py [--dir DIR] [--rows 10000000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOOD = {
    "ts": "2026-01-05T10:00:00Z",
    "request_id": "ok",
    "provider": "openai",
    "model": "gpt-4o",
    "input_tokens": 1,
    "output_tokens": 1,
}


def make_inputs(folder: Path, rows: int) -> dict[str, Path]:
    """The inputs, made once (an existing file of the same name is kept)."""
    paths = {
        "baseline: 1-row CSV": folder / "one.csv",
        "1 GiB line (JSONL)": folder / "line1g.jsonl",
        "1 GiB line, gzipped": folder / "line1g.jsonl.gz",
        "gzip bomb (4 GiB of zeros)": folder / "bomb.jsonl.gz",
        f"{rows:,}-row CSV": folder / f"rows{rows}.csv",
    }
    header = "ts,request_id,provider,model,input_tokens,output_tokens\n"
    one, line, line_gz, bomb, many = paths.values()
    if not one.exists():
        one.write_text(header + "2026-01-05T10:00:00Z,r0,openai,gpt-4o,100,10\n")
    if not line.exists():
        with line.open("wb") as f:
            f.write(b'{"ts": "2026-01-05T10:00:00Z", "pad": "')
            chunk = b"x" * (1 << 20)
            for _ in range(1024):
                f.write(chunk)
            f.write(b'"}\n' + json.dumps(GOOD).encode() + b"\n")
    if not line_gz.exists():
        with line.open("rb") as src, gzip.open(line_gz, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    if not bomb.exists():
        with gzip.open(bomb, "wb", compresslevel=9) as f:
            zeros = b"\0" * (1 << 20)
            for _ in range(4096):
                f.write(zeros)
    if not many.exists():
        models = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5")]
        with many.open("w") as f:
            f.write(header)
            buf = []
            for i in range(rows):
                provider, model = models[i % 3]
                buf.append(
                    f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z,r{i},{provider},{model},"
                    f"{100 + i % 900},{10 + i % 90}\n"
                )
                if len(buf) >= 100_000:
                    f.write("".join(buf))
                    buf = []
            f.write("".join(buf))
    return paths


def measure(path: Path) -> tuple[int, str, int, float]:
    """(exit code, first stderr line, max RSS in KiB, wall seconds) of `bill PATH`."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "inferonomics", "bill", str(path)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))  # type: ignore[union-attr]  # time -v always prints it
    first = next((x for x in proc.stderr.splitlines() if x.strip()), "")
    return proc.returncode, first, rss, wall


def main() -> None:
    """Make the inputs, measure each, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = make_inputs(folder, args.rows)
        base_rss = None
        columns = f"{'input':32} {'size':>14} {'exit':>4} {'max RSS':>10} {'x base':>7} {'wall':>8}"
        print(columns + "  first line of stderr")
        for name, path in paths.items():
            code, first, rss, wall = measure(path)
            base_rss = base_rss or rss
            size = path.stat().st_size
            print(
                f"{name:32} {size:>14,} {code:>4} {rss / 1024:>8,.0f} MB {rss / base_rss:>6.1f}x "
                f"{wall:>7.1f}s  {first[:110]}"
            )


if __name__ == "__main__":
    main()
