"""Where and when, for discovery: the same model cheaper on another route, residency uplifts,
off-peak windows, and commitments from a sheet the user supplies.

* **where**: for each model of the ledger's standard-tier traffic, the providers of the book that sell
  the same model (Vertex selling Claude, Azure selling GPT...), priced on the traffic's mean request at
  its last instant; a route at least `min_saving` cheaper becomes a `switch` step. Residency uplifts
  the book applies to the ledger's regions, and time-of-day windows with other rates, are reported as
  notes (whether residency is needed, or traffic can move in time, is the user's call);
* **commit**: each offer of the user's sheet (YAML: `commitments:` a list of `provider`, `percent`
  off, `monthly` USD, optional `name`) is proposed when every month of the ledger's spend with the
  provider, as billed, covers the commitment; the step bills the shortfall of a month that falls
  below it after the earlier steps.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from inferonomics.billing.engine import price
from inferonomics.billing.rollup import rollup
from inferonomics.catalog.book import PriceBook, Unpriced
from inferonomics.ledger.core import Ledger
from inferonomics.levers.discover_candidate import Candidate, Chain, WhereOptions
from inferonomics.levers.discover_route import price_mean_request
from inferonomics.levers.discover_signals import model_signals, monthly_spend
from inferonomics.levers.pricing import Commitment
from inferonomics.levers.routing import Route
from inferonomics.levers.rules import Rule


def _naive(ts: dt.datetime) -> dt.datetime:
    return ts.astimezone(dt.UTC).replace(tzinfo=None) if ts.tzinfo else ts


def where(
    ledger: Ledger,
    book: PriceBook,
    options: WhereOptions | None,
    notes: list[str],
    groups: list[dict[str, Any]] | None = None,
) -> Candidate | None:
    """A `switch` candidate for models sold cheaper elsewhere; residency and time-window notes. `groups`:
    `model_signals` of the ledger, when already read."""
    options = options or WhereOptions()
    per_model: dict[tuple[str, str], dict[str, Any]] = {}
    for g in model_signals(ledger.rows) if groups is None else groups:
        k = (g["provider"], g["model"])
        acc = per_model.setdefault(
            k, {"requests": 0, "input_total": 0, "output_tokens": 0, "ts_max": g["ts_max"]}
        )
        for c in ("requests", "input_total", "output_tokens"):
            acc[c] += int(g[c] or 0)
        acc["ts_max"] = max(acc["ts_max"], g["ts_max"])
    rules: list[tuple[Rule | None, tuple[str, ...] | None, str]] = []
    evidence: list[str] = []
    detail: dict[str, Any] = {}
    for (provider, model), g in sorted(per_model.items()):
        if not g["requests"]:
            continue
        at = _naive(g["ts_max"])
        mean_in, mean_out = g["input_total"] // g["requests"], g["output_tokens"] // g["requests"]
        here = price_mean_request(book, f"{provider}/{model}", at, mean_in, mean_out)
        source = book.find_model(provider, model)
        if here is None or isinstance(source, Unpriced):
            continue
        best = None
        for other in sorted(set(book.providers) & set(options.routes)):
            if other == provider:
                continue
            found = book.find_model(other, model)
            if isinstance(found, Unpriced) or found.model.id != source.model.id:
                continue
            there = price_mean_request(book, f"{other}/{model}", at, mean_in, mean_out)
            if there is None or there.request_usd > here.request_usd * (1 - options.min_saving):
                continue
            if best is None or there.request_usd < best.request_usd:
                best = there
        if best is None:
            continue
        rules.append((Rule.parse(f"provider:{provider}&model:{model}"), None, best.key))
        evidence.append(
            f"{provider}/{model} (${here.request_usd:.6f} a mean request of {mean_in:,} in / "
            f"{mean_out:,} out, {g['requests']:,} requests) is ${best.request_usd:.6f} on {best.key}"
        )
        detail[f"{provider}/{model}"] = {
            "to": best.key,
            "from_usd": here.request_usd,
            "to_usd": best.request_usd,
        }
    _residency_notes(ledger, book, notes)
    _window_notes(ledger, book, notes)
    if not rules:
        notes.append("where: no model of the ledger is sold cheaper by another provider in the book")
        return None
    return Candidate(
        "where",
        Route(tuple(rules), label="switch"),
        [],
        evidence,
        ["the other route serves the same model with the same limits, terms and token counts"],
        "a new vendor contract, other rate limits and another API to integrate",
        detail=detail,
    )


def _residency_notes(ledger: Ledger, book: PriceBook, notes: list[str]) -> None:
    keys = ledger.keys()
    for k in keys.table.to_pylist():
        region = (k["region"] or "").strip().lower()
        if not region or not k["provider"] or not k["model"]:
            continue
        found = book.find_model(k["provider"], k["model"])
        if isinstance(found, Unpriced):
            continue
        for rule, _ in book.residency_rules:
            if rule.provider not in (found.provider.id, found.model.provider_id):
                continue
            if rule.models is not None and found.model.id not in rule.models:
                continue
            regions = {r.lower() for r in rule.regions}
            if region in regions or ("*" in regions and region not in rule.except_regions):
                notes.append(
                    f"where: {k['rows']:,} rows of {k['provider']}/{k['model']} in region {region} pay the "
                    f"residency uplift x{rule.multiplier.normalize()}: worth it only where residency is "
                    "required"
                )
                break


def _window_notes(ledger: Ledger, book: PriceBook, notes: list[str]) -> None:
    keys = ledger.keys()
    at = keys.ts_max
    if at is None:
        return
    seen = set()
    for k in keys.table.to_pylist():
        found = book.find_model(k["provider"], k["model"]) if k["provider"] and k["model"] else None
        if found is None or isinstance(found, Unpriced) or found.model.key in seen:
            continue
        seen.add(found.model.key)
        current = [e for e in found.model.periods if e.valid_from <= _naive(at)]
        for w in current[-1].period.windows if current else []:
            notes.append(
                f"where: {found.model.key} has a {w.label} window {w.start.strftime('%H:%M')}-"
                f"{w.end.strftime('%H:%M')} UTC at other rates (the bill already applies it to each "
                "request's time)"
            )


def commitments(
    ledger: Ledger, book: PriceBook, options: WhereOptions | None, notes: list[str]
) -> Candidate | None:
    """A `commit` candidate from the user's offers whose monthly minimum every month's spend covers."""

    offers = (options or WhereOptions()).offers
    if not offers:
        notes.append("commit: no commitments sheet given (--commitments FILE): no commitment proposed")
        return None
    spend = monthly_spend(rollup(price(ledger, book), ["provider"], "month").table)
    chosen: list[Commitment] = []
    evidence: list[str] = []
    for offer in offers:
        months = spend.get(offer.provider, [])
        low = min((usd for _, usd in months), default=Decimal(0))
        label = offer.name or f"{offer.percent:g}% off for ${offer.monthly:,} a month"
        if not months or low < offer.monthly:
            notes.append(
                f"commit: {offer.provider} '{label}' not proposed: its lowest month is ${low:,.2f} "
                f"(the commitment is ${offer.monthly:,})"
            )
            continue
        chosen.append(Commitment(offer.percent, offer.monthly, offer.provider))
        evidence.append(
            f"{offer.provider} '{label}': monthly spend "
            + ", ".join(f"{p}: ${usd:,.2f}" for p, usd in months)
            + f"; the lowest month covers ${offer.monthly:,}"
        )
    if not chosen:
        return None
    return Candidate(
        "commit",
        chosen[0] if len(chosen) == 1 else Chain(tuple(chosen), "commit"),
        [],
        evidence,
        ["spend keeps its level after the other steps (a month below the commitment pays the commitment)"],
        "a commitment is paid whether the traffic comes or not",
    )
