"""Bulk reading of line-per-record formats: DuckDB parses the lines, Python reads only the odd ones.

A format's Python reader (the reference) parses each line with `json.loads` and builds a row in
Python: tens of thousands of records a second. Here DuckDB reads the file (`bulk_scan.PieceReader`:
its JSON reader, or its line scanner for text that needs each line's own test), taking the JSON
values a format needs from every line in one parse. A regular file is read whole by one JSON
reading (DuckDB decompresses a gzip file itself) while a second thread looks it over in pieces of
whole lines with cheap text tests (`is_plain`, `lines_start_objects`), decompressing a gzip file
with the Python path's limits (a damaged stream or a likely bomb is the same error); if they fail,
or the reader refuses the file, or (gzip) the reading's rows are not the file's lines one for one,
it is read piece by piece (decompressed as it is read when it is gzip). A `BulkFormat` says, in
SQL over those values, which lines are *simple* (every value of a type and range the SQL can
decide) and how a simple line becomes ledger columns; every other line (not JSON, a value of an
unexpected type, a shape the SQL does not cover, a record the Python reader would refuse) is given,
with its number, to the format's Python reader, so its row or its quarantine reason is the
reference's own. Duplicate request ids are found over both kinds of rows,
as the Python path finds them (`str` of the id, first line kept).

Memory holds a batch of the whole reading's rows, the numbers of the lines it leaves to Python (at
most `bulk_scan.MAX_ODD_LINES`) and two pieces (`CHUNK_BYTES` each), and the rows are written to
Parquet parts as they come, so it does not grow with the file. A file whose lines DuckDB would cut
differently from Python's reader (a bare carriage return ends a line in Python's text mode; a line
longer than `text.MAX_LINE_CHARS`) is read by the Python reader whole: `read` returns None.

`BULK = False` (or `INFERONOMICS_BULK=0`) turns the bulk path off: the tests and the benchmark
compare both paths on the same files.
"""

from __future__ import annotations

import io
import itertools
import os
import stat
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from inferonomics import arrays
from inferonomics.errors import InputError, RecordError
from inferonomics.ledger.readers import lines
from inferonomics.ledger.readers.base import Context, Rows
from inferonomics.ledger.readers.bulk_scan import (
    KEY,
    NotBulk,
    PieceReader,
    lines_start_objects,
    sql_type,
    staged_columns,
)
from inferonomics.ledger.readers.text import MAX_LINE_CHARS, _Gunzip, check_readable, is_gzip
from inferonomics.ledger.schema import DATA_COLUMNS
from inferonomics.ledger.staging import QuarantineRecord, Stager

BULK = os.environ.get("INFERONOMICS_BULK", "1") != "0"
"""Read the formats that have a `BulkFormat` in bulk (False, or `INFERONOMICS_BULK=0` in the
environment: every line through the Python reader, the reference)."""
CHUNK_BYTES = 32 << 20
"""Bytes of whole lines in one piece handed to DuckDB."""
TEXT_COLUMNS = tuple(c for c in DATA_COLUMNS if c != "prefix_hashes")
__all__ = ["KEY", "BulkFormat", "BulkRead", "NotBulk", "read"]
"""(`KEY`: the staged column holding a row's duplicate key, Python's `str` of its request id.)"""
_names = itertools.count()


@dataclass(frozen=True)
class BulkFormat:
    """How a format's lines are read in SQL.

    `fields`: name → JSON path, extracted as JSON text (a string keeps its quotes; NULL when
    absent; a JSON null is `null`, or NULL for a top-level key: tests treat both alike), usable by
    name in the other expressions. `words`: text whose presence anywhere in a line changes its
    reading in ways no JSON path can find (keys at any depth, values in lists): a line with any is
    left to Python. `simple`: an SQL test on the fields, true when the SQL decides the line exactly
    as the Python reader would. `columns`: ledger column → SQL expression for a simple line (a
    count as an integer, anything else as text). `key`: the duplicate key of a simple line's row.
    `notes`: note → SQL test, counted over the lines decided in SQL (simple or `skipped`) as the
    Python reader counts it."""

    fields: Mapping[str, str]
    words: Sequence[str]
    simple: str
    columns: Mapping[str, str]
    key: str
    notes: Mapping[str, str] = field(default_factory=dict)
    derived: Sequence[Mapping[str, str]] = ()
    """Layers of named expressions over the fields (each may use the names before it), computed once
    a line and usable by name in `simple`, `columns`, `key` and `notes`."""
    skip: str = "false"
    """An SQL test, never true of a simple line, true when the Python reader makes neither a row nor a
    quarantine record of the line (it skips it, counting a note at most): such a line is decided in
    SQL without a row. Usable by name, `skipped`, in `notes`."""
    types: Mapping[str, str] = field(default_factory=dict)
    """Ledger column → the SQL type its expression is staged as, where not `sql_type`'s (a time
    made in SQL as a TIMESTAMP in UTC, inside validation's range: validation does not parse it)."""


@dataclass
class BulkRead:
    """What `read` made: the Parquet parts of the rows (staged columns, text, plus `KEY`)."""

    parts: list[Path]
    in_sql: int = 0
    """Lines decided in SQL, rows or skipped (the others went to the Python reader)."""


Fallback = Callable[[Iterable[tuple[int, str]], Context], Rows]
"""A Python reader over numbered lines (the reference, for the lines the SQL leaves)."""


def _stream(ctx: Context) -> IO[bytes]:
    check_readable(ctx.path, ctx.display)
    if is_gzip(ctx.path):
        return io.BufferedReader(_Gunzip(ctx.path, ctx.display), 1 << 20)
    return ctx.path.open("rb")


def pieces(ctx: Context, size: int) -> Iterator[tuple[int, bytes, int]]:
    """(number of its first line, bytes, number of lines) for consecutive pieces of whole lines of
    the file (the last may lack its newline), about `size` bytes each (see `_cut`)."""
    number = 1
    for piece in _cut(ctx, size):
        count = piece.count(b"\n") + (not piece.endswith(b"\n"))
        yield number, piece, count
        number += count


def _cut(ctx: Context, size: int) -> Iterator[bytes]:
    """Consecutive pieces of whole lines of the file (the last may lack its newline), about `size`
    bytes each; a byte-order mark at the start is dropped, as the Python path's decoding drops it.
    Raises `NotBulk` on a bare carriage return (Python's text mode ends a line there; the scanner
    does not) and on a line over `MAX_LINE_CHARS` bytes."""
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
                    yield buf
                return
            cut = buf.rfind(b"\n")
            if cut < 0:
                if len(buf) > MAX_LINE_CHARS:
                    raise NotBulk
                carry = buf
                continue
            piece, carry = buf[: cut + 1], buf[cut + 1 :]
            if len(carry) > MAX_LINE_CHARS:
                raise NotBulk
            _check_returns(piece)
            yield piece


def _check_returns(piece: bytes | bytearray, end: int | None = None) -> None:
    """Raise `NotBulk` on a bare carriage return in `piece` (up to `end`)."""
    end = len(piece) if end is None else end
    if piece.find(b"\r", 0, end) >= 0 and piece.count(b"\r", 0, end) != piece.count(b"\r\n", 0, end):
        raise NotBulk


def sql_text(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def read(ctx: Context, spec: BulkFormat, fallback: Fallback, stage: Path) -> BulkRead | None:
    """Read `ctx.path` in bulk: rows into Parquet parts in `stage`, quarantine records and notes
    into `ctx` (as the Python reader records them, in line order). None (and `ctx` untouched) when
    the file must be read by the Python reader whole (see `pieces`)."""
    # Its own database (any engine's connection is left alone), spilling, if ever, into the stage.
    duck = duckdb.connect(config={"temp_directory": str(stage / "bulk-spill")})
    duck.execute("SET TimeZone = 'UTC'")  # (text times are read as validation reads them)
    quarantine, notes = list(ctx.quarantine), Counter(ctx.notes)
    try:
        got = _read(duck, ctx, spec, fallback, stage)
    except NotBulk:
        ctx.quarantine[:], ctx.notes = quarantine, notes
        return None
    finally:
        duck.close()
    ctx.quarantine.sort(key=lambda q: q.source_line)
    return got


def _read(duck: Any, ctx: Context, spec: BulkFormat, fallback: Fallback, stage: Path) -> BulkRead:
    name = f"bulk{next(_names):05d}"
    threads = int(duck.execute("SELECT current_setting('threads')").fetchall()[0][0])
    reading = PieceReader(duck, ctx, spec, stage, name, threads)
    # A regular file, not compressed, is read by one JSON reading whole while its pieces are looked
    # over (cheap text tests, stopping at the first that fails them): when every piece is plain and
    # every line an object's start, the reading is kept; else the file is read piece by piece.
    whole_odd = None
    if _whole_readable(ctx.path):
        gz = is_gzip(ctx.path)
        halt = threading.Event()  # (the reading failed: the rest of the looking over is no use)
        with ThreadPoolExecutor(1) as checker:
            plain = checker.submit(_plain_file, ctx, reading, halt, gz)
            path = Path(lines.readable_paths([ctx.path], stage)[0])
            whole = reading.whole(path, lambda: plain.done() and plain.result() is None, gz=gz)
            if whole is None:
                halt.set()
            try:
                counted = plain.result()
            except (NotBulk, InputError):  # (a gzip stream the Python path refuses: the same error)
                if whole is not None:
                    whole.discard()
                raise
        # (A gzip file's lines are counted: DuckDB's decompression is not the Python path's.)
        keep = counted is not None and (not gz or (whole is not None and whole.rows == counted))
        if whole is not None and keep:
            reading.take(whole)
            whole_odd = whole.odd
        elif whole is not None:
            whole.discard()
    odd_lines: Iterable[tuple[int, str]] = _odd_lines(ctx, reading, whole_odd)
    if whole_odd is not None and not len(whole_odd):
        odd_lines = ()
    stager = Stager(stage, f"{name}-py", (*TEXT_COLUMNS, KEY))
    for line, row in fallback(odd_lines, ctx):
        if isinstance(row, RecordError):
            ctx.quarantine.append(QuarantineRecord(ctx.display, line, row.field, str(row)))
            continue
        rid = row.get("request_id")
        row[KEY] = None if rid is None else str(rid)
        row["_file"], row["_line"] = ctx.display, line
        stager.add(row)
    python_parts = stager.finish() if stager.rows else []
    parts = _without_duplicates(duck, ctx, spec, reading.parts, python_parts, stage, name)
    return BulkRead(parts, reading.in_sql)


def _whole_readable(path: Path) -> bool:
    """Whether DuckDB may read the file itself, whole: a regular file (a pipe is read once)."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _plain_file(ctx: Context, reading: PieceReader, halt: threading.Event, gz: bool) -> int | None:
    """Whether the whole reading of the file (regular) may be kept: every piece of `_cut`'s `plain`
    and its lines objects' starts (`lines_start_objects`); raises `NotBulk` where `_cut` does, and
    a gzip stream's `InputError` where the Python path does (damaged, cut short, a likely bomb).
    The number of lines when it may (counted only when `gz`, else 0), else None. The pieces are
    read into one buffer, used again (no copy of the file's bytes made); a line longer than a piece
    and the answer is no (the file is then read piece by piece, where `_cut` decides). Stops, no,
    once `halt` is set."""
    buf = bytearray(CHUNK_BYTES)
    view = memoryview(buf)
    filled = lines_seen = 0
    stream: Any = _Gunzip(ctx.path, ctx.display) if gz else ctx.path.open("rb", buffering=0)
    with stream as f:
        while not halt.is_set():
            got = f.readinto(view[filled:]) or 0
            end = filled + got
            if got == 0:
                cut = end
                if cut == 0:
                    return lines_seen
            else:
                cut = buf.rfind(b"\n", 0, end) + 1
                if cut == 0:
                    if end == len(buf):
                        return None
                    filled = end
                    continue
            _check_returns(buf, cut)
            if not (reading.is_plain(buf, cut) and lines_start_objects(buf, cut)):
                return None
            if gz:  # (numpy's count of a byte takes half the time of `bytearray.count`)
                lines_seen += int(np.count_nonzero(np.frombuffer(buf, np.uint8, cut) == 10))
                lines_seen += got == 0 and not buf.endswith(b"\n", 0, cut)
            if got == 0:
                return lines_seen
            tail = bytes(view[cut:end])
            buf[: len(tail)] = tail
            filled = len(tail)
    return None


def _odd_lines(ctx: Context, reading: PieceReader, whole_odd: Any) -> Iterator[tuple[int, str]]:
    """The lines left to Python (number, text), in order, reading the pieces again: after a whole
    reading, the lines it left (`whole_odd`, their numbers); without one, each piece is read by
    DuckDB first (see `PieceReader.piece`), the next piece read from the file (and looked over)
    while DuckDB reads this one."""
    with ThreadPoolExecutor(1) as ahead:
        it = pieces(ctx, CHUNK_BYTES)

        def next_piece() -> tuple[int, bytes, int, bool] | None:
            got = next(it, None)
            return None if got is None else (*got, whole_odd is not None or reading.is_plain(got[1]))

        coming = ahead.submit(next_piece)
        for k in itertools.count():
            got = coming.result()
            if got is None:
                return
            coming = ahead.submit(next_piece)
            base, data, count, is_plain = got
            if whole_odd is not None:
                lo, hi = (int(i) for i in whole_odd.searchsorted([base, base + count]))
                odd = [int(n) for n in whole_odd[lo:hi]]
            else:
                odd = reading.piece(k, base, data, count, is_plain)
            if not odd:
                continue
            split = data.split(b"\n")
            for n in odd:
                yield n, split[n - base].decode("utf-8", errors="replace")


def _without_duplicates(
    duck: Any,
    ctx: Context,
    spec: BulkFormat,
    parts: list[Path],
    python_parts: list[Path],
    stage: Path,
    name: str,
) -> list[Path]:
    """Quarantine every row whose key an earlier line's row has (as `_python_source` does); the parts
    without them, in line order as the Python path stages them. They are the SQL's parts as they are
    (counts typed) unless there are duplicates or rows from Python (`python_parts`, text) to put in
    their place: then one part, every column text."""
    if not parts and not python_parts:  # (an empty file: its columns are still known)
        empty = stage / f"{name}-empty.parquet"
        pq.write_table(arrays.empty(pa.schema(part_schema())), empty)
        return [empty]
    sql_rows = f"read_parquet({sql_text_list(parts)})" if parts else None
    py_rows = (
        f"read_parquet({sql_text_list(python_parts)}, union_by_name = true, filename = true, "
        "file_row_number = true)"
        if python_parts
        else None
    )
    keys = " UNION ALL ".join(f"SELECT {KEY} AS k, _line FROM {r}" for r in (sql_rows, py_rows) if r)
    dups = duck.execute(
        f"""WITH a AS (SELECT * FROM ({keys}) WHERE k IS NOT NULL),
                 m AS (SELECT k, min(_line) AS first FROM a GROUP BY k HAVING count(*) > 1)
            SELECT a._line, a.k, m.first FROM a JOIN m USING (k) WHERE a._line <> m.first
            ORDER BY a._line"""
    ).fetchall()
    if not dups and not python_parts:
        return parts
    for line, key, first in dups:
        ctx.quarantine.append(
            QuarantineRecord(
                ctx.display, line, "request_id", f'duplicate request_id "{key}" (first at line {first})'
            )
        )
    duck.register("_dup_lines", pa.table({"_line": pa.array([d[0] for d in dups], pa.int64())}))
    out = stage / f"{name}-unique.parquet"
    selects = []
    if sql_rows is not None:
        as_text = ", ".join(
            f"CAST({c} AS VARCHAR) AS {c}"
            for c in staged_columns(spec)
            if spec.types.get(c, sql_type(c)) != "VARCHAR"
        )
        columns = f"* REPLACE ({as_text})" if python_parts else "*"
        selects.append(f"SELECT {columns}, '' AS _part, 0 AS _row FROM {sql_rows}")
    if py_rows is not None:
        selects.append(
            f"SELECT * EXCLUDE (filename, file_row_number), filename AS _part, "
            f"file_row_number AS _row FROM {py_rows}"
        )
    duck.execute(
        # (rows of one line, a list of records, keep their order: within Python's parts, in order)
        f"COPY (SELECT * EXCLUDE (_part, _row) FROM ({' UNION ALL BY NAME '.join(selects)}) "
        f"WHERE _line NOT IN (SELECT _line FROM _dup_lines) ORDER BY _line, _part, _row) "
        f"TO {sql_text(str(out))} (FORMAT parquet)"
    )
    duck.unregister("_dup_lines")
    return [out]


def sql_text_list(paths: Sequence[Path]) -> str:
    """`paths` as an SQL list of strings."""
    return "[" + ", ".join(sql_text(str(p)) for p in paths) + "]"


def part_schema() -> list[pa.Field]:
    """The columns of a part the SQL writes."""
    types = {"BIGINT": pa.int64(), "VARCHAR": pa.string()}
    return [
        *(pa.field(c, types[sql_type(c)]) for c in TEXT_COLUMNS),
        pa.field(KEY, pa.string()),
        pa.field("_file", pa.string()),
        pa.field("_line", pa.int64()),
    ]
