"""Bulk reading of line-per-record formats: DuckDB parses the lines, Python reads only the odd ones.

A format's Python reader (the reference) parses each line with `json.loads` and builds a row in
Python: tens of thousands of records a second. Here the file is cut into pieces of whole lines
(decompressed as it is read when it is gzip, with the same limits as the Python path) and each
group of pieces is read by the line scanner (`lines.scan_lines`), which takes the JSON values a
format needs from every line in one parse. A `BulkFormat` says, in SQL over those values, which
lines are *simple* (every value of a type and range the SQL can decide) and how a simple line
becomes ledger columns; every other line (not JSON, a value of an unexpected type, a shape the SQL
does not cover, a record the Python reader would refuse) is given, with its number, to the format's
Python reader, so its row or its quarantine reason is the reference's own. Duplicate request ids
are found over both kinds of rows, as the Python path finds them (`str` of the id, first line kept).

Memory holds one group of pieces at a time (`CHUNK_BYTES` each, one per thread) and the rows are
written to Parquet parts as they come, so it does not grow with the file. A file whose lines the
scanner would cut differently from Python's reader (a bare carriage return ends a line in Python's
text mode; a line longer than `text.MAX_LINE_CHARS`) is read by the Python reader whole: `read`
returns None.

`BULK = False` (or `INFERONOMICS_BULK=0`) turns the bulk path off: the tests and the benchmark
compare both paths on the same files.
"""

from __future__ import annotations

import io
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa

from inferonomics.errors import RecordError
from inferonomics.ledger.readers import lines
from inferonomics.ledger.readers.base import Context, Rows
from inferonomics.ledger.readers.text import MAX_LINE_CHARS, _Gunzip, check_readable, is_gzip
from inferonomics.ledger.schema import DATA_COLUMNS
from inferonomics.ledger.staging import QuarantineRecord, Stager

BULK = os.environ.get("INFERONOMICS_BULK", "1") != "0"
"""Read the formats that have a `BulkFormat` in bulk (False, or `INFERONOMICS_BULK=0` in the
environment: every line through the Python reader, the reference)."""
CHUNK_BYTES = 32 << 20
"""Bytes of whole lines in one piece handed to the scanner (one piece per thread at a time)."""
TEXT_COLUMNS = tuple(c for c in DATA_COLUMNS if c != "prefix_hashes")
KEY = "_key"
"""The staged column holding a row's duplicate key (Python's `str` of its request id)."""
_names = itertools.count()


@dataclass(frozen=True)
class BulkFormat:
    """How a format's lines are read in SQL.

    `fields`: name → JSON path, extracted as JSON text (a string keeps its quotes; `null` for a
    JSON null; NULL when absent), usable by name in the other expressions. `candidate`: an SQL test
    on the raw `line` (text tests that no JSON path can make); a line failing it goes to Python.
    `simple`: an SQL test on the fields, true when the SQL decides the line exactly as the Python
    reader would. `columns`: ledger column → SQL expression (text) for a simple line. `key`: the
    duplicate key of a simple line's row. `notes`: note → SQL test, counted over simple lines as
    the Python reader counts it."""

    fields: Mapping[str, str]
    candidate: str
    simple: str
    columns: Mapping[str, str]
    key: str
    notes: Mapping[str, str] = field(default_factory=dict)
    derived: Sequence[Mapping[str, str]] = ()
    """Layers of named expressions over the fields (each may use the names before it), computed once
    a line and usable by name in `simple`, `columns`, `key` and `notes`."""


@dataclass
class BulkRead:
    """What `read` made: the Parquet parts of the rows (staged columns, text, plus `KEY`)."""

    parts: list[Path]
    in_sql: int = 0
    """Lines decided in SQL (the others went to the Python reader)."""


class _NotBulk(Exception):
    """The file cannot be cut into lines as the Python reader cuts it."""


Fallback = Callable[[Iterable[tuple[int, str]], Context], Rows]
"""A Python reader over numbered lines (the reference, for the lines the SQL leaves)."""


def _stream(ctx: Context) -> IO[bytes]:
    check_readable(ctx.path, ctx.display)
    if is_gzip(ctx.path):
        return io.BufferedReader(_Gunzip(ctx.path, ctx.display), 1 << 20)
    return ctx.path.open("rb")


def pieces(ctx: Context, size: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """(number of its first line, bytes) for consecutive pieces of whole lines of the file (the last
    may lack its newline), about `size` bytes each; a byte-order mark at the start is dropped, as
    the Python path's decoding drops it. Raises `_NotBulk` on a bare carriage return (Python's text
    mode ends a line there; the scanner does not) and on a line over `MAX_LINE_CHARS` bytes."""
    number = 1
    carry = b""
    first = True
    with _stream(ctx) as f:
        while True:
            block = f.read(size)
            if first:
                block = block.removeprefix(b"\xef\xbb\xbf")
                first = False
            buf = carry + block if carry else block
            if not block:
                if buf:
                    _check_returns(buf)
                    yield number, buf
                return
            cut = buf.rfind(b"\n")
            if cut < 0:
                if len(buf) > MAX_LINE_CHARS:
                    raise _NotBulk
                carry = buf
                continue
            piece, carry = buf[: cut + 1], buf[cut + 1 :]
            if len(carry) > MAX_LINE_CHARS:
                raise _NotBulk
            _check_returns(piece)
            yield number, piece
            number += piece.count(b"\n")


def _check_returns(piece: bytes) -> None:
    if b"\r" in piece and piece.count(b"\r") != piece.count(b"\r\n"):
        raise _NotBulk


def sql_text(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def read(ctx: Context, spec: BulkFormat, fallback: Fallback, stage: Path) -> BulkRead | None:
    """Read `ctx.path` in bulk: rows into Parquet parts in `stage`, quarantine records and notes
    into `ctx` (as the Python reader records them, in line order). None (and `ctx` untouched) when
    the file must be read by the Python reader whole (see `pieces`)."""
    # Its own database (any engine's connection is left alone), spilling, if ever, into the stage.
    duck = duckdb.connect(config={"temp_directory": str(stage / "bulk-spill")})
    quarantine, notes = list(ctx.quarantine), Counter(ctx.notes)
    try:
        got = _read(duck, ctx, spec, fallback, stage)
    except _NotBulk:
        ctx.quarantine[:], ctx.notes = quarantine, notes
        return None
    finally:
        duck.close()
    ctx.quarantine.sort(key=lambda q: q.source_line)
    return got


def _read(duck: Any, ctx: Context, spec: BulkFormat, fallback: Fallback, stage: Path) -> BulkRead:
    name = f"bulk{next(_names):05d}"
    threads = int(duck.execute("SELECT current_setting('threads')").fetchall()[0][0])
    parts: list[Path] = []
    # (as text: indexing or casting a JSON value would read it as JSON, not as its text)
    fields_sql = ", ".join(f"CAST(v[{i + 1}] AS VARCHAR) AS {n}" for i, n in enumerate(spec.fields))
    columns = ", ".join(
        f"CASE WHEN simple THEN CAST(({spec.columns[c]}) AS VARCHAR) END AS {c}"
        if c in spec.columns
        else f"CAST(NULL AS VARCHAR) AS {c}"
        for c in TEXT_COLUMNS
    )
    columns += f", CASE WHEN simple THEN CAST(({spec.key}) AS VARCHAR) END AS {KEY}"
    columns += "".join(
        f", simple AND coalesce(({test}), false) AS _note{i}" for i, test in enumerate(spec.notes.values())
    )
    keep = ", ".join((*TEXT_COLUMNS, KEY))
    notes_sql = "".join(f", count(*) FILTER (WHERE _note{i})" for i in range(len(spec.notes)))
    display = sql_text(ctx.display)
    in_sql = [0]

    def layered(scan: lines.LineScan) -> str:
        sql = f"(SELECT f, n, cand AND ok AS parsed, {fields_sql} FROM {scan.table})"
        for layer in spec.derived:
            sql = "(SELECT *, " + ", ".join(f"{e} AS {k}" for k, e in layer.items()) + f" FROM {sql})"
        return sql + " x"

    def decide(scan: lines.LineScan, bases: list[int], table: str) -> None:
        """Make `table`: the scan's lines with whether each is simple, its line in the file and, for
        a simple one, its columns (one pass over the extracted values)."""
        duck.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT f, n, m.base + n - 1 AS _line, simple, {columns} FROM
            (SELECT *, parsed AND coalesce(({spec.simple}), false) AS simple FROM {layered(scan)}) d
            JOIN (SELECT f, {bases}[i + 1] AS base FROM {scan.files}) m USING (f)"""
        )

    def group_lines(group: list[tuple[int, bytes]], k: int) -> Iterator[tuple[int, str]]:
        files = []
        for j, (_, data) in enumerate(group):
            path = stage / f"{name}-piece{k}-{j}.jsonl"
            path.write_bytes(data)
            files.append(path)
        scan = lines.scan_lines(
            duck,
            files,
            [ctx.display] * len(files),
            stage,
            candidate=spec.candidate,
            paths=list(spec.fields.values()),
            raw=True,
        )
        rows = f"{name}_rows"
        try:
            decide(scan, [b for b, _ in group], rows)
            part = stage / f"{name}-{k:05d}.parquet"
            duck.execute(
                f"COPY (SELECT {keep}, {display} AS _file, _line FROM {rows} WHERE simple ORDER BY _line) "
                f"TO {sql_text(str(part))} (FORMAT parquet)"
            )
            parts.append(part)
            decided, *counts = duck.execute(
                f"SELECT count(*){notes_sql} FROM {rows} WHERE simple"
            ).fetchall()[0]
            in_sql[0] += decided
            for what, n in zip(spec.notes, counts, strict=True):
                if n:
                    ctx.notes[what] += n
            odd = duck.execute(f"SELECT f, n FROM {rows} WHERE NOT simple").fetchall()
            by_piece: dict[int, list[int]] = {}
            for f, n in odd:
                by_piece.setdefault(scan.index[f], []).append(n)
        finally:
            lines.drop(duck, scan)
            duck.execute(f"DROP TABLE IF EXISTS {rows}")
            for path in files:
                path.unlink(missing_ok=True)
        for j, (base, data) in enumerate(group):
            wanted = sorted(by_piece.get(j, ()))
            if not wanted:
                continue
            split = data.split(b"\n")
            for n in wanted:
                yield base + n - 1, split[n - 1].decode("utf-8", errors="replace")

    def odd_lines() -> Iterator[tuple[int, str]]:
        it = pieces(ctx)
        for k in itertools.count():
            group = list(itertools.islice(it, threads))
            if not group:
                return
            yield from group_lines(group, k)

    stager = Stager(stage, f"{name}-py", (*TEXT_COLUMNS, KEY))
    for line, row in fallback(odd_lines(), ctx):
        if isinstance(row, RecordError):
            ctx.quarantine.append(QuarantineRecord(ctx.display, line, row.field, str(row)))
            continue
        rid = row.get("request_id")
        row[KEY] = None if rid is None else str(rid)
        row["_file"], row["_line"] = ctx.display, line
        stager.add(row)
    parts.extend(stager.finish())
    return BulkRead(_without_duplicates(duck, ctx, parts, stage, name, ordered=stager.rows == 0), in_sql[0])


def _without_duplicates(
    duck: Any, ctx: Context, parts: list[Path], stage: Path, name: str, *, ordered: bool
) -> list[Path]:
    """Quarantine every row whose key an earlier line's row has (as `_python_source` does); the parts
    without them, in line order as the Python path stages them (rewritten as one part only when
    there are duplicates, or rows from Python to put in their place: not `ordered`)."""
    files = [str(p) for p in parts]
    dups = duck.execute(
        f"""WITH a AS (SELECT {KEY} AS k, _line FROM read_parquet($files, union_by_name = true)
                       WHERE {KEY} IS NOT NULL),
                 m AS (SELECT k, min(_line) AS first FROM a GROUP BY k HAVING count(*) > 1)
            SELECT a._line, a.k, m.first FROM a JOIN m USING (k) WHERE a._line <> m.first
            ORDER BY a._line""",
        {"files": files},
    ).fetchall()
    if not dups and ordered:
        return parts
    for line, key, first in dups:
        ctx.quarantine.append(
            QuarantineRecord(
                ctx.display, line, "request_id", f'duplicate request_id "{key}" (first at line {first})'
            )
        )
    duck.register("_dup_lines", pa.table({"_line": pa.array([d[0] for d in dups], pa.int64())}))
    out = stage / f"{name}-unique.parquet"
    duck.execute(
        # (rows of one line, a list of records, keep their order: it is within one part)
        f"COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet($files, union_by_name = true, "
        f"file_row_number = true) WHERE _line NOT IN (SELECT _line FROM _dup_lines) "
        f"ORDER BY _line, file_row_number) "
        f"TO {sql_text(str(out))} (FORMAT parquet)",
        {"files": files},
    )
    duck.unregister("_dup_lines")
    return [out]
