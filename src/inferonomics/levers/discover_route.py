"""Routing candidates for discovery: which cheaper models could take a feature's traffic, at what price,
and what a user's quality table (feature × model → acceptable) says about them.

Candidate models are the small models each provider sells (`SMALL_MODELS`, or models the user names),
priced from the book at the ledger's last instant on the traffic's own mean request; a model the book
cannot price at that instant is not a candidate. The quality table is a CSV with the columns
`feature`, `model` (PROVIDER/MODEL) and `acceptable` (yes/no, true/false, 1/0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from inferonomics.catalog.book import PriceBook, Unpriced
from inferonomics.ledger.core import Ledger
from inferonomics.levers.discover_candidate import VERIFY, Candidate, DiscoveryOptions
from inferonomics.levers.discover_signals import model_signals
from inferonomics.levers.routing import Route, target
from inferonomics.levers.rules import Rule

SMALL_MODELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "anthropic": (("claude-haiku-4-5",), ("claude-3-5-haiku-latest",), ("claude-3-haiku",)),
    "openai": (("gpt-5-mini", "gpt-5-nano"), ("gpt-4o-mini",), ("gpt-3.5-turbo",)),
    "google": (("gemini-2.5-flash", "gemini-2.5-flash-lite"), ("gemini-1.5-flash",)),
}
"""Each provider's small models, newest generation first: the default routing targets are the
newest generation the book prices at the traffic's time (same provider, so the same data-processing
terms and API); an older generation is tried only where the newer one was not yet sold."""


@dataclass(frozen=True)
class Priced:
    """A model priced on a traffic's mean request: its standard input and output rates and the mean
    request's cost (USD, exact)."""

    key: str
    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    request_usd: Decimal


def price_mean_request(
    book: PriceBook, key: str, at: dt.datetime, input_tokens: int, output_tokens: int
) -> Priced | None:
    """`key` ("provider/model") priced on one request of `input_tokens` / `output_tokens` at `at`
    (standard tier, no region), or None when the book cannot price it then."""
    provider, model = target(key)
    quote = book.quote(provider, model, at=at, input_tokens=input_tokens, output_tokens=output_tokens)
    if isinstance(quote, Unpriced):
        return None
    rates = quote.rates
    if rates.input_usd_per_mtok is None or rates.output_usd_per_mtok is None:
        return None
    return Priced(key, rates.input_usd_per_mtok, rates.output_usd_per_mtok, quote.total_usd)


def candidates_for(
    book: PriceBook, provider: str, model: str, named: tuple[str, ...] | None, at: dt.datetime
) -> list[str]:
    """The models tried as targets for traffic on `provider`/`model` at `at`: `named` when given, else
    the newest generation of the provider's small models the book prices then; never the model itself."""
    if named is not None:
        return [k for k in named if k != f"{provider}/{model}"]
    for generation in SMALL_MODELS.get(provider, ()):
        keys = [f"{provider}/{m}" for m in generation if m != model]
        if any(price_mean_request(book, k, at, 1, 1) is not None for k in keys):
            return keys
    return []


def route_candidate(
    ledger: Ledger,
    book: PriceBook,
    options: DiscoveryOptions,
    notes: list[str],
    *,
    whole: bool = False,
    groups: list[dict[str, Any]] | None = None,
) -> Candidate | None:
    """A `route` candidate: per feature and expensive model, the cheapest small model that may take it
    (see `levers/discover.py`), or None (with a note) when there is none. `whole`: the ledger has no
    feature column, and its traffic is judged as one feature. `groups`: `model_signals` of the ledger,
    when already read."""
    rules: list[tuple[Rule | None, tuple[str, ...] | None, str]] = []
    features: list[str] = []
    evidence: list[str] = []
    flags: list[str] = []
    detail: dict[str, Any] = {}
    quality = options.quality
    for g in model_signals(ledger.rows) if groups is None else groups:
        feature, provider, model = g["feature"], g["provider"], g["model"]
        if (feature is None and not whole) or not g["requests"] or not g["input_total"]:
            continue
        f = "(all traffic)" if feature is None else str(feature)
        mean_in = int(g["input_total"]) // int(g["requests"])
        mean_out = int(g["output_tokens"]) // int(g["requests"])
        at = g["ts_max"].astimezone(dt.UTC).replace(tzinfo=None) if g["ts_max"].tzinfo else g["ts_max"]
        source = price_mean_request(book, f"{provider}/{model}", at, mean_in, mean_out)
        if source is None:
            continue
        verdicts = quality.for_feature(f) if quality is not None else {}
        keys = candidates_for(book, provider, model, options.route_models, at)
        keys += [k for k, ok in verdicts.items() if ok and k not in keys and k != f"{provider}/{model}"]
        priced = [p for k in keys if (p := price_mean_request(book, k, at, mean_in, mean_out)) is not None]
        priced = [p for p in priced if verdicts.get(p.key, True)]
        cheaper = [p for p in priced if p.request_usd * options.route_min_factor <= source.request_usd]
        approved = [p for p in priced if verdicts.get(p.key) and p.request_usd < source.request_usd]
        ratio = int(g["output_tokens"]) / int(g["input_total"])
        shaped = (g["output_p95"] or 0) <= options.route_max_output and ratio <= options.route_max_ratio
        shape = (
            f"p95 output {g['output_p95']:,.0f} tokens (max {g['output_max']:,}), output/input {ratio:.3f}, "
            f"mean request {mean_in:,} in / {mean_out:,} out"
        )
        if approved:
            best = min(approved, key=lambda p: (p.request_usd, p.key))
            why = f"the quality table ({quality.source if quality else ''}) accepts {best.key}"
            flag = None
        elif shaped and cheaper:
            best = min(cheaper, key=lambda p: (p.request_usd, p.key))
            why = "shaped like a small model's job"
            flag = f"{f}: {VERIFY}"
        else:
            if shaped and verdicts and not cheaper:
                notes.append(
                    f"route: {f} on {provider}/{model} not routed: the quality table accepts no cheaper model"
                )
            continue
        prices = "; ".join(
            f"{p.key} ${p.input_usd_per_mtok}/${p.output_usd_per_mtok} per MTok, "
            f"${p.request_usd:.6f} a request"
            for p in sorted(priced, key=lambda p: p.request_usd)
        )
        rule = Rule.parse(f"provider:{provider}&model:{model}")
        rules.append((rule, None if feature is None else (f,), best.key))
        if feature is not None:
            features.append(f)
        evidence.append(
            f"{f} on {provider}/{model} (${source.input_usd_per_mtok}/${source.output_usd_per_mtok} "
            f"per MTok, ${source.request_usd:.6f} a mean request; {int(g['requests']):,} requests): "
            f"{shape}; {why}; → {best.key}. Candidates: {prices}"
        )
        if flag:
            flags.append(flag)
        detail[f"{f}|{provider}/{model}"] = {
            "feature": f,
            "from": f"{provider}/{model}",
            "to": best.key,
            "requests": int(g["requests"]),
            "output_p95": g["output_p95"],
            "output_input_ratio": ratio,
            "source_request_usd": source.request_usd,
            "target_request_usd": best.request_usd,
            "verified_by_quality_table": flag is None,
        }
    if not rules:
        notes.append(
            f"route: no expensive model carries small-model-shaped traffic (p95 output <= "
            f"{options.route_max_output}, output/input <= {options.route_max_ratio}, a candidate "
            f"{options.route_min_factor}x cheaper)"
        )
        return None
    return Candidate(
        "route",
        Route(tuple(rules)),
        list(dict.fromkeys(features)),
        evidence,
        ["the quality table's verdicts hold for this traffic" if not flags else VERIFY],
        "answers get worse where the small model is not good enough"
        if flags
        else "as good as the quality table's verdicts",
        flags=flags,
        detail=detail,
    )
