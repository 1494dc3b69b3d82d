"""Cases C1-C4: routing, thinking tokens and the six-step playbook, computed through the levers
(`inferonomics.levers`) on ledgers billed by the engine at the articles' late-2025 list prices
(`cases.prices.WHEN`)."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from inferonomics.billing.rollup import effective_rates
from inferonomics.cases import CaseResult, case, conclude, pct, usd
from inferonomics.cases.caching import SONNET, cost_of
from inferonomics.cases.prices import WHEN, book, in_out, ledger_of, rates
from inferonomics.cases.verdict import Part, between, value
from inferonomics.levers.base import Lever, Scenario, measure
from inferonomics.levers.caps import OutputCap
from inferonomics.levers.playbook import compound, run
from inferonomics.levers.pricing import Discount
from inferonomics.levers.routing import Route

# The ends of C1's stated ranges (Haiku, Sonnet, Opus shares): the cheapest mix the ranges
# allow, their mid-points, and the dearest.
MIXES = {"low": ("0.6", "0.3", "0.1"), "mid": ("0.5", "0.35", "0.15"), "high": ("0.4", "0.4", "0.2")}
TIERS = (
    ("simple", "anthropic", "claude-haiku-4-5"),
    ("medium", "anthropic", "claude-sonnet-4-5"),
    ("complex", "anthropic", "claude-opus-4-5"),
)
ROUTES = Route(tuple((None, (task,), f"{provider}/{model}") for task, provider, model in TIERS))


def _mix_rows(mix: tuple[str, str, str], total: int = 100_000_000) -> list[dict[str, Any]]:
    return [
        {
            **SONNET,
            "feature": task,
            "requests": 1000,
            "input_tokens": int(total * Decimal(share)),
            "output_tokens": int(total * Decimal(share)),
            "request_id": task,
        }
        for (task, _, _), share in zip(TIERS, mix, strict=True)
    ]


@functools.cache
def routed(name: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """C1's mix `name` routed from all-Sonnet: (input $/MTok, output $/MTok, bill, all-Sonnet bill)."""
    scenario = Scenario(ledger_of(_mix_rows(MIXES[name])), book())
    after = measure(ROUTES.apply(scenario))
    eff = effective_rates(after.table)
    blend_in, blend_out = eff["input_usd_per_mtok"], eff["output_usd_per_mtok"]
    assert blend_in is not None
    assert blend_out is not None
    return blend_in, blend_out, after.cost_usd, measure(scenario).cost_usd


@case("C1")
def c1() -> CaseResult:
    """The blended rate of the stated routing mixes (their cheapest and dearest ends)."""
    figures: dict[str, Any] = {}
    lines = []
    for name, mix in MIXES.items():
        blend_in, blend_out, _, _ = routed(name)
        figures[name] = {"input": blend_in, "output": blend_out}
        lines.append(
            f"Haiku {pct(Decimal(mix[0]))}, Sonnet {pct(Decimal(mix[1]))}, Opus {pct(Decimal(mix[2]))}: "
            f"{usd(blend_in)} / {usd(blend_out)} per MTok"
        )
    (h_in, _), (s_in, _), (o_in, _) = (in_out(rates(p, m)) for _, p, m in TIERS)
    # The Haiku share that blends input to the claimed $1.60 with Opus at its stated minimum 10%.
    opus = Decimal(MIXES["low"][2])
    haiku_needed = (s_in * (1 - opus) + o_in * opus - Decimal("1.60")) / (s_in - h_in)
    figures["haiku_share_for_claim"] = haiku_needed
    low, high = figures["low"], figures["high"]
    parts = [
        Part.of(
            "blended input", value("1.60", "approximately"), (low["input"], high["input"]), "usd", main=True
        ),
        Part.of("blended output", value("8.00", "approximately"), (low["output"], high["output"]), "usd"),
    ]
    return conclude(
        "C1",
        "Routing: blended rates",
        "40-60% of requests to Haiku, 30-40% to Sonnet, 10-20% to Opus: the blended cost per million tokens "
        "drops from $3 / $15 (all Sonnet) to approximately $1.60 / $8.00",
        parts,
        inputs={
            "models": "Haiku 4.5, Sonnet 4.5, Opus 4.5 at " + f"{WHEN:%Y-%m-%d}",
            "mixes": "the ends of the stated ranges (60/30/10 is the cheapest they allow, 40/40/20 the "
            "dearest)",
            "tokens": "100M input and 100M output, each routed by its task's share",
        },
        figures=figures,
        lines=lines,
        notes=[
            f"With Opus at its minimum {pct(opus)}, a $1.60 input blend needs {pct(haiku_needed)} of "
            "requests on "
            f"Haiku, outside the stated {pct(Decimal('0.4'))}-{pct(Decimal(MIXES['low'][0]))}."
        ],
    )


@case("C2")
def c2() -> CaseResult:
    """8K thinking tokens added to 50K output tokens on Sonnet 4.5."""
    rows = [{**SONNET, "output_tokens": 58_000, "reasoning_tokens": 8_000}]
    with_thinking = cost_of(rows)
    without = cost_of(rows, OutputCap(max_reasoning=0))
    premium = with_thinking / without - 1
    return conclude(
        "C2",
        "Thinking premium on Sonnet 4.5",
        "50K output tokens cost $0.75; with 8K thinking tokens added, $0.87 (a 16% premium)",
        [
            Part.of("50K output tokens", value("0.75"), without, "usd"),
            Part.of("with 8K thinking tokens", value("0.87"), with_thinking, "usd", main=True),
            Part.of("premium", value("16"), premium * 100, "pct"),
        ],
        inputs={
            "model": "anthropic/claude-sonnet-4-5",
            "tokens": "50,000 output + 8,000 thinking (billed as output)",
        },
        figures={"without": without, "with": with_thinking, "premium": premium},
        lines=[f"without thinking {usd(without)}, with {usd(with_thinking)}: +{pct(premium)}"],
    )


@case("C3")
def c3() -> CaseResult:
    """A month of 4,000 thinking tokens on each of 100,000 daily Opus 4.5 requests."""
    start = dt.datetime(2025, 12, 1, 12, tzinfo=dt.UTC)  # a month after Opus 4.5's 2025-11-24 launch
    rows = [
        {
            "provider": "anthropic",
            "model": "claude-opus-4-5",
            "ts": start + dt.timedelta(days=d),
            "request_id": f"day-{d}",
            "requests": 100_000,
            "output_tokens": 400_000_000,
            "reasoning_tokens": 400_000_000,
        }
        for d in range(30)
    ]
    monthly = cost_of(rows) - cost_of(rows, OutputCap(max_reasoning=0))
    daily = monthly / 30
    notes = []
    if daily == 10_000:
        notes.append(f"The claimed $10,000 is the daily cost ({usd(daily)}).")
    return conclude(
        "C3",
        "Thinking tokens on Opus 4.5",
        "4,000 extra thinking tokens per request across 100,000 daily requests on Opus 4.5 ($25/MTok "
        "output): "
        "$10,000 a month in thinking tokens alone",
        [Part.of("thinking tokens a month", value("10000"), monthly, "usd", main=True)],
        inputs={
            "model": "anthropic/claude-opus-4-5",
            "traffic": "100,000 requests a day x 4,000 thinking tokens, 30 days from 2025-12-01",
        },
        figures={"daily": daily, "monthly": monthly},
        lines=[f"thinking costs {usd(daily)} a day, {usd(monthly)} over 30 days"],
        notes=notes,
    )


C4_STEPS = (
    ("routing", "0.40", "0.60"),
    ("caching", "0.20", "0.40"),
    ("batch (50% off 30-50% of volume)", "0.15", "0.25"),
    ("output optimisation", "0.15", "0.30"),
    ("thinking right-sizing", "0.10", "0.20"),
    ("volume commitment", "0.15", "0.30"),
)


@case("C4")
def c4() -> CaseResult:
    """The six steps compounded at their stated low and high ends; routing checked against C1's mixes."""
    rows = [{**SONNET, "requests": 100_000, "input_tokens": 700_000_000, "output_tokens": 300_000_000}]
    ledger = ledger_of(rows)
    figures: dict[str, Any] = {}
    lines = []
    for end in ("low", "high"):
        shares = [Decimal(lo if end == "low" else hi) for _, lo, hi in C4_STEPS]
        # Each step as a lever that saves exactly its stated share of what it is given.
        steps: list[Lever] = [Discount(s * 100) for s in shares]
        book_run = run(ledger, book(), steps)
        figures[end] = {
            "compounded": book_run.saving_share,
            "product_rule": compound(shares),
            "added": sum(shares, Decimal(0)),
        }
        lines.append(
            f"{end} ends ({', '.join(pct(s) for s in shares)}): compounded {pct(book_run.saving_share)} "
            f"({usd(book_run.baseline.cost_usd)} -> {usd(book_run.final.cost_usd)}); added "
            f"{pct(figures[end]['added'])}"
        )
    routing = {name: 1 - routed(name)[2] / routed(name)[3] for name in MIXES}
    figures["routing_saving_c1_mix"] = routing
    lines.append(
        f"routing with C1's own mixes, from all-Sonnet: saves {pct(routing['high'])} to {pct(routing['low'])}"
    )
    low, high = figures["low"]["compounded"], figures["high"]["compounded"]
    parts = [
        Part.of(
            "the six steps compounded",
            between("65", "85", "typically"),
            (low * 100, high * 100),
            "pct",
            main=True,
        ),
        Part.of(
            "routing with C1's stated mixes",
            between("40", "60"),
            (routing["high"] * 100, routing["low"] * 100),
            "pct",
        ),
    ]
    return conclude(
        "C4",
        "The six-step playbook",
        "Routing 40-60%, caching 20-40%, batch 50% on the 30-50% of volume that can move, output "
        "optimisation "
        "15-30%, thinking right-sizing 10-20%, volume commitment 15-30%: executed in sequence, these six "
        "steps "
        "typically reduce total spend by 65-85%",
        parts,
        inputs={
            "ledger": "a month of 700M input + 300M output Sonnet 4.5 tokens",
            "steps": "each a discount of exactly its stated share of what the previous steps left",
        },
        figures=figures,
        lines=lines,
        notes=[
            "Savings compound on what is left: added, the stated steps would give "
            f"{pct(figures['low']['added'])} to "
            f"{pct(figures['high']['added'])}."
        ],
    )
