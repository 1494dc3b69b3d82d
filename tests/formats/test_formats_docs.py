"""The docs cannot drift: the README's section on formats runs as written, and every format the
readers know is documented in docs/formats.md and named in the CLI's --input-format help."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from inferonomics.ledger.readers import FORMATS

REPO = Path(__file__).resolve().parents[2]
HEADING = "## Real usage data in, FOCUS out"


def section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start : end if end >= 0 else len(text)]


@pytest.mark.slow
def test_readme_commands_run(tmp_path: Path) -> None:
    [block] = re.findall(r"```\n(.*?)```", section(), flags=re.S)
    commands = [shlex.split(line) for line in block.splitlines() if line.startswith("inferonomics ")]
    assert len(commands) == 4
    for args in commands:
        args = [str(REPO / a) if a.startswith("tests/") else a for a in args[1:]]
        result = subprocess.run(
            [sys.executable, "-m", "inferonomics", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert (tmp_path / "ledger.parquet").exists()
    assert (tmp_path / "focus.csv").read_text().startswith('"BilledCost"')


def test_every_format_is_documented_and_in_the_help() -> None:
    docs = (REPO / "docs" / "formats.md").read_text()
    help_text = subprocess.run(
        [sys.executable, "-m", "inferonomics", "bill", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},
    ).stdout
    for name in FORMATS:
        if not name.startswith("ledger-") and name not in ("azure-trace", "mooncake-trace"):
            assert f"`{name}`" in docs, name
        assert name in help_text, name
