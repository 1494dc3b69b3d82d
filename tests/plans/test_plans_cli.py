"""`inferonomics plans ...` as a user meets it: the catalogue, a fit and a simulation on a file,
JSON money as exact decimal strings, and errors as one line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from plans_helpers import T0, H, ledger_table
from typer.testing import CliRunner

from inferonomics.cli import app

runner = CliRunner()
D = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def week_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Five days of four $25 Opus 4.5 requests (1M output tokens at $25 / MTok) for user "me",
    # one $25 request a day for "you".
    rows = [("me", T0 + d * D + h * H, "claude-opus-4-5", 0, 1_000_000) for d in range(5) for h in range(4)]
    rows += [("you", T0 + d * D, "claude-opus-4-5", 0, 1_000_000) for d in range(5)]
    path = tmp_path_factory.mktemp("plans") / "usage.csv"
    pacsv.write_csv(ledger_table(rows), path)
    return path


def test_list_as_json() -> None:
    result = runner.invoke(app, ["plans", "list", "--at", "2025-12-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    max20 = {r["limit"]: r for r in rows if r["plan"] == "claude-max-20x"}
    assert max20["5h"]["amount"] == "83"
    assert max20["weekly"]["amount"] == "625"
    assert max20["5h"]["status"] == "estimated"
    assert max20["5h"]["usd_per_month"] == "200"


@pytest.mark.slow
def test_fit_one_user(week_csv: Path) -> None:
    result = runner.invoke(
        app,
        [
            "plans",
            "fit",
            str(week_csv),
            "--user",
            "me",
            "--plan",
            "api",
            "--plan",
            "claude-max-20x",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    fit = json.loads(result.stdout)
    # $100 a day for 5 days: $500, $3,043.75 a month (x 30.4375 / 5); Max 20x serves it all.
    assert fit["api_usd"] == "500"
    assert fit["api_usd_per_month"] == "3043.75"
    assert (fit["cheapest"], fit["runner_up"]) == ("claude-max-20x", "api")
    assert Decimal(fit["margin_usd"]) == Decimal("3043.75") - 200
    [forecast] = fit["plans"][1]["forecasts"]
    assert forecast["hit_at"] == "2025-12-06T13:45:00Z"  # 125 / (500 / 99 h) = 24.75 h after Fri 13:00
    table = runner.invoke(app, ["plans", "fit", str(week_csv), "--user", "me"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "cheapest for this usage: claude-max-20x" in table.stdout
    assert "cannot serve" in table.stdout  # Pro refuses usage it does not sell


@pytest.mark.slow
def test_simulate_as_csv_and_json(week_csv: Path) -> None:
    args = ["plans", "simulate", str(week_csv), "--plan", "claude-max-20x", "--true-cost", "0/2"]
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    # 2 users x $200; true cost $2 a request: me 20, you 5 -> $50 over 5 days, x 30.4375 / 5.
    assert row["users"] == "2"
    assert Decimal(row["revenue_usd"]) == 400
    assert Decimal(row["true_cost_usd"]) == Decimal(50) * Decimal("30.4375") / 5  # $304.375
    result = runner.invoke(app, [*args, "--format", "json"])
    [plan] = json.loads(result.stdout)
    for key in (
        "plan",
        "users",
        "revenue_usd",
        "api_equivalent_usd",
        "true_cost_usd",
        "gross_margin",
        "users_hitting_any_limit_share",
        "p95_user_true_cost_usd",
    ):
        assert key in plan
    assert plan["true_cost_usd"] == "304.375"
    assert "population: the ledger's 2 subscribers (column user)" in result.stderr


def test_errors_are_one_line(week_csv: Path) -> None:
    result = runner.invoke(app, ["plans", "fit", str(week_csv), "--plan", "claude-max-21x"])
    assert result.exit_code == 2
    assert "unknown plan 'claude-max-21x'; did you mean claude-max-20x" in result.output
    result = runner.invoke(app, ["plans", "simulate", str(week_csv), "--true-cost", "free"])
    assert result.exit_code == 2
    assert "--true-cost: rate 'free' is not a number" in result.output
    result = runner.invoke(app, ["plans", "fit", str(week_csv)])
    assert result.exit_code == 2
    assert "the usage holds 2 users (me, you)" in result.output
