"""Hints a Parquet ledger may carry, and how a reader checks them before using them.

A writer that knows a file's request ids are unique (`inferonomics import`, the demo generator)
says so (`UNIQUE_IDS_METADATA_KEY`) and records a fingerprint of the column that claim is about
(`IDS_FINGERPRINT_METADATA_KEY`): the row count and two sums of a 64-bit hash of every request id.
A reader uses the claim only when the file's rows give the same fingerprint; the fingerprint is
summed in the light pass over the keys (`Ledger.read_keys`), so checking it costs no pass of its
own, while the duplicate check it stands in for is a hash table of every id's 64-bit hash (see
`Ledger._ids_distinct`). A file edited, appended to or rewritten by another tool no longer matches and
gets the full duplicate check; so does every file read on a backend whose hash differs from
DuckDB's. The fingerprint guards against accidents, not against a file forged to match it
(see docs/scale.md).

Other metadata (the writer's key list, `KEYS_METADATA_KEY`) is not read: the light pass reads the
keys and time span from the rows every time.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from inferonomics.ledger.schema import UNIQUE_IDS_METADATA_KEY

if TYPE_CHECKING:
    import ibis.expr.types as ir

IDS_FINGERPRINT_METADATA_KEY = b"inferonomics.request_ids_fingerprint"
"""Parquet key-value metadata: JSON {"rows": n, "lo": int, "hi": int, "hash": "duckdb"}, the row count
and the sums of the low and high 32 bits of DuckDB's `hash(request_id)` over every row."""

_LOW = 0xFFFFFFFF
_SQL = (
    "SELECT count(*) AS n, "
    "coalesce(sum(CAST(CAST(hash(request_id) AS BIT) AS BIGINT) & 4294967295), 0) AS lo, "
    "coalesce(sum(CAST(CAST(hash(request_id) AS BIT) AS BIGINT) >> 32), 0) AS hi FROM _ids"
)


def fingerprint_sums(request_id: ir.StringValue) -> dict[str, ir.IntegerValue]:
    """The aggregates of the fingerprint, as Ibis expressions over a request-id column (summed per
    group in the light pass, added up after): `_fp_lo`, `_fp_hi`. Ibis compiles `hash` to DuckDB's
    `hash`, reinterpreted as a signed 64-bit integer: the same value `fingerprint` computes."""
    h = request_id.hash()
    return {"_fp_lo": (h & _LOW).sum(), "_fp_hi": (h >> 32).sum()}


def fingerprint(table: pa.Table | pa.RecordBatch) -> tuple[int, int, int]:
    """(rows, lo, hi) of a table's `request_id` column, computed by DuckDB as the reader computes it."""
    import duckdb  # the writers' only use of it; kept off the import path of `import inferonomics`

    con = duckdb.connect()
    try:
        con.register("_ids", table.select(["request_id"]))
        n, lo, hi = con.execute(_SQL).fetchone() or (0, 0, 0)
    finally:
        con.close()
    return int(n), int(lo), int(hi)


def add(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    """The fingerprint of two tables written one after the other (the sums add up)."""
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def encode(fp: tuple[int, int, int]) -> bytes:
    """The metadata value of a fingerprint."""
    return json.dumps({"rows": fp[0], "lo": fp[1], "hi": fp[2], "hash": "duckdb"}).encode()


def decode(value: bytes | None) -> tuple[int, int, int] | None:
    """A fingerprint read from metadata, or None when absent or malformed (then nothing is trusted)."""
    if value is None:
        return None
    try:
        data: Any = json.loads(value)
        if data.get("hash") != "duckdb":
            return None
        fp = (data["rows"], data["lo"], data["hi"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in fp):
        return None
    return fp


def unique_claim(meta: dict[bytes, bytes], file_meta: dict[bytes, bytes]) -> tuple[int, int, int] | None:
    """The fingerprint a file's unique-ids claim rests on: None unless the file both claims unique request
    ids and carries a well-formed fingerprint."""
    claims = meta.get(UNIQUE_IDS_METADATA_KEY) == b"true" or file_meta.get(UNIQUE_IDS_METADATA_KEY) == b"true"
    if not claims:
        return None
    return decode(file_meta.get(IDS_FINGERPRINT_METADATA_KEY) or meta.get(IDS_FINGERPRINT_METADATA_KEY))
