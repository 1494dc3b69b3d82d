"""The columnar replay engine against plain reference loops, on hand-made examples (expected
values worked out by hand), random prefix trees (Hypothesis) and the Mooncake trace."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from levers_helpers import reference_lru, reference_ttl

from inferonomics.levers.replay import Blocks, lru_replay, ttl_replay

S = 1_000_000  # microseconds in a second


def blocks_of(lists: list[list[int]], block: int = 512, prompts: list[int] | None = None) -> Blocks:
    lengths = np.array([len(x) for x in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    keys = np.array([k for x in lists for k in x], dtype=np.int64)
    prompt = np.array(prompts if prompts is not None else [len(x) * block for x in lists], dtype=np.int64)
    return Blocks(offsets, keys, block_tokens=block, prompt=prompt)


# r0 at 0 s: [1, 2, 3]; r1 at 100 s: [1, 2, 4]; r2 at 500 s: [1, 2, 4, 5]; r3 at 520 s: [9].
HAND = [[1, 2, 3], [1, 2, 4], [1, 2, 4, 5], [9]]
HAND_TS = np.array([0, 100, 500, 520], dtype=np.int64) * S
ALL = np.ones(4, dtype=bool)


def test_hand_example_five_minutes() -> None:
    out = ttl_replay(blocks_of(HAND), HAND_TS, 300 * S, ALL)
    # r1 finds 1, 2 used 100 s before; at 500 s their last use (r1, 100 s) is 400 s old.
    assert out.hit_blocks.tolist() == [0, 2, 0, 0]
    assert out.reuse_blocks.tolist() == [2, 0, 0, 0]


def test_hand_example_no_expiry() -> None:
    out = ttl_replay(blocks_of(HAND), HAND_TS, math.inf, ALL)
    assert out.hit_blocks.tolist() == [0, 2, 3, 0]
    assert out.reuse_blocks.tolist() == [2, 3, 0, 0]
    assert blocks_of(HAND).prefix_tokens(out.hit_blocks).tolist() == [0, 1024, 1536, 0]


def test_refreshed_on_every_hit() -> None:
    # Uses every 200 s keep a 300 s entry alive for 800 s although it was written at 0 s.
    lists = [[7]] * 5
    ts = np.arange(5, dtype=np.int64) * 200 * S
    assert ttl_replay(blocks_of(lists), ts, 300 * S, np.ones(5, dtype=bool)).hit_blocks.tolist() == [
        0,
        1,
        1,
        1,
        1,
    ]


def test_inactive_requests_neither_read_nor_refresh() -> None:
    lists = [[7], [7], [7]]
    ts = np.array([0, 200, 400], dtype=np.int64) * S
    out = ttl_replay(blocks_of(lists), ts, 300 * S, np.array([True, False, True]))
    assert out.hit_blocks.tolist() == [0, 0, 0]  # the middle use did not refresh the entry


def test_time_order_not_input_order() -> None:
    lists = [[1, 2], [1]]
    ts = np.array([60, 0], dtype=np.int64) * S
    assert ttl_replay(blocks_of(lists), ts, 300 * S, np.ones(2, dtype=bool)).hit_blocks.tolist() == [1, 0]


def test_ttl_per_request_equals_one_replay_per_ttl() -> None:
    rng = np.random.default_rng(7)
    lists = trees(rng, 400)
    ts = np.sort(rng.integers(0, 3600, len(lists))) * S
    group = rng.integers(0, 3, len(lists))
    keyed = [[k * 3 + int(g) for k in x] for x, g in zip(lists, group, strict=True)]  # disjoint per group
    ttls = np.array([60, 300, math.inf])[group] * S
    mixed = ttl_replay(blocks_of(keyed), ts, ttls, np.ones(len(lists), dtype=bool))
    for g, ttl in enumerate([60, 300, math.inf]):
        alone = ttl_replay(blocks_of(keyed), ts, ttl * S, group == g)
        assert (mixed.hit_blocks[group == g] == alone.hit_blocks[group == g]).all()


def test_storage_token_time() -> None:
    # One 512-token block used at 0 s and 100 s, TTL 300 s: held 100 s, then 300 s after the last use;
    # the second request's own block (200 tokens) is held 300 s.
    lists = [[1], [1, 2]]
    out = ttl_replay(
        blocks_of(lists, prompts=[512, 712]),
        np.array([0, 100], dtype=np.int64) * S,
        300 * S,
        np.ones(2, dtype=bool),
        groups=np.zeros(2, dtype=np.int64),
        storage_groups=[0],
    )
    assert out.storage_token_us == {0: (512 * 100 + 512 * 300 + 200 * 300) * S}


def test_lru_hand_example() -> None:
    # Capacity 2: r1 finds 1, 2; r2 brings 3 in and pushes 1 out (2 was touched later); r3 misses 1.
    lists = [[1, 2], [1, 2], [3], [1, 2]]
    ts = np.arange(4, dtype=np.int64) * S
    assert lru_replay(blocks_of(lists), ts, 2, np.ones(4, dtype=bool)).tolist() == [0, 2, 0, 0]


def trees(rng: np.random.Generator, n: int) -> list[list[int]]:
    """Block lists whose ids stand for their whole prefix: each request continues a prefix of an
    earlier one (or starts afresh) with new blocks."""
    paths: list[list[int]] = []
    fresh = 0
    for _ in range(n):
        base: list[int] = []
        if paths and rng.random() < 0.8:
            parent = paths[int(rng.integers(len(paths)))]
            base = parent[: int(rng.integers(0, len(parent) + 1))]
        new = list(range(fresh, fresh + int(rng.integers(0, 4))))
        fresh += len(new)
        paths.append(base + new)
    return paths


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), ttl=st.sampled_from([0, 5, 60, 600, math.inf]))
def test_engine_matches_the_plain_loop(seed: int, n: int, ttl: float) -> None:
    rng = np.random.default_rng(seed)
    lists = trees(rng, n)
    secs = rng.integers(0, 1200, n)
    ts = secs.astype(np.int64) * S
    out = ttl_replay(blocks_of(lists), ts, ttl * S, np.ones(n, dtype=bool))
    assert out.hit_blocks.tolist() == reference_ttl(list(zip(secs.tolist(), lists, strict=True)), ttl)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000), n=st.integers(1, 120), short=st.integers(0, 600), more=st.integers(0, 600)
)
def test_a_longer_ttl_never_caches_less(seed: int, n: int, short: int, more: int) -> None:
    rng = np.random.default_rng(seed)
    lists = trees(rng, n)
    ts = rng.integers(0, 1800, n).astype(np.int64) * S
    active = rng.random(n) < 0.9
    a = ttl_replay(blocks_of(lists), ts, short * S, active).hit_blocks
    b = ttl_replay(blocks_of(lists), ts, (short + more) * S, active).hit_blocks
    assert (b >= a).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 80), capacity=st.integers(1, 30))
def test_lru_matches_the_plain_loop(seed: int, n: int, capacity: int) -> None:
    rng = np.random.default_rng(seed)
    lists = trees(rng, n)
    secs = rng.integers(0, 100, n)
    got = lru_replay(blocks_of(lists), secs.astype(np.int64) * S, capacity, np.ones(n, dtype=bool))
    assert got.tolist() == reference_lru(list(zip(secs.tolist(), lists, strict=True)), capacity)


def _trace(path: Path) -> tuple[list[dict[str, Any]], Blocks, np.ndarray]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    blocks = blocks_of([r["hash_ids"] for r in rows], prompts=[r["input_length"] for r in rows])
    return rows, blocks, np.array([r["timestamp"] for r in rows], dtype=np.int64) * 1000


def test_mooncake_replay_matches_the_plain_loop(mooncake: Path) -> None:
    rows, blocks, ts = _trace(mooncake)
    reqs = [(r["timestamp"] / 1000, r["hash_ids"]) for r in rows]
    for ttl in (300.0, math.inf):
        got = ttl_replay(blocks, ts, ttl * S, np.ones(len(rows), dtype=bool)).hit_blocks
        assert got.tolist() == reference_ttl(reqs, ttl)


def test_mooncake_prefix_reuse_bound(mooncake: Path) -> None:
    rows, blocks, ts = _trace(mooncake)
    hits = ttl_replay(blocks, ts, math.inf, np.ones(len(rows), dtype=bool)).hit_blocks
    cached = int(blocks.prefix_tokens(hits).sum())
    total = sum(r["input_length"] for r in rows)
    assert total == 144_793_823  # as the trace's README states
    assert round(cached / total, 4) == 0.3736
