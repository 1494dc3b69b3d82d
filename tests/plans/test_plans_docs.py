"""docs/plans.md and the README's plans section cannot drift: the figures they quote for the demo
ledger are recomputed here and looked up in the text."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

import inferonomics as inf

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # generates and prices the 100,000-row demo ledger


def money(x: Decimal) -> str:
    return f"${x.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def share(x: Decimal) -> str:
    return f"{(x * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> inf.Ledger:
    path = tmp_path_factory.mktemp("docs") / "demo.parquet"
    inf.generate_demo(path, 100_000, seed=1)
    return inf.Ledger.open([path])


def test_the_fit_figures(demo: inf.Ledger) -> None:
    doc = (REPO / "docs" / "plans.md").read_text()
    readme = (REPO / "README.md").read_text()
    fit = inf.fit_plans(demo, user="user-000506")
    by = {p.plan: p for p in fit.plans}
    assert fit.cheapest == "claude-max-5x"
    quoted = [
        money(fit.api_usd),
        money(fit.api_usd_per_month),
        money(by["claude-max-5x"].monthly_cost_usd or Decimal(0)),
        money(by["claude-pro"].refused_usd),
        money(fit.margin_usd or Decimal(0)),
    ]
    for text in quoted:
        assert text in doc, text
    for text in quoted[1:]:
        assert text in readme, text


@pytest.mark.usefixtures("data_dir")  # needs the shared data (the serving model)
def test_the_simulation_figures(demo: inf.Ledger) -> None:
    doc = (REPO / "docs" / "plans.md").read_text()
    readme = (REPO / "README.md").read_text()
    r = inf.simulate_plans(demo, plan_ids=["api", "claude-pro", "claude-max-5x", "claude-max-20x"])
    assert "(column user)" in r.population
    by = {o.plan: o for o in r.outcomes}
    pro = by["claude-pro"]
    assert pro.gross_margin is not None
    for text in (
        money(by["api"].revenue_usd),
        money(pro.true_cost_usd),
        share(pro.gross_margin),
        share(pro.users_hitting_any_limit_share),
        money(by["claude-max-20x"].break_even_api_equivalent_usd or Decimal(0)),
    ):
        assert text in doc, text
    assert share(pro.gross_margin) in readme
    assert share(pro.users_hitting_any_limit_share) in readme
