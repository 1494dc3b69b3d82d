"""The prefix structure of a ledger's requests, for a cache replay, from the best source it has:

1. **hashes**: per-request prompt block hashes (`prefix_hashes`, blocks of `block_tokens`, as in
   the Mooncake trace): block j of a request is cached when an earlier request held the same
   block, which stands for the whole prompt up to it;
2. **sessions**: a `session` column whose prompt grows turn by turn: a turn's prompt starts with
   the previous turn's whole prompt (when it is not shorter: a shorter one means the history was
   cut, and nothing of it is assumed shared);
3. **declared**: a shared prefix per feature (a system prompt of N tokens) that every request of
   the feature starts with, on top of sessions when there are any.

Each becomes `Blocks` for `levers/replay.py`. Sessions and declared prefixes are blocks too: a
turn holds [system prompt, previous turn's prompt, its own prompt], keyed so that the next turn
finds its own prompt as its second block.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inferonomics.backend import epoch_micros
from inferonomics.errors import LeverError
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import INPUT_COLUMNS, MODALITY_PARTS
from inferonomics.levers.replay import Blocks

STRUCTURES = ("auto", "hashes", "sessions", "declared")
DEFAULT_BLOCK_TOKENS = 512
"""Tokens per block of a `prefix_hashes` column whose writer did not record it (Mooncake's size)."""


@dataclass
class Requests:
    """A ledger's rows as arrays (in the order fetched) with their prefix blocks."""

    table: pa.Table
    """source_file, source_line, provider, model, feature, requests and the input buckets."""
    ts_us: np.ndarray
    prompt: np.ndarray
    """All input tokens of the row (uncached, cache reads and writes)."""
    requests: np.ndarray
    group: np.ndarray
    groups: list[tuple[str, str]]
    """(provider, model) of each group code: caches are per model."""
    feature: np.ndarray
    features: list[str | None]
    """The feature code of each row, and the feature of each code."""
    blocks: Blocks
    has_prefix: np.ndarray
    """Rows the structure says something about (the others are not replayed)."""
    structure: str


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str | None]]:
    encoded = pc.dictionary_encode(column.combine_chunks(), null_encoding="encode")
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, encoded.dictionary.to_pylist()


def _presence(ledger: Ledger) -> tuple[int, int]:
    r = ledger.rows
    row = r.aggregate(h=r.prefix_hashes.notnull().sum(), s=r.session.notnull().sum()).to_pyarrow()
    return int(row["h"][0].as_py() or 0), int(row["s"][0].as_py() or 0)


def load(
    ledger: Ledger,
    *,
    structure: str = "auto",
    block_tokens: int | None = None,
    system_tokens: int | Mapping[str, int] | None = None,
) -> Requests:
    """Fetch what a replay needs and build the blocks (see the module docstring). `block_tokens`:
    tokens per `prefix_hashes` block; None takes the size the file's writer recorded, else
    DEFAULT_BLOCK_TOKENS (Mooncake's); a size that contradicts the recorded one is refused."""
    recorded = ledger.prefix_block_tokens
    if block_tokens is None:
        block_tokens = recorded or DEFAULT_BLOCK_TOKENS
    elif recorded is not None and block_tokens != recorded and structure in ("auto", "hashes"):
        raise LeverError(
            f"the ledger's prefix_hashes blocks are {recorded} tokens each (recorded by its writer), "
            f"not {block_tokens}: drop --block-tokens or pass {recorded}"
        )
    if structure not in STRUCTURES:
        raise LeverError(f"unknown prefix structure '{structure}' (one of: {', '.join(STRUCTURES)})")
    if block_tokens < 1:
        raise LeverError(f"prefix blocks must be >= 1 token, got {block_tokens}")
    if structure == "auto":
        hashes, sessions = _presence(ledger)
        if hashes:
            structure = "hashes"
        elif sessions:
            structure = "sessions"
        elif system_tokens is not None:
            structure = "declared"
        else:
            raise LeverError(
                "the ledger has no prefix structure (no prefix_hashes, no session column): declare a "
                "shared prefix per feature (system tokens) or assume a hit rate"
            )
    con = ledger.con
    r = ledger.rows
    if structure == "hashes":
        table = r.select(**_base(r, con), prefix_hashes=r.prefix_hashes).to_pyarrow()
    elif structure == "sessions":
        ranked = r.mutate(
            _rank=ibis.row_number().over(ibis.window(order_by=[r.ts, r.source_file, r.source_line]))
        )
        order = [ranked.ts, ranked.source_file, ranked.source_line]
        w = ibis.window(group_by=[ranked.provider, ranked.model, ranked.session], order_by=order)
        cols = _base(ranked, con)
        no_session = ranked.session.isnull()
        table = ranked.select(
            **cols,
            _rank=ranked._rank,
            _session=~no_session,
            _prev=ibis.cases((no_session, -1), else_=ranked._rank.lag().over(w).fill_null(-1)),
            _prev_prompt=ibis.cases((no_session, 0), else_=cols["_prompt"].lag().over(w).fill_null(0)),
        ).to_pyarrow()
    else:
        table = r.select(**_base(r, con)).to_pyarrow()

    group_codes, group_names = _group_codes(table)
    feature, features = _codes(table["feature"])
    ts_us = table["_us"].to_numpy()
    prompt_arr = table["_prompt"].to_numpy()
    n = table.num_rows
    if structure == "hashes":
        blocks, has = _hash_blocks(table["prefix_hashes"], prompt_arr, block_tokens)
    else:
        blocks, has = _structured_blocks(
            table, structure, prompt_arr, group_codes, feature, features, system_tokens
        )
    keep = [
        c
        for c in table.column_names
        if c not in ("prefix_hashes", "_rank", "_prev", "_prev_prompt", "_session")
    ]
    return Requests(
        table=table.select(keep),
        ts_us=ts_us,
        prompt=prompt_arr,
        requests=table["requests"].to_numpy(),
        group=group_codes,
        groups=group_names,
        feature=feature,
        features=features,
        blocks=blocks,
        has_prefix=has if n else np.zeros(0, dtype=bool),
        structure=structure,
    )


def _base(t: Any, con: Any) -> dict[str, Any]:
    """The columns every replay fetches (of the ledger's rows `t`)."""
    return {
        "_us": epoch_micros(t.ts, con),
        "_prompt": sum((t[c] for c in INPUT_COLUMNS[1:]), t[INPUT_COLUMNS[0]]),
        "provider": t.provider,
        "model": t.model,
        "feature": t.feature,
        "requests": t.requests,
        **{c: t[c] for c in INPUT_COLUMNS},
        **{c: t[c] for c in (*MODALITY_PARTS["input_tokens"], *MODALITY_PARTS["cache_read_tokens"])},
        "source_file": t.source_file,
        "source_line": t.source_line,
    }


def _group_codes(table: pa.Table) -> tuple[np.ndarray, list[tuple[str, str]]]:
    p, providers = _codes(table["provider"])
    m, models = _codes(table["model"])
    pair = p * max(1, len(models)) + m
    uniq, codes = np.unique(pair, return_inverse=True)
    names = [
        (str(providers[int(u) // max(1, len(models))]), str(models[int(u) % max(1, len(models))]))
        for u in uniq
    ]
    return codes.astype(np.int64), names


def _hash_blocks(column: pa.ChunkedArray, prompt: np.ndarray, block_tokens: int) -> tuple[Blocks, np.ndarray]:
    """The hash lists as blocks (keys as they are: the replay keeps models apart by group)."""
    lists = column.combine_chunks()
    lengths = np.asarray(pc.fill_null(pc.list_value_length(lists), 0).to_numpy(), dtype=np.int64)
    keys = np.asarray(pc.list_flatten(lists).to_numpy(), dtype=np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if len(keys) and keys.min() < 0:
        _, inverse = np.unique(keys, return_inverse=True)
        keys = inverse.astype(np.int64)
    return Blocks(offsets, keys, block_tokens=block_tokens, prompt=prompt), lengths > 0


def _structured_blocks(
    table: pa.Table,
    structure: str,
    prompt: np.ndarray,
    group: np.ndarray,
    feature: np.ndarray,
    features: list[str | None],
    system_tokens: int | Mapping[str, int] | None,
) -> tuple[Blocks, np.ndarray]:
    """[system prompt, previous turn, own prompt] blocks per row, the ones that apply."""
    n = len(prompt)
    n_features = max(1, len(features))
    system = np.zeros(n, dtype=np.int64)
    if system_tokens is not None:
        if isinstance(system_tokens, int):
            per_feature = [system_tokens] * len(features)
        else:
            default = system_tokens.get("*", 0)
            per_feature = [system_tokens.get(f, default) if f is not None else default for f in features]
        if any(v < 0 for v in per_feature):
            raise LeverError("declared system prompts must be >= 0 tokens")
        system = np.minimum(np.asarray(per_feature, dtype=np.int64)[feature], prompt) if n else system
    base = int(group.max(initial=0) + 1) * n_features
    keys = np.zeros((n, 3), dtype=np.int64)
    ends = np.zeros((n, 3), dtype=np.int64)
    use = np.zeros((n, 3), dtype=bool)
    keys[:, 0] = group * n_features + feature
    ends[:, 0] = system
    use[:, 0] = system > 0
    if structure == "sessions":
        rank = table["_rank"].to_numpy()
        prev = table["_prev"].to_numpy()
        prev_prompt = table["_prev_prompt"].to_numpy()
        in_session = table["_session"].to_numpy(zero_copy_only=False)
        keys[:, 1] = base + np.maximum(prev, 0)
        ends[:, 1] = prev_prompt
        use[:, 1] = (prev >= 0) & (prev_prompt <= prompt) & (prev_prompt > system)
        keys[:, 2] = base + rank
        ends[:, 2] = prompt
        use[:, 2] = in_session
    lengths = use.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return Blocks(offsets, keys[use], ends[use]), lengths > 0
