"""Routing levers: send requests to another model, by rules or by a quality table.

* `Route`: rules (by feature, by size, by a label column; see `levers/rules.py`), the first that
  matches a row sends it to its model. A provider switch is a route with one rule.
* `QualityRoute`: a user's quality table (a score per model per task, and each task's bar) picks,
  for every task, the cheapest model that meets the bar. "Cheapest" is measured, not read off a
  rate card: the task's own rows are billed on every candidate, so its real input/output/cache
  mix decides.

A row moves only when the target model has a price for the row's service tier and region
(otherwise it stays, and is counted). Token counts move as they are: the same prompt, the same
output length and the same cache reads and writes, billed at the new model's rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import yaml

from inferonomics.catalog.book import PriceBook, Unpriced
from inferonomics.errors import LeverError
from inferonomics.ledger.core import Ledger, parse_model_as
from inferonomics.levers.base import Scenario, derive, measure
from inferonomics.levers.batch import tier_available
from inferonomics.levers.rules import LABEL_COLUMNS, Rule


def target(text: str) -> tuple[str, str]:
    """`provider/model` → (provider, model), with a clear error."""
    try:
        pair = parse_model_as(text)
    except ValueError:
        pair = None
    if pair is None:
        raise LeverError(f"a target model is PROVIDER/MODEL (e.g. anthropic/claude-haiku-4-5), got '{text}'")
    return pair


def _allowed(
    ledger: Ledger, book: PriceBook, provider: str, model: str, rows: ir.Table
) -> tuple[ir.BooleanValue, list[tuple[str | None, str | None]]]:
    """Rows whose tier and region the target model prices, and those (tier, region) pairs."""
    keys = ledger.keys()
    instants = [t for t in (keys.ts_min, keys.ts_max) if t is not None]
    combos = {(k["service_tier"], k["region"]) for k in keys.table.to_pylist()}
    ok: ir.BooleanValue = ibis.literal(False)
    pairs = []
    for tier, region in sorted(combos, key=str):
        if tier_available(book, provider, model, tier or "standard", region, instants):
            ok = ok | (rows.service_tier.identical_to(tier) & rows.region.identical_to(region))
            pairs.append((tier, region))
    return ok, pairs


def reroute(scenario: Scenario, moves: Sequence[tuple[ir.BooleanValue, str, str]]) -> Ledger:
    """The ledger with rows sent to the first move whose condition they match (and that prices
    their tier and region). Conditions are over `scenario.ledger.rows`."""
    ledger = scenario.ledger
    r = ledger.rows
    cases = []
    new_keys: list[tuple[str, str, str | None, str | None]] = []
    for condition, provider, model in moves:
        missing = book_lacks(scenario.book, provider, model)
        if missing:
            raise LeverError(f"routing target {provider}/{model}: {missing}")
        allowed, pairs = _allowed(ledger, scenario.book, provider, model, r)
        cases.append((condition & allowed, provider, model))
        new_keys += [(provider, model, tier, region) for tier, region in pairs]
    if not cases:
        return ledger
    new_provider = ibis.cases(*((c, ibis.literal(p)) for c, p, _ in cases), else_=r.provider)
    new_model = ibis.cases(*((c, ibis.literal(m)) for c, _, m in cases), else_=r.model)
    return derive(ledger, r.mutate(provider=new_provider, model=new_model), "<routed>", new_keys)


def book_lacks(book: PriceBook, provider: str, model: str) -> str | None:
    """Why the book cannot price `provider`/`model` (an unknown provider or model, with the nearest names),
    or None when it can."""
    found = book.find_model(provider, model)
    return found.reason if isinstance(found, Unpriced) else None


@dataclass(frozen=True)
class Route:
    """Send the rows each rule matches to its model (the first matching rule wins)."""

    name: ClassVar[str] = "route"
    rules: tuple[tuple[Rule | None, tuple[str, ...] | None, str], ...]
    """(rule, features, "provider/model"): a row matches when it is of one of the features (any
    feature when None) and the rule holds (always when None)."""
    label: str = "route"
    """How the step is named in a playbook: `switch` for a wholesale move from one model."""

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario with each row sent to the model of the first rule it matches (by features and
        rule), where that model prices the row's tier and region; token counts move unchanged. Raises
        `LeverError` for a target the book does not know."""
        r = scenario.ledger.rows
        moves = []
        for rule, features, to in self.rules:
            condition: ir.BooleanValue = ibis.literal(True)
            if features is not None:
                condition = condition & r.feature.isin(list(features)).fill_null(False)
            if rule is not None:
                condition = condition & rule.expr(r)
            moves.append((condition, *target(to)))
        return scenario.with_ledger(reroute(scenario, moves))

    def describe(self) -> str:
        """One line: the step's label, then each rule's scope (features, rule, or everything) and its
        target model."""
        parts = []
        for rule, features, to in self.rules:
            scope = []
            if features is not None:
                scope.append("features " + ", ".join(features))
            if rule is not None:
                scope.append(str(rule))
            parts.append(f"{' and '.join(scope) or 'everything'} → {to}")
        return f"{self.label} " + "; ".join(parts)

    def assumptions(self) -> list[str]:
        """That the target does the job as well, with the same token counts, and with cache reads and
        writes as recorded, at its cache rates."""
        return [
            "the target model does the job as well (no quality table was given)",
            "the same token counts on the target model (same tokenizer, same output length)",
            "cache reads and writes as recorded, at the target's cache rates",
        ]


@dataclass(frozen=True)
class QualityTable:
    """Quality per model per task (any scale), and the bar each task must meet."""

    bars: dict[str, Decimal]
    scores: dict[str, dict[str, Decimal]]
    source: str = "<table>"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "<table>") -> QualityTable:
        """A quality table from parsed YAML or JSON: `tasks` (task: bar, or task: {bar: ...}) and `models`
        (provider/model: {task: score}). Raises `LeverError` when either is missing, a bar or score is not
        a number, or a model is not PROVIDER/MODEL."""
        tasks, models = data.get("tasks"), data.get("models")
        if not isinstance(tasks, Mapping) or not isinstance(models, Mapping):
            raise LeverError(
                f"{source}: a quality table has 'tasks:' (task: bar) and 'models:' "
                "(provider/model: {task: score})"
            )
        try:
            bars = {str(t): Decimal(str(v["bar"] if isinstance(v, Mapping) else v)) for t, v in tasks.items()}
            scores = {
                str(m): {str(t): Decimal(str(s)) for t, s in (per or {}).items()} for m, per in models.items()
            }
        except (ArithmeticError, KeyError, TypeError, ValueError) as e:
            raise LeverError(f"{source}: scores and bars must be numbers ({e})") from None
        for m in scores:
            target(m)
        return cls(bars, scores, source)

    @classmethod
    def load(cls, path: Path) -> QualityTable:
        """The quality table in the YAML file at `path` (see `from_mapping`); a file that cannot be read or
        parsed raises `LeverError`."""
        try:
            data = yaml.safe_load(path.read_text())
        except OSError as e:
            raise LeverError(f"{path}: cannot read the quality table: {e.strerror}") from None
        except yaml.YAMLError as e:
            raise LeverError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(data, Mapping):
            raise LeverError(f"{path}: a quality table is a YAML mapping with 'tasks:' and 'models:'")
        return cls.from_mapping(data, str(path))


@dataclass(frozen=True)
class QualityRoute:
    """For each task (a label column's value), the cheapest model that meets the task's bar."""

    name: ClassVar[str] = "route"
    quality: QualityTable
    column: str = "feature"

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario with each task's rows (by `column`) sent to the model that meets the task's bar and
        bills those rows least (every candidate is billed on them); tasks no priced model meets stay as
        they are, and each task's outcome is noted. Raises `LeverError` when `column` is not a label
        column."""
        if self.column not in LABEL_COLUMNS:
            raise LeverError(f"route by '{self.column}': not a label column ({', '.join(LABEL_COLUMNS)})")
        r = scenario.ledger.rows
        tasks = sorted(self.quality.bars)
        in_tasks = r[self.column].isin(tasks).fill_null(False)
        costs: dict[str, dict[str, Decimal]] = {}
        for model in sorted(self.quality.scores):
            trial = reroute(scenario, [(in_tasks, *target(model))])
            table = measure(scenario.with_ledger(trial), by=[self.column]).table
            costs[model] = {row[self.column]: row["cost_usd"] for row in table.to_pylist()}
        notes = []
        moves = []
        for task in tasks:
            bar = self.quality.bars[task]
            good = [m for m, s in self.quality.scores.items() if s.get(task, Decimal(-1)) >= bar]
            priced = [m for m in good if task in costs[m]]
            if not priced:
                notes.append(f"{task}: no model meets the bar {bar}; left as it is")
                continue
            best = min(priced, key=lambda m: (costs[m][task], m))
            notes.append(f"{task} → {best} (quality {self.quality.scores[best][task]} >= {bar})")
            moves.append((r[self.column] == task, *target(best)))
        routed = scenario.with_ledger(reroute(scenario, moves))
        return Scenario(
            routed.ledger, routed.book, routed.extra_usd, routed.minimums, (*routed.notes, *notes)
        )

    def describe(self) -> str:
        """One line: each value of `column` routed to the cheapest model meeting its bar, naming the
        quality table."""
        return (
            f"route each {self.column} to the cheapest model meeting its quality bar ({self.quality.source})"
        )

    def assumptions(self) -> list[str]:
        """That the quality table is right for this traffic, that token counts are the same on every model,
        and that cache reads and writes stay as recorded, at the target's cache rates."""
        return [
            f"the quality table ({self.quality.source}) is right for this traffic",
            "the same token counts on every model (same tokenizer, same output length)",
            "cache reads and writes as recorded, at the target's cache rates",
        ]
