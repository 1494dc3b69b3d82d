"""The batch lever: move latency-tolerant traffic to the batch (or flex) tier.

Which traffic: the rows of some features, the rows a rule selects, or a share of them (picked by
a hash of the request id, so the same requests move every run). Only standard-tier requests of
models that have a price for the tier move: the others are counted as not movable, never billed
at a made-up price. Cache reads and writes keep their buckets and are billed at the tier's cache
rates, so batch stacks with caching exactly as the price book says the provider bills it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

import ibis
import ibis.expr.types as ir

from inferonomics.catalog.book import PriceBook, Unpriced
from inferonomics.errors import LeverError
from inferonomics.ledger.core import Ledger
from inferonomics.levers.base import Scenario, derive
from inferonomics.levers.rules import Rule, select

SHARE_SCALE = 1_000_000


def tier_available(
    book: PriceBook, provider: str, model: str, tier: str, region: str | None, at: list[dt.datetime]
) -> bool:
    """Whether the book prices `tier` for the model at every instant of `at`."""
    found = book.find_model(provider, model)
    if isinstance(found, Unpriced):
        return False
    for instant in at:
        tod = instant.hour * 3600 + instant.minute * 60 + instant.second
        if isinstance(book.resolve(found, tier, region, instant, instant.weekday(), tod, 0), Unpriced):
            return False
    return True


def in_share(rows: ir.Table, share: Decimal) -> ir.BooleanValue:
    """A stable pseudo-random `share` of rows, by request id."""
    if not 0 <= share <= 1:
        raise LeverError(f"a share is between 0 and 1, got {share}")
    h = rows.request_id.hash() % SHARE_SCALE
    return (h + SHARE_SCALE) % SHARE_SCALE < int(share * SHARE_SCALE)


def movable_keys(ledger: Ledger, book: PriceBook, tier: str) -> list[tuple[str, str, str | None]]:
    """(provider, model, region) of the ledger's standard-tier keys the book prices in `tier`."""
    keys = ledger.keys()
    instants = [t for t in (keys.ts_min, keys.ts_max) if t is not None]
    out = []
    for k in keys.table.to_pylist():
        if k["service_tier"] not in (None, "standard") or not k["provider"] or not k["model"]:
            continue
        if tier_available(book, k["provider"], k["model"], tier, k["region"], instants):
            out.append((k["provider"], k["model"], k["region"]))
    return sorted(set(out), key=str)


def key_in(rows: ir.Table, keys: list[tuple[str, str, str | None]]) -> ir.BooleanValue:
    """Whether each row's (provider, model, region) is one of `keys` (a NULL region matches None)."""
    out: ir.BooleanValue = ibis.literal(False)
    for provider, model, region in keys:
        out = out | ((rows.provider == provider) & (rows.model == model) & rows.region.identical_to(region))
    return out


@dataclass(frozen=True)
class Batch:
    """Move a share of the selected standard-tier traffic to `tier` (batch or flex)."""

    name: ClassVar[str] = "batch"
    share: Decimal = Decimal(1)
    features: tuple[str, ...] | None = None
    rule: Rule | None = None
    tier: str = "batch"

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario with the selected rows (of `features`, matching `rule`, a stable `share` of them by
        request id) moved from the standard tier to `tier`, where the book prices their model in it; cache
        buckets stay and bill at the tier's cache rates. Raises `LeverError` for a tier other than batch or
        flex, or a share outside 0-1."""
        if self.tier not in ("batch", "flex"):
            raise LeverError(f"the batch lever moves traffic to batch or flex, not '{self.tier}'")
        ledger = scenario.ledger
        r = ledger.rows
        keys = movable_keys(ledger, scenario.book, self.tier)
        standard = r.service_tier.isnull() | (r.service_tier == "standard")
        chosen = select(r, self.rule, self.features) & standard & key_in(r, keys) & in_share(r, self.share)
        expr = r.mutate(service_tier=ibis.cases((chosen, ibis.literal(self.tier)), else_=r.service_tier))
        new_keys = [(p, m, self.tier, region) for p, m, region in keys]
        return scenario.with_ledger(derive(ledger, expr, f"<{self.tier}>", new_keys))

    def describe(self) -> str:
        """One line: the share of standard traffic moved, its scope (features, rule) and the tier it goes
        to."""
        what = []
        if self.features is not None:
            what.append("features " + ", ".join(self.features))
        if self.rule is not None:
            what.append(f"rows where {self.rule}")
        scope = " of " + " and ".join(what) if what else ""
        return f"{self.share * 100:g}% of standard traffic{scope} moved to the {self.tier} tier"

    def assumptions(self) -> list[str]:
        """That the moved requests tolerate the tier's latency, that models without a price for the tier
        stay, and that cache hits happen in the tier as they did interactively."""
        return [
            f"the moved requests tolerate the {self.tier} tier's latency (batch: up to 24 h)",
            "models without a price for the tier stay where they are",
            "cache hits happen in batch as they did interactively (best effort at the providers)",
        ]
