"""The plan catalogue's data model: strict pydantic types for subscription plans, their dated
prices, the windows their limits are counted over, and what happens at a limit.

Every price and limit carries `source` (a URL) and `checked` (a date); a change is a new dated
entry (`valid_from`), never an edit of an old one. Providers publish few limits: a limit states
whether its figure is `published`, `estimated` (with the `method` of the estimate) or `unknown`
(no figure: it is reported and never enforced). Units live in names and in `unit`.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import itertools
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Money = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
LimitUnit = Literal["usd", "tokens", "messages"]
"""What a limit counts: API-equivalent dollars (each request priced by the price book at its
time), tokens (every bucket: input, cache reads and writes, output), or messages (requests)."""
Status = Literal["published", "estimated", "unknown"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanPrice(_Strict):
    """A plan's price per month from a date (a new price is a new entry)."""

    valid_from: dt.date = Field(description="First day the price is in force (UTC).")
    usd_per_month: Money = Field(description="Price per month, USD (per seat for seat plans).")
    billing: Literal["monthly", "annual"] = Field(
        "monthly", description="monthly: billed each month; annual: the monthly equivalent of a yearly bill."
    )
    source: str = Field(min_length=1, description="Where the price is stated (URL).")
    checked: dt.date = Field(description="Date the source was last checked.")
    note: str = Field("", description="Conditions, regional variation, how the date was established.")


class Window(_Strict):
    """The time a limit is counted over. `block`: a window opens with the first request sent
    after the previous window of the same limit closed and lasts exactly `hours`; a request at
    the window's end opens the next one unless `closed_end`."""

    kind: Literal["block"] = Field("block", description="The only kind modelled: a block window.")
    hours: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)] = Field(
        description="Length of the window, hours (5 for a session, 168 for a week)."
    )
    anchor: Literal["first_request", "hour"] = Field(
        "first_request",
        description="first_request: the window starts at the request that opens it; hour: at the start "
        "of that request's UTC hour (ccusage's blocks).",
    )
    closed_end: bool = Field(
        False, description="True: a request exactly at start + hours still belongs to the window."
    )
    semantics_status: Status = Field(
        description="Whether the provider publishes how the window opens and resets, or it is estimated."
    )
    semantics_source: str = Field(min_length=1, description="Where the window's behaviour is stated (URL).")
    semantics_note: str = Field("", description="What is published and what is assumed.")

    @property
    def micros(self) -> int:
        """The window's length in microseconds (exact)."""
        us = self.hours * 3_600_000_000
        if us != us.to_integral_value():
            raise ValueError(f"a window of {self.hours} hours is not a whole number of microseconds")
        return int(us)


class Limit(_Strict):
    """One usage limit of a plan: a window, the models it counts, its size in a unit, how the
    figure is known, and what happens when it is reached."""

    id: str = Field(min_length=1, description="Short name, unique within the plan: 5h, weekly, weekly-opus.")
    window: Window
    models: list[str] | None = Field(
        None,
        description="Models the limit counts, as provider/model patterns (fnmatch, lower case); "
        "None: every model the plan includes.",
    )
    unit: LimitUnit = Field(description="What the limit counts: usd, tokens or messages.")
    amount: Amount | None = Field(
        None, description="The limit in its unit (USD as an exact decimal); None when not established."
    )
    low: Amount | None = Field(None, description="Low end of the public figures or the estimate.")
    high: Amount | None = Field(None, description="High end of the public figures or the estimate.")
    status: Status = Field(description="published, estimated (with method) or unknown (no figure).")
    method: str = Field("", description="How an estimated figure was obtained.")
    source: str = Field(min_length=1, description="Where the figure (or the limit) is stated (URL).")
    checked: dt.date = Field(description="Date the source was last checked.")
    valid_from: dt.date = Field(description="First day the limit applies (UTC).")
    valid_until: dt.date | None = Field(None, description="Last day it applied, if it was withdrawn.")
    at_limit: Literal["block", "move"] = Field(
        "block", description="block: requests are refused until the window resets; move: sent to move_to."
    )
    move_to: str | None = Field(None, description="provider/model requests move to when at_limit is move.")
    note: str = Field("", description="What else is published (hours, messages) and caveats.")

    @model_validator(mode="after")
    def _consistent(self) -> Limit:
        if (self.status == "unknown") != (self.amount is None):
            raise ValueError(f"limit {self.id}: status unknown exactly when amount is missing")
        if self.status == "estimated" and not self.method.strip():
            raise ValueError(f"limit {self.id}: an estimated figure needs its method")
        if (self.at_limit == "move") != (self.move_to is not None):
            raise ValueError(f"limit {self.id}: move_to is given exactly when at_limit is move")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"limit {self.id}: low {self.low} is above high {self.high}")
        if self.amount is not None and self.unit != "usd" and self.amount != self.amount.to_integral_value():
            raise ValueError(f"limit {self.id}: {self.unit} are counted whole (got {self.amount})")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError(f"limit {self.id}: valid_until is before valid_from")
        return self

    def in_force(self, day: dt.date) -> bool:
        """Whether the limit applies on `day`."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    @property
    def enforced(self) -> bool:
        """A limit with a figure is replayed; one without is only reported."""
        return self.amount is not None


class ExtraUsage(_Strict):
    """What a subscriber can buy past a limit, from a date."""

    kind: Literal["none", "api_rates"] = Field(
        description="none: nothing (wait for the reset); api_rates: usage past a limit at API prices."
    )
    valid_from: dt.date = Field(description="First day this applies (UTC).")
    source: str = Field(min_length=1, description="Where it is stated (URL).")
    checked: dt.date = Field(description="Date the source was last checked.")
    note: str = Field("", description="Conditions.")


class Plan(_Strict):
    """A subscription plan (or the API pay-as-you-go baseline): dated prices, the models it
    includes, its limits, and what can be bought past them."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Catalogue key.")
    name: str = Field(min_length=1, description="The provider's name for the plan.")
    provider: str = Field(min_length=1, description="Who sells it (anthropic, openai, any).")
    kind: Literal["subscription", "payg"] = Field(
        "subscription", description="payg: every request billed at API prices, no limits (the baseline)."
    )
    per_seat: bool = Field(False, description="Priced per seat of a workspace (Team, Business).")
    min_seats: int = Field(1, ge=1, description="Fewest seats a workspace buys.")
    models: list[str] = Field(
        min_length=1, description="Models included, as provider/model patterns (fnmatch, lower case)."
    )
    prices: list[PlanPrice] = Field(default_factory=list, description="Price history (payg: none).")
    limits: list[Limit] = Field(default_factory=list, description="Usage limits, each dated.")
    extra_usage: list[ExtraUsage] = Field(default_factory=list, description="Past-the-limit options, dated.")
    note: str = Field("", description="Anything else a reader should know (renames, promotions).")

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        if self.kind == "payg" and (self.prices or self.limits):
            raise ValueError(f"plan {self.id}: the pay-as-you-go baseline has no price and no limits")
        if self.kind == "subscription" and not self.prices:
            raise ValueError(f"plan {self.id}: a subscription needs at least one dated price")
        ids = [lim.id for lim in self.limits]
        for dup in {i for i in ids if ids.count(i) > 1}:
            spans = [(lim.valid_from, lim.valid_until) for lim in self.limits if lim.id == dup]
            spans.sort()
            for (_, end), (start, _) in itertools.pairwise(spans):
                if end is None or end >= start:
                    raise ValueError(f"plan {self.id}: limit {dup} has overlapping dated entries")
        return self

    def price_at(self, day: dt.date, billing: str = "monthly") -> PlanPrice | None:
        """The price in force on `day` for a billing period (None: the plan had no such price)."""
        entries = [p for p in self.prices if p.billing == billing and p.valid_from <= day]
        return max(entries, key=lambda p: p.valid_from) if entries else None

    def usd_per_month(self, day: dt.date) -> Decimal:
        """The monthly-billed price on `day` ($0 for the pay-as-you-go baseline)."""
        if self.kind == "payg":
            return Decimal(0)
        price = self.price_at(day)
        if price is None:
            first = min(p.valid_from for p in self.prices)
            raise ValueError(f"plan {self.id} had no monthly price on {day} (its first is from {first})")
        return price.usd_per_month

    def limits_at(self, day: dt.date) -> list[Limit]:
        """The limits in force on `day`, in catalogue order."""
        return [lim for lim in self.limits if lim.in_force(day)]

    def extra_usage_at(self, day: dt.date) -> ExtraUsage | None:
        """What can be bought past a limit on `day` (None: not stated)."""
        entries = [e for e in self.extra_usage if e.valid_from <= day]
        return max(entries, key=lambda e: e.valid_from) if entries else None

    def includes(self, key: str) -> bool:
        """Whether the plan includes a `provider/model` key."""
        return matches(self.models, key)


class PlanFile(_Strict):
    """A file of plans: the packaged catalogue, or a user's own (`--plans FILE`)."""

    version: Literal[1] = Field(description="Schema version.")
    description: str = Field("", description="What the file holds.")
    plans: list[Plan] = Field(min_length=1)


def matches(patterns: list[str] | None, key: str) -> bool:
    """Whether a `provider/model` key matches any pattern (None matches everything)."""
    if patterns is None:
        return True
    key = key.lower()
    return any(fnmatch.fnmatchcase(key, p.lower()) for p in patterns)
