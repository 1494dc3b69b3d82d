"""The worked cases as a whole: every one is listed, every verdict comes from the one rule, the
checked-in `docs/worked-cases.md` is a fresh rendering, and the CLI writes it."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import inferonomics
from inferonomics.cases import CASE_IDS, CaseResult, CaseResults, run_cases
from inferonomics.cases.verdict import VERDICTS, decide
from inferonomics.catalog.architectures import default_configs_dir, shared_data_dir
from inferonomics.cli import app

REPO = Path(__file__).resolve().parents[2]
CASES_SRC = Path(inferonomics.__file__).parent / "cases"


def test_every_case_is_listed_in_the_articles_order() -> None:
    expected = [f"{s}{i}" for s, n in zip("ABCDEF", (5, 5, 4, 5, 4, 3), strict=True) for i in range(1, n + 1)]
    assert list(CASE_IDS) == expected  # 26 cases, A1-F3


def test_every_verdict_is_the_rules(case_results: CaseResults) -> None:
    assert [r.id for r in case_results] == list(CASE_IDS)
    for r in case_results:
        decision = decide([j.part for j in r.parts])
        assert (r.verdict, r.reason) == (decision.verdict, decision.text), r.id
        assert r.explanation.startswith(decision.text), r.id


def test_no_case_states_a_verdict_of_its_own() -> None:
    # Verdict words appear only in the rule, and only `conclude` builds a CaseResult.
    for path in sorted(CASES_SRC.glob("*.py")):
        tree = ast.parse(path.read_text())
        if path.name != "verdict.py":
            literals = [
                n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in VERDICTS
            ]
            assert not literals, (path.name, literals)
        if path.name != "result.py":
            calls = [
                n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "CaseResult"
            ]
            assert not calls, path.name


def test_run_cases_reports_progress_before_each_case() -> None:
    seen: list[str] = []
    results = run_cases(["f2", "F1"], progress=seen.append)
    assert seen == ["F2", "F1"]
    assert [r.id for r in results] == ["F2", "F1"]
    assert isinstance(results[0], CaseResult)
    assert results.markdown().startswith("# Worked cases")


@pytest.mark.slow
def test_the_worked_cases_document_is_a_fresh_rendering(case_results: CaseResults) -> None:
    if not default_configs_dir().is_dir() or not (shared_data_dir() / "traces").is_dir():
        pytest.skip("docs/worked-cases.md is rendered with the shared data (set INFERONOMICS_SHARED_DATA)")
    checked_in = (REPO / "docs" / "worked-cases.md").read_text()
    assert checked_in == case_results.markdown(), (
        "docs/worked-cases.md is stale: run `inferonomics cases --format markdown --out docs/worked-cases.md`"
    )


def test_the_cli_writes_markdown_json_and_a_table(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cases.md"
    result = runner.invoke(app, ["cases", "A4", "F2", "--format", "markdown", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == run_cases(["A4", "F2"]).markdown()
    result = runner.invoke(app, ["cases", "F1", "--format", "json"])
    assert result.exit_code == 0, result.output
    [f1] = json.loads(result.output)
    assert f1["parts"][0]["computed"] == ["38", "38"]  # 1 - 0.62, as an exact decimal
    result = runner.invoke(app, ["cases", "F1", "F2"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Verdicts" in result.output
    assert "margin before" in result.output
    result = runner.invoke(app, ["cases", "Z9"])
    assert result.exit_code == 2
    assert "unknown case Z9" in result.output


def _readme_cases_paragraph() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("`inferonomics cases` computes")
    return " ".join(text[start : text.index("\n\n", start)].split())


@pytest.mark.usefixtures("data_dir")  # needs the shared data (the serving model)
def test_the_readme_states_the_computed_verdicts(case_results: CaseResults) -> None:
    paragraph = _readme_cases_paragraph()
    stated: dict[str, str] = {}
    for verdict, body in re.findall(r"\*\*([A-Z][a-z ]+):\*\* (.*?)(?=\*\*|$)", paragraph):
        for case_id in re.findall(r"\b[A-F]\d\b", re.sub(r"\([^)]*\)", "", body)):
            stated[case_id] = verdict.lower()
    assert stated == {r.id: r.verdict for r in case_results}


FIGURE = re.compile(r"\$[\d,]+(?:\.\d+)?(?:–\$[\d,]+(?:\.\d+)?)?|\b\d+(?:\.\d+)?x\b")
"""Money (or a range of it) and factors, as the README quotes them."""


def test_the_readme_quotes_only_figures_the_document_shows() -> None:
    if not default_configs_dir().is_dir():
        pytest.skip("docs/worked-cases.md is rendered with the shared data (set INFERONOMICS_SHARED_DATA)")
    document = (REPO / "docs" / "worked-cases.md").read_text()
    figures = re.findall(
        r"\$[\d,]+(?:\.\d+)?(?:–\$[\d,]+(?:\.\d+)?)?|\b\d+(?:\.\d+)?x\b", _readme_cases_paragraph()
    )
    assert figures
    missing = [f for f in figures if f not in document]
    assert not missing, missing
