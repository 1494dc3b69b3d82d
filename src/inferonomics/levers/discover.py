"""Discovery: the savings a ledger itself points at, each as a lever the engine can bill, with the
evidence that justifies it, the features it touches and what must hold for the saving to be real.

* **cache**: features whose prompts repeat a prefix (a first prefix block sent before, multi-turn
  sessions, many prompts of one exact size) but read little from a cache, and features whose cache
  writes are rarely read; the step replays caching with each provider's rules and, per model, the
  cheaper TTL where the provider offers a choice (Anthropic 5 minutes or 1 hour);
* **cap**: features whose output (or reasoning) runs away: a cap at the chosen percentile would cut
  at least `cap_min_cut` of the feature's output tokens; p50 / p95 / p99 / max and the share of
  requests truncated are the evidence;
* **route**: standard-tier traffic on a model at least `route_min_factor` times dearer per request
  than a small model of the same provider, shaped like a small model's job (p95 output at most
  `route_max_output` tokens, output/input at most `route_max_ratio`); flagged "verify with an
  evaluation" unless a user's quality table says the target is acceptable (the table overrides the
  heuristic both ways);
* **batch**: features that do not need an answer now: bursts from one user (at least
  `burst_requests` in `burst_seconds`), off-hours traffic, features already using batch or flex, or
  features the user marks; never a feature whose requests come in multi-request sessions;
* **commit**: a commitment from a sheet the user supplies, where every month's spend with the
  provider covers it.

Applied in that order (see `ORDER`): the caching replay reads the prompts as recorded; caps and
routes rewrite tokens and models; batch then moves what is left to the batch tier at the routed
model's batch prices; a commitment discounts the rest. Other routes and regions are in
`discover_where.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from inferonomics.catalog.book import PriceBook
from inferonomics.errors import LeverError
from inferonomics.ledger.core import Ledger
from inferonomics.levers.base import Lever
from inferonomics.levers.batch import Batch
from inferonomics.levers.caching import Caching
from inferonomics.levers.caps import OutputCap
from inferonomics.levers.discover_candidate import Candidate, Chain, DiscoveryOptions
from inferonomics.levers.discover_route import route_candidate
from inferonomics.levers.discover_signals import cap_cuts, feature_signals, model_signals, narrow
from inferonomics.levers.discover_where import commitments, where

ORDER = ("cache", "cap", "route", "batch", "where", "commit")
"""The levers discovery proposes, in the order they are applied."""


@dataclass(frozen=True)
class Discovery:
    """What discovery found: candidates in the order they are applied, the per-feature signals it read,
    and notes on what it looked for and did not propose, and why."""

    candidates: list[Candidate]
    signals: list[dict[str, Any]]
    notes: list[str]

    def levers(self) -> list[Lever]:
        """The candidates' levers, in the order they are applied."""
        return [c.action for c in self.candidates]

    def as_dict(self) -> dict[str, Any]:
        """The discovery as plain data: candidates, per-feature signals and notes."""
        return {
            "candidates": [c.as_dict() for c in self.candidates],
            "signals": self.signals,
            "notes": self.notes,
        }


def _share(part: int | None, whole: int | None) -> float:
    return float(part or 0) / float(whole) if whole else 0.0


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


ALL = "(all traffic)"
"""How a ledger without a feature column is named: its traffic is treated as one feature."""


def _whole(signals: list[dict[str, Any]]) -> bool:
    """Whether no row has a feature: then the ledger's traffic is one workload."""
    return len(signals) == 1 and signals[0]["feature"] is None


def _label(feature: str | None) -> str:
    return ALL if feature is None else feature


def _scope(labels: Sequence[str | None]) -> tuple[str, ...] | None:
    """A lever's features for these labels: None (every row) for the whole unlabelled ledger."""
    return None if ALL in labels or None in labels else tuple(str(x) for x in labels)


def _touched(labels: list[str]) -> list[str]:
    return [x for x in labels if x != ALL]


def _interactive(s: dict[str, Any], options: DiscoveryOptions) -> bool:
    return _share(s["session_requests"], s["requests"]) >= options.interactive_share


def _batch(signals: list[dict[str, Any]], options: DiscoveryOptions, notes: list[str]) -> Candidate | None:
    chosen: list[str] = []
    evidence: list[str] = []
    detail: dict[str, Any] = {}
    for s in signals:
        f = s["feature"]
        if (f is None and not _whole(signals)) or not s["standard_requests"]:
            continue
        burst = _share(s["burst_requests"], s["requests"])
        night = _share(s["off_hours_requests"], s["requests"])
        tolerant = _share(s["tolerant_requests"], s["requests"])
        in_sessions = _share(s["session_requests"], s["requests"])
        why = []
        if f in options.batch_features:
            why.append("marked by the user as not needing an answer now")
        if burst >= options.burst_share:
            why.append(
                f"{_pct(burst)} of its requests arrive in bursts of >= {options.burst_requests} "
                f"from one user within {options.burst_seconds // 60} min"
            )
        # Off-hours means something only over whole days (a one-hour trace is all one hour).
        if night >= options.off_hours_share and s["span_hours"] >= 24:
            why.append(f"{_pct(night)} of its requests arrive off-hours (22:00-06:00 UTC)")
        if tolerant > 0:
            why.append(f"{_pct(tolerant)} of its requests already use batch or flex")
        if not why:
            continue
        if _interactive(s, options) and f not in options.batch_features:
            notes.append(
                f"batch: {_label(f)} not proposed: {_pct(in_sessions)} of its requests are in multi-request "
                "sessions (interactive)"
            )
            continue
        chosen.append(_label(f))
        evidence.append(
            f"{_label(f)}: {'; '.join(why)}; {_pct(in_sessions)} in multi-request sessions; "
            f"{s['standard_requests']:,} standard-tier requests to move"
        )
        detail[_label(f)] = {
            "burst_share": burst,
            "off_hours_share": night,
            "tolerant_share": tolerant,
            "session_share": in_sessions,
            "users": s["users"],
        }
    if not chosen:
        notes.append("batch: no feature arrives in bursts, off-hours or already on batch/flex")
        return None
    return Candidate(
        "batch",
        Batch(features=_scope(chosen)),
        _touched(chosen),
        evidence,
        ["nothing waits on these features' answers: a job, not a person"],
        "results arrive late: a job that feeds a person waiting breaks",
        detail=detail,
    )


def _cap(
    rows: ir.Table, signals: list[dict[str, Any]], options: DiscoveryOptions, notes: list[str]
) -> Candidate | None:
    q = round(options.cap_percentile * 100, 1)
    proposed: dict[str | None, tuple[int | None, int | None]] = {}
    for s in signals:
        f = s["feature"]
        if (f is None and not _whole(signals)) or not s["output_tokens"]:
            continue
        caps: list[int | None] = []
        for kind in ("output", "reasoning"):
            at = s[f"{kind}_at_cap_percentile"]
            cap = None if at is None else max(1, int(-(-at // 1)))
            caps.append(cap if cap is not None and (s[f"{kind}_max"] or 0) > cap else None)
        if caps != [None, None]:
            proposed[f] = (caps[0], caps[1])
    cuts = cap_cuts(rows, proposed)
    levers: list[Lever] = []
    features: list[str] = []
    evidence: list[str] = []
    detail: dict[str, Any] = {}
    by_feature = {s["feature"]: s for s in signals}
    for f, (out_cap, reason_cap) in proposed.items():
        s, cut = by_feature[f], cuts.get(f, {"truncated_requests": 0, "cut_tokens": 0})
        share = _share(cut["cut_tokens"], s["output_tokens"])
        tails = (
            f"output p50/p95/p99/max {s['output_p50']:,.0f}/{s['output_p95']:,.0f}/"
            f"{s['output_p99']:,.0f}/{s['output_max']:,}"
        )
        if s["reasoning_tokens"]:
            tails += (
                f", reasoning {s['reasoning_p50']:,.0f}/{s['reasoning_p95']:,.0f}/"
                f"{s['reasoning_p99']:,.0f}/{s['reasoning_max']:,}"
            )
        if share < options.cap_min_cut:
            if share > 0.01:
                notes.append(
                    f"cap: {_label(f)} not proposed: a p{q:g} cap cuts {_pct(share)} of its output ({tails})"
                )
            continue
        truncated = _share(cut["truncated_requests"], s["requests"])
        if reason_cap is not None and out_cap is None:
            # A reasoning cap alone: only reasoning runs away.
            pass
        levers.append(OutputCap(max_output=out_cap, max_reasoning=reason_cap, features=_scope([f])))
        features.append(_label(f))
        caps_text = " and ".join(
            t
            for t in (out_cap and f"output at {out_cap:,}", reason_cap and f"reasoning at {reason_cap:,}")
            if t
        )
        evidence.append(
            f"{_label(f)}: {tails}; capping {caps_text} (p{q:g}) truncates {_pct(truncated)} of its "
            f"requests and cuts {_pct(share)} of its output tokens ({cut['cut_tokens']:,})"
        )
        detail[_label(f)] = {
            "output_cap": out_cap,
            "reasoning_cap": reason_cap,
            "truncated_requests": cut["truncated_requests"],
            "truncated_share": truncated,
            "cut_tokens": cut["cut_tokens"],
            "cut_share": share,
            **{
                k: s[k] for k in s if k.startswith(("output_p", "output_max", "reasoning_p", "reasoning_max"))
            },
        }
    if not levers:
        notes.append(
            f"cap: no feature's output runs away (a p{q:g} cap would cut < {_pct(options.cap_min_cut)})"
        )
        return None
    return Candidate(
        "cap",
        levers[0] if len(levers) == 1 else Chain(tuple(levers), "cap"),
        _touched(features),
        evidence,
        ["the truncated answers are runaways nobody reads in full (max_tokens set per feature)"],
        f"up to {_pct(max(d['truncated_share'] for d in detail.values()))} of a feature's requests "
        "come back cut short",
        detail=detail,
    )


def _cache(
    structure: tuple[bool, bool], signals: list[dict[str, Any]], options: DiscoveryOptions, notes: list[str]
) -> Candidate | None:
    has_hashes, has_sessions = structure
    features: list[str] = []
    evidence: list[str] = []
    detail: dict[str, Any] = {}
    for s in signals:
        f = s["feature"]
        if (f is None and not _whole(signals)) or not s["input_total"]:
            continue
        recorded = _share(s["cache_read_tokens"], s["input_total"])
        repeat = s["repeat_block_share"]
        turns = _share(s["session_requests"], s["requests"])
        equal = _share(s["equal_size_requests"], s["requests"])
        writes = int(s["cache_write_tokens"] or 0)
        reads_per_write = _share(s["cache_read_tokens"], writes)
        found = []
        mean_prompt = int(s["input_total"]) // max(int(s["requests"]), 1)
        if repeat >= options.cache_min_repeat and repeat * mean_prompt >= options.cache_min_tokens:
            found.append(
                f"{_pct(repeat)} of its prompt blocks repeat a block an earlier request sent "
                f"(about {repeat * mean_prompt:,.0f} tokens of a {mean_prompt:,}-token mean prompt)"
            )
        if turns >= options.cache_min_repeat:
            found.append(f"{_pct(turns)} of its requests are later turns of sessions (each repeats the last)")
        if equal >= options.cache_min_repeat:
            found.append(
                f"{_pct(equal)} of its requests have a prompt size shared by >= 1% of them (a template)"
            )
        paying = found and recorded < options.cache_max_recorded
        rarely_read = writes > 0 and reads_per_write < 1
        if not paying and not rarely_read:
            continue
        seen = "; ".join(found) if found else "no repeated prefix seen"
        text = f"{_label(f)}: {seen}; cache reads are {_pct(recorded)} of its input"
        if rarely_read:
            text += f"; its cache writes ({writes:,} tokens) are read {reads_per_write:.2f} times each"
        evidence.append(text)
        features.append(_label(f))
        detail[_label(f)] = {
            "recorded_cached_share": recorded,
            "repeat_share": repeat,
            "session_share": turns,
            "equal_size_share": equal,
            "cache_write_tokens": writes,
            "reads_per_write": reads_per_write,
        }
    if not features:
        notes.append("cache: no feature repeats a prefix while paying full price")
        return None
    if not (has_hashes or has_sessions):
        notes.append(
            "cache: " + ", ".join(features) + " look cacheable but the ledger has no prefix structure "
            "(no prefix_hashes, no sessions): declare the shared prefix with --lever cache:system_tokens=N"
        )
        return None
    return Candidate(
        "cache",
        Caching(choose_ttl=True, writes=options.cache_writes),
        _touched(features),
        evidence,
        [
            "the application marks the shared prefix cacheable (a breakpoint after it) and keeps it first",
            "the prefix structure seen ("
            + ("block hashes" if has_hashes else "sessions")
            + ") is the real one",
        ],
        "a prompt whose start changes per request (a timestamp, a user name first) caches nothing",
        detail=detail,
    )


def ledger_structure(ledger: Ledger) -> tuple[bool, bool]:
    """Whether the ledger has prefix hashes and sessions (one aggregate)."""
    r = ledger.rows
    row = (
        r.aggregate(h=r.prefix_hashes.notnull().sum(), s=r.session.notnull().sum())
        .to_pyarrow()
        .to_pylist()[0]
    )
    return bool(row["h"]), bool(row["s"])


def discover(
    ledger: Ledger, book: PriceBook | None = None, options: DiscoveryOptions | None = None
) -> Discovery:
    """The savings the ledger points at (see the module docstring), as candidates in the order they are
    applied. Raises `LeverError` for a lever name in `only` / `skip` that discovery does not know, or a
    cap percentile outside (0, 1)."""
    options = options or DiscoveryOptions()
    for name in (*(options.only or ()), *options.skip):
        if name not in ORDER:
            raise LeverError(f"unknown lever '{name}' for --only/--skip (one of: {', '.join(ORDER)})")
    if not 0 < options.cap_percentile < 1:
        raise LeverError(
            f"the cap percentile is between 0 and 100 (exclusive), got {options.cap_percentile * 100:g}"
        )
    book = book or PriceBook.load()
    structure = ledger_structure(ledger)
    # The validated rows once, as a narrow table: each query below would otherwise re-read and
    # re-check the source (on a 10M-row Parquet file, about as long as a bill).
    rows = narrow(ledger, hashes=structure[0])
    has_hashes = structure[0]
    signals = feature_signals(
        rows,
        burst_seconds=options.burst_seconds,
        burst_requests=options.burst_requests,
        cap_percentile=options.cap_percentile,
        has_hashes=has_hashes,
    )
    notes: list[str] = []
    found: list[Candidate | None] = []
    groups = model_signals(rows) if options.wants("route") or options.wants("where") else []
    if options.wants("cache"):
        found.append(_cache(structure, signals, options, notes))
    if options.wants("cap"):
        found.append(_cap(rows, signals, options, notes))
    if options.wants("route"):
        found.append(route_candidate(ledger, book, options, notes, whole=_whole(signals), groups=groups))
    if options.wants("batch"):
        found.append(_batch(signals, options, notes))
    if options.wants("where"):
        found.append(where(ledger, book, options.where, notes, groups))
    if options.wants("commit"):
        found.append(commitments(ledger, book, options.where, notes))
    return Discovery([c for c in found if c is not None], signals, notes)
