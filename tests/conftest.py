"""Shared fixtures. Data beside the repository is found at $INFERONOMICS_SHARED_DATA or
<repo>/../shared/data; tests that need it skip with a reason when it is absent."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The suite's own cache (compiled plans, the parsed price book), shared by the processes it starts
# and never the user's: set before anything reads it, removed at the end.
if "INFERONOMICS_CACHE" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="inferonomics-test-cache-")
    os.environ["INFERONOMICS_CACHE"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)

from inferonomics.catalog.book import PriceBook  # after the cache is chosen

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    return Path(os.environ.get("INFERONOMICS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def book() -> PriceBook:
    return PriceBook.load()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set INFERONOMICS_SHARED_DATA)")
    return path
