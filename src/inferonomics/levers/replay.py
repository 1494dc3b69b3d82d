"""Replaying a prompt cache over requests: which prefix of each request was still cached.

Requests are described by their prompt blocks (`Blocks`): for request i, the elements
`offsets[i]:offsets[i + 1]` in prompt order, each with a key and the token position its block ends
at. A key stands for everything up to the end of its block (as the block hashes of a KV prefix
cache do), so two requests share block j exactly when they share the whole prompt up to it.

**TTL mode** (`ttl_replay`, what providers do): every request that is cached reads or writes all
its blocks, and an entry lives `ttl` after its last use (refreshed on every hit). So a block is
alive for request r when some earlier request used it at most `ttl` before; since a request that
holds block j holds every block before it, the alive blocks of r are a prefix of its prompt, and
counting them gives its cached prefix. No capacity limit: one cache per key space.

It is one columnar pass, no loop over requests: pack each element as (key, time rank) into one
int64, sort, and compare neighbours. Neighbours with the same key are a block's successive uses;
a gap within the TTL is a hit of the later request (and a reuse of the earlier one's write).

**LRU mode** (`lru_replay`, a self-hosted KV cache of B blocks): sequential by nature, a loop
over block references with an ordered dict (C-level operations), each request reading the prefix
of its blocks present and then touching all of them.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Blocks:
    """The prompt blocks of n requests (see the module docstring)."""

    offsets: np.ndarray
    """int64, n + 1: request i's elements are `offsets[i]:offsets[i + 1]`."""
    keys: np.ndarray
    """int64 >= 0, one per element: equal keys are the same prefix."""
    ends: np.ndarray | None = None
    """int64, one per element: the token position the block ends at (non-decreasing in a request).
    None for blocks of a fixed size (`block_tokens`), cut at each request's `prompt`."""
    block_tokens: int | None = None
    prompt: np.ndarray | None = None

    @property
    def lengths(self) -> np.ndarray:
        """The number of blocks of each request (int64, one per request)."""
        lengths: np.ndarray = np.diff(self.offsets)
        return lengths

    def prefix_tokens(self, counts: np.ndarray) -> np.ndarray:
        """Tokens covered by the first `counts[i]` blocks of each request."""
        if self.ends is None:
            assert self.block_tokens is not None
            assert self.prompt is not None
            covered: np.ndarray = np.minimum(counts * self.block_tokens, self.prompt)
            return covered
        out = np.zeros(len(counts), dtype=np.int64)
        has = counts > 0
        out[has] = self.ends[self.offsets[:-1][has] + counts[has] - 1]
        return out


@dataclass(frozen=True)
class Replay:
    """Per request (in input order): how many of its blocks were read from the cache, and how many
    a later request reads from its write (its own blocks reused within the TTL)."""

    hit_blocks: np.ndarray
    reuse_blocks: np.ndarray
    storage_token_us: dict[int, int]
    """By group (when asked for): token-microseconds the entries were held (explicit caches)."""


_CHUNK = 1 << 20
_INFINITE = np.iinfo(np.int64).max


def time_rank(ts_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, rank): requests sorted by time, ties in input order; rank[i] is i's place."""
    order = np.argsort(ts_us, kind="stable")
    rank = np.empty(len(ts_us), dtype=np.int64)
    rank[order] = np.arange(len(ts_us), dtype=np.int64)
    return order, rank


def _dense(keys: np.ndarray, bits: int) -> np.ndarray:
    """Keys small enough to share an int64 with `bits` bits of rank (renumbered if need be)."""
    if len(keys) == 0 or (keys.min() >= 0 and int(keys.max()) < (1 << (63 - bits))):
        return keys
    _, inverse = np.unique(keys, return_inverse=True)  # arbitrary 64-bit hashes: the slow path
    dense: np.ndarray = inverse.astype(np.int64)
    return dense


def ttl_replay(
    blocks: Blocks,
    ts_us: np.ndarray,
    ttl_us: float | np.ndarray,
    active: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    storage_groups: Sequence[int] = (),
    horizon_us: int | None = None,
) -> Replay:
    """Replay a TTL cache (refreshed on every use) over requests. `active` requests take part (a
    request below the provider's minimum neither reads nor writes). Requests of different
    `groups` (models: codes 0, 1, ...) never share an entry, whatever their keys. `ttl_us` is one
    TTL, or one per request and the same within a group (without groups, requests with different
    TTLs must not share keys); `math.inf` never expires. With `storage_groups` (groups of explicit
    caches), also the token-time each group's entries were held: until the next use within the
    TTL, else for the TTL (to `horizon_us`, or the last request, when it never expires)."""
    n = len(ts_us)
    order, rank = time_rank(ts_us)
    lengths = blocks.lengths
    keys = blocks.keys
    # Each request's partition (its group, or its TTL) goes in the top bits: after the sort every
    # partition is one contiguous run, compared with its own TTL, and keys never meet across it.
    ttl = np.broadcast_to(np.asarray(ttl_us, dtype=np.float64), (n,))
    if groups is not None:
        part_of = np.asarray(groups, dtype=np.int64)
    else:
        _, inverse = np.unique(ttl, return_inverse=True)
        part_of = inverse.astype(np.int64).reshape(-1)
    parts = int(part_of.max(initial=0)) + 1
    ttl_of_part = np.full(parts, np.nan)
    ttl_of_part[part_of] = ttl
    if n and not (ttl_of_part[part_of] == ttl).all():
        raise ValueError("a group's requests must share one TTL (they share one cache)")
    threshold = np.array(
        [_INFINITE if math.isinf(t) or math.isnan(t) else int(t) for t in ttl_of_part], dtype=np.int64
    )
    bits = max(1, int(n - 1).bit_length())
    part_bits = max(0, int(parts - 1).bit_length())
    key_bits = 63 - part_bits
    everyone = bool(active.all())
    keep = None if everyone else np.repeat(active, lengths)
    fits = len(keys) == 0 or (int(keys.min()) >= 0 and int(keys.max()) < (1 << (key_bits - bits)))
    per_key = None
    if storage_groups or not fits:
        # The general path: the kept keys as one array (renumbered if they are wide hashes).
        width = _widths(blocks) if storage_groups else None
        if keep is not None:
            keys = keys[keep]
            width = width[keep] if width is not None else None
        keys = _dense(keys, bits + part_bits)
        if width is not None:
            per_key = np.zeros(int(keys.max(initial=-1)) + 1, dtype=np.int64)
            per_key[keys] = width  # a key's block has one width wherever it appears
        keep = None
    # One big array, filled and then read in chunks: at 100M+ block references, touching fresh
    # memory (page faults) costs as much as the arithmetic (measured: see benchmarks/levers.py).
    head = (part_of << key_bits) | rank if part_bits else rank
    packed = np.repeat(head, lengths if everyone else np.where(active, lengths, 0))
    at = 0
    for lo in range(0, len(keys), _CHUNK):
        chunk = keys[lo : lo + _CHUNK]
        if keep is not None:
            chunk = chunk[keep[lo : lo + _CHUNK]]
        packed[at : at + len(chunk)] |= chunk << bits
        at += len(chunk)
    del keys, keep
    packed.sort()
    # After the sort, everything is a pass over neighbours: done in chunks small enough to stay
    # in cache (one element of overlap for the pairs across a chunk boundary).
    ts_by_rank = ts_us[order]
    end = horizon_us if horizon_us is not None else int(ts_us.max(initial=0))
    hit_by_rank = np.zeros(n, dtype=np.int64)
    reuse_by_rank = np.zeros(n, dtype=np.int64)
    storage: dict[int, int] = dict.fromkeys((int(g) for g in storage_groups), 0)
    mask, key_mask = (1 << bits) - 1, (1 << (key_bits - bits)) - 1
    for lo in range(0, len(packed), _CHUNK):
        part = packed[lo : lo + _CHUNK + 1]
        r = part & mask
        key = part >> bits  # the partition and the key
        t = ts_by_rank[r]
        gap = t[1:] - t[:-1]
        limit = threshold[part >> key_bits] if part_bits else np.full(len(part), threshold[0])
        hit = key[1:] == key[:-1]
        hit &= gap <= limit[1:]
        np.add.at(hit_by_rank, r[1:][hit], 1)
        np.add.at(reuse_by_rank, r[:-1][hit], 1)
        if per_key is not None:
            # Each use keeps its block until the next use within the TTL, else for the TTL (to
            # the end when it never expires); a chunk's overlap element belongs to the next one.
            m = len(part) - 1 if lo + _CHUNK < len(packed) else len(part)
            k = min(m, len(hit))
            follows = np.zeros(m, dtype=bool)
            follows[:k] = hit[:k]
            hold = np.where(limit[:m] == _INFINITE, end - t[:m], limit[:m])
            hold[follows] = gap[:k][follows[:k]]
            token_us = hold * per_key[key[:m] & key_mask]
            owner = (part[:m] >> key_bits) if groups is not None else np.zeros(m, dtype=np.int64)
            for g in storage:
                storage[g] += int(token_us[owner == g].sum())  # a chunk's sum fits in int64
    del packed
    return Replay(hit_by_rank[rank], reuse_by_rank[rank], storage)


def _widths(blocks: Blocks) -> np.ndarray:
    """Tokens in each element's block (its end less the previous element's end)."""
    if blocks.ends is None:
        assert blocks.block_tokens is not None
        assert blocks.prompt is not None
        lengths = blocks.lengths
        pos = np.arange(int(blocks.offsets[-1]), dtype=np.int64) - np.repeat(blocks.offsets[:-1], lengths)
        start = pos * blocks.block_tokens
        fixed: np.ndarray = np.clip(np.repeat(blocks.prompt, lengths) - start, 0, blocks.block_tokens)
        return fixed
    starts = np.empty_like(blocks.ends)
    if len(starts):
        starts[0] = 0
        starts[1:] = blocks.ends[:-1]
        firsts = blocks.offsets[:-1][blocks.lengths > 0]
        starts[firsts] = 0
    widths: np.ndarray = blocks.ends - starts
    return widths


def lru_replay(
    blocks: Blocks,
    ts_us: np.ndarray,
    capacity_blocks: int,
    active: np.ndarray,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Hit blocks per request with an LRU cache of `capacity_blocks` blocks per group (a model's
    deployment): a request reads the prefix of its blocks that is present, then touches all its
    blocks (inserting the missing ones, evicting the least recently used)."""
    if capacity_blocks < 1:
        raise ValueError("an LRU cache needs a capacity of at least one block")
    order, _ = time_rank(ts_us)
    offsets = blocks.offsets.tolist()
    keys = blocks.keys.tolist()
    group_of = groups.tolist() if groups is not None else [0] * len(ts_us)
    is_active = active.tolist()
    caches: dict[int, OrderedDict[int, None]] = {}
    hits = [0] * len(ts_us)
    for i in order.tolist():
        if not is_active[i]:
            continue
        cache = caches.get(group_of[i])
        if cache is None:
            cache = caches[group_of[i]] = OrderedDict()
        touch = cache.move_to_end
        found = 0
        prefix = True
        for k in keys[offsets[i] : offsets[i + 1]]:
            if k in cache:
                touch(k)
                if prefix:
                    found += 1
            else:
                prefix = False
                cache[k] = None
                if len(cache) > capacity_blocks:
                    cache.popitem(last=False)
        hits[i] = found
    return np.array(hits, dtype=np.int64)
