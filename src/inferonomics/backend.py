"""The query backend: an Ibis connection (DuckDB by default) and the few backend-specific helpers.

Every expression in the library is plain Ibis, so it can run on another Ibis backend. The one
exception lives here, with its reason: DuckDB evaluates time-zone-aware timestamps through ICU,
which is about ten times slower than naive-timestamp arithmetic (measured: 2.4 s against 0.2 s
for 20M rows). The ledger's instants are UTC, so on DuckDB we turn them into naive UTC
timestamps with integer arithmetic (`make_timestamp(epoch_us(ts))`); other backends use a cast.
"""

from __future__ import annotations

import itertools
import os
import types
import zoneinfo
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from inferonomics.errors import InputError, RollupError

_reads = itertools.count()


@ibis.udf.scalar.builtin(name="epoch_us")  # type: ignore[untyped-decorator]  # ibis ships no types
def _epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]  # ibis dtypes
    """DuckDB: microseconds since the epoch of a TIMESTAMPTZ."""


@ibis.udf.scalar.builtin(name="epoch_us")  # type: ignore[untyped-decorator]  # ibis ships no types
def _epoch_us_naive(ts: dt.Timestamp()) -> dt.int64:  # type: ignore[valid-type]  # ibis dtypes
    """DuckDB: microseconds since the epoch of a TIMESTAMP."""


@ibis.udf.scalar.builtin(name="make_timestamp")  # type: ignore[untyped-decorator]  # ibis ships no types
def _make_timestamp(us: dt.int64) -> dt.Timestamp():  # type: ignore[valid-type]  # ibis dtypes
    """DuckDB: a naive TIMESTAMP from microseconds since the epoch."""


@ibis.udf.scalar.builtin(name="timezone")  # type: ignore[untyped-decorator]  # ibis ships no types
def _timezone(zone: str, ts: dt.Timestamp(timezone="UTC")) -> dt.Timestamp():  # type: ignore[valid-type]
    """DuckDB: the wall-clock time in `zone` of a TIMESTAMPTZ, as a naive TIMESTAMP."""


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
    return _timezone(ibis.literal(zone), ts.cast(dt.Timestamp(timezone="UTC")))


ENGINES = ("duckdb", "spark")
"""The engines a ledger can be billed on (`--engine`)."""

SPARK_MASTER_ENV = "INFERONOMICS_SPARK_MASTER"
"""Where `--engine spark` runs: a Spark master URL (`spark://host:7077`, `yarn`, `local[8]`...);
default `local[N]` on this machine's cores. With `SPARK_REMOTE` set (`sc://host:15002`), PySpark
connects to that Spark Connect server instead and this is not used."""


def connect(*, threads: int | None = None, memory_limit: str | None = None, engine: str = "duckdb") -> Any:
    """A connection set up for ledgers: DuckDB (UTC session time zone, bounded memory), or Spark
    (`engine="spark"`, see `connect_spark`)."""
    if engine == "spark":
        return connect_spark()
    if engine != "duckdb":
        raise InputError(f"unknown engine {engine!r} (one of: {', '.join(ENGINES)})")
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    threads = threads or int(os.environ.get("INFERONOMICS_THREADS", "0")) or None
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    limit = memory_limit or os.environ.get("INFERONOMICS_MEMORY_LIMIT")
    if limit:
        con.raw_sql(f"SET memory_limit = '{limit}'")
    return con


def connect_spark(master: str | None = None) -> Any:
    """An Ibis connection to Spark: a Spark Connect server when `SPARK_REMOTE` is set, else a
    session on `master` (default `$INFERONOMICS_SPARK_MASTER`, else `local[N]` on this machine's
    cores). The session runs in UTC and keeps DECIMAL results at their full scale
    (`spark.sql.decimalOperations.allowPrecisionLoss=false`: a product of DECIMALs is never rounded
    to 6 places; a value that does not fit is an error, not a rounding)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "--engine spark needs PySpark: pip install 'inferonomics[spark]' (and Java 17 or later)"
        ) from None
    builder = SparkSession.builder.appName("inferonomics")
    if not os.environ.get("SPARK_REMOTE"):
        cores = os.cpu_count() or 2
        builder = builder.master(master or os.environ.get(SPARK_MASTER_ENV) or f"local[{cores}]")
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(max(4, 2 * cores)))
        )
    session = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        .getOrCreate()
    )
    con = ibis.pyspark.connect(session)
    con.to_pyarrow = types.MethodType(_spark_to_pyarrow, con)
    return con


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
    name = f"_inferonomics_read_{next(_reads)}"
    df = con._session.read.parquet(path)
    df.select("*", df["_metadata.row_index"].alias("file_row_number")).createOrReplaceTempView(name)
    return con.table(name)


def small_table(con: Any, table: pa.Table) -> ir.Table:
    """A small Arrow table (a rate table, a list of duplicates) as a table `con` can join. On Spark it
    is handed over as Arrow: Ibis' own upload goes through pandas, where a NULL string becomes NaN and
    then the text 'NaN'."""
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
    tz = expr.type().timezone
    if tz is None:
        return expr
    if backend_name(con) == "duckdb":
        if tz != "UTC":
            expr = expr.cast(dt.Timestamp(timezone="UTC"))
        return _make_timestamp(_epoch_us(expr))
    return expr.cast(dt.Timestamp())


def time_of_week(ts: ir.TimestampValue, con: Any) -> ir.IntegerValue:
    """Seconds since Monday 00:00 of a naive UTC timestamp (0 .. 604799)."""
    if backend_name(con) == "duckdb":
        seconds = _epoch_us_naive(ts) // 1_000_000  # 1970-01-01 was a Thursday: day 3 of the week
        return ((seconds // 86400 + 3) % 7) * 86400 + seconds % 86400
    return (
        ts.day_of_week.index().cast("int64") * 86400
        + ts.hour().cast("int64") * 3600
        + ts.minute().cast("int64") * 60
        + ts.second().cast("int64")
    )


def epoch_micros(ts: ir.TimestampValue, con: Any) -> ir.IntegerValue:
    """Microseconds since the epoch of a UTC timestamp (time-zone-aware or naive UTC)."""
    if backend_name(con) == "duckdb":
        if ts.type().timezone is None:
            return _epoch_us_naive(ts)
        return _epoch_us(ts)
    return ts.epoch_seconds().cast("int64") * 1_000_000


def from_epoch_micros(us: ir.IntegerValue, con: Any) -> ir.TimestampValue:
    """A naive UTC timestamp from microseconds since the epoch."""
    if backend_name(con) == "duckdb":
        return _make_timestamp(us)
    return (us // 1_000_000).as_timestamp("s")


_MICROS = {"hour": 3_600_000_000, "day": 86_400_000_000}


def truncate(ts: ir.TimestampValue, grain: str, con: Any) -> ir.Value:
    """A naive UTC timestamp cut down to the start of its hour, day, week (Monday) or month. On
    DuckDB hours, days and weeks are integer arithmetic on microseconds (an INT64 column; see
    `untruncate`), several times cheaper per row than DATE_TRUNC."""
    units = {"hour": "h", "day": "D", "week": "W", "month": "M"}
    if backend_name(con) != "duckdb" or grain == "month":
        return ts.truncate(units[grain])
    us = _epoch_us_naive(ts)
    if grain == "week":  # 1970-01-01 was a Thursday: weeks start 4 days earlier
        week = 7 * 86_400_000_000
        return (us + 3 * 86_400_000_000) // week * week - 3 * 86_400_000_000
    return us // _MICROS[grain] * _MICROS[grain]


def untruncate(value: ir.Value, con: Any) -> ir.TimestampValue:
    """The timestamp of a `truncate` result."""
    if value.type().is_timestamp():
        return value
    return from_epoch_micros(value, con)
