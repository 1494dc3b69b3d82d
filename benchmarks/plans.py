"""Benchmark: a population replayed through subscription plans (`plans simulate`).

Prints, measured in one run:

1. the base ledger priced by the billing engine (a generated demo ledger) and the parametric
   population fitted to it and scaled to --users users over a month (generation time, requests);
2. the population through 4 plans (API pay-as-you-go, Claude Pro, Max 5x, Max 20x: their 5-hour
   and weekly windows, exact money), with true cost at stated rates: the whole simulation's
   wall time (target < 60 s for 100,000 users on this project's 2-core machine);
3. the baseline: the same replay as a plain per-user Python loop (requests in time order, a dict
   of window states), on a sample of the users, in users per second; the ratio is the
   engine's users per second over the loop's.

Usage: python benchmarks/plans.py [--users 100000] [--base-rows 200000] [--sample 300] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

from inferonomics.ledger.core import Ledger
from inferonomics.ledger.generate import generate_demo
from inferonomics.plans.catalog import load_plans
from inferonomics.plans.population import generate_population
from inferonomics.plans.schema import Plan
from inferonomics.plans.simulate import simulate_population
from inferonomics.plans.true_cost import TrueCost
from inferonomics.plans.usage import Usage

PLANS = ("api", "claude-pro", "claude-max-5x", "claude-max-20x")


def python_loop(u: Usage, plans: list[Plan], users: np.ndarray) -> list[int]:
    """Each plan's admitted requests over `users`, request by request (the plain algorithm: a
    window opens at the first request after the previous one closed; a request is admitted while
    every window has consumed less than its amount)."""
    bounds = u.bounds.tolist()
    ts, model = u.ts.tolist(), u.model.tolist()
    value = (u.pico * 1000 + u.femto).tolist()
    day = u.first_day()
    assert day is not None
    admitted = []
    for plan in plans:
        lims = [
            (lim.window.micros, int(lim.amount * 10**15))
            for lim in plan.limits_at(day)
            if lim.amount is not None
        ]
        covered = [plan.includes(m) for m in u.models]
        ok_total = 0
        for s in users.tolist():
            end = [-1] * len(lims)
            used = [0] * len(lims)
            for i in range(bounds[s], bounds[s + 1]):
                if not covered[model[i]]:
                    continue
                t = ts[i]
                ok = True
                for j, (length, amount) in enumerate(lims):
                    if t >= end[j]:
                        end[j], used[j] = t + length, 0
                    ok = ok and used[j] < amount
                if ok:
                    ok_total += 1
                    for j in range(len(lims)):
                        used[j] += value[i]
        admitted.append(ok_total)
    return admitted


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--base-rows", type=int, default=200_000)
    p.add_argument("--sample", type=int, default=300, help="users replayed by the Python loop")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", tempfile.gettempdir())))
    a = p.parse_args()

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    base_path = a.data / f"bench-plans-{a.base_rows}.parquet"
    if not base_path.exists():
        generate_demo(base_path, a.base_rows, seed=2026)
    t = time.perf_counter()
    base = Usage.from_ledger(Ledger.open([base_path]))
    took = time.perf_counter() - t
    print(f"base ledger: {len(base):,} requests of {len(base.subscribers):,} users priced in {took:.2f} s")

    t = time.perf_counter()
    pop = generate_population(base, a.users, seed=a.seed, days=30)
    gen = time.perf_counter() - t
    print(f"population: {len(pop.usage):,} requests, generated in {gen:.2f} s")
    print(f"  {pop.description}")

    plans = load_plans().select(list(PLANS))
    cost = TrueCost.flat(Decimal("0.1315"), Decimal("3.29"))  # D1's 8x H200 deployment, served soundly
    t = time.perf_counter()
    result = simulate_population(pop, plans, cost)
    sim = time.perf_counter() - t
    per_user_engine = sim / a.users
    print(
        f"simulate: {a.users:,} users x 30 days through {len(plans)} plans in {sim:.2f} s "
        f"(target < 60 s: {'met' if sim < 60 else 'MISSED'}); {a.users / sim:,.0f} users/s"
    )
    for o in result.outcomes:
        print(
            f"  {o.plan:15} users {o.users:>7,}  revenue ${o.revenue_usd:>14,.2f}  API-equivalent "
            f"${o.api_equivalent_usd:>12,.2f}  true cost ${o.true_cost_usd:>11,.2f}  hitting a limit "
            f"{float(o.users_hitting_any_limit_share):.2%}"
        )

    sample = np.random.default_rng(a.seed).choice(a.users, size=min(a.sample, a.users), replace=False)
    sample.sort()
    t = time.perf_counter()
    python_loop(pop.usage, plans, sample)
    loop = time.perf_counter() - t
    per_user_loop = loop / len(sample)
    bounds = pop.usage.bounds
    sample_requests = int((bounds[sample + 1] - bounds[sample]).sum())
    print(
        f"baseline: per-user Python loop, {len(sample)} users ({sample_requests:,} requests) through the "
        f"same plans in {loop:.2f} s: {len(sample) / loop:,.0f} users/s, "
        f"{sample_requests / loop:,.0f} requests/s"
    )
    print(
        f"ratio: engine {per_user_loop / per_user_engine:,.1f}x the loop's users per second; "
        f"{(len(pop.usage) / sim) / (sample_requests / loop):,.1f}x its requests per second "
        f"(engine {len(pop.usage) / sim:,.0f} requests/s)"
    )


if __name__ == "__main__":
    main()
