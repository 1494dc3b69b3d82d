"""Reconciliation: what sources say they charged (`reported_cost_usd`) against our price of the same
usage, per model and day, with the residuals largest first and their likely cause.

Which of our prices a reported amount is compared with:

* rows that carry both tokens and a reported cost (LiteLLM `spend`, Helicone, Langfuse,
  OpenRouter's `cost`) are compared with our price of those same rows, file by file (two tools
  logging the same traffic are reconciled apart, never added up);
* cost-only rows (the Anthropic and OpenAI cost reports and cost exports, which give amounts but no
  token counts) are compared with our price of the usage rows without a cost of the same model and
  day (the usage report or usage export imported beside them).

Models are matched through the price book (`claude-sonnet-4-6` in a usage report and in a cost
report are one model; `gpt-5.4-mini` and `gpt-5.4-mini-2026-03-17` are one model), so cost and
usage exports that spell a model differently still pair up.

The cause of a residual is found by repricing the group's summed usage under the usual suspects and
keeping the one that lands on the reported figure: the batch discount (or its absence), another
service tier, the other cache-write TTL, cache tokens priced as uncached input (the double-counting
bug of several gateways); before that, usage we could not price (an unknown model, a tier without
a price) and a cost with no usage to compare it with. OpenRouter charges a route's list price per
request: a residual there that no suspect explains names the book's entry (and its source) as the
likely culprit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from inferonomics.billing.engine import USD, WIDE, Priced, price, usd
from inferonomics.catalog.book import ModelMatch, PriceBook, Quote
from inferonomics.catalog.matching import normalize_compact_date
from inferonomics.ledger.core import Account, Ledger
from inferonomics.ledger.schema import COUNT_COLUMNS, MODALITY_COLUMNS, MONEY_TYPE

TOKENS = COUNT_COLUMNS
RESULT_SCHEMA = pa.schema(
    [
        pa.field("day", pa.date32()),
        pa.field("provider", pa.string()),
        pa.field("model", pa.string()),
        pa.field("cost_source", pa.string()),
        pa.field("source", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("requests", pa.int64()),
        pa.field("reported_usd", MONEY_TYPE),
        pa.field("priced_usd", MONEY_TYPE),
        pa.field("residual_usd", MONEY_TYPE),
        pa.field("residual_pct", pa.float64()),
        pa.field("unpriced_requests", pa.int64()),
        pa.field("cause", pa.string()),
    ]
)
"""One row per (day, model): `residual_usd` = reported − priced (positive: the source charged
more than our price)."""


@dataclass(frozen=True)
class Reconciliation:
    """The result of reconciling a ledger: the comparison table (`RESULT_SCHEMA`, largest residual first),
    the reported and priced totals over it in USD (exact), and the account of every row read."""

    table: pa.Table
    reported_usd: Decimal
    priced_usd: Decimal
    account: Account

    @property
    def residual_usd(self) -> Decimal:
        """Reported minus priced, in USD (exact): positive when the sources charged more than the price
        book."""
        return self.reported_usd - self.priced_usd


@dataclass
class _Part:
    """A (provider, model, tier, region, day, kind) group of the priced ledger."""

    provider: str
    model: str
    tier: str
    region: str | None
    day: dt.date
    kind: str  # "costed", "cost_only" or "usage"
    file: str | None
    """The input file of costed rows (each tool's file is reconciled on its own); None otherwise."""
    files: set[str]
    sources: set[str]
    rows: int
    requests: int
    tokens: dict[str, int]
    reported: Decimal
    priced: Decimal
    unpriced_requests: int
    unpriced_status: str | None


def _femto_sum(femto: ir.IntegerValue, where: ir.BooleanValue, wide: bool) -> ir.DecimalValue:
    """Exact sum of fUSD amounts (DuckDB sums BIGINT into a 128-bit integer: cast after)."""
    total = femto.sum(where=where) if wide else femto.sum(where=where).cast(WIDE)
    return total.fill_null(0)


def _parts(priced: Priced) -> list[_Part]:
    def expr(t: ir.Table) -> ir.Table:
        t = t.filter(~t._quarantined)
        has_cost = t.reported_cost_usd.notnull()
        has_tokens = sum((t[c] for c in TOKENS[1:]), t[TOKENS[0]]) > 0
        kind = ibis.cases(
            (has_cost & has_tokens, "costed"), (has_cost, "cost_only"), else_=ibis.literal("usage")
        )
        total = t._c_input + t._c_cache_read + t._c_cache_write + t._c_output + t._c_fees
        g = t.group_by(
            provider=t.provider,
            model=t.model,
            tier=t.service_tier.fill_null("standard"),
            region=t.region,
            day=t.ts.date(),
            kind=kind,
            file=ibis.cases((kind == "costed", t.source_file), else_=ibis.null("string")),
        ).aggregate(
            rows=t.count(),
            requests=t.requests.sum(),
            **{c: t[c].sum() for c in TOKENS},
            reported=t.reported_cost_usd.sum().fill_null(0).cast(USD),
            _femto=_femto_sum(total, ~t._unpriced, priced.wide),
            unpriced_requests=t.requests.sum(where=t._unpriced).fill_null(0),
            unpriced_status=t.status.max(where=t._unpriced),
            source_lo=t.cost_source.min(),
            source_hi=t.cost_source.max(),
            file_lo=t.source_file.min(),
            file_hi=t.source_file.max(),
        )
        return g.mutate(priced=usd(g._femto)).drop("_femto")

    table = priced.execute(lambda e: e.to_pyarrow(), expr)
    parts = []
    for r in table.to_pylist():
        parts.append(
            _Part(
                provider=r["provider"],
                model=r["model"],
                tier=r["tier"],
                region=r["region"],
                day=r["day"],
                kind=r["kind"],
                file=r["file"],
                files={r["file_lo"], r["file_hi"]},
                sources={s for s in (r["source_lo"], r["source_hi"]) if s},
                rows=int(r["rows"]),
                requests=int(r["requests"] or 0),
                tokens={c: int(r[c] or 0) for c in TOKENS},
                reported=Decimal(r["reported"] or 0),
                priced=Decimal(r["priced"] or 0),
                unpriced_requests=int(r["unpriced_requests"] or 0),
                unpriced_status=r["unpriced_status"],
            )
        )
    return parts


def _model_key(book: PriceBook, provider: str, model: str) -> str:
    found = book.find_model(provider, model)
    if isinstance(found, ModelMatch):
        return f"{found.model.provider_id}/{found.model.id}"
    name = normalize_compact_date(model.strip().lower())
    for sep in ("-20", "@20"):  # a dated snapshot of an unknown model pairs with its alias
        head, found_sep, tail = name.rpartition(sep)
        if found_sep and tail[:2].isdigit() and len(tail) >= 8:
            name = head
            break
    return f"{provider.strip().lower()}/{name}"


def _quote(book: PriceBook, p: _Part, tokens: dict[str, int], tier: str) -> Decimal | None:
    q = book.quote(
        p.provider,
        p.model,
        at=dt.datetime.combine(p.day, dt.time(12)),
        **{c: tokens[c] for c in TOKENS if c not in MODALITY_COLUMNS},
        modalities={c: tokens[c] for c in MODALITY_COLUMNS},
        requests=max(p.requests, 1),
        service_tier=tier,
        region=p.region,
    )
    return q.total_usd if isinstance(q, Quote) else None


def _moved(tokens: dict[str, int], **moves: Iterable[str]) -> dict[str, int]:
    """Tokens with the named buckets moved into another (`cache_write_1h_tokens=[...]`)."""
    out = dict(tokens)
    for target, sources in moves.items():
        for s in sources:
            if s != target:
                out[target] += out[s]
                out[s] = 0
    return out


TIER_CAUSES = {
    "batch": "batch: the source billed these requests at the batch discount (not marked batch here)",
    "standard": "batch: the source did not apply the batch discount",
    "priority": "tier: the source billed these requests at priority-tier prices",
    "flex": "tier: the source billed these requests at flex-tier prices",
}
WRITES = ("cache_write_5m_tokens", "cache_write_1h_tokens", "cache_write_other_tokens")
SUSPECTS: tuple[tuple[str, Callable[[dict[str, int]], dict[str, int]]], ...] = (
    (
        "cache TTL: the writes were billed at the 1-hour rate",
        lambda t: _moved(t, cache_write_1h_tokens=WRITES),
    ),
    (
        "cache TTL: the writes were billed at the 5-minute rate",
        lambda t: _moved(t, cache_write_5m_tokens=WRITES),
    ),
    (
        "cache tokens priced as uncached input by the source (the gateway double-counting bug)",
        lambda t: _moved(t, input_tokens=("cache_read_tokens", *WRITES)),
    ),
    (
        "cache tokens counted twice by the source (also added to uncached input)",
        lambda t: {
            **t,
            "input_tokens": t["input_tokens"] + t["cache_read_tokens"] + sum(t[w] for w in WRITES),
        },
    ),
)


def _explain(book: PriceBook, parts: list[_Part], reported: Decimal, ours: Decimal, close: Decimal) -> str:
    usage = [p for p in parts if p.kind != "cost_only"]
    if not usage:
        return "no usage of this model on this day to compare with: import the usage export too"
    unpriced = [p for p in usage if p.unpriced_requests]
    if unpriced:
        status = (unpriced[0].unpriced_status or "unpriced").removeprefix("unpriced: ")
        what = "unknown model" if "unknown" in status else "tier" if " price for " in status else "unpriced"
        return f"{what}: {status} ({sum(p.unpriced_requests for p in unpriced):,} requests not priced)"
    if abs(reported - ours) <= close:
        return "matches"
    candidates: list[tuple[Decimal, str]] = []
    tiers = {p.tier for p in usage}
    for name, other in (
        ("batch", "standard"),
        ("standard", "batch"),
        ("priority", "standard"),
        ("flex", "standard"),
    ):
        if tiers != {other}:
            continue
        alt = Decimal(0)
        for p in usage:
            base, moved = _quote(book, p, p.tokens, p.tier), _quote(book, p, p.tokens, name)
            if base is None or moved is None:
                break
            alt += p.priced - base + moved
        else:
            candidates.append((alt, TIER_CAUSES[name]))
    for label, change in SUSPECTS:
        alt = Decimal(0)
        for p in usage:
            base, moved = _quote(book, p, p.tokens, p.tier), _quote(book, p, change(p.tokens), p.tier)
            if base is None or moved is None:
                break
            alt += p.priced - base + moved
        else:
            if alt != ours:
                candidates.append((alt, label))
    if candidates:
        best, label = min(candidates, key=lambda c: abs(reported - c[0]))
        if abs(reported - best) <= close:
            return label
    direction = "more" if reported > ours else "less"
    if {p.provider.strip().lower() for p in usage} <= LIST_PRICE_BILLERS:
        return _book_culprit(book, usage, reported, ours, direction)
    return (
        f"unexplained: the source charged {direction} than the price book "
        "(a negotiated rate, a price change, or usage not in the export)"
    )


# Sources whose charge is the route's list price, per request, with no discount of the user's own:
# a residual no suspect explains means the book's entry for the route is wrong.
LIST_PRICE_BILLERS = frozenset({"openrouter"})


def _book_culprit(
    book: PriceBook, usage: list[_Part], reported: Decimal, ours: Decimal, direction: str
) -> str:
    p = max(usage, key=lambda u: u.priced)
    q = book.quote(
        p.provider,
        p.model,
        at=dt.datetime.combine(p.day, dt.time(12)),
        **{c: p.tokens[c] for c in TOKENS if c not in MODALITY_COLUMNS},
        modalities={c: p.tokens[c] for c in MODALITY_COLUMNS},
        requests=max(p.requests, 1),
        service_tier=p.tier,
        region=p.region,
    )
    entry = ""
    if isinstance(q, Quote):
        origin = q.rates.origins[0].describe() if q.rates.origins else ""
        entry = f" ({q.rates.entry}; {origin})" if origin else f" ({q.rates.entry})"
    ratio = f", {reported / ours:.3f}x the book" if ours else ""
    return (
        f"book: {p.provider} charged {direction} than the book's price for this route{ratio}; it bills "
        f"the route's list price per request, so the book's entry{entry} is the likely culprit: "
        "check the route's current price and fix the entry (or layer a price sheet)"
    )


def reconcile(
    ledger: Ledger,
    book: PriceBook | None = None,
    *,
    tolerance: Decimal = Decimal("0.005"),
    floor_usd: Decimal = Decimal("0.000001"),
) -> Reconciliation:
    """Compare reported costs with our prices per model and day (see the module docstring). A
    residual within `tolerance` of the reported amount (or `floor_usd`) is a match. `book`
    defaults to the packaged price book."""
    book = book or PriceBook.load()
    priced = price(ledger, book)
    parts = _parts(priced)
    groups: dict[tuple[str, dt.date, str | None], list[_Part]] = defaultdict(list)
    for p in parts:
        groups[(_model_key(book, p.provider, p.model), p.day, p.file)].append(p)
    rows: list[dict[str, Any]] = []
    total_reported = total_priced = Decimal(0)
    for (key, day, _file), members in groups.items():
        costed = [p for p in members if p.kind == "costed"]
        cost_only = [p for p in members if p.kind == "cost_only"]
        if not costed and not cost_only:
            continue
        compared = costed + ([p for p in members if p.kind == "usage"] if cost_only else [])
        reported = sum((p.reported for p in costed + cost_only), Decimal(0))
        ours = sum((p.priced for p in compared), Decimal(0))
        close = max(abs(reported) * tolerance, floor_usd)
        residual = reported - ours
        provider, _, model = key.partition("/")
        rows.append(
            {
                "day": day,
                "provider": provider,
                "model": model,
                "cost_source": ", ".join(sorted({s for p in costed + cost_only for s in p.sources})),
                "source": ", ".join(sorted({Path(f).name for p in costed + cost_only for f in p.files})),
                "rows": sum(p.rows for p in compared + cost_only),
                "requests": sum(p.requests for p in compared),
                "reported_usd": reported,
                "priced_usd": ours,
                "residual_usd": residual,
                "residual_pct": float(residual / ours * 100) if ours else None,
                "unpriced_requests": sum(p.unpriced_requests for p in compared),
                "cause": _explain(book, cost_only + compared, reported, ours, close),
            }
        )
        total_reported += reported
        total_priced += ours
    rows.sort(key=lambda r: (-abs(r["residual_usd"]), r["day"], r["model"]))
    table = pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)
    return Reconciliation(table, total_reported, total_priced, priced.account())
