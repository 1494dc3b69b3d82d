"""JSON inputs that are not one record per line: API responses saved whole (pretty-printed or
not), arrays of records, pages of buckets. Each object parsed from a whole document remembers the
line it starts on, so a bad record is quarantined with its own line, as in a JSON-lines file.

`documents(path)` yields the top-level JSON values of a file: one per line for JSON lines, else
the whole file as one value. A whole file that is not valid JSON (truncated, say) becomes one
quarantine record at the line where parsing stopped.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from inferonomics.errors import InputError
from inferonomics.ledger.readers.text import TOO_DEEP, bounded_lines, json_problem, loads, open_text
from inferonomics.ledger.staging import QuarantineRecord

MAX_DOCUMENT_CHARS = 64 << 20
"""A whole-file JSON document longer than this (64 Mi characters, after decompression) is refused:
parsed whole it would take many times that in memory; save it as JSON lines."""


_JSON_OBJECT: Callable[..., tuple[dict[str, Any], int]] = json.decoder.JSONObject  # type: ignore[attr-defined]  # typeshed omits it
_MAKE_SCANNER: Callable[[json.JSONDecoder], Any] = json.scanner.py_make_scanner  # type: ignore[attr-defined]  # (the same)


class Located(dict[str, Any]):
    """A JSON object that knows the line it starts on."""

    __slots__ = ("line",)

    line: int


def line_of(obj: Any, default: int) -> int:
    """The line an object starts on (`default` for objects of a JSON-lines file)."""
    return obj.line if isinstance(obj, Located) else default


def _line_finder(text: str) -> Callable[[int], int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return lambda offset: bisect.bisect_right(starts, offset)


def parse_located(text: str) -> Any:
    """`json.loads`, with every object a `Located` (raises `json.JSONDecodeError`)."""
    line = _line_finder(text)
    decoder = json.JSONDecoder()

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Located, int]:
        obj, end = _JSON_OBJECT(s_and_end, *args)
        located = Located(obj)
        located.line = line(s_and_end[1] - 1)
        return located, end

    # The pure-Python scanner looks the object parser up on the decoder: ours records positions.
    decoder.parse_object = parse_object  # type: ignore[attr-defined]  # typeshed omits the scanner hooks
    decoder.scan_once = _MAKE_SCANNER(decoder)  # type: ignore[attr-defined]  # (the same)
    start = len(text) - len(text.lstrip())
    value, end = decoder.raw_decode(text, start)
    if text[end:].strip():
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _read_document(path: Path, display: str) -> str | None:
    """The whole file as text, or None when it is longer than `MAX_DOCUMENT_CHARS`."""
    with open_text(path, display) as f:
        text = f.read(MAX_DOCUMENT_CHARS + 1)
    return None if len(text) > MAX_DOCUMENT_CHARS else text


def first_value(path: Path) -> tuple[str, Any]:
    """How the file is laid out and its first JSON value, for sniffing: ("lines", the first
    line's value), ("document", the whole file's value), or ("broken", None)."""
    with open_text(path) as f:
        for _, raw in bounded_lines(f, str(path), None):
            line = raw.strip()
            if not line:
                continue
            try:
                return "lines", loads(line)
            except ValueError:  # not JSON, or nested too deep
                break
        else:
            return "broken", None
    text = _read_document(path, str(path))
    if text is not None:
        try:
            return "document", loads(text)
        except ValueError:
            pass
    # Neither: JSON lines whose first line is damaged, or a damaged document.
    with open_text(path) as f:
        for number, raw in bounded_lines(f, str(path), None):
            if number > 50:
                break
            try:
                value = loads(raw)
            except ValueError:
                continue
            if isinstance(value, dict):
                return "lines", value
    return "broken", None


def documents(path: Path, display: str, quarantine: list[QuarantineRecord]) -> Iterator[tuple[int, Any]]:
    """(line, value) for each top-level JSON value: each line of a JSON-lines file, or the whole
    file (its objects `Located`). Lines or files that are not JSON are quarantined; lines longer
    than the line limit too (see `text.bounded_lines`)."""
    layout, _ = first_value(path)
    if layout == "lines":
        with open_text(path, display) as f:
            yield from line_documents(bounded_lines(f, display, quarantine), display, quarantine)
        return
    document = _read_document(path, display)
    if document is None:
        raise InputError(
            f"{display}: a single JSON document over {MAX_DOCUMENT_CHARS:,} characters is too large to "
            "read whole; save it as JSON lines (one record per line)"
        )
    text = document
    if not text.strip():
        return
    try:
        value = parse_located(text)
    except RecursionError:
        quarantine.append(QuarantineRecord(display, 1, None, TOO_DEEP))
        return
    except json.JSONDecodeError as e:
        truncated = e.pos >= len(text.rstrip()) - 1
        where = "the document is truncated" if truncated else f"line {e.lineno} column {e.colno}: {e.msg}"
        quarantine.append(
            QuarantineRecord(
                display,
                e.lineno,
                None,
                f"not valid JSON ({where}); no record of this file could be read",
            )
        )
        return
    yield 1, value


def line_documents(
    lines: Iterable[tuple[int, str]], display: str, quarantine: list[QuarantineRecord]
) -> Iterator[tuple[int, Any]]:
    """(line, value) for each of the numbered `lines` of a JSON-lines file; lines that are not JSON
    are quarantined, blank ones skipped (`documents` reads a file's lines through it; the bulk
    readers, the few lines their SQL leaves to Python)."""
    for number, raw in lines:
        text = raw.strip()
        if not text:
            continue
        try:
            yield number, loads(text)
        except json.JSONDecodeError as e:
            quarantine.append(QuarantineRecord(display, number, None, json_problem(e, text)))
        except ValueError as e:
            quarantine.append(QuarantineRecord(display, number, None, str(e)))


def items(doc: Any, line: int, key: str = "data") -> Iterator[tuple[int, Any]]:
    """The items of paged API output, whatever was saved: a page (`{key: [...], "has_more": ...}`),
    a list of pages, a list of items, or one item."""
    if isinstance(doc, list):
        for x in doc:
            if isinstance(x, dict) and isinstance(x.get(key), list):
                yield from items(x, line_of(x, line), key)
            else:
                yield line_of(x, line), x
    elif isinstance(doc, dict) and isinstance(doc.get(key), list):
        for x in doc[key]:
            yield line_of(x, line), x
    else:
        yield line, doc
