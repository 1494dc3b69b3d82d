"""A model's prices on the terminal: the rates in force, long-context tiers, time windows,
the entry and its sources, and the history (from `PriceBook.describe_model`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from inferonomics.catalog.book import modality_what
from inferonomics.catalog.schema import MODALITY_RATE_FIELDS
from inferonomics.catalog.show import RATE_LABELS

__all__ = ["print_model"]


def _in_out(r: dict[str, Decimal | None]) -> str:
    inp, out = r["input_usd_per_mtok"], r["output_usd_per_mtok"]
    shown = [f"{v.normalize():f}" if v is not None else "–" for v in (inp, out)]
    return f"${shown[0]}, output ${shown[1]} /MTok"


def print_model(info: dict[str, Any], console: Console, *, history: bool = False) -> None:
    """One model's prices (from `PriceBook.describe_model`); names and sources are literal text. With
    `history`, every standard-price period is listed with its source and note, even a single one."""
    head = Text(f"{info['provider']}/{info['model']}", style="bold")
    head.append((f" ({info['name']})" if info.get("name") else "") + f" — {info['service_tier']}")
    head.append((f", region {info['region']}" if info.get("region") else "") + f", at {info['at']}")
    console.print(head)
    if info.get("match") == "near":
        console.print(
            Text(
                f"near match: '{info['asked']}' is not a name the book knows exactly; priced as "
                f"{info['provider']}/{info['model']}",
                style="yellow",
            )
        )
    if "unpriced" in info:
        console.print(Text(f"no price: {info['unpriced']}", style="yellow"))
    else:
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("rate")
        table.add_column("USD", justify="right")
        table.add_column("per")
        for key, label, per in RATE_LABELS:
            value = info["rates"][key]
            if value is None:
                continue
            table.add_row(label, f"{value.normalize():f}", per)
        console.print(table)
        unrated = [
            label
            for key, label, _ in RATE_LABELS
            if key in MODALITY_RATE_FIELDS and info["rates"][key] is None
        ]
        if unrated:
            console.print(f"no rate (tokens of these leave a request unpriced): {', '.join(unrated)}")
        for t in info.get("long_context", []):
            console.print(
                f"above {t['above_input_tokens']:,} input tokens (all tokens of the request): input "
                + _in_out(t["rates"])
            )
        for w in info.get("windows", []):
            console.print(
                Text(
                    f"{w['label']} {w['utc']} UTC on {','.join(w['weekdays'])}: input " + _in_out(w["rates"])
                )
            )
        console.print(Text(f"entry: {info['entry']}", style="dim"))
        for s in info.get("sources", []):
            console.print(Text(f"source: {s}", style="dim"))
        for n in info.get("notes", []):
            console.print(Text(f"note: {n}", style="dim"))
    hist = info.get("history", [])
    if len(hist) > 1 or (history and hist):
        console.print("history:")
        for h in hist:
            console.print(
                Text(
                    f"  from {h['valid_from']}: input {h['input_usd_per_mtok']}, "
                    f"output {h['output_usd_per_mtok']}"
                    + "".join(f", {modality_what(k)} {rate}" for k, rate in h.get("modality", {}).items())
                    + (f", {h['windows']} time windows" if h["windows"] else "")
                    + (f", {h['tiers']} long-context tiers" if h["tiers"] else "")
                    + f"  [{h['source']}]"
                )
            )
            if history and h.get("note"):
                console.print(Text(f"    {h['note']}", style="dim"))
        if history and hist[0]["valid_from"] == "(first)":
            console.print(
                Text("  the first period has no start date: it prices usage of any earlier date", style="dim")
            )
