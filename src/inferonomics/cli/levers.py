"""What-if commands: `levers cache` (prompt caching replayed with a provider's rules); `whatif` and
`playbook` live in `cli/playbook.py` and are registered here."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table
from rich.text import Text

from inferonomics.cli._common import (
    ByOpt,
    ColumnsOpt,
    GrainOpt,
    InputFormatOpt,
    ModelAsOpt,
    OutOpt,
    PathsArg,
    PricesOpt,
    TraceStartOpt,
    add_command,
    book,
    by_columns,
    check_out,
    deny,
    heading,
    open_ledger,
    to_console,
    write_text,
)
from inferonomics.report.format import count, money, pct

if TYPE_CHECKING:
    from rich.console import Console

    from inferonomics import CacheReport

Format = Literal["table", "json"]

LeverOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--lever",
        metavar="NAME[:KEY=VALUE,...]",
        help="A lever: cache, batch, route, switch, cap, trim, prices, discount or commit (e.g. "
        "batch:features=summarize, cap:reasoning=4000; settings in docs/levers.md). Repeatable; "
        "applied in order.",
    ),
]

WRITE_RATES = {
    "cache_write_5m_tokens": "the 5-minute write rate",
    "cache_write_1h_tokens": "the 1-hour write rate",
    "cache_write_other_tokens": "the provider's write rate",
    "input_tokens": "the input rate (no write surcharge)",
}


def cache(
    paths: PathsArg,
    policy: Annotated[
        Literal["anthropic", "openai", "gemini", "gemini-explicit", "deepseek"] | None,
        typer.Option(help="Caching rules to replay (default: each model's own provider's)."),
    ] = None,
    ttl: Annotated[
        str | None,
        typer.Option(
            metavar="TTL",
            help="Cache lifetime, refreshed on every hit: seconds, 5m, 1h, or inf (no expiry). "
            "Writes bill at the rate of the TTL asked for (1h and beyond: the 1-hour rate).",
        ),
    ] = None,
    min_tokens: Annotated[
        int | None,
        typer.Option(
            "--min-tokens", min=0, help="Smallest cached prompt (default: the provider's; 0: none)."
        ),
    ] = None,
    writes: Annotated[
        Literal["all", "reused"],
        typer.Option(help="all: every cacheable prompt is written; reused: only what a later request reads."),
    ] = "all",
    structure: Annotated[
        Literal["auto", "hashes", "sessions", "declared"],
        typer.Option(help="Where the prompts' shared prefixes come from."),
    ] = "auto",
    block_tokens: Annotated[
        int | None,
        typer.Option(
            "--block-tokens",
            min=1,
            help="Tokens per prefix-hash block (default: the size the file records, else 512, Mooncake's).",
        ),
    ] = None,
    system_tokens: Annotated[
        str | None,
        typer.Option(
            "--system-tokens",
            metavar="N|FEATURE:N+...",
            help="A shared prefix every request starts with: N tokens, or per feature.",
        ),
    ] = None,
    capacity_blocks: Annotated[
        int | None,
        typer.Option(
            "--capacity-blocks", min=1, help="Replay a self-hosted LRU KV cache of this many blocks."
        ),
    ] = None,
    hit_rate: Annotated[
        str | None,
        typer.Option(
            "--hit-rate",
            metavar="SHARE",
            help="Assume this share (0-1) of each cacheable prompt is cached (no replay).",
        ),
    ] = None,
    reads_per_write: Annotated[
        str | None,
        typer.Option(
            "--reads-per-write", metavar="K", help="With --hit-rate: reads of each cached token per write."
        ),
    ] = None,
    by: ByOpt = None,
    grain: GrainOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
) -> None:
    """Replay prompt caching with a provider's rules: cached share and bills.

    The share of input read from cache, and the bill as recorded, with this caching and with no
    caching at all. With --ttl
    inf and --min-tokens 0: the pure prefix-reuse bound (longest prefix shared with any earlier
    request, one shared cache per model). --by and --grain add the same per group and period,
    with what each loses to expiry.

    JSON keys: lever, requests, input_tokens_total, cached_input_tokens, cached_input_share,
    cache_write_tokens, cost_before_usd, cost_after_usd, cost_uncached_usd, saving_usd,
    storage_usd (decimal strings), policies, notes, and with --by or --grain: by, grain, groups."""
    import inferonomics as inf

    check_out(out_file)
    settings = {
        "policy": policy,
        "ttl": ttl,
        "min_tokens": None if min_tokens is None else str(min_tokens),
        "structure": None if structure == "auto" else structure,
        "block_tokens": None if block_tokens is None else str(block_tokens),
        "system_tokens": system_tokens,
        "writes": None if writes == "all" else writes,
        "capacity_blocks": None if capacity_blocks is None else str(capacity_blocks),
        "hit_rate": hit_rate,
        "reads_per_write": reads_per_write,
    }
    given = [f"{k}={v}" for k, v in settings.items() if v is not None]
    deny(any("," in v for v in given), "a cache setting contains a comma: lists are joined with +")
    lever = inf.parse_lever("cache:" + ",".join(given) if given else "cache")
    assert isinstance(lever, inf.Caching | inf.AssumedCaching)
    ledger = open_ledger(
        paths, model_as=model_as, columns=columns, input_format=input_format, trace_start=trace_start
    )
    report = inf.cache_report(ledger, lever, book=book(price_sheets), by=by_columns(by), grain=grain)
    if fmt == "json":
        write_text(_json(report.as_dict()), out_file)
        return
    with to_console(out_file) as console:
        _print_cache(report, console)


def _json(data: dict[str, object]) -> str:
    from inferonomics.report.format import to_json

    shown = _shares_as_numbers(data)
    assert isinstance(shown, dict)
    return to_json(shown)


def _shares_as_numbers(value: object) -> object:
    """Shares (`*_share`) as JSON numbers; money stays an exact decimal string."""
    if isinstance(value, dict):
        return {
            k: (float(v) if k.endswith("_share") and isinstance(v, Decimal) else _shares_as_numbers(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shares_as_numbers(v) for v in value]
    return value


def _print_cache(r: CacheReport, console: Console) -> None:
    heading(console, r.lever)
    console.print(
        f"Requests {count(r.requests)} (replayed {count(r.replayed_requests)}, below the minimum "
        f"{count(r.below_minimum_requests)}; structure: {r.structure})"
    )
    console.print(
        Text.assemble(
            f"Input tokens {count(r.input_tokens_total)}; read from cache {count(r.cached_input_tokens)} (",
            (pct(r.cached_input_share), "bold"),
            f"); written {count(r.cache_write_tokens)}",
        )
    )
    writes = ", ".join(WRITE_RATES.get(b, b) for b in r.write_buckets) or "none"
    line = Text.assemble(
        f"Bill as recorded {money(r.cost_before_usd)}; with this caching ",
        (money(r.cost_after_usd), "bold"),
        f" (writes billed at {writes}",
        f", cache storage {money(r.storage_usd)}" if r.storage_usd else "",
        f"); with no caching at all {money(r.cost_uncached_usd)}",
    )
    console.print(line)
    change = r.cost_after_usd - r.cost_before_usd
    if change > 0:
        console.print(
            Text(
                f"This caching costs {money(change)} more than what the ledger records: the recorded "
                "traffic already caches better than this replay, or its writes cost more than its reads "
                "save.",
                style="yellow",
            )
        )
    if r.unpriced_requests:
        console.print(
            Text(f"{count(r.unpriced_requests)} requests unpriced (not in the totals)", style="yellow")
        )
    rules = Table(show_edge=False, pad_edge=False, title="Rules replayed", title_justify="left")
    for c in ("provider", "model", "policy", "ttl", "min tokens", "increment", "writes billed as"):
        rules.add_column(c, no_wrap=True)
    for p in r.policies:
        ttl_text = "none" if p["ttl_seconds"] is None else f"{p['ttl_seconds']:g} s"
        rules.add_row(
            Text(str(p["provider"])),
            Text(str(p["model"])),
            p["policy"],
            ttl_text,
            f"{p['min_tokens']:,}",
            str(p["increment"]),
            p["writes_billed_as"],
        )
    console.print(rules)
    for note in r.notes:
        console.print(Text(note, style="dim"))
    if r.groups is not None:
        from inferonomics.report.tables import cell

        keys = [*(["period"] if r.grain else []), *r.by]
        t = Table(show_edge=False, pad_edge=False, title=f"By {', '.join(keys)}", title_justify="left")
        expiry = "lost_to_expiry_usd" in r.groups.column_names
        cols = [*keys, "requests", "cached", *(["no expiry"] if expiry else []), "before", "after"]
        cols += ["lost to expiry"] if expiry else []
        for c in cols:
            t.add_column(c, justify="left" if c in keys else "right", no_wrap=True)
        for g in r.groups.to_pylist():
            t.add_row(
                *[cell(g[c]) for c in keys],
                count(g["requests"]),
                pct(g["cached_input_share"]),
                *([pct(g["cached_no_expiry_share"])] if expiry else []),
                money(g["cost_before_usd"]),
                money(g["cost_after_usd"]),
                *([money(g["lost_to_expiry_usd"])] if expiry else []),
            )
        console.print(t)


def register(app: typer.Typer) -> None:
    """Add `levers cache`, `whatif` and `playbook` (from `cli/playbook.py`) to the app."""
    from inferonomics.cli.playbook import playbook, whatif

    levers = typer.Typer(
        help="What-if levers: replay prompt caching over a ledger.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    add_command(levers, cache, "cache")
    app.add_typer(levers, name="levers")
    add_command(app, whatif)
    add_command(app, playbook)
