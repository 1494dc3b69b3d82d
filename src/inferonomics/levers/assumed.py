"""The caching lever without a replay: an assumed hit rate, as pricing guides reason.

A share `hit_rate` of every cacheable prompt (at or above the provider's minimum) is read from
the cache; with `reads_per_write` = k, each cached token is also written once per k reads (at the
policy's write rate), the rest is uncached input. One expression over the rows, exact integers.
The replayed lever, from the prompts' real prefix structure, is `levers/caching.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from inferonomics.errors import LeverError
from inferonomics.ledger.schema import INPUT_COLUMNS, MODALITIES
from inferonomics.levers.base import Scenario, derive, has_tokens
from inferonomics.levers.caching import CacheReplay, describe_policy
from inferonomics.levers.policies import CachePolicy, policy_for


@dataclass(frozen=True)
class AssumedCaching:
    """Prompt caching at an assumed hit rate (see the module docstring): no prefix structure
    needed, and none used."""

    name: ClassVar[str] = "cache"
    hit_rate: Decimal
    """Share of each cacheable prompt read from the cache (0-1)."""
    reads_per_write: Decimal | None = None
    """Each cached token is written once per this many reads (None: writes not counted)."""
    policy: str | None = None
    """anthropic, openai, gemini, gemini-explicit, deepseek; None: each model's own provider's."""
    ttl_seconds: float | None = None
    """The TTL whose write rate bills writes (None: the policy's)."""
    min_tokens: int | None = None
    write_ttl_seconds: float | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario with every row's input re-split at the assumed hit rate: `hit_rate` of each
        cacheable prompt (at least the policy's minimum per request) read from the cache, writes of one per
        `reads_per_write` reads in the policy's write bucket, the rest uncached input. Raises `LeverError`
        for a rate outside 0-1, rates that need more than the whole prompt, or an unknown policy."""
        expr, _ = assumed_rows(scenario, self)
        return scenario.with_ledger(derive(scenario.ledger, expr, "<cache assumed>"))

    def describe(self) -> str:
        """One line: the assumed share of cacheable input read from the cache, marked as assumed."""
        return f"prompt caching, {self.hit_rate * 100:g}% of cacheable input read from cache (assumed)"

    def assumptions(self) -> list[str]:
        """That the hit rate is assumed rather than replayed, and how writes are counted (not at all, or
        once per `reads_per_write` reads)."""
        return [
            f"an assumed hit rate of {self.hit_rate * 100:g}% of each cacheable prompt, not replayed",
            "cache writes not counted"
            if self.reads_per_write is None
            else f"every cached token written once per {self.reads_per_write} reads",
        ]


def assumed_rows(
    scenario: Scenario, lever: AssumedCaching
) -> tuple[ir.Table, dict[tuple[str, str], CachePolicy]]:
    """The rows re-split by an assumed hit rate: one expression, no replay."""
    h = Fraction(lever.hit_rate)
    w = Fraction(0) if lever.reads_per_write is None else 1 / Fraction(lever.reads_per_write)
    if not 0 <= h <= 1:
        raise LeverError(f"a hit rate is a share between 0 and 1, got {lever.hit_rate}")
    if lever.reads_per_write is not None and lever.reads_per_write <= 0:
        raise LeverError(f"reads per write must be > 0, got {lever.reads_per_write}")
    if h * (1 + w) > 1:
        raise LeverError(
            f"a hit rate of {lever.hit_rate} with a write every {lever.reads_per_write} reads needs more "
            "than the whole prompt: lower the hit rate or raise reads per write"
        )
    ledger = scenario.ledger
    keys = ledger.keys().table.select(["provider", "model"]).to_pylist()
    pairs = sorted({(k["provider"], k["model"]) for k in keys if k["provider"] and k["model"]})
    try:
        policies = {
            pair: policy_for(
                scenario.book,
                *pair,
                policy=lever.policy,
                ttl_seconds=lever.ttl_seconds,
                min_tokens=lever.min_tokens,
                write_ttl_seconds=lever.write_ttl_seconds,
            )
            for pair in pairs
        }
    except ValueError as e:
        raise LeverError(str(e)) from None
    r = ledger.rows

    def per_pair(value: Any, default: Any) -> ir.Value:
        if not pairs:
            return ibis.literal(default)
        return ibis.cases(
            *(((r.provider == p) & (r.model == m), value(policies[(p, m)])) for p, m in pairs), else_=default
        )

    prompt = sum((r[c] for c in INPUT_COLUMNS[1:]), r[INPUT_COLUMNS[0]])
    minimum = per_pair(lambda p: p.min_tokens, 0)
    cacheable = prompt >= minimum * r.requests
    read = ibis.cases((cacheable, prompt * h.numerator // h.denominator), else_=0)
    written = read * w.numerator // w.denominator if w else ibis.literal(0, "int64")
    new: dict[str, ir.Value] = {"cache_read_tokens": read}
    apart = ibis.literal(False)
    for col in INPUT_COLUMNS[2:]:
        mine = per_pair(lambda p, col=col: p.write_column == col, False)
        new[col] = ibis.cases((mine, written), else_=0)
        apart = apart | mine
    new["input_tokens"] = prompt - read - ibis.cases((apart, written), else_=0)
    room = new["input_tokens"]
    before: ir.IntegerValue = ibis.literal(0, "int64")
    parts = [f"{b}_{m}_tokens" for b in ("input", "cache_read") for m in MODALITIES]
    for m in MODALITIES if has_tokens(r, parts) else ():
        # A modality's share of the reads is its share of the prompt; the rest stays uncached as
        # far as the uncached input holds it (what went to a cache write is billed as a write).
        # Clamped to the room the modalities before it leave, without nesting one clamp in the next.
        total = r[f"input_{m}_tokens"] + r[f"cache_read_{m}_tokens"]
        read_m = ibis.cases((prompt > 0, total * read // ibis.greatest(prompt, 1)), else_=0)
        input_m = ibis.least(total - read_m, ibis.greatest(room - before, 0))
        before = before + (total - read_m)
        new[f"cache_read_{m}_tokens"], new[f"input_{m}_tokens"] = read_m, input_m
    return r.mutate(**new), policies


def assumed_replay(scenario: Scenario, lever: AssumedCaching) -> CacheReplay:
    """An assumed hit rate instead of a replay, with its figures."""
    expr, policies = assumed_rows(scenario, lever)
    ledger = scenario.ledger
    total_in = sum((expr[c] for c in INPUT_COLUMNS[1:]), expr[INPUT_COLUMNS[0]])
    counted = (
        expr.aggregate(
            requests=expr.requests.sum(),
            total=total_in.sum(),
            cached=expr.cache_read_tokens.sum(),
            written=sum((expr[c] for c in INPUT_COLUMNS[2:]), ibis.literal(0)).sum(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    by_feature = (
        expr.group_by("feature")
        .aggregate(
            requests=expr.requests.sum(),
            input_tokens_total=total_in.sum(),
            cached_input_tokens=expr.cache_read_tokens.sum(),
        )
        .to_pyarrow()
    )
    return CacheReplay(
        scenario=scenario.with_ledger(derive(ledger, expr, "<cache assumed>")),
        requests=int(counted["requests"] or 0),
        replayed_requests=0,
        below_minimum_requests=0,
        input_tokens_total=int(counted["total"] or 0),
        cached_input_tokens=int(counted["cached"] or 0),
        cache_write_tokens=int(counted["written"] or 0),
        storage_usd=Decimal(0),
        structure="assumed",
        policies=[describe_policy(pair, p) for pair, p in policies.items()],
        storage_by_model={},
        by_feature=by_feature,
    )
