"""Row selection rules for levers: by a label column, by size, by model.

A rule is `column:value[+value...]` (the column is one of the values), `column!value[+value...]`
(none of them), or `column<N`, `column<=N`, `column>N`, `column>=N` on a count column, where
`input_total` is every input bucket of the row (uncached, cache reads and writes) per request.
Rules combine with `&`: `feature:chat&input_total<8000`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from inferonomics.errors import LeverError
from inferonomics.ledger.schema import COUNT_COLUMNS, DIMENSION_COLUMNS, INPUT_COLUMNS

LABEL_COLUMNS = ("provider", "model", "service_tier", *DIMENSION_COLUMNS, "request_id")
SIZE_COLUMNS = ("input_total", *COUNT_COLUMNS)
_CLAUSE = re.compile(r"^\s*([a-z_]+)\s*(<=|>=|<|>|:|!)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Clause:
    """One condition of a rule: a column, an operator (`:` one of the values, `!` none of them, or `<`,
    `<=`, `>`, `>=` against one whole number per request) and its values as written."""

    column: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """Clauses that must all hold (see the module docstring)."""

    clauses: tuple[Clause, ...]
    text: str

    @classmethod
    def parse(cls, text: str) -> Rule:
        """The rule written as `text` (clauses joined by `&`; see the module docstring). Raises
        `LeverError` naming a clause that is malformed, names an unknown column, or compares with something
        other than a whole number."""
        clauses = []
        for part in text.split("&"):
            m = _CLAUSE.match(part)
            if m is None:
                raise LeverError(
                    f"rule '{part}' is not COLUMN:VALUE, COLUMN!VALUE or COLUMN<N (e.g. feature:chat, "
                    "input_total<8000)"
                )
            column, op, value = m.groups()
            if op in (":", "!"):
                if column not in LABEL_COLUMNS:
                    raise LeverError(
                        f"rule '{part}': {column} is not a label column ({', '.join(LABEL_COLUMNS)})"
                    )
                clauses.append(Clause(column, op, tuple(v.strip() for v in value.split("+"))))
            else:
                if column not in SIZE_COLUMNS:
                    raise LeverError(
                        f"rule '{part}': {column} is not a count column ({', '.join(SIZE_COLUMNS)})"
                    )
                if not re.fullmatch(r"\d+", value):
                    raise LeverError(f"rule '{part}': {value} is not a whole number")
                clauses.append(Clause(column, op, (value,)))
        return cls(tuple(clauses), text)

    def expr(self, rows: ir.Table) -> ir.BooleanValue:
        """Whether each row matches (a row's sizes are judged per request: bucket rows on their
        average request)."""
        out: ir.BooleanValue = ibis.literal(True)
        for c in self.clauses:
            if c.op == ":":
                out = out & rows[c.column].isin(list(c.values)).fill_null(False)
            elif c.op == "!":
                out = out & ~rows[c.column].isin(list(c.values)).fill_null(False)
            else:
                if c.column == "input_total":
                    col = sum((rows[x] for x in INPUT_COLUMNS[1:]), rows[INPUT_COLUMNS[0]])
                else:
                    col = rows[c.column]
                limit = int(c.values[0]) * rows.requests
                out = out & {"<": col < limit, "<=": col <= limit, ">": col > limit, ">=": col >= limit}[c.op]
        return out

    def __str__(self) -> str:
        return self.text


def select(rows: ir.Table, rule: Rule | None, features: tuple[str, ...] | None) -> ir.BooleanValue:
    """Rows a lever applies to: those of `features` (all when None) that match `rule`."""
    chosen: ir.BooleanValue = ibis.literal(True)
    if features is not None:
        chosen = chosen & rows.feature.isin(list(features)).fill_null(False)
    if rule is not None:
        chosen = chosen & rule.expr(rows)
    return chosen
