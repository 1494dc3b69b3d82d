"""Names that are not exact: a near match is visible (status and the model it is priced as), an
unknown model is named with the nearest known names, on `bill`'s stderr as on `prices`."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from inferonomics.catalog.book import PriceBook


@pytest.mark.parametrize(
    ("provider", "model", "status", "matched"),
    [
        # exact: an id, a dated snapshot, a LiteLLM-style prefix, Bedrock's region and version around it
        ("anthropic", "claude-sonnet-4-5", "exact", "anthropic/claude-sonnet-4-5"),
        ("anthropic", "claude-sonnet-4-5-20250929", "exact", "anthropic/claude-sonnet-4-5"),
        ("anthropic", "anthropic/claude-sonnet-4-5", "exact", "anthropic/claude-sonnet-4-5"),
        ("google", "claude-sonnet-4-5@20250929", "exact", "google/claude-sonnet-4-5"),
        ("openai", "gpt-5.2-20251211", "exact", "openai/gpt-5.2"),
        (
            "aws",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "exact",
            "aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ),
        # near: a prefix clause matched a longer, different name (the two examples)
        ("anthropic", "claude-sonnet-4-5x", "near", "anthropic/claude-sonnet-4-5"),
        ("anthropic", "claude-opus-4-1-turbo", "near", "anthropic/claude-opus-4-1"),
    ],
)
def test_how_a_name_matched(book: PriceBook, provider: str, model: str, status: str, matched: str) -> None:
    note = book.how_matched(provider, model)
    assert (note["status"], note["matched"]) == (status, matched)


def test_unknown_names_carry_the_nearest_known(book: PriceBook) -> None:
    note = book.how_matched("openai", "gtp-4o")
    assert note["status"] == "unknown"
    assert note["reason"].startswith("unknown model 'gtp-4o' for provider 'openai' (nearest: gpt-4o")


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferonomics", *map(str, args)], capture_output=True, text=True
    )


def test_bill_names_near_matched_and_unknown_models_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(
        "ts,provider,model,input_tokens,output_tokens\n"
        "2025-11-03T10:00:00Z,anthropic,claude-sonnet-4-5,100000,0\n"
        "2025-11-03T10:00:01Z,anthropic,claude-sonnet-4-5x,100000,0\n"
        "2025-11-03T10:00:02Z,anthropic,claude-opus-4-1-turbo,100000,0\n"
        "2025-11-03T10:00:03Z,openai,gtp-4o,100000,0\n"
    )
    result = _cli("bill", path, "--by", "model", "--format", "json")
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert "near match: anthropic/claude-sonnet-4-5x is priced as anthropic/claude-sonnet-4-5" in err
    assert "near match: anthropic/claude-opus-4-1-turbo is priced as anthropic/claude-opus-4-1" in err
    assert "unpriced: unknown model 'gtp-4o' for provider 'openai' (nearest: gpt-4o" in err
    assert "near match: anthropic/claude-sonnet-4-5 is" not in err  # the exact name is not flagged
    rows = {r["model"]: r for r in json.loads(result.stdout)}
    # 100k input at Sonnet 4.5's $3 and Opus 4.1's $15 (the models they were matched to); gtp-4o unpriced
    assert Decimal(rows["claude-sonnet-4-5x"]["cost_usd"]) == Decimal("0.3")
    assert Decimal(rows["claude-opus-4-1-turbo"]["cost_usd"]) == Decimal("1.5")
    assert rows["gtp-4o"]["unpriced_requests"] == 1


def test_prices_says_a_near_match_is_one() -> None:
    result = _cli("prices", "anthropic/claude-sonnet-4-5x", "--at", "2025-11-03")
    assert "near match: 'claude-sonnet-4-5x' is not a name the book knows exactly" in " ".join(
        result.stdout.split()
    )
    data = json.loads(_cli("prices", "anthropic/claude-sonnet-4-5x", "--format", "json").stdout)[0]
    assert (data["match"], data["asked"], data["model"]) == (
        "near",
        "claude-sonnet-4-5x",
        "claude-sonnet-4-5",
    )
