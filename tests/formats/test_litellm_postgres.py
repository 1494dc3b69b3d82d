"""LiteLLM's spend-log table read straight from a real PostgreSQL server (through Ibis), started on
loopback by `scripts/test_postgres.sh` with the fixture's seven rows: it gives the same ledger as
the JSON-lines export of the same rows."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from format_helpers import FIXTURES

from inferonomics.errors import InputError
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers.litellm import database_url, redacted

# Whole processes and property searches: `make test` runs them, `make quick` does not.
pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test_postgres.sh"


@pytest.fixture(scope="session")
def litellm_database() -> Iterator[str]:
    """The URL of a throwaway PostgreSQL on 127.0.0.1 holding the fixture's LiteLLM_SpendLogs."""
    # Not under pytest's tmp_path: its parents are private to the user running pytest, and as root
    # the server runs as `postgres`, who must reach its data directory.
    directory = tempfile.mkdtemp(prefix="inferonomics-pg-")
    try:
        started = subprocess.run(
            ["bash", str(SCRIPT), "start", directory, str(FIXTURES / "litellm_spend_logs.sql")],
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not be started on loopback by scripts/test_postgres.sh: {e}")
    if started.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.skip(
            "PostgreSQL could not be started on loopback by scripts/test_postgres.sh "
            f"(apt-get reachable? initdb allowed?): {started.stderr.strip()[-400:]}"
        )
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", directory], capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


def data(ledger: Ledger) -> list[dict[str, object]]:
    rows = ledger.to_arrow().drop_columns(["source_file", "source_line"]).to_pylist()
    return sorted(rows, key=lambda r: str(r["request_id"]))


def test_the_database_gives_the_ledger_of_the_export(litellm_database: str) -> None:
    with (
        Ledger.open([litellm_database]) as db,
        Ledger.open([FIXTURES / "litellm_spend_logs.jsonl"]) as export,
    ):
        assert data(db) == data(export)
        assert {(r["source_line"], r["reason"]) for r in db.quarantine().to_pylist()} == {
            (4, "served from LiteLLM's own response cache (cache_hit True): no provider call, not billed"),
            (5, 'status "failure": the request failed, not billed'),
        }
        assert db.sources[0].display.endswith("/litellm#LiteLLM_SpendLogs")


def test_bill_reads_a_database_url(litellm_database: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inferonomics", "bill", litellm_database, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "rows read 7 = billed 5 + quarantined 2" in result.stderr


def test_a_missing_table_is_named(litellm_database: str) -> None:
    with pytest.raises(InputError, match="no table Nope in this database"):
        Ledger.open([litellm_database + "?table=Nope"]).to_arrow()


def test_urls_survive_being_paths_and_hide_passwords() -> None:
    # A CLI argument becomes a Path, which folds "//" into "/": the URL is restored.
    assert (
        database_url(str(Path("postgresql://u:secret@db:5432/litellm")))
        == "postgresql://u:secret@db:5432/litellm"
    )
    assert database_url("usage.csv") is None
    assert redacted("postgresql://u:secret@db:5432/litellm") == "postgresql://u:***@db:5432/litellm"
