"""Engine failures a user can fix, told in one line instead of the engine's traceback.

Most bad input is found before a query runs (a file that is not Parquet, a missing column, a bad
value: quarantined rows). Some is only found while the engine reads the data: a Parquet file whose
footer is intact but whose pages are damaged or cut short (a partial copy, a disk error) fails in
DuckDB's or Spark's reader in the middle of the bill, and DuckDB runs out of memory on a ledger
larger than its limit allows. `engine_failure` turns those exceptions into an `InputError` naming
the file (from the engine's message, or else by reading each Parquet input until one fails) and
what to do. Anything else is not recognised (None): the CLI lets it through, a defect to report.

Imported only when a command has failed, so that the engines are never imported for it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from inferonomics.errors import InputError

MAX_REASON = 160
"""Characters of the engine's own message kept in the line."""
_SPARK_FILE = re.compile(r"reading file (\S+?)\.?(?:\s|$)")
_URL_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]*@")


def engine_failure(error: BaseException, inputs: Iterable[object] = ()) -> InputError | None:
    """The one-line error for `error` raised by an engine while a command read `inputs` (the
    command's FILE arguments), or None when it is not an input or memory failure."""
    files = [p for p in (Path(str(i)) for i in inputs if "://" not in str(i)) if p.exists()]
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(error, duckdb.OutOfMemoryException):
        limit = os.environ.get("INFERONOMICS_MEMORY_LIMIT")
        if limit:
            return InputError(
                f"DuckDB ran out of memory under INFERONOMICS_MEMORY_LIMIT={_clip(limit)} "
                f"({_reason(error)}); raise the limit, or bill the files in parts"
            )
        return InputError(
            f"DuckDB ran out of memory ({_reason(error)}); set INFERONOMICS_MEMORY_LIMIT (e.g. 4GB) "
            "below the machine's free memory so that it spills to disk, or bill the files in parts"
        )
    if duckdb is not None and (
        type(error) is duckdb.Error or isinstance(error, (duckdb.IOException, duckdb.InvalidInputException))
    ):
        return _damaged(_named(str(error), files), "DuckDB", _reason(error))
    if type(error).__name__ in ("Py4JJavaError", "SparkRuntimeException") and "FAILED_READ_FILE" in str(
        error
    ):
        found = _SPARK_FILE.search(str(error))
        named = [Path(found.group(1).removeprefix("file://"))] if found else []
        by_name = [f for f in files if named and f.resolve() == named[0]]
        cause = [line for line in str(error).splitlines() if line.startswith("Caused by:")]
        reason = cause[-1].removeprefix("Caused by:").strip() if cause else "FAILED_READ_FILE"
        return _damaged(by_name or _probe(files), "Spark", _clip(reason))
    return None


def _damaged(culprits: list[Path], engine: str, reason: str) -> InputError:
    todo = "if it is damaged or cut short, write it again from its source, or leave it out"
    if len(culprits) == 1:
        return InputError(f"{culprits[0]}: its data could not be read ({engine}: {reason}); {todo}")
    named = ", ".join(str(p) for p in culprits) or "the inputs"
    return InputError(f"the data of one of {named} could not be read ({engine}: {reason}); {todo}")


def _named(message: str, files: list[Path]) -> list[Path]:
    """The inputs the engine's message names, or else those a full read finds damaged."""
    named = [f for f in files if str(f) in message or f.name in message]
    return named if len(named) == 1 else _probe(files) or named


def _probe(files: list[Path]) -> list[Path]:
    """The Parquet inputs (given, or in a given folder) whose every page cannot be read, one row
    group at a time (memory of one row group); all of them when none fails."""
    import pyarrow.parquet as pq

    parquet = [
        p for f in files for p in (sorted(f.rglob("*.parquet")) if f.is_dir() else [f]) if _is_parquet(p)
    ]
    bad = []
    for path in parquet:
        try:
            reader = pq.ParquetFile(path)
            for group in range(reader.num_row_groups):
                reader.read_row_group(group)
        except Exception:  # pyarrow raises several types for a damaged file
            bad.append(path)
    return bad or parquet


def _is_parquet(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False


def _reason(error: BaseException) -> str:
    return _clip(str(error).split("\n")[0])


def _clip(text: str) -> str:
    text = _URL_CREDENTIALS.sub(r"\1…@", " ".join(text.split()))
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
