"""Price levers: what-if prices, negotiated discounts and committed-use deals.

They change the price book, not the ledger: each adds a sheet (a `Discount` layer) to a copy of the
scenario's book, so every rate the resolver returns is scaled exactly as a user price sheet
would scale it, from a date when one is given. A commitment is a discount plus a monthly minimum:
a month that spends less than the commitment is billed the commitment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import ClassVar

from inferonomics.catalog.schema import Discount as DiscountEntry
from inferonomics.catalog.schema import ServiceTier, Sheet
from inferonomics.errors import LeverError
from inferonomics.levers.base import MonthlyMinimum, Scenario


def _sheet(
    *,
    multiplier: Decimal,
    provider: str | None,
    models: tuple[str, ...] | None,
    tiers: tuple[ServiceTier, ...] | None,
    valid_from: dt.datetime | None,
    source: str,
) -> Sheet:
    entry = DiscountEntry(
        provider=provider,
        models=list(models) if models is not None else None,
        service_tiers=list(tiers) if tiers is not None else None,
        multiplier=multiplier,
        valid_from=valid_from,
        source=source,
    )
    return Sheet(description=source, discounts=[entry])


def _apply(scenario: Scenario, sheet: Sheet, layer: str) -> Scenario:
    try:
        return scenario.with_sheet(sheet, layer)
    except ValueError as e:
        raise LeverError(str(e)) from None


@dataclass(frozen=True)
class PriceChange:
    """Every rate (of a provider, of some models) changes by `percent` (-30: 30% cheaper)."""

    name: ClassVar[str] = "prices"
    percent: Decimal
    provider: str | None = None
    models: tuple[str, ...] | None = None
    valid_from: dt.datetime | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario billed with a copy of its book in which every rate of `provider` (every provider
        when None; only `models`, when given) is multiplied by 1 + `percent` / 100, from `valid_from`
        (always, when None); the scenario itself at 0%. Raises `LeverError` for -100% or less."""
        multiplier = 1 + self.percent / 100
        if multiplier <= 0:
            raise LeverError(f"a price change of {self.percent}% leaves no price (must be > -100%)")
        if multiplier == 1:
            return scenario
        sheet = _sheet(
            multiplier=multiplier,
            provider=self.provider,
            models=self.models,
            tiers=None,
            valid_from=self.valid_from,
            source=f"what-if: prices {self.percent:+g}%",
        )
        return _apply(scenario, sheet, f"what-if prices {self.percent:+g}%")

    def describe(self) -> str:
        """One line: whose prices change, by what signed percentage, and from which date."""
        who = self.provider or "every provider"
        when = f" from {self.valid_from:%Y-%m-%d}" if self.valid_from else ""
        return f"prices of {who} {self.percent:+g}%{when}"

    def assumptions(self) -> list[str]:
        """That usage stays as it is at the new prices."""
        return ["the same usage at the new prices (no change in demand)"]


@dataclass(frozen=True)
class Discount:
    """A negotiated discount: `percent_off` on every rate of a provider (some models, tiers)."""

    name: ClassVar[str] = "discount"
    percent_off: Decimal
    provider: str | None = None
    models: tuple[str, ...] | None = None
    tiers: tuple[ServiceTier, ...] | None = None
    valid_from: dt.datetime | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario billed with a copy of its book in which every rate of `provider` (every provider
        when None; only `models` and `tiers`, when given) is `percent_off` cheaper, from `valid_from`
        (always, when None); the scenario itself at 0%. Raises `LeverError` outside 0-100%."""
        if not 0 <= self.percent_off < 100:
            raise LeverError(f"a discount is between 0% and 100% off, got {self.percent_off}%")
        if self.percent_off == 0:
            return scenario
        sheet = _sheet(
            multiplier=1 - self.percent_off / 100,
            provider=self.provider,
            models=self.models,
            tiers=self.tiers,
            valid_from=self.valid_from,
            source=f"what-if: {self.percent_off:g}% off",
        )
        return _apply(scenario, sheet, f"what-if discount {self.percent_off:g}%")

    def describe(self) -> str:
        """One line: the percentage off and the provider it applies to."""
        return f"{self.percent_off:g}% off {self.provider or 'every provider'}"

    def assumptions(self) -> list[str]:
        """That the provider grants the discount on this volume."""
        return ["the provider grants the discount on this volume"]


@dataclass(frozen=True)
class Commitment:
    """A committed-use deal: `percent_off`, and at least `monthly_usd` billed every month."""

    name: ClassVar[str] = "commit"
    percent_off: Decimal
    monthly_usd: Decimal
    provider: str | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario with `percent_off` off every rate of `provider` (as `Discount` does) and a monthly
        minimum of `monthly_usd` on its spend, a month below it billed the shortfall. Raises `LeverError`
        for a negative commitment."""
        if self.monthly_usd < 0:
            raise LeverError(f"a monthly commitment is >= $0, got {self.monthly_usd}")
        discounted = Discount(self.percent_off, self.provider).apply(scenario)
        floor = MonthlyMinimum(self.monthly_usd, self.provider)
        return replace(discounted, minimums=(*discounted.minimums, floor))

    def describe(self) -> str:
        """One line: the monthly commitment, the provider and the discount it buys."""
        return (
            f"commit to ${self.monthly_usd:,} a month with {self.provider or 'every provider'} "
            f"for {self.percent_off:g}% off"
        )

    def assumptions(self) -> list[str]:
        """That monthly spend is as in the ledger (a month below the commitment is billed the commitment)
        and that the discount covers every rate of the provider."""
        return [
            "monthly spend as in the ledger (a month below the commitment is billed the commitment)",
            "the discount applies to every rate of the provider",
        ]
