"""The README's serving section cannot drift: its commands run and its score table is the live score."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferonomics.catalog.architectures import shared_data_dir
from inferonomics.cli.serve import app
from inferonomics.serving.score import GroupScore, score_file

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## True cost: the serving model"


def section(path: Path) -> str:
    text = path.read_text()
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start : end if end >= 0 else len(text)]


def commands(text: str) -> list[list[str]]:
    out = []
    for block in re.findall(r"```\n(.*?)```", text, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if line.strip().startswith("inferonomics serve "):
                args = shlex.split(line)[2:]
                out.append([a.replace("../shared/data", str(shared_data_dir())) for a in args])
    return out


def pct(x: float | None) -> str:
    assert x is not None
    return f"{100 * x:.1f}%"


@pytest.mark.shared_data
@pytest.mark.parametrize("doc", ["README.md", "docs/serving.md"])
def test_documented_commands_run(configs_dir: Path, doc: str) -> None:
    text = section(ROOT / "README.md") if doc == "README.md" else (ROOT / doc).read_text()
    found = commands(text)
    assert found
    runner = CliRunner()
    for args in found:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{args}: {result.output}"


@pytest.mark.shared_data
def test_readme_score_table_is_the_live_score(calibration_csv: Path, configs_dir: Path) -> None:
    report = score_file(calibration_csv, configs_dir)
    expected = {
        "all": (report.rows, report.predicted, report.ttft_median_ape, report.tpot_median_ape),
        "aggregated": _row(report.by_mode["agg"]),
        "disaggregated": _row(report.by_mode["disagg"]),
        **{name: _row(g) for name, g in report.by_system.items()},
    }
    table = section(ROOT / "README.md")
    for name, (rows, predicted, ttft, tpot) in expected.items():
        line = f"| {name} | {rows} | {predicted} | {pct(ttft)} | {pct(tpot)} |"
        assert line in table, f"README row for {name} should read: {line}"


def _row(g: GroupScore) -> tuple[int, int, float | None, float | None]:
    return (g.rows, g.predicted, g.ttft_median_ape, g.tpot_median_ape)
