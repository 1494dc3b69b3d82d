"""Cases A1-A5 and B1: list prices and bills, computed through the price book and the billing
engine. The articles' prices are the list prices of late 2025: the cases bill at `WHEN` (a
Monday, 10:00 UTC, in DeepSeek's peak hours of the time) unless a case states another date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa

from inferonomics.billing.bill import bill
from inferonomics.cases import CaseResult, case, conclude, pct, usd
from inferonomics.cases.verdict import Part, between, value
from inferonomics.catalog.book import PriceBook, Resolved, Unpriced
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import COUNT_COLUMNS

WHEN = dt.datetime(2025, 12, 1, 10, 0)
"""When the articles' figures applied: late 2025, a Monday after Claude Opus 4.5's launch
(2025-11-24), whose prices they quote (10:00 UTC is DeepSeek peak time)."""
V3_ERA = dt.datetime(2025, 6, 2, 10, 0)
"""A Monday in June 2025, 10:00 UTC: DeepSeek-V3's peak price was in force (before V3.1/V3.2)."""

_book: PriceBook | None = None


def book() -> PriceBook:
    """The packaged price book, loaded once."""
    global _book
    if _book is None:
        _book = PriceBook.load()
    return _book


def ledger_of(rows: list[dict[str, Any]]) -> Ledger:
    """A ledger from a few rows (missing counts are 0; timestamps default to WHEN)."""
    full = []
    for i, r in enumerate(rows):
        row: dict[str, Any] = dict.fromkeys(COUNT_COLUMNS, 0)
        row.update(
            {
                "ts": dt.datetime.combine(WHEN.date(), WHEN.time(), dt.UTC),
                "request_id": f"case-{i}",
                "requests": 1,
                "service_tier": "standard",
            }
        )
        row.update(r)
        full.append(row)
    return Ledger.from_arrow(pa.Table.from_pylist(full), name="case")


def bill_rows(
    rows: list[dict[str, Any]], by: tuple[str, ...] = ("provider", "model")
) -> dict[tuple[Any, ...], Decimal]:
    """Bill rows through the engine: cost by the `by` columns."""
    result = bill(ledger_of(rows), book=book(), by=list(by))
    if any(result.table["unpriced_requests"].to_pylist()):
        raise AssertionError(f"a case row was not priced: {result.table.to_pylist()}")
    return {tuple(r[c] for c in by): r["cost_usd"] for r in result.table.to_pylist()}


def resolve(
    provider: str, model: str, *, tier: str = "standard", region: str | None = None, at: dt.datetime = WHEN
) -> Resolved | Unpriced:
    """The book's rates for one model at `at` (or why it has none)."""
    found = book().find_model(provider, model)
    if isinstance(found, Unpriced):
        return found
    return book().resolve(found, tier, region, at, at.weekday(), at.hour * 3600 + at.minute * 60, 0)


def rates(
    provider: str, model: str, *, tier: str = "standard", region: str | None = None, at: dt.datetime = WHEN
) -> Resolved:
    """The book's rates for a model the cases know it prices."""
    r = resolve(provider, model, tier=tier, region=region, at=at)
    assert isinstance(r, Resolved), r
    return r


def in_out(r: Resolved) -> tuple[Decimal, Decimal]:
    """A resolved entry's input and output rates ($/MTok)."""
    assert r.input_usd_per_mtok is not None
    assert r.output_usd_per_mtok is not None
    return r.input_usd_per_mtok, r.output_usd_per_mtok


def source_of(r: Resolved) -> str:
    """Where a rate came from: the entry's source URL, or its layer."""
    return next((o.source for o in r.origins if o.source), r.origins[0].layer if r.origins else "the book")


# The article's list (label, provider, model, input, output as written).
A1_CLAIMS = [
    ("Opus 4.5", "anthropic", "claude-opus-4-5", "5", "25"),
    ("Opus 4.6", "anthropic", "claude-opus-4-6", "5", "25"),
    ("Sonnet 4.5", "anthropic", "claude-sonnet-4-5", "3", "15"),
    ("Haiku 4.5", "anthropic", "claude-haiku-4-5", "1", "5"),
    ("Opus 4.1", "anthropic", "claude-opus-4-1", "15", "75"),
    ("Haiku 3.5", "anthropic", "claude-3-5-haiku", "0.80", "4"),
    ("Haiku 3", "anthropic", "claude-3-haiku", "0.25", "1.25"),
    ("GPT-5", "openai", "gpt-5", "30", "60"),
    ("DeepSeek V3.2", "deepseek", "deepseek-chat", "0.27", "1.10"),
    ("GPT-4o", "openai", "gpt-4o", "2.50", "10"),
    ("Gemini 2.5 Pro", "google", "gemini-2.5-pro", "1.25", "10"),
]
# Where a claimed price that the model does not have might come from: an older model or era.
A1_LOOKALIKES = {
    "GPT-5": ("GPT-4", "openai", "gpt-4", WHEN),
    "DeepSeek V3.2": ("DeepSeek-V3 in June 2025", "deepseek", "deepseek-chat", V3_ERA),
}


@case("A1")
def a1() -> CaseResult:
    """The article's list prices against the book's at `WHEN`, model by model."""
    parts, lines, notes = [], [], []
    figures: dict[str, Any] = {}
    for label, provider, model, inp, out in A1_CLAIMS:
        r = rates(provider, model)
        got_in, got_out = in_out(r)
        figures[label] = {"input": got_in, "output": got_out}
        parts += [
            Part.of(f"{label} input", value(inp), got_in, "usd"),
            Part.of(f"{label} output", value(out), got_out, "usd"),
        ]
        lines.append(f"{label}: book {usd(got_in)} / {usd(got_out)} per MTok ({r.entry}; {source_of(r)})")
        differs = (got_in, got_out) != (Decimal(inp), Decimal(out))
        if differs and label in A1_LOOKALIKES:
            other, o_provider, o_model, at = A1_LOOKALIKES[label]
            o_in, o_out = in_out(rates(o_provider, o_model, at=at))
            same = (o_in, o_out) == (Decimal(inp), Decimal(out))
            lines.append(f"{other} ({o_provider}/{o_model}, {at:%Y-%m-%d}): {usd(o_in)} / {usd(o_out)}")
            notes.append(
                f"{label} lists at {usd(got_in)} / {usd(got_out)} ({source_of(r)}); the claimed "
                f"{usd(Decimal(inp))} / {usd(Decimal(out))} "
                + (
                    f"is what the book lists for {other}."
                    if same
                    else f"is not what the book lists for {other} either."
                )
            )
    return conclude(
        "A1",
        "Standard list prices",
        "Per million tokens (input / output): Opus 4.5 and 4.6 $5 / $25, Sonnet 4.5 $3 / $15, Haiku 4.5 "
        "$1 / $5, Opus 4.1 $15 / $75, Haiku 3.5 $0.80 / $4, Haiku 3 $0.25 / $1.25, GPT-5 $30 / $60, "
        "DeepSeek V3.2 $0.27 / $1.10, GPT-4o $2.50 / $10, Gemini 2.5 Pro $1.25 / $10",
        parts,
        inputs={"date": WHEN.isoformat(sep=" ") + " UTC", "tier": "standard", "models": len(A1_CLAIMS)},
        figures=figures,
        lines=lines,
        notes=notes,
    )


A2_MODELS = [
    ("Claude Sonnet 4.5", "anthropic", "claude-sonnet-4-5", "6600"),
    ("GPT-4o", "openai", "gpt-4o", "4750"),
    ("Gemini 2.5 Pro", "google", "gemini-2.5-pro", "3875"),
    ("DeepSeek V3", "deepseek", "deepseek-chat", "519"),
]


@case("A2")
def a2() -> CaseResult:
    """A month of 700M input + 300M output tokens billed on four models, and the ratios between them."""
    # 700M input + 300M output a month, as 100,000 requests of 7,000 in / 3,000 out (so no
    # request crosses a long-context threshold); DeepSeek-V3 at its June 2025 peak price.
    rows = []
    for _, provider, model, _ in A2_MODELS:
        row: dict[str, Any] = {
            "provider": provider,
            "model": model,
            "requests": 100_000,
            "input_tokens": 700_000_000,
            "output_tokens": 300_000_000,
        }
        if provider == "deepseek":
            row["ts"] = V3_ERA.replace(tzinfo=dt.UTC)
        rows.append(row)
    costs = bill_rows(rows)
    parts, lines = [], []
    figures: dict[str, Any] = {}
    for label, provider, model, claimed in A2_MODELS:
        got = costs[(provider, model)]
        figures[label] = got
        parts.append(Part.of(f"{label} a month", value(claimed), got, "usd", main=label.startswith("Claude")))
        lines.append(f"{label}: billed {usd(got)} a month")
    sonnet, gpt4o, gemini = (figures[x] for x in ("Claude Sonnet 4.5", "GPT-4o", "Gemini 2.5 Pro"))
    vs_gpt = (sonnet / gpt4o - 1) * 100
    vs_gem = (sonnet / gemini - 1) * 100
    figures["sonnet_vs_gpt4o_pct"] = vs_gpt
    figures["sonnet_vs_gemini_pct"] = vs_gem
    parts += [
        Part.of("Sonnet over GPT-4o", value("40", "approximately"), vs_gpt, "pct"),
        Part.of("Sonnet over Gemini 2.5 Pro", value("70", "approximately"), vs_gem, "pct"),
    ]
    batch = bill_rows([{**rows[0], "service_tier": "batch"}])[("anthropic", "claude-sonnet-4-5")]
    figures["sonnet_all_batch"] = batch
    no_method = "the article names no levers or discounts behind it"
    parts += [
        Part.of("optimised Sonnet cost", between("2800", "3500"), None, "usd", reason=no_method),
        Part.of("enterprise Sonnet cost", between("2000", "2800"), None, "usd", reason=no_method),
    ]
    lines += [
        f"Sonnet costs {pct(vs_gpt / 100)} more than GPT-4o and {pct(vs_gem / 100)} more than Gemini 2.5 Pro",
        f"Sonnet with all of it in batch: {usd(batch)} a month",
    ]
    return conclude(
        "A2",
        "A month of 700M input + 300M output tokens",
        "At standard rates: Sonnet 4.5 $6,600, GPT-4o $4,750, Gemini 2.5 Pro $3,875, DeepSeek V3 $519 a "
        "month; "
        "Sonnet approximately 40% more than GPT-4o and 70% more than Gemini Pro; optimised Sonnet "
        "$2,800-$3,500, enterprise $2,000-$2,800",
        parts,
        inputs={
            "tokens a month": "700,000,000 input + 300,000,000 output (100,000 requests of 7,000 / 3,000)",
            "date": f"{WHEN:%Y-%m-%d %H:%M} UTC; DeepSeek V3 at {V3_ERA:%Y-%m-%d %H:%M} UTC (its peak price)",
        },
        figures=figures,
        lines=lines,
        notes=[f"All of it in batch alone would cost {usd(batch)} a month."],
    )


A3_MODELS = [
    ("Opus 4.5", "claude-opus-4-5", "2.50", "12.50"),
    ("Sonnet 4.5", "claude-sonnet-4-5", "1.50", "7.50"),
    ("Haiku 4.5", "claude-haiku-4-5", "0.50", "2.50"),
]


@case("A3")
def a3() -> CaseResult:
    """Batch prices of three Claude models, and the share of A1's models that batch halves."""
    # 1M tokens as 100 requests of 10k (a single 1M-token request would be a long-context one).
    rows = []
    for _, m, _, _ in A3_MODELS:
        base = {"provider": "anthropic", "model": m, "service_tier": "batch", "requests": 100}
        rows.append({**base, "request_id": f"in-{m}", "input_tokens": 1_000_000})
        rows.append({**base, "request_id": f"out-{m}", "output_tokens": 1_000_000})
    costs = bill_rows(rows, by=("model", "request_id"))
    parts, lines = [], []
    figures: dict[str, Any] = {}
    for label, m, inp, out in A3_MODELS:
        got_in, got_out = costs[(m, f"in-{m}")], costs[(m, f"out-{m}")]
        figures[label] = {"input": got_in, "output": got_out}
        parts += [
            Part.of(f"{label} batch input", value(inp), got_in, "usd"),
            Part.of(f"{label} batch output", value(out), got_out, "usd"),
        ]
        lines.append(f"{label} batch: billed {usd(got_in)} / {usd(got_out)} per MTok")
    # "Every model": the share of A1's models whose batch price is half the standard one.
    halved, others = [], []
    for label, provider, model, _, _ in A1_CLAIMS:
        standard, batch = rates(provider, model), resolve(provider, model, tier="batch")
        if isinstance(batch, Unpriced):
            others.append(f"{label}: {batch.reason}")
            continue
        ratio_in = batch.input_usd_per_mtok / in_out(standard)[0] if batch.input_usd_per_mtok else None
        ratio_out = batch.output_usd_per_mtok / in_out(standard)[1] if batch.output_usd_per_mtok else None
        if ratio_in == ratio_out == Decimal("0.5"):
            halved.append(label)
        else:
            others.append(f"{label}: batch x{ratio_in} input, x{ratio_out} output")
    share = Decimal(len(halved)) / len(A1_CLAIMS) * 100
    figures["models_half_price_in_batch"] = halved
    figures["share_half_price_pct"] = share
    parts.append(Part.of("share of A1's models 50% off in batch", value("100"), share, "pct"))
    lines.append(f"{len(halved)} of A1's {len(A1_CLAIMS)} models are 50% off in batch; " + "; ".join(others))
    return conclude(
        "A3",
        "Batch API: 50% off",
        "50% off input and output on every model (Opus 4.5 $2.50 / $12.50, Sonnet 4.5 $1.50 / $7.50, "
        "Haiku 4.5 $0.50 / $2.50)",
        parts,
        inputs={"date": f"{WHEN:%Y-%m-%d %H:%M} UTC", "tier": "batch", "models checked": "A1's list"},
        figures=figures,
        lines=lines,
        notes=[f"Not 50% off: {'; '.join(others)}."] if others else [],
    )


@case("A4")
def a4() -> CaseResult:
    """100M output tokens a month billed on Opus 4.1 and on Opus 4.5."""
    rows = [
        {"provider": "anthropic", "model": m, "output_tokens": 100_000_000, "requests": 50_000}
        for m in ("claude-opus-4-1", "claude-opus-4-5")
    ]
    costs = bill_rows(rows)
    old, new = costs[("anthropic", "claude-opus-4-1")], costs[("anthropic", "claude-opus-4-5")]
    saving = old - new
    return conclude(
        "A4",
        "Opus 4.1 to Opus 4.5 migration",
        "100M output tokens a month moved from Opus 4.1 to Opus 4.5 save $5,000 a month, $60,000 a year",
        [
            Part.of("monthly saving", value("5000"), saving, "usd", main=True),
            Part.of("yearly saving", value("60000"), saving * 12, "usd"),
        ],
        inputs={"output tokens a month": "100,000,000 (50,000 requests)", "date": f"{WHEN:%Y-%m-%d}"},
        figures={"opus_4_1": old, "opus_4_5": new, "monthly_saving": saving, "yearly_saving": saving * 12},
        lines=[
            f"Opus 4.1: {usd(old)} a month; Opus 4.5: {usd(new)}; saving {usd(saving)}, {usd(saving * 12)} a "
            "year"
        ],
    )


A5_AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
"""After Anthropic's US-only inference option appeared (2026-02-05)."""


@case("A5")
def a5() -> CaseResult:
    """Each token class billed in the US region and globally, on a 4.6 and a 4.5 model."""
    token_classes = ("input_tokens", "output_tokens", "cache_read_tokens")
    rows = [
        {
            "provider": "anthropic",
            "model": model,
            "region": region,
            "ts": A5_AT,
            "requests": 100,
            "request_id": f"{model}-{region}-{tokens}",
            "feature": tokens,
            tokens: 1_000_000,
        }
        for model in ("claude-sonnet-4-6", "claude-sonnet-4-5")
        for region in ("global", "us")
        for tokens in token_classes
    ]
    costs = bill_rows(rows, by=("model", "region", "feature"))
    ratio = {
        (m, t): costs[(m, "us", t)] / costs[(m, "global", t)]
        for m in ("claude-sonnet-4-6", "claude-sonnet-4-5")
        for t in token_classes
    }
    parts = [
        Part.of(f"{label} {t.split('_')[0]}", value("1.1"), ratio[(m, t)], "times", main=m.endswith("4-6"))
        for label, m in (("Sonnet 4.6", "claude-sonnet-4-6"), ("Sonnet 4.5", "claude-sonnet-4-5"))
        for t in ("input_tokens", "output_tokens")
    ]
    read46 = ratio[("claude-sonnet-4-6", "cache_read_tokens")]
    return conclude(
        "A5",
        "US-only inference: 1.1x",
        "US-only inference costs 1.1x standard rates on input and output",
        parts,
        inputs={"date": A5_AT.isoformat(), "tokens": "1M of each class, region 'us' against 'global'"},
        figures={f"{m} {t}": r for (m, t), r in ratio.items()},
        lines=[
            f"{m}, 1M {t.replace('_', ' ')}: global {usd(costs[(m, 'global', t)])}, us "
            f"{usd(costs[(m, 'us', t)])} (x{r.normalize()})"
            for (m, t), r in ratio.items()
        ],
        notes=[f"On Sonnet 4.6 cache reads are x{read46.normalize()} too."],
    )


@case("B1")
def b1() -> CaseResult:
    """Sonnet 4.5's cache write and read prices, and their ratios to its input price."""
    sonnet = {"provider": "anthropic", "model": "claude-sonnet-4-5", "requests": 100}
    rows = [
        {**sonnet, "request_id": "w5", "cache_write_5m_tokens": 1_000_000},
        {**sonnet, "request_id": "w1", "cache_write_1h_tokens": 1_000_000},
        {**sonnet, "request_id": "r", "cache_read_tokens": 1_000_000},
        {**sonnet, "request_id": "i", "input_tokens": 1_000_000},
    ]
    costs = {k[0]: v for k, v in bill_rows(rows, by=("request_id",)).items()}
    base = costs["i"]
    figures = {"write_5m": costs["w5"], "write_1h": costs["w1"], "read": costs["r"], "input": base}
    parts = [
        Part.of("5-minute write / input", value("1.25"), costs["w5"] / base, "times", main=True),
        Part.of("1-hour write / input", value("2"), costs["w1"] / base, "times"),
        Part.of("read / input", value("0.1"), costs["r"] / base, "times"),
        Part.of("Sonnet 4.5 5-minute write", value("3.75"), costs["w5"], "usd"),
        Part.of("Sonnet 4.5 read", value("0.30"), costs["r"], "usd"),
    ]
    return conclude(
        "B1",
        "Prompt-cache prices",
        "5-minute write 1.25x base input, 1-hour write 2x, read 0.1x; Sonnet 4.5 write $3.75, read $0.30 "
        "per MTok",
        parts,
        inputs={
            "model": "anthropic/claude-sonnet-4-5",
            "date": f"{WHEN:%Y-%m-%d}",
            "tokens": "1M of each class",
        },
        figures=figures,
        lines=[
            f"Sonnet 4.5 per MTok: input {usd(base)}, 5-minute write {usd(costs['w5'])}, 1-hour write "
            f"{usd(costs['w1'])}, read {usd(costs['r'])}"
        ],
    )
