"""What a format reader is: a function from a file (its `Context`) to ledger rows, each with the
line it came from, or a `RecordError` saying why that record cannot be a row (it is quarantined with
its file and line). `notes` counts records that are not usage at all (a span that is not a model
call, an empty bucket): they are skipped, and the run says how many."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.staging import QuarantineRecord

Row = dict[str, Any]
Rows = Iterator[tuple[int, Row | RecordError]]


@dataclass
class Context:
    """What a reader is given for one input file: its path, the name messages show for it (`display`), and
    where to record what it quarantines while parsing and what it skips."""

    path: Path
    display: str
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    """Skipped records by reason ("spans that are not model calls" → 12)."""


Reader = Callable[[Context], Rows]


def guarded(line: int, make: Callable[..., Row], *args: Any) -> tuple[int, Row | RecordError]:
    """(line, `make(*args)`), or (line, the RecordError that making the row raised)."""
    try:
        return line, make(*args)
    except RecordError as e:
        return line, e


def not_an_object(value: Any) -> RecordError:
    """The reason a record that is not a JSON object is quarantined."""
    kind = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), "null"
    )
    return RecordError(f"a JSON {kind}, expected an object")
