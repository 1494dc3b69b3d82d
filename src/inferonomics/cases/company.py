"""Cases F1-F3: company economics. F1 and F2 are arithmetic on the article's own figures; F3 is the
price decline per year that the price book's own history shows."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from inferonomics.cases import CaseResult, case, conclude, pct, usd
from inferonomics.cases.prices import book, in_out, rates
from inferonomics.cases.verdict import Part, between, value
from inferonomics.catalog.book import Unpriced


@case("F1")
def f1() -> CaseResult:
    """Margins and the cost-to-serve ratio from the article's compute cents per revenue dollar."""
    # The article's figures: compute cost per dollar of revenue, before and after.
    before, after = Decimal("0.62"), Decimal("0.30")
    margins = (1 - before, 1 - after)
    remaining = after / before
    return conclude(
        "F1",
        "Inference margin from 38% to 70%",
        "Inference margin rose from 38% to 70%: compute went from 62 to 30 cents per dollar of revenue "
        '("a near-halving of the cost-to-serve")',
        [
            Part.of("margin before (1 - compute share)", value("38"), margins[0] * 100, "pct"),
            Part.of("margin after", value("70"), margins[1] * 100, "pct"),
            Part.of(
                "cost-to-serve after, as a share of before",
                value("50", "near"),
                remaining * 100,
                "pct",
                main=True,
            ),
        ],
        inputs={"compute per revenue dollar": f"{usd(before)} before, {usd(after)} after (the article's)"},
        figures={"margin_before": margins[0], "margin_after": margins[1], "cost_ratio": remaining},
        lines=[
            f"margins 1 - {before} = {pct(margins[0])} and 1 - {after} = {pct(margins[1])}; cost-to-serve "
            f"{after} / {before} = {pct(remaining)} of what it was ({pct(1 - remaining)} lower)"
        ],
    )


@case("F2")
def f2() -> CaseResult:
    """ARR added per day from the article's start and end figures."""
    start, end = Decimal(9000), Decimal(44000)  # ARR, $M (the article's $9B and $44B)
    days = (dt.date(2027, 1, 1) - dt.date(2026, 1, 1)).days
    per_day = (end - start) / days
    return conclude(
        "F2",
        "ARR growth per day",
        'ARR from $9B to over $44B in 2026: "approximately $96M in ARR per day"',
        [Part.of("ARR added per day", value("96", "approximately"), per_day, "usd", suffix="M", main=True)],
        inputs={"ARR": "$9B at the start of 2026, $44B at its end (the article's)", "days": days},
        figures={"per_day_musd": per_day, "growth": end / start},
        lines=[
            f"($44,000M - $9,000M) / {days} days = {usd(per_day)}M a day; ARR "
            f"x{(end / start).quantize(Decimal('0.01'))} "
            "over the year"
        ],
        notes=['"Over $44B" makes the daily figure a floor.'],
    )


# OpenAI's flagship chat models, each the successor of the last, at every snapshot whose name carries
# a full date, up to the articles' time (late 2025). The date in the name is when that price applied.
F3_FLAGSHIPS = (
    "gpt-4-turbo-2024-04-09",
    "gpt-4o-2024-05-13",
    "gpt-4o-2024-08-06",
    "gpt-4o-2024-11-20",
    "gpt-4.1-2025-04-14",
    "gpt-5-2025-08-07",
    "gpt-5.1-2025-11-13",
    "gpt-5.2-2025-12-11",
)
# Models whose price the book dates more than once (the first price from the model's launch: its
# first entry's date, or the date in its snapshot name).
F3_SAME_MODEL = (("openai", "o3"), ("deepseek", "deepseek-chat"), ("deepseek", "deepseek-reasoner"))
# Two snapshots of one model name, dated by their names.
F3_SNAPSHOTS = (("openai", "gpt-4o-2024-05-13", "gpt-4o-2024-08-06"),)
MIX = (Decimal("0.7"), Decimal("0.3"))


def _blend(provider: str, model: str, at: dt.datetime) -> tuple[str, Decimal, Decimal, Decimal]:
    r = rates(provider, model, at=at)
    i, o = in_out(r)
    return r.entry, i, o, MIX[0] * i + MIX[1] * o


def _dated(name: str) -> dt.datetime | None:
    match = re.search(r"\d{4}-\d{2}-\d{2}", name)
    return dt.datetime.fromisoformat(match.group()) if match else None


def same_model_changes() -> list[tuple[str, tuple[dt.datetime, Decimal], tuple[dt.datetime, Decimal]]]:
    """(label, (date, blended price) first, (date, blended price) last) for every same-model price
    history the book dates."""
    out = []
    for provider, model in F3_SAME_MODEL:
        found = book().find_model(provider, model)
        assert not isinstance(found, Unpriced), found
        m = found.model
        launch = m.periods[0].period.valid_from or min(filter(None, map(_dated, m.names())))
        first, last = m.periods[0], m.periods[-1]
        assert last.period.valid_from is not None
        ends = []
        for at, entry in ((launch, first), (last.period.valid_from, last)):
            r = entry.period.rates
            assert r.input_usd_per_mtok is not None
            assert r.output_usd_per_mtok is not None
            ends.append((at, MIX[0] * r.input_usd_per_mtok + MIX[1] * r.output_usd_per_mtok))
        out.append((m.key, ends[0], ends[1]))
    for provider, old, new in F3_SNAPSHOTS:
        a, b = _dated(old), _dated(new)
        assert a is not None
        assert b is not None
        out.append((f"{old} -> {new}", (a, _blend(provider, old, a)[3]), (b, _blend(provider, new, b)[3])))
    return out


def fit_per_year(points: list[tuple[dt.datetime, Decimal]]) -> float:
    """The factor by which price falls per year, from a least-squares line through ln(price)
    against time (a physical fit, in floats)."""
    t0 = points[0][0]
    xs = [(t - t0).days / 365.25 for t, _ in points]
    ys = [math.log(float(p)) for _, p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return math.exp(-slope)


@case("F3")
def f3() -> CaseResult:
    """The yearly price decline fitted over OpenAI's flagship line, with same-model cuts beside it."""
    points, lines = [], []
    for name in F3_FLAGSHIPS:
        at = _dated(name)
        assert at is not None, name
        entry, i, o, blend = _blend("openai", name, at)
        points.append((at, blend))
        lines.append(f"{name}: {usd(i)} / {usd(o)} ({entry}), {usd(blend)} per MTok on the mix")
    factor = Decimal(str(round(fit_per_year(points), 4)))
    eighteen = (1 - Decimal(str(round(fit_per_year(points) ** -1.5, 6)))) * 100
    lines.insert(
        0,
        f"fit over {len(points)} snapshots, {points[0][0]:%Y-%m-%d} to {points[-1][0]:%Y-%m-%d}: prices "
        f"fall {factor}x a year, {eighteen.quantize(Decimal('0.1'))}% over 18 months",
    )
    cuts: dict[str, Any] = {}
    for label, (t0, p0), (t1, p1) in same_model_changes():
        cut = 1 - p1 / p0
        cuts[label] = {"from": p0, "to": p1, "cut": cut, "days": (t1 - t0).days}
        lines.append(
            f"same model, {label}: {usd(p0)} per MTok on the mix on {t0:%Y-%m-%d}, {usd(p1)} on "
            f"{t1:%Y-%m-%d}: "
            f"{pct(cut)} cheaper after {(t1 - t0).days} days"
        )
    return conclude(
        "F3",
        "Inference prices over time",
        '"Industry-wide inference costs are declining ~10x per year"; "models 30-50% cheaper in 18 months"',
        [
            Part.of("decline per year, OpenAI's flagship line", value("10", "~"), factor, "times", main=True),
            Part.of("cheaper after 18 months, same fit", between("30", "50"), eighteen, "pct"),
        ],
        inputs={
            "method": "least-squares fit of ln(price) against time over OpenAI's flagship snapshots (GPT-4 "
            "Turbo, "
            "GPT-4o, GPT-4.1, GPT-5, 5.1, 5.2), each priced by the book at the date in its name; each is the "
            "successor of the last, so a fixed capability gets cheaper at least this fast",
            "price": "blended on 70% input / 30% output tokens",
            "same-model cuts": "price changes the book dates for one model name (shown, not annualized: a "
            "one-off cut is not a rate)",
        },
        figures={
            "factor_per_year": factor,
            "cheaper_18_months_pct": eighteen,
            "points": points,
            "cuts": cuts,
        },
        lines=lines,
        notes=[
            "The book holds list prices, not costs; what a fixed capability costs would need capability "
            "measurements the toolkit does not have."
        ],
    )
