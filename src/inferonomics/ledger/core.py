"""The ledger: validated rows from any number of inputs, and everything quarantined on the way.

`Ledger.open(paths)` reads each file (see `ledger/readers`), validates every row with one
vectorized expression (see `ledger/validate.py`), and keeps the account: every row read ends
up either in `Ledger.rows` (valid, to be billed) or in `Ledger.quarantine()` with a reason
naming its file, line and field. `Ledger.keys()` makes a light pass for the distinct
(provider, model, tier, region) keys and the time span the billing engine needs; the engine's
own pass settles the account.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import shutil
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from inferonomics import arrays, backend
from inferonomics.errors import InputError, OptionError
from inferonomics.ledger import hints
from inferonomics.ledger.readers import ParquetInput, Source, open_sources
from inferonomics.ledger.schema import (
    COUNT_COLUMNS,
    DATA_COLUMNS,
    EVENTS_SCHEMA,
    LEDGER_SCHEMA,
    MAX_TAGS,
    TS_TYPE,
    tag_problem,
)
from inferonomics.ledger.staging import QuarantineRecord, make_stage_dir
from inferonomics.ledger.validate import canonical

if TYPE_CHECKING:
    import ibis.expr.types as ir

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string()),
        pa.field("source_line", pa.int64()),
        pa.field("field", pa.string()),
        pa.field("reason", pa.string()),
    ]
)

_FIELD = re.compile(r"^column (\w+) ")
_tables = itertools.count()


@dataclass(frozen=True)
class Keys:
    """What the light pass over a ledger found: its distinct (provider, model, service_tier,
    region) keys with their row counts, and its time span. Reads four columns and `ts` only."""

    table: pa.Table
    ts_min: dt.datetime | None
    ts_max: dt.datetime | None
    ids_fingerprint: tuple[int, int, int] | None = None
    """(rows, lo, hi) of the request ids, summed in the same pass when a single input's writer claimed
    unique ids (see `ledger/hints.py`); None otherwise."""

    @property
    def rows(self) -> int:
        """The rows the light pass read (over every key)."""
        return int(pc.sum(self.table["rows"]).as_py() or 0) if self.table.num_rows else 0


@dataclass(frozen=True)
class Account:
    """Where every row read went: billed, or quarantined (while parsing, by validation, or as a
    duplicate request id)."""

    rows_read: int
    rows_billed: int
    rows_quarantined: int
    duplicates: int

    def __post_init__(self) -> None:
        if self.rows_read != self.rows_billed + self.rows_quarantined:
            raise AssertionError(f"rows do not reconcile: {self}")


@dataclass(frozen=True)
class Part:
    """Rows of one or more inputs read together (see `Ledger.parts`): `src` is the index of the input
    every row came from, or None when the rows carry their own (`_src`: a scan of several inputs)."""

    raw: ir.Table | backend.Scan
    strip: bool
    src: int | None


def _remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def parse_model_as(value: str | None) -> tuple[str, str] | None:
    """`PROVIDER/MODEL` → (provider, model)."""
    if value is None:
        return None
    provider, sep, model = value.partition("/")
    if not sep or not provider or not model:
        raise OptionError(
            f"--model-as takes PROVIDER/MODEL (e.g. anthropic/claude-sonnet-4-5), got '{value}'"
        )
    return provider, model


def parse_column_map(items: Sequence[str] | None) -> dict[str, str]:
    """`["ts=created_at", "model=model_name"]` → {canonical: source column}."""
    mapping: dict[str, str] = {}
    for item in items or ():
        for part in item.split(","):
            if not part.strip():
                continue
            canon, sep, src = part.partition("=")
            canon, src = canon.strip(), src.strip()
            if not sep or not canon or not src:
                raise OptionError(f"--columns takes CANONICAL=SOURCE pairs, got '{part}'")
            if canon not in DATA_COLUMNS:
                raise OptionError(
                    f"--columns: '{canon}' is not a ledger column (columns: {', '.join(DATA_COLUMNS)})"
                )
            mapping[canon] = src
    return mapping


def keys_expr(checked: ir.Table, *, claimed: bool) -> ir.Table:
    """The light pass over checked rows: per (provider, model, service_tier, region), the row count
    and the time span (and the sums of the ids' fingerprint when a writer `claimed` unique ids)."""
    c = checked
    return c.group_by(
        provider=c.provider, model=c.model, service_tier=c.service_tier, region=c.region
    ).aggregate(
        rows=c.count(),
        ts_min=c._ts_order.min(),
        ts_max=c._ts_order.max(),
        **(hints.fingerprint_sums(c.request_id) if claimed else {}),
    )


def duplicate_counts(checked: ir.Table, part: int = 0, parts: int = 1) -> ir.Table:
    """One row: the rows read (`n`) and the distinct 64-bit hashes of their request ids (`distinct`):
    equal, they prove the ids distinct (see `Ledger._ids_distinct`). With `parts` > 1, over the
    rows whose hash falls in part `part` only (|hash mod parts| = part): equal ids fall in one part,
    so the sums over the parts are the counts of the whole."""
    c = checked
    if parts > 1:
        c = c.filter((c.request_id.hash() % parts).abs() == part)
    return c.aggregate(n=c.count(), distinct=c.request_id.hash().nunique())


def id_hashes(checked: ir.Table, part: int = 0, parts: int = 1) -> ir.Table:
    """DuckDB's 64-bit hashes (unsigned) of the request ids of every row read (`h`), in part `part` of
    `parts` as in `duplicate_counts`: what `count_sorted` counts outside the engine. DuckDB only."""
    c = checked
    if parts > 1:
        c = c.filter((c.request_id.hash() % parts).abs() == part)
    return c.select(h=backend._udfs().hash(c.request_id))


@contextlib.contextmanager
def small_pages() -> Iterator[None]:
    """NumPy's new arrays in ordinary pages while the block runs. NumPy asks Linux for huge pages for
    every large array (madvise); where the kernel then compacts memory to find them (its defrag
    setting "madvise", a common default), a fresh process spent 0.9 s of CPU allocating the 160 MB
    array of 20M ids' hashes, against 0.09 s in ordinary pages (measured on the benchmark machine)."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage  # type: ignore[attr-defined]
    except ImportError:  # a NumPy without the switch: nothing to turn off
        yield
        return
    before = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(before)


def count_sorted(hashes: Any) -> pa.Table:
    """`duplicate_counts` of a column of hashes (a NumPy array), by sorting it: for millions of rows
    several times cheaper than DuckDB's hash table of them (20M ids: 0.2 s to sort against about 4.5 s
    for `COUNT(DISTINCT hash)`), and as exact."""
    import numpy as np

    h = np.asarray(hashes)
    if not h.flags.writeable:
        h = h.copy()
    h.sort()  # in place: a part's hashes are held once (8 bytes a row)
    distinct = int(np.count_nonzero(h[1:] != h[:-1])) + 1 if len(h) else 0
    return pa.table({"n": pa.array([len(h)], pa.int64()), "distinct": pa.array([distinct], pa.int64())})


SORTED_CHECK_ROWS = 1_000_000
"""From this many rows the DuckDB plan path counts distinct id hashes by sorting them (`count_sorted`):
below it, importing NumPy costs more than the sort saves."""

ID_HASH_BYTES = 32
"""Memory allowed per row when counting distinct id hashes in one part: DuckDB's distinct count
asks for its hash table in one piece as it grows (512 MiB for 100M rows), and running out of memory
for that piece is what stopped checks of 100M rows under a 1 GB limit and of 1B under 4 GB."""


def hashes_distinct(count: Callable[[int, int], pa.Table], parts: int) -> bool:
    """Whether the counts of `parts` parts (`count(part, parts)`: a `duplicate_counts` result) add
    up to as many distinct hashes as rows."""
    n = distinct = 0
    for part in range(parts):
        counts = count(part, parts)
        n += counts["n"][0].as_py()
        distinct += counts["distinct"][0].as_py()
    return bool(n == distinct)


def duplicate_parts(rows: int, memory_limit: int | None) -> int:
    """How many parts the duplicate check counts in, one after another (a power of two), so that
    each part's hash table fits in `memory_limit` bytes (1 when there is no limit to respect)."""
    if not memory_limit or rows <= 0:
        return 1
    needed = -(-rows * ID_HASH_BYTES // memory_limit)
    parts = 1
    while parts < needed:
        parts *= 2
    return parts


class Ledger:
    """Validated usage rows from one or more inputs (see the module docstring)."""

    def __init__(
        self,
        sources: Sequence[Source],
        con: Any,
        *,
        model_as: tuple[str, str] | None = None,
        stage: Callable[[], object] | None = None,
    ) -> None:
        if not sources:
            raise InputError("no input files")
        self.sources = list(sources)
        self.con = con
        self.model_as = model_as
        self._stage = stage  # staged Parquet parts, removed with the ledger (or by close())

    def close(self) -> None:
        """Remove the ledger's staged files (also done when it is garbage-collected)."""
        if self._stage is not None:
            self._stage()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def open(
        cls,
        paths: Sequence[str | Path],
        *,
        con: Any | None = None,
        input_format: str | None = None,
        column_map: Mapping[str, str] | Sequence[str] | None = None,
        model_as: str | tuple[str, str] | None = None,
        trace_start: dt.datetime | None = None,
        engine: str = "duckdb",
    ) -> Ledger:
        """Read files (CSV, Parquet, JSON lines, provider exports, gateway logs, traces; gzip or
        not; the format detected from content unless `input_format` names it), or directories of
        coding-agent logs (Claude Code, Codex: all of one agent's transcripts are read as one
        input). `column_map` maps canonical names to the file's ({"ts": "created_at"}, or
        ["ts=created_at", ...]);
        `model_as` ("PROVIDER/MODEL") prices every row as one model (traces carry none);
        `trace_start` is when a Mooncake trace starts (default: today 00:00 UTC); `engine` is where
        the rows are read and billed when no `con` is given (`duckdb`, or `spark`: see docs/scale.md)."""
        if column_map is not None and not isinstance(column_map, Mapping):
            column_map = parse_column_map(column_map)
        pair = parse_model_as(model_as) if isinstance(model_as, str) else model_as
        stage_dir = str(make_stage_dir())
        # (A connection made here spills into the stage, which is removed with the ledger, or by the
        # next run's sweep if this process is killed; not into the user's working directory.)
        try:
            con = con or backend.connect(engine=engine, spill=Path(stage_dir) / "spill")
        except BaseException:
            shutil.rmtree(stage_dir, ignore_errors=True)
            raise
        try:
            sources = open_sources(
                [Path(p) for p in paths],
                con,
                Path(stage_dir),
                input_format=input_format,
                column_map=column_map,
                model_as=pair,
                trace_start=trace_start,
            )
        except BaseException:
            shutil.rmtree(stage_dir, ignore_errors=True)
            raise
        ledger = cls(sources, con, model_as=pair)
        ledger._stage = weakref.finalize(ledger, _remove_tree, stage_dir)
        return ledger

    @classmethod
    def from_arrow(cls, table: pa.Table, *, con: Any | None = None, name: str = "<table>") -> Ledger:
        """A ledger from an Arrow table in canonical columns, validated as a file. Other columns
        of single values are kept as tags (text); nested ones are ignored."""
        con = con or backend.connect()
        cols = [c for c in DATA_COLUMNS if c in table.column_names]
        tags = [
            c
            for c in table.column_names
            if c not in DATA_COLUMNS
            and tag_problem(c) is None
            and not pa.types.is_nested(table.schema.field(c).type)
        ][:MAX_TAGS]
        data = table.select(cols)
        # Typed as the ledger types them (an all-null column has no type of its own).
        data = data.cast(pa.schema([LEDGER_SCHEMA.field(c).with_nullable(True) for c in cols]))
        for t in tags:
            data = data.append_column(t, table[t].cast(pa.string()))
        data = data.append_column("_file", pa.array([name] * data.num_rows, pa.string()))
        data = data.append_column("_line", pa.array(range(1, data.num_rows + 1), pa.int64()))
        unique = "request_id" in cols and pc.count_distinct(data["request_id"]).as_py() == data.num_rows
        if isinstance(con, backend.Connection):  # registered, not copied: no table to create
            raw: Any = backend.scan_arrow(con, data)
        else:
            raw = con.create_table(f"ledger_{next(_tables)}", data, temp=True)
        return cls([Source(name, "arrow", raw, strip=False, unique_ids=unique, tags=tags)], con)

    def derived(self, rows: ir.Table, *, name: str = "<derived>", unique_ids: bool = True) -> Ledger:
        """A new ledger from an expression over this one's valid rows (`self.rows`, transformed:
        a what-if lever's counterfactual, say), on the same connection. The expression keeps the
        canonical columns (`ts` naive UTC, as in `rows`) and `source_file` / `source_line`; its
        rows are validated again like any input."""
        cols = [c for c in DATA_COLUMNS if c in rows.columns]
        tags = [t for t in self.tags if t in rows.columns]
        raw = rows.select(*cols, *tags, _file=rows.source_file, _line=rows.source_line)
        source = Source(
            name,
            "derived",
            raw,
            strip=False,
            unique_ids=unique_ids,
            prefix_block_tokens=self.prefix_block_tokens,
            tags=tags,
        )
        return Ledger([source], self.con)

    @property
    def tags(self) -> list[str]:
        """The extra columns of the inputs, kept as text (team, project, cost center...), in the
        order first seen; a row whose input lacks one has NULL there. Grouped by like `feature`."""
        return list(dict.fromkeys(t for s in self.sources for t in s.tags))

    @property
    def columns(self) -> list[str]:
        """The columns of `rows`: the canonical ones, then the tags."""
        return [*DATA_COLUMNS, *self.tags, "source_file", "source_line"]

    @property
    def absent_counts(self) -> list[str]:
        """The count columns (token buckets, web searches) no input has: 0 in every row."""
        present = {c for p in self.parts for c in backend.columns_of(p.raw)}
        return [c for c in COUNT_COLUMNS if c not in present]

    @property
    def prefix_block_tokens(self) -> int | None:
        """Tokens per `prefix_hashes` block, when every input that records it agrees (else None)."""
        sizes = {s.prefix_block_tokens for s in self.sources if s.prefix_block_tokens is not None}
        return sizes.pop() if len(sizes) == 1 else None

    # -- the rows ------------------------------------------------------------------------

    @cached_property
    def parts(self) -> list[Part]:
        """The inputs as the passes read them: each on its own, except runs of consecutive Parquet
        inputs of one shape (same columns, types and column map; each file once), read as one
        multi-file scan. A UNION ALL of one scan per file keeps readers and buffers for every branch:
        billing 100 files under a memory limit ran out of memory that way (docs/scale.md). The rows
        and their `_file`, `_line` and `_src` are the same either way."""
        runs: list[tuple[int, list[ParquetInput]]] = []  # (first input, its Parquet reads)
        in_run: set[str] = set()  # (the paths of the last run: a set, so 10,000 files take no time)
        for i, source in enumerate(self.sources):
            p = source.parquet
            run = runs[-1][1] if runs else []
            if p is not None and run and p.shape == run[-1].shape and p.path not in in_run:
                run.append(p)
                in_run.add(p.path)
            else:
                runs.append((i, [p] if p is not None else []))
                in_run = {p.path} if p is not None else set()
        parts = []
        for first, inputs in runs:
            if len(inputs) < 2:
                source = self.sources[first]
                parts.append(Part(backend.made(self.con, source.raw), source.strip, first))
            else:
                paths = [p.path for p in inputs]
                parts.append(
                    Part(backend.scan_parquet_inputs(self.con, paths, inputs[0].select, first), False, None)
                )
        return parts

    @cached_property
    def checked(self) -> ir.Table:
        """Every row read (after parsing), typed, with `_ok`, `_problem` and `_src` (input index)."""
        return self.checked_over([backend.table_of(self.con, p.raw) for p in self.parts])

    def checked_over(self, raws: Sequence[ir.Table]) -> ir.Table:
        """`checked` over given tables of the rows of `parts` (the plan cache builds it over unbound
        tables of the same schemas: `billing/plan.py`)."""
        import ibis

        provider, model = self.model_as or (None, None)
        tags = self.tags
        tables = []
        for part, raw in zip(self.parts, raws, strict=True):
            checked = canonical(raw, self.con, provider=provider, model=model, strip=part.strip, tags=tags)
            src = checked._src if part.src is None else ibis.literal(part.src, "int64")
            tables.append(checked.select(*(c for c in checked.columns if c != "_src"), _src=src))
        return tables[0] if len(tables) == 1 else ibis.union(*tables, distinct=False)

    @cached_property
    def _duplicates(self) -> ir.Table | None:
        """(source_file, source_line, reason) of rows whose request_id an earlier row has."""
        import ibis

        if not self.needs_duplicate_check():
            return None
        if self._ids_distinct():  # the common case: one cheap pass
            return None
        valid = self.checked.filter(self.checked._ok)
        w = ibis.window(group_by=valid.request_id, order_by=[valid._src, valid.source_line])
        ranked = valid.select(
            "request_id",
            "_src",
            "source_file",
            "source_line",
            rank=ibis.row_number().over(w),
            first_file=valid.source_file.first().over(w),
            first_line=valid.source_line.first().over(w),
        )
        dups = ranked.filter(ranked.rank > 0).select(
            "_src",
            "source_file",
            "source_line",
            reason='duplicate request_id "'
            + ranked.request_id
            + '" (first at '
            + ranked.first_file
            + " line "
            + ranked.first_line.cast("string")
            + ")",
        )
        table = dups.to_pyarrow()
        return backend.small_table(self.con, table) if table.num_rows else None

    def _ids_distinct(self) -> bool:
        """Whether every row read (valid or not) has a request id of its own, proved by as many
        distinct 64-bit hashes of the ids as rows. Exact in one direction: equal ids have equal
        hashes, so hashes distinct <= ids distinct <= rows, and equality at rows means no two ids
        are equal. False (two equal hashes: a repeated id, a hash collision, about 3% likely at 1B
        rows, or a repeat among rows validation sets aside) sends the caller to the exact check on
        the ids themselves. Cheaper than that check: no validation of the other columns, and a hash
        table of integers instead of strings (reads `request_id` only)."""
        checked = self.checked
        return hashes_distinct(
            lambda part, parts: duplicate_counts(checked, part, parts).to_pyarrow(), self.duplicate_parts()
        )

    def duplicate_parts(self) -> int:
        """How many parts the duplicate check counts in (see `duplicate_parts`): more than 1 only
        under a DuckDB memory limit too small for one table of the ids' hashes."""
        limit = backend.memory_limit_bytes(self.con)
        return duplicate_parts(self.keys().rows, limit) if limit else 1

    def needs_duplicate_check(self) -> bool:
        """Whether the request ids must be checked for repeats: not when a single input vouches for
        them (a reader that checked them, or a writer's claim whose fingerprint the rows match)."""
        if len(self.sources) == 1 and self.sources[0].unique_ids:
            return False
        # The writer's claim holds when the rows are the ones it was made about.
        return self._claim is None or self.keys().ids_fingerprint != self._claim

    @cached_property
    def unique(self) -> ir.Table:
        """Every checked row but the duplicates of an earlier request id."""
        rows = self.checked
        dups = self._duplicates
        if dups is not None:
            # By input too: the same file given twice has the same names and lines in both copies.
            rows = rows.anti_join(
                dups,
                [
                    rows._src == dups._src,
                    rows.source_file == dups.source_file,
                    rows.source_line == dups.source_line,
                ],
            )
        return rows

    @cached_property
    def rows(self) -> ir.Table:
        """The valid rows, in canonical columns (`ts` naive UTC inside the engine)."""
        valid = self.unique
        return valid.filter(valid._problem.isnull()).drop("_ok", "_problem", "_src", "_ts_order")

    # -- the account -----------------------------------------------------------------------

    def parse_quarantine(self) -> list[QuarantineRecord]:
        """The records the readers set aside while parsing (before validation), input by input;
        `quarantine()` adds the rows validation and the duplicate check set aside."""
        return [q for s in self.sources for q in s.quarantine]

    def keys(self) -> Keys:
        """The light pass: distinct keys with row counts, and the time span."""
        return self._keys

    @cached_property
    def _keys(self) -> Keys:
        return self.read_keys()

    @property
    def _claim(self) -> tuple[int, int, int] | None:
        """The fingerprint behind a single input's claim of unique request ids (None: no claim)."""
        return self.sources[0].ids_fingerprint if len(self.sources) == 1 else None

    def read_keys(self) -> Keys:
        """The light pass itself (whatever a hint says); remembered for later calls."""
        return self.settle_keys(keys_expr(self.checked, claimed=self._claim is not None).to_pyarrow())

    def settle_keys(self, table: pa.Table) -> Keys:
        """The keys from the light pass's result (`keys_expr`); remembered for later calls."""
        fp = None
        if self._claim is not None:
            fp = (
                sum(table["rows"].to_pylist()),
                sum(v or 0 for v in table["_fp_lo"].to_pylist()),
                sum(v or 0 for v in table["_fp_hi"].to_pylist()),
            )

        def naive(column: pa.ChunkedArray) -> list[dt.datetime | None]:
            # Instants in UTC as naive values: cast in Arrow, since pyarrow imports pandas (0.3 s) to
            # turn time-zone-aware values into Python ones.
            kind = column.type
            aware = isinstance(kind, pa.TimestampType) and kind.tz is not None
            values: list[dt.datetime | None] = (
                column.cast(pa.timestamp(kind.unit)) if aware else column
            ).to_pylist()
            return values

        ts_min = min((v for v in naive(table["ts_min"]) if v is not None), default=None)
        ts_max = max((v for v in naive(table["ts_max"]) if v is not None), default=None)
        keys = Keys(table.select(["provider", "model", "service_tier", "region", "rows"]), ts_min, ts_max, fp)
        self.__dict__["_keys"] = keys
        return keys

    def remember_keys(self, table: pa.Table, ts_min: dt.datetime | None, ts_max: dt.datetime | None) -> None:
        """Record what another pass already found (so `keys()` does not read the data again)."""
        self.__dict__.setdefault("_keys", Keys(table, ts_min, ts_max))

    @property
    def duplicate_count(self) -> int:
        """How many rows are quarantined as repeats of an earlier row's request_id (earlier by input, then
        line; only rows whose own values pass the checks count). Runs a query unless a single input vouches
        that its ids are unique."""
        dups = self._duplicates
        return 0 if dups is None else int(dups.count().to_pyarrow().as_py())

    def account(self) -> Account:
        """Count rows read, valid and quarantined (a pass over the data with every check)."""
        u = self.unique
        counts = u.aggregate(n=u.count(), bad=u._problem.notnull().sum()).to_pyarrow().to_pylist()[0]
        return self.account_from(int(counts["n"]), int(counts["bad"] or 0))

    def account_from(self, rows: int, invalid: int) -> Account:
        """The account, given the rows that reached validation once duplicates were set aside, and
        how many of them failed it."""
        parsed = len(self.parse_quarantine())
        dups = self.duplicate_count
        return Account(
            rows_read=rows + dups + parsed,
            rows_billed=rows - invalid,
            rows_quarantined=parsed + invalid + dups,
            duplicates=dups,
        )

    def quarantine(self, limit: int | None = None) -> pa.Table:
        """Every quarantined row: file, line, field and reason."""
        records = self.parse_quarantine()
        parsed = pa.Table.from_pylist(
            [
                {
                    "source_file": q.source_file,
                    "source_line": q.source_line,
                    "field": q.field,
                    "reason": q.reason,
                }
                for q in records
            ],
            schema=QUARANTINE_SCHEMA,
        )
        c = self.checked
        bad = c.filter(c._problem.notnull()).select("source_file", "source_line", reason=c._problem)
        if limit is not None:
            bad = bad.limit(limit)
        checked = bad.to_pyarrow()
        matches = [_FIELD.match(r) if r else None for r in checked["reason"].to_pylist()]
        fields = [m.group(1) if m else None for m in matches]
        checked = pa.table(
            {
                "source_file": checked["source_file"],
                "source_line": checked["source_line"],
                "field": pa.array(fields, pa.string()),
                "reason": checked["reason"],
            },
            schema=QUARANTINE_SCHEMA,
        )
        parts = [parsed, checked]
        dups = self._duplicates
        if dups is not None:
            d = dups.to_pyarrow()
            parts.append(
                pa.table(
                    {
                        "source_file": d["source_file"],
                        "source_line": d["source_line"],
                        "field": pa.array(["request_id"] * d.num_rows, pa.string()),
                        "reason": d["reason"],
                    },
                    schema=QUARANTINE_SCHEMA,
                )
            )
        out = pa.concat_tables(parts).sort_by([("source_file", "ascending"), ("source_line", "ascending")])
        return out if limit is None else out.slice(0, limit)

    def events(self) -> pa.Table:
        """Subscription-limit observations read beside the rows (coding-agent logs: limit hits,
        rate-limit readings), in `EVENTS_SCHEMA`, input by input; empty when no input has any."""
        tables = [s.events for s in self.sources if s.events is not None]
        return pa.concat_tables([arrays.empty(EVENTS_SCHEMA), *(t.cast(EVENTS_SCHEMA) for t in tables)])

    def to_arrow(self) -> pa.Table:
        """The valid rows as an Arrow table in the canonical schema, the tags after it (text)."""
        table = self.rows.to_pyarrow()
        table = table.set_column(table.schema.get_field_index("ts"), "ts", table["ts"].cast(TS_TYPE))
        tags = self.tags
        schema = pa.schema(
            [*LEDGER_SCHEMA, *(pa.field(t, pa.string()) for t in tags)], metadata=LEDGER_SCHEMA.metadata
        )
        return table.select([*LEDGER_SCHEMA.names, *tags]).cast(schema)
