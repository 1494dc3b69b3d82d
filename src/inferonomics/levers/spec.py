"""Levers written as text, for the command line: `NAME[:KEY=VALUE,KEY=VALUE...]`.

    cache[:policy=anthropic,ttl=1h,min_tokens=1024,writes=reused,system_tokens=2500,
          capacity_blocks=50000,hit_rate=0.6,reads_per_write=5]
    batch[:share=0.5,features=summarize+classify,where=input_total>2000,tier=flex]
    route:to=anthropic/claude-haiku-4-5[,features=chat,where=input_total<4000]
    route:quality=quality.yaml[,column=feature]
    switch:from=anthropic/claude-opus-4-5,to=anthropic/claude-sonnet-4-5[,features=...]
    cap:output=2000,reasoning=4000      trim:output=0.2,reasoning=0.3   (also features=, where=)
    prices:percent=-30[,provider=openai,models=gpt-5+gpt-5-mini,from=2026-01-01]
    discount:percent=20[,provider=anthropic,models=...,tiers=standard+batch]
    commit:percent=15,monthly=10000[,provider=anthropic]

Lists are joined with `+`; rules are as in `levers/rules.py`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from inferonomics.catalog.schema import SERVICE_TIERS, ServiceTier
from inferonomics.errors import LeverError
from inferonomics.levers.assumed import AssumedCaching
from inferonomics.levers.base import Lever
from inferonomics.levers.batch import Batch
from inferonomics.levers.caching import Caching
from inferonomics.levers.caps import OutputCap
from inferonomics.levers.pricing import Commitment, Discount, PriceChange
from inferonomics.levers.routing import QualityRoute, QualityTable, Route, target
from inferonomics.levers.rules import Rule

NAMES = ("cache", "batch", "route", "switch", "cap", "trim", "prices", "discount", "commit")


def parse_ttl(text: str) -> float:
    """Seconds from `300`, `5m`, `1h`, `24h` or `inf`."""
    value = text.strip().lower()
    if value in ("inf", "none", "infinity"):
        return math.inf
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|m|min|h)?", value)
    if m is None:
        raise LeverError(f"TTL '{text}' is not seconds, 5m, 1h or inf")
    unit = {"s": 1, None: 1, "m": 60, "min": 60, "h": 3600}[m.group(2)]
    seconds = float(m.group(1)) * unit
    if seconds <= 0:
        raise LeverError(f"a TTL must be > 0, got '{text}'")
    return seconds


def _decimal(key: str, value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise LeverError(f"{key}={value}: not a number") from None
    if not number.is_finite():
        raise LeverError(f"{key}={value}: not a finite number")
    return number


def _int(key: str, value: str) -> int:
    if not re.fullmatch(r"\d+", value.replace("_", "")):
        raise LeverError(f"{key}={value}: not a whole number >= 0")
    return int(value.replace("_", ""))


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split("+") if v.strip())


def _date(key: str, value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise LeverError(f"{key}={value}: not a date (ISO 8601, e.g. 2026-01-01)") from None
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _tiers(value: str) -> tuple[ServiceTier, ...]:
    tiers = _list(value)
    bad = [t for t in tiers if t not in SERVICE_TIERS]
    if bad:
        raise LeverError(f"tiers={value}: {', '.join(bad)} not one of {', '.join(SERVICE_TIERS)}")
    return cast(tuple[ServiceTier, ...], tiers)


def _system(value: str) -> int | dict[str, int]:
    if ":" not in value:
        return _int("system_tokens", value)
    out = {}
    for part in _list(value):
        feature, _, tokens = part.partition(":")
        out[feature.strip() or "*"] = _int("system_tokens", tokens.strip())
    return out


def split(text: str) -> tuple[str, dict[str, str]]:
    """`name:k=v,k=v` → (name, {k: v})."""
    name, _, rest = text.strip().partition(":")
    params: dict[str, str] = {}
    for part in rest.split(",") if rest.strip() else []:
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise LeverError(f"lever '{text}': '{part}' is not KEY=VALUE")
        params[key.strip()] = value.strip()
    return name.strip().lower(), params


def parse_lever(text: str) -> Lever:
    """A lever from its text (see the module docstring)."""
    name, p = split(text)
    if name not in NAMES:
        raise LeverError(f"unknown lever '{name}' (one of: {', '.join(NAMES)})")
    parser = _PARSERS[name]
    allowed = _KEYS[name]
    unknown = sorted(set(p) - set(allowed))
    if unknown:
        raise LeverError(
            f"lever {name}: unknown setting {', '.join(unknown)} (settings: {', '.join(allowed)})"
        )
    return parser(p)


def _scope(p: dict[str, str]) -> dict[str, Any]:
    return {
        "features": _list(p["features"]) if "features" in p else None,
        "rule": Rule.parse(p["where"]) if "where" in p else None,
    }


_REPLAY_ONLY = ("structure", "block_tokens", "system_tokens", "writes", "capacity_blocks")


def _cache(p: dict[str, str]) -> Lever:
    if "hit_rate" in p:
        extra = [k for k in _REPLAY_ONLY if k in p]
        if extra:
            raise LeverError(
                f"cache: hit_rate assumes a share of each prompt is cached instead of replaying; "
                f"{', '.join(extra)} apply to a replay only (drop them, or drop hit_rate)"
            )
        return AssumedCaching(
            hit_rate=_decimal("hit_rate", p["hit_rate"]),
            reads_per_write=_decimal("reads_per_write", p["reads_per_write"])
            if "reads_per_write" in p
            else None,
            policy=p.get("policy"),
            ttl_seconds=parse_ttl(p["ttl"]) if "ttl" in p else None,
            min_tokens=_int("min_tokens", p["min_tokens"]) if "min_tokens" in p else None,
        )
    if "reads_per_write" in p:
        raise LeverError("cache: reads_per_write goes with hit_rate (an assumed hit rate)")
    return Caching(
        policy=p.get("policy"),
        ttl_seconds=parse_ttl(p["ttl"]) if "ttl" in p else None,
        min_tokens=_int("min_tokens", p["min_tokens"]) if "min_tokens" in p else None,
        structure=p.get("structure", "auto"),
        block_tokens=_int("block_tokens", p["block_tokens"]) if "block_tokens" in p else None,
        system_tokens=_system(p["system_tokens"]) if "system_tokens" in p else None,
        writes=p.get("writes", "all"),
        capacity_blocks=_int("capacity_blocks", p["capacity_blocks"]) if "capacity_blocks" in p else None,
    )


def _batch(p: dict[str, str]) -> Lever:
    return Batch(
        share=_decimal("share", p["share"]) if "share" in p else Decimal(1),
        tier=p.get("tier", "batch"),
        **_scope(p),
    )


def _route(p: dict[str, str]) -> Lever:
    if "quality" in p:
        if "to" in p:
            raise LeverError("route: give either quality=FILE or to=PROVIDER/MODEL, not both")
        return QualityRoute(QualityTable.load(Path(p["quality"])), column=p.get("column", "feature"))
    if "to" not in p:
        raise LeverError("route needs to=PROVIDER/MODEL (with features= or where=) or quality=FILE")
    target(p["to"])
    scope = _scope(p)
    return Route(((scope["rule"], scope["features"], p["to"]),))


def _switch(p: dict[str, str]) -> Lever:
    if "to" not in p:
        raise LeverError("switch needs to=PROVIDER/MODEL (and from=PROVIDER/MODEL to switch one model)")
    target(p["to"])
    scope = _scope(p)
    rule = scope["rule"]
    if "from" in p:
        provider, model = target(p["from"])
        source = Rule.parse(f"provider:{provider}&model:{model}")
        rule = source if rule is None else Rule(source.clauses + rule.clauses, f"{source.text}&{rule.text}")
    return Route(((rule, scope["features"], p["to"]),), label="switch")


def _cap(p: dict[str, str]) -> Lever:
    return OutputCap(
        max_output=_int("output", p["output"]) if "output" in p else None,
        max_reasoning=_int("reasoning", p["reasoning"]) if "reasoning" in p else None,
        **_scope(p),
    )


def _trim(p: dict[str, str]) -> Lever:
    return OutputCap(
        output_trim=_decimal("output", p["output"]) if "output" in p else Decimal(0),
        reasoning_trim=_decimal("reasoning", p["reasoning"]) if "reasoning" in p else Decimal(0),
        **_scope(p),
    )


def _prices(p: dict[str, str]) -> Lever:
    if "percent" not in p:
        raise LeverError("prices needs percent=N (e.g. percent=-30 for 30% cheaper)")
    return PriceChange(
        _decimal("percent", p["percent"]),
        provider=p.get("provider"),
        models=_list(p["models"]) if "models" in p else None,
        valid_from=_date("from", p["from"]) if "from" in p else None,
    )


def _discount(p: dict[str, str]) -> Lever:
    if "percent" not in p:
        raise LeverError("discount needs percent=N (percent off)")
    return Discount(
        _decimal("percent", p["percent"]),
        provider=p.get("provider"),
        models=_list(p["models"]) if "models" in p else None,
        tiers=_tiers(p["tiers"]) if "tiers" in p else None,
        valid_from=_date("from", p["from"]) if "from" in p else None,
    )


def _commit(p: dict[str, str]) -> Lever:
    if "percent" not in p or "monthly" not in p:
        raise LeverError("commit needs percent=N (off) and monthly=USD (the monthly commitment)")
    return Commitment(_decimal("percent", p["percent"]), _decimal("monthly", p["monthly"]), p.get("provider"))


_PARSERS: dict[str, Callable[[dict[str, str]], Lever]] = {
    "cache": _cache,
    "batch": _batch,
    "route": _route,
    "switch": _switch,
    "cap": _cap,
    "trim": _trim,
    "prices": _prices,
    "discount": _discount,
    "commit": _commit,
}
_KEYS = {
    "cache": (
        "policy",
        "ttl",
        "min_tokens",
        "structure",
        "block_tokens",
        "system_tokens",
        "writes",
        "capacity_blocks",
        "hit_rate",
        "reads_per_write",
    ),
    "batch": ("share", "features", "where", "tier"),
    "route": ("to", "features", "where", "quality", "column"),
    "switch": ("from", "to", "features", "where"),
    "cap": ("output", "reasoning", "features", "where"),
    "trim": ("output", "reasoning", "features", "where"),
    "prices": ("percent", "provider", "models", "from"),
    "discount": ("percent", "provider", "models", "tiers", "from"),
    "commit": ("percent", "monthly", "provider"),
}
