"""A validator of FOCUS 1.3 cost-and-usage column rules: presence, types and formats,
nullability, allowed values and the arithmetic between columns. It checks any FOCUS file (CSV read
as text, or Parquet as typed), not only ours; `validate_focus` returns every violation found, with
how many rows break it and the first of them.

The rules are those of the specification's column pages (FinOps-Open-Cost-and-Usage-Spec,
`specification/datasets/cost_and_usage/columns/*.md` and the attributes DateTimeFormat,
NumericFormat, KeyValueFormat, ColumnNaming), kept as data in `billing/focus_spec.py`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from inferonomics.billing.focus_spec import (
    ALLOWED,
    DATETIME,
    DECIMAL,
    JSON_OBJECT,
    MANDATORY,
    NOT_NULL,
    OPTIONAL,
    PARENT,
    SKU_PRICE_PROPERTIES,
    SUBCATEGORIES,
)

NUMERIC = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
DATETIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
EXACT = Decimal("1e-12")


@dataclass
class Violation:
    """One FOCUS rule a table breaks: the rule, the column at fault, how many rows break it (0 for a rule
    about the table itself, such as a missing column) and the first such row (counted from 1) with its
    value, cut to 80 characters."""

    rule: str
    column: str | None
    rows: int = 0
    first_row: int | None = None
    example: str | None = None

    def __str__(self) -> str:
        where = f"{self.column}: " if self.column else ""
        if not self.rows:
            return f"{where}{self.rule}"
        shown = f' (e.g. "{self.example}")' if self.example else ""
        plural = "s" if self.rows != 1 else ""
        return f"{where}{self.rule} — {self.rows:,} row{plural}, first row {self.first_row}{shown}"


@dataclass
class FocusCheck:
    """The result of checking a FOCUS table: its row count and every rule it breaks."""

    rows: int
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the table breaks no rule."""
        return not self.violations


def read_focus(path: Path) -> pa.Table:
    """A FOCUS file as a table: Parquet typed as written, CSV as text (formats are checked)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    with path.open("rb") as f:
        magic = f.read(4)
    if magic == b"PAR1":
        return pq.read_table(path)
    with path.open("rb") as f:
        header = f.readline().decode("utf-8-sig").strip()
    names: list[str] = next(iter(csv.reader([header])), [])
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True, null_values=[""]
    )
    return pacsv.read_csv(path, convert_options=convert)


def _decimal(v: Any) -> Decimal | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    text = str(v).strip()
    if not NUMERIC.match(text):
        raise ValueError(text)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


def _instant(v: Any) -> Any:
    if v is None or hasattr(v, "isoformat"):
        return v
    text = str(v)
    if not DATETIME_TEXT.match(text):
        raise ValueError(text)
    return text


def validate_focus(table: pa.Table) -> FocusCheck:
    """Every FOCUS 1.3 column rule the table breaks (see the module docstring)."""
    check = FocusCheck(rows=table.num_rows)
    cols = set(table.column_names)
    for name in MANDATORY:
        if name not in cols:
            check.violations.append(Violation("mandatory column missing", name))
    known = set(MANDATORY) | set(OPTIONAL)
    for name in table.column_names:
        if name not in known and not name.startswith("x_"):
            rule = (
                "not a FOCUS 1.3 column: custom columns must be prefixed x_"
                if PASCAL.match(name)
                else "not a FOCUS column name (PascalCase) and not prefixed x_"
            )
            check.violations.append(Violation(rule, name))
    data = {n: table[n].to_pylist() for n in table.column_names if n in known}
    found: dict[tuple[str, str | None], Violation] = {}

    def flag(rule: str, column: str | None, row: int, example: Any = None) -> None:
        v = found.get((rule, column))
        if v is None:
            v = found[(rule, column)] = Violation(
                rule, column, 0, row + 1, None if example is None else str(example)[:80]
            )
        v.rows += 1

    parsed: dict[str, list[Any]] = {}
    for name, values in data.items():
        if name in DECIMAL:
            out = []
            for i, v in enumerate(values):
                try:
                    out.append(_decimal(v))
                except ValueError:
                    flag("not a decimal number (NumericFormat)", name, i, v)
                    out.append(None)
            parsed[name] = out
        elif name in DATETIME:
            dt_out = []
            for i, v in enumerate(values):
                try:
                    dt_out.append(_instant(v))
                except ValueError:
                    flag("not a UTC date-time YYYY-MM-DDTHH:mm:ssZ (DateTimeFormat)", name, i, v)
                    dt_out.append(None)
            parsed[name] = dt_out
        elif name in JSON_OBJECT:
            for i, v in enumerate(values):
                if v is None:
                    continue
                try:
                    obj = json.loads(v) if isinstance(v, str) else v
                except json.JSONDecodeError:
                    flag("not valid JSON (KeyValueFormat)", name, i, v)
                    continue
                if not isinstance(obj, dict):
                    flag("not a JSON object of key-value pairs (KeyValueFormat)", name, i, v)
                elif name == "SkuPriceDetails":
                    bad = [k for k in obj if k not in SKU_PRICE_PROPERTIES and not str(k).startswith("x_")]
                    if bad:
                        flag("property key neither FOCUS-defined nor prefixed x_", name, i, bad[0])
    n = table.num_rows

    def col(name: str) -> list[Any]:
        return parsed.get(name) or data.get(name) or [None] * n

    for name in NOT_NULL & set(data):
        for i, v in enumerate(data[name]):
            if v is None or v == "":
                flag("must not be null", name, i)
    for name, allowed in ALLOWED.items():
        for i, v in enumerate(data.get(name, [])):
            if v is not None and v not in allowed:
                flag(f"not an allowed value ({', '.join(sorted(allowed))})", name, i, v)
    for i, v in enumerate(data.get("BillingCurrency", [])):
        if v is not None and not CURRENCY.match(str(v)):
            flag("not an ISO 4217 currency code", "BillingCurrency", i, v)
    for i, v in enumerate(data.get("ServiceCategory", [])):
        if v is not None and v not in SUBCATEGORIES:
            flag("not an allowed ServiceCategory", "ServiceCategory", i, v)
    cats, subs = data.get("ServiceCategory"), data.get("ServiceSubcategory")
    if subs is not None:
        for i, sub in enumerate(subs):
            if sub is None:
                continue
            if sub not in PARENT:
                flag("not an allowed ServiceSubcategory", "ServiceSubcategory", i, sub)
            elif cats is not None and cats[i] is not None and PARENT[sub] != cats[i]:
                flag(
                    f"belongs to ServiceCategory {PARENT[sub]}, not this row's", "ServiceSubcategory", i, sub
                )

    usage = [
        col("ChargeCategory")[i] in ("Usage", "Purchase") and col("ChargeClass")[i] != "Correction"
        for i in range(n)
    ]

    def paired(a: str, b: str, rule: str) -> None:
        """`b` is null exactly when `a` is (a quantity and its unit)."""
        if a not in data and b not in data:
            return
        for i in range(n):
            if (col(a)[i] is None) != (col(b)[i] is None):
                flag(rule, b, i)

    paired("ConsumedQuantity", "ConsumedUnit", "must be null exactly when ConsumedQuantity is null")
    paired("PricingQuantity", "PricingUnit", "must be null exactly when PricingQuantity is null")
    for name in ("PricingQuantity", "ListUnitPrice", "ContractedUnitPrice", "PricingCategory"):
        if name in data:
            for i in range(n):
                if usage[i] and col(name)[i] is None:
                    flag("must not be null for Usage and Purchase charges (not corrections)", name, i)
    if "ConsumedQuantity" in data:
        for i in range(n):
            if col("ChargeCategory")[i] == "Usage" and col("ChargeClass")[i] != "Correction":
                if col("ConsumedQuantity")[i] is None:
                    flag("must not be null for Usage charges (not corrections)", "ConsumedQuantity", i)
            elif col("ConsumedQuantity")[i] is not None:
                flag("must be null unless the charge is Usage", "ConsumedQuantity", i)
    for name in ("ListUnitPrice", "ContractedUnitPrice"):
        for i, v in enumerate(parsed.get(name, [])):
            if v is not None and v < 0:
                flag("must not be negative", name, i, v)
    rules: list[tuple[str, str]] = [("ListCost", "ListUnitPrice"), ("ContractedCost", "ContractedUnitPrice")]
    for cost, unit in rules:
        for i in range(n):
            c, u, q = col(cost)[i], col(unit)[i], col("PricingQuantity")[i]
            if (
                isinstance(c, Decimal)
                and isinstance(u, Decimal)
                and isinstance(q, Decimal)
                and abs(c - u * q) > EXACT
            ):
                flag(f"must equal {unit} × PricingQuantity", cost, i, f"{c} ≠ {u} × {q}")
    _periods(col, n, flag)
    for a, b in (("SubAccountId", "SubAccountName"), ("RegionId", "RegionName")):
        if a in data and b in data:
            for i in range(n):
                if col(a)[i] is not None and col(b)[i] is None:
                    flag(f"must not be null when {a} is not null", b, i)
    if "SkuPriceDetails" in data:
        for i in range(n):
            if col("SkuPriceId")[i] is None and col("SkuPriceDetails")[i] is not None:
                flag("must be null when SkuPriceId is null", "SkuPriceDetails", i)
    check.violations.extend(found.values())
    return check


def _periods(col: Callable[[str], list[Any]], n: int, flag: Callable[..., None]) -> None:
    for start, end in (("ChargePeriodStart", "ChargePeriodEnd"), ("BillingPeriodStart", "BillingPeriodEnd")):
        for i in range(n):
            a, b = col(start)[i], col(end)[i]
            if a is not None and b is not None and not a < b:
                flag(f"must be after {start} (periods are [start, end))", end, i, f"{a} → {b}")
    for i in range(n):
        cs, bs, be = col("ChargePeriodStart")[i], col("BillingPeriodStart")[i], col("BillingPeriodEnd")[i]
        if cs is not None and bs is not None and be is not None and not bs <= cs < be:
            flag("must fall within the billing period", "ChargePeriodStart", i, cs)
