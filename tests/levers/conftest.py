"""Fixtures of the levers' tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mooncake(data_dir: Path) -> Path:
    path = data_dir / "traces" / "mooncake_fast25" / "conversation_trace.jsonl"
    if not path.exists():
        pytest.skip(f"Mooncake trace not found at {path}")
    return path
