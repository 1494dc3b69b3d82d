"""The CLI as a user meets it: every command's help (paragraphs not broken where the source broke
a line, required options marked, choices listed, flags without a value), errors as one line, and
tables that are never cut when the output goes to a file or a pipe."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from inferonomics.cli import app

runner = CliRunner()


def _commands() -> list[tuple[list[str], Any]]:
    """Every command and group, with its path of names."""
    root = typer.main.get_command(app)
    found: list[tuple[list[str], Any]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        found.append((path, cmd))
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(root, [])
    return found


def _choices(param: Any) -> list[str]:
    """The values a parameter accepts when they are a closed list (a Literal annotation)."""
    descriptor = getattr(param, "type_descriptor", None)  # Typer 0.29 keeps the annotation here
    if descriptor is None:  # earlier Typers turn a Literal into a Choice
        return [str(c) for c in getattr(param.type, "choices", ())]
    annotation = descriptor.annotation
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Literal:
            return [str(a) for a in typing.get_args(arg)]
    return []


COMMANDS = _commands()
LEAVES = [(p, c) for p, c in COMMANDS if not hasattr(c, "commands")]


def test_every_command_is_there() -> None:
    names = {" ".join(p) for p, _ in LEAVES}
    assert names == {
        "agents blocks",
        "agents daily",
        "agents monthly",
        "agents session",
        "agents weekly",
        "bill",
        "cases",
        "export focus",
        "export focus-check",
        "generate",
        "import",
        "levers cache",
        "plans fit",
        "plans limits",
        "plans list",
        "plans simulate",
        "playbook",
        "prices",
        "quarantine",
        "reconcile",
        "report",
        "serve cost",
        "serve frontier",
        "serve gpus",
        "serve score",
        "whatif",
    }


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "root" for p, _ in COMMANDS])
def test_help(path: list[str], command: Any) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    text = result.output
    # The help is wrapped to the terminal, not where the docstring broke its lines: a paragraph
    # of the command's help has no line break of its own.
    for paragraph in (command.help or "").split("\n\n"):
        assert "\n" not in paragraph, (path, paragraph)
    assert "<bool>" not in text  # flags take no value
    for param in getattr(command, "params", []):
        if param.name == "help":
            continue
        assert param.help, (path, param.name)
        if getattr(param, "is_flag", False):
            continue
        for choice in _choices(param):
            assert f"{choice}" in text, (path, param.name, choice)
    required = [p for p in getattr(command, "params", []) if p.required]
    assert len(re.findall(r"[\[ ]required\]", text)) >= len(required), (path, [p.name for p in required])


def test_an_option_that_needs_another_says_so_in_its_help() -> None:
    text = runner.invoke(app, ["serve", "cost", "--help"], env={"COLUMNS": "200"}).output
    assert text.count("(one is required)") == 2  # --concurrency and --tpot-slo
    assert "serve gpus" in text  # where GPUs and market tiers are listed


def test_gpus_lists_market_tiers() -> None:
    result = runner.invoke(app, ["serve", "gpus", "--format", "json"])
    assert result.exit_code == 0, result.output
    gpus = {g["name"]: g for g in json.loads(result.output)}
    h100 = gpus["h100_sxm"]
    # seed case D5's specialist tier: $1.49-$1.90 per GPU-hour, mid-point $1.695
    assert Decimal(h100["markets"]["specialist"]) == Decimal("1.695")
    assert h100["default_market"] in h100["markets"]


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a whole process, its output going to a pipe (as when redirected to a file)."""
    return subprocess.run(
        [sys.executable, "-m", "inferonomics", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "INFERONOMICS_THREADS": "2"},
    )


LONG = "platform-engineering-shared-services-cost-center-0042-europe-west-long-name"


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "usage.csv"
    rows = [
        # ts, request_id, provider, model, input, output, cost center, team
        ("2025-11-03T10:00:00Z", "a", "OpenAI", "gpt-4o-2024-08-06", 1_000_000, 100_000, LONG, "search"),
        ("2025-11-03T11:00:00Z", "b", "openai", "gpt-4o-2024-08-06", 1_000_000, 0, LONG, "search"),
        ("2025-11-04T10:00:00Z", "c", "anthropic", "claude-sonnet-4-5", 150_000, 0, "cc-7", "chat"),
        ("2025-11-04T12:00:00Z", "d", "Anthropic", "claude-sonnet-4-5", 0, 100_000, "cc-7", ""),
    ]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["ts", "request_id", "provider", "model", "input_tokens", "output_tokens", "cost center", "team"]
        )
        w.writerows(rows)
    return path


# By hand, at the list prices of 2025-11 (GPT-4o $2.50 / $10, Sonnet 4.5 $3 / $15 per MTok; no
# request above Sonnet's 200k-token long-context threshold):
GPT4O = Decimal("2.5") * 2 + Decimal(10) * Decimal("0.1")  # 2M input, 100k output: $6.00
SONNET = Decimal(3) * Decimal("0.15") + Decimal(15) * Decimal("0.1")  # $0.45 + $1.50 = $1.95


@pytest.mark.slow
def test_piped_tables_are_not_cut_and_end_with_a_total(tagged: Path) -> None:
    result = run("bill", tagged, "--by", "cost center,provider,model")
    assert result.returncode == 0, result.stderr
    assert LONG in result.stdout  # 75 characters, in full: nothing cut at 80 columns
    assert "…" not in result.stdout
    lines = result.stdout.splitlines()
    total = next(line for line in lines if line.startswith("total"))
    # $6.00 + $1.95
    assert re.findall(r"\$[\d,.]+", total)[-1] == "$7.95"
    assert "extra columns kept as tags: cost center, team" in result.stderr


@pytest.mark.slow
def test_tags_group_like_any_column_and_providers_are_case_folded(tagged: Path) -> None:
    result = run("bill", tagged, "--by", "team,provider", "--format", "json")
    assert result.returncode == 0, result.stderr
    got = {(r["team"], r["provider"]): Decimal(r["cost_usd"]) for r in json.loads(result.stdout)}
    assert got == {
        ("search", "openai"): GPT4O,  # "OpenAI" and "openai": one provider
        ("chat", "anthropic"): Decimal(3) * Decimal("0.15"),
        (None, "anthropic"): Decimal("1.5"),  # an empty tag is no tag
    }


@pytest.mark.slow
def test_csv_money_is_plain_decimal_and_periods_iso(tagged: Path) -> None:
    result = run("bill", tagged, "--by", "model", "--grain", "day", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert {r["period"] for r in rows} == {"2025-11-03T00:00:00Z", "2025-11-04T00:00:00Z"}
    by = {(r["period"][:10], r["model"]): r for r in rows}
    assert by[("2025-11-03", "gpt-4o-2024-08-06")]["cost_usd"] == "6"
    assert by[("2025-11-04", "claude-sonnet-4-5")]["cost_usd"] == "1.95"
    assert by[("2025-11-04", "claude-sonnet-4-5")]["cost_fees_usd"] == "0"


@pytest.mark.slow
def test_periods_in_a_time_zone_are_written_with_their_offset(tagged: Path) -> None:
    # Rows at 10:00 and 11:00 UTC on 2025-11-03 and 10:00, 12:00 on the 4th: in Tokyo (UTC+9)
    # they fall on the 3rd (19:00, 20:00) and the 4th (19:00, 21:00).
    result = run("bill", tagged, "--grain", "day", "--timezone", "Asia/Tokyo", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["period"], r["requests"]) for r in rows] == [
        ("2025-11-03T00:00:00+09:00", "2"),
        ("2025-11-04T00:00:00+09:00", "2"),
    ]


@pytest.mark.slow
def test_periods_in_a_time_zone_read_the_same_in_the_table_and_json(tagged: Path) -> None:
    # The same rows as above: the table shows Tokyo's days, JSON writes them as the CSV does
    # (before, the table showed 2025-11-02 15:00, the UTC instant of Tokyo's midnight, and JSON Z).
    table = run("bill", tagged, "--grain", "day", "--timezone", "Asia/Tokyo")
    assert table.returncode == 0, table.stderr
    days = [line.split()[0] for line in table.stdout.splitlines() if line.startswith("2025-")]
    assert days == ["2025-11-03", "2025-11-04"]
    as_json = run("bill", tagged, "--grain", "day", "--timezone", "Asia/Tokyo", "--format", "json")
    assert [r["period"] for r in json.loads(as_json.stdout)] == [
        "2025-11-03T00:00:00+09:00",
        "2025-11-04T00:00:00+09:00",
    ]
    utc = run("bill", tagged, "--grain", "day", "--format", "json")
    assert [r["period"] for r in json.loads(utc.stdout)] == ["2025-11-03T00:00:00Z", "2025-11-04T00:00:00Z"]


def test_unknown_group_column_names_the_tags(tagged: Path) -> None:
    result = run("bill", tagged, "--by", "department")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "cannot group by department" in result.stderr
    assert "cost center" in result.stderr
    assert "team" in result.stderr


def test_output_into_a_missing_folder_fails_before_any_work(tagged: Path, tmp_path: Path) -> None:
    result = run("bill", tagged, "--format", "csv", "--out", tmp_path / "no" / "such" / "bill.csv")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "rows read" not in result.stderr  # nothing was read


@pytest.mark.slow
def test_markup_in_user_text_is_shown_as_written(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(
        "ts,provider,model,feature,input_tokens\n2025-11-03T10:00:00Z,openai,gpt-4o,[bold red]x[/],1000\n"
    )
    result = run("bill", path, "--by", "feature")
    assert result.returncode == 0, result.stderr
    assert "[bold red]x[/]" in result.stdout


@pytest.mark.slow
def test_switch_is_labelled_switch(tagged: Path) -> None:
    result = run(
        "whatif",
        tagged,
        "--lever",
        "switch:from=anthropic/claude-sonnet-4-5,to=anthropic/claude-haiku-4-5",
        "--by",
        "team",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["lever"] for s in data["steps"]] == ["switch"]
    # Haiku 4.5 is $1 / $5: the Sonnet rows go from $1.95 to $0.15 + $0.50 = $0.65
    assert Decimal(data["saving_usd"]) == SONNET - Decimal("0.65")
    chat = next(r for r in data["breakdown"] if r["team"] == "chat")
    assert Decimal(chat["cost_before_usd"]) == Decimal("0.45")
    assert Decimal(chat["cost_after_usd"]) == Decimal("0.15")


@pytest.mark.slow
def test_report_markdown_has_the_total_and_the_tag_breakdown(tagged: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = run("report", tagged, "--by", "team", "--format", "markdown", "--out", out)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "**Total $7.95**" in text
    assert "## By team" in text
    assert re.search(r"\| search \| 2 \|", text)


def test_input_formats_offered_are_the_readers() -> None:
    from inferonomics.cli._common import InputFormat
    from inferonomics.ledger.readers import FORMATS

    assert typing.get_args(InputFormat) == FORMATS
