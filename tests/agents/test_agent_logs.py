"""The log generators against the readers: what a generator says it wrote (messages, tokens by
model, limit messages) is what the ledger reads back, repeats and copies counted once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pytest

from inferonomics.ledger.agent_logs import AgentTree, write_claude_code_tree, write_codex_tree
from inferonomics.ledger.core import Ledger

TOKENS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
)


def _check(tree: AgentTree, buckets: tuple[str, ...]) -> None:
    with Ledger.open([tree.root]) as ledger:
        account = ledger.account()
        table = ledger.to_arrow()
        events = ledger.events()
    assert (account.rows_read, account.rows_billed) == (tree.messages, tree.messages)
    read: dict[str, Counter[str]] = {}
    for model in set(table["model"].to_pylist()):
        rows = table.filter(pc.equal(table["model"], model))
        read[model] = Counter({b: pc.sum(rows[b]).as_py() for b in buckets})
    assert read == {m: Counter({b: c[b] for b in buckets}) for m, c in tree.tokens.items()}
    assert events.filter(pc.equal(events["kind"], "limit_hit")).num_rows == tree.limit_messages


def test_a_claude_code_tree_reads_back_as_written(tmp_path: Path) -> None:
    tree = write_claude_code_tree(tmp_path, lines=20_000, seed=3)
    assert tree.lines >= 20_000
    assert min(tree.copied_lines, tree.subagent_files, tree.limit_messages) > 0
    _check(tree, TOKENS)


def test_a_codex_tree_reads_back_as_written(tmp_path: Path) -> None:
    tree = write_codex_tree(tmp_path, sessions=12, seed=5)
    _check(tree, ("input_tokens", "cache_read_tokens", "output_tokens", "reasoning_tokens"))


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    a = write_claude_code_tree(tmp_path / "a", lines=2_000, seed=11)
    b = write_claude_code_tree(tmp_path / "b", lines=2_000, seed=11)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.jsonl"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.jsonl"))
    assert files_a == files_b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)
    assert (a.messages, a.tokens) == (b.messages, b.tokens)


@pytest.mark.slow
def test_a_700k_line_tree_reads_back_as_written(tmp_path: Path) -> None:
    tree = write_claude_code_tree(tmp_path, lines=700_000, seed=7)
    _check(tree, TOKENS)
