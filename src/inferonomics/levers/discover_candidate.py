"""What discovery is asked and what it proposes: `DiscoveryOptions` (thresholds and the user's
input), a `Candidate` (a lever the engine bills, with its evidence) and `Chain`, several levers
applied as one playbook step."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

import yaml

from inferonomics.errors import LeverError
from inferonomics.levers.base import Lever, Scenario
from inferonomics.levers.routing import target

VERIFY = "verify with an evaluation before routing: the target model was chosen from the traffic's shape"


@dataclass(frozen=True)
class Chain:
    """Several levers applied as one playbook step (caps of several features, say)."""

    levers: tuple[Lever, ...]
    label: str
    name: ClassVar[str] = "chain"

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario after each lever in turn."""
        for lever in self.levers:
            scenario = lever.apply(scenario)
        return scenario

    def describe(self) -> str:
        """The levers' own lines, joined."""
        return "; ".join(lever.describe() for lever in self.levers)

    def assumptions(self) -> list[str]:
        """The levers' assumptions, each once."""
        return list(dict.fromkeys(a for lever in self.levers for a in lever.assumptions()))


@dataclass(frozen=True)
class Candidate:
    """One lever discovery proposes: the engine lever that bills it, the features it touches, the evidence
    (one sentence per finding, with its figures), what must hold, the risk, and flags a reader must act on
    (e.g. "verify with an evaluation")."""

    lever: str
    action: Lever
    features: list[str]
    evidence: list[str]
    assumptions: list[str]
    risk: str
    flags: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    """The figures behind the evidence, per feature, as plain data."""

    def as_dict(self) -> dict[str, Any]:
        """The candidate as plain data for JSON (its lever described in one line)."""
        return {
            "lever": self.lever,
            "description": self.action.describe(),
            "features": self.features,
            "evidence": self.evidence,
            "assumptions": self.assumptions,
            "risk": self.risk,
            "flags": self.flags,
            "detail": self.detail,
        }


_YES = {"yes", "y", "true", "1", "ok", "acceptable"}
_NO = {"no", "n", "false", "0", "unacceptable"}
MAX_QUALITY_ROWS = 100_000


@dataclass(frozen=True)
class QualityVerdicts:
    """A user's quality table: (feature, "provider/model") → acceptable."""

    verdicts: dict[tuple[str, str], bool] = field(default_factory=dict)
    source: str = "<table>"

    def for_feature(self, feature: str) -> dict[str, bool]:
        """The models the table judges for `feature`, each → acceptable."""
        return {m: ok for (f, m), ok in self.verdicts.items() if f == feature}

    @classmethod
    def load(cls, path: Path) -> QualityVerdicts:
        """The quality table in the CSV file at `path` (columns feature, model, acceptable). Raises
        `LeverError` naming the line of a row that is malformed, or a file that cannot be read."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise LeverError(f"{path}: cannot read the quality table: {e}") from None
        reader = csv.DictReader(text.splitlines())
        need = {"feature", "model", "acceptable"}
        if reader.fieldnames is None or not need <= {c.strip() for c in reader.fieldnames}:
            raise LeverError(f"{path}: a quality table has the columns feature, model, acceptable")
        out: dict[tuple[str, str], bool] = {}
        for i, raw in enumerate(reader, start=2):
            if i > MAX_QUALITY_ROWS:
                raise LeverError(f"{path}: more than {MAX_QUALITY_ROWS:,} rows")
            row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            verdict = row["acceptable"].lower()
            if verdict not in _YES | _NO:
                raise LeverError(f"{path} line {i}: acceptable is '{row['acceptable']}': yes or no")
            try:
                provider, model = target(row["model"])
            except LeverError as e:
                raise LeverError(f"{path} line {i}: {e}") from None
            if not row["feature"]:
                raise LeverError(f"{path} line {i}: the feature is empty")
            out[(row["feature"], f"{provider}/{model}")] = verdict in _YES
        return cls(out, str(path))


@dataclass(frozen=True)
class Offer:
    """A commitment a provider offers: `percent` off every rate for `monthly` USD a month at least."""

    provider: str
    percent: Decimal
    monthly: Decimal
    name: str = ""


def load_offers(path: Path) -> tuple[Offer, ...]:
    """The commitment offers in the YAML sheet at `path` (see the module docstring). Raises `LeverError`
    for a file that cannot be read or an offer without provider, percent or monthly."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise LeverError(f"{path}: cannot read the commitments sheet: {e}") from None
    except yaml.YAMLError as e:
        raise LeverError(f"{path}: not valid YAML: {e}") from None
    items = data.get("commitments") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        raise LeverError(
            f"{path}: a commitments sheet has 'commitments:', a list of provider, percent, monthly"
        )
    offers = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, Mapping) or not {"provider", "percent", "monthly"} <= set(item):
            raise LeverError(f"{path}: commitment {i} needs provider, percent and monthly")
        try:
            percent, monthly = Decimal(str(item["percent"])), Decimal(str(item["monthly"]))
        except InvalidOperation:
            raise LeverError(f"{path}: commitment {i}: percent and monthly must be numbers") from None
        if not (0 < percent < 100) or monthly < 0:
            raise LeverError(f"{path}: commitment {i}: percent is in (0, 100) and monthly >= 0")
        offers.append(Offer(str(item["provider"]), percent, monthly, str(item.get("name", ""))))
    return tuple(offers)


@dataclass(frozen=True)
class WhereOptions:
    """Where-and-when settings: the smallest saving share a route switch must bring, and the user's
    commitment offers."""

    min_saving: Decimal = Decimal("0.02")
    offers: tuple[Offer, ...] = ()
    routes: tuple[str, ...] = ("anthropic", "openai", "google", "aws", "azure", "deepseek", "mistral", "x-ai")
    """The providers a model may be switched to: the model makers' own APIs and the clouds that resell
    them (Vertex, Bedrock, Azure); a reseller's listing is not a route to the same service."""


@dataclass(frozen=True)
class DiscoveryOptions:
    """Thresholds and user input of discovery (defaults in the module docstring's terms)."""

    only: tuple[str, ...] | None = None
    skip: tuple[str, ...] = ()
    batch_features: tuple[str, ...] = ()
    """Features the user marks as not needing an answer now."""
    burst_seconds: int = 600
    burst_requests: int = 50
    burst_share: float = 0.5
    off_hours_share: float = 0.8
    interactive_share: float = 0.1
    """A feature with at least this share of requests in multi-request sessions is interactive."""
    route_max_output: int = 256
    route_max_ratio: float = 0.1
    route_min_factor: Decimal = Decimal(3)
    route_models: tuple[str, ...] | None = None
    quality: QualityVerdicts | None = None
    cap_percentile: float = 0.95
    cap_min_cut: float = 0.15
    cache_min_repeat: float = 0.3
    cache_min_tokens: int = 1024
    """A repeated prefix counts when it is, on a mean request, at least this long (the usual minimum
    cacheable prompt)."""
    cache_max_recorded: float = 0.1
    cache_writes: str = "all"
    where: WhereOptions = field(default_factory=WhereOptions)
    """Other routes and the user's commitment offers (`discover_where.py`)."""

    def with_files(self, quality: Path | None = None, commitments: Path | None = None) -> DiscoveryOptions:
        """These options with a quality table (CSV: feature, model, acceptable) and a commitments sheet
        (YAML) read from files. Raises `LeverError` for a file that cannot be read or parsed."""
        out = self
        if quality is not None:
            out = replace(out, quality=QualityVerdicts.load(quality))
        if commitments is not None:
            out = replace(out, where=replace(out.where, offers=load_offers(commitments)))
        return out

    def wants(self, lever: str) -> bool:
        """Whether discovery should look for `lever` (by --only / --skip)."""
        return (self.only is None or lever in self.only) and lever not in self.skip
