"""The price book's data model: strict pydantic types for prices with history, tiers and rules.

One schema serves three layers, applied in order: the bulk converted from the genai-prices package
(`data/genai_prices.json`), our dated overlay (`data/overlay.yaml`), and any user price sheets
passed on the command line. Units live in field names; every entry carries its `source`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

SERVICE_TIERS = ("standard", "batch", "flex", "priority")
ServiceTier = Literal["standard", "batch", "flex", "priority"]
NonStandardTier = Literal["batch", "flex", "priority"]


def _date_to_datetime(v: object) -> object:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    return v


def _naive_utc(v: dt.datetime) -> dt.datetime:
    if v.tzinfo is not None:
        return v.astimezone(dt.UTC).replace(tzinfo=None)
    return v


UtcDatetime = Annotated[dt.datetime, BeforeValidator(_date_to_datetime), AfterValidator(_naive_utc)]
"""An instant in UTC, held naive. A bare date means midnight UTC of that day."""

MAX_RATE = Decimal(1_000_000)
"""No rate is above a million dollars (per million tokens, or per thousand requests or searches):
a larger figure is a typo or an attack, never a price."""
Rate = Annotated[Decimal, Field(ge=0, le=MAX_RATE, allow_inf_nan=False)]
Multiplier = Annotated[Decimal, Field(gt=0, le=1000, allow_inf_nan=False)]

MAX_PATTERN_CHARS = 500
MAX_UNBOUNDED_REPEATS = 3
"""A `regex` clause may hold at most this many unbounded repeats (`*`, `+`, `{n,}`), none nested in
another: with names bounded too (`ledger.validate.MAX_NAME_CHARS`), a match stays fast."""


def regex_problem(pattern: str) -> str | None:
    """Why a user's regular expression cannot be used (it does not compile, or it could take
    exponential or high polynomial time: a repeat or an alternation inside an unbounded repeat, or
    too many unbounded repeats), or None."""
    import importlib
    import re

    sre: Any = importlib.import_module("re._parser")  # the stdlib's parser (no typing stubs)

    if len(pattern) > MAX_PATTERN_CHARS:
        return f"a regex of {len(pattern):,} characters (at most {MAX_PATTERN_CHARS})"
    try:
        re.compile(pattern)
        tree = sre.parse(pattern)
    except (re.error, RecursionError, OverflowError) as e:
        return f"regex {pattern!r}: not a valid regular expression ({e})"
    found = 0

    def walk(items: object, inside: bool) -> str | None:
        nonlocal found
        for op, av in items:  # type: ignore[attr-defined]  # a SubPattern iterates (op, argument)
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
                _, hi, sub = av
                unbounded = hi == sre.MAXREPEAT or hi > 1000
                if unbounded:
                    if inside:
                        return "a repeat inside a repeat (like (a+)+) can take exponential time"
                    found += 1
                problem = walk(sub, inside or unbounded)
            elif op == sre.BRANCH:
                if inside:
                    return "an alternation inside an unbounded repeat (like (ab|a)*) can be exponential"
                problem = next((p for b in av[1] if (p := walk(b, inside))), None)
            elif op in (sre.SUBPATTERN, sre.ATOMIC_GROUP):
                problem = walk(av[-1], inside)
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                problem = walk(av[1], inside)
            else:
                problem = None
            if problem:
                return problem
        return None

    problem = walk(tree, False)
    if problem is None and found > MAX_UNBOUNDED_REPEATS:
        problem = f"{found} unbounded repeats (at most {MAX_UNBOUNDED_REPEATS}) can take very long"
    return f"regex {pattern!r}: {problem}" if problem else None


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_ALL_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rates(_Strict):
    """Rates of one price set. A rate left out falls back as the provider bills it: cache reads and
    5-minute writes at the input rate, 1-hour and other-TTL writes at the 5-minute write rate,
    reasoning tokens at the output rate. A modality rate left out (audio, image, video) has no
    fallback: tokens of that modality leave the request unpriced, unless a `ModalityRule` says the
    provider bills that modality at the text rate."""

    input_usd_per_mtok: Rate | None = Field(None, description="Uncached input tokens, USD per million.")
    cache_read_usd_per_mtok: Rate | None = Field(None, description="Tokens read from a prompt cache.")
    cache_write_5m_usd_per_mtok: Rate | None = Field(
        None, description="Tokens written to a cache with a 5-minute TTL (the default write rate)."
    )
    cache_write_1h_usd_per_mtok: Rate | None = Field(
        None, description="Tokens written to a cache with a 1-hour TTL."
    )
    cache_write_other_usd_per_mtok: Rate | None = Field(
        None, description="Tokens written with another or unknown TTL (e.g. OpenAI's 30 minutes)."
    )
    output_usd_per_mtok: Rate | None = Field(None, description="Output tokens, reasoning included.")
    reasoning_usd_per_mtok: Rate | None = Field(
        None, description="Reasoning tokens, only where a model prices them apart from output."
    )
    input_audio_usd_per_mtok: Rate | None = Field(None, description="Uncached audio input tokens.")
    input_image_usd_per_mtok: Rate | None = Field(None, description="Uncached image input tokens.")
    input_video_usd_per_mtok: Rate | None = Field(None, description="Uncached video input tokens.")
    cache_read_audio_usd_per_mtok: Rate | None = Field(None, description="Audio tokens read from a cache.")
    cache_read_image_usd_per_mtok: Rate | None = Field(None, description="Image tokens read from a cache.")
    cache_read_video_usd_per_mtok: Rate | None = Field(None, description="Video tokens read from a cache.")
    output_audio_usd_per_mtok: Rate | None = Field(None, description="Audio output tokens.")
    output_image_usd_per_mtok: Rate | None = Field(None, description="Image output tokens.")
    output_video_usd_per_mtok: Rate | None = Field(None, description="Video output tokens.")
    web_search_usd_per_k: Rate | None = Field(None, description="Server-side web searches, USD per 1,000.")
    request_usd_per_k: Rate | None = Field(None, description="Per-request fee, USD per 1,000 requests.")

    def merged_over(self, base: Rates) -> Rates:
        """These rates, with every rate left out taken from `base`."""
        mine = self.model_dump(exclude_none=True)
        return base.model_copy(update=mine)

    def is_empty(self) -> bool:
        """Whether no rate at all is set."""
        return not self.model_dump(exclude_none=True)


RATE_FIELDS: tuple[str, ...] = tuple(Rates.model_fields)
TOKEN_RATE_FIELDS: tuple[str, ...] = tuple(f for f in RATE_FIELDS if f.endswith("_per_mtok"))
MODALITY_RATE_FIELDS: dict[str, str] = {
    f"{bucket}_{m}_usd_per_mtok": f"{bucket}_usd_per_mtok"
    for bucket in ("input", "cache_read", "output")
    for m in ("audio", "image", "video")
}
"""Each modality rate and the text rate of its bucket."""
ModalityRate = Literal[
    "input_audio_usd_per_mtok",
    "input_image_usd_per_mtok",
    "input_video_usd_per_mtok",
    "cache_read_audio_usd_per_mtok",
    "cache_read_image_usd_per_mtok",
    "cache_read_video_usd_per_mtok",
    "output_audio_usd_per_mtok",
    "output_image_usd_per_mtok",
    "output_video_usd_per_mtok",
]


class Tier(_Strict):
    """A long-context tier: when a request's input (uncached + cache reads + cache writes) exceeds
    `above_input_tokens`, all its tokens are billed at these rates (a cliff, not a marginal rate)."""

    above_input_tokens: int = Field(ge=0, description="Threshold on the request's total input tokens.")
    rates: Rates = Field(description="Rates in force above the threshold; rates left out keep the base.")


class Window(_Strict):
    """A daily time window (UTC) on some weekdays during which other rates apply (e.g. off-peak).
    A window whose end is not after its start runs past midnight into the next day."""

    weekdays: list[Weekday] = Field(default_factory=lambda: list(_ALL_WEEKDAYS), min_length=1)
    start: dt.time = Field(description="Start of the window, UTC, inclusive.")
    end: dt.time = Field(description="End of the window, UTC, exclusive.")
    label: str = Field("window", description="What the window is, e.g. 'peak' or 'off-peak'.")
    rates: Rates = Field(description="Complete rates in force inside the window.")
    tiers: list[Tier] = Field(default_factory=list)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, v: dt.time) -> dt.time:
        if v.tzinfo is not None:
            offset = v.utcoffset() or dt.timedelta(0)
            moved = dt.datetime.combine(dt.date(2000, 1, 3), v.replace(tzinfo=None)) - offset
            return moved.time()
        return v


class Period(_Strict):
    """Standard prices in force from `valid_from` until the next period of the same model starts."""

    valid_from: UtcDatetime | None = Field(
        None, description="UTC instant the prices start; None means since the model existed."
    )
    rates: Rates
    tiers: list[Tier] = Field(default_factory=list)
    windows: list[Window] = Field(
        default_factory=list, description="Time-of-day windows; the first that matches wins."
    )
    source: str | None = Field(None, description="URL or document the prices come from.")
    checked: dt.date | None = Field(None, description="Date the source was last checked.")
    note: str | None = None


class TierPeriod(_Strict):
    """Explicit prices of a non-standard service tier (batch, flex, priority) from a date. Rates
    left out keep the standard rate in force (as the provider's own tables read)."""

    valid_from: UtcDatetime | None = None
    rates: Rates
    tiers: list[Tier] = Field(default_factory=list)
    source: str | None = None
    checked: dt.date | None = None
    note: str | None = None


class Match(_Strict):
    """A clause tree that matches model names (lower-cased), as in genai-prices."""

    equals: str | None = None
    starts_with: str | None = None
    ends_with: str | None = None
    contains: str | None = None
    regex: str | None = None
    any_of: list[Match] | None = Field(None, alias="or")
    all_of: list[Match] | None = Field(None, alias="and")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("regex")
    @classmethod
    def _safe_regex(cls, value: str | None) -> str | None:
        problem = None if value is None else regex_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_clause(self) -> Match:
        set_fields = [k for k, v in self.__dict__.items() if v is not None]
        if len(set_fields) != 1:
            raise ValueError(f"a match clause needs exactly one of its keys, got {set_fields or 'none'}")
        return self


class Model(_Strict):
    """A model as one provider sells it."""

    id: str = Field(description="Canonical model id within the provider.")
    name: str | None = None
    aliases: list[str] = Field(default_factory=list, description="Other exact names that mean this model.")
    match: Match | None = Field(None, description="Clause tree for other names (dated snapshots...).")
    context_window: int | None = Field(None, ge=0)
    deprecated: bool = False
    prices: list[Period] = Field(default_factory=list, description="Standard price history, by date.")
    tier_prices: dict[NonStandardTier, list[TierPeriod]] = Field(default_factory=dict)
    source: str | None = None
    checked: dt.date | None = None


class Provider(_Strict):
    """A provider as a layer defines it: its names, the providers whose models it also serves, its pricing
    pages and the models it sells."""

    id: str
    name: str | None = None
    aliases: list[str] = Field(default_factory=list, description="Other names of the provider.")
    match: Match | None = None
    fallback_providers: list[str] = Field(
        default_factory=list, description="Providers whose models this one also serves (Azure → OpenAI)."
    )
    pricing_urls: list[str] = Field(default_factory=list)
    models: list[Model] = Field(default_factory=list)


class ModelSelector(_Strict):
    """Which models a rule applies to: a provider and (optionally) model ids; None means all."""

    provider: str
    models: list[str] | None = Field(None, description="Canonical model ids; None for every model.")


class TierRule(ModelSelector):
    """A non-standard tier priced as a multiple of the standard rates, from a date. An explicit
    tier price (TierPeriod) in force takes precedence over a rule."""

    tier: NonStandardTier
    backdate_explicit: bool = Field(
        False,
        description="Where the model has explicit prices for the tier from a later date, apply the "
        "earliest of them from `valid_from`.",
    )
    multiplier: Multiplier | None = Field(
        None, description="Otherwise, the tier's token rates are the standard ones times this; fees stay."
    )
    valid_from: UtcDatetime
    valid_to: UtcDatetime | None = None
    source: str
    checked: dt.date
    note: str | None = None

    @model_validator(mode="after")
    def _something(self) -> TierRule:
        if not self.backdate_explicit and self.multiplier is None:
            raise ValueError("a tier rule needs 'backdate_explicit: true' or a 'multiplier'")
        return self


class ResidencyRule(ModelSelector):
    """A data-residency or regional uplift on token rates, by the ledger's `region` value."""

    regions: list[str] = Field(
        description="Region values (lower-case) the uplift applies to; '*' for any region not excluded."
    )
    except_regions: list[str] = Field(default_factory=list)
    multiplier: Multiplier
    valid_from: UtcDatetime
    valid_to: UtcDatetime | None = None
    source: str
    checked: dt.date
    note: str | None = None


class ModalityRule(ModelSelector):
    """Modalities a provider bills at the text rate of their bucket, as its pricing page states
    (e.g. Google: one input price for "text / image / video"). Only a rate the model leaves out is
    filled; a model's own modality rate always wins."""

    rates: list[ModalityRate] = Field(
        min_length=1, description="Modality rates taken as the bucket's text rate when left out."
    )
    valid_from: UtcDatetime
    valid_to: UtcDatetime | None = None
    source: str
    checked: dt.date
    note: str | None = None


class Discount(_Strict):
    """A negotiated or committed-use discount from a user price sheet, multiplying every rate."""

    provider: str | None = Field(None, description="Provider id; None for every provider.")
    models: list[str] | None = None
    service_tiers: list[ServiceTier] | None = None
    multiplier: Multiplier | None = None
    percent_off: Annotated[Decimal, Field(ge=0, lt=100)] | None = None
    valid_from: UtcDatetime | None = None
    valid_to: UtcDatetime | None = None
    source: str
    note: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Discount:
        if (self.multiplier is None) == (self.percent_off is None):
            raise ValueError("a discount needs exactly one of 'multiplier' or 'percent_off'")
        return self

    @property
    def factor(self) -> Decimal:
        """What every rate is multiplied by: `multiplier`, or (100 - `percent_off`) / 100."""
        if self.multiplier is not None:
            return self.multiplier
        assert self.percent_off is not None
        return (Decimal(100) - self.percent_off) / Decimal(100)


class ModelPrices(_Strict):
    """Overlay or sheet entry for one model: new dated prices (merged into the model's history by
    date, or replacing it), or a whole new model when the provider/model is unknown."""

    provider: str
    model: str
    history: Literal["merge", "replace"] = Field(
        "merge", description="'replace' drops the earlier layers' history of this model."
    )
    name: str | None = None
    aliases: list[str] = Field(default_factory=list)
    match: Match | None = None
    context_window: int | None = None
    periods: list[Period] = Field(default_factory=list)
    tier_prices: dict[NonStandardTier, list[TierPeriod]] = Field(default_factory=dict)
    source: str
    checked: dt.date


class Sheet(_Strict):
    """A layer over the book: our overlay, or a user's price sheet (negotiated discounts,
    committed-use rates, custom models)."""

    version: Literal[1] = 1
    description: str | None = None
    providers: list[Provider] = Field(default_factory=list, description="New providers.")
    models: list[ModelPrices] = Field(default_factory=list)
    tier_rules: list[TierRule] = Field(default_factory=list)
    residency_rules: list[ResidencyRule] = Field(default_factory=list)
    modality_rules: list[ModalityRule] = Field(default_factory=list)
    discounts: list[Discount] = Field(default_factory=list)


class BaseBook(_Strict):
    """The converted bulk of the book (from the genai-prices package's data)."""

    source_package: str
    source_version: str
    source_url: str
    converted: dt.date
    providers: list[Provider]
