"""The True cost section of the HTML report: each model's API bill against what the same tokens
would cost served on GPUs by the serving model (through an open-weights stand-in of a similar
class, an assumption stated on the page), and the throughput–interactivity frontier of the
stand-in that carries the most spend."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from inferonomics.billing.bill import Summary
from inferonomics.errors import InferonomicsError
from inferonomics.ledger.schema import INPUT_COLUMNS
from inferonomics.report.format import money, pct
from inferonomics.report.html.charts import Chart, Section, grouped_bars, lines
from inferonomics.serving.api import serving_cost, serving_frontier

__all__ = ["STAND_INS", "TPOT_SLO_MS", "StandIn", "stand_in", "true_cost_section"]

TPOT_SLO_MS = 25.0
"""Each stand-in is served at the highest concurrency whose time per output token stays within this."""

MAX_ISL = 32_768
"""Longer average prompts are modelled at this length (the serving model's sweep stays feasible)."""

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class StandIn:
    """The open-weights model and GPU that stand in for an API model of a similar class."""

    model: str
    gpu: str
    why: str


# Closed models publish no architecture: each is served as an open model of a similar class, on
# one 8-GPU node (the same classes as case D2's proxies). Matched by a part of the name between
# dashes (so "gemini" is not "mini"), first match wins.
STAND_INS: tuple[tuple[tuple[str, ...], StandIn], ...] = (
    (("deepseek",), StandIn("deepseek-ai/DeepSeek-V3.2", "h200_sxm", "DeepSeek publishes its weights")),
    (("nano", "lite", "8b"), StandIn("Qwen/Qwen3-32B", "h200_sxm", "small class: a 32B dense model")),
    (
        ("haiku", "mini", "flash"),
        StandIn("Qwen/Qwen3-235B-A22B-FP8", "h200_sxm", "mid class: a 235B mixture of experts"),
    ),
    (("sonnet",), StandIn("deepseek-ai/DeepSeek-V3", "h200_sxm", "large class: a 671B mixture of experts")),
    (
        ("opus", "gpt-5", "pro", "o3"),
        StandIn("moonshotai/Kimi-K2-Instruct", "b200_sxm", "frontier class: a 1T mixture of experts"),
    ),
)
DEFAULT_STAND_IN = StandIn("Qwen/Qwen3-32B", "h200_sxm", "unknown class: a 32B dense model")


def stand_in(model: str) -> StandIn:
    """The stand-in for an API model, by name."""
    name = model.lower()
    parts = set(re.split(r"[-_/:. ]+", name))
    for needles, s in STAND_INS:
        if any(n in parts or ("-" in n and n in name) for n in needles):
            return s
    return DEFAULT_STAND_IN


def _rows(summary: Summary) -> tuple[list[list[Any]], list[str], tuple[StandIn, int, int] | None]:
    rows: list[list[Any]] = []
    notes: list[str] = []
    top: tuple[StandIn, int, int] | None = None
    for r in summary.by_model.to_pylist():
        if not r["requests"] or r["unpriced_requests"] == r["requests"]:
            continue
        s = stand_in(str(r["model"]))
        uncached_in = sum(int(r[c]) for c in INPUT_COLUMNS) - int(r["cache_read_tokens"])
        isl = max(1, min(MAX_ISL, sum(int(r[c]) for c in INPUT_COLUMNS) // r["requests"]))
        osl = max(1, int(r["output_tokens"]) // r["requests"])
        try:
            c = serving_cost(s.model, s.gpu, isl=isl, osl=osl, tpot_slo_ms=TPOT_SLO_MS)
        except InferonomicsError as e:
            notes.append(f"{r['provider']}/{r['model']}: not served ({e})")
            continue
        own = (
            uncached_in * c.input_usd_per_mtok
            + int(r["cache_read_tokens"]) * c.cached_input_usd_per_mtok
            + int(r["output_tokens"]) * c.output_usd_per_mtok
        ) / MILLION
        label = f"{r['provider']}/{r['model']}"
        rows.append([label, "API bill", r["cost_usd"]])
        rows.append([label, "serving cost", own])
        notes.append(
            f"{label}: served as {s.model} on {c.gpus}× {s.gpu} ({s.why}), TP{c.tp} EP{c.ep}, "
            f"{c.weight_precision} weights, {c.concurrency:,.0f} requests in flight at ≤ {TPOT_SLO_MS:g} ms "
            f"per output token, {isl:,} in / {osl:,} out per request, {money(c.gpu_hour_usd)}/GPU-hour at "
            f"{pct(c.utilization, 0)} utilisation: input {money(c.input_usd_per_mtok, 3)}, cached "
            f"{money(c.cached_input_usd_per_mtok, 3)}, output {money(c.output_usd_per_mtok, 3)} per MTok."
        )
        if top is None:
            top = (s, isl, osl)
    return rows, notes, top


def api_vs_serving_chart(rows: list[list[Any]]) -> Chart:
    """API bill against serving cost per model."""
    api = sum((r[2] for r in rows if r[1] == "API bill"), Decimal(0))
    own = sum((r[2] for r in rows if r[1] == "serving cost"), Decimal(0))
    ratio = f"{(api / own):,.1f}×" if own else "–"
    return Chart(
        key="true_cost.api_vs_serving",
        title="API bill against the cost of serving the same tokens",
        caption=(
            f"The models drawn bill {money(api)} at API prices; serving the same tokens on rented GPUs "
            f"would cost about {money(own)} ({ratio} less), under the assumptions listed below."
        ),
        columns=[("model", "provider/model"), ("what", "what"), ("cost_usd", "USD")],
        rows=rows,
        spec=grouped_bars(
            "API bill against serving cost", ("model", "provider/model"), "what", ("cost_usd", "USD")
        ),
    )


def frontier_chart(s: StandIn, isl: int, osl: int) -> Chart:
    """The throughput–interactivity frontier of one stand-in deployment."""
    f = serving_frontier(s.model, s.gpu, isl=isl, osl=osl)
    rows = [
        [p.tokens_per_s_per_user, p.output_tokens_per_s_per_gpu, p.gpus, p.tp, p.ep, p.concurrency]
        for p in f.frontier
    ]
    best = max(rows, key=lambda r: r[1]) if rows else None
    caption = f"{len(rows)} Pareto-optimal points of {f.configurations:,} configurations swept."
    if best is not None:
        caption += (
            f" The most output per GPU, {best[1]:,.0f} tokens/s, comes at {best[0]:,.1f} tokens/s per user "
            f"({best[2]} GPUs, TP{best[3]} EP{best[4]}, {best[5]:,.0f} in flight)."
        )
    spec = lines(
        "Throughput against interactivity",
        ("tokens_per_s_per_user", "output tokens/s per user"),
        ("tokens_per_s_per_gpu", "output tokens/s per GPU"),
        x_format=",~r",
        y_format=",~r",
    )
    return Chart(
        key="true_cost.frontier",
        title=f"Frontier: {s.model} on {s.gpu}, {isl:,} in / {osl:,} out",
        caption=caption,
        columns=[
            ("tokens_per_s_per_user", "output tokens/s per user"),
            ("tokens_per_s_per_gpu", "output tokens/s per GPU"),
            ("gpus", "GPUs"),
            ("tp", "TP"),
            ("ep", "EP"),
            ("concurrency", "in flight"),
        ],
        rows=rows,
        spec=spec,
    )


def true_cost_section(summary: Summary) -> Section:
    """The True cost section, or its omission when no model could be served."""
    rows, notes, top = _rows(summary)
    if not rows or top is None:
        why = "no priced model of the ledger could be served by the serving model."
        return Section(key="true_cost", title="True cost", intro="", omitted=" ".join([why, *notes]))
    charts = [api_vs_serving_chart(rows)]
    try:
        charts.append(frontier_chart(*top))
    except InferonomicsError as e:
        notes.append(f"No frontier: {e}")
    return Section(
        key="true_cost",
        title="True cost",
        intro=(
            "What the tokens would cost on your own GPUs: each API model stands in for an open-weights "
            "model of its class, served by the serving model at the catalogue's GPU-hour price."
        ),
        charts=charts,
        notes=notes,
    )
