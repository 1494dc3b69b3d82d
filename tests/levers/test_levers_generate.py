"""The generator's optional prefix-block hashes: the other columns are unchanged, every prompt
has ceil(prompt / block) blocks, and a session's next turn starts with the previous turn's full
blocks."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from inferonomics.errors import LeverError
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.generate import generate_demo
from inferonomics.levers.prefixes import load


def test_prefix_hashes_leave_the_rest_alone(tmp_path: Path) -> None:
    plain, hashed = tmp_path / "plain.parquet", tmp_path / "hashed.parquet"
    generate_demo(plain, 5_000, seed=9)
    generate_demo(hashed, 5_000, seed=9, prefix_block_tokens=512)
    a, b = pq.read_table(plain), pq.read_table(hashed)
    assert "prefix_hashes" not in a.column_names
    assert b.drop_columns(["prefix_hashes"]).equals(a)
    prompt = pc.add(
        pc.add(pc.add(b["input_tokens"], b["cache_read_tokens"]), b["cache_write_5m_tokens"]),
        b["cache_write_1h_tokens"],
    ).to_pylist()
    lists = b["prefix_hashes"].to_pylist()
    assert all(len(h) == -(-p // 512) for h, p in zip(lists, prompt, strict=True))


def test_a_turn_extends_the_previous_turn(tmp_path: Path) -> None:
    path = tmp_path / "hashed.parquet"
    generate_demo(path, 5_000, seed=9, prefix_block_tokens=512)
    t = pq.read_table(path, columns=["session", "ts", "prefix_hashes"]).sort_by(
        [("session", "ascending"), ("ts", "ascending")]
    )
    rows = t.to_pylist()
    extended = 0
    for prev, cur in itertools.pairwise(rows):
        if prev["session"] != cur["session"]:
            continue
        full = prev["prefix_hashes"][:-1]  # the last block is partial (or the next turn fills it)
        if cur["prefix_hashes"][: len(full)] == full:
            extended += 1
    assert extended > 1000


def test_the_block_size_travels_with_the_file(tmp_path: Path) -> None:
    """The replay reads the block size the generator recorded: a 1,024-token file replayed as
    512-token blocks would count half the cached tokens, so a contradicting size is refused."""
    path = tmp_path / "hashed.parquet"
    generate_demo(path, 2_000, seed=9, prefix_block_tokens=1024)
    ledger = Ledger.open([path])
    assert ledger.prefix_block_tokens == 1024
    assert ledger.derived(ledger.rows).prefix_block_tokens == 1024
    requests = load(ledger, structure="hashes")
    assert requests.blocks.block_tokens == 1024
    with pytest.raises(LeverError, match="1024 tokens each"):
        load(ledger, structure="hashes", block_tokens=512)
    plain = tmp_path / "plain.parquet"
    generate_demo(plain, 100, seed=9)
    assert Ledger.open([plain]).prefix_block_tokens is None
