"""Levers in sequence: each step is billed on what the previous steps left, so savings compound
(multiply) rather than add. The playbook ranks the steps by what they saved and keeps, with each,
the assumptions it rests on.

Without levers, `playbook` takes them from discovery (`levers/discover.py`) and keeps, with each
step, the features it touches and the evidence for it.

If step i saves a share s_i of the bill it was given, the whole sequence saves 1 - Π(1 - s_i) of
the baseline: that is the product rule, and it holds by construction (each step's baseline is the
previous step's result). Adding the s_i instead (what "65-85 %" tables do) overstates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pyarrow as pa

from inferonomics.catalog.book import PriceBook
from inferonomics.errors import LeverError
from inferonomics.ledger.core import Ledger
from inferonomics.levers.base import Lever, Scenario, Totals, materialize, measure
from inferonomics.levers.batch import Batch
from inferonomics.levers.caching import Caching
from inferonomics.levers.discover import Discovery, discover
from inferonomics.levers.discover_candidate import DiscoveryOptions


@dataclass(frozen=True)
class Step:
    """One lever's effect on the bill it was given."""

    lever: str
    description: str
    before_usd: Decimal
    after_usd: Decimal
    assumptions: list[str]
    notes: list[str] = field(default_factory=list)
    unpriced_requests: int = 0
    applied: bool = True
    """False when the playbook left the step out (it would have cost more)."""
    features: list[str] = field(default_factory=list)
    """The features the step touches (discovered steps; empty: the whole ledger or not known)."""
    evidence: list[str] = field(default_factory=list)
    """Why discovery proposed the step, one finding a sentence (empty for levers the user gave)."""
    risk: str = ""
    flags: list[str] = field(default_factory=list)
    """What a reader must do before acting on the step (e.g. verify a route with an evaluation)."""

    @property
    def saving_usd(self) -> Decimal:
        """What the step saved, USD (exact): the bill it was given minus the bill after it; 0 when the
        playbook left it out, negative when it raised the bill (a what-if keeps such steps)."""
        return self.before_usd - self.after_usd if self.applied else Decimal(0)

    @property
    def saving_share(self) -> Decimal:
        """The saving as a share of the bill the step was given (exact; 0 when that bill was 0)."""
        return self.saving_usd / self.before_usd if self.before_usd else Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        """The step as plain data for JSON and reports: lever, description, costs before and after, saving
        and its share, unpriced requests, whether it was applied, assumptions and notes."""
        return {
            "lever": self.lever,
            "description": self.description,
            "cost_before_usd": self.before_usd,
            "cost_after_usd": self.after_usd,
            "saving_usd": self.saving_usd,
            "saving_share": self.saving_share,
            "unpriced_requests": self.unpriced_requests,
            "applied": self.applied,
            "assumptions": self.assumptions,
            "notes": self.notes,
            "features": self.features,
            "evidence": self.evidence,
            "risk": self.risk,
            "flags": self.flags,
        }


@dataclass(frozen=True)
class Playbook:
    """Levers applied in sequence: the bill before, after each step, and after all of them."""

    baseline: Totals
    final: Totals
    steps: list[Step]
    notes: list[str] = field(default_factory=list)
    """What the playbook could not try, and why."""
    breakdown: pa.Table | None = None
    """With `by` / `grain`: the bill before and after every step, per group (and period):
    the group columns, `cost_before_usd`, `cost_after_usd`, `saving_usd`. Costs outside the rows
    (cache storage, commitment shortfalls) are not in it; `baseline` and `final` have them."""
    discovery: Discovery | None = None
    """What discovery found, when the playbook's levers came from it."""

    @property
    def saving_usd(self) -> Decimal:
        """The whole sequence's saving, USD (exact): the baseline's total minus the final total, costs
        outside the rows included."""
        return self.baseline.cost_usd - self.final.cost_usd

    @property
    def saving_share(self) -> Decimal:
        """The whole saving as a share of the baseline's total (exact; 0 when the baseline is 0)."""
        base = self.baseline.cost_usd
        return self.saving_usd / base if base else Decimal(0)

    @property
    def compounded_share(self) -> Decimal:
        """1 - Π(1 - s_i): what the steps' own savings compound to (equal to `saving_share`)."""
        return compound([s.saving_share for s in self.steps])

    @property
    def added_share(self) -> Decimal:
        """Σ s_i: what adding the steps' savings would (wrongly) claim."""
        return sum((s.saving_share for s in self.steps), Decimal(0))

    @property
    def ranked(self) -> list[Step]:
        """The steps, largest saving first (steps left out, at 0, included)."""
        return sorted(self.steps, key=lambda s: s.saving_usd, reverse=True)

    def as_dict(self) -> dict[str, Any]:
        """The playbook as plain data for JSON and reports: totals before and after, the saving and its
        share (compounded, and the wrong added figure), request counts, every step, the steps' levers by
        saving, notes, and the breakdown's rows when there is one."""
        return {
            "cost_before_usd": self.baseline.cost_usd,
            "cost_after_usd": self.final.cost_usd,
            "saving_usd": self.saving_usd,
            "saving_share": self.saving_share,
            "compounded_share": self.compounded_share,
            "added_share": self.added_share,
            "requests": self.baseline.requests,
            "unpriced_requests_before": self.baseline.unpriced_requests,
            "unpriced_requests_after": self.final.unpriced_requests,
            "steps": [s.as_dict() for s in self.steps],
            "ranked": [s.lever for s in self.ranked],
            "notes": self.notes,
            **({} if self.breakdown is None else {"breakdown": self.breakdown.to_pylist()}),
            **({} if self.discovery is None else {"discovery": self.discovery.as_dict()}),
        }


def compound(shares: Sequence[Decimal]) -> Decimal:
    """The saving of steps saving `shares` of what each is given, in sequence: 1 - Π(1 - s)."""
    left = Decimal(1)
    for s in shares:
        left *= 1 - s
    return 1 - left


def run(
    ledger: Ledger,
    book: PriceBook,
    levers: Sequence[Lever],
    *,
    keep: bool = False,
    skip_losers: bool = False,
    by: Sequence[str] = (),
    grain: str | None = None,
) -> Playbook:
    """Apply `levers` in order and bill after each (see the module docstring). With `keep`, each
    step's ledger is materialised (a table on the connection) so the next steps do not recompute
    the chain: worth it for long chains of levers that rewrite every row. With `skip_losers` (a
    playbook), a step that would raise the bill is reported and left out. `by` / `grain` add the
    breakdown of the bill before and after, per group and period."""
    scenario = Scenario(ledger, book)
    start = scenario
    baseline = measure(scenario)
    before = baseline
    steps = []
    for i, lever in enumerate(levers):
        after_scenario = lever.apply(scenario)
        if keep and after_scenario.ledger is not scenario.ledger:
            prefixes_needed = any(isinstance(later, Caching) for later in levers[i + 1 :])
            after_scenario = after_scenario.with_ledger(
                materialize(after_scenario.ledger, keep_prefixes=prefixes_needed)
            )
        after = measure(after_scenario)
        new_notes = list(after_scenario.notes[len(scenario.notes) :])
        applied = not (skip_losers and after.cost_usd > before.cost_usd)
        if not applied:
            new_notes.append(f"left out: it would raise the bill by ${after.cost_usd - before.cost_usd:,.2f}")
        steps.append(
            Step(
                lever=getattr(lever, "label", lever.name),
                description=lever.describe(),
                before_usd=before.cost_usd,
                after_usd=after.cost_usd if applied else before.cost_usd,
                assumptions=lever.assumptions(),
                notes=new_notes,
                unpriced_requests=after.unpriced_requests,
                applied=applied,
            )
        )
        if applied:
            scenario, before = after_scenario, after
    breakdown = _breakdown(start, scenario, by, grain) if by or grain else None
    return Playbook(baseline, before, steps, breakdown=breakdown)


def _breakdown(before: Scenario, after: Scenario, by: Sequence[str], grain: str | None) -> pa.Table:
    """The rows' bill before and after, per group (and period), largest saving first."""
    keys = [*(["period"] if grain else []), *by]
    first = measure(before, by, grain).table
    last = measure(after, by, grain).table

    def costs(table: pa.Table) -> dict[tuple[Any, ...], Decimal]:
        out: dict[tuple[Any, ...], Decimal] = {}
        for r in table.to_pylist():
            k = tuple(r[c] for c in keys)
            out[k] = out.get(k, Decimal(0)) + r["cost_usd"]
        return out

    was, now = costs(first), costs(last)
    rows = [
        {
            **dict(zip(keys, k, strict=True)),
            "cost_before_usd": was.get(k, Decimal(0)),
            "cost_after_usd": now.get(k, Decimal(0)),
            "saving_usd": was.get(k, Decimal(0)) - now.get(k, Decimal(0)),
        }
        for k in dict.fromkeys([*was, *now])
    ]
    rows.sort(key=lambda r: (*(() if not grain else (r["period"],)), -r["saving_usd"]))
    return pa.Table.from_pylist(rows)


def default_levers(ledger: Ledger) -> tuple[list[Lever], list[str]]:
    """The fixed pair of levers the playbook tried before discovery (`levers/discover.py`) replaced
    them, kept as a baseline for benchmarks: caching replayed with each provider's rules and, where
    the provider offers a choice, the cheaper TTL per model (when the ledger has prefix hashes or
    sessions), and batch for the features that already send some traffic to batch or flex."""
    r = ledger.rows
    found = (
        r.aggregate(h=r.prefix_hashes.notnull().sum(), s=r.session.notnull().sum())
        .to_pyarrow()
        .to_pylist()[0]
    )
    levers: list[Lever] = []
    notes: list[str] = []
    if found["h"] or found["s"]:
        levers.append(Caching(choose_ttl=True))
    else:
        notes.append("no caching step: the ledger has no prefix hashes or sessions (use --lever cache:...)")
    tolerant = r.filter(r.service_tier.isin(["batch", "flex"]) & r.feature.notnull())
    features = sorted(tolerant.select("feature").distinct().to_pyarrow()["feature"].to_pylist())
    if features:
        levers.append(Batch(features=tuple(features)))
    else:
        notes.append("no batch step: no feature sends traffic to batch or flex (use --lever batch:...)")
    if not levers:
        raise LeverError("no lever to try: " + "; ".join(notes))
    return levers, notes


def whatif(
    ledger: Ledger,
    levers: Sequence[Lever | str],
    *,
    book: PriceBook | None = None,
    by: Sequence[str] = (),
    grain: str | None = None,
) -> Playbook:
    """Apply `levers` (objects, or text such as "batch:features=summarize") in order and bill
    after each; `by` and `grain` break the bill before and after down by columns and time."""
    from inferonomics.levers.spec import parse_lever

    parsed = [parse_lever(x) if isinstance(x, str) else x for x in levers]
    if not parsed:
        raise LeverError("a what-if needs at least one lever (e.g. batch:share=0.5)")
    return run(ledger, book or PriceBook.load(), parsed, by=by, grain=grain)


def playbook(
    ledger: Ledger,
    levers: Sequence[Lever | str] | None = None,
    *,
    book: PriceBook | None = None,
    by: Sequence[str] = (),
    grain: str | None = None,
    options: DiscoveryOptions | None = None,
) -> Playbook:
    """The savings playbook: `levers`, or without them the candidates discovery finds in the ledger
    (`levers/discover.py`, tuned by `options`), applied in sequence, each billed by the engine on what
    the previous ones left; a step that would raise the bill is reported and left out. Discovered
    steps carry the features they touch, their evidence, assumptions, risk and flags."""
    from inferonomics.levers.spec import parse_lever

    book = book or PriceBook.load()
    if levers:
        parsed = [parse_lever(x) if isinstance(x, str) else x for x in levers]
        return run(ledger, book, parsed, skip_losers=True, by=by, grain=grain)
    found = discover(ledger, book, options)
    result = run(ledger, book, found.levers(), skip_losers=True, by=by, grain=grain)
    steps = [
        replace(
            step,
            features=c.features,
            evidence=c.evidence,
            risk=c.risk,
            flags=c.flags,
            assumptions=list(dict.fromkeys([*c.assumptions, *step.assumptions])),
        )
        for step, c in zip(result.steps, found.candidates, strict=True)
    ]
    return replace(result, steps=steps, notes=[*result.notes, *found.notes], discovery=found)
