"""Where the plan commands' usage comes from: the coding agents' logs in their standard places,
and each request re-priced at another model (for limits that move requests)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from inferonomics.errors import PlanError
from inferonomics.plans.usage import Usage, femto_of

if TYPE_CHECKING:
    from inferonomics.catalog.book import PriceBook
    from inferonomics.ledger.core import Ledger

__all__ = ["default_ledger", "default_usage_paths", "repricer"]


def default_usage_paths() -> list[Path]:
    """Where coding agents keep their logs on this machine (Claude Code, Codex), those that exist."""
    try:
        from inferonomics.ledger.readers.agents import default_agent_paths
    except ImportError:  # the agent-log readers are not in this build
        return []
    return list(default_agent_paths())


def default_ledger() -> tuple[Ledger, list[str]]:
    """The coding-agent logs in their standard places, as a ledger, and the folders read."""
    from inferonomics.ledger.core import Ledger

    paths = default_usage_paths()
    if not paths:
        raise PlanError(
            "no usage given and no coding-agent logs found in the standard places "
            "(~/.claude/projects, ~/.config/claude/projects, ~/.codex/sessions): name the usage files"
        )
    return Ledger.open(paths), [str(p) for p in paths]


def repricer(usage: Usage, book: PriceBook | None) -> Any:
    """A function giving each row's value (fUSD) were it sent to another model (provider/model),
    priced by the billing engine at the row's own time, tier and tokens."""
    source = usage.source

    def reprice(model: str) -> np.ndarray:
        from inferonomics.billing.bill import price
        from inferonomics.ledger.core import Ledger

        if source is None:
            raise PlanError("moving requests to another model needs the priced rows")
        provider, _, name = model.partition("/")
        cols = [
            c
            for c in source.column_names
            if not c.startswith("cost_") and c not in ("price_entry", "match", "matched_model", "status")
        ]
        t = source.select(cols)
        t = t.set_column(t.schema.get_field_index("provider"), "provider", pa.array([provider] * t.num_rows))
        t = t.set_column(t.schema.get_field_index("model"), "model", pa.array([name] * t.num_rows))
        t = t.set_column(
            t.schema.get_field_index("request_id"), "request_id", pa.array(map(str, range(t.num_rows)))
        )
        priced = price(
            Ledger.from_arrow(t.drop_columns(["source_file", "source_line"])), book=book
        ).to_arrow()
        priced = priced.sort_by("source_line")
        if priced.num_rows != t.num_rows or priced["cost_usd"].null_count:
            raise PlanError(f"cannot price every request as {model}: the price book has no price for some")
        return femto_of(priced["cost_usd"])

    return reprice
