"""Prefix-block hashes for generated ledgers (the `prefix_hashes` column, as in the Mooncake trace).

A prompt is cut into blocks of `block` tokens; a block's id stands for everything up to its end,
so two requests share block j exactly when their first (j + 1) blocks are the same content (a KV
prefix cache's view). For a generated session the content is a stream: the feature's system
prompt (shared by every session of the tenant and feature), then the turns' messages, which every
later turn of the session repeats. So:

* a full block inside the system prompt has an id per (tenant, feature, position);
* a full block past it has an id per (session, compaction epoch, position): a later turn holds the
  same block, and a compaction of the history starts new content;
* a partial last block is the request's own (the next turn fills it with other tokens).

Ids are dense integers (no random hashing): system blocks first, then each chunk's sessions and
partial blocks from `id_base` on, which keeps replays on exact integer keys.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def system_slots(n_tenants: int, n_features: int, max_system: int, block: int) -> int:
    """How many ids the system-prompt blocks take (they come first)."""
    return n_tenants * n_features * (max_system // block + 1)


def block_ids(
    *,
    sid: np.ndarray,
    prompt: np.ndarray,
    system: np.ndarray,
    epoch: np.ndarray,
    tenant: np.ndarray,
    feature: np.ndarray,
    n_tenants: int,
    n_features: int,
    max_system: int,
    block: int,
    id_base: int,
) -> tuple[pa.ListArray, int]:
    """The block ids of each row (rows grouped by session, `sid` ascending) and the next free id."""
    if block < 1:
        raise ValueError("prefix block size must be >= 1 token")
    n = len(prompt)
    per_feature = max_system // block + 1
    id_base = max(id_base, system_slots(n_tenants, n_features, max_system, block))
    full = prompt // block
    blocks = full + (prompt % block > 0)
    in_system = np.minimum(system // block, full)
    sys_base = (tenant * n_features + feature) * per_feature

    # Each session gets a range of ids: epoch * span + position for its full blocks.
    span = int(full.max(initial=0)) + 1
    need = epoch * span + full + 1
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]]) if n else np.zeros(0, dtype=np.int64)
    session_need = np.maximum.reduceat(need, starts) if n else need
    session_base = id_base + np.concatenate([[0], np.cumsum(session_need)[:-1]]).astype(np.int64)
    row_base = np.repeat(session_base, np.diff(np.r_[starts, n])) + epoch * span
    partial_base = id_base + int(session_need.sum())

    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(blocks, out=offsets[1:])
    row = np.repeat(np.arange(n, dtype=np.int64), blocks)
    pos = np.arange(offsets[-1], dtype=np.int64) - offsets[:-1][row]
    ids = np.where(
        pos < in_system[row],
        sys_base[row] + pos,
        np.where(pos < full[row], row_base[row] + pos, partial_base + row),
    )
    if offsets[-1] >= 2**31:
        raise ValueError("too many prefix blocks in one chunk for a list column: use fewer chunk rows")
    values = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(ids, pa.int64()))
    return values, partial_base + n
