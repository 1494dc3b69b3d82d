"""Helpers of the plans tests: requests and plans written out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from inferonomics.plans.schema import Plan
from inferonomics.plans.usage import Usage, split

T0 = dt.datetime(2025, 12, 1, 10, 0, tzinfo=dt.UTC)
"""A Monday 10:00 UTC, after Opus 4.5's launch (its list price: $5 / $25 per MTok)."""
H = dt.timedelta(hours=1)
US = dt.timedelta(microseconds=1)


def micros(t: dt.datetime) -> int:
    return (t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // US


def usage_of(rows: list[tuple[str, dt.datetime, str, str]], *, tokens: int = 1000) -> Usage:
    """(subscriber, time, provider/model, usd) rows as a Usage, values exact (no price book)."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    subs = sorted({r[0] for r in rows})
    models = sorted({r[2] for r in rows})
    fusd = np.array([int(Decimal(r[3]) * 10**15) for r in rows], dtype=np.int64)
    p, f = split(fusd)
    n = len(rows)
    return Usage(
        subscribers=subs,
        sub=np.array([subs.index(r[0]) for r in rows], dtype=np.int64),
        ts=np.array([micros(r[1]) for r in rows], dtype=np.int64),
        pico=p,
        femto=f,
        requests=np.ones(n, dtype=np.int64),
        tokens_in=np.zeros(n, dtype=np.int64),
        tokens_cached=np.zeros(n, dtype=np.int64),
        tokens_out=np.full(n, tokens, dtype=np.int64),
        model=np.array([models.index(r[2]) for r in rows], dtype=np.int64),
        models=models,
        population_column="user",
    )


SOURCE = "https://example.org/test"
DATED = {"source": SOURCE, "checked": "2026-12-01"}


def limit(
    id: str,
    hours: int | str,
    amount: str,
    *,
    unit: str = "usd",
    models: list[str] | None = None,
    move_to: str | None = None,
    closed_end: bool = False,
    anchor: str = "first_request",
) -> dict[str, Any]:
    return {
        "id": id,
        "window": {
            "hours": str(hours),
            "anchor": anchor,
            "closed_end": closed_end,
            "semantics_status": "estimated",
            "semantics_source": SOURCE,
        },
        "models": models,
        "unit": unit,
        "amount": amount,
        "status": "estimated",
        "method": "a test figure",
        "source": SOURCE,
        "checked": "2026-12-01",
        "valid_from": "2020-01-01",
        "at_limit": "move" if move_to else "block",
        "move_to": move_to,
    }


def plan_of(*limits: dict[str, Any], price: str = "200", models: list[str] | None = None) -> Plan:
    return Plan.model_validate(
        {
            "id": "test-plan",
            "name": "Test plan",
            "provider": "anthropic",
            "models": models or ["anthropic/*"],
            "prices": [
                {
                    "valid_from": "2020-01-01",
                    "usd_per_month": price,
                    "source": SOURCE,
                    "checked": "2026-12-01",
                }
            ],
            "limits": list(limits),
            "extra_usage": [
                {"kind": "api_rates", "valid_from": "2020-01-01", "source": SOURCE, "checked": "2026-12-01"}
            ],
        }
    )


def ledger_table(rows: list[tuple[str, dt.datetime, str, int, int]], **tags: list[str]) -> pa.Table:
    """(user, time, model, input tokens, output tokens) rows as a canonical ledger table (Anthropic)."""
    table = pa.table(
        {
            "ts": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
            "request_id": [f"r{i}" for i in range(len(rows))],
            "provider": ["anthropic"] * len(rows),
            "model": [r[2] for r in rows],
            "user": [r[0] for r in rows],
            "input_tokens": pa.array([r[3] for r in rows], pa.int64()),
            "output_tokens": pa.array([r[4] for r in rows], pa.int64()),
        }
    )
    for name, values in tags.items():
        table = table.append_column(name, pa.array(values, pa.string()))
    return table
