"""Reading text inputs line by line: gzip detection, CSV records with their line numbers, JSON
lines that may be truncated or enormous. Problems become quarantine records, never exceptions."""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from inferonomics.errors import InputError
from inferonomics.ledger.staging import MAX_FIELD_CHARS, QuarantineRecord, show_value

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def is_gzip(path: Path) -> bool:
    """Whether the file starts with gzip's magic bytes (its name is not looked at)."""
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


def open_text(path: Path) -> IO[str]:
    """The file as text (UTF-8, undecodable bytes replaced), gunzipped when it is gzip."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory (pass the files in it)")
    # The wrapper owns the binary stream and closes it with itself.
    raw: IO[bytes] = gzip.open(path, "rb") if is_gzip(path) else path.open("rb")  # type: ignore[assignment]  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def first_line(path: Path, limit: int = 1 << 28) -> str:
    """The first non-blank line (cut at `limit` characters), for format sniffing. Read whole: a
    response line with a long text is still one JSON object to recognise."""
    with open_text(path) as f:
        while True:
            try:
                line = f.readline(limit)
            except (OSError, EOFError):
                return ""
            if not line:
                return ""
            if line.strip():
                return line.strip()


def csv_records(
    path: Path, display: str, quarantine: list[QuarantineRecord]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by header name) for each CSV record; bad records go to `quarantine`."""
    with open_text(path) as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise InputError(f"{display}: cannot read the CSV header: {e}") from e
        header = [h.strip().lstrip("\ufeff") for h in header]
        last = reader.line_num
        while True:
            start = last + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                quarantine.append(
                    QuarantineRecord(display, reader.line_num, None, f"unreadable CSV record: {e}")
                )
                last = reader.line_num
                continue
            last = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
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


def json_lines(
    path: Path, display: str, quarantine: list[QuarantineRecord]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each JSON line; lines that are not JSON objects are quarantined.
    A line of any length is read whole (a response with a long text is still a good record)."""
    with open_text(path) as f:
        for number, line in enumerate(f, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                quarantine.append(QuarantineRecord(display, number, None, json_problem(e, text)))
                continue
            if not isinstance(obj, dict):
                quarantine.append(
                    QuarantineRecord(
                        display, number, None, f"a JSON {type(obj).__name__}, expected an object"
                    )
                )
                continue
            yield number, obj
