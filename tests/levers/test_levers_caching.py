"""The caching lever: providers' rules and exact bills of small replays. Expected dollars are
worked out by hand from the list prices (Sonnet 4.5: input $3, 5-minute write $3.75, 1-hour write
$6, read $0.30 per MTok; GPT-5: input $1.25, read $0.125; Gemini 2.5 Pro: input $1.25, read
$0.125, explicit-cache storage $4.50 per MTok-hour)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from levers_helpers import make_ledger, reference_ttl
from typer.testing import CliRunner

from inferonomics.catalog.book import PriceBook
from inferonomics.cli import app
from inferonomics.errors import LeverError
from inferonomics.levers.assumed import AssumedCaching
from inferonomics.levers.base import Scenario, measure
from inferonomics.levers.caching import Caching, replay_cache
from inferonomics.levers.policies import policy_for

D = Decimal
SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5"}
GPT5 = {"provider": "openai", "model": "gpt-5"}
micro = D("0.000001")


def bill(scenario: Scenario) -> Decimal:
    return measure(scenario).cost_usd


@pytest.mark.parametrize(
    ("provider", "model", "name", "minimum", "increment", "writes"),
    [
        ("anthropic", "claude-sonnet-4-5-20250929", "anthropic", 1024, 1, "cache_write_5m_tokens"),
        ("anthropic", "claude-opus-4-5", "anthropic", 4096, 1, "cache_write_5m_tokens"),
        ("anthropic", "claude-3-haiku", "anthropic", 2048, 1, "cache_write_5m_tokens"),
        ("openai", "gpt-5", "openai", 1024, 128, "cache_write_other_tokens"),
        ("google", "gemini-2.5-pro", "gemini", 2048, 1, "input_tokens"),
        ("deepseek", "deepseek-chat", "deepseek", 64, 64, "input_tokens"),
    ],
)
def test_policies(
    book: PriceBook, provider: str, model: str, name: str, minimum: int, increment: int, writes: str
) -> None:
    p = policy_for(book, provider, model)
    assert (p.name, p.min_tokens, p.increment, p.write_column) == (name, minimum, increment, writes)


def test_anthropic_write_rate_follows_the_ttl(book: PriceBook) -> None:
    assert (
        policy_for(book, "anthropic", "claude-sonnet-4-5", ttl_seconds=3600).write_column
        == "cache_write_1h_tokens"
    )
    p = policy_for(book, "anthropic", "claude-sonnet-4-5", ttl_seconds=math.inf, write_ttl_seconds=300)
    assert p.write_column == "cache_write_5m_tokens"


def test_unknown_policy_is_named(book: PriceBook) -> None:
    with pytest.raises(ValueError, match="unknown caching policy 'nope'"):
        policy_for(book, "anthropic", "claude-sonnet-4-5", policy="nope")


def hashed() -> Scenario:
    rows = [
        {**SONNET, "at": 0, "input_tokens": 2048, "prefix_hashes": [1, 2, 3, 4]},
        {**SONNET, "at": 60, "input_tokens": 2560, "prefix_hashes": [1, 2, 3, 4, 5]},
        {**SONNET, "at": 3660, "input_tokens": 2048, "prefix_hashes": [1, 2, 3, 4]},
    ]
    return Scenario(make_ledger(rows), PriceBook.load())


def test_replay_five_minutes_exact() -> None:
    s = hashed()
    r = replay_cache(s, Caching())
    assert bill(s) == 6656 * 3 * micro
    # Reads: r1 2,048 (4 blocks of r0, 60 s old). Writes: r0 2,048, r1 512, r2 2,048 (r1 is 3,600 s old).
    assert bill(r.scenario) == (4608 * D("3.75") + 2048 * D("0.3")) * micro
    assert (r.cached_input_tokens, r.cache_write_tokens, r.input_tokens_total) == (2048, 4608, 6656)


def test_replay_one_hour_exact() -> None:
    r = replay_cache(hashed(), Caching(ttl_seconds=3600))
    # r2 now finds the 4 blocks r1 used 3,600 s before; writes at the 1-hour rate.
    assert bill(r.scenario) == (2560 * 6 + 4096 * D("0.3")) * micro


def test_ideal_breakpoints_write_only_what_is_read() -> None:
    r = replay_cache(hashed(), Caching(writes="reused"))
    # r0 writes the 2,048 tokens r1 reads; r1 and r2 write nothing (no later read within 5 min).
    assert bill(r.scenario) == (2048 * D("3.75") + 2048 * D("0.3") + 2560 * 3) * micro


def test_openai_rules_on_gpt5() -> None:
    rows = [{**r, **GPT5} for r in hashed().ledger.to_arrow().to_pylist()]
    s = Scenario(make_ledger(rows), PriceBook.load())
    r = replay_cache(s, Caching())
    assert bill(r.scenario) == ((6656 - 2048) * D("1.25") + 2048 * D("0.125")) * micro


def test_sessions_increments_and_minimums() -> None:
    rows = [
        {**GPT5, "at": 0, "session": "a", "input_tokens": 1300},
        {**GPT5, "at": 60, "session": "a", "input_tokens": 1400},
        {**SONNET, "at": 0, "session": "b", "input_tokens": 900},
        {**SONNET, "at": 60, "session": "b", "input_tokens": 1000},
    ]
    s = Scenario(make_ledger(rows), PriceBook.load())
    r = replay_cache(s, Caching())
    assert r.structure == "sessions"
    assert r.cached_input_tokens == 1280  # 1,300 in 128-token increments
    assert r.below_minimum_requests == 2  # Sonnet prompts under 1,024 tokens
    after = measure(r.scenario, ["model"]).table.to_pylist()
    by_model = {x["model"]: x["cost_usd"] for x in after}
    assert by_model["gpt-5"] == ((1300 + 120) * D("1.25") + 1280 * D("0.125")) * micro
    assert by_model["claude-sonnet-4-5"] == 1900 * 3 * micro


def test_declared_system_prompt() -> None:
    rows = [{**SONNET, "at": t, "feature": "chat", "input_tokens": 2000} for t in (0, 60)]
    r = replay_cache(Scenario(make_ledger(rows), PriceBook.load()), Caching(system_tokens={"chat": 1500}))
    assert r.structure == "declared"
    assert bill(r.scenario) == ((2000 + 500) * D("3.75") + 1500 * D("0.3")) * micro


def test_no_structure_is_a_clear_error() -> None:
    s = Scenario(make_ledger([{**SONNET, "input_tokens": 2000}]), PriceBook.load())
    with pytest.raises(LeverError, match="no prefix structure"):
        replay_cache(s, Caching())


def test_assumed_hit_rate_exact() -> None:
    s = Scenario(make_ledger([{**SONNET, "input_tokens": 10_000}]), PriceBook.load())
    after = AssumedCaching(hit_rate=D("0.5"), reads_per_write=D(5)).apply(s)
    assert bill(after) == (5000 * D("0.3") + 1000 * D("3.75") + 4000 * 3) * micro
    with pytest.raises(LeverError, match="more than the whole prompt"):
        AssumedCaching(hit_rate=D("0.9"), reads_per_write=D(1)).apply(s)


def test_explicit_gemini_cache_bills_storage() -> None:
    gemini = {"provider": "google", "model": "gemini-2.5-pro"}
    rows = [
        {**gemini, "at": 0, "input_tokens": 512, "prefix_hashes": [1]},
        {**gemini, "at": 100, "input_tokens": 712, "prefix_hashes": [1, 2]},
    ]
    s = Scenario(make_ledger(rows), PriceBook.load())
    r = replay_cache(s, Caching(policy="gemini-explicit", ttl_seconds=300, min_tokens=0))
    # Held: block 1 (512 tokens) 100 s then 300 s, block 2 (200 tokens) 300 s.
    token_seconds = 512 * 100 + 512 * 300 + 200 * 300
    assert r.storage_usd == token_seconds * D("4.50") / (3600 * 1_000_000)  # $0.0003305, a finite decimal
    assert bill(r.scenario) == (512 * D("1.25") + 512 * D("0.125") + 200 * D("1.25")) * micro + r.storage_usd


def test_aggregate_rows_are_not_replayed() -> None:
    rows = [{**SONNET, "session": "a", "requests": 2, "input_tokens": 5000, "cache_read_tokens": 1000}]
    s = Scenario(make_ledger(rows), PriceBook.load())
    r = replay_cache(s, Caching())
    assert (r.replayed_requests, r.cached_input_tokens) == (0, 1000)
    assert bill(r.scenario) == bill(s)


def test_cli_json_pure_bound(tmp_path: Path, mooncake: Path) -> None:
    lines = mooncake.read_text().splitlines()[:400]
    part = tmp_path / "mooncake-400.jsonl"
    part.write_text("\n".join(lines) + "\n")
    args = ["levers", "cache", str(part), "--model-as", "anthropic/claude-sonnet-4-5", "--ttl", "inf"]
    result = CliRunner().invoke(app, [*args, "--min-tokens", "0", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in ("requests", "input_tokens_total", "cached_input_tokens", "cached_input_share"):
        assert key in out
    assert isinstance(out["cost_before_usd"], str)
    assert isinstance(out["cost_after_usd"], str)
    rows = [json.loads(x) for x in lines]
    hits = reference_ttl([(r["timestamp"], r["hash_ids"]) for r in rows], math.inf)
    cached = sum(min(h * 512, r["input_length"]) for h, r in zip(hits, rows, strict=True))
    assert (out["requests"], out["cached_input_tokens"]) == (400, cached)
    assert out["input_tokens_total"] == sum(r["input_length"] for r in rows)


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        "ts,provider,model,input_tokens,session\n2026-10-05T12:00:00Z,anthropic,claude-sonnet-4-5,10,s\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "inferonomics", "levers", "cache", str(path), "--ttl", "0"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr == "error: a TTL must be > 0, got '0'\n"
    listed = subprocess.run(
        [sys.executable, "-m", "inferonomics", "levers", "cache", str(path), "--policy", "nope"],
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 2
    assert (
        "'nope' is not one of 'anthropic', 'openai', 'gemini', 'gemini-explicit', 'deepseek'" in listed.stderr
    )
    assert "Traceback" not in listed.stderr


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            ["levers", "cache"],
            ["--model-as", "--policy", "--ttl", "--min-tokens", "--format", "--capacity-blocks"],
        ),
        (["whatif"], ["--lever", "--model-as", "--prices", "--format"]),
        (["playbook"], ["--lever", "--model-as", "--format"]),
    ],
)
def test_help_lists_the_options(command: list[str], options: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    for option in options:
        assert option in result.output, (command, option)


def test_cache_report_by_groups_and_period_adds_up_to_the_whole(tmp_path: Path) -> None:
    import inferonomics as inf

    path = tmp_path / "g.parquet"
    inf.generate_demo(path, 3_000, seed=5, prefix_block_tokens=1024)
    with inf.Ledger.open([path]) as ledger:
        whole = inf.cache_report(ledger, Caching())
        split = inf.cache_report(ledger, Caching(), by=["feature"], grain="day")
    assert split.groups is not None
    groups = split.groups.to_pylist()
    assert len({g["period"] for g in groups}) > 20  # a month, by day
    # The groups partition the rows: their bills and tokens add up to the whole report's.
    assert sum(g["cost_before_usd"] for g in groups) == whole.cost_before_usd
    assert sum(g["cost_after_usd"] for g in groups) == whole.cost_after_usd - whole.storage_usd
    assert sum(g["cached_input_tokens"] for g in groups) == whole.cached_input_tokens
    assert sum(g["requests"] for g in groups) == whole.requests == 3_000
