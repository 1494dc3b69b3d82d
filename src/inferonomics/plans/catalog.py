"""The plan catalogue: the packaged plans (`catalog/data/plans.yaml`) with the user's own files
over them, validated, looked up by id, and written back in the same schema.

A user file adds plans, or replaces a packaged plan with the same id (a whole plan: its prices,
limits and notes). Top-level keys starting with `x-` hold YAML anchors and are ignored.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from pydantic import ValidationError

from inferonomics.errors import PlanError
from inferonomics.plans.schema import Plan, PlanFile

__all__ = ["PACKAGED", "PlanCatalog", "load_plans", "plans_yaml"]

PACKAGED = "plans.yaml"
"""The packaged catalogue's file name under `inferonomics/catalog/data/`."""


def _read(text: str, where: str) -> PlanFile:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise PlanError(f"{where}: not valid YAML ({e}); fix the file") from None
    if not isinstance(data, dict):
        raise PlanError(f"{where}: expected a mapping with `version` and `plans`")
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    try:
        return PlanFile.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise PlanError(
            f"{where}: {loc}: {first['msg']} ({e.error_count()} problem(s); schema in docs/plans.md)"
        ) from None


@cache
def _packaged() -> PlanFile:
    text = resources.files("inferonomics.catalog").joinpath("data", PACKAGED).read_text()
    return _read(text, f"catalog/data/{PACKAGED}")


class PlanCatalog:
    """Plans by id: the packaged catalogue, then user files in order (a later plan with the same
    id replaces an earlier one)."""

    def __init__(self, plans: Iterable[Plan], sources: Sequence[str] = ()) -> None:
        self._plans: dict[str, Plan] = {}
        for plan in plans:
            self._plans[plan.id] = plan
        self.sources = list(sources)

    def __iter__(self) -> Iterator[Plan]:
        return iter(self._plans.values())

    def __len__(self) -> int:
        return len(self._plans)

    def __contains__(self, plan_id: object) -> bool:
        return plan_id in self._plans

    @property
    def ids(self) -> list[str]:
        """Plan ids in catalogue order."""
        return list(self._plans)

    def get(self, plan_id: str) -> Plan:
        """A plan by id; an unknown id names the nearest ones."""
        plan = self._plans.get(plan_id)
        if plan is None:
            near = difflib.get_close_matches(plan_id, self.ids, n=3, cutoff=0.4)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise PlanError(f"unknown plan {plan_id!r}{hint} (known: {', '.join(self.ids)})")
        return plan

    def select(self, ids: Sequence[str] | None) -> list[Plan]:
        """The plans named (all when None or empty), in the order given."""
        return [self.get(i) for i in ids] if ids else list(self)

    def table(self, at: dt.date) -> pa.Table:
        """One row per plan and limit in force at `at`: price, window, unit, amount, status."""
        rows: list[dict[str, Any]] = []
        for plan in self:
            price = plan.usd_per_month(at) if plan.kind == "payg" or plan.price_at(at) else None
            extra = plan.extra_usage_at(at)
            base = {
                "plan": plan.id,
                "name": plan.name,
                "usd_per_month": price,
                "per_seat": plan.per_seat,
                "extra_usage": extra.kind if extra else None,
            }
            limits = plan.limits_at(at)
            if not limits:
                rows.append({**base, **dict.fromkeys(_LIMIT_COLUMNS)})
            for lim in limits:
                rows.append(
                    {
                        **base,
                        "limit": lim.id,
                        "window_hours": lim.window.hours,
                        "models": ", ".join(lim.models) if lim.models else "all",
                        "unit": lim.unit,
                        "amount": lim.amount,
                        "low": lim.low,
                        "high": lim.high,
                        "status": lim.status,
                        "at_limit": lim.at_limit if lim.move_to is None else f"move to {lim.move_to}",
                        "source": lim.source,
                    }
                )
        return pa.Table.from_pylist(rows, schema=_TABLE_SCHEMA)


_LIMIT_COLUMNS = (
    "limit",
    "window_hours",
    "models",
    "unit",
    "amount",
    "low",
    "high",
    "status",
    "at_limit",
    "source",
)
_MONEY = pa.decimal128(38, 6)
_TABLE_SCHEMA = pa.schema(
    [
        ("plan", pa.string()),
        ("name", pa.string()),
        ("usd_per_month", _MONEY),
        ("per_seat", pa.bool_()),
        ("extra_usage", pa.string()),
        ("limit", pa.string()),
        ("window_hours", pa.decimal128(12, 3)),
        ("models", pa.string()),
        ("unit", pa.string()),
        ("amount", _MONEY),
        ("low", _MONEY),
        ("high", _MONEY),
        ("status", pa.string()),
        ("at_limit", pa.string()),
        ("source", pa.string()),
    ]
)


def load_plans(paths: Sequence[str | Path] = (), *, packaged: bool = True) -> PlanCatalog:
    """The plan catalogue: the packaged plans (unless `packaged` is False) with the files in
    `paths` over them, in order (same schema; a plan with a known id replaces it)."""
    files: list[PlanFile] = [_packaged()] if packaged else []
    names = [f"catalog/data/{PACKAGED}"] if packaged else []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise PlanError(f"--plans {path}: no such file")
        files.append(_read(path.read_text(), str(path)))
        names.append(str(path))
    if not files:
        raise PlanError("no plans: give a plan file or keep the packaged catalogue")
    return PlanCatalog((plan for f in files for plan in f.plans), names)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def plans_yaml(plans: Sequence[Plan], description: str = "") -> str:
    """Plans as a plan file (the catalogue's schema), money as exact decimal strings; the text
    loads back with `load_plans` to the same plans."""
    data = PlanFile(version=1, description=description, plans=list(plans)).model_dump(
        exclude_defaults=True, mode="python"
    )
    data = {"version": 1, **{k: v for k, v in data.items() if k != "version"}}
    return yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True, width=100)
