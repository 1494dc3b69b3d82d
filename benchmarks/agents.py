"""Benchmark: `inferonomics agents daily` against `ccusage claude daily` on the same Claude Code tree.

Prints, measured in one run on one generated Claude Code config tree (sessions with growing cached
prefixes, four models, 5-minute and 1-hour cache writes, one line per content block, subagents,
resumed sessions, limit messages; `inferonomics.ledger.agent_logs.write_claude_code_tree`):

1. agreement: the cost of every day by both tools, to the cent (and their totals);
2. wall time of each tool as a whole process (median of --repeat runs, after one warm-up run
   each), and the ratio inferonomics / ccusage (target: <= 1, no slower than ccusage).

ccusage is the npm package, installed here with npm into --data (not a project dependency): its
native binary (a compiled, multi-threaded program). Version 20.0.24 is pinned because 20.0.26,
the newest, publishes no native binary for linux-x64 (its wrapper refuses to run without one).
ccusage is run with CLAUDE_CONFIG_DIR pointing at the tree and HOME at an empty folder, so it
reads that tree only, and with --offline (its bundled prices).

Usage: python benchmarks/agents.py [--lines 700000] [--repeat 3] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from inferonomics.ledger.agent_logs import write_claude_code_tree

CCUSAGE_VERSION = "20.0.24"


def install_ccusage(data: Path) -> Path | None:
    """The ccusage executable under `data` (installed with npm on first use), or None."""
    prefix = data / f"ccusage-{CCUSAGE_VERSION}"
    exe = prefix / "node_modules" / ".bin" / "ccusage"
    if not exe.exists():
        npm = shutil.which("npm")
        if npm is None:
            print("ccusage: npm not found: install Node.js and npm to compare (comparison skipped)")
            return None
        prefix.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                f"ccusage@{CCUSAGE_VERSION}",
            ],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not exe.exists():
            print(f"ccusage: npm install failed: {proc.stderr.strip()[-400:]}")
            return None
    return exe


def timed(cmd: list[str], env: dict[str, str], repeat: int) -> tuple[list[float], str]:
    """Wall times of `repeat` runs after a warm-up, and the last run's stdout."""
    out = ""
    times = []
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[-600:]}")
        if i:
            times.append(elapsed)
        out = proc.stdout
    return times, out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=700_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inferonomics-bench")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}")
    tree = args.data / f"claude-tree-{args.lines}-{args.seed}"
    if not (tree / "projects").is_dir():
        t0 = time.perf_counter()
        made = write_claude_code_tree(tree, lines=args.lines, seed=args.seed)
        print(
            f"generated a Claude Code tree: {made.lines:,} lines in {made.files:,} files, {made.messages:,} "
            f"messages, in {time.perf_counter() - t0:.1f} s -> {tree}"
        )
    lines = sum(1 for f in tree.rglob("*.jsonl") for _ in f.open("rb"))
    print(f"tree: {lines:,} lines")

    ours_cmd = [sys.executable, "-m", "inferonomics", "agents", "daily", str(tree)]
    ours_cmd += ["--format", "json", "--timezone", "UTC"]
    env = {**os.environ}
    ours_times, ours_out = timed(ours_cmd, env, args.repeat)
    ours = {d["date"]: Decimal(d["cost_usd"]) for d in json.loads(ours_out)}
    med = statistics.median(ours_times)
    print(f"\ninferonomics agents daily: {', '.join(f'{t:.2f}' for t in ours_times)} s; median {med:.2f} s")

    exe = install_ccusage(args.data)
    if exe is None:
        return
    home = Path(tempfile.mkdtemp(prefix="inferonomics-bench-home-"))
    cc_env = {**os.environ, "CLAUDE_CONFIG_DIR": str(tree), "HOME": str(home), "NO_COLOR": "1"}
    cc_cmd = [str(exe), "claude", "daily", "--json", "--offline", "--timezone", "UTC"]
    cc_times, cc_out = timed(cc_cmd, cc_env, args.repeat)
    cc = {d["date"]: Decimal(str(d["totalCost"])) for d in json.loads(cc_out)["daily"]}
    cc_med = statistics.median(cc_times)
    runs = ", ".join(f"{t:.2f}" for t in cc_times)
    print(f"ccusage {CCUSAGE_VERSION} claude daily: {runs} s; median {cc_med:.2f} s")
    print(f"ratio inferonomics / ccusage: {med / cc_med:.2f} (target <= 1)")

    days = sorted(set(ours) | set(cc))
    off = [d for d in days if d not in ours or d not in cc or abs(ours[d] - cc[d]) >= Decimal("0.005")]
    print(
        f"\nagreement: {len(days) - len(off)} of {len(days)} days equal to the cent; totals "
        f"inferonomics ${sum(ours.values()):,.2f}, ccusage ${sum(cc.values()):,.2f}"
    )
    for d in off[:10]:
        print(f"  {d}: inferonomics {ours.get(d)}, ccusage {cc.get(d)}")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
