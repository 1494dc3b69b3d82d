"""Cases B2-B5: prompt caching and batch, computed through the levers (`inferonomics.levers`) on
ledgers billed by the engine at the articles' late-2025 list prices (`cases.prices.WHEN`); B5
also replays a real trace (`shared/data/traces/mooncake_fast25`) when it is there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from inferonomics.cases import CaseResult, case, conclude, pct, usd
from inferonomics.cases.prices import WHEN, book, in_out, ledger_of, rates
from inferonomics.cases.verdict import Part, at_least, between, value
from inferonomics.catalog.architectures import shared_data_dir
from inferonomics.levers.assumed import AssumedCaching
from inferonomics.levers.base import Lever, Scenario, measure
from inferonomics.levers.batch import Batch
from inferonomics.levers.caching import Caching

SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5"}


def cost_of(rows: list[dict[str, Any]], *levers: Lever) -> Decimal:
    """The bill of `rows` after `levers` (applied in order)."""
    scenario = Scenario(ledger_of(rows), book())
    for lever in levers:
        scenario = lever.apply(scenario)
    return measure(scenario).cost_usd


def break_even_reads(ttl_seconds: int, prompt: int = 10_000, most: int = 12) -> tuple[int, dict[int, Any]]:
    """Fewest reads after one write at which a cached prefix costs less than sending it each time.
    Session k holds 1 + k identical Sonnet 4.5 prompts a minute apart; all sessions are replayed
    with Anthropic's rules in one ledger and compared with the same sessions billed uncached."""
    start = dt.datetime.combine(WHEN.date(), WHEN.time(), dt.UTC)
    rows = [
        {
            **SONNET,
            "ts": start + dt.timedelta(hours=2 * k, minutes=i),
            "session": f"s{k}",
            "feature": f"k{k}",
            "request_id": f"s{k}-{i}",
            "input_tokens": prompt,
        }
        for k in range(most + 1)
        for i in range(k + 1)
    ]
    scenario = Scenario(ledger_of(rows), book())
    plain = {r["feature"]: r["cost_usd"] for r in measure(scenario, ["feature"]).table.to_pylist()}
    lever = Caching(policy="anthropic", ttl_seconds=ttl_seconds, structure="sessions")
    replayed = measure(lever.apply(scenario), ["feature"]).table.to_pylist()
    cached = {r["feature"]: r["cost_usd"] for r in replayed}
    seen = {k: (cached[f"k{k}"], plain[f"k{k}"]) for k in range(most + 1)}
    for k, (with_cache, without) in seen.items():
        if with_cache < without:
            return k, seen
    raise AssertionError(f"caching never pays within {most} reads")


@case("B2")
def b2() -> CaseResult:
    """The fewest reads after one write at which caching pays, replayed with Anthropic's rules."""
    r = rates("anthropic", "claude-sonnet-4-5")
    base, read = in_out(r)[0], r.cache_read_usd_per_mtok
    assert read is not None
    assert r.cache_write_5m_usd_per_mtok is not None
    assert r.cache_write_1h_usd_per_mtok is not None
    figures: dict[str, Any] = {}
    lines = []
    for label, ttl, write in (
        ("5m", 300, r.cache_write_5m_usd_per_mtok),
        ("1h", 3600, r.cache_write_1h_usd_per_mtok),
    ):
        k, seen = break_even_reads(ttl)
        # A write costs (w - 1) of the prefix more than sending it; each read saves (1 - r) of it.
        exact = (write / base - 1) / (1 - read / base)
        figures[f"reads_{label}"] = k
        figures[f"break_even_{label}"] = exact
        cached, plain = seen[k]
        lines.append(
            f"{label} cache (write x{write / base:.2f}, read x{read / base:.2f}): pays from read {k}; "
            f"with {k} read(s) a 10k-token prefix costs {usd(cached)} cached against {usd(plain)} uncached"
        )
    k5, k1 = figures["reads_5m"], figures["reads_1h"]
    parts = [
        Part.of("article 1, reads for a 5-minute cache to pay", value("2"), k5, main=True),
        Part.of("article 1, reads for a 1-hour cache to pay", value("8"), k1),
        Part.of("article 2, reads for a 5-minute cache to pay", value("1", "~"), k5),
        Part.of("article 2, reads for a 1-hour cache to pay", value("1.5", "~"), k1),
    ]
    return conclude(
        "B2",
        "Cache break-even",
        'Article 1: "2 reads for 5-min cache, 8 reads for 1-hr cache". Article 2: "5-minute cache ~1 cache '
        'read; 1-hour ~1.5 cache reads"',
        parts,
        inputs={
            "model": f"anthropic/claude-sonnet-4-5 at {WHEN:%Y-%m-%d}: input {usd(base)}, 5-minute write "
            f"{usd(r.cache_write_5m_usd_per_mtok)}, 1-hour write {usd(r.cache_write_1h_usd_per_mtok)}, read "
            f"{usd(read)} per MTok",
            "sessions": "one write then k reads of a 10,000-token prefix, a minute apart, replayed with "
            "Anthropic's rules, k = 0..12",
        },
        figures=figures,
        lines=lines,
        notes=[
            f"Caching pays once (w - 1) / (1 - r) reads are passed: {figures['break_even_5m']:.2f} reads for "
            f"5 minutes and {figures['break_even_1h']:.2f} for 1 hour, so from read {k5} and read {k1}."
        ],
    )


B3_MODELS = [
    ("Claude Sonnet 4.5", "anthropic", "claude-sonnet-4-5"),
    ("Claude Opus 4.5", "anthropic", "claude-opus-4-5"),
    ("GPT-5", "openai", "gpt-5"),
    ("GPT-4.1", "openai", "gpt-4.1"),
    ("GPT-4o", "openai", "gpt-4o"),
    ("Gemini 2.5 Pro", "google", "gemini-2.5-pro"),
]


@case("B3")
def b3() -> CaseResult:
    """Cache reads and writes moved to batch, against standard input, on six models."""
    rows = []
    for _, provider, model in B3_MODELS:
        base = {"provider": provider, "model": model, "requests": 100}
        rows.append({**base, "feature": "input", "request_id": f"{model}-i", "input_tokens": 1_000_000})
        rows.append({**base, "feature": "reads", "request_id": f"{model}-r", "cache_read_tokens": 1_000_000})
        rows.append(
            {**base, "feature": "writes", "request_id": f"{model}-w", "cache_write_5m_tokens": 1_000_000}
        )
    # The cache rows move to batch; the input rows stay standard (the reference).
    scenario = Batch(features=("reads", "writes")).apply(Scenario(ledger_of(rows), book()))
    costs = {
        (r["model"], r["feature"]): r["cost_usd"]
        for r in measure(scenario, ["model", "feature"]).table.to_pylist()
    }
    figures: dict[str, Any] = {}
    lines = []
    for label, _, model in B3_MODELS:
        standard, reads, writes = (costs[(model, f)] for f in ("input", "reads", "writes"))
        off = 1 - reads / standard
        figures[label] = {"cached_batch_off": off, "write_batch_off": 1 - writes / standard}
        lines.append(
            f"{label}: 1M input {usd(standard)}; cache reads in batch {usd(reads)} ({pct(off)} off); "
            f"5-minute writes in batch {usd(writes)} ({pct(1 - writes / standard)} off)"
        )
    claude = [label for label, provider, _ in B3_MODELS if provider == "anthropic"]
    others = [label for label, provider, _ in B3_MODELS if provider != "anthropic"]
    parts = [
        Part.of(
            f"{label} cache reads in batch",
            value("95", "approximately"),
            figures[label]["cached_batch_off"] * 100,
            "pct",
        )
        for label in claude
    ]
    return conclude(
        "B3",
        "Batch and caching stack",
        "Approximately 95% off standard pricing for the cached portion (Claude's batch and caching discounts "
        "stack)",
        parts,
        inputs={
            "date": f"{WHEN:%Y-%m-%d}",
            "tokens": "1M input (standard) against 1M cache reads and 1M 5-minute writes moved to batch",
        },
        figures=figures,
        lines=lines,
        notes=[
            f"Claude's batch writes are only {pct(figures[claude[0]]['write_batch_off'])} off. Elsewhere "
            "cache "
            "reads in batch are "
            + ", ".join(f"{pct(figures[label]['cached_batch_off'])} off on {label}" for label in others)
            + "."
        ],
    )


def _monthly(input_tokens: int, **extra: Any) -> list[dict[str, Any]]:
    return [{**SONNET, "requests": 50_000, "input_tokens": input_tokens, **extra}]


@case("B4")
def b4() -> CaseResult:
    """The yearly saving of reading 60% of 500M monthly Sonnet input tokens from cache."""
    rows = _monthly(500_000_000)
    before = cost_of(rows)
    free_writes = cost_of(rows, AssumedCaching(hit_rate=Decimal("0.6")))
    with_writes = cost_of(rows, AssumedCaching(hit_rate=Decimal("0.6"), reads_per_write=Decimal(10)))
    everything = cost_of(rows, AssumedCaching(hit_rate=Decimal(1)))
    yearly, yearly_writes = (before - free_writes) * 12, (before - with_writes) * 12
    figures = {
        "monthly_input_usd": before,
        "yearly_saving_usd": yearly,
        "yearly_saving_with_writes_usd": yearly_writes,
        "yearly_input_usd": before * 12,
        "yearly_saving_all_cached_usd": (before - everything) * 12,
    }
    return conclude(
        "B4",
        "$1M a year from caching 500M tokens a month",
        "500M input tokens a month, 60% cacheable: savings exceed $1 million annually at Sonnet rates",
        [
            Part.of(
                "yearly saving, 60% read from cache",
                at_least("1000000"),
                (yearly_writes, yearly),
                "usd",
                main=True,
            )
        ],
        inputs={
            "model": "anthropic/claude-sonnet-4-5",
            "input tokens a month": "500,000,000",
            "cached": "60% of input read from cache; writes free, or one 5-minute write per 10 reads",
        },
        figures=figures,
        lines=[
            f"input {usd(before)} a month ({usd(before * 12)} a year); 60% cached saves "
            f"{usd(before - free_writes)} a month, {usd(yearly)} a year",
            f"with a write every 10 reads: {usd(yearly_writes)} a year; all input cached: "
            f"{usd(figures['yearly_saving_all_cached_usd'])} a year",
        ],
        notes=[
            f"All 500M input tokens cost {usd(before * 12)} a year at Sonnet's rate, so no caching can save "
            "$1M; "
            f"even 100% cached saves {usd(figures['yearly_saving_all_cached_usd'])}."
        ],
    )


MOONCAKE = "traces/mooncake_fast25/conversation_trace.jsonl"
B5_HITS = ("0.5", "0.7", "0.8", "0.9")


def trace_input_saving() -> tuple[Decimal, dict[str, Any]] | str:
    """Input saving on the Mooncake trace (one hour of Kimi's chat traffic) priced as Sonnet 4.5
    and replayed with Anthropic's rules, writes only where a later request reads (the best a
    5-minute cache does on it); or why it cannot be computed."""
    from inferonomics.ledger.core import Ledger

    path = shared_data_dir() / MOONCAKE
    if not path.is_file():
        return f"the Mooncake trace is not at {MOONCAKE} under the shared data (set INFERONOMICS_SHARED_DATA)"
    ledger = Ledger.open([path], model_as="anthropic/claude-sonnet-4-5", trace_start=WHEN)
    scenario = Scenario(ledger, book())
    after = measure(Caching(policy="anthropic", writes="reused").apply(scenario))
    before = measure(scenario)
    input_rate = in_out(rates("anthropic", "claude-sonnet-4-5"))[0]
    input_before = Decimal(before.input_tokens_total) * input_rate / 1_000_000
    saving = (before.cost_usd - after.cost_usd) / input_before
    return saving, {
        "requests": before.requests,
        "input_tokens": before.input_tokens_total,
        "cached_share": Decimal(after.cache_read_tokens) / before.input_tokens_total,
        "input_cost_before": input_before,
        "bill_before": before.cost_usd,
        "bill_after": after.cost_usd,
    }


@case("B5")
def b5() -> CaseResult:
    """The input saving of a real high-traffic trace under Anthropic's rules, and the hit-rate grid."""
    scenario = Scenario(ledger_of(_monthly(100_000_000)), book())
    before = measure(scenario).cost_usd
    grid: dict[str, Decimal] = {}
    lines = []
    for k in (None, Decimal(10)):
        cells = []
        for h in B5_HITS:
            after = measure(AssumedCaching(hit_rate=Decimal(h), reads_per_write=k).apply(scenario)).cost_usd
            grid[f"h={h},k={k or 'inf'}"] = 1 - after / before
            cells.append(f"h={h}: {pct(1 - after / before)}")
        lines.append(f"{'writes free' if k is None else f'a write every {k} reads'}: " + ", ".join(cells))
    # The saving is linear in the hit rate h (writes free): per unit of h it saves this much.
    slope = grid["h=0.8,k=inf"] / Decimal("0.8")
    needs = {target: Decimal(target) / 100 / slope for target in ("70", "80")}
    trace = trace_input_saving()
    figures: dict[str, Any] = {"grid": grid, "hit_rate_needed": needs}
    if isinstance(trace, str):
        part = Part.of(
            "input saving on a real high-traffic trace",
            between("70", "80", "typically"),
            None,
            "pct",
            reason=trace,
        )
    else:
        saving, seen = trace
        figures["trace"] = {"input_saving": saving, **seen}
        part = Part.of(
            "input saving on the Mooncake trace (Sonnet 4.5, Anthropic's rules)",
            between("70", "80", "typically"),
            saving * 100,
            "pct",
            main=True,
        )
        lines.append(
            f"Mooncake trace ({seen['requests']:,} requests, {seen['input_tokens']:,} input tokens) as "
            "Sonnet 4.5, "
            f"5-minute cache, writes only where read: {pct(seen['cached_share'])} of input read from cache; "
            f"input {usd(seen['input_cost_before'])}, bill {usd(seen['bill_before'])} -> "
            f"{usd(seen['bill_after'])}"
        )
    return conclude(
        "B5",
        "Input savings of 70-80% from caching",
        "For high-frequency applications, input token savings from caching typically reach 70-80%",
        [part],
        inputs={
            "model": "anthropic/claude-sonnet-4-5 (read 0.1x, 5-minute write 1.25x input)",
            "grid": "hit rate h (share of input read from cache) x reads per write k, on 100M input tokens",
            "trace": f"shared data {MOONCAKE}, one hour, priced as Sonnet 4.5 from {WHEN:%Y-%m-%d}",
        },
        figures=figures,
        lines=lines,
        notes=[
            f"At Claude's rates the input saving is {pct(slope)} of the hit rate (less with writes): 70% "
            "needs "
            f"h >= {pct(needs['70'])} and 80% needs h >= {pct(needs['80'])} even with free writes."
        ],
    )
