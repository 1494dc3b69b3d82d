"""The plans commands end to end through the coding-agent log readers: Claude Code and Codex trees
written by the generators, read as a ledger with its limit events, fitted, estimated and cut into
blocks; checked against the billing engine and against plain re-implementations (ccusage's
blocks algorithm, the value up to each limit hit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow.compute as pc
import pytest

import inferonomics as inf
from inferonomics.ledger.agent_logs import write_claude_code_tree, write_codex_tree

pytestmark = pytest.mark.slow  # each test writes and reads a few thousand log lines (~5 s)

HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    root = tmp_path_factory.mktemp("agents")
    claude = write_claude_code_tree(root / "claude", lines=12_000, seed=3)
    codex = write_codex_tree(root / "codex", sessions=12, seed=5)
    assert claude.limit_messages > 0
    return claude.root, codex.root, claude.limit_messages


def test_fit_reconciles_with_the_bill(trees: tuple[Path, Path, int]) -> None:
    claude, codex, _ = trees
    ledger = inf.Ledger.open([claude, codex])
    fit = inf.fit_plans(ledger)
    total = inf.bill(ledger).table["cost_usd"]
    assert fit.api_usd == pc.sum(total).as_py()
    for p in fit.plans:
        assert p.served_usd + p.refused_usd == p.covered_usd, p.plan
        assert p.covered_usd + p.uncovered_usd == fit.api_usd, p.plan
    by = {p.plan: p for p in fit.plans}
    # Codex's requests are OpenAI's: outside every Claude plan, inside every ChatGPT one.
    assert by["claude-max-20x"].uncovered_usd == by["chatgpt-plus"].covered_usd > 0


def test_limit_hits_measured_like_a_plain_loop(trees: tuple[Path, Path, int]) -> None:
    claude, _, hits = trees
    ledger = inf.Ledger.open([claude])
    events = ledger.events()
    assert events.filter(pc.equal(events["kind"], "limit_hit")).num_rows == hits
    result = inf.estimate_limits(ledger)
    [five] = [e for e in result.estimates if e.window == "5h"]
    # The same, by hand: 5-hour blocks over the priced rows in time order; for each 5h hit the
    # value from its block's start up to the hit.
    rows = sorted(
        (r["ts"], r["cost_usd"]) for r in inf.price(ledger).to_arrow().select(["ts", "cost_usd"]).to_pylist()
    )
    starts: list[dt.datetime] = []
    for t, _ in rows:
        if not starts or t >= starts[-1] + 5 * HOUR:
            starts.append(t)
    values = []
    for e in events.filter(pc.equal(events["window"], "5h")).to_pylist():
        start = max((s for s in starts if s <= e["ts"]), default=None)
        if start is None or e["ts"] >= start + 5 * HOUR:
            continue
        values.append(sum((c for t, c in rows if start <= t <= e["ts"]), Decimal(0)))
    values.sort()
    assert five.observations == len(values)
    q = Decimal("0.01")
    assert (five.low, five.high) == (values[0].quantize(q), values[-1].quantize(q))
    assert result.plan is not None
    assert result.plan.id == "claude-max-20x"


def test_blocks_match_ccusages_algorithm(trees: tuple[Path, Path, int]) -> None:
    claude, _, _ = trees
    priced = inf.price(inf.Ledger.open([claude])).to_arrow()
    blocks = inf.usage_blocks(priced, style="ccusage")
    # ccusage (blocks.rs, identify_session_blocks): sorted entries; the first opens a block floored
    # to the hour; an entry more than 5 h after the block's start, or after the previous entry,
    # closes it and opens the next, floored to its hour.
    times = sorted(priced["ts"].to_pylist())
    starts: list[dt.datetime] = []
    last = None
    for t in times:
        if not starts or t - starts[-1] > 5 * HOUR or (last is not None and t - last > 5 * HOUR):
            starts.append(t.replace(minute=0, second=0, microsecond=0))
        last = t
    assert blocks["block_start"].to_pylist() == starts
    assert pc.sum(blocks["cost_usd"]).as_py() == pc.sum(priced["cost_usd"]).as_py()
    assert pc.sum(blocks["requests"]).as_py() == priced.num_rows


def test_fit_reads_the_standard_places_when_no_path_is_given(
    trees: tuple[Path, Path, int], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from inferonomics.cli import app

    claude, _, _ = trees
    env = {"CLAUDE_CONFIG_DIR": str(claude), "CODEX_HOME": str(tmp_path / "none"), "HOME": str(tmp_path)}
    result = CliRunner().invoke(app, ["plans", "fit", "--plan", "api", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    assert f"read the coding-agent logs in {claude / 'projects'}" in result.stdout
    empty = CliRunner().invoke(app, ["plans", "fit"], env={**env, "CLAUDE_CONFIG_DIR": str(tmp_path / "x")})
    assert empty.exit_code == 2
    assert "no coding-agent logs found in the standard places" in empty.output
