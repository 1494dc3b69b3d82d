"""What every lever shares: a scenario (a ledger and the price book it is billed with), its bill,
and the error a lever raises when it cannot do what it was asked.

A lever is a function from scenario to scenario: it rewrites the ledger (a counterfactual built
with `Ledger.derived`, so the rows are validated and billed by the same engine as any input), or
the price book (a discount, a price change), or adds what the ledger cannot carry (cache storage,
a commitment's monthly minimum). Bills are exact: Decimal all the way.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inferonomics.backend import small_table, temp_table
from inferonomics.billing.engine import price
from inferonomics.billing.rollup import rollup
from inferonomics.catalog.book import PriceBook
from inferonomics.catalog.schema import Sheet
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import DATA_COLUMNS, INPUT_COLUMNS

_tables = itertools.count()


@dataclass(frozen=True)
class MonthlyMinimum:
    """A commitment's floor: spend with `provider` (all providers when None) is billed at least
    `usd` in every calendar month of the ledger."""

    usd: Decimal
    provider: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A ledger and the book it is billed with, plus costs outside the ledger."""

    ledger: Ledger
    book: PriceBook
    extra_usd: Decimal = Decimal(0)
    """Costs the ledger's rows do not carry (explicit-cache storage)."""
    minimums: tuple[MonthlyMinimum, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def with_ledger(self, ledger: Ledger) -> Scenario:
        """The same scenario (book, extra costs, minimums, notes) with `ledger` as its ledger."""
        return replace(self, ledger=ledger)

    def with_sheet(self, sheet: Sheet, layer: str) -> Scenario:
        """The scenario billed with a copy of its book plus `sheet` (the original is untouched)."""
        if sheet.providers or sheet.models:
            book = copy.deepcopy(self.book)
        else:
            # Rules and discounts only: the book's lists of them and its caches are all that change.
            book = copy.copy(self.book)
            book.layers = list(self.book.layers)
            book.tier_rules = list(self.book.tier_rules)
            book.residency_rules = list(self.book.residency_rules)
            book.discounts = list(self.book.discounts)
            book._model_cache = {}
            book.__dict__.pop("grid", None)
        book.add_sheet(sheet, layer)
        return replace(self, book=book)


class Lever(Protocol):
    """A what-if: a change to a scenario, with what it rests on."""

    name: ClassVar[str]

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario after this lever's change, as a new scenario (the one given is left as it was).
        Raises `LeverError` when the lever cannot do what it was asked."""

    def describe(self) -> str:
        """The change in one line, as the what-if and playbook tables show it."""

    def assumptions(self) -> list[str]:
        """What the lever's figure rests on, one sentence each, shown beside its saving."""


@dataclass(frozen=True)
class Totals:
    """A scenario's bill: `cost_usd` is everything (rows + extras + commitment shortfalls)."""

    cost_usd: Decimal
    rows_usd: Decimal
    extra_usd: Decimal
    shortfall_usd: Decimal
    requests: int
    unpriced_requests: int
    input_tokens_total: int
    cache_read_tokens: int
    output_tokens: int
    table: pa.Table
    """The rollup the totals come from (by the columns asked for)."""

    def as_dict(self) -> dict[str, Any]:
        """The totals as plain data for JSON and reports, without the rollup table: costs in USD (Decimal),
        requests and token counts."""
        return {
            "cost_usd": self.cost_usd,
            "rows_usd": self.rows_usd,
            "extra_usd": self.extra_usd,
            "shortfall_usd": self.shortfall_usd,
            "requests": self.requests,
            "unpriced_requests": self.unpriced_requests,
            "input_tokens_total": self.input_tokens_total,
            "cache_read_tokens": self.cache_read_tokens,
            "output_tokens": self.output_tokens,
        }


def measure(scenario: Scenario, by: Sequence[str] = (), grain: str | None = None) -> Totals:
    """Bill a scenario (one rollup pass; by month and provider too when it has minimums, whose
    shortfall is then in the totals but not in `table`'s rows)."""
    keys = list(by)
    if scenario.minimums:
        if grain not in (None, "month"):
            # A monthly floor needs months: bill the floor on its own pass, the rows by `grain`.
            whole = measure(scenario, by)
            per_period = measure(replace(scenario, minimums=()), by, grain)
            return replace(whole, table=per_period.table)
        keys = list(dict.fromkeys([*keys, "provider"]))
        grain = "month"
    result = rollup(price(scenario.ledger, scenario.book), keys, grain)
    rows = result.table.to_pylist()
    rows_usd = sum((r["cost_usd"] for r in rows), Decimal(0))
    shortfall = Decimal(0)
    for floor in scenario.minimums:
        months: dict[Any, Decimal] = {}
        for r in rows:
            if floor.provider is None or r["provider"] == floor.provider:
                months[r["period"]] = months.get(r["period"], Decimal(0)) + r["cost_usd"]
        shortfall += sum((max(floor.usd - spent, Decimal(0)) for spent in months.values()), Decimal(0))
    return Totals(
        cost_usd=rows_usd + scenario.extra_usd + shortfall,
        rows_usd=rows_usd,
        extra_usd=scenario.extra_usd,
        shortfall_usd=shortfall,
        requests=sum(int(r["requests"]) for r in rows),
        unpriced_requests=sum(int(r["unpriced_requests"]) for r in rows),
        input_tokens_total=sum(int(r[c]) for r in rows for c in INPUT_COLUMNS),
        cache_read_tokens=sum(int(r["cache_read_tokens"]) for r in rows),
        output_tokens=sum(int(r["output_tokens"]) for r in rows),
        table=result.table,
    )


def materialize(ledger: Ledger, *, keep_prefixes: bool = True) -> Ledger:
    """The ledger's valid rows as a temporary table on its connection, as a new ledger (so a
    chain of counterfactuals is not recomputed from the source at every bill)."""
    rows = ledger.rows
    cols = [
        c
        for c in (*DATA_COLUMNS, *ledger.tags)
        if c in rows.columns and (keep_prefixes or c != "prefix_hashes")
    ]
    name = f"_inferonomics_scenario_{next(_tables)}"
    table = temp_table(ledger.con, name, rows.select(*cols, "source_file", "source_line"))
    return ledger.derived(table, name="<scenario>")


def has_tokens(rows: Any, columns: Sequence[str]) -> bool:
    """Whether any row has tokens in `columns` (one light aggregate). Levers touch the modality
    parts only when a ledger has some: the expressions stay as small as before for the rest (Spark
    compiles every term of a long lever chain into one generated function)."""
    total = sum((rows[c].sum() for c in columns[1:]), rows[columns[0]].sum())
    value = rows.aggregate(n=total).to_pyarrow()["n"][0].as_py()
    return bool(value)


def derive(
    ledger: Ledger, rows: Any, name: str, new_keys: Sequence[tuple[str, str, str | None, str | None]] = ()
) -> Ledger:
    """`ledger.derived(rows)` for a lever's counterfactual, told its (provider, model, tier,
    region) keys up front: the ledger's own plus `new_keys` the change may create (a superset is
    harmless: it only tabulates rates no row uses). Saves the billing engine its pass to find them."""
    out = ledger.derived(rows, name=name)
    known = ledger.keys()
    table = known.table
    if new_keys:
        seen = {(k["provider"], k["model"], k["service_tier"], k["region"]) for k in table.to_pylist()}
        # Each key once: the rate table has a row per key, and a repeated key would repeat rows.
        extra = [
            {"provider": p, "model": m, "service_tier": t, "region": r, "rows": 0}
            for p, m, t, r in dict.fromkeys(new_keys)
            if (p, m, t, r) not in seen
        ]
        if extra:
            table = pa.concat_tables([table, pa.Table.from_pylist(extra, schema=table.schema)])
    out.remember_keys(table, known.ts_min, known.ts_max)
    return out


def counterfactual(
    ledger: Ledger, keys: pa.Table, columns: Mapping[str, np.ndarray], *, label: pa.Array | None = None
) -> Ledger:
    """The ledger's rows listed in `keys` (by source_file and source_line, in the order of
    `columns`) with those columns replaced; a row listed twice appears twice. Rows keep their
    provider, model, tier and region, so the ledger's keys carry over (no pass to find them).
    `label`, when given, replaces `feature` (to tell trial copies of rows apart)."""
    files = pc.unique(keys["source_file"]).to_pylist()
    code = {f: i for i, f in enumerate(files)}
    data: dict[str, Any] = {"_l": keys["source_line"]}
    if len(files) > 1:
        data["_c"] = pc.index_in(keys["source_file"], value_set=pa.array(files, pa.string()))
    data.update({f"_n_{c}": pa.array(v) for c, v in columns.items()})
    replaced = set(columns)
    if label is not None:
        data["_n_feature"] = label
        replaced.add("feature")
    new = small_table(ledger.con, pa.table(data))
    rows = ledger.rows
    if len(files) > 1:
        pred = [rows.source_file.substitute(code) == new._c, rows.source_line == new._l]
    else:
        rows = rows.filter(rows.source_file == (files[0] if files else ""))
        pred = [rows.source_line == new._l]
    j = rows.join(new, pred)
    expr = j.select(**{c: (j[f"_n_{c}"] if c in replaced else j[c]) for c in rows.columns})
    return derive(ledger, expr, "<cache replay>")
