"""The query backend: an Ibis connection (DuckDB by default) and the few backend-specific helpers.

Every expression in the library is plain Ibis, so it can run on another Ibis backend. The one
exception lives here, with its reason: DuckDB evaluates time-zone-aware timestamps through ICU,
which is about ten times slower than naive-timestamp arithmetic (measured: 2.4 s against 0.2 s
for 20M rows). The ledger's instants are UTC, so on DuckDB we turn them into naive UTC
timestamps with integer arithmetic (`make_timestamp(epoch_us(ts))`); other backends use a cast.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import types
import zoneinfo
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inferonomics.errors import InputError, RollupError

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb
    import ibis.expr.types as ir
    import pyarrow as pa

_reads = itertools.count()


@functools.cache
def _udfs() -> types.SimpleNamespace:
    """DuckDB's own functions the expressions call, declared to Ibis (on first use: importing Ibis
    is what a run from the plan cache saves). `getvariable` reads a value set with SET VARIABLE,
    which DuckDB folds to a constant when it binds the query (see `billing/plan.py`)."""
    import ibis
    import ibis.expr.datatypes as dt

    def one(a: Any) -> None:
        """Declared, not run: DuckDB's function of one argument."""

    def two(a: Any, b: Any) -> None:
        """Declared, not run: DuckDB's function of two arguments."""

    def builtin(name: str, args: tuple[Any, ...], result: Any) -> Any:
        fn = one if len(args) == 1 else two
        return ibis.udf.scalar.builtin(fn, name=name, signature=(args, result))

    utc = dt.Timestamp(timezone="UTC")
    return types.SimpleNamespace(
        epoch_us=builtin("epoch_us", (utc,), dt.int64),
        epoch_us_naive=builtin("epoch_us", (dt.Timestamp(),), dt.int64),
        make_timestamp=builtin("make_timestamp", (dt.int64,), dt.Timestamp()),
        timezone=builtin("timezone", (dt.string, utc), dt.Timestamp()),
        variable_ts=builtin("getvariable", (dt.string,), dt.Timestamp()),
        variable_int=builtin("getvariable", (dt.string,), dt.int64),
        variable_strings=builtin("getvariable", (dt.string,), dt.Array(dt.string)),
        # DuckDB's 64-bit hash as it is: Ibis' `hash()` reinterprets it as signed through a cast to
        # BIT and back, 0.2 s of CPU over 20M ids.
        hash=builtin("hash", (dt.string,), dt.uint64),
        strlen=builtin("strlen", (dt.string,), dt.int64),
        # Integer division (`//` on integers; it truncates): Ibis writes `a // b` as FLOOR(a / b) over
        # DOUBLE, then a cast back.
        divide=builtin("divide", (dt.int64, dt.int64), dt.int64),
    )


def check_time_zone(tz: str | None) -> str | None:
    """`tz` when it names an IANA time zone (None and "UTC" mean UTC, returned as None); else a
    `RollupError` saying so."""
    if tz is None or tz.upper() in ("UTC", "Z", "ETC/UTC"):
        return None
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RollupError(
            f"unknown time zone {tz!r} (an IANA name, e.g. Europe/Paris or America/New_York)"
        ) from None
    return tz


def local_time(ts: ir.TimestampValue, tz: str | None, con: Any) -> ir.TimestampValue:
    """A naive UTC timestamp as the naive wall-clock time in `tz` (unchanged for UTC). Periods in
    a time zone (a local day, week, month) are truncations of this. DuckDB evaluates it through
    ICU (several times slower than the naive arithmetic: used only when a zone is asked for)."""
    zone = check_time_zone(tz)
    if zone is None:
        return ts
    if backend_name(con) != "duckdb":
        raise RollupError(f"periods in a time zone other than UTC need the DuckDB backend (asked: {zone})")
    import ibis
    import ibis.expr.datatypes as dt

    return _udfs().timezone(ibis.literal(zone), ts.cast(dt.Timestamp(timezone="UTC")))


ENGINES = ("duckdb", "spark")
"""The engines a ledger can be billed on (`--engine`)."""

SPARK_MASTER_ENV = "INFERONOMICS_SPARK_MASTER"
"""Where `--engine spark` runs: a Spark master URL (`spark://host:7077`, `yarn`, `local[8]`...);
default `local[N]` on this machine's cores. With `SPARK_REMOTE` set (`sc://host:15002`), PySpark
connects to that Spark Connect server instead and this is not used."""


def connect(
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    engine: str = "duckdb",
    spill: Path | None = None,
) -> Any:
    """A connection set up for ledgers: DuckDB (UTC session time zone, bounded memory, spilling
    into `spill` when given: DuckDB's own default is `.tmp` in the working directory), or Spark
    (`engine="spark"`, see `connect_spark`)."""
    if engine == "spark":
        return connect_spark()
    if engine != "duckdb":
        raise InputError(f"unknown engine {engine!r} (one of: {', '.join(ENGINES)})")
    import duckdb

    duck = duckdb.connect()
    # What Ibis' DuckDB backend sets on its connections, set here so that a query run straight
    # on DuckDB (from the plan cache) runs under the same settings as one run through Ibis.
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute("SET python_enable_replacements = false")
    if spill is not None:
        duck.execute("SET temp_directory = " + "'" + str(spill).replace("'", "''") + "'")
    threads = threads or int(os.environ.get("INFERONOMICS_THREADS", "0")) or None
    if threads:
        duck.execute(f"SET threads = {int(threads)}")
    limit = memory_limit or os.environ.get("INFERONOMICS_MEMORY_LIMIT")
    if limit:
        duck.execute(f"SET memory_limit = '{limit}'")
    return Connection(duck)


class Connection:
    """A DuckDB connection with Ibis' DuckDB backend over it, made on first use: a bill run from
    the plan cache (`billing/plan.py`) queries `duck` directly and never imports Ibis. Every other
    attribute is the Ibis backend's (`con.table`, `con.create_table`, `con.raw_sql`...)."""

    name = "duckdb"

    def __init__(self, duck: duckdb.DuckDBPyConnection) -> None:
        self.duck = duck
        self.described: dict[Hashable, tuple[tuple[str, str], ...]] = {}
        """Columns of queries described before, by a key their caller makes (see `describe`)."""
        self.made: set[str] = set()
        """The pending views made (see `Scan.pending`)."""

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (as Ibis' backend names it)."""
        return self.duck

    @functools.cached_property
    def ibis(self) -> Any:
        """Ibis' DuckDB backend on this connection."""
        import ibis

        return ibis.duckdb.from_connection(self.duck)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.ibis, name)


@dataclass(frozen=True)
class Scan:
    """A reader's rows as a DuckDB view (Parquet parts, registered Arrow...) on a `Connection`,
    before any Ibis: `columns` are its column names and DuckDB types."""

    view: str
    columns: tuple[tuple[str, str], ...]
    pending: str | None = field(default=None, compare=False)
    """The SELECT of a view not made yet (`made` makes it): a Parquet input read in one scan with
    others of its shape never needs a view of its own, and thousands of them took a second each
    thousand."""

    @property
    def names(self) -> list[str]:
        """The column names."""
        return [n for n, _ in self.columns]


def made(con: Any, raw: Any) -> Any:
    """`raw`, with its view made if it is a `Scan` whose view is pending."""
    if isinstance(raw, Scan) and raw.pending is not None and raw.view not in con.made:
        con.duck.execute(f"CREATE TEMP VIEW {quote(raw.view)} AS {raw.pending}")
        con.made.add(raw.view)
    return raw


def quote(name: str) -> str:
    """An identifier quoted for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def text(value: str) -> str:
    """A string literal for DuckDB SQL."""
    return "'" + value.replace("'", "''") + "'"


def is_nested(duckdb_type: str) -> bool:
    """Whether a DuckDB type (as DESCRIBE writes it) is a list, array, struct, map or union."""
    kind = duckdb_type.strip().upper()
    return kind.endswith("]") or kind.startswith(("STRUCT", "MAP", "UNION"))


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def memory_limit_bytes(con: Any) -> int | None:
    """DuckDB's memory limit on `con` in bytes (it reports e.g. "18.8 GiB"), or None for another
    backend or a limit that cannot be read."""
    if backend_name(con) != "duckdb":
        return None
    (setting,) = con.con.sql("SELECT current_setting('memory_limit')").fetchall()[0]
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(setting))
    if match is None or match.group(2).upper() not in _UNITS:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def scan_parquet(
    con: Any,
    paths: list[str],
    *,
    union_by_name: bool = False,
    file_row_number: bool = False,
    exclude: Sequence[str] = (),
) -> Any:
    """Parquet files as a table of `con` (without the columns in `exclude`): a `Scan` on a DuckDB
    `Connection` (no Ibis needed), else the backend's `read_parquet`."""
    if backend_name(con) == "pyspark":
        # Ibis' PySpark `read_parquet` takes one path (a list becomes the text of a pattern that
        # matches nothing): the session reads the list itself.
        name = f"_inferonomics_read_{next(_reads)}"
        reader = con._session.read.option("mergeSchema", "true") if union_by_name else con._session.read
        df = reader.parquet(*paths).drop(*exclude)
        if file_row_number:
            df = df.select("*", df["_metadata.row_index"].alias("file_row_number"))
        df.createOrReplaceTempView(name)
        return con.table(name)
    if not isinstance(con, Connection):
        options: dict[str, bool] = {}
        if union_by_name:
            options["union_by_name"] = True
        if file_row_number:
            options["file_row_number"] = True
        table = con.read_parquet(paths, **options)
        return table.drop(*exclude) if exclude else table
    files = "[" + ", ".join(text(p) for p in paths) + "]"
    flags = (", union_by_name = true" if union_by_name else "") + (
        ", file_row_number = true" if file_row_number else ""
    )
    columns = f"* EXCLUDE ({', '.join(quote(c) for c in exclude)})" if exclude else "*"
    return scan_select(con, f"SELECT {columns} FROM read_parquet({files}{flags})")


FILE_COLUMNS = ("filename", "file_index")
"""DuckDB's per-file columns of a multi-file read (a file's own column of one of these names hides it)."""


def scan_parquet_inputs(con: Connection, paths: Sequence[str], select: str, first: int) -> Scan:
    """Parquet files of one shape read as one scan: the columns of `select` (a SELECT list over the
    files' columns), then each row's `_file` (its file's path), `_line` (its row number in that file,
    from 1) and `_src` (`first` plus its file's position in `paths`). One scan of many files needs
    a fraction of the memory of a UNION ALL of one scan per file, whose branches each keep their own
    readers and buffers: billing 100 files of 1M rows under a 1 GB limit ran out of memory that way
    (`benchmarks/bill.py --big`, docs/scale.md)."""
    files = "[" + ", ".join(text(p) for p in paths) + "]"
    return scan_select(
        con,
        f"SELECT {select}, filename AS _file, file_row_number + 1 AS _line, "
        f"CAST(file_index AS BIGINT) + {int(first)} AS _src "
        f"FROM read_parquet({files}, file_row_number = true)",
    )


def scan_arrow(con: Connection, table: pa.Table) -> Scan:
    """An Arrow table as a `Scan` of `con` (registered, not copied)."""
    name = f"_inferonomics_arrow_{next(_reads)}"
    con.duck.register(name, table)
    return scan_select(con, f"SELECT * FROM {quote(name)}")


def scan_select(con: Connection, select: str, key: Hashable | None = None, *, lazy: bool = False) -> Scan:
    """A SELECT (of our own making) as a `Scan`: a temporary view of `con`. `key`: see `describe`.
    `lazy`: the view is made when first used (`made`), the SELECT described now."""
    name = f"_inferonomics_scan_{next(_reads)}"
    if lazy:
        return Scan(name, describe(con, select, key), pending=select)
    con.duck.execute(f"CREATE TEMP VIEW {quote(name)} AS {select}")
    return Scan(name, describe(con, f"SELECT * FROM {quote(name)}", key))


def describe(con: Connection, select: str, key: Hashable | None = None) -> tuple[tuple[str, str], ...]:
    """The columns of a SELECT (names, DuckDB types). With a `key`, the caller's promise that every
    query it gives that key has the same columns: the first is described, the others take its
    columns (a DESCRIBE takes about a millisecond; thousands of Parquet files of one shape need one)."""
    got = con.described.get(key) if key is not None else None
    if got is None:
        got = tuple((str(r[0]), str(r[1])) for r in con.duck.execute(f"DESCRIBE {select}").fetchall())
        if key is not None:
            con.described[key] = got
    return got


def table_of(con: Any, raw: Any) -> ir.Table:
    """A reader's rows as an Ibis table (a `Scan` becomes a table of its view)."""
    return con.table(made(con, raw).view) if isinstance(raw, Scan) else raw


def columns_of(raw: Any) -> list[str]:
    """The column names of a reader's rows (a `Scan` or an Ibis table)."""
    return raw.names if isinstance(raw, Scan) else list(raw.columns)


def connect_spark(master: str | None = None) -> Any:
    """An Ibis connection to Spark: a Spark Connect server when `SPARK_REMOTE` is set, else a
    session on `master` (default `$INFERONOMICS_SPARK_MASTER`, else `local[N]` on this machine's
    cores). The session runs in UTC and keeps DECIMAL results at their full scale
    (`spark.sql.decimalOperations.allowPrecisionLoss=false`: a product of DECIMALs is never rounded
    to 6 places; a value that does not fit is an error, not a rounding). Constraint propagation is
    off: on the per-row plan of staged inputs (validation, match status, modality parts) Catalyst
    spent minutes canonicalising the constraints of its nested projections, for three rows."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "--engine spark needs PySpark: pip install 'inferonomics[spark]' (and Java 17 or later)"
        ) from None
    builder = SparkSession.builder.appName("inferonomics")
    remote = bool(os.environ.get("SPARK_REMOTE"))
    if not remote:
        cores = os.cpu_count() or 2
        builder = builder.master(master or os.environ.get(SPARK_MASTER_ENV) or f"local[{cores}]")
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(max(4, 2 * cores)))
        )
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        .config("spark.sql.constraintPropagation.enabled", "false")
    )
    # The session's failures are the user's set-up (a master URL, a server, Java, a missing client):
    # one line naming what to check, never PySpark's traceback. The variables' values are not
    # repeated (a Spark Connect URL can carry a token).
    where = "a Spark session on the master given"
    if remote:
        where = "the Spark Connect session of SPARK_REMOTE"
    elif master is None:
        where = (
            f"a Spark session on {SPARK_MASTER_ENV}'s master"
            if os.environ.get(SPARK_MASTER_ENV)
            else "a local Spark session"
        )
    try:
        session = builder.getOrCreate()
    except ImportError as e:  # SPARK_REMOTE without Spark Connect's client (grpcio...)
        raise InputError(
            f"--engine spark with SPARK_REMOTE needs Spark Connect's client: pip install "
            f"'pyspark[connect]' ({_first_line(e)})"
        ) from None
    except Exception as e:  # PySpark's and py4j's errors share no base class
        raise InputError(
            f"--engine spark could not start {where}: {_first_line(e)}; check the variable, that the "
            "master or server is reachable, and Java 17 or later (java -version)"
        ) from None
    import ibis

    con = ibis.pyspark.connect(session)
    con.to_pyarrow = types.MethodType(_spark_to_pyarrow, con)
    return con


def _first_line(error: BaseException) -> str:
    """The first non-empty line of an error's message (PySpark's carry Java stack traces)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0].rstrip(".") if lines else type(error).__name__


def _spark_to_pyarrow(self: Any, expr: ir.Expr, /, *, params: Any = None, limit: Any = None) -> Any:
    """Ibis' PySpark `to_pyarrow` through Spark's own Arrow export (`DataFrame.toArrow`). Ibis goes
    through pandas, which is slower and, with pandas 3, warns on every call."""
    from ibis.formats.pyarrow import PyArrowData

    self._run_pre_execute_hooks(expr)
    table_expr = expr.as_table()
    sql = self.compile(table_expr, params=params, limit=limit)
    with self._safe_raw_sql(sql) as query:
        out = query.toArrow()
    return expr.__pyarrow_result__(PyArrowData.convert_table(out, table_expr.schema()))


def read_parquet(con: Any, path: str) -> ir.Table:
    """A Parquet file as a table with its rows' positions in the file (`file_row_number`, from 0),
    on DuckDB or Spark (whose Parquet reader gives them as `_metadata.row_index`)."""
    if backend_name(con) == "duckdb":
        return con.read_parquet(path, file_row_number=True)
    return scan_parquet(con, [path], file_row_number=True)


def small_table(con: Any, table: pa.Table) -> ir.Table:
    """A small Arrow table (a rate table, a list of duplicates) as a table `con` can join. On Spark it
    is handed over as Arrow: Ibis' own upload goes through pandas, where a NULL string becomes NaN and
    then the text 'NaN'."""
    import ibis

    if backend_name(con) != "pyspark":
        return ibis.memtable(table)
    name = f"_inferonomics_small_{next(_reads)}"
    con._session.createDataFrame(table).createOrReplaceTempView(name)
    return con.table(name)


def temp_table(con: Any, name: str, expr: ir.Table) -> ir.Table:
    """`expr` computed once and kept for the queries that follow: a temporary table on DuckDB, a
    cached DataFrame on Spark (which has no temporary tables). Release it with `drop_temp`."""
    if backend_name(con) == "duckdb":
        return con.create_table(name, expr, temp=True)
    return expr.cache()


def drop_temp(con: Any, name: str, table: ir.Table) -> None:
    """Release what `temp_table` kept."""
    if backend_name(con) == "duckdb":
        con.drop_table(name, force=True)
    else:
        table.release()


def backend_name(con: Any) -> str:
    """The name of the Ibis backend behind `con` (`duckdb`, `pyspark`...); `duckdb` when the connection has
    no `name`."""
    return str(getattr(con, "name", "duckdb"))


def naive_utc(expr: ir.TimestampValue, con: Any) -> ir.TimestampValue:
    """A timestamp column as naive UTC (time-zone-aware input is converted, naive is kept)."""
    import ibis.expr.datatypes as dt

    tz = expr.type().timezone
    if tz is None:
        # One type for every input's instants (the inputs' rows are a UNION): a Parquet timestamp is
        # typed with its scale (timestamp(6)), text parsed as a timestamp without; the cast changes
        # nothing on DuckDB (both are TIMESTAMP).
        return expr if expr.type() == dt.Timestamp() else expr.cast(dt.Timestamp())
    if backend_name(con) == "duckdb":
        if tz != "UTC":
            expr = expr.cast(dt.Timestamp(timezone="UTC"))
        return _udfs().make_timestamp(_udfs().epoch_us(expr))
    return expr.cast(dt.Timestamp())


def time_of_week(ts: ir.TimestampValue, con: Any) -> ir.IntegerValue:
    """Seconds since Monday 00:00 of a naive UTC timestamp (0 .. 604799)."""
    if backend_name(con) == "duckdb":
        # In integers (DuckDB's `%` and `//` truncate toward zero: the remainders are made
        # non-negative, so an instant before 1970 is placed as well).
        divide = _udfs().divide
        day = 86_400_000_000
        us = _udfs().epoch_us_naive(ts)
        of_day = (us % day + day) % day
        weekday = (divide(us - of_day, day) % 7 + 10) % 7  # 1970-01-01 was a Thursday: day 3 of the week
        return weekday * 86400 + divide(of_day, 1_000_000)
    return (
        ts.day_of_week.index().cast("int64") * 86400
        + ts.hour().cast("int64") * 3600
        + ts.minute().cast("int64") * 60
        + ts.second().cast("int64")
    )


def whole_division(a: ir.IntegerValue, b: ir.IntegerValue, con: Any) -> ir.IntegerValue:
    """`a // b` for `a` >= 0 and `b` > 0, in integers on DuckDB."""
    return _udfs().divide(a, b) if backend_name(con) == "duckdb" else a // b


def epoch_micros(ts: ir.TimestampValue, con: Any) -> ir.IntegerValue:
    """Microseconds since the epoch of a UTC timestamp (time-zone-aware or naive UTC)."""
    if backend_name(con) == "duckdb":
        if ts.type().timezone is None:
            return _udfs().epoch_us_naive(ts)
        return _udfs().epoch_us(ts)
    return ts.epoch_seconds().cast("int64") * 1_000_000


def from_epoch_micros(us: ir.IntegerValue, con: Any) -> ir.TimestampValue:
    """A naive UTC timestamp from microseconds since the epoch."""
    if backend_name(con) == "duckdb":
        return _udfs().make_timestamp(us)
    return (us // 1_000_000).as_timestamp("s")


_MICROS = {"hour": 3_600_000_000, "day": 86_400_000_000}


def truncate(ts: ir.TimestampValue, grain: str, con: Any) -> ir.Value:
    """A naive UTC timestamp cut down to the start of its hour, day, week (Monday) or month. On
    DuckDB hours, days and weeks are integer arithmetic on microseconds (an INT64 column; see
    `untruncate`), several times cheaper per row than DATE_TRUNC."""
    units = {"hour": "h", "day": "D", "week": "W", "month": "M"}
    if backend_name(con) != "duckdb" or grain == "month":
        return ts.truncate(units[grain])
    us = _udfs().epoch_us_naive(ts)
    if grain == "week":  # 1970-01-01 was a Thursday: weeks start 4 days earlier
        week = 7 * 86_400_000_000
        return (us + 3 * 86_400_000_000) // week * week - 3 * 86_400_000_000
    return us // _MICROS[grain] * _MICROS[grain]


def untruncate(value: ir.Value, con: Any) -> ir.TimestampValue:
    """The timestamp of a `truncate` result."""
    if value.type().is_timestamp():
        return value
    return from_epoch_micros(value, con)
