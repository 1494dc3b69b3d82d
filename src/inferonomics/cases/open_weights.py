"""Case D4: open-weight prices as a proxy for the cost of serving.

Every listing of the two open models in the price book (any host, at `D4_AT`) is resolved; the
cheapest, by its blended price on `MIX`, stands for the model (competition among hosts is what makes
an open model's price a cost proxy at all). Its ratio to Anthropic's price on the same mix gives
the claim's "roughly 10%" and its "$5,000 of usage ~ $500 of compute"; the serving model then says
what serving the same tokens costs (where the model configs are there).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from inferonomics.cases import CaseResult, case, conclude, pct, usd
from inferonomics.cases.prices import book, in_out, rates
from inferonomics.cases.serving import configs_missing
from inferonomics.cases.verdict import Part, value
from inferonomics.catalog.book import ModelMatch, Resolved

D4_AT = dt.datetime(2026, 3, 2, 10, 0)
"""A Monday in early 2026, when the article wrote (Kimi K2.5 and Qwen 3.5 were out)."""
MIX = (Decimal("0.7"), Decimal("0.3"))
"""Input and output shares of the tokens (A2's 700M / 300M month)."""
USAGE_USD = Decimal(5000)
"""The claim's "$5,000 of API-equivalent usage"."""

# label, the normalized name that identifies the model in any host's listing, the maker's own
# provider id in the book (None: the book has no first-party listing), the config the serving
# model loads, and the precision it is served in.
OPEN_MODELS = (
    ("Qwen 3.5 397B-A17B", "qwen35397ba17b", None, "Qwen/Qwen3.5-397B-A17B", "fp8"),
    ("Kimi K2.5", "kimik25", "moonshotai", "moonshotai/Kimi-K2.5", "int4"),
)
ANTHROPIC = ("Opus 4.6", "anthropic", "claude-opus-4-6")
SERVE_GPU = "h200_sxm"
SERVE_TPOT_MS = (25.0, 50.0)


@dataclass(frozen=True)
class Listing:
    """One host's price for an open model at `D4_AT`."""

    key: str
    input: Decimal
    output: Decimal
    cache_read: Decimal | None

    @property
    def blended(self) -> Decimal:
        """The price on `MIX`, $/MTok."""
        return MIX[0] * self.input + MIX[1] * self.output


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def listings(target: str) -> list[Listing]:
    """Every listing in the book whose id (last path segment) or display name is the model."""
    found = []
    for provider in book().providers.values():
        for m in provider.models:
            names = {_norm(m.id.split("/")[-1]), _norm(m.name or "")}
            if target not in names:
                continue
            r = book().resolve(ModelMatch(provider, m), "standard", None, D4_AT, D4_AT.weekday(), 36000, 0)
            if isinstance(r, Resolved) and r.input_usd_per_mtok and r.output_usd_per_mtok:
                found.append(
                    Listing(m.key, r.input_usd_per_mtok, r.output_usd_per_mtok, r.cache_read_usd_per_mtok)
                )
    return sorted(found, key=lambda x: (x.blended, x.key))


def serving_costs(model: str, precision: str) -> list[tuple[float, Any]]:
    """The serving model's cost of `model` on one 8-GPU node at each TPOT target (D2's operating
    points: 2,048 in / 512 out, neocloud GPU price, 100% use)."""
    from inferonomics.serving.configs import Workload
    from inferonomics.serving.cost import cost_of, gpu_hour_price
    from inferonomics.serving.frontier import best_layout_under_slo

    out = []
    for slo in SERVE_TPOT_MS:
        dep, conc = best_layout_under_slo(model, SERVE_GPU, 2048, 512, slo, precision=precision)
        price = gpu_hour_price(SERVE_GPU, market="owner_neocloud")
        out.append((slo, cost_of(dep, Workload(isl=2048, osl=512, concurrency=conc), price)))
    return out


@case("D4")
def d4() -> CaseResult:
    """Open-weight prices in the book against Anthropic's, and the serving model's cost of the tokens."""
    ref = rates(ANTHROPIC[1], ANTHROPIC[2], at=D4_AT)
    ref_in, ref_out = in_out(ref)
    ref_blend = MIX[0] * ref_in + MIX[1] * ref_out
    assert ref.cache_read_usd_per_mtok is not None
    figures: dict[str, Any] = {
        "anthropic": {"input": ref_in, "output": ref_out, "cache_read": ref.cache_read_usd_per_mtok}
    }
    lines = [
        f"Anthropic {ANTHROPIC[0]}: {usd(ref_in)} / {usd(ref_out)}, cache reads "
        f"{usd(ref.cache_read_usd_per_mtok)}; "
        f"{usd(ref_blend)} per MTok on the mix"
    ]
    parts: list[Part] = []
    ratios: list[Decimal] = []
    caches: list[tuple[Decimal, str]] = []
    notes: list[str] = []
    stated = {"Qwen 3.5 397B-A17B": ("0.39", "2.34"), "Kimi K2.5": ("0.45", "2.25")}
    for label, target, maker, _, _ in OPEN_MODELS:
        found = listings(target)
        if not found:
            reason = f"the price book has no listing of {label}"
            parts += [
                Part.of(f"{label} input", value(stated[label][0]), None, "usd", reason=reason),
                Part.of(f"{label} output", value(stated[label][1]), None, "usd", reason=reason),
            ]
            continue
        cheapest = found[0]
        ratio = cheapest.blended / ref_blend
        ratios.append(ratio)
        caches += [(x.cache_read, x.key) for x in found if x.cache_read is not None]
        figures[label] = {
            "cheapest": cheapest.key,
            "input": cheapest.input,
            "output": cheapest.output,
            "ratio_to_anthropic": ratio,
            "listings": len(found),
        }
        parts += [
            Part.of(f"{label} input ({cheapest.key})", value(stated[label][0]), cheapest.input, "usd"),
            Part.of(f"{label} output ({cheapest.key})", value(stated[label][1]), cheapest.output, "usd"),
        ]
        own = [x for x in found if maker is not None and x.key.startswith(f"{maker}/")]
        lines.append(
            f"{label}: {len(found)} listings, {usd(found[0].blended)}-{usd(found[-1].blended)} per MTok on "
            "the mix; "
            f"cheapest {cheapest.key} {usd(cheapest.input)} / {usd(cheapest.output)} = {pct(ratio)} of "
            f"{ANTHROPIC[0]}'s; the maker's own: "
            + (f"{own[0].key} {usd(own[0].input)} / {usd(own[0].output)}" if own else "not in the book")
        )
        near = min(
            found,
            key=lambda x: (
                abs(x.input - Decimal(stated[label][0])) + abs(x.output - Decimal(stated[label][1]))
            ),
        )
        if (near.input, near.output) != (Decimal(stated[label][0]), Decimal(stated[label][1])):
            notes.append(
                f"No host lists {label} at the stated price; the nearest is {near.key} at "
                f"{usd(near.input)} / {usd(near.output)}."
            )
    cheapest_cache = min(caches, default=None)
    parts.append(
        Part.of(
            "open-weight cache read (cheapest listing)",
            value("0.07"),
            cheapest_cache[0] if cheapest_cache else None,
            "usd",
            reason="no listing of either model has a cache-read price",
        )
    )
    parts.append(
        Part.of(f"Anthropic cache read ({ANTHROPIC[0]})", value("0.50"), ref.cache_read_usd_per_mtok, "usd")
    )
    span = (min(ratios) * 100, max(ratios) * 100) if ratios else None
    parts.append(
        Part.of(
            "open-weight price / Anthropic's, on the mix",
            value("10", "roughly"),
            span,
            "pct",
            reason="no open model is in the book",
            main=True,
        )
    )
    compute = (USAGE_USD * min(ratios), USAGE_USD * max(ratios)) if ratios else None
    parts.append(
        Part.of(
            "$5,000 of usage at open-weight prices",
            value("500", "≈"),
            compute,
            "usd",
            reason="no open model is in the book",
        )
    )
    figures["usage_at_open_prices"] = compute
    missing = configs_missing()
    served: list[Decimal] = []
    if missing is None:
        for label, _, _, config, precision in OPEN_MODELS:
            for slo, c in serving_costs(config, precision):
                blend = MIX[0] * c.input_usd_per_mtok + MIX[1] * c.output_usd_per_mtok
                served.append(USAGE_USD * blend / ref_blend)
                figures.setdefault("served", {})[f"{label} {slo:.0f} ms"] = (
                    c.input_usd_per_mtok,
                    c.output_usd_per_mtok,
                )
                lines.append(
                    f"{label} served ({config}, {precision}, {c.gpus}x {SERVE_GPU}, TP{c.tp}, {slo:.0f} ms "
                    "TPOT): "
                    f"{usd(c.input_usd_per_mtok)} in / {usd(c.output_usd_per_mtok)} out / "
                    f"{usd(c.cached_input_usd_per_mtok)} cached per MTok; $5,000 of {ANTHROPIC[0]} usage "
                    "costs "
                    f"{usd(served[-1])} to serve"
                )
    figures["usage_at_serving_cost"] = served
    parts.append(
        Part.of(
            "$5,000 of usage at the serving model's cost",
            value("500", "≈"),
            (min(served), max(served)) if served else None,
            "usd",
            reason=missing or "",
        )
    )
    if cheapest_cache:
        notes.append(f"The cheapest cache read listed is {cheapest_cache[1]}'s {usd(cheapest_cache[0])}.")
    return conclude(
        "D4",
        "Open-weight prices as a cost proxy",
        "Qwen 3.5 397B-A17B $0.39 / $2.34 and Kimi K2.5 (1T, 32B active) $0.45 / $2.25 per million tokens, "
        "cache "
        "reads $0.07 against Anthropic's $0.50: \"roughly 10% of Anthropic's API price\", so $5,000 of "
        "API-equivalent usage ~ $500 of compute",
        parts,
        inputs={
            "date": f"{D4_AT:%Y-%m-%d %H:%M} UTC",
            "open-weight price": "the cheapest listing of the model in the price book (any host), by its "
            "blended price on the mix",
            "Anthropic's price": f"{ANTHROPIC[0]} (whose cache read is the stated $0.50)",
            "token mix": f"{MIX[0]:.0%} input, {MIX[1]:.0%} output",
            "serving": f"one 8-GPU {SERVE_GPU} node, Qwen in FP8 and Kimi K2.5 in its released INT4; 2,048 "
            "in / "
            "512 out tokens at 25 and 50 ms TPOT; neocloud GPU price; 100% use",
        },
        figures=figures,
        lines=lines,
        notes=notes,
    )
