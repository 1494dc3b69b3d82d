"""The SQL of a bulk reading (see `bulk.py`): a whole file, or one piece of whole lines at a time,
into a Parquet part of the rows decided in SQL and the numbers of the lines left to Python.

A whole file is read the *fast* way below, in one query whose rows are streamed (`PieceReader.whole`).
Two ways to read a piece, with the same SQL over the same extracted values:

* *fast*: DuckDB's JSON reader (`read_json`, parallel, no inference: each top-level key a JSON
  column, nested values extracted from its text) over the piece, when every line of it starts an
  object and it has no text the SQL cannot judge (`plain`). Its rows come in line order, one a
  line; a piece the reader refuses (a line that is not JSON, a repeated key, an object over
  `MAX_OBJECT_BYTES`), or that gives another number of rows than it has lines, is scanned instead;
* *scanned*: the line scanner (`lines.scan_lines`), line by line, which also tests each line's
  text (`candidate`) and leaves the lines that fail it to Python.

Counts are written as BIGINT (every count of a simple line is a whole number the SQL checked), so
validation does not parse them again; the other columns as text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inferonomics import arrays
from inferonomics.ledger.readers import lines
from inferonomics.ledger.schema import COUNT_COLUMNS

if TYPE_CHECKING:
    from inferonomics.ledger.readers.base import Context
    from inferonomics.ledger.readers.bulk import BulkFormat

BATCH_ROWS = 1 << 18
"""Rows of a whole-file reading fetched from DuckDB at a time (see `PieceReader.whole`)."""
MAX_ODD_LINES = 1 << 22
"""A whole-file reading that leaves more lines than this to Python gives up (their numbers are held
in memory until the file is read): the file is read piece by piece instead."""
MAX_OBJECT_BYTES = 8 << 20
"""The largest line the fast reading takes (a piece with a longer one is scanned line by line)."""
_TRAILING_COMMA = r",[ \t\r]*[}\]]"


def escapes(words: Sequence[str]) -> str:
    """An RE2 pattern of a `\\u00XX` escape of an ASCII character that one of `words` has: a key spelt
    with such escapes (`\\u0063ustom_id`) would hide the word from a text test. Writers escape control
    and non-ASCII characters, and Go's `<`, `>` and `&` (`\\u003c`), which no word has: text with
    those is judged as any other."""
    codes = sorted({f"{ord(c):02x}" for w in words for c in w if ord(c) < 0x80})
    both = [c[0] + (f"[{c[1]}{c[1].upper()}]" if c[1].isalpha() else c[1]) for c in codes]
    return r"\\u00(?:" + "|".join(both) + ")"


def candidate(words: Sequence[str]) -> str:
    """SQL: a line the SQL may judge. An object with no trailing comma (`{"a": 1,}`: DuckDB's JSON
    parser takes it, Python's refuses the line; the text may also be inside a string, and then the
    line is only left to Python, never misread), and none of `words`, spelt plainly or with escapes
    (see `escapes`)."""
    sql = "starts_with(line, '{') AND NOT regexp_matches(line, ',[ \\t\\r]*[}\\]]')"
    if words:
        sql += f" AND (NOT contains(line, '\\u00') OR NOT regexp_matches(line, {_text(escapes(words))}))"
        sql += "".join(f" AND NOT contains(line, {_text(w)})" for w in words)
    return sql


KEY = "_key"
PART_COMPRESSION = "lz4"
"""The parts are read once, soon after: LZ4 writes them in about 60% of Snappy's time (1M rows of
responses: 0.45 s against 0.75 s), at the same size."""


class NotBulk(Exception):
    """The file must be read by the Python reader whole: it cannot be cut into lines as the Python
    reader cuts them, (raised by a format's fallback) a line left to Python changes how the lines
    after it read, or the line scanner's SQL failed on a piece (`PieceReader.piece`). Public as
    `bulk.NotBulk`."""


def sql_type(column: str) -> str:
    """The SQL type a bulk reading writes `column` as."""
    return "BIGINT" if column in COUNT_COLUMNS else "VARCHAR"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def plain(data: bytes | bytearray, words: list[bytes], end: int | None = None) -> bool:
    """No line of `data` (up to `end`) has text that needs the line's own test (see `candidate`): a
    trailing comma, or any of `words` (spelt plainly, or with escapes). (Blank lines,
    and lines that are not objects, are found by DuckDB's JSON reader: it refuses the piece, or gives
    fewer rows than lines. It reads keys spelt with escapes as Python does.)"""
    # (Each test one RE2 search that starts from its literal's first byte: a search for any of
    # several texts at once is several times slower, and so is `bytes.find`.)
    end = len(data) if end is None else end
    if words:
        if any(_matches(data, end, re.escape(w.decode())) for w in words):
            return False
        if _matches(data, end, escapes([w.decode() for w in words])):
            return False
    return not _matches(data, end, _TRAILING_COMMA)


def _matches(data: bytes | bytearray, end: int, pattern: str) -> bool:
    """Whether `pattern` (RE2) matches anywhere in `data[:end]` (read in place, not copied)."""
    text = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, end], np.int64)), pa.py_buffer(data)]
    )
    return bool(pc.match_substring_regex(text, pattern)[0].as_py())


def lines_start_objects(data: bytes | bytearray, end: int | None = None) -> bool:
    """Every line of `data` (up to `end`) starts with `{` (so none is blank: DuckDB's JSON reader
    skips blank lines, and then its rows would not be the file's lines one for one)."""
    return data.startswith(b"{") and not _matches(data, len(data) if end is None else end, "\\n[^{]")


@dataclass
class WholeRead:
    """What `PieceReader.whole` read: its part (`written` when it has rows), the numbers of the
    lines it left to Python (in order), how many rows (lines) it read and decided in SQL, the notes
    it counted."""

    part: Path
    odd: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    written: bool = False
    rows: int = 0
    in_sql: int = 0
    notes: Counter[str] = field(default_factory=Counter)

    def discard(self) -> None:
        """Remove the part (the reading is not used)."""
        self.part.unlink(missing_ok=True)


class PieceReader:
    """One file's bulk reading: the SQL built once, and what the pieces read so far made (the Parquet
    parts of their simple lines, one a piece in line order; how many lines were decided in SQL; the
    notes counted)."""

    def __init__(self, duck: Any, ctx: Context, spec: BulkFormat, stage: Path, name: str, threads: int):
        self.duck, self.ctx, self.spec, self.stage, self.name = duck, ctx, spec, stage, name
        self.threads = threads
        self.parts: list[Path] = []
        self.in_sql = 0
        self.words = [w.encode() for w in spec.words]
        self.data_columns = staged_columns(spec)
        self.keep = [*self.data_columns, KEY, "_file"]
        columns = ", ".join(
            f"CASE WHEN simple THEN CAST(({spec.columns[c]}) AS {spec.types.get(c, sql_type(c))}) END AS {c}"
            if c in spec.columns
            else f"CAST(NULL AS {sql_type(c)}) AS {c}"
            for c in self.data_columns
        )
        columns += f", CASE WHEN simple THEN CAST(({spec.key}) AS VARCHAR) END AS {KEY}"
        columns += f", {_text(ctx.display)} AS _file"
        columns += "".join(
            f", (simple OR skipped) AND coalesce(({test}), false) AS _note{i}"
            for i, test in enumerate(spec.notes.values())
        )
        self.columns = columns
        self.fast_sql = (
            f"SELECT simple, simple OR skipped AS decided, {columns} FROM {self._decided(self._read_json())}"
        )
        """The fast reading of the file at `$path`, compressed as `$compression` says (see `sql`)."""

    def sql(self, path: Path, *, gz: bool = False) -> str:
        """The fast reading (`fast_sql`) of the file at `path`, gzip when `gz`."""
        # (the path last: its text is the user's)
        compressed = self.fast_sql.replace("$compression", "'gzip'" if gz else "'none'")
        return compressed.replace("$path", _text(str(path)))

    def _decided(self, fields: str) -> str:
        """The lines of `fields` (a subquery of the extracted values, `parsed` among them) with the
        format's derived values, `simple` and `skipped` (decided in SQL without a row)."""
        sql = fields
        for layer in self.spec.derived:
            sql = "(SELECT *, " + ", ".join(f"{e} AS {k}" for k, e in layer.items()) + f" FROM {sql})"
        return (
            f"(SELECT *, parsed AND coalesce(({self.spec.simple}), false) AS simple, "
            f"parsed AND coalesce(({self.spec.skip}), false) AS skipped FROM {sql} x) d"
        )

    def _read_json(self) -> str:
        """The fields of every line of the piece at `$path`, by DuckDB's JSON reader: the objects
        on the fields' paths as structs (a value of another type there, or a repeated key, and the
        reader refuses the piece), each field's value as JSON text; a field that is itself such an
        object is `{}` (all the SQL asks of it is whether it is one)."""
        tree: dict[str, Any] = {}
        for path in self.spec.fields.values():
            node = tree
            for key in path.removeprefix("$.").split("."):
                node = node.setdefault(key, {})

        def type_of(node: dict[str, Any]) -> str:
            if not node:
                return "JSON"
            return "STRUCT(" + ", ".join(f"{_ident(k)} {type_of(v)}" for k, v in node.items()) + ")"

        read_columns = "{" + ", ".join(f"{_text(k)}: {_text(type_of(v))}" for k, v in tree.items()) + "}"
        fields = []
        for field_name, path in self.spec.fields.items():
            top, *rest = path.removeprefix("$.").split(".")
            expr, node = _ident(top), tree[top]
            for key in rest:
                expr, node = f"struct_extract({expr}, {_text(key)})", node[key]
            value = f"CASE WHEN {expr} IS NOT NULL THEN '{{}}' END" if node else f"CAST({expr} AS VARCHAR)"
            fields.append(f"{value} AS {field_name}")
        return (
            f"(SELECT true AS parsed, {', '.join(fields)} FROM read_json($path, "
            f"format = 'newline_delimited', compression = $compression, columns = {read_columns}, "
            f"maximum_object_size = {MAX_OBJECT_BYTES}))"
        )

    def whole(self, path: Path, stop: Callable[[], bool], *, gz: bool = False) -> WholeRead | None:
        """Read the file at `path` (gzip when `gz`, which DuckDB decompresses) by one `read_json`
        query, its rows streamed into one part, the line numbers counted from the top: so the file
        must be a regular file, every piece `plain` and every line an object's start (then the
        reader gives one row a line, in order, or refuses), which the caller checks meanwhile. None
        (nothing kept) when the reader refuses the file, when `stop()` (asked after each batch) is
        true, or when it leaves more than `MAX_ODD_LINES` lines to Python. What it read is the
        caller's to `take` or `discard`."""
        got = WholeRead(self.stage / f"{self.name}-whole.parquet")
        odd: list[np.ndarray] = []
        seen = odd_count = 0
        writer: pq.ParquetWriter | None = None
        ok = False
        # Each batch is written to Parquet by a thread while DuckDB makes the next (both let go of
        # the GIL), one write at a time: a batch of rows at most waits, so memory stays flat.
        writing = ThreadPoolExecutor(1)
        pending: Future[None] | None = None
        try:
            for batch in _batches(self.duck.sql(self.sql(path, gz=gz)).to_arrow_reader(BATCH_ROWS)):
                n = batch.num_rows
                # (Arrow's own kernels on the flags: a boolean array's `to_numpy` imports pandas.)
                simple = batch.column("simple")
                rows = pa.Table.from_batches([batch]).select(self.keep).filter(simple)
                lines_of = _line_numbers(pc.indices_nonzero(simple), seen + 1)
                rows = rows.append_column("_line", arrays.integers(lines_of, pa.int64()))
                if writer is None:
                    writer = pq.ParquetWriter(got.part, rows.schema, compression=PART_COMPRESSION)
                if pending is not None:
                    pending.result()
                pending = writing.submit(writer.write_table, rows)
                decided = batch.column("decided")
                in_batch = _trues(decided)
                got.in_sql += in_batch
                for i, what in enumerate(self.spec.notes):
                    got.notes[what] += _trues(batch.column(f"_note{i}"))
                if in_batch < n:
                    left = _line_numbers(pc.indices_nonzero(pc.invert(decided)), seen + 1)
                    odd.append(left)
                    odd_count += len(left)
                seen += n
                if odd_count > MAX_ODD_LINES or stop():
                    return None
            if pending is not None:
                pending.result()
            ok = True
            got.odd = np.concatenate(odd) if odd else np.zeros(0, np.int64)
            got.written = writer is not None
            got.rows = seen
            return got
        except duckdb.Error:
            return None
        finally:
            writing.shutdown(wait=True)
            if writer is not None:
                writer.close()
            if not ok:
                got.part.unlink(missing_ok=True)

    def take(self, got: WholeRead) -> None:
        """Take what `whole` read as this reading's."""
        if got.written:
            self.parts.append(got.part)
        self.in_sql += got.in_sql
        self.ctx.notes.update(+got.notes)

    def is_plain(self, data: bytes | bytearray, end: int | None = None) -> bool:
        """Whether the piece `data` (up to `end`) may be read the fast way (see `plain`)."""
        return plain(data, self.words, end)

    def piece(self, k: int, base: int, data: bytes, count: int, is_plain: bool) -> list[int]:
        """Read one piece (the number of its first line, its bytes, its number of lines, whether it
        is `plain`): the rows of its simple lines into a part; returns the numbers of its other
        lines (for Python), in order."""
        odd = self._fast(k, base, data, count) if is_plain else None
        if odd is not None:
            return odd
        try:
            return self._scanned(k, base, data)
        except duckdb.Error as e:
            # (The JSON reader's refusals are expected and read otherwise; the scanner's SQL should
            # not fail on any text. If it does, the reference reads the file: slower, never a crash.)
            raise NotBulk from e

    def _fast(self, k: int, base: int, data: bytes, count: int) -> list[int] | None:
        path = self.stage / f"{self.name}-piece{k}.jsonl"
        path.write_bytes(data)
        try:
            table = self.duck.sql(self.sql(path)).to_arrow_table()
        except (duckdb.Error, *READ_ERRORS):
            return None
        finally:
            path.unlink(missing_ok=True)
        if table.num_rows != count:
            return None
        numbers = arrays.integers(np.arange(base, base + count), pa.int64())
        simple = table.column("simple")
        rows = table.filter(simple).select(self.keep).append_column("_line", numbers.filter(simple))
        self._write(k, rows)
        for what, i in zip(self.spec.notes, range(len(self.spec.notes)), strict=True):
            n = _trues(table.column(f"_note{i}"))
            if n:
                self.ctx.notes[what] += n
        decided = table.column("decided")
        self.in_sql += _trues(decided)
        odd: list[int] = numbers.filter(pc.invert(decided)).to_pylist()
        return odd

    def _write(self, k: int, rows: pa.Table) -> None:
        part = self.stage / f"{self.name}-{k:05d}.parquet"
        pq.write_table(rows, part, compression=PART_COMPRESSION)
        self.parts.append(part)

    def _scanned(self, k: int, base: int, data: bytes) -> list[int]:
        """The piece read by the line scanner, cut in one file a thread."""
        files, bases = [], []
        for j, (start, chunk) in enumerate(_split(base, data, self.threads)):
            path = self.stage / f"{self.name}-piece{k}-{j}.jsonl"
            path.write_bytes(chunk)
            files.append(path)
            bases.append(start)
        fields_sql = ", ".join(f"CAST(v[{i + 1}] AS VARCHAR) AS {n}" for i, n in enumerate(self.spec.fields))
        scan = lines.scan_lines(
            self.duck,
            files,
            [self.ctx.display] * len(files),
            self.stage,
            candidate=candidate(self.spec.words),
            paths=list(self.spec.fields.values()),
            raw=True,
        )
        table = f"{self.name}_rows"
        try:
            fields = f"(SELECT f, n, cand AND ok AS parsed, {fields_sql} FROM {scan.table})"
            self.duck.execute(
                f"""CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT m.base + n - 1 AS _line, simple, simple OR skipped AS decided, {self.columns}
                FROM {self._decided(fields)}
                JOIN (SELECT f, {bases}[i + 1] AS base FROM {scan.files}) m USING (f)"""
            )
            keep = ", ".join(self.keep)
            rows = self.duck.sql(
                f"SELECT {keep}, _line FROM {table} WHERE simple ORDER BY _line"
            ).to_arrow_table()
            self._write(k, rows)
            notes = "".join(f", count(*) FILTER (WHERE _note{i})" for i in range(len(self.spec.notes)))
            decided, *counts = self.duck.execute(
                f"SELECT count(*) FILTER (WHERE decided){notes} FROM {table}"
            ).fetchall()[0]
            self.in_sql += decided
            for what, n in zip(self.spec.notes, counts, strict=True):
                if n:
                    self.ctx.notes[what] += n
            odd = self.duck.execute(f"SELECT _line FROM {table} WHERE NOT decided ORDER BY _line").fetchall()
        finally:
            lines.drop(self.duck, scan)
            self.duck.execute(f"DROP TABLE IF EXISTS {table}")
            for path in files:
                path.unlink(missing_ok=True)
        return [r[0] for r in odd]


READ_ERRORS = (pa.ArrowException, OSError)
"""What DuckDB's error while it streams a result (a line that is not JSON, far into a file; a gzip
stream cut short) arrives as, through Arrow: not a `duckdb.Error`."""


def _batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The batches of a streamed result; DuckDB's error while streaming it raised as a `duckdb.Error`
    (the JSON reader refused the file: it is read otherwise), not as Arrow's exception."""
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except READ_ERRORS as e:
            raise duckdb.Error(str(e)) from e
        yield batch


def _line_numbers(indices: pa.Array, first: int) -> np.ndarray:
    """Line numbers of the rows at `indices` (Arrow's uint64 indices) of a batch whose first row is
    line `first`. (From the buffer: `to_numpy` imports pandas, a third of a second.)"""
    at = np.frombuffer(indices.buffers()[1], np.uint64, len(indices), indices.offset * 8)
    return at.astype(np.int64) + first


def _trues(flags: pa.Array | pa.ChunkedArray) -> int:
    """How many of `flags` are true."""
    return int(pc.sum(flags.cast(pa.int64())).as_py() or 0)


def _split(base: int, data: bytes, parts: int) -> list[tuple[int, bytes]]:
    """`data` cut into about `parts` runs of whole lines: (number of the first line, bytes)."""
    out: list[tuple[int, bytes]] = []
    size = max(1, len(data) // max(parts, 1))
    start = 0
    while start < len(data):
        cut = data.find(b"\n", start + size) if len(out) < parts - 1 else -1
        end = len(data) if cut < 0 else cut + 1
        out.append((base, data[start:end]))
        base += data.count(b"\n", start, end)
        start = end
    return out or [(base, data)]


def staged_columns(spec: BulkFormat) -> list[str]:
    """The ledger columns a reading of `spec` stages, in the ledger's order: the ones it fills, and
    `schema.ALWAYS_STAGED` in any case (as NULL). The others would be NULL in every row, and the
    20-odd a format leaves empty cost a fifth of a fast reading in Arrow and Parquet; validation
    reads an absent optional column as a NULL."""
    from inferonomics.ledger.schema import ALWAYS_STAGED

    return [c for c in _data_columns() if c in spec.columns or c in ALWAYS_STAGED]


def _data_columns() -> tuple[str, ...]:
    from inferonomics.ledger.schema import DATA_COLUMNS

    return tuple(c for c in DATA_COLUMNS if c != "prefix_hashes")
