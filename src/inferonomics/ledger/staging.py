"""Staging for readers that parse in Python: rows go to Parquet parts in a temporary directory,
so a file of any size is read with bounded memory and validated by the same vectorized
expression as every other input.

Staged columns are strings (the values as the file gave them) plus `_file` and `_line`; lists
(prefix hashes) are staged as lists of int64. Problems found while parsing (bad JSON, a missing
usage object) do not reach the stage: they are recorded as quarantine records.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from inferonomics.arrays import column, empty

MAX_FIELD_CHARS = 1 << 20
"""A field longer than this (1 MiB) cannot be a usage value; its row is quarantined."""


@dataclass(frozen=True)
class QuarantineRecord:
    """One record set aside while parsing: the file (as shown) and line it came from, the field at fault
    (None when it is the whole record) and the reason."""

    source_file: str
    source_line: int
    field: str | None
    reason: str


def show_value(value: object, limit: int = 60) -> str:
    """A value as an error message quotes it: short, with its length when cut."""
    text = str(value)
    if len(text) <= limit:
        return f'"{text}"'
    return f'"{text[:limit]}…" ({len(text):,} characters)'


@dataclass
class Stager:
    """Collects rows (dicts of column → value) and writes them as Parquet parts: `columns` as
    text, `list_columns` as lists of int64."""

    directory: Path
    name: str
    columns: tuple[str, ...]
    list_columns: tuple[str, ...] = ()
    tags: list[str] = field(default_factory=list)
    """Extra text columns, found as rows come (a reader appends to the list): parts written
    before a tag was found lack it, so parts are read back by column name."""
    batch_rows: int = 100_000
    _rows: list[dict[str, Any]] = field(default_factory=list)
    _parts: list[Path] = field(default_factory=list)
    rows: int = 0

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row (columns it lacks are written as null); every `batch_rows` rows, the queue is
        written as a part."""
        self._rows.append(row)
        self.rows += 1
        if len(self._rows) >= self.batch_rows:
            self.flush()

    def _schema(self) -> pa.Schema:
        fields = [pa.field(c, pa.string()) for c in (*self.columns, *self.tags)]
        fields += [pa.field(c, pa.list_(pa.int64())) for c in self.list_columns]
        return pa.schema([*fields, pa.field("_file", pa.string()), pa.field("_line", pa.int64())])

    def flush(self) -> None:
        """Write the queued rows as the next Parquet part (values as text, integral floats without `.0`,
        booleans as `true`/`false`); does nothing when the queue is empty."""
        if not self._rows:
            return
        schema = self._schema()
        built = []
        for f in schema:
            values = [r.get(f.name) for r in self._rows]
            if f.name not in self.list_columns and f.name not in ("_file", "_line"):
                values = [None if v is None else _as_text(v) for v in values]
            built.append(column(values, f.type))
        part = self.directory / f"{self.name}-{len(self._parts):05d}.parquet"
        pq.write_table(pa.Table.from_arrays(built, schema=schema), part)
        self._parts.append(part)
        self._rows = []

    def finish(self) -> list[Path]:
        """Write what is still queued and return the paths of every part, in order; an input without rows
        gets one empty part so that its columns are still known."""
        self.flush()
        if not self._parts:  # keep the columns known even for an empty input
            part = self.directory / f"{self.name}-empty.parquet"
            pq.write_table(empty(self._schema()), part)
            self._parts.append(part)
        return self._parts


def _as_text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


STAGE_PREFIX = "inferonomics-stage-"
OWNER_FILE = "owner"
"""In each stage directory: the host, PID namespace and process that made it (`_owner`)."""


def make_stage_dir() -> Path:
    """A new temporary directory for a ledger's staged parts, named `inferonomics-stage-...`, with an
    `owner` file naming this process; first the stage directories left by ended processes are
    removed (`sweep_stages`): a process killed mid-run cannot remove its own, and a big input's
    parts are gigabytes."""
    sweep_stages()
    path = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX))
    (path / OWNER_FILE).write_text(_owner(os.getpid()) + "\n")
    return path


def sweep_stages(root: Path | None = None) -> list[Path]:
    """Remove the stage directories in `root` (the temporary directory) whose owner, on this host and
    in this PID namespace, has ended; returns them. A directory without a readable `owner` (made by
    an older version, or still being made), or whose owner is on another host or namespace or still
    runs (or has its PID reused), is left alone."""
    root = Path(tempfile.gettempdir()) if root is None else root
    removed = []
    for stage in root.glob(STAGE_PREFIX + "*"):
        try:
            owner = (stage / OWNER_FILE).read_text().strip()
            pid = int(owner.rsplit(" ", 1)[1])
        except (OSError, ValueError, IndexError):
            continue
        if owner != _owner(pid) or _running(pid):
            continue
        shutil.rmtree(stage, ignore_errors=True)
        removed.append(stage)
    return removed


def _owner(pid: int) -> str:
    """`host namespace pid`: the namespace from /proc (Linux; "-" elsewhere), so that hosts or
    containers sharing a temporary directory never judge each other's processes."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = "-"
    return f"{socket.gethostname()} {namespace} {pid}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (alive, another user's)
        return True
    return True
