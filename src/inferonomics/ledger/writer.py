"""Writing a ledger: the valid rows of any inputs as one canonical Parquet file (`inferonomics
import`), with the metadata that lets the billing engine skip work when it reads it back: request
ids are unique (duplicates were quarantined on the way in), with the fingerprint of the ids that
claim is about (a reader trusts it only when the rows match it; see `ledger/hints.py`). The keys
and time span are recorded too, for people reading the file; the engine reads them from the rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inferonomics.ledger import hints
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import KEYS_METADATA_KEY, LEDGER_SCHEMA, UNIQUE_IDS_METADATA_KEY

KEY_COLUMNS = ["provider", "model", "service_tier", "region"]


def keys_hint(table: pa.Table) -> dict[str, object]:
    """The `KEYS_METADATA_KEY` hint of a canonical table: its keys with row counts, its time span."""
    counts = table.group_by(KEY_COLUMNS).aggregate([([], "count_all")]).to_pylist()
    keys = sorted(
        ([r["provider"], r["model"], r["service_tier"], r["region"], r["count_all"]] for r in counts),
        key=lambda k: tuple(map(str, k)),
    )
    lo, hi = pc.min_max(table["ts"]).values() if table.num_rows else (None, None)
    return {
        "keys": keys,
        "ts_min": lo.as_py().isoformat() if lo is not None and lo.is_valid else None,
        "ts_max": hi.as_py().isoformat() if hi is not None and hi.is_valid else None,
    }


def write_ledger(ledger: Ledger, path: str | Path) -> pa.Table:
    """Write the ledger's valid rows to `path` (canonical schema, then the tags); returns them."""
    table = ledger.to_arrow()
    schema = table.schema.with_metadata(
        {
            **(LEDGER_SCHEMA.metadata or {}),
            UNIQUE_IDS_METADATA_KEY: b"true",
            KEYS_METADATA_KEY: json.dumps(keys_hint(table)).encode(),
            hints.IDS_FINGERPRINT_METADATA_KEY: hints.encode(hints.fingerprint(table)),
        }
    )
    pq.write_table(table.cast(schema), str(path), compression="zstd")
    return table
