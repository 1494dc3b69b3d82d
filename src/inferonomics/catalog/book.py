"""The price book: API prices with history, in layers, and the resolver that says which rates apply.

`PriceBook.resolve` is the single source of truth for "what rates apply to this request": the
vectorized billing engine tabulates it (see `billing/rates.py`) and `PriceBook.quote` uses it
directly for one request. Resolution, in order:

1. the model's standard period in force at the instant (the latest `valid_from` not after it);
2. a time-of-day window of that period, if the request falls in one (the first match wins);
3. a long-context tier: all tokens at the tier's rates when total input exceeds its threshold;
4. for batch / flex / priority: explicit tier prices in force (rates left out keep the standard
   rate), else a tier rule (backdated explicit prices or a multiple of standard), else unpriced.
   Explicit prices apply as they are only over the standard period they were quoted against (the
   one in force at their date); over another standard period each rate is the
   standard rate in force scaled by their ratio to the standard they were quoted against, so a
   later tier price is never carried back across a standard price change;
5. a residency uplift on token rates by the request's region;
6. the discounts of user price sheets;
7. fallbacks for rates left out: cache reads and 5-minute writes at the input rate, 1-hour and
   other writes at the 5-minute write rate, reasoning at the output rate; a modality rate (audio,
   image, video) only where a modality rule says the provider bills it at the text rate, else
   none (its tokens leave the request unpriced).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from inferonomics.catalog.matching import (
    PROVIDER_ALIASES,
    clause_matches,
    exact_names,
    nearest,
    normalize_compact_date,
)
from inferonomics.errors import PriceBookError

if TYPE_CHECKING:
    import pyarrow as pa
    import yaml

    from inferonomics.catalog.schema import (
        BaseBook,
        Discount,
        Match,
        ModalityRule,
        ModelPrices,
        Period,
        Provider,
        Rates,
        ResidencyRule,
        Sheet,
        Tier,
        TierPeriod,
        TierRule,
        Window,
    )

EPOCH_MIN = dt.datetime(1, 1, 1)
BOOK_MODULES = (
    "inferonomics.catalog.book",
    "inferonomics.catalog.schema",
    "inferonomics.catalog.matching",
)
"""The code that parses the packaged book: a change to it invalidates the cached parse."""
MAX_NAME = 300
"""Longer provider or model names are not looked up (nor matched for suggestions)."""
_E = TypeVar("_E", "PeriodEntry", "TierEntry")


@dataclass(frozen=True)
class Origin:
    """Where a price came from: the layer and the entry's own source."""

    layer: str
    source: str | None = None
    checked: dt.date | None = None
    note: str | None = None

    def describe(self) -> str:
        """The origin on one line, for listings: the layer, then the source and the date checked where
        known, comma-separated."""
        parts = [self.layer]
        if self.source:
            parts.append(self.source)
        if self.checked:
            parts.append(f"checked {self.checked.isoformat()}")
        return ", ".join(parts)


@dataclass(frozen=True)
class PeriodEntry:
    """A standard-price period of one model, with the origin (layer and source) it came from."""

    period: Period
    origin: Origin

    @property
    def valid_from(self) -> dt.datetime:
        """The instant (naive UTC) the period starts; a period without a date starts at `EPOCH_MIN`, before
        any request."""
        return self.period.valid_from or EPOCH_MIN


@dataclass(frozen=True)
class TierEntry:
    """Explicit prices of one non-standard service tier (batch, flex, priority) from a date, with the
    origin they came from."""

    period: TierPeriod
    origin: Origin

    @property
    def valid_from(self) -> dt.datetime:
        """The instant (naive UTC) the tier prices start; prices without a date start at `EPOCH_MIN`,
        before any request."""
        return self.period.valid_from or EPOCH_MIN


@dataclass
class BookModel:
    """A model as one provider sells it, merged over every layer: its names, its standard price periods and
    its explicit tier prices (each sorted by `valid_from`)."""

    provider_id: str
    id: str
    name: str | None
    aliases: list[str]
    match: Match | None
    context_window: int | None
    deprecated: bool
    periods: list[PeriodEntry] = field(repr=False)
    tier_periods: dict[str, list[TierEntry]] = field(repr=False)
    origin: Origin = field(repr=False)

    def matches(self, name: str) -> bool:
        """Whether `name` (already lower-cased) means this model: its id, one of its aliases, or a name its
        clause tree matches."""
        if name == self.id.lower() or name in (a.lower() for a in self.aliases):
            return True
        return self.match is not None and clause_matches(self.match, name)

    def names(self) -> list[str]:
        """The exact names of this model, for suggestions: its id, its aliases, then the `equals` names of
        its clause tree (as spelled in the book)."""
        return [self.id, *self.aliases, *exact_names(self.match)]

    @property
    def key(self) -> str:
        """The `provider/model` key the book names this model by (the provider that lists it, not the
        ledger's)."""
        return f"{self.provider_id}/{self.id}"


@dataclass
class BookProvider:
    """A provider in the book: its names, the providers whose models it also serves, its pricing pages and
    its models (in match order: models added by later layers come first)."""

    id: str
    name: str | None
    aliases: list[str]
    match: Match | None
    fallback_providers: list[str]
    pricing_urls: list[str]
    models: list[BookModel] = field(default_factory=list, repr=False)

    @cached_property
    def by_id(self) -> dict[str, BookModel]:
        """The provider's own models by canonical id (computed once; dropped when a layer adds a model)."""
        return {m.id: m for m in self.models}


@dataclass(frozen=True)
class Resolved:
    """Rates in force for one request (USD per million tokens / per 1,000), after every rule.
    A rate of None has no price in the book: using it leaves the request unpriced."""

    input_usd_per_mtok: Decimal | None
    cache_read_usd_per_mtok: Decimal | None
    cache_write_5m_usd_per_mtok: Decimal | None
    cache_write_1h_usd_per_mtok: Decimal | None
    cache_write_other_usd_per_mtok: Decimal | None
    output_usd_per_mtok: Decimal | None
    reasoning_usd_per_mtok: Decimal | None
    web_search_usd_per_k: Decimal | None
    request_usd_per_k: Decimal
    entry: str
    origins: tuple[Origin, ...]
    modality: dict[str, Decimal | None] = field(default_factory=dict)
    """Modality rates (`input_audio_usd_per_mtok`...); one absent or None has no price."""

    def rate(self, name: str) -> Decimal | None:
        """The rate called `name` (a `Rates` field, e.g. `input_usd_per_mtok`), or None where the book has
        no price for it."""
        from inferonomics.catalog.schema import MODALITY_RATE_FIELDS

        if name in MODALITY_RATE_FIELDS:
            return self.modality.get(name)
        value: Decimal | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class Unpriced:
    """Why a request cannot be priced (unknown provider or model, no price in force, no price for a tier or
    a token class): `reason` is the sentence the quarantine shows."""

    reason: str


@dataclass(frozen=True)
class ModelMatch:
    """The book's model for a ledger's (provider, model) names; the model may belong to another provider
    when the ledger's provider falls back to it (Azure serving OpenAI's models)."""

    provider: BookProvider
    """The provider named in the ledger (rules are keyed on it)."""
    model: BookModel


@dataclass(frozen=True)
class Quote:
    """The price of one request, by component, in USD (exact)."""

    input_usd: Decimal
    cache_read_usd: Decimal
    cache_write_usd: Decimal
    output_usd: Decimal
    fees_usd: Decimal
    total_usd: Decimal
    rates: Resolved


MAX_SHEET_BYTES = 1 << 20
"""A price sheet larger than this (1 MiB) is refused: the packaged book is far smaller."""
MAX_SHEET_NODES = 100_000
"""A sheet whose YAML, with every alias expanded, has more nodes than this is refused (aliases
nested in aliases expand exponentially: a few hundred bytes can stand for gigabytes)."""


@functools.cache
def _decimal_yaml_loader() -> type[yaml.SafeLoader]:
    """A YAML loader reading floats as exact decimals (made on first use: a bill whose book is
    cached reads no YAML)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | str:
        value = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]  # a ScalarNode
        try:
            number = Decimal(value)
        except ArithmeticError:  # .inf, .nan: left as text, which the schema refuses by field
            return value
        return number if number.is_finite() else value

    def construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int | str:
        value = str(loader.construct_scalar(node))  # type: ignore[arg-type]  # a ScalarNode
        if ":" in value:  # YAML 1.1 reads 1:30 as 90 (base 60): left as text, refused by field
            return value
        return yaml.SafeLoader.construct_yaml_int(loader, node)  # type: ignore[arg-type]  # a ScalarNode

    Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
    Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    return Loader


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Nodes in the document once every alias is expanded (shared nodes counted each time used)."""
    import yaml

    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_SHEET_NODES + 1  # a cycle (a recursive alias) counts as too large
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, sizes) for v in node.value)
    else:
        size = 1
    sizes[id(node)] = min(size, MAX_SHEET_NODES + 1)
    return sizes[id(node)]


def _load_yaml(path: Path, text: str) -> object:
    loader = _decimal_yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_SHEET_NODES:
            raise PriceBookError(
                f"{path}: its YAML aliases expand to more than {MAX_SHEET_NODES:,} nodes; "
                "write the entries out (a price sheet needs no nested aliases)"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def sheet_bytes(path: Path) -> bytes:
    """A price sheet's bytes (at most `MAX_SHEET_BYTES`; errors name the file)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SHEET_BYTES + 1)
    except OSError as e:
        raise PriceBookError(f"{path}: cannot read price sheet: {e.strerror}") from e
    if len(data) > MAX_SHEET_BYTES:
        raise PriceBookError(f"{path}: a price sheet over {MAX_SHEET_BYTES:,} bytes; split it into several")
    return data


def read_sheet(path: Path, data: bytes | None = None) -> Sheet:
    """Load a price sheet (YAML; its `data` when already read), with floats read as exact decimals.
    Errors name the file; the sheet's size and the expansion of its aliases are bounded
    (`MAX_SHEET_BYTES`, `MAX_SHEET_NODES`)."""
    import yaml
    from pydantic import ValidationError

    from inferonomics.catalog.schema import Sheet

    if data is None:
        data = sheet_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PriceBookError(
            f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start:,}); save it as UTF-8"
        ) from None
    try:
        raw = _load_yaml(path, text)
    except yaml.YAMLError as e:
        raise PriceBookError(f"{path}: not valid YAML: {' '.join(str(e).split())}") from e
    except RecursionError:
        raise PriceBookError(f"{path}: YAML nested too deep to read") from None
    if not isinstance(raw, dict):
        raise PriceBookError(f"{path}: a price sheet is a YAML mapping (with 'models:', 'discounts:'...)")
    try:
        return Sheet.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors()[:10]:
            loc = ".".join(str(x) for x in err["loc"])
            lines.append(f"{loc}: {err['msg']}")
        more = f"; and {len(e.errors()) - 10} more" if len(e.errors()) > 10 else ""
        raise PriceBookError(f"{path}: invalid price sheet: " + "; ".join(lines) + more) from e


def _band(rates: Rates, tiers: Sequence[Tier], input_total: int) -> tuple[Rates, int | None]:
    chosen: Tier | None = None
    for tier in tiers:
        if input_total > tier.above_input_tokens and (
            chosen is None or tier.above_input_tokens > chosen.above_input_tokens
        ):
            chosen = tier
    if chosen is None:
        return rates, None
    return chosen.rates.merged_over(rates), chosen.above_input_tokens


def window_active(window: Window, weekday: int, tod_seconds: int) -> bool:
    """Whether a window covers a UTC weekday (Monday = 0) and second of the day."""
    from inferonomics.catalog.schema import WEEKDAYS

    days = {WEEKDAYS.index(d) for d in window.weekdays}
    start = window.start.hour * 3600 + window.start.minute * 60 + window.start.second
    end = window.end.hour * 3600 + window.end.minute * 60 + window.end.second
    if start < end:
        return weekday in days and start <= tod_seconds < end
    # Runs past midnight: the part after midnight belongs to the previous day's window.
    return (weekday in days and tod_seconds >= start) or ((weekday - 1) % 7 in days and tod_seconds < end)


def _scale(rates: Rates, factor: Decimal, fields: Iterable[str]) -> Rates:
    update = {}
    for name in fields:
        value = getattr(rates, name)
        if value is not None:
            update[name] = value * factor
    return rates.model_copy(update=update)


def _fmt_k(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _selected(rule_provider: str, rule_models: list[str] | None, provider_id: str, model_id: str) -> bool:
    return rule_provider == provider_id and (rule_models is None or model_id in rule_models)


def _active(valid_from: dt.datetime | None, valid_to: dt.datetime | None, instant: dt.datetime) -> bool:
    return (valid_from is None or valid_from <= instant) and (valid_to is None or instant < valid_to)


class PriceBook:
    """API prices with history. Load with `PriceBook.load()`; add user sheets with `sheets=`."""

    def __init__(self, base: BaseBook) -> None:
        origin = Origin(layer=f"{base.source_package} {base.source_version}", source=base.source_url)
        self.base_origin = origin
        self.layers: list[str] = [origin.layer]
        self.providers: dict[str, BookProvider] = {}
        self.tier_rules: list[tuple[TierRule, Origin]] = []
        self.residency_rules: list[tuple[ResidencyRule, Origin]] = []
        self.modality_rules: list[tuple[ModalityRule, Origin]] = []
        self.discounts: list[tuple[Discount, Origin]] = []
        for p in base.providers:
            self._add_provider(p, origin)
        self._model_cache: dict[tuple[str, str], ModelMatch | Unpriced] = {}
        self.fingerprint: str | None = None
        """A name of the book's content (see `load`); rate tables are cached under it."""

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, sheets: Sequence[Path | str] = (), *, overlay: bool = True) -> PriceBook:
        """The packaged book (genai-prices bulk + our overlay), with user sheets on top.

        The packaged book is parsed once and then read from the user cache (`inferonomics.cache`);
        without sheets it is read only when first used (a bill whose rate table is cached never
        reads it). `fingerprint` names the content of every layer (None once the book is changed
        by hand with `add_sheet`)."""
        key = cls._packaged_key(overlay)
        if not sheets and key is not None:
            book = cls.__new__(cls)
            book.__dict__.update(fingerprint=key, _pending=overlay)
            return book
        book = cls._packaged(overlay)
        layers: list[object] = [key]
        for sheet in sheets:
            path = Path(sheet)
            data = sheet_bytes(path)
            book.add_sheet(read_sheet(path, data), f"price sheet {path.name}")
            layers.append((path.name, hashlib.sha256(data).hexdigest()))
        if key is not None:
            from inferonomics import cache

            book.fingerprint = cache.digest(layers)
        return book

    def _materialize(self) -> None:
        """Read a deferred book (see `load`); nothing for a book already read."""
        if "_pending" not in self.__dict__:
            return
        overlay = self.__dict__.pop("_pending")
        fingerprint = self.__dict__["fingerprint"]
        self.__dict__.update(type(self)._packaged(overlay).__dict__)
        self.__dict__["fingerprint"] = fingerprint

    def __getstate__(self) -> dict[str, Any]:
        # A copy (copy.copy, deepcopy, pickle) of a deferred book is of the book read.
        self._materialize()
        return dict(self.__dict__)

    if not TYPE_CHECKING:  # hidden from type checkers, which would then accept any attribute

        def __getattr__(self, name: str) -> Any:
            # A deferred book is read on first use of anything but its fingerprint...
            if name.startswith("__") or "_pending" not in self.__dict__:
                raise AttributeError(name)
            self._materialize()
            return getattr(self, name)

        def __setattr__(self, name: str, value: Any) -> None:
            # ... and before anything of it is replaced.
            if name != "fingerprint":
                self._materialize()
            object.__setattr__(self, name, value)

    @staticmethod
    def _packaged_key(overlay: bool) -> str | None:
        """The cache key of the packaged book: the content of its data files and the source of the
        code that parses them (None when the files cannot be read: then nothing is cached)."""
        from inferonomics import cache

        data = resources.files("inferonomics.catalog") / "data"
        try:
            with resources.as_file(data) as folder:
                files = [folder / "genai_prices.json", folder / "overlay.yaml"]
                return cache.digest([cache.source_digest(*BOOK_MODULES), cache.file_digest(files), overlay])
        except OSError:
            return None

    @classmethod
    def _packaged(cls, overlay: bool) -> PriceBook:
        """The packaged book, from the user cache when it holds it (see `load`)."""
        from inferonomics import cache
        from inferonomics.catalog.schema import BaseBook

        data = resources.files("inferonomics.catalog") / "data"

        def parse() -> PriceBook:
            book = cls(BaseBook.model_validate_json((data / "genai_prices.json").read_text()))
            if overlay:
                with resources.as_file(data / "overlay.yaml") as path:
                    book.add_sheet(read_sheet(path), "inferonomics overlay")
            return book

        key = cls._packaged_key(overlay)
        if key is None:
            return parse()
        book = cache.cached("price-book", key, parse, lambda v: isinstance(v, PriceBook))
        book.fingerprint = key
        return book

    def _add_provider(self, p: Provider, origin: Origin) -> None:
        if p.id in self.providers:
            raise PriceBookError(f"{origin.layer}: provider '{p.id}' is already in the book")
        bp = BookProvider(
            id=p.id,
            name=p.name,
            aliases=list(p.aliases),
            match=p.match,
            fallback_providers=list(p.fallback_providers),
            pricing_urls=list(p.pricing_urls),
        )
        for m in p.models:
            model_origin = replace(origin, source=m.source or origin.source, checked=m.checked)
            bp.models.append(
                BookModel(
                    provider_id=p.id,
                    id=m.id,
                    name=m.name,
                    aliases=list(m.aliases),
                    match=m.match,
                    context_window=m.context_window,
                    deprecated=m.deprecated,
                    periods=sorted(
                        (PeriodEntry(per, self._period_origin(per, model_origin)) for per in m.prices),
                        key=lambda e: e.valid_from,
                    ),
                    tier_periods={
                        tier: sorted(
                            (TierEntry(tp, model_origin) for tp in tps),
                            key=lambda e: e.valid_from,
                        )
                        for tier, tps in m.tier_prices.items()
                    },
                    origin=model_origin,
                )
            )
        self.providers[p.id] = bp

    @staticmethod
    def _period_origin(period: Period, model_origin: Origin) -> Origin:
        return replace(
            model_origin,
            source=period.source or model_origin.source,
            checked=period.checked or model_origin.checked,
            note=period.note,
        )

    def add_sheet(self, sheet: Sheet, layer: str) -> None:
        """Apply a layer: new providers, dated model prices, tier and residency rules, discounts."""
        self.layers.append(layer)
        self.fingerprint = None  # changed by hand: nothing cached under its old name applies
        self._model_cache.clear()
        self.__dict__.pop("grid", None)
        origin = Origin(layer=layer)
        for p in sheet.providers:
            self._add_provider(p, origin)
        for entry in sheet.models:
            self._apply_model_prices(entry, layer)
        for rule in sheet.tier_rules:
            self._check_provider(rule.provider, layer)
            self.tier_rules.append((rule, Origin(layer, rule.source, rule.checked, rule.note)))
        for rrule in sheet.residency_rules:
            self._check_provider(rrule.provider, layer)
            self.residency_rules.append((rrule, Origin(layer, rrule.source, rrule.checked, rrule.note)))
        for mrule in sheet.modality_rules:
            self._check_provider(mrule.provider, layer)
            self.modality_rules.append((mrule, Origin(layer, mrule.source, mrule.checked, mrule.note)))
        for d in sheet.discounts:
            if d.provider is not None:
                self._check_provider(d.provider, layer)
            self.discounts.append((d, Origin(layer, d.source, None, d.note)))

    def _check_provider(self, provider_id: str, layer: str) -> None:
        if provider_id not in self.providers:
            hint = nearest(provider_id, self.providers)
            raise PriceBookError(
                f"{layer}: unknown provider '{provider_id}'"
                + (f" (nearest: {', '.join(hint)})" if hint else "")
                + "; define it under 'providers:' first"
            )

    def _apply_model_prices(self, entry: ModelPrices, layer: str) -> None:
        from inferonomics.catalog.schema import Match

        if entry.provider not in self.providers:
            self._check_provider(entry.provider, layer)
        provider = self.providers[entry.provider]
        origin = Origin(layer=layer, source=entry.source, checked=entry.checked)
        periods = [PeriodEntry(p, self._period_origin(p, origin)) for p in entry.periods]
        tiers = {t: [TierEntry(tp, origin) for tp in tps] for t, tps in entry.tier_prices.items()}
        model = provider.by_id.get(entry.model)
        if model is None:
            if not entry.periods:
                hint = nearest(entry.model, provider.by_id)
                raise PriceBookError(
                    f"{layer}: model '{entry.model}' is not in the book for {entry.provider}"
                    + (f" (nearest: {', '.join(hint)})" if hint else "")
                    + "; a new model needs 'periods:' with its prices"
                )
            model = BookModel(
                provider_id=provider.id,
                id=entry.model,
                name=entry.name,
                aliases=list(entry.aliases),
                match=entry.match,
                context_window=entry.context_window,
                deprecated=False,
                periods=[],
                tier_periods={},
                origin=origin,
            )
            # Models defined by later layers are matched first: a user's definition wins.
            provider.models.insert(0, model)
            provider.__dict__.pop("by_id", None)
        else:
            model.aliases.extend(entry.aliases)
            if entry.match is not None:
                model.match = (
                    Match.model_validate({"or": [model.match, entry.match]}) if model.match else entry.match
                )
        if entry.history == "replace":
            model.periods = []
            if entry.tier_prices:
                model.tier_periods = {}
        model.periods = self._merge(model.periods, periods)
        for tier, new in tiers.items():
            model.tier_periods[tier] = self._merge(model.tier_periods.get(tier, []), new)

    @staticmethod
    def _merge(old: list[_E], new: list[_E]) -> list[_E]:
        starts = {e.valid_from for e in new}
        merged: list[_E] = [e for e in old if e.valid_from not in starts]
        merged.extend(new)
        return sorted(merged, key=lambda e: e.valid_from)

    @cached_property
    def grid(self) -> tuple[int, list[int]]:
        """(seconds, thresholds): every instant at which any price in the book changes, and every
        window edge, falls on a multiple of `seconds` within the day; `thresholds` are all the
        long-context tier thresholds. Rates are constant on each cell of this grid, which lets
        rollups price pre-aggregated cells instead of rows."""
        step = 86400
        thresholds: set[int] = set()

        def instant(v: dt.datetime | None) -> None:
            nonlocal step
            if v is not None:
                step = math.gcd(step, v.hour * 3600 + v.minute * 60 + v.second)

        def clock(t: dt.time) -> None:
            nonlocal step
            step = math.gcd(step, t.hour * 3600 + t.minute * 60 + t.second)

        for p in self.providers.values():
            for m in p.models:
                for e in m.periods:
                    instant(e.period.valid_from)
                    thresholds |= {t.above_input_tokens for t in e.period.tiers}
                    for w in e.period.windows:
                        clock(w.start)
                        clock(w.end)
                        thresholds |= {t.above_input_tokens for t in w.tiers}
                for entries in m.tier_periods.values():
                    for te in entries:
                        instant(te.period.valid_from)
                        thresholds |= {t.above_input_tokens for t in te.period.tiers}
        for rule, _ in self.tier_rules:
            instant(rule.valid_from)
            instant(rule.valid_to)
        for rrule, _ in self.residency_rules:
            instant(rrule.valid_from)
            instant(rrule.valid_to)
        for mrule, _ in self.modality_rules:
            instant(mrule.valid_from)
            instant(mrule.valid_to)
        for d, _ in self.discounts:
            instant(d.valid_from)
            instant(d.valid_to)
        return step, sorted(thresholds)

    # -- finding providers and models ------------------------------------------------------

    def find_provider(self, name: str) -> BookProvider | None:
        """The provider called `name` (any case): by id, then by the OpenTelemetry and gateway aliases,
        then by the providers' own aliases, then by their clause trees; None if none matches."""
        key = name.strip().lower()
        if key in self.providers:
            return self.providers[key]
        alias = PROVIDER_ALIASES.get(key)
        if alias is not None and alias in self.providers:
            return self.providers[alias]
        for p in self.providers.values():
            if key in (a.lower() for a in p.aliases):
                return p
        for p in self.providers.values():
            if p.match is not None and clause_matches(p.match, key):
                return p
        return None

    def find_model(self, provider_name: str, model_name: str) -> ModelMatch | Unpriced:
        """The book's model for a ledger's (provider, model) names, or why there is none."""
        cache_key = (provider_name, model_name)
        found = self._model_cache.get(cache_key)
        if found is None:
            found = self._find_model(provider_name, model_name)
            self._model_cache[cache_key] = found
        return found

    def _find_model(self, provider_name: str, model_name: str) -> ModelMatch | Unpriced:
        for what, name in (("provider", provider_name), ("model", model_name)):
            if len(name) > MAX_NAME:
                return Unpriced(f"{what} name is {len(name):,} characters long: not a {what} name")
        provider = self.find_provider(provider_name)
        if provider is None:
            hint = nearest(provider_name, [*self.providers, *PROVIDER_ALIASES])
            return Unpriced(
                f"unknown provider '{provider_name}'" + (f" (nearest: {', '.join(hint)})" if hint else "")
            )
        name = model_name.strip().lower()
        candidates = [name, normalize_compact_date(name)]
        prefix, _, rest = name.partition("/")
        if rest and self.find_provider(prefix) is not None:  # "anthropic/claude-..." (LiteLLM style)
            candidates += [rest, normalize_compact_date(rest)]
        for candidate in dict.fromkeys(candidates):
            model = self._match_in(provider, candidate)
            if model is not None:
                return ModelMatch(provider=provider, model=model)
        pool = [n for m in provider.models for n in m.names()]
        hint = nearest(model_name, pool)
        return Unpriced(
            f"unknown model '{model_name}' for provider '{provider.id}'"
            + (f" (nearest: {', '.join(hint)})" if hint else "")
        )

    def _match_in(self, provider: BookProvider, name: str) -> BookModel | None:
        for m in provider.models:
            if m.matches(name):
                return m
        for fallback_id in provider.fallback_providers:
            fallback = self.providers.get(fallback_id)
            if fallback is not None:
                for m in fallback.models:
                    if m.matches(name):
                        return m
        return None

    def model_names(self, provider_id: str | None = None) -> list[str]:
        """`provider/model` keys of every model (of one provider), for listings and suggestions."""
        return [m.key for p in self.providers.values() if provider_id in (None, p.id) for m in p.models]

    # -- resolving rates -------------------------------------------------------------------

    def _standard(
        self, model: BookModel, instant: dt.datetime, weekday: int, tod: int, input_total: int
    ) -> tuple[Rates, list[str], list[Origin]] | Unpriced:
        entry = self._period_at(model, instant)
        if entry is None:
            if not model.periods:
                return Unpriced(f"no prices in the book for {model.key}")
            first = model.periods[0].valid_from
            return Unpriced(
                f"no price for {model.key} before {first.isoformat(sep=' ')}Z"
                " (dated before the model was sold: its first price is not applied backwards)"
            )
        label = [model.key]
        if entry.period.valid_from is not None:
            label.append(f"from {entry.period.valid_from.date().isoformat()}")
        rates, tiers = entry.period.rates, entry.period.tiers
        for w in entry.period.windows:
            if window_active(w, weekday, tod):
                rates, tiers = w.rates, w.tiers
                label.append(f"{w.label} {w.start.strftime('%H:%M')}-{w.end.strftime('%H:%M')}")
                break
        rates, above = _band(rates, tiers, input_total)
        if above is not None:
            label.append(f">{_fmt_k(above)} input")
        return rates, label, [entry.origin]

    @staticmethod
    def _period_at(model: BookModel, instant: dt.datetime) -> PeriodEntry | None:
        """The standard period of `model` in force at `instant` (None before its first)."""
        entry: PeriodEntry | None = None
        for e in model.periods:
            if e.valid_from <= instant:
                entry = e
            else:
                break
        return entry

    def _explicit(
        self,
        model: BookModel,
        entries: list[TierEntry],
        instant: dt.datetime,
        input_total: int,
        standard: Rates,
    ) -> tuple[Rates, bool]:
        """Rates of a tier from its explicit prices (`entries`: those in force, or the earliest one when
        backdated), and whether they had to be derived. Explicit prices are quoted against the standard
        period in force at their date: they apply as they are over that period; over another standard
        period (before a price change, or after one) each rate is the standard rate in force times the
        ratio of the explicit price to the standard price it was quoted against, in the long-context
        band the explicit prices name, if any (a rate they leave out stays standard)."""
        from inferonomics.catalog.schema import TOKEN_RATE_FIELDS, Rates

        explicit = Rates()
        above: int | None = None
        for e in entries:
            banded, above = _band(e.period.rates, e.period.tiers, input_total)
            explicit = banded.merged_over(explicit)
        quoted = self._period_at(model, entries[-1].valid_from)
        if quoted is None or quoted is self._period_at(model, instant):
            return explicit.merged_over(standard), False
        against = quoted.period.rates
        if above is not None:
            against = _band(against, quoted.period.tiers, input_total)[0]
        update: dict[str, Decimal | None] = {}
        for name, value in explicit.model_dump(exclude_none=True).items():
            base, now = getattr(against, name), getattr(standard, name)
            if name not in TOKEN_RATE_FIELDS or base is None or base == 0 or now is None:
                update[name] = value  # a fee, or no standard price to scale: the explicit price as is
            else:
                update[name] = now * value / base
        return standard.model_copy(update=update), True

    def _tier(
        self,
        ledger_provider: str,
        model: BookModel,
        tier: str,
        instant: dt.datetime,
        input_total: int,
        standard: Rates,
    ) -> tuple[Rates, str, list[Origin]] | Unpriced:
        from inferonomics.catalog.schema import TOKEN_RATE_FIELDS

        explicit = model.tier_periods.get(tier, [])
        active = [e for e in explicit if e.valid_from <= instant]
        if active:
            rates, derived = self._explicit(model, active, instant, input_total, standard)
            since = active[-1].valid_from.date().isoformat()
            label = f"{tier}: {since} prices scaled to standard" if derived else f"{tier}: explicit"
            return rates, label, [active[-1].origin]
        for rule, origin in reversed(self.tier_rules):
            if rule.tier != tier or not _active(rule.valid_from, rule.valid_to, instant):
                continue
            if not (
                _selected(rule.provider, rule.models, model.provider_id, model.id)
                or _selected(rule.provider, rule.models, ledger_provider, model.id)
            ):
                continue
            if rule.backdate_explicit and explicit:
                first = explicit[0]
                rates, derived = self._explicit(model, [first], instant, input_total, standard)
                since = first.valid_from.date().isoformat()
                how = "scaled to standard" if derived else "backdated"
                return rates, f"{tier}: {since} prices {how}", [origin, first.origin]
            if rule.multiplier is not None:
                scaled = _scale(standard, rule.multiplier, TOKEN_RATE_FIELDS)
                return scaled, f"{tier}: x{rule.multiplier.normalize()}", [origin]
        return Unpriced(f"no {tier} price for {model.key} at {instant.date().isoformat()}")

    def resolve(
        self,
        match: ModelMatch,
        service_tier: str,
        region: str | None,
        instant: dt.datetime,
        weekday: int,
        tod_seconds: int,
        input_total: int,
    ) -> Resolved | Unpriced:
        """Rates in force for a request. `instant` is naive UTC; `weekday` (Monday = 0) and
        `tod_seconds` (second of the UTC day) select time-of-day windows; `input_total` (uncached +
        cache reads + cache writes, per request) selects the long-context tier."""
        from inferonomics.catalog.schema import RATE_FIELDS, TOKEN_RATE_FIELDS

        model = match.model
        std = self._standard(model, instant, weekday, tod_seconds, input_total)
        if isinstance(std, Unpriced):
            return std
        rates, label, origins = std
        if service_tier != "standard":
            tiered = self._tier(match.provider.id, model, service_tier, instant, input_total, rates)
            if isinstance(tiered, Unpriced):
                return tiered
            rates, tier_label, tier_origins = tiered
            label.append(tier_label)
            origins.extend(tier_origins)
        if region:
            region_key = region.strip().lower()
            for rrule, origin in reversed(self.residency_rules):
                if not _active(rrule.valid_from, rrule.valid_to, instant):
                    continue
                if not _selected(rrule.provider, rrule.models, match.provider.id, model.id):
                    continue
                regions = {r.lower() for r in rrule.regions}
                if region_key in regions or ("*" in regions and region_key not in rrule.except_regions):
                    rates = _scale(rates, rrule.multiplier, TOKEN_RATE_FIELDS)
                    label.append(f"region {region_key} x{rrule.multiplier.normalize()}")
                    origins.append(origin)
                    break
        for d, origin in self.discounts:
            if d.provider is not None and d.provider not in (match.provider.id, model.provider_id):
                continue
            if d.models is not None and model.id not in d.models:
                continue
            if d.service_tiers is not None and service_tier not in d.service_tiers:
                continue
            if not _active(d.valid_from, d.valid_to, instant):
                continue
            rates = _scale(rates, d.factor, RATE_FIELDS)
            label.append(f"discount x{d.factor.normalize()}")
            origins.append(origin)
        at_text: set[str] = set()
        for mrule, _ in self.modality_rules:
            if _active(mrule.valid_from, mrule.valid_to, instant) and (
                _selected(mrule.provider, mrule.models, match.provider.id, model.id)
                or _selected(mrule.provider, mrule.models, model.provider_id, model.id)
            ):
                at_text.update(mrule.rates)
        return _with_fallbacks(rates, " ".join(label), tuple(origins), frozenset(at_text))

    def describe_model(
        self,
        model: str,
        *,
        provider: str | None = None,
        at: dt.datetime | None = None,
        tier: str = "standard",
        region: str | None = None,
    ) -> dict[str, Any]:
        """Everything about a model's price at an instant (default: now): the rates of every
        token class, long-context tiers and time windows, the entry and its sources, the history.
        `model` may be `PROVIDER/MODEL`; an unknown one raises `UnknownModelError` naming the
        nearest names."""
        from inferonomics.catalog.show import describe_model

        when = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return describe_model(self, model, provider=provider, at=when, tier=tier, region=region)

    def how_matched(self, provider: str, model: str) -> dict[str, Any]:
        """How a ledger's (provider, model) names meet the book: status `exact` (the model's id),
        `alias` (another name the book gives it, or a dated snapshot, version or region of one),
        `near` (priced as the model in `matched` through a prefix or pattern: worth checking) or
        `unknown` (with `reason`); see `catalog.show.how_matched`."""
        from inferonomics import cache

        def find() -> dict[str, Any]:
            from inferonomics.catalog.show import how_matched  # imports the book's models: only on a miss

            return how_matched(self, provider, model)

        if self.fingerprint is None:
            return find()
        # Cached under the book's content, like rate tables: a bill that finds both never reads the book.
        key = cache.digest(
            [cache.source_digest(*BOOK_MODULES, "inferonomics.catalog.show"), self.fingerprint]
        )
        return cache.cached(
            "matches", cache.digest([key, provider, model]), find, lambda v: isinstance(v, dict)
        )

    def stale(self, days: int, today: dt.date | None = None) -> tuple[pa.Table, int]:
        """Entries whose `checked` date is more than `days` old (oldest first), and the number of
        periods with no `checked` date (see `catalog.show.stale_entries`)."""
        from inferonomics.catalog.show import stale_entries

        return stale_entries(self, days, today or dt.datetime.now(dt.UTC).date())

    def providers_table(self) -> pa.Table:
        """The providers of the book: id, name, model count, pricing page."""
        from inferonomics.catalog.show import list_providers

        return list_providers(self)

    def models_table(self, provider: str, at: dt.datetime | None = None) -> pa.Table:
        """A provider's models with their standard input, output and cache-read rates at `at`."""
        from inferonomics.catalog.show import list_models

        return list_models(self, provider, at or dt.datetime.now(dt.UTC).replace(tzinfo=None))

    def quote(
        self,
        provider: str,
        model: str,
        *,
        at: dt.datetime,
        input_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_5m_tokens: int = 0,
        cache_write_1h_tokens: int = 0,
        cache_write_other_tokens: int = 0,
        output_tokens: int = 0,
        reasoning_tokens: int = 0,
        web_search_requests: int = 0,
        modalities: dict[str, int] | None = None,
        requests: int = 1,
        service_tier: str = "standard",
        region: str | None = None,
    ) -> Quote | Unpriced:
        """Price one request (or a bucket of `requests`) exactly, in Python. The billing engine
        gives the same figures for whole ledgers, vectorized. `modalities` holds the ledger's
        modality parts by column name (`{"input_audio_tokens": 1000}`): parts of their bucket,
        priced at their own rate, the rest of the bucket at the text rate."""
        from inferonomics.catalog.schema import MODALITY_RATE_FIELDS

        found = self.find_model(provider, model)
        if isinstance(found, Unpriced):
            return found
        instant = at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at
        total_in = input_tokens + cache_read_tokens + cache_write_5m_tokens
        total_in += cache_write_1h_tokens + cache_write_other_tokens
        per_request_in = total_in // max(requests, 1)
        tod = instant.hour * 3600 + instant.minute * 60 + instant.second
        r = self.resolve(found, service_tier, region, instant, instant.weekday(), tod, per_request_in)
        if isinstance(r, Unpriced):
            return r
        parts = {f"{k.removesuffix('_tokens')}_usd_per_mtok": v for k, v in (modalities or {}).items() if v}
        text_of = {
            bucket: total - sum(v for k, v in parts.items() if MODALITY_RATE_FIELDS[k] == bucket)
            for bucket, total in (
                ("input_usd_per_mtok", input_tokens),
                ("cache_read_usd_per_mtok", cache_read_tokens),
                ("output_usd_per_mtok", output_tokens - reasoning_tokens),
            )
        }
        need = {
            "input_usd_per_mtok": text_of["input_usd_per_mtok"],
            "cache_read_usd_per_mtok": text_of["cache_read_usd_per_mtok"],
            "cache_write_5m_usd_per_mtok": cache_write_5m_tokens,
            "cache_write_1h_usd_per_mtok": cache_write_1h_tokens,
            "cache_write_other_usd_per_mtok": cache_write_other_tokens,
            "output_usd_per_mtok": text_of["output_usd_per_mtok"],
            "reasoning_usd_per_mtok": reasoning_tokens,
            **parts,
            "web_search_usd_per_k": web_search_requests,
        }
        for name, count in need.items():
            if count and r.rate(name) is None:
                return Unpriced(missing_rate_reason(name, found.model.key))
        million, thousand = Decimal(1_000_000), Decimal(1000)

        def cost(name: str, count: int, per: Decimal) -> Decimal:
            rate = r.rate(name)
            return Decimal(0) if rate is None or not count else rate * count / per

        def bucket(name: str) -> Decimal:
            of_parts = sum(
                (cost(k, v, million) for k, v in parts.items() if MODALITY_RATE_FIELDS[k] == name), Decimal(0)
            )
            return cost(name, text_of[name], million) + of_parts

        input_usd = bucket("input_usd_per_mtok")
        read_usd = bucket("cache_read_usd_per_mtok")
        write_usd = (
            cost("cache_write_5m_usd_per_mtok", cache_write_5m_tokens, million)
            + cost("cache_write_1h_usd_per_mtok", cache_write_1h_tokens, million)
            + cost("cache_write_other_usd_per_mtok", cache_write_other_tokens, million)
        )
        output_usd = bucket("output_usd_per_mtok") + cost("reasoning_usd_per_mtok", reasoning_tokens, million)
        fees_usd = cost("web_search_usd_per_k", web_search_requests, thousand) + (
            r.request_usd_per_k * requests / thousand
        )
        total = input_usd + read_usd + write_usd + output_usd + fees_usd
        return Quote(input_usd, read_usd, write_usd, output_usd, fees_usd, total, r)


def missing_rate_reason(rate_name: str, model_key: str) -> str:
    """The unpriced reason for a request that needs a rate the book lacks, e.g. `no cache read price for
    openai/gpt-4o` for `cache_read_usd_per_mtok`, `no audio input rate for google/gemini-2.5-pro` for
    `input_audio_usd_per_mtok`."""
    from inferonomics.catalog.schema import MODALITY_RATE_FIELDS

    if rate_name in MODALITY_RATE_FIELDS:
        return f"no {modality_what(rate_name)} rate for {model_key}"
    what = rate_name.removesuffix("_usd_per_mtok").removesuffix("_usd_per_k").replace("_", " ")
    return f"no {what} price for {model_key}"


def modality_what(rate_name: str) -> str:
    """`input_audio_usd_per_mtok` -> `audio input`, `cache_read_image_usd_per_mtok` -> `image cache
    read`: the modality, then the bucket."""
    from inferonomics.catalog.schema import MODALITY_RATE_FIELDS

    bucket = MODALITY_RATE_FIELDS[rate_name].removesuffix("_usd_per_mtok")
    modality = rate_name.removeprefix(bucket + "_").removesuffix("_usd_per_mtok")
    return f"{modality} {bucket.replace('_', ' ')}"


def _with_fallbacks(
    rates: Rates, entry: str, origins: tuple[Origin, ...], at_text: frozenset[str] = frozenset()
) -> Resolved:
    from inferonomics.catalog.schema import MODALITY_RATE_FIELDS

    inp = rates.input_usd_per_mtok
    read = rates.cache_read_usd_per_mtok if rates.cache_read_usd_per_mtok is not None else inp
    w5 = rates.cache_write_5m_usd_per_mtok if rates.cache_write_5m_usd_per_mtok is not None else inp
    w1 = rates.cache_write_1h_usd_per_mtok if rates.cache_write_1h_usd_per_mtok is not None else w5
    wo = rates.cache_write_other_usd_per_mtok if rates.cache_write_other_usd_per_mtok is not None else w5
    out = rates.output_usd_per_mtok
    reasoning = rates.reasoning_usd_per_mtok if rates.reasoning_usd_per_mtok is not None else out
    text = {"input_usd_per_mtok": inp, "cache_read_usd_per_mtok": read, "output_usd_per_mtok": out}
    modality: dict[str, Decimal | None] = {}
    for name, bucket in MODALITY_RATE_FIELDS.items():
        own: Decimal | None = getattr(rates, name)
        modality[name] = own if own is not None else (text[bucket] if name in at_text else None)
    return Resolved(
        input_usd_per_mtok=inp,
        cache_read_usd_per_mtok=read,
        cache_write_5m_usd_per_mtok=w5,
        cache_write_1h_usd_per_mtok=w1,
        cache_write_other_usd_per_mtok=wo,
        output_usd_per_mtok=out,
        reasoning_usd_per_mtok=reasoning,
        web_search_usd_per_k=rates.web_search_usd_per_k,
        request_usd_per_k=rates.request_usd_per_k or Decimal(0),
        entry=entry,
        origins=origins,
        modality=modality,
    )
