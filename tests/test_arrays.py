"""The Arrow builders of `inferonomics.arrays` give what pyarrow's own `pa.array` gives (the peer they
stand in for), without importing pandas (a fifth of a second of a small bill)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pyarrow as pa
import pytest

from inferonomics import arrays

PARIS = dt.timezone(dt.timedelta(hours=2))
CASES = [
    (pa.string(), ["a", None, "", "é✓", "x" * 100]),
    (pa.int64(), [0, None, -5, 2**62]),
    (pa.bool_(), [True, None, False]),
    (pa.timestamp("us"), [dt.datetime(2026, 1, 1, 12, 0, 0, 5), None, dt.datetime(1969, 12, 31, 23, 59, 59)]),
    (pa.list_(pa.int64()), [[1, 2], None, []]),
    (pa.float64(), [1.5, None, 3, -0.0, 1e300]),
    (
        pa.timestamp("us", tz="UTC"),
        [dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC), None, dt.datetime(1970, 1, 1, 1, 0, 0, 1, tzinfo=PARIS)],
    ),
    # Values of another type go through pa.array, which decides as it always did.
    (pa.float64(), [True, 2.0]),
    (pa.int64(), [1, 2.0]),
]


@pytest.mark.parametrize(("kind", "values"), CASES)
def test_a_column_equals_pyarrows(kind: pa.DataType, values: list[object]) -> None:
    assert arrays.column(values, kind).equals(pa.array(values, type=kind))


def test_integers_and_an_empty_table_equal_pyarrows() -> None:
    assert arrays.integers(range(4), pa.int32()).equals(pa.array([0, 1, 2, 3], pa.int32()))
    assert arrays.integers([7, -1], pa.int64()).equals(pa.array([7, -1], pa.int64()))
    schema = pa.schema(
        [pa.field("a", pa.string(), nullable=False), pa.field("t", pa.timestamp("us", tz="UTC"))]
    )
    assert arrays.empty(schema).equals(schema.empty_table())


def test_a_table_equals_pyarrows() -> None:
    schema = pa.schema([pa.field("a", pa.string(), nullable=False), pa.field("b", pa.int64())])
    rows = [{"a": "x", "b": 5}, {"a": "y"}]
    assert arrays.table(rows, schema).equals(pa.Table.from_pylist(rows, schema=schema))


def test_no_builder_imports_pandas() -> None:
    code = (
        "import sys, datetime as dt, pyarrow as pa\n"
        "from inferonomics import arrays\n"
        "arrays.column(['a', None], pa.string()); arrays.column([1, None], pa.int64())\n"
        "arrays.column([dt.datetime(2026, 1, 1)], pa.timestamp('us')); arrays.scalar(True, pa.bool_())\n"
        "arrays.column([[1], None], pa.list_(pa.int64()))\n"
        "t = pa.table({'ts': arrays.integers([0], pa.int64()).cast(pa.timestamp('us', tz='Europe/Paris'))})\n"
        "arrays.pylist(t); arrays.empty(t.schema); arrays.integers(range(3), pa.int32())\n"
        "arrays.column([1.5], pa.float64())\n"
        "arrays.column([dt.datetime(2026, 1, 1, tzinfo=dt.UTC)], pa.timestamp('us', tz='UTC'))\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_rows_with_instants_in_zones_equal_pyarrows() -> None:
    naive = [
        dt.datetime(2026, 3, 29, 0, 59, 59),
        None,
        dt.datetime(2026, 10, 25, 1, 30),
        dt.datetime(1969, 7, 20),
    ]
    columns = {"naive": pa.array(naive, pa.timestamp("us")), "n": pa.array([1, 2, 3, 4])}
    for zone in ("UTC", "Europe/Paris", "America/St_Johns", "+05:30", "-03:00"):
        columns[zone] = pa.array(naive, pa.timestamp("us")).cast(pa.timestamp("us", tz=zone))
    columns["seconds"] = pa.array(naive, pa.timestamp("s")).cast(pa.timestamp("s", tz="Asia/Tokyo"))
    table = pa.table(columns)
    got, want = arrays.pylist(table), table.to_pylist()
    assert got == want

    def shown(rows: list[dict[str, object]]) -> list[list[object]]:  # (the zone, not only the instant)
        return [[(str(v), getattr(v, "tzinfo", None)) for v in r.values()] for r in rows]

    assert shown(got) == shown(want)
