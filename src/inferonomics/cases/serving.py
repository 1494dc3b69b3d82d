"""Cases D1, D2, D3 and D5: the true cost of serving, from the serving model (through
`cases/true_cost.py` and `cases/self_hosting.py`), with API prices from the price book.

The serving model reads model architectures from the shared data (`models/hf_configs`); where they
are absent the parts that need them are not computable, with that reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from inferonomics.cases import CaseResult, case, conclude, pct, usd
from inferonomics.cases.prices import WHEN, in_out, rates
from inferonomics.cases.self_hosting import d5_break_even
from inferonomics.cases.true_cost import (
    D1Result,
    d1_article_chain,
    d1_sound_model,
    d2_margin_table,
    d3_session_cost,
)
from inferonomics.cases.verdict import Part, at_least, between, decide, value
from inferonomics.catalog.architectures import default_configs_dir

NO_CONFIGS = (
    "the serving model needs the model configs of the shared data (models/hf_configs; set "
    "INFERONOMICS_SHARED_DATA)"
)


def configs_missing() -> str | None:
    """Why the serving model cannot load the cases' open models, or None when it can."""
    return None if default_configs_dir().is_dir() else NO_CONFIGS


def lower_first(text: str) -> str:
    """A sentence to follow a colon."""
    return text[:1].lower() + text[1:]


def book_price(provider: str, model: str, at: dt.datetime = WHEN) -> tuple[Decimal, Decimal]:
    """A model's input and output list prices in the book at `at`."""
    return in_out(rates(provider, model, at=at))


_d1: D1Result | None = None


def d1_result() -> D1Result:
    """D1 under the serving model, computed once (D3 uses its rates too)."""
    global _d1
    if _d1 is None:
        _d1 = d1_sound_model()
    return _d1


@case("D1")
def d1() -> CaseResult:
    """D1's article against the serving model; the chain under its own assumptions in the notes."""
    a = d1_article_chain()
    chain = decide(
        [
            Part.of("input tokens/hour", value("46.8", "~"), a.input_tokens_per_hour / 10**9, suffix="B"),
            Part.of("input cost", value("0.003", "~"), a.input_usd_per_mtok, "usd"),
            Part.of("output tokens/hour", value("46.7", "~"), a.output_tokens_per_hour / 10**6, suffix="M"),
            Part.of("output cost", value("3.08", "~"), a.output_usd_per_mtok, "usd"),
            Part.of("asymmetry", value("1000", "~"), a.asymmetry, "times"),
        ]
    )
    lines = [
        f"the article's chain: {a.forward_passes_per_s} passes/s per instance x {a.instances} instances -> "
        f"{a.input_tokens_per_hour / 10**9:.2f}B input and {a.output_tokens_per_hour / 10**6:.2f}M output "
        f"tokens/hour; ${a.usd_per_hour}/hour -> {usd(a.input_usd_per_mtok)} / {usd(a.output_usd_per_mtok)} "
        f"per MTok, {a.asymmetry}x"
    ]
    figures: dict[str, Any] = {
        "article_input_tokens_per_hour": a.input_tokens_per_hour,
        "article_output_tokens_per_hour": a.output_tokens_per_hour,
        "article_input_usd_per_mtok": a.input_usd_per_mtok,
        "article_output_usd_per_mtok": a.output_usd_per_mtok,
        "article_asymmetry": a.asymmetry,
    }
    missing = configs_missing()
    costs = []
    why: list[str] = []
    if missing is None:
        result = d1_result()
        why = result.why
        for row in result.sound_model:
            if row.cost is None:
                lines.append(f"{row.deployment}: {row.note}")
                continue
            c = row.cost
            costs.append((c.input_usd_per_mtok, c.output_usd_per_mtok))
            figures[row.deployment] = (c.input_usd_per_mtok, c.output_usd_per_mtok)
            lines.append(
                f"{row.deployment}: {usd(c.input_usd_per_mtok)} in / {usd(c.output_usd_per_mtok)} out per "
                "MTok "
                f"({row.note})"
            )
        lines += why

    def span(values: list[Decimal]) -> tuple[Decimal, Decimal] | None:
        return (min(values), max(values)) if values else None

    parts = [
        Part.of(
            "input cost",
            value("0.003", "~"),
            span([i for i, _ in costs]),
            "usd",
            reason=missing or "",
            main=True,
        ),
        Part.of("output cost", value("3.08", "~"), span([o for _, o in costs]), "usd", reason=missing or ""),
        Part.of(
            "asymmetry (output / input cost)",
            value("1000", "~"),
            span([o / i for i, o in costs]),
            "times",
            reason=missing or "",
        ),
    ]
    return conclude(
        "D1",
        "Serving a DeepSeek-R1-class model on 72 H100s",
        "72 H100s at $2/hour, TP8 instances, batch 32, 1,000-token prompts, 3.35 TB/s, 37B active parameters "
        '"requiring 74GB in FP16": ~46.8B input tokens/hour -> ~$0.003 per million input tokens; ~46.7M '
        "output tokens/hour -> ~$3.08 per million output tokens; the asymmetry is ~1,000x",
        parts,
        inputs={
            "model": "deepseek-ai/DeepSeek-R1 (671B total, 37B active parameters), FP8",
            "GPU-hour": "$2 (the article's)",
            "operating point": "batch 32, 1,000 in / 1,000 out tokens, 100% use",
            "deployments": "8x H100 (the article's instance), 16x H100 (2 nodes), 8x H200",
        },
        figures=figures,
        lines=lines,
        notes=[f"Under the article's own assumptions its chain {chain.verdict}: {lower_first(chain.text)}"],
    )


# The article's stated list prices (input, output $/MTok) and its estimates: the output cost range
# and the margin range, as the case text states them (claims to check; the prices are inputs).
D2_MODELS = {
    "Opus 4.1": ("anthropic", "claude-opus-4-1", ("15", "75"), ("3", "8"), ("90", "96")),
    "Opus 4.5": ("anthropic", "claude-opus-4-5", ("5", "25"), ("2", "5"), ("80", "92")),
    "Sonnet": ("anthropic", "claude-sonnet-4-5", ("3", "15"), ("1", "3"), ("80", "93")),
    "Haiku 4.5": ("anthropic", "claude-haiku-4-5", ("1", "5"), ("0.50", "1"), ("80", "90")),
    "Haiku 3": ("anthropic", "claude-3-haiku", ("0.25", "1.25"), ("0.10", "0.30"), ("76", "92")),
    "DeepSeek V3.2": ("deepseek", "deepseek-chat", ("0.27", "1.10"), ("0.50", "1"), ("9", "55")),
}
D2_TPOT_MS = (25.0, 50.0)


@case("D2")
def d2() -> CaseResult:
    """The article's margins against the serving model's cost of stated proxies, at 25 and 50 ms TPOT."""
    stated = {name: (Decimal(p[0]), Decimal(p[1])) for name, (_, _, p, _, _) in D2_MODELS.items()}
    book = {name: book_price(provider, model) for name, (provider, model, _, _, _) in D2_MODELS.items()}
    missing = configs_missing()
    tables = {} if missing else {slo: d2_margin_table(stated, tpot_slo_ms=slo) for slo in D2_TPOT_MS}
    parts: list[Part] = []
    lines: list[str] = []
    figures: dict[str, Any] = {}
    for name, (_, _, _, cost_range, margin_range) in D2_MODELS.items():
        rows = {slo: next(r for r in table if r.api_model == name) for slo, table in tables.items()}
        for slo in D2_TPOT_MS:
            row = rows.get(slo)
            at = f"{slo:.0f} ms TPOT"
            parts.append(
                Part.of(
                    f"{name} output cost, {at}",
                    between(*cost_range, "~"),
                    row.cost_output_usd_per_mtok if row else None,
                    "usd",
                    reason=missing or "",
                )
            )
            parts.append(
                Part.of(
                    f"{name} output margin, {at}",
                    between(*margin_range),
                    row.margin_output * 100 if row else None,
                    "pct",
                    reason=missing or "",
                    main=name == "Sonnet",
                )
            )
            if name == "Opus 4.1":
                parts.append(
                    Part.of(
                        f"{name} input cost, {at}",
                        value("0.01", "~"),
                        row.cost_input_usd_per_mtok if row else None,
                        "usd",
                        reason=missing or "",
                    )
                )
        price_note = (
            "as the book lists"
            if book[name] == stated[name]
            else f"the book lists {usd(book[name][0])} / {usd(book[name][1])} at {WHEN:%Y-%m-%d}"
        )
        figures[name] = {"book_price": book[name]}
        if rows:
            first = rows[D2_TPOT_MS[0]]
            figures[name].update({f"margin_output_{slo:.0f}ms": r.margin_output for slo, r in rows.items()})
            figures[name].update(
                {f"cost_output_{slo:.0f}ms": r.cost_output_usd_per_mtok for slo, r in rows.items()}
            )
            lines.append(
                f"{name} at {usd(stated[name][0])} / {usd(stated[name][1])} ({price_note}), served as "
                f"{first.proxy}: "
                + "; ".join(
                    f"{slo:.0f} ms TPOT: cost {usd(r.cost_input_usd_per_mtok)} in / "
                    f"{usd(r.cost_output_usd_per_mtok)} "
                    f"out, output margin {pct(r.margin_output)}"
                    for slo, r in rows.items()
                )
            )
        else:
            lines.append(f"{name} at {usd(stated[name][0])} / {usd(stated[name][1])} ({price_note})")
    notes = []
    ds_rows = [next(r for r in t if r.api_model == "DeepSeek V3.2") for t in tables.values()]
    if ds_rows:
        real_out = book["DeepSeek V3.2"][1]
        margins = [1 - r.cost_output_usd_per_mtok / real_out for r in ds_rows]
        figures["DeepSeek V3.2"]["margin_output_at_book_price"] = margins
        notes.append(
            f"DeepSeek V3.2 lists at {usd(book['DeepSeek V3.2'][0])} / {usd(real_out)} in the book, not the "
            f"stated {usd(stated['DeepSeek V3.2'][0])} / {usd(stated['DeepSeek V3.2'][1])}: at its real "
            "output "
            "price the margin is "
            + " and ".join(f"{pct(m)} at {slo:.0f} ms" for m, slo in zip(margins, D2_TPOT_MS, strict=True))
            + "."
        )
    return conclude(
        "D2",
        "The output gross margin table",
        "API price against estimated true cost per million tokens: Opus 4.1 $15 / $75 against ~$0.01 input "
        "and "
        "~$3-8 output -> 90-96%; Opus 4.5 $5 / $25, ~$2-5 -> 80-92%; Sonnet $3 / $15, ~$1-3 -> 80-93%; Haiku "
        "4.5 $1 / $5, ~$0.50-1 -> 80-90%; Haiku 3 $0.25 / $1.25, ~$0.10-0.30 -> 76-92%; DeepSeek V3.2 $0.27 "
        "/ "
        "$1.10, ~$0.50-1 -> 9-55%",
        parts,
        inputs={
            "prices": "the article's, checked against the book at " + f"{WHEN:%Y-%m-%d}",
            "proxies": "closed models costed as open models of their class (an assumption): Opus ~ Kimi K2 "
            "on 8 "
            "B200, Sonnet ~ DeepSeek-V3 on 8 H200, Haiku 4.5 ~ Qwen3-235B-A22B, Haiku 3 ~ Qwen3-32B, "
            "DeepSeek "
            "V3.2 itself",
            "operating points": "2,048 in / 512 out tokens; the layout and concurrency with the most output "
            "per "
            "GPU within 25 ms and within 50 ms TPOT; neocloud GPU prices; 100% use",
        },
        figures=figures,
        lines=lines,
        notes=notes,
    )


@case("D3")
def d3() -> CaseResult:
    """A coding-agent session at the serving model's cost; the article's arithmetic in the notes."""
    article = d3_session_cost(Decimal("0.003"), Decimal(3))
    arithmetic = decide(
        [
            Part.of("a session", value("0.017", "~"), article.per_session_usd, "usd"),
            Part.of("a day", value("0.85", "~"), article.per_day_usd, "usd"),
            Part.of("a month", value("25", "~"), article.per_month_usd, "usd"),
        ]
    )
    lines = [
        f"at the article's rates ($0.003 / $3): {usd(article.per_session_usd)} a session, "
        f"{usd(article.per_day_usd)} a day, {usd(article.per_month_usd)} a month"
    ]
    figures: dict[str, Any] = {
        "article_session": article.per_session_usd,
        "article_month": article.per_month_usd,
    }
    missing = configs_missing()
    sessions: list[Decimal] = []
    months: list[Decimal] = []
    if missing is None:
        from inferonomics.serving.configs import Workload
        from inferonomics.serving.cost import cost_of
        from inferonomics.serving.deploy import make_deployment

        sound = next(r for r in d1_result().sound_model if r.cost is not None and "H200" in r.deployment)
        assert sound.cost is not None
        uncached = d3_session_cost(sound.cost.input_usd_per_mtok, sound.cost.output_usd_per_mtok)
        # With data-parallel attention a cached prefix is held once per GPU, not eight times: the
        # cheapest way to keep a session's context warm (60 s between turns).
        dp = make_deployment(
            "deepseek-ai/DeepSeek-R1", "h200_sxm", tp=1, attention_dp=8, ep=8, precision="fp8"
        )
        c = cost_of(dp, Workload(isl=1000, osl=1000, concurrency=32), Decimal(2), cache_ttl_s=60.0)
        cached = d3_session_cost(
            c.input_usd_per_mtok,
            c.output_usd_per_mtok,
            cached_fraction=Decimal("0.9"),
            cached_input_usd_per_mtok=c.cached_input_usd_per_mtok,
        )
        sessions = [cached.per_session_usd, uncached.per_session_usd]
        months = [cached.per_month_usd, uncached.per_month_usd]
        figures.update(
            {
                "sound_session": uncached.per_session_usd,
                "sound_month": uncached.per_month_usd,
                "cached_session": cached.per_session_usd,
                "cached_month": cached.per_month_usd,
            }
        )
        lines += [
            f"{sound.deployment}, uncached ({usd(uncached.input_usd_per_mtok)} / "
            f"{usd(uncached.output_usd_per_mtok)}"
            f" per MTok): {usd(uncached.per_session_usd)} a session, {usd(uncached.per_month_usd)} a month",
            "8x H200, data-parallel attention, 90% of input a cache hit held 60 s "
            f"({usd(c.input_usd_per_mtok)} / "
            f"{usd(c.cached_input_usd_per_mtok)} cached / {usd(c.output_usd_per_mtok)}): "
            f"{usd(cached.per_session_usd)} a session, {usd(cached.per_month_usd)} a month",
        ]
    parts = [
        Part.of(
            "a session at the serving model's cost",
            value("0.017", "~"),
            (sessions[0], sessions[1]) if sessions else None,
            "usd",
            reason=missing or "",
            main=True,
        ),
        Part.of(
            "a month at the serving model's cost",
            value("25", "~"),
            (months[0], months[1]) if months else None,
            "usd",
            reason=missing or "",
        ),
    ]
    return conclude(
        "D3",
        "A coding-agent session at true cost",
        "A session of 500K input and 5K output tokens at true cost ($0.003 / MTok input, $3 / MTok output) "
        "costs "
        "~$0.017; 50 sessions a day ~ $0.85 a day ~ $25 a month",
        parts,
        inputs={
            "session": "500,000 input + 5,000 output tokens; 50 a day, 30 days",
            "true cost": "the serving model's for D1's model (DeepSeek-R1, FP8) on 8 H200 at $2/GPU-hour, "
            "batch 32, 100% use; uncached, and with 90% of input a cache hit",
        },
        figures=figures,
        lines=lines,
        notes=[
            f"At the article's own rates the arithmetic {arithmetic.verdict}: {lower_first(arithmetic.text)}"
        ],
    )


D5_MODELS = {
    "7B": ("together", "meta-llama/Llama-2-7b-chat-hf", "50"),
    "13B": ("together", "meta-llama/Llama-2-13b-chat-hf", "10"),
    "70B": ("together", "meta-llama/Llama-2-70b-chat-hf", None),
}


@case("D5")
def d5() -> CaseResult:
    """The utilization at which self-hosting Llama 2 breaks even against Together's prices, per GPU tier."""
    prices = {size: book_price(provider, model) for size, (provider, model, _) in D5_MODELS.items()}
    rows = d5_break_even(prices)
    parts = [
        Part.of(
            f"{r.model} at {r.tier.replace('_', ' ')} ${r.gpu_hour_usd}/GPU-h",
            at_least(claim),
            r.cost_over_price * 100,
            "pct",
            main=size == "7B",
        )
        for size, (_, _, claim) in D5_MODELS.items()
        if claim is not None
        for r in rows
        if r.model.endswith(f"-{size}")
    ]
    lines = [
        f"{size} at Together's {usd(p_in)} / {usd(p_out)} per MTok" for size, (p_in, p_out) in prices.items()
    ] + [
        f"{r.model} on {r.deployment}, {r.tier} ${r.gpu_hour_usd}/GPU-h: cost "
        f"{usd(r.cost_per_request_at_full_use_usd)}"
        f" a request at full use against {usd(r.api_cost_per_request_usd)} from the API: break-even at "
        + (f"{pct(r.cost_over_price)} utilization" if r.break_even_utilization is not None else "never")
        for r in rows
    ]
    by = {(r.model, r.tier): r.cost_over_price for r in rows}
    tiers = list(dict.fromkeys(r.tier for r in rows))
    later = [t for t in tiers if by[("Llama-2-13B", t)] > by[("Llama-2-7B", t)]]
    return conclude(
        "D5",
        "Self-hosting break-even utilization",
        "H100 rental $1.49-$1.90 (specialist), $1.85-$2.50 (mid-tier), $2.85-$6.98 (hyperscaler on demand), "
        "$2.00-$2.50 (spot) per GPU-hour; an 8xH100 cluster $8-$15 an hour all-in: "
        '"50%+ utilization needed to break even on 7B models, 10%+ for 13B"',
        parts,
        inputs={
            "API prices": f"Together's Llama 2 chat list prices in the book at {WHEN:%Y-%m-%d}",
            "GPU-hour": "the mid-point of each of the article's market tiers (the GPU catalogue)",
            "operating point": "1,000 in / 250 out tokens; BF16 on the H100 layout and concurrency with the "
            "most "
            "output per GPU within 50 ms TPOT",
            "break-even": "GPU cost per request at 100% use / API price per request",
        },
        figures={f"{r.model} {r.tier}": r.cost_over_price for r in rows},
        lines=lines,
        notes=[
            f"13B needs more utilization than 7B at {len(later)} of {len(tiers)} GPU price tiers "
            f"(at {tiers[0].replace('_', ' ')}: {pct(by[('Llama-2-13B', tiers[0])])} against "
            f"{pct(by[('Llama-2-7B', tiers[0])])})."
        ],
    )
