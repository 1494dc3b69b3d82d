"""Benchmark: cache replays and the playbook.

Prints, measured in one run on the same generated ledger (sessions whose prompts grow turn by
turn, carrying prefix-block hashes; see `ledger/prefix_blocks.py`):

1. the columnar TTL replay (`levers/replay.py`): requests and block references per second, for
   the engine on arrays (the first pass, on fresh memory, and the median of the next ones) and
   for the whole lever (read the ledger, replay, build the counterfactual); the baseline is the
   same replay written as a plain Python loop with a dict of last uses, on the first requests;
2. the LRU mode (a KV cache of B blocks): block references per second (target >= 1M/s);
3. the playbook (caching with the cheaper TTL per model, then batch) on the whole ledger
   (target < 60 s), against one bill of the same ledger (baseline);
4. with --mooncake FILE: the Mooncake trace replayed (12,031 requests, 512-token blocks);
5. with --discovery: only playbook discovery (`levers/discover.py`) on the plain demo ledger of
   --rows rows (`inferonomics generate`; --block-tokens 0: no prefix hashes, else hashed),
   target < 60 s, against one bill of the same ledger measured in the same run (baseline);
   then, unless --no-playbook, the whole discovered playbook (discovery plus every step billed).

Usage: python benchmarks/levers.py [--rows 10000000] [--block-tokens 4096] [--data DIR]
       python benchmarks/levers.py --discovery --block-tokens 0 [--rows 10000000] [--no-playbook]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from inferonomics.billing.engine import price
from inferonomics.billing.rollup import rollup
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.generate import generate_demo
from inferonomics.levers import prefixes
from inferonomics.levers.base import Scenario
from inferonomics.levers.caching import Caching, replay_cache
from inferonomics.levers.discover import discover
from inferonomics.levers.playbook import default_levers, playbook, run
from inferonomics.levers.replay import Blocks, lru_replay, ttl_replay


def ledger_file(directory: Path, rows: int, block: int) -> Path:
    path = directory / f"bench-levers-{rows}-{block}.parquet"
    if not path.exists() or pq.read_metadata(path).num_rows != rows:
        t = time.perf_counter()
        generate_demo(path, rows, seed=2026, prefix_block_tokens=block or None)
        print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s -> {path}")
    return path


def python_replay(blocks: Blocks, ts_us: np.ndarray, ttl_us: float, n: int) -> tuple[float, int]:
    """The sequential algorithm, plainly: a dict of each block's last use, requests in time order."""
    order = np.argsort(ts_us[:n], kind="stable").tolist()
    offsets = blocks.offsets.tolist()
    keys = blocks.keys[: offsets[n]].tolist()
    times = ts_us[:n].tolist()
    last: dict[int, int] = {}
    hits = 0
    t = time.perf_counter()
    for i in order:
        now = times[i]
        mine = keys[offsets[i] : offsets[i + 1]]
        for k in mine:
            seen = last.get(k)
            if seen is not None and now - seen <= ttl_us:
                hits += 1
        for k in mine:
            last[k] = now
    return time.perf_counter() - t, hits


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--block-tokens", type=int, default=4096)
    parser.add_argument("--baseline-requests", type=int, default=300_000)
    parser.add_argument("--lru-requests", type=int, default=300_000)
    parser.add_argument("--lru-blocks", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mooncake", type=Path, help="the Mooncake conversation trace (JSON lines)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inferonomics-bench")
    parser.add_argument("--discovery", action="store_true", help="only section 5 (discovery)")
    parser.add_argument("--no-playbook", action="store_true", help="with --discovery: skip the playbook")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; {dt.date.today()}")
    if args.discovery:
        return discovery(args)
    path = ledger_file(args.data, args.rows, args.block_tokens)
    book = PriceBook.load()
    ledger = Ledger.open([path])

    t = time.perf_counter()
    req = prefixes.load(ledger, structure="hashes", block_tokens=args.block_tokens)
    load_s = time.perf_counter() - t
    n, refs = len(req.ts_us), len(req.blocks.keys)
    active = req.requests == 1
    print(f"\nledger: {n:,} requests, {refs:,} block references ({refs / n:.1f} per request, ", end="")
    print(f"{args.block_tokens}-token blocks); read into arrays in {load_s:.1f} s")

    print("\n1. TTL replay (5-minute TTL, refreshed on hit; no capacity limit)")
    times = []
    for _ in range(args.repeat + 1):
        t = time.perf_counter()
        out = ttl_replay(req.blocks, req.ts_us, 300e6, active, groups=req.group)
        times.append(time.perf_counter() - t)
    warm = statistics.median(times[1:])
    hit_share = req.blocks.prefix_tokens(out.hit_blocks).sum() / req.prompt.sum()
    print(
        f"   engine: first pass {times[0]:.2f} s, then median {warm:.2f} s = {n / warm / 1e6:.2f} M "
        f"requests/s, {refs / warm / 1e6:.1f} M block refs/s (target >= 1 M requests/s); hit blocks "
        f"cover {hit_share:.1%}"
    )
    m = min(args.baseline_requests, n)
    py_s, _ = python_replay(req.blocks, req.ts_us, 300e6, m)
    sub = req.blocks.offsets[m]
    print(
        f"   baseline, a Python dict loop over the first {m:,} requests: {m / py_s / 1e6:.2f} M requests/s, "
        f"{sub / py_s / 1e6:.1f} M refs/s; the engine is {(n / warm) / (m / py_s):.0f}x faster"
    )
    del out
    t = time.perf_counter()
    replay = replay_cache(
        Scenario(ledger, book), Caching(ttl_seconds=300, structure="hashes", block_tokens=args.block_tokens)
    )
    whole = time.perf_counter() - t
    print(
        f"   the whole lever (read, replay, counterfactual ledger): {whole:.1f} s = {n / whole / 1e6:.2f} M "
        f"requests/s; cached share {float(replay.cached_input_share):.1%} (provider minimums applied)"
    )
    del replay

    print(f"\n2. LRU mode: a KV cache of {args.lru_blocks:,} blocks, first {args.lru_requests:,} requests")
    k = min(args.lru_requests, n)
    sub_blocks = Blocks(req.blocks.offsets[: k + 1], req.blocks.keys[: req.blocks.offsets[k]])
    t = time.perf_counter()
    lru_hits = lru_replay(sub_blocks, req.ts_us[:k], args.lru_blocks, active[:k], req.group[:k])
    lru_s = time.perf_counter() - t
    sub_refs = int(req.blocks.offsets[k])
    print(
        f"   {lru_s:.2f} s = {sub_refs / lru_s / 1e6:.2f} M block refs/s (target >= 1 M/s), "
        f"{k / lru_s / 1e6:.2f} M requests/s; hit blocks {int(lru_hits.sum()):,} of {sub_refs:,}"
    )
    del req

    print("\n3. playbook on the whole ledger")
    t = time.perf_counter()
    result = rollup(price(Ledger.open([path]), book), ["provider", "model"])
    bill_s = time.perf_counter() - t
    t = time.perf_counter()
    fresh = Ledger.open([path])
    levers, _ = default_levers(fresh)
    book_run = run(fresh, book, levers, skip_losers=True)
    play_s = time.perf_counter() - t
    print(
        f"   baseline, one bill (price + rollup by provider, model): {bill_s:.1f} s "
        f"({result.table.num_rows} rows)"
    )
    print(
        f"   playbook ({', '.join(s.lever for s in book_run.steps)}): {play_s:.1f} s (target < 60 s) = "
        f"{play_s / bill_s:.1f} bills; saves {book_run.saving_share:.1%} of "
        f"${book_run.baseline.cost_usd:,.2f}"
    )

    if args.mooncake:
        trace = Ledger.open([args.mooncake], model_as="anthropic/claude-sonnet-4-5")
        mreq = prefixes.load(trace, structure="hashes")
        act = np.ones(len(mreq.ts_us), dtype=bool)
        ttl_replay(mreq.blocks, mreq.ts_us, math.inf, act)
        t = time.perf_counter()
        for _ in range(10):
            ttl_replay(mreq.blocks, mreq.ts_us, math.inf, act)
        each = (time.perf_counter() - t) / 10
        print(
            f"\n4. Mooncake trace ({len(mreq.ts_us):,} requests, {len(mreq.blocks.keys):,} refs): engine "
            f"{each * 1e3:.1f} ms = {len(mreq.ts_us) / each / 1e6:.2f} M requests/s"
        )
    return 0


def discovery(args: argparse.Namespace) -> int:
    """Section 5: discovery on the demo ledger against one bill of it, in the same run."""
    block = args.block_tokens
    path = ledger_file(args.data, args.rows, block)
    book = PriceBook.load()
    t = time.perf_counter()
    bill = rollup(price(Ledger.open([path]), book), ["provider", "model"])
    bill_s = time.perf_counter() - t
    t = time.perf_counter()
    found = discover(Ledger.open([path]), book)
    discover_s = time.perf_counter() - t
    hashes = f"{block}-token prefix hashes" if block else "no prefix hashes"
    print(f"\n5. discovery on {args.rows:,} rows ({hashes}; {path.name})")
    print(
        f"   baseline, one bill (price + rollup by provider, model): {bill_s:.1f} s "
        f"({bill.table.num_rows} rows)"
    )
    print(
        f"   discovery: {discover_s:.1f} s (target < 60 s) = {discover_s / bill_s:.1f} bills; candidates: "
        + (", ".join(f"{c.lever} ({', '.join(c.features) or 'all'})" for c in found.candidates) or "none")
    )
    if not args.no_playbook:
        t = time.perf_counter()
        result = playbook(Ledger.open([path]), book=book)
        play_s = time.perf_counter() - t
        print(
            f"   the discovered playbook (discovery + {len(result.steps)} steps billed): {play_s:.1f} s = "
            f"{play_s / bill_s:.1f} bills; saves {result.saving_share:.1%} of "
            f"${result.baseline.cost_usd:,.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
