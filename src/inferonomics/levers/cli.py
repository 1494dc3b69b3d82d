"""CLI commands of the what-if levers (`inferonomics levers ...`, `whatif`, `playbook`): parse,
call the library, print. The library modules are imported inside the commands (start-up stays
quick)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True, soft_wrap=True)

levers_app = typer.Typer(help="What-if levers: replay prompt caching over a ledger.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    json = "json"


class Writes(StrEnum):
    all = "all"
    reused = "reused"


Paths = Annotated[list[Path], typer.Argument(help="Usage files: CSV, Parquet, JSON lines, traces.")]
ModelAs = Annotated[
    str | None,
    typer.Option(
        "--model-as", help="Price every row as PROVIDER/MODEL (needed for traces, which carry no model)."
    ),
]
Prices = Annotated[
    list[Path] | None, typer.Option("--prices", help="A price sheet (YAML) over the book. Repeatable.")
]
InputFormat = Annotated[
    str | None, typer.Option("--input-format", help="The input's format (default: detected from content).")
]
TraceStart = Annotated[
    str | None, typer.Option("--trace-start", help="Instant (UTC) at which a trace starts (default: today).")
]
LeverOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--lever",
        help="A lever, NAME[:KEY=VALUE,...]: cache, batch, route, switch, cap, trim, prices, discount, "
        "commit (e.g. batch:features=summarize, cap:reasoning=4000). Repeatable; applied in order.",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help="table or json.")]


def _open(paths: list[Path], model_as: str | None, input_format: str | None, trace_start: str | None) -> Any:
    from inferonomics.cli import _instant
    from inferonomics.ledger.core import Ledger

    return Ledger.open(
        paths,
        model_as=model_as,
        input_format=input_format,
        trace_start=_instant(trace_start, "--trace-start"),
    )


def _book(prices: list[Path] | None) -> Any:
    from inferonomics.catalog.book import PriceBook

    return PriceBook.load(prices or [])


def _plain(value: Any) -> Any:
    """JSON-ready: money stays a decimal string; shares become numbers."""
    from inferonomics.report.terminal import json_default

    if isinstance(value, dict):
        return {
            k: (float(v) if k.endswith("_share") and isinstance(v, Decimal) else _plain(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return json_default(value)
    return value


def _pct(x: Decimal) -> str:
    return f"{x * 100:.1f}%"


def _money(x: Decimal) -> str:
    from inferonomics.report.terminal import money

    return money(x)


@levers_app.command("cache")
def cache(
    paths: Paths,
    model_as: ModelAs = None,
    policy: Annotated[
        str | None,
        typer.Option(
            help="Caching rules: anthropic, openai, gemini, gemini-explicit or deepseek (default: "
            "each model's own provider's)."
        ),
    ] = None,
    ttl: Annotated[
        str | None,
        typer.Option(help="Cache TTL, refreshed on every hit: seconds, 5m, 1h, or inf (no expiry)."),
    ] = None,
    min_tokens: Annotated[
        int | None,
        typer.Option("--min-tokens", help="Smallest cached prompt (default: the provider's; 0: none)."),
    ] = None,
    writes: Annotated[
        Writes,
        typer.Option(help="all: every cacheable prompt is written; reused: only what a later request reads."),
    ] = Writes.all,
    structure: Annotated[
        str, typer.Option(help="Prefix structure: auto, hashes, sessions or declared.")
    ] = "auto",
    block_tokens: Annotated[
        int | None,
        typer.Option(
            "--block-tokens",
            help="Tokens per prefix-hash block (default: the size the file records, else 512, Mooncake's).",
        ),
    ] = None,
    system_tokens: Annotated[
        str | None,
        typer.Option(
            "--system-tokens", help="A shared prefix every request starts with: N, or FEATURE:N+FEATURE:N."
        ),
    ] = None,
    capacity_blocks: Annotated[
        int | None,
        typer.Option("--capacity-blocks", help="Replay a self-hosted LRU KV cache of this many blocks."),
    ] = None,
    hit_rate: Annotated[
        str | None,
        typer.Option("--hit-rate", help="Assume this share of each cacheable prompt is cached (no replay)."),
    ] = None,
    reads_per_write: Annotated[
        str | None,
        typer.Option("--reads-per-write", help="With --hit-rate: reads of each cached token per write."),
    ] = None,
    by_feature: Annotated[
        bool, typer.Option("--by-feature", help="Per feature, with what each loses to expiry.")
    ] = False,
    price_sheets: Prices = None,
    fmt: FormatOpt = Format.table,
    input_format: InputFormat = None,
    trace_start: TraceStart = None,
) -> None:
    """Replay prompt caching over usage with a provider's rules: the cached share of input, and the
    bill before and after. With --ttl inf and --min-tokens 0: the pure prefix-reuse bound (longest
    prefix shared with any earlier request, one shared cache per model).

    JSON keys: requests, input_tokens_total, cached_input_tokens, cached_input_share,
    cache_write_tokens, cost_before_usd, cost_after_usd, cost_uncached_usd (decimal strings), policies."""
    from inferonomics.levers.assumed import AssumedCaching
    from inferonomics.levers.caching import Caching
    from inferonomics.levers.report import cache_report
    from inferonomics.levers.spec import lever_from

    settings = {
        "policy": policy,
        "ttl": ttl,
        "min_tokens": None if min_tokens is None else str(min_tokens),
        "structure": None if structure == "auto" else structure,
        "block_tokens": None if block_tokens is None else str(block_tokens),
        "system_tokens": system_tokens,
        "writes": None if writes is Writes.all else writes.value,
        "capacity_blocks": None if capacity_blocks is None else str(capacity_blocks),
        "hit_rate": hit_rate,
        "reads_per_write": reads_per_write,
    }
    lever = lever_from("cache", {k: v for k, v in settings.items() if v is not None})
    assert isinstance(lever, Caching | AssumedCaching)
    ledger = _open(paths, model_as, input_format, trace_start)
    report = cache_report(ledger, _book(price_sheets), lever, by_feature=by_feature)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(_plain(report), indent=2) + "\n")
        return
    _print_cache(report, lever.describe())


def _print_cache(r: dict[str, Any], title: str) -> None:
    out.rule(f"[bold]{title}", align="left")
    out.print(
        f"Requests {r['requests']:,} (replayed {r['replayed_requests']:,}, below the minimum "
        f"{r['below_minimum_requests']:,}; structure: {r['structure']})",
        highlight=False,
    )
    out.print(
        f"Input tokens {r['input_tokens_total']:,}; read from cache {r['cached_input_tokens']:,} "
        f"([bold]{_pct(r['cached_input_share'])}[/bold]); written {r['cache_write_tokens']:,}",
        highlight=False,
    )
    line = (
        f"Bill: as recorded {_money(r['cost_before_usd'])}, with this caching [bold]"
        f"{_money(r['cost_after_usd'])}[/bold], with no caching {_money(r['cost_uncached_usd'])}"
    )
    if r["storage_usd"]:
        line += f" (of which cache storage {_money(r['storage_usd'])})"
    out.print(line, highlight=False)
    if r["unpriced_requests"]:
        out.print(f"[yellow]{r['unpriced_requests']:,} requests unpriced (not in the totals)[/yellow]")
    rules = Table(show_edge=False, pad_edge=False, title="Rules replayed", title_justify="left")
    for c in ("provider", "model", "policy", "ttl", "min tokens", "increment", "writes billed as"):
        rules.add_column(c)
    for p in r["policies"]:
        ttl = "none" if p["ttl_seconds"] is None else f"{p['ttl_seconds']:g} s"
        rules.add_row(
            p["provider"],
            p["model"],
            p["policy"],
            ttl,
            f"{p['min_tokens']:,}",
            str(p["increment"]),
            p["writes_billed_as"],
        )
    out.print(rules)
    for note in r["notes"]:
        out.print(f"[dim]{note}[/dim]")
    if "by_feature" in r:
        t = Table(show_edge=False, pad_edge=False, title="By feature", title_justify="left")
        cols = ["feature", "requests", "cached", "no expiry", "before", "after", "lost to expiry"]
        for c in cols:
            t.add_column(c, justify="left" if c == "feature" else "right")
        for f in r["by_feature"]:
            t.add_row(
                str(f["feature"]),
                f"{f['requests']:,}",
                _pct(f["cached_input_share"]),
                _pct(f["cached_no_expiry_share"]) if "cached_no_expiry_share" in f else "–",
                _money(f["cost_before_usd"]),
                _money(f["cost_after_usd"]),
                _money(f["lost_to_expiry_usd"]) if "lost_to_expiry_usd" in f else "–",
            )
        out.print(t)


def _run(
    paths: list[Path],
    levers: list[str] | None,
    model_as: str | None,
    price_sheets: list[Path] | None,
    input_format: str | None,
    trace_start: str | None,
    *,
    defaults: bool,
) -> tuple[Any, list[str]]:
    from inferonomics.errors import LeverError
    from inferonomics.levers.playbook import default_levers, run
    from inferonomics.levers.spec import parse_lever

    parsed = [parse_lever(text) for text in levers or []]
    ledger = _open(paths, model_as, input_format, trace_start)
    notes: list[str] = []
    if not parsed:
        if not defaults:
            raise LeverError("whatif needs at least one --lever (e.g. --lever batch:share=0.5)")
        parsed, notes = default_levers(ledger)
    return run(ledger, _book(price_sheets), parsed, skip_losers=defaults), notes


def _print_playbook(book: Any, notes: list[str], *, ranked: bool) -> None:
    out.print(
        f"Bill {_money(book.baseline.cost_usd)} → [bold]{_money(book.final.cost_usd)}[/bold]: saves "
        f"{_money(book.saving_usd)} ([bold]{_pct(book.saving_share)}[/bold]) over {book.baseline.requests:,} "
        "requests",
        highlight=False,
    )
    t = Table(show_edge=False, pad_edge=False)
    t.add_column("#", justify="right")
    t.add_column("lever")
    for c in ("before", "after", "saves", "of what was left"):
        t.add_column(c, justify="right")
    for i, s in enumerate(book.steps, 1):
        t.add_row(
            str(i),
            s.lever,
            _money(s.before_usd),
            _money(s.after_usd),
            _money(s.saving_usd),
            _pct(s.saving_share),
        )
    out.print(t)
    out.print(
        f"Compounded: 1 - Π(1 - s) = {_pct(book.compounded_share)}; adding the steps' shares would claim "
        f"{_pct(book.added_share)}",
        highlight=False,
    )
    if ranked:
        out.print("Ranked by saving: " + ", ".join(f"{s.lever} {_money(s.saving_usd)}" for s in book.ranked))
    for i, s in enumerate(book.steps, 1):
        out.print(f"{i}. {s.lever}: {s.description}", highlight=False)
        out.print(f"   [dim]rests on: {'; '.join(s.assumptions)}[/dim]", highlight=False)
        for note in s.notes:
            out.print(f"   {note}", highlight=False)
        if s.unpriced_requests:
            out.print(f"   [yellow]{s.unpriced_requests:,} requests unpriced after this step[/yellow]")
    for note in notes:
        out.print(f"[dim]{note}[/dim]", highlight=False)


def whatif(
    paths: Paths,
    lever: LeverOpt = None,
    model_as: ModelAs = None,
    price_sheets: Prices = None,
    fmt: FormatOpt = Format.table,
    input_format: InputFormat = None,
    trace_start: TraceStart = None,
) -> None:
    """Apply levers to usage, in order, and show the bill before and after each.

    JSON: cost_before_usd, cost_after_usd, saving_usd, saving_share, and each step's figures."""
    book, notes = _run(paths, lever, model_as, price_sheets, input_format, trace_start, defaults=False)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(_plain(book.as_dict()), indent=2) + "\n")
        return
    _print_playbook(book, notes, ranked=False)


def playbook(
    paths: Paths,
    lever: LeverOpt = None,
    model_as: ModelAs = None,
    price_sheets: Prices = None,
    fmt: FormatOpt = Format.table,
    input_format: InputFormat = None,
    trace_start: TraceStart = None,
) -> None:
    """The savings playbook: levers applied in sequence, each measured on what the previous ones
    left (savings compound), ranked by saving, with the assumptions each rests on. Without
    --lever: caching replayed with each provider's rules, and batch for the features that already
    use batch or flex."""
    book, notes = _run(paths, lever, model_as, price_sheets, input_format, trace_start, defaults=True)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(_plain({**book.as_dict(), "notes": notes}), indent=2) + "\n")
        return
    _print_playbook(book, notes, ranked=True)


def register(app: typer.Typer) -> None:
    """Add the levers' commands to the main app."""
    app.add_typer(levers_app, name="levers")
    app.command()(whatif)
    app.command()(playbook)
