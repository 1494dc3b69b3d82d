"""The README cannot drift: the tour's commands run as written, its Python snippet runs, and the
CLI's help lists the options the README and the issue name."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    return Path(os.environ.get("INFERONOMICS_SHARED_DATA", REPO.parent / "shared" / "data"))


def section(title: str) -> str:
    text = (REPO / "README.md").read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", section("A short tour"), re.S)
    assert block is not None
    return [
        line.split("  #")[0].strip()
        for line in block.group(1).splitlines()
        if line.startswith("inferonomics ")
    ]


@pytest.mark.slow
def test_tour_commands_run(tmp_path: Path) -> None:
    data = shared_data()
    for command in commands():
        if "../shared/data" in command and not data.is_dir():
            continue
        args = shlex.split(command.replace("../shared/data", str(data)))
        result = subprocess.run(
            [sys.executable, "-m", "inferonomics", *args[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr
        # Output piped to a file, as a user redirecting it: no table cell is cut short (a cut cell
        # ends in "…"; a line that starts with one is a caption saying how many rows follow).
        for line in result.stdout.splitlines():
            assert "…" not in line.lstrip()[1:], (command, line)
        if args[1] == "bill" and "--format" not in args:
            assert any(line.startswith("total") for line in result.stdout.splitlines()), command
        if args[1] == "report" and "--out" not in args:
            assert "Total $" in result.stdout
    header = (tmp_path / "bill.csv").read_text().splitlines()[0].replace('"', "")
    assert header.startswith("period,provider,model,rows,requests")
    assert "**Total $" in (tmp_path / "report.md").read_text()


def test_python_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inferonomics import generate_demo

    generate_demo(tmp_path / "demo.parquet", 2_000, seed=1)
    snippet = re.search(r"```python\n(.*?)```", section("A short tour"), re.S)
    assert snippet is not None
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(snippet.group(1), scope)  # the README's own example
    result = scope["result"]
    assert result.account.rows_read == 2_000  # type: ignore[attr-defined]
    plan = scope["plan"]
    assert [s.lever for s in plan.steps] == ["batch", "cap"]  # type: ignore[attr-defined]
    assert plan.saving_usd > 0  # type: ignore[attr-defined]  # summaries moved to batch save


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            "bill",
            ["--model-as", "--by", "--grain", "--prices", "--format", "--out", "--columns", "--input-format"],
        ),
        ("report", ["--rows", "--seed", "--prices"]),
        ("prices", ["--at", "--provider", "--tier", "--region", "--prices"]),
        ("generate", ["--rows", "--seed", "--start", "--days"]),
        ("quarantine", ["--columns", "--model-as"]),
        ("cases", ["--format"]),
    ],
)
def test_help_lists_the_options(command: str, options: list[str]) -> None:
    from typer.testing import CliRunner

    from inferonomics.cli import app

    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    for option in options:
        assert option in result.output, (command, option)
