"""The plan cache: a rollup's queries compiled to SQL once per shape, kept in the user cache, and
run straight on DuckDB.

Compiling the Ibis expressions of a bill (the light pass, the duplicate count, the cells pass and
the priced sums) takes longer than running them on a small file, and importing Ibis (and the
pandas its DuckDB backend loads) longer still. Yet the SQL depends only on what shapes it: the
schema of each input's rows, the options (the `--model-as` model, `--by`, `--grain`, the time
zone) and the shape of the rate table (how many time and input cut points, which rates are
missing, whether keys have a region). So each query is built once over unbound tables of those
schemas, compiled, and stored under a key made of exactly those things and of a hash of the
source of the code that builds it (`inferonomics.cache`). Everything else a query reads is data:
the rows are views of the inputs, the rate table is registered from Arrow, and the cut points
are DuckDB variables (`SET VARIABLE`, folded to constants when the query is bound). A miss and a
hit run the same SQL on the same data: they cannot give different bills.

A run that finds its plans imports neither Ibis nor pandas. The path applies to ledgers on
DuckDB connections made by `Ledger.open` / `Ledger.from_arrow` whose inputs are read as DuckDB
views; anything else (Spark, an Ibis connection of the caller's, repeated request ids, a cell
grid too large to expand, grouping by price entry or status, `INFERONOMICS_CACHE=off`) takes
the Ibis path, which gives the same results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from inferonomics import backend, cache
from inferonomics.billing.engine import cells_of, rates_shape
from inferonomics.billing.rollup import Rollup, settle, uses_missing

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from inferonomics.billing.engine import Priced

MODULES = (
    "inferonomics.backend",
    "inferonomics.billing.engine",
    "inferonomics.billing.plan",
    "inferonomics.billing.rates",
    "inferonomics.billing.rollup",
    "inferonomics.ledger.core",
    "inferonomics.ledger.hints",
    "inferonomics.ledger.schema",
    "inferonomics.ledger.validate",
)
"""The code the compiled SQL comes from: a change to any of it is a new key."""
KIND = "plans"
SOURCE = "__inferonomics_src{}"
RATES = "__inferonomics_rates"
CELLS = "__inferonomics_cells"
CHECKED = "__inferonomics_checked"
SMALL_ROWS = 200_000
"""Inputs of at most this many rows are validated once into a temporary table (larger ones are
validated by each pass as it reads them: no copy of every row in memory)."""
VARIABLE = "inferonomics_{}"


class Plan:
    """One query's SQL, the Arrow schema of its result, and the names of the variables it reads."""

    def __init__(self, sql: str, schema: bytes, variables: tuple[str, ...]) -> None:
        self.sql = sql
        self.schema = schema
        self.variables = variables

    def result_schema(self) -> pa.Schema:
        """The schema the result is cast to (what Ibis' `to_pyarrow` gives for the expression)."""
        return pa.ipc.read_schema(pa.py_buffer(self.schema))


def _plan(key: list[object], build: Callable[[], tuple[ir.Table, tuple[str, ...]]]) -> Plan:
    """The plan stored under `key`, or the one `build` makes (an expression and the variables it
    reads), compiled and stored."""

    def make() -> Plan:
        import ibis

        expr, variables = build()
        sql = ibis.to_sql(expr, dialect="duckdb", pretty=False)
        schema = expr.schema().to_pyarrow().serialize().to_pybytes()
        return Plan(str(sql), schema, variables)

    return cache.cached(KIND, cache.digest(key), make, lambda v: isinstance(v, Plan))


def _without(table: ir.Table, name: str) -> ir.Table:
    return table.select(*(c for c in table.columns if c != name))


def _run(duck: Any, plan: Plan, values: dict[str, Any]) -> pa.Table:
    _set(duck, plan, values)
    table = duck.sql(plan.sql).to_arrow_table()
    schema = plan.result_schema()
    return table if table.schema == schema else table.cast(schema)


def _set(duck: Any, plan: Plan, values: dict[str, Any]) -> None:
    for name in plan.variables:
        value = values[name]
        kind = "::VARCHAR[]" if isinstance(value, list) else ""
        duck.execute(f"SET VARIABLE {VARIABLE.format(name)} = ?{kind}", [value])


def _variable(name: str, value: Any) -> ir.Value:
    """The expression reading variable `name` (typed as `value`)."""
    udfs = backend._udfs()
    full = VARIABLE.format(name)
    if isinstance(value, dt.datetime):
        return udfs.variable_ts(full)
    if isinstance(value, list):
        return udfs.variable_strings(full)
    return udfs.variable_int(full)


def rollup_cells(
    priced: Priced, by: Sequence[str], grain: str | None, priced_only: bool, tz: str | None
) -> Rollup | None:
    """The cell rollup of `billing/rollup.py` (same arguments, same result) from cached plans, or
    None when the plan cache does not apply (see the module docstring)."""
    ledger = priced.ledger
    con = ledger.con
    if cache.directory() is None or not isinstance(con, backend.Connection) or priced.wide:
        return None
    parts = ledger.parts
    scans = [p.raw for p in parts]
    if not all(isinstance(r, backend.Scan) for r in scans):
        return None
    duck = con.duck
    for i, scan in enumerate(scans):
        duck.execute(f'CREATE OR REPLACE TEMP VIEW "{SOURCE.format(i)}" AS SELECT * FROM "{scan.view}"')
    claimed = ledger.sources[0].ids_fingerprint is not None if len(ledger.sources) == 1 else False
    import duckdb

    base: list[object] = [
        cache.source_digest(*MODULES),
        duckdb.__version__,  # the engine that runs the SQL (and types its results)
        [(s.columns, p.strip, p.src) for s, p in zip(scans, parts, strict=True)],
        ledger.model_as,
        ledger.tags,
    ]

    def checked() -> ir.Table:
        import ibis
        from ibis.backends.sql.datatypes import DuckDBType

        unbound = [
            ibis.table(
                ibis.schema({n: DuckDBType.from_string(t) for n, t in scan.columns}), name=SOURCE.format(i)
            )
            for i, scan in enumerate(scans)
        ]
        return ledger.checked_over(unbound)

    rows = checked
    total = sum(
        int(duck.sql(f'SELECT count(*) FROM "{SOURCE.format(i)}"').fetchall()[0][0])
        for i in range(len(scans))
    )
    if total <= SMALL_ROWS:
        # One validation pass: the checked rows (all but the messages of their problems, which only
        # the quarantine listing needs) kept in a temporary table that every pass below reads.
        # A selection rather than `drop`: Ibis writes `drop` as `* EXCLUDE`, and DuckDB still binds the
        # excluded messages (half the query); a selection leaves them out of it.
        checked_plan = _plan([*base, "checked"], lambda: (_without(checked(), "_problem"), ()))
        duck.execute(f'CREATE OR REPLACE TEMP TABLE "{CHECKED}" AS {checked_plan.sql}')
        base = [*base, "materialized"]

        def rows() -> ir.Table:
            import ibis

            return ibis.table(ibis.Schema.from_pyarrow(checked_plan.result_schema()), name=CHECKED)

    try:
        return _rollup(priced, by, grain, priced_only, tz, base, rows, claimed)
    finally:
        duck.execute(f'DROP TABLE IF EXISTS "{CHECKED}"')


def _rollup(
    priced: Priced,
    by: Sequence[str],
    grain: str | None,
    priced_only: bool,
    tz: str | None,
    base: list[object],
    rows: Callable[[], ir.Table],
    claimed: bool,
) -> Rollup | None:
    ledger = priced.ledger
    con = ledger.con
    duck = con.duck
    if "_keys" not in ledger.__dict__:
        from inferonomics.ledger.core import keys_expr

        keys_plan = _plan([*base, "keys", claimed], lambda: (keys_expr(rows(), claimed=claimed), ()))
        ledger.settle_keys(_run(duck, keys_plan, {}))
    if "_duplicates" not in ledger.__dict__:
        if ledger.needs_duplicate_check():
            from inferonomics.ledger.core import (
                SORTED_CHECK_ROWS,
                count_sorted,
                duplicate_counts,
                hashes_distinct,
                id_hashes,
                small_pages,
            )

            def count(part: int, parts: int) -> pa.Table:
                if ledger.keys().rows >= SORTED_CHECK_ROWS:
                    key = [*base, "id hashes", part, parts]
                    hashes = _plan(key, lambda: (id_hashes(rows(), part, parts), ()))
                    with small_pages():
                        return count_sorted(duck.sql(hashes.sql).fetchnumpy()["h"])
                key = [*base, "duplicates", part, parts]
                return _run(duck, _plan(key, lambda: (duplicate_counts(rows(), part, parts), ())), {})

            if not hashes_distinct(count, ledger.duplicate_parts()):
                return None  # repeated ids: the Ibis path lists and sets them aside
        ledger.__dict__["_duplicates"] = None
    rates = priced.rates
    cells = cells_of(rates)
    if cells.varies and cells.too_many(rates):
        return None
    values = cells.variables()
    shape = [*base, "cells", cells.shape(), uses_missing(rates), list(by), grain, tz]

    def sums() -> tuple[ir.Table, tuple[str, ...]]:
        from inferonomics.billing.rollup import cell_sums

        used: list[str] = []

        def var(name: str, value: Any) -> ir.Value:
            used.append(name)
            return _variable(name, value)

        expr = cell_sums(rows(), rates, cells, by, grain, tz, con, var, ledger.absent_counts)
        return expr, tuple(dict.fromkeys(used))

    sums_plan = _plan(shape, sums)
    joined = cells.expand(rates) if cells.varies else rates
    duck.register(RATES, joined)
    try:
        _set(duck, sums_plan, values)
        duck.execute(f'CREATE OR REPLACE TEMP TABLE "{CELLS}" AS {sums_plan.sql}')

        def final() -> tuple[ir.Table, tuple[str, ...]]:
            import ibis

            from inferonomics.billing.rollup import priced_cells

            table = ibis.table(ibis.Schema.from_pyarrow(sums_plan.result_schema()), name=CELLS)
            rate_table = ibis.table(ibis.Schema.from_pyarrow(joined.schema), name=RATES)
            return priced_cells(table, rates, by, grain, priced_only, con, rate_table), ()

        final_plan = _plan([*shape, "priced", rates_shape(rates), priced_only], final)
        result = settle(ledger, _run(duck, final_plan, {}), grain, tz)
    finally:
        duck.execute(f'DROP TABLE IF EXISTS "{CELLS}"')
        duck.unregister(RATES)
    if result.unmatched:
        raise AssertionError(f"{result.unmatched} rows found no rate row: please report this")
    return result


__all__ = ["Plan", "rollup_cells"]
