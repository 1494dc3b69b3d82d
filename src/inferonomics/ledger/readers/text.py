"""Reading text inputs line by line, with every size bounded: gzip detection and streaming
decompression (a damaged stream or one that expands more than `GZIP_RATIO_LIMIT` times is an
error naming the file), lines longer than `MAX_LINE_CHARS` quarantined unread, CSV records with
their line numbers (a quote that is never closed is reported at the line where it opened, and the
lines it swallowed are read as records), JSON lines that may be truncated or nested too deep.
Problems with one record become quarantine records; a file unusable as a whole, an `InputError`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import stat
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from inferonomics.errors import InputError
from inferonomics.ledger.staging import MAX_FIELD_CHARS, QuarantineRecord, show_value

MAX_LINE_CHARS = 32 << 20
"""A line longer than this (32 Mi characters) is quarantined without being held in memory."""
GZIP_RATIO_LIMIT = 1000
"""A gzip stream that expands more than this many times (once past `GZIP_RATIO_FREE` bytes) is
refused as a likely compression bomb; real usage logs compress 5 to 50 times."""
GZIP_RATIO_FREE = 64 << 20
MAX_CSV_RECORD_LINES = 10_000
"""A quoted CSV field spanning more lines than this is taken for a quote never closed."""

csv.field_size_limit(MAX_FIELD_CHARS + 1)


def is_gzip(path: Path) -> bool:
    """Whether the file starts with gzip's magic bytes (its name is not looked at)."""
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


def check_readable(path: Path, display: str | None = None) -> None:
    """Raise an `InputError` unless `path` is an existing regular file (or a pipe): a folder, a
    device (`/dev/zero` never ends) or a missing file cannot be read as usage."""
    shown = display or str(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except OSError as e:
        raise InputError(f"{shown}: cannot be read ({e.strerror})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{shown}: is a directory (pass the files in it)")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise InputError(f"{shown}: not a regular file (a device or socket); pass a file")


class _Gunzip(io.RawIOBase):
    """A gzip stream decompressed as it is read: a damaged or cut stream, or one expanding past the
    ratio limit, raises an `InputError` naming the file."""

    def __init__(self, path: Path, display: str) -> None:
        self._file = path.open("rb")
        self._gz = gzip.GzipFile(fileobj=self._file, mode="rb")
        self._display = display
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            n = self._gz.readinto(buffer)
        except EOFError:
            raise InputError(
                f"{self._display}: the gzip stream is cut short (the file is incomplete): "
                "download or compress it again"
            ) from None
        except (OSError, zlib.error) as e:
            raise InputError(
                f"{self._display}: not a readable gzip stream ({e}): check the file, or decompress it "
                "and pass the result"
            ) from None
        self._out += n
        if self._out > GZIP_RATIO_FREE and self._out > GZIP_RATIO_LIMIT * max(self._file.tell(), 1):
            raise InputError(
                f"{self._display}: gzip compression ratio over {GZIP_RATIO_LIMIT}:1 "
                f"({self._out:,} bytes from {self._file.tell():,}): refused as a likely compression bomb; "
                "decompress it yourself if you trust it"
            )
        return n

    def close(self) -> None:
        self._gz.close()
        self._file.close()
        super().close()


def open_text(path: Path, display: str | None = None) -> IO[str]:
    """The file as text (UTF-8, a byte-order mark dropped, undecodable bytes replaced),
    decompressed as it is read when it is gzip (see `_Gunzip`)."""
    shown = display or str(path)
    check_readable(path, shown)
    gz = is_gzip(path)
    raw: IO[bytes] = io.BufferedReader(_Gunzip(path, shown), 1 << 16) if gz else path.open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def bounded_lines(
    f: IO[str], display: str, quarantine: list[QuarantineRecord] | None
) -> Iterator[tuple[int, str]]:
    """(line number, line) for each line of `f`; a line longer than `MAX_LINE_CHARS` is skipped in
    pieces, never held whole, and recorded in `quarantine` (when given)."""
    number = 0
    while True:
        line = f.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS and line[-1] not in "\r\n":
            size = len(line)
            while True:
                rest = f.readline(1 << 20)
                size += len(rest)
                if not rest or rest[-1] in "\r\n":
                    break
            if quarantine is not None:
                quarantine.append(
                    QuarantineRecord(
                        display,
                        number,
                        None,
                        f"a line of {size:,} characters, over the limit of {MAX_LINE_CHARS:,}: not read",
                    )
                )
            continue
        yield number, line


def first_line(path: Path, limit: int = MAX_LINE_CHARS) -> str:
    """The first non-blank line (cut at `limit` characters), for format sniffing."""
    return first_lines(path, 1, limit)[0]


def first_lines(path: Path, n: int, limit: int = MAX_LINE_CHARS) -> list[str]:
    """The first `n` non-blank lines, stripped (each cut at `limit` characters; "" for each the file
    does not have), for format sniffing."""
    got: list[str] = []
    with open_text(path) as f:
        while len(got) < n:
            line = f.readline(limit)
            if not line:
                break
            if line.strip():
                got.append(line.strip())
    return got + [""] * (n - len(got))


class _Feed:
    """Physical lines for `csv.reader`, numbered; keeps the lines of the record being read, so a
    record that went wrong can give its lines back to be read again."""

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self.lines = lines
        self.pending: deque[tuple[int, str]] = deque()
        self.record: list[tuple[int, str]] = []
        self.last = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        item = self.pending.popleft() if self.pending else next(self.lines)
        if len(self.record) >= MAX_CSV_RECORD_LINES:
            self.pending.appendleft(item)
            raise csv.Error(f"a quoted field spans more than {MAX_CSV_RECORD_LINES:,} lines")
        self.record.append(item)
        self.last = item[0]
        return item[1]

    def give_back(self) -> int:
        """Put back every line of the current record but its first; the first's number."""
        first, *rest = self.record
        self.pending.extendleft(reversed(rest))
        self.record = []
        return first[0]


def _quoted_column(line: str, header: list[str]) -> str | None:
    """The column in which a quote opened on `line` (the last field the line starts), or the
    first field over the field limit on it. The line is bounded (`MAX_LINE_CHARS`), so it is
    split here without the limit."""
    limit = csv.field_size_limit(MAX_LINE_CHARS + 1)
    try:
        fields = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None
    finally:
        csv.field_size_limit(limit)
    long = next((i for i, v in enumerate(fields) if len(v) > MAX_FIELD_CHARS), len(fields) - 1)
    return header[long] if 0 <= long < len(header) else None


def csv_records(
    path: Path, display: str, quarantine: list[QuarantineRecord]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by header name) for each CSV record; bad records go to `quarantine`.
    A record that spans lines and is then malformed (a stray quote) is quarantined at its first
    line, and the lines after it are read again as records of their own: nothing is swallowed."""
    with open_text(path, display) as f:
        feed = _Feed(bounded_lines(f, display, quarantine))
        try:
            header = next(csv.reader(feed, strict=True))
        except StopIteration:
            return
        except csv.Error as e:
            raise InputError(f"{display}: cannot read the CSV header: {e}") from e
        header = [h.strip() for h in header]
        yield from _records(feed, header, display, quarantine)


def header_of(path: Path) -> list[str] | None:
    """The CSV header (names stripped), or None when the file has no readable header."""
    with open_text(path) as f:
        try:
            row = next(csv.reader(_Feed(bounded_lines(f, str(path), None)), strict=True))
        except (StopIteration, csv.Error):
            return None
    return [h.strip() for h in row]


def _records(
    feed: _Feed, header: list[str], display: str, quarantine: list[QuarantineRecord]
) -> Iterator[tuple[int, dict[str, str]]]:
    while True:
        reader = csv.reader(feed, strict=True)
        while True:
            feed.record = []
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                if not feed.record:
                    return
                lines = len(feed.record)
                first_text = feed.record[0][1]
                start = feed.give_back()
                column = _quoted_column(first_text, header)
                where = f"column {column}: " if column else ""
                if lines > 1:
                    reason = (
                        f"{where}a quote opened on this line is not closed ({e}); the {lines - 1:,} "
                        "lines after it are read as records"
                    )
                elif "field limit" in str(e):
                    reason = f"{where}a field longer than {MAX_FIELD_CHARS:,} characters: no usage value is"
                    reason += " that long"
                else:
                    column, reason = None, f"unreadable CSV record: {e}"
                quarantine.append(QuarantineRecord(display, start, column, reason))
                break  # a new reader: the old one's state is that of the bad record
            start = feed.record[0][0]
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header) and len(feed.record) > 1:
                lines = len(feed.record)
                column = _quoted_column(feed.record[0][1], header)
                where = f"column {column}: " if column else ""
                quarantine.append(
                    QuarantineRecord(
                        display,
                        feed.give_back(),
                        column,
                        f"{where}a quote opened on this line runs over {lines:,} lines and leaves "
                        f"{len(row)} fields, the header has {len(header)}; the lines after it are read "
                        "as records",
                    )
                )
                break
            if len(row) != len(header):
                quarantine.append(
                    QuarantineRecord(
                        display,
                        start,
                        None,
                        f"has {len(row)} fields, the header has {len(header)} (truncated line?)",
                    )
                )
                continue
            long = next((i for i, v in enumerate(row) if len(v) > MAX_FIELD_CHARS), None)
            if long is not None:
                quarantine.append(
                    QuarantineRecord(
                        display,
                        start,
                        header[long],
                        f"column {header[long]} is {show_value(row[long])}: no usage value is that long",
                    )
                )
                continue
            yield start, dict(zip(header, row, strict=True))


def json_problem(e: json.JSONDecodeError, text: str) -> str:
    """The quarantine reason of a line that is not JSON: a line cut short (the end of the line
    reached inside a value) is called truncated."""
    cut = e.pos >= len(text) - 1 or e.msg.startswith("Unterminated string")
    what = "truncated" if cut else f"at character {e.pos + 1}"
    return f"not valid JSON ({what}: {e.msg}; {len(text):,} characters)"


TOO_DEEP = "not read: JSON nested deeper than the parser allows"


def loads(text: str) -> Any:
    """`json.loads` with nesting too deep for the parser raised as a `ValueError` (`TOO_DEEP`)
    rather than a `RecursionError`."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def json_lines(
    path: Path, display: str, quarantine: list[QuarantineRecord]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each JSON line; lines that are not JSON objects are quarantined,
    and so are lines longer than `MAX_LINE_CHARS` (never held whole)."""
    with open_text(path, display) as f:
        yield from json_objects(bounded_lines(f, display, quarantine), display, quarantine)


def json_objects(
    lines: Iterable[tuple[int, str]], display: str, quarantine: list[QuarantineRecord]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each of the numbered `lines` that is a JSON object; the others
    (not JSON, not an object) are quarantined, blank ones skipped. `json_lines` reads a file's
    lines through it; the bulk readers, the few lines their SQL leaves to Python."""
    for number, line in lines:
        text = line.strip()
        if not text:
            continue
        try:
            obj = loads(text)
        except json.JSONDecodeError as e:
            quarantine.append(QuarantineRecord(display, number, None, json_problem(e, text)))
            continue
        except ValueError as e:
            quarantine.append(QuarantineRecord(display, number, None, str(e)))
            continue
        if not isinstance(obj, dict):
            quarantine.append(
                QuarantineRecord(display, number, None, f"a JSON {type(obj).__name__}, expected an object")
            )
            continue
        yield number, obj
