"""FOCUS 1.3 export: a priced ledger as FinOps cost-and-usage rows, one token class per row.

Each (charge period, provider, model, service tier, region, price point, allocation key) group of
priced requests becomes one row per token class it used: uncached input, cache reads, cache
writes by TTL, output (reasoning split out when it has its own price), web searches, request
fees. Rows follow the spec and its AI examples (`shared/reference/usage_formats.md` §6):

* `ConsumedQuantity` tokens with `ConsumedUnit` "Tokens"; `PricingQuantity` = tokens / 1e6 with
  `PricingUnit` "1000000 Tokens" (web searches: "Requests" / "1000 Requests");
* `ListUnitPrice` / `ListCost` at the list book's rates (the catalogue without user price sheets),
  `ContractedUnitPrice` / `ContractedCost` / `BilledCost` / `EffectiveCost` at the rates the bill
  used; every cost is the unit price times the pricing quantity, exactly (integer femto-dollars);
* the AI properties of the draft (`ModelDeveloper`, `ModelId`, `TokenDirection`,
  `TokenCacheAction`) as `x_`-prefixed keys of `SkuPriceDetails` and as `x_` columns, with the
  cache TTL, service tier, batch flag, request count and price-book entry beside them, and
  `x_ModelMatch`: how the usage's model name met the book (`exact`, `alias` or `near`, a prefix
  match worth checking; `x_ModelId` is the book's model it was priced as).

The token classes are the ledger's non-overlapping buckets, so no token is counted on two rows.
Unpriced usage (an unknown model, a tier without a price) has no cost to bill and is left out,
counted in `FocusExport.unpriced_requests`. Simulated savings are never billed cost: they are a
separate dataset (`savings_dataset`) with no FOCUS cost columns at all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from inferonomics.backend import truncate, untruncate
from inferonomics.billing.engine import WIDE, Priced, price, request_input
from inferonomics.billing.focus_spec import FOCUS_SCHEMA, SAVINGS_SCHEMA
from inferonomics.billing.rates import RATE_COLUMNS, femto
from inferonomics.catalog.book import ModelMatch, PriceBook, Resolved
from inferonomics.errors import RollupError
from inferonomics.ledger.core import Account, Ledger
from inferonomics.ledger.schema import COUNT_COLUMNS, MODALITIES, MODALITY_PARTS

FEMTO = Decimal(10) ** 15
GRAIN_DELTA = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}
ALLOCATION_KEYS = ("tenant", "user", "feature", "session")

PROVIDERS = {
    "anthropic": ("Anthropic", "Claude API", "Workspace"),
    "openai": ("OpenAI", "OpenAI API", "Project"),
    "google": ("Google", "Gemini API", "Project"),
    "aws": ("Amazon Web Services", "Amazon Bedrock", "Account"),
    "azure": ("Microsoft", "Azure OpenAI", "Subscription"),
    "openrouter": ("OpenRouter", "OpenRouter API", "Workspace"),
    "mistral": ("Mistral AI", "Mistral API", "Workspace"),
    "x-ai": ("xAI", "xAI API", "Team"),
    "deepseek": ("DeepSeek", "DeepSeek API", "Account"),
}
"""Book provider id → (name, service name, sub-account type)."""

DEVELOPERS = (
    (re.compile(r"claude|anthropic"), "Anthropic"),
    (re.compile(r"(^|/)(gpt-|o\d|chatgpt|text-embedding|openai)"), "OpenAI"),
    (re.compile(r"gemini|gemma|google"), "Google"),
    (re.compile(r"mistral|mixtral|codestral|magistral"), "Mistral AI"),
    (re.compile(r"llama|meta"), "Meta"),
    (re.compile(r"grok|x-ai"), "xAI"),
    (re.compile(r"deepseek"), "DeepSeek"),
    (re.compile(r"qwen"), "Alibaba Cloud"),
)


@dataclass(frozen=True)
class TokenClass:
    """One token class (or fee) of the FOCUS rows: its key in SKU ids, the count and rate-table columns it
    is billed from, its meter name, FOCUS token direction and cache action (None where they do not apply),
    cache TTL, and pricing unit (`per` units of `unit`: 1,000,000 tokens or 1,000 requests)."""

    key: str
    count: str
    rate: str
    meter: str
    direction: str | None
    cache_action: str | None
    ttl: str | None = None
    unit: str = "Tokens"
    per: int = 1_000_000


_W = "Write"
CLASSES = (
    TokenClass("input", "_text_input", "r_input", "Input Tokens", "Input", "Uncached"),
    TokenClass("cache-read", "_text_cache_read", "r_cache_read", "Cache Read Input Tokens", "Input", "Read"),
    TokenClass("cache-write-5m", "cache_write_5m_tokens", "r_cache_write_5m", "Cache Write Input Tokens (5m)",
               "Input", _W, "5m"),
    TokenClass("cache-write-1h", "cache_write_1h_tokens", "r_cache_write_1h", "Cache Write Input Tokens (1h)",
               "Input", _W, "1h"),
    TokenClass("cache-write", "cache_write_other_tokens", "r_cache_write_other", "Cache Write Input Tokens",
               "Input", _W),
    TokenClass("output", "_plain_output", "r_output", "Output Tokens", "Output", None),
    TokenClass("reasoning", "reasoning_tokens", "r_reasoning", "Reasoning Output Tokens", "Output", None),
    *(
        TokenClass(f"{key}-{m}", f"{b}_{m}_tokens", f"r_{b}_{m}", f"{m.title()} {meter}", direction, action)
        for b, key, meter, direction, action in (
            ("input", "input", "Input Tokens", "Input", "Uncached"),
            ("cache_read", "cache-read", "Cache Read Input Tokens", "Input", "Read"),
            ("output", "output", "Output Tokens", "Output", None),
        )
        for m in MODALITIES
    ),
    TokenClass("web-search", "web_search_requests", "r_web_search", "Web Search Requests", None, None,
               unit="Requests", per=1000),
    TokenClass("requests", "requests", "r_request", "Requests", None, None, unit="Requests", per=1000),
)  # fmt: skip


@dataclass(frozen=True)
class FocusExport:
    """A FOCUS export: the cost-and-usage rows (`FOCUS_SCHEMA`), the account of every row read, and the
    requests left out unpriced."""

    table: pa.Table
    account: Account
    unpriced_requests: int
    """Requests left out because they have no price (their rows are in the bill as unpriced)."""


def _name(provider: str) -> tuple[str, str, str]:
    known = PROVIDERS.get(provider)
    if known is not None:
        return known
    title = provider.replace("-", " ").replace("_", " ").title()
    return title, f"{title} API", "Account"


def developer(model: str, provider_name: str) -> str:
    """The company that made `model` (Anthropic, OpenAI, Google, Meta...), recognised from its name;
    `provider_name` when the name says nothing."""
    lower = model.lower()
    for pattern, name in DEVELOPERS:
        if pattern.search(lower):
            return name
    return provider_name


def _period_end(start: dt.datetime, grain: str) -> dt.datetime:
    if grain == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + GRAIN_DELTA[grain]


def _billing_period(start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first, _period_end(first, "month")


def _usd(femto_amount: int) -> Decimal:
    return Decimal(femto_amount) / FEMTO


def _groups(priced: Priced, grain: str, by: Sequence[str]) -> pa.Table:
    con = priced.ledger.con

    def expr(t: ir.Table) -> ir.Table:
        t = t.filter(~t._quarantined & ~t._unpriced)
        total = t._c_input + t._c_cache_read + t._c_cache_write + t._c_output + t._c_fees
        keys: dict[str, ir.Value] = {
            "period": truncate(t.ts, grain, con),
            "provider": t.provider,
            "model": t.model,
            "service_tier": t.service_tier,
            "region": t.region,
            "price_entry": t.price_entry,
            **{k: t[k] for k in by},
        }
        g = t.group_by(**keys).aggregate(
            requests=t.requests.sum(),
            **{c: t[c].sum() for c in COUNT_COLUMNS},
            rep_ts=t.ts.min(),
            rep_input=request_input(t).min(),
            femto=total.sum() if priced.wide else total.sum().cast(WIDE),
        )
        # In a stable order: the same ledger exports the same rows in the same order.
        return g.mutate(period=untruncate(g.period, con)).order_by(list(keys))

    return priced.execute(lambda e: e.to_pyarrow(), expr)


def _unpriced(priced: Priced) -> int:
    def expr(t: ir.Table) -> ir.Table:
        return t.aggregate(n=t.requests.sum(where=~t._quarantined & t._unpriced).fill_null(0))

    return int(priced.execute(lambda e: e.to_pyarrow(), expr)["n"][0].as_py() or 0)


def _rate_rows(priced: Priced) -> dict[tuple[Any, ...], dict[str, int]]:
    """(provider, model, tier, region, entry) → the rates the bill used, in fUSD per unit."""
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for r in priced.rates.to_pylist():
        if r["entry"] is None:
            continue
        key = (r["provider"], r["model"], r["service_tier"], r["region"], r["entry"])
        rates = {col: int(r[col]) for _, col in RATE_COLUMNS}
        if out.setdefault(key, rates) != rates:
            raise AssertionError(f"price entry {r['entry']} has two sets of rates: please report this")
    return out


def _list_rates(book: PriceBook, g: dict[str, Any], billed: dict[str, int]) -> dict[str, int]:
    """The list book's rates at the group's representative request (every request of a group has
    the same rates: the billed entry pins its period, window and long-context band)."""
    found = book.find_model(g["provider"], g["model"])
    if not isinstance(found, ModelMatch):
        return billed
    at: dt.datetime = g["rep_ts"].replace(tzinfo=None)
    tod = at.hour * 3600 + at.minute * 60 + at.second
    r = book.resolve(
        found, g["service_tier"] or "standard", g["region"], at, at.weekday(), tod, g["rep_input"]
    )
    if not isinstance(r, Resolved):
        return billed
    out = {}
    for name, col in RATE_COLUMNS:
        value = r.rate(name)
        out[col] = femto(value, 1000 if name.endswith("_per_k") else 1_000_000)[0] if value is not None else 0
    return out


def _band(entry: str) -> str | None:
    m = re.search(r">(\w+) input", entry)
    return f"above-{m.group(1)}" if m else None


def focus_export(
    ledger: Ledger,
    book: PriceBook | None = None,
    *,
    list_book: PriceBook | None = None,
    grain: str = "day",
    by: Sequence[str] = ("tenant", "feature"),
    billing_account_id: str = "default",
    billing_account_name: str | None = None,
) -> FocusExport:
    """The ledger priced with `book` as FOCUS 1.3 cost-and-usage rows (see the module docstring).
    `list_book` gives list prices (default: `book`); `by` chooses the allocation keys: `tenant` is
    the sub-account, the others (user, feature, session, or any of the ledger's tags) become
    `Tags`. `book` defaults to the packaged price book."""
    book = book or PriceBook.load()
    if grain not in (*GRAIN_DELTA, "month"):
        raise RollupError(f"unknown grain '{grain}' (one of: hour, day, week, month)")
    allowed = [*ALLOCATION_KEYS, *ledger.tags]
    unknown = [k for k in by if k not in allowed]
    if unknown:
        raise RollupError(f"cannot allocate by {', '.join(unknown)} (one of: {', '.join(allowed)})")
    priced = price(ledger, book)
    groups = _groups(priced, grain, by)
    billed_rates = _rate_rows(priced)
    matches: dict[tuple[str, str], str] = {}
    rows: list[dict[str, Any]] = []
    for g in groups.to_pylist():
        tier = g["service_tier"] or "standard"
        key = (g["provider"], g["model"], g["service_tier"], g["region"], g["price_entry"])
        billed = billed_rates[key]
        listed = billed if list_book is None else _list_rates(list_book, g, billed)
        counts = {c: int(g[c] or 0) for c in COUNT_COLUMNS}
        counts["requests"] = int(g["requests"] or 0)
        split_reasoning = (
            billed["r_reasoning"] != billed["r_output"] or listed["r_reasoning"] != listed["r_output"]
        )
        # Text is what a bucket holds besides its modality parts (each its own class and rate).
        text = {b: counts[b] - sum(counts[p] for p in parts) for b, parts in MODALITY_PARTS.items()}
        counts["_text_input"], counts["_text_cache_read"] = text["input_tokens"], text["cache_read_tokens"]
        if split_reasoning:
            counts["_plain_output"] = text["output_tokens"] - counts["reasoning_tokens"]
        else:
            counts["_plain_output"], counts["reasoning_tokens"] = text["output_tokens"], 0
        group_total = 0
        found = book.find_model(g["provider"], g["model"])
        if (g["provider"], g["model"]) not in matches:
            matches[g["provider"], g["model"]] = book.how_matched(g["provider"], g["model"])["status"]
        model_id = found.model.id if isinstance(found, ModelMatch) else g["model"]
        provider_id = found.model.provider_id if isinstance(found, ModelMatch) else g["provider"]
        name, service, sub_type = _name(provider_id)
        dev = developer(model_id, name)
        start: dt.datetime = g["period"].replace(tzinfo=None)
        end = _period_end(start, grain)
        bill_start, bill_end = _billing_period(start)
        tags = {k: g[k] for k in by if k != "tenant" and g.get(k) is not None}
        band = _band(g["price_entry"])
        first_row = True
        for tc in CLASSES:
            qty = counts[tc.count]
            if qty == 0 or (tc.key == "requests" and billed[tc.rate] == 0 and listed[tc.rate] == 0):
                continue
            billed_f, list_f = qty * billed[tc.rate], qty * listed[tc.rate]
            group_total += billed_f
            sku = f"{provider_id}/{model_id}/{tc.key}"
            price_id = "/".join(p for p in (sku, tier, g["region"], band) if p)
            details = {"x_ModelDeveloper": dev, "x_ModelId": model_id, "x_ServiceTier": tier}
            if tc.direction:
                details["x_TokenDirection"] = tc.direction
            if tc.cache_action:
                details["x_TokenCacheAction"] = tc.cache_action
            if tc.ttl:
                details["x_CacheTtl"] = tc.ttl
            per = Decimal(tc.per)
            rows.append(
                {
                    "BilledCost": _usd(billed_f),
                    "BillingAccountId": billing_account_id,
                    "BillingAccountName": billing_account_name or billing_account_id,
                    "BillingCurrency": "USD",
                    "BillingPeriodEnd": bill_end,
                    "BillingPeriodStart": bill_start,
                    "ChargeCategory": "Usage",
                    "ChargeClass": None,
                    "ChargeDescription": f"{tc.meter} of {g['model']} ({tier})",
                    "ChargeFrequency": "Usage-Based",
                    "ChargePeriodEnd": end,
                    "ChargePeriodStart": start,
                    "ConsumedQuantity": Decimal(qty),
                    "ConsumedUnit": tc.unit,
                    "ContractedCost": _usd(billed_f),
                    "ContractedUnitPrice": _usd(billed[tc.rate]) * per,
                    "EffectiveCost": _usd(billed_f),
                    "HostProviderName": name,
                    "InvoiceIssuerName": name,
                    "ListCost": _usd(list_f),
                    "ListUnitPrice": _usd(listed[tc.rate]) * per,
                    "PricingCategory": "Standard",
                    "PricingQuantity": Decimal(qty) / per,
                    "PricingUnit": f"{tc.per} {tc.unit}",
                    "ProviderName": name,
                    "PublisherName": dev,
                    "RegionId": g["region"],
                    "RegionName": g["region"],
                    "ServiceCategory": "AI and Machine Learning",
                    "ServiceName": service,
                    "ServiceProviderName": name,
                    "ServiceSubcategory": "Generative AI",
                    "SkuId": sku,
                    "SkuMeter": tc.meter,
                    "SkuPriceDetails": json.dumps(details, sort_keys=True),
                    "SkuPriceId": price_id,
                    "SubAccountId": g.get("tenant"),
                    "SubAccountName": g.get("tenant"),
                    "SubAccountType": sub_type if g.get("tenant") is not None else None,
                    "Tags": json.dumps(tags, sort_keys=True) if tags else None,
                    "x_ModelDeveloper": dev,
                    "x_ModelId": model_id,
                    "x_TokenDirection": tc.direction,
                    "x_TokenCacheAction": tc.cache_action,
                    "x_CacheTtl": tc.ttl,
                    "x_ServiceTier": tier,
                    "x_IsBatch": tier == "batch",
                    "x_RequestCount": counts["requests"] if first_row else None,
                    "x_PriceEntry": g["price_entry"],
                    "x_ModelMatch": matches[g["provider"], g["model"]],
                }
            )
            first_row = False
        if group_total != int(g["femto"]):
            raise AssertionError(
                f"FOCUS rows of {g['price_entry']} add up to {group_total} fUSD, the bill to {g['femto']}: "
                "please report this"
            )
    table = pa.Table.from_pylist(rows, schema=FOCUS_SCHEMA)
    return FocusExport(table, priced.account(), _unpriced(priced))


def savings_dataset(
    baseline: Ledger, scenario: Ledger, book: PriceBook, *, name: str, grain: str = "day"
) -> pa.Table:
    """Simulated savings per charge period and sub-account: the baseline and a what-if ledger
    (a lever's counterfactual) priced with the same book. A separate dataset, never billed cost."""
    totals: dict[tuple[dt.datetime, Any], list[Decimal]] = {}
    for index, ledger in enumerate((baseline, scenario)):
        export = focus_export(ledger, book, grain=grain, by=("tenant",))
        for r in export.table.select(["ChargePeriodStart", "SubAccountId", "BilledCost"]).to_pylist():
            key = (r["ChargePeriodStart"], r["SubAccountId"])
            totals.setdefault(key, [Decimal(0), Decimal(0)])[index] += r["BilledCost"]
    rows = [
        {
            "x_Scenario": name,
            "ChargePeriodStart": start,
            "ChargePeriodEnd": _period_end(start.replace(tzinfo=None), grain),
            "SubAccountId": sub,
            "BillingCurrency": "USD",
            "x_BaselineCost": base,
            "x_ScenarioCost": what_if,
            "x_SimulatedSavings": base - what_if,
        }
        for (start, sub), (base, what_if) in sorted(totals.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
    ]
    return pa.Table.from_pylist(rows, schema=SAVINGS_SCHEMA)
