"""Names that are not exact: each row says how its model name met the book (exact, alias, near,
unknown) and the entry it is priced as; a near match and an unknown model are named on `bill`'s
stderr (unknown ones with the nearest known names), as on `prices`."""

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
        # exact: the model's id, alone or after a LiteLLM-style provider prefix; Azure serving OpenAI's
        ("anthropic", "claude-sonnet-4-5", "exact", "anthropic/claude-sonnet-4-5"),
        ("anthropic", "anthropic/claude-sonnet-4-5", "exact", "anthropic/claude-sonnet-4-5"),
        ("azure", "gpt-4o", "exact", "openai/gpt-4o"),
        # alias: a name the book spells out for the model (o3's snapshot is an `equals` name), or the
        # id with a date, version or region around it (snapshots, Vertex and Bedrock ids)
        ("openai", "o3-2025-04-16", "alias", "openai/o3"),
        ("anthropic", "claude-sonnet-4-5-20250929", "alias", "anthropic/claude-sonnet-4-5"),
        ("google", "claude-sonnet-4-5@20250929", "alias", "google/claude-sonnet-4-5"),
        ("openai", "gpt-5.2-20251211", "alias", "openai/gpt-5.2"),
        (
            "aws",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "alias",
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
    assert "model names: 1 exact, 2 near, 1 unknown" in err
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


MIXED = (
    "ts,request_id,provider,model,input_tokens,output_tokens\n"
    "2025-11-03T10:00:00Z,r1,anthropic,claude-sonnet-4-5,100000,0\n"
    "2025-11-03T10:00:01Z,r2,anthropic,claude-sonnet-4-5-20250929,100000,0\n"
    "2025-11-03T10:00:02Z,r3,anthropic,claude-sonnet-4-5x,100000,0\n"
    "2025-11-03T10:00:03Z,r4,openai,o3-2025-04-16,100000,0\n"
    "2025-11-03T10:00:04Z,r5,openai,gtp-4o,100000,0\n"
)
# (match, matched_model, cost): 100k input tokens at Sonnet 4.5's $3 / MTok and, after its 2025-06-10
# cut, o3's $2 / MTok (https://help.openai.com/en/articles/9624314-model-release-notes); gtp-4o is unpriced.
EXPECTED = {
    "r1": ("exact", "anthropic/claude-sonnet-4-5", Decimal("0.3")),
    "r2": ("alias", "anthropic/claude-sonnet-4-5", Decimal("0.3")),
    "r3": ("near", "anthropic/claude-sonnet-4-5", Decimal("0.3")),
    "r4": ("alias", "openai/o3", Decimal("0.2")),
    "r5": ("unknown", None, None),
}


def test_every_row_says_how_its_model_matched(tmp_path: Path) -> None:
    import inferonomics as inf

    path = tmp_path / "usage.csv"
    path.write_text(MIXED)
    rows = inf.price(inf.Ledger.open([path])).to_arrow().to_pylist()
    got = {r["request_id"]: (r["match"], r["matched_model"], r["cost_usd"]) for r in rows}
    assert got == EXPECTED


def test_bill_per_row_shows_each_match_and_names_each_case_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(MIXED)
    result = _cli("bill", path, "--per-row", "--format", "json")
    assert result.returncode == 0, result.stderr
    got = {
        r["request_id"]: (
            r["match"],
            r["matched_model"],
            None if r["cost_usd"] is None else Decimal(r["cost_usd"]),
        )
        for r in json.loads(result.stdout)
    }
    assert got == EXPECTED
    err = " ".join(result.stderr.split())
    assert "near match: anthropic/claude-sonnet-4-5x is priced as anthropic/claude-sonnet-4-5" in err
    assert "unpriced: unknown model 'gtp-4o' for provider 'openai' (nearest: gpt-4o" in err
    assert "model names: 1 exact, 2 alias, 1 near, 1 unknown" in err
    for name in ("claude-sonnet-4-5 ", "claude-sonnet-4-5-20250929", "o3-2025-04-16"):
        assert f"near match: anthropic/{name}" not in err
        assert f"near match: openai/{name}" not in err
    table = _cli("bill", path, "--per-row")
    assert table.returncode == 0, table.stderr
    for word in ("match", "exact", "alias", "near", "unknown"):
        assert word in table.stdout


def test_bill_by_match(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(MIXED)
    result = _cli("bill", path, "--by", "match", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {r["match"]: r for r in json.loads(result.stdout)}
    assert {k: Decimal(rows[k]["cost_usd"]) for k in ("exact", "alias", "near")} == {
        "exact": Decimal("0.3"),
        "alias": Decimal("0.5"),
        "near": Decimal("0.3"),
    }
    assert rows["unknown"]["unpriced_requests"] == 1


def test_focus_export_carries_the_match(tmp_path: Path) -> None:
    import inferonomics as inf

    path = tmp_path / "usage.csv"
    path.write_text(MIXED)
    export = inf.focus_export(inf.Ledger.open([path]))
    got = {
        (r["ChargeDescription"].split(" of ")[1].split(" (")[0], r["x_ModelId"], r["x_ModelMatch"])
        for r in export.table.to_pylist()
    }
    assert got == {
        ("claude-sonnet-4-5", "claude-sonnet-4-5", "exact"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "alias"),
        ("claude-sonnet-4-5x", "claude-sonnet-4-5", "near"),
        ("o3-2025-04-16", "o3", "alias"),
    }
    assert export.unpriced_requests == 1  # gtp-4o: unpriced usage has no FOCUS row
