"""Fixtures of the serving-model tests: the shared data (skipped with a reason when absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serving_helpers import LLAMA31_8B

from inferonomics.catalog.architectures import default_configs_dir, shared_data_dir


@pytest.fixture
def configs_dir() -> Path:
    path = default_configs_dir()
    if not path.is_dir():
        pytest.skip(f"shared model configs not found at {path} (set INFERONOMICS_SHARED_DATA)")
    return path


@pytest.fixture
def calibration_csv() -> Path:
    path = shared_data_dir() / "measured" / "serving_calibration.csv"
    if not path.is_file():
        pytest.skip(f"calibration file not found at {path} (set INFERONOMICS_SHARED_DATA)")
    return path


@pytest.fixture
def llama_config_file(tmp_path: Path) -> Path:
    path = tmp_path / "llama-3.1-8b_config.json"
    path.write_text(json.dumps(LLAMA31_8B))
    return path
