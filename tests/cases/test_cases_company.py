"""Cases F1-F3 (company economics), against hand arithmetic on the articles' figures and the price
book's history (E1-E4 are tested in test_cases_plans.py)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from cases_helpers import part

from inferonomics.cases import CaseResult

D = Decimal


def test_f1_margins(cases: dict[str, CaseResult]) -> None:
    f1 = cases["F1"]
    # 1 - 0.62 and 1 - 0.30; 30 / 62 of the cost remains
    assert (f1.figures["margin_before"], f1.figures["margin_after"]) == (D("0.38"), D("0.70"))
    assert f1.figures["cost_ratio"] == D(30) / 62
    assert part(f1, "cost-to-serve").outcome == "approximately"  # 48.4% against "near" 50%


def test_f2_arr_per_day(cases: dict[str, CaseResult]) -> None:
    f2 = cases["F2"]
    assert f2.figures["per_day_musd"] == D(35_000) / 365  # $35B over 2026's 365 days = $95.9M
    assert part(f2, "ARR added per day").outcome == "as stated"


def test_f3_fit_over_the_flagship_line(cases: dict[str, CaseResult]) -> None:
    f3 = cases["F3"]
    points = f3.figures["points"]
    # OpenAI's list prices on the 70/30 mix: GPT-4 Turbo $10/$30 -> 16, GPT-4o (May 2024) $5/$15 -> 8,
    # $2.50/$10 -> 4.75, GPT-4.1 $2/$8 -> 3.8, GPT-5 and 5.1 $1.25/$10 -> 3.875, GPT-5.2 $1.75/$14 -> 5.425
    expected = [D(16), D(8), D("4.75"), D("4.75"), D("3.8"), D("3.875"), D("3.875"), D("5.425")]
    assert [p for _, p in points] == expected
    # the same fit by numpy: slope of ln(price) against years
    years = np.array([(t - points[0][0]).days / 365.25 for t, _ in points])
    slope = np.polyfit(years, np.log([float(p) for p in expected]), 1)[0]
    assert float(f3.figures["factor_per_year"]) == round(math.exp(-slope), 4)
    assert float(f3.figures["cheaper_18_months_pct"]) == round((1 - math.exp(1.5 * slope)) * 100, 4)
    cuts = f3.figures["cuts"]
    # o3: $10/$40 -> $2/$8 on 2025-06-10 (19 -> 3.8 on the mix), 55 days after its 2025-04-16 snapshot
    assert cuts["openai/o3"] == {"from": D(19), "to": D("3.8"), "cut": D("0.8"), "days": 55}
    # deepseek-chat: $0.27/$1.10 (2025-02-09) -> $0.28/$0.42 (2025-09-29)
    assert cuts["deepseek/deepseek-chat"]["cut"] == 1 - D("0.322") / D("0.519")
    assert part(f3, "decline per year").factor == f3.figures["factor_per_year"] / 10
