"""Benchmark: `inferonomics agents daily` against `ccusage claude daily` on the same Claude Code tree.

Prints, measured in one run on one generated Claude Code config tree (sessions with growing cached
prefixes, four models, 5-minute and 1-hour cache writes, one line per content block, subagents,
resumed sessions, limit messages; `inferonomics.ledger.agent_logs.write_claude_code_tree`):

1. agreement: the cost of every day by both tools, to the cent (and their totals);
2. wall and CPU time of each tool as a whole process (median of --repeat runs, after one warm-up
   run each, the runs of the tools interleaved so that other work on the machine falls on each
   alike), and the ratio inferonomics / ccusage (target: <= 1, no slower than ccusage), against
   ccusage with its default threads (parallel) and with --single-thread;
3. with --stages, where inferonomics' time goes (imports, finding the files, reading, the price
   book, billing), timed in-process.

ccusage is the npm package, installed here with npm into --data (not a project dependency): its
native binary (a compiled, multi-threaded program). Version 20.0.24 is pinned because 20.0.26,
the newest, publishes no native binary for linux-x64 (its wrapper refuses to run without one).
ccusage is run with CLAUDE_CONFIG_DIR pointing at the tree and HOME at an empty folder, so it
reads that tree only, and with --offline (its bundled prices).

Usage: python benchmarks/agents.py [--lines 700000] [--repeat 3] [--data DIR] [--stages]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """One run of `cmd` as a whole process: wall seconds, CPU seconds (user + system, all its
    threads) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[-600:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def stages(tree: Path) -> None:
    """Where inferonomics' time goes, in this process (warm files, imports counted once)."""
    t0 = time.perf_counter()
    import inferonomics as inf
    from inferonomics.ledger.readers.agents import find_agent_files

    inf.Ledger, inf.PriceBook, inf.agent_usage  # noqa: B018 (the imports, timed)
    marks = [("imports", time.perf_counter() - t0)]
    t = time.perf_counter()
    find_agent_files(tree)
    marks.append(("finding the files (also inside the read)", time.perf_counter() - t))
    t = time.perf_counter()
    ledger = inf.Ledger.open([tree])
    marks.append(("reading the logs (Ledger.open)", time.perf_counter() - t))
    t = time.perf_counter()
    book = inf.PriceBook.load()
    marks.append(("loading the price book", time.perf_counter() - t))
    t = time.perf_counter()
    inf.agent_usage(ledger, "day", tz="UTC", book=book)
    marks.append(("billing and the daily rollup (agent_usage)", time.perf_counter() - t))
    print("\nwhere inferonomics' time goes (in one process, after the runs above):")
    for name, secs in marks:
        print(f"  {name}: {secs:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=700_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inferonomics-bench")
    parser.add_argument("--stages", action="store_true", help="also time inferonomics' stages in-process")
    args = parser.parse_args()

    print(
        f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d')}"
    )
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
    tools: dict[str, tuple[list[str], dict[str, str]]] = {
        "inferonomics agents daily": (ours_cmd, {**os.environ})
    }
    exe = install_ccusage(args.data)
    home = Path(tempfile.mkdtemp(prefix="inferonomics-bench-home-"))
    if exe is not None:
        cc_env = {**os.environ, "CLAUDE_CONFIG_DIR": str(tree), "HOME": str(home), "NO_COLOR": "1"}
        cc_cmd = [str(exe), "claude", "daily", "--json", "--offline", "--timezone", "UTC"]
        tools[f"ccusage {CCUSAGE_VERSION} claude daily"] = (cc_cmd, cc_env)
        tools[f"ccusage {CCUSAGE_VERSION} claude daily --single-thread"] = (
            [*cc_cmd, "--single-thread"],
            cc_env,
        )
    # One warm-up run each, then the runs interleaved, so that a change in the machine's load
    # (other work on it) falls on every tool alike.
    out: dict[str, str] = {}
    walls: dict[str, list[float]] = {name: [] for name in tools}
    cpus: dict[str, list[float]] = {name: [] for name in tools}
    for i in range(args.repeat + 1):
        for name, (cmd, env) in tools.items():
            wall, cpu, out[name] = run(cmd, env)
            if i:
                walls[name].append(wall)
                cpus[name].append(cpu)
    print(f"\nwall and CPU (user + system) seconds, {args.repeat} runs each after a warm-up, interleaved:")
    for name in tools:
        runs = ", ".join(f"{t:.2f}" for t in walls[name])
        print(
            f"  {name}: {runs} s; median {statistics.median(walls[name]):.2f} s wall, "
            f"{statistics.median(cpus[name]):.2f} s CPU"
        )
    shutil.rmtree(home, ignore_errors=True)
    if exe is None:
        return
    names = list(tools)
    ours_med = statistics.median(walls[names[0]])
    for name in names[1:]:
        ratio = ours_med / statistics.median(walls[name])
        label = name.replace(" claude daily", "")
        print(f"ratio inferonomics / {label}: {ratio:.2f} (target <= 1)")
    cpu_ratio = statistics.median(cpus[names[0]]) / statistics.median(cpus[names[1]])
    print(f"CPU ratio inferonomics / ccusage (default threads): {cpu_ratio:.2f}")

    ours = {d["date"]: Decimal(d["cost_usd"]) for d in json.loads(out[names[0]])}
    cc = {d["date"]: Decimal(str(d["totalCost"])) for d in json.loads(out[names[1]])["daily"]}
    days = sorted(set(ours) | set(cc))
    off = [d for d in days if d not in ours or d not in cc or abs(ours[d] - cc[d]) >= Decimal("0.005")]
    print(
        f"\nagreement: {len(days) - len(off)} of {len(days)} days equal to the cent; totals "
        f"inferonomics ${sum(ours.values()):,.2f}, ccusage ${sum(cc.values()):,.2f}"
    )
    for d in off[:10]:
        print(f"  {d}: inferonomics {ours.get(d)}, ccusage {cc.get(d)}")
    if args.stages:
        stages(tree)


if __name__ == "__main__":
    main()
