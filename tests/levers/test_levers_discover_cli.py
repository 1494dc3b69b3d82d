"""`inferonomics playbook` with discovery, as a user runs it: JSON steps carry their features and
evidence, --only/--skip choose the levers, a bad option is a one-line error; `generate --profile`;
and on the realistic demo no interactive feature is sent to batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import inferonomics as inf
from inferonomics.cli.app import app
from inferonomics.ledger.profiles import planted_truth

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "u.parquet"
    result = CliRunner().invoke(
        app, ["generate", str(path), "--rows", "2500", "--profile", "unoptimized", "--seed", "4"], env=ENV
    )
    assert result.exit_code == 0, result.output
    return path


def test_generate_writes_the_profile_and_its_truth(small: Path) -> None:
    truth = planted_truth(small)
    assert truth is not None
    assert (truth["profile"], truth["rows"], truth["seed"]) == ("unoptimized", 2500, 4)


@pytest.mark.slow
def test_json_steps_carry_features_and_evidence(small: Path) -> None:
    result = CliRunner().invoke(
        app, ["playbook", str(small), "--only", "batch", "--only", "cap", "--format", "json"], env=ENV
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    steps = {s["lever"]: s for s in data["steps"]}
    assert list(steps) == ["cap", "batch"]
    assert steps["batch"]["features"] == ["nightly-digest"]
    assert steps["cap"]["features"] == ["report-writer"]
    for s in steps.values():
        assert s["evidence"]
        assert s["assumptions"]
        assert s["risk"]
    assert [c["lever"] for c in data["discovery"]["candidates"]] == ["cap", "batch"]
    assert {row["feature"] for row in data["discovery"]["signals"]} == {
        "support-chat",
        "ticket-classify",
        "nightly-digest",
        "report-writer",
        "legal-check",
    }


@pytest.mark.slow
def test_the_table_prints_evidence_and_the_check_a_route_needs(small: Path) -> None:
    result = CliRunner().invoke(app, ["playbook", str(small), "--skip", "cache", "--skip", "where"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "evidence: nightly-digest:" in result.output
    assert "check: ticket-classify: verify with an evaluation" in result.output
    assert "risk: results arrive late" in result.output


@pytest.mark.slow
def test_bad_choices_are_one_line_errors(small: Path, tmp_path: Path) -> None:
    runs = [
        (["--only", "teleport"], "unknown lever 'teleport'"),
        (["--lever", "batch", "--only", "batch"], "--lever replaces discovery"),
        (["--quality", str(tmp_path / "none.csv")], "cannot read the quality table"),
    ]
    for extra, message in runs:
        done = subprocess.run(
            [sys.executable, "-m", "inferonomics", "playbook", str(small), *extra],
            capture_output=True,
            text=True,
            env={**os.environ, **ENV},
        )
        assert done.returncode != 0
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_help_lists_the_discovery_options() -> None:
    result = CliRunner().invoke(app, ["playbook", "--help"], env=ENV)
    assert result.exit_code == 0
    for option in ("--only", "--skip", "--cap-percentile", "--quality", "--commitments", "--batch-feature"):
        assert option in result.output


@pytest.mark.slow
def test_the_realistic_demo_batches_no_interactive_feature(tmp_path: Path) -> None:
    path = tmp_path / "real.parquet"
    inf.generate_demo(path, 20_000, seed=8)
    found = inf.discover(inf.Ledger.open([path]), options=inf.DiscoveryOptions(only=("batch",)))
    (batch,) = found.candidates
    # The generator sends summarize and classify to batch/flex; chat, the coding agent and search are
    # sessions of people waiting.
    assert set(batch.features) <= {"summarize", "classify"}
    assert batch.features
    interactive = {s["feature"] for s in found.signals if s["session_requests"] >= 0.1 * s["requests"]}
    assert {"chat", "coding-agent", "search"} <= interactive
