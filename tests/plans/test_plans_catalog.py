"""The plan catalogue: every entry dated and sourced, the published prices as the providers state
them, the estimated limits derived as their method says, and user files over the catalogue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from inferonomics.errors import PlanError
from inferonomics.plans.catalog import load_plans, plans_yaml

LATE_2025 = dt.date(2025, 12, 1)


def test_every_price_and_limit_is_dated_and_sourced() -> None:
    catalog = load_plans()
    assert catalog.ids == [
        "api",
        "claude-free",
        "claude-pro",
        "claude-max-5x",
        "claude-max-20x",
        "chatgpt-plus",
        "chatgpt-pro",
        "chatgpt-business",
    ]
    for plan in catalog:
        for entry in [*plan.prices, *plan.limits, *plan.extra_usage]:
            assert entry.source.startswith("https://"), (plan.id, entry)
            assert entry.checked <= dt.date(2026, 12, 4)
        for lim in plan.limits:
            assert lim.window.semantics_source.startswith("https://")
            if lim.status == "estimated":
                assert lim.method


@pytest.mark.parametrize(
    ("plan", "day", "usd"),
    [
        # Published: Anthropic's help center and pricing page; OpenAI's help center.
        ("claude-free", LATE_2025, "0"),
        ("claude-pro", LATE_2025, "20"),
        ("claude-max-5x", LATE_2025, "100"),
        ("claude-max-20x", LATE_2025, "200"),
        ("chatgpt-plus", LATE_2025, "20"),
        ("chatgpt-pro", LATE_2025, "200"),
        ("chatgpt-business", LATE_2025, "30"),  # per seat, monthly, before the cut of 2026-04-02
        ("chatgpt-business", dt.date(2026, 4, 2), "25"),  # the cut's own day: the new entry applies
        ("api", LATE_2025, "0"),
    ],
)
def test_prices_in_force(plan: str, day: dt.date, usd: str) -> None:
    assert load_plans().get(plan).usd_per_month(day) == Decimal(usd)


def test_before_a_plan_existed_there_is_no_price() -> None:
    with pytest.raises(ValueError, match="no monthly price on 2025-04-08"):
        load_plans().get("claude-max-20x").usd_per_month(dt.date(2025, 4, 8))


def test_the_estimated_claude_limits_follow_their_stated_method() -> None:
    catalog = load_plans()
    amount = {(p.id, lim.id): lim.amount for p in catalog for lim in p.limits_at(LATE_2025)}
    # E2's figures for Max 20x; the others scaled by Anthropic's published multipliers.
    assert amount[("claude-max-20x", "5h")] == Decimal(83)
    assert amount[("claude-max-20x", "weekly")] == Decimal(625)
    assert amount[("claude-max-5x", "5h")] == Decimal(83) * 5 / 20  # $20.75
    assert amount[("claude-max-5x", "weekly")] == Decimal(625) / 4  # $156.25
    assert amount[("claude-pro", "5h")] == Decimal(83) / 20  # $4.15
    assert amount[("claude-pro", "weekly")] == Decimal(625) / 20  # $31.25
    assert amount[("claude-free", "5h")] == Decimal(83) / 20 / 5  # $0.83
    # The weekly limits began on 2025-08-28; the Opus-only cap was replaced in November 2025.
    max20 = catalog.get("claude-max-20x")
    assert [lim.id for lim in max20.limits_at(dt.date(2025, 8, 27))] == ["5h"]
    assert [lim.id for lim in max20.limits_at(dt.date(2025, 9, 1))] == ["5h", "weekly", "weekly-opus"]
    assert [lim.id for lim in max20.limits_at(LATE_2025)] == ["5h", "weekly", "weekly-sonnet"]
    # Providers publish no figure for the ChatGPT (Codex) windows: none is enforced.
    assert not [lim for lim in catalog.get("chatgpt-pro").limits if lim.enforced]


def test_a_user_file_replaces_a_plan_and_round_trips(tmp_path: Path) -> None:
    catalog = load_plans()
    mine = catalog.get("claude-max-20x").model_copy(update={"name": "My Max"})
    path = tmp_path / "mine.yaml"
    path.write_text(plans_yaml([mine], "my estimate"))
    merged = load_plans([path])
    assert merged.get("claude-max-20x").name == "My Max"
    assert len(merged) == len(catalog)
    assert load_plans([path], packaged=False).get("claude-max-20x") == mine


def test_bad_plan_files_say_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nplans:\n  - id: x\n    name: X\n    provider: a\n    models: ['*']\n")
    with pytest.raises(PlanError, match=r"bad.yaml: plans.0: .*a subscription needs at least one"):
        load_plans([path])
    with pytest.raises(PlanError, match="no such file"):
        load_plans([tmp_path / "missing.yaml"])
    with pytest.raises(PlanError, match="did you mean claude-max-20x"):
        load_plans().get("claude-max-20")
