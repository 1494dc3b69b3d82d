"""Every hostile input of the corpus (`corpus.py`), run through the CLI as a whole: the exact exit
code, the account of rows (read = billed + quarantined), the reason naming file, line and field
(or one line naming the file and what to do), no traceback and no secret in any output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferonomics.cli.app import app

from .corpus import SECRET, Case, cases

ANSI = re.compile(r"\x1b")
CASES = {c.name: c for c in cases()}
HEAVY = {
    "gzip-bomb",
    "long-line",
    "stray-quote",
    "empty-model-report",
    "empty-model-cache",
    "empty-model-reconcile",
    "empty-model-batch",
    "markup-in-path-report",
}
"""Cases over ~5 s (a bomb, an 80 MiB line, 20,000 rows, whole reports and levers): marked slow."""


def run_case(case: Case, folder: Path) -> tuple[int, str, str, BaseException | None]:
    """Write the case's files and run its command in this process (as `inferonomics` would)."""
    case.write(folder)
    args = [a.replace("{d}", str(folder)) for a in case.args]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr, result.exception


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in CASES],
)
def test_case(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    code, stdout, stderr, exc = run_case(case, tmp_path)
    if exc is not None and not isinstance(exc, SystemExit):
        raise AssertionError(f"{name}: raised {exc!r}\nstderr: {stderr}")
    assert "Traceback" not in stdout + stderr
    assert SECRET not in stdout + stderr
    assert not ANSI.search(stdout + stderr), "an escape sequence reached the terminal"
    assert code == case.exit_code, f"{name}: exit {code}, stderr: {stderr}"
    if case.account is not None:
        read, billed, quarantined = case.account
        assert f"rows read {read:,} = billed {billed:,} + quarantined {quarantined:,}" in stderr, stderr
    for text in case.shows:  # on stderr (the account, errors) or in a report on stdout
        assert text.replace("{d}", str(tmp_path)) in stderr + stdout, stderr
    for name, texts in case.writes.items():
        written = (tmp_path / name).read_text()
        for text in texts:
            assert text in written, written
    if code != 0:  # one line of ours, or the usage error of the option parser
        lines = [line for line in stderr.splitlines() if line.strip()]
        ours = len(lines) == 1 and lines[0].startswith("error: ")
        assert ours or (code == 2 and lines[0].startswith("Usage: ")), stderr
