"""`inferonomics agents daily|weekly|monthly|session|blocks`: coding-agent usage (Claude Code,
Codex logs, or any ledger) at API prices, by local period, by session and by 5-hour block."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table
from rich.text import Text

from inferonomics.cli._common import (
    ByOpt,
    OutOpt,
    PricesOpt,
    add_command,
    book,
    by_columns,
    check_out,
    open_ledger,
    print_account,
    tell,
    to_console,
    write_rows,
)
from inferonomics.errors import OptionError
from inferonomics.report.format import count, money, tokens

if TYPE_CHECKING:
    from rich.console import Console

    from inferonomics import AgentBlocks, AgentReport

Format = Literal["table", "json", "csv"]

AgentPaths = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="PATH",
        help="Agent log trees or files (a Claude Code config or projects folder, a Codex sessions "
        "folder, a transcript), or any usage file; none: the standard locations that exist "
        "(~/.claude, ~/.config/claude, $CLAUDE_CONFIG_DIR, ~/.codex, $CODEX_HOME).",
        show_default=False,
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option("--since", metavar="DATE", help="First local date included (YYYY-MM-DD or YYYYMMDD)."),
]
UntilOpt = Annotated[
    str | None,
    typer.Option("--until", metavar="DATE", help="Last local date included (YYYY-MM-DD or YYYYMMDD)."),
]
ZoneOpt = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        metavar="ZONE",
        help="The time zone of the dates: an IANA name, e.g. Europe/Paris (default: UTC).",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise OptionError(f"{option} {value!r} is not a date (YYYY-MM-DD or YYYYMMDD)") from None


def _paths(paths: list[Path] | None) -> list[Path]:
    import inferonomics as inf

    if paths:
        return paths
    found: list[Path] = inf.default_agent_paths()
    if not found:
        raise OptionError(
            "no agent logs found in the standard locations (~/.claude/projects, ~/.config/claude/projects, "
            "$CLAUDE_CONFIG_DIR, ~/.codex/sessions, $CODEX_HOME): pass the folder or files to read"
        )
    tell("reading " + ", ".join(str(p) for p in found))
    return found


def _report(
    period: Literal["day", "week", "month", "session"],
    paths: list[Path] | None,
    since: str | None,
    until: str | None,
    timezone: str | None,
    by: str | None,
    fmt: str,
    out_file: Path | None,
    price_sheets: list[Path] | None,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import inferonomics as inf

    check_out(out_file)
    first, last = _date(since, "--since"), _date(until, "--until")
    found = _paths(paths)
    inf.PriceBook  # noqa: B018 (imported here: imports on two threads at once could deadlock)
    # The price book loads (Python) while the logs are read (DuckDB, which releases the GIL); a
    # problem with either is raised in this order: the logs', then the sheets'.
    with ThreadPoolExecutor(1) as pool:
        prices = pool.submit(book, price_sheets)
        ledger = open_ledger(found)
        report = inf.agent_usage(
            ledger, period, tz=timezone, since=first, until=last, by=by_columns(by), book=prices.result()
        )
    if fmt == "table":
        with to_console(out_file) as console:
            _print_report(report, console)
    else:
        table = report.table()
        if fmt == "csv" and "models" in table.column_names:
            table = table.set_column(
                table.schema.get_field_index("models"),
                "models",
                [[" ".join(m) for m in table["models"].to_pylist()]],
            )
        write_rows(table, fmt, out_file)
    print_account(report.account, ledger)
    if report.rows_outside:
        tell(f"{report.rows_outside:,} rows outside --since/--until left out")


def _print_report(report: AgentReport, console: Console) -> None:
    head = {"day": "date", "week": "week of", "month": "month", "session": "session"}[report.period]
    view = Table(show_edge=False, pad_edge=False)
    view.add_column(head, no_wrap=True)
    for c in report.by:
        view.add_column(c, no_wrap=True)
    if report.period == "session":
        view.add_column("last activity", no_wrap=True)
    for c in ("requests", "input", "cache write", "cache read", "output", "total", "cost"):
        view.add_column(c, justify="right", no_wrap=True)
    view.add_column("models")
    for r in report.rows:
        writes = r["cache_write_5m_tokens"] + r["cache_write_1h_tokens"] + r["cache_write_other_tokens"]
        view.add_row(
            Text(str(r[next(iter(r))])),
            *[Text("–" if r[c] is None else str(r[c])) for c in report.by],
            *(
                [Text(f"{r['last_activity']:%Y-%m-%d %H:%M}" if r["last_activity"] else "–")]
                if report.period == "session"
                else []
            ),
            count(r["requests"]),
            tokens(r["input_tokens"]),
            tokens(writes),
            tokens(r["cache_read_tokens"]),
            tokens(r["output_tokens"]),
            tokens(r["total_tokens"]),
            money(r["cost_usd"]),
            Text(", ".join(r["models"])),
        )
    t = report.totals
    view.add_section()
    writes = t["cache_write_5m_tokens"] + t["cache_write_1h_tokens"] + t["cache_write_other_tokens"]
    view.add_row(
        Text("total", style="bold"),
        *[Text("")] * (len(report.by) + (1 if report.period == "session" else 0)),
        count(t["requests"]),
        tokens(t["input_tokens"]),
        tokens(writes),
        tokens(t["cache_read_tokens"]),
        tokens(t["output_tokens"]),
        tokens(t["total_tokens"]),
        money(t["cost_usd"]),
        "",
        style="bold",
    )
    console.print(view)
    zone = report.tz or "UTC"
    console.print(Text(f"at API list prices; dates in {zone}", style="dim"))
    if t["unpriced_requests"]:
        console.print(Text(f"{t['unpriced_requests']:,} requests unpriced (not in the cost)", style="yellow"))


def daily(
    paths: AgentPaths = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    timezone: ZoneOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
) -> None:
    """Usage and its cost at API prices by local day, with the models used.

    JSON: an array of objects with `date` (YYYY-MM-DD in the chosen zone), the --by columns,
    `requests`, the token buckets, `total_tokens`, `cost_usd` (an exact decimal string),
    `unpriced_requests` and `models`."""
    _report("day", paths, since, until, timezone, by, fmt, out_file, price_sheets)


def weekly(
    paths: AgentPaths = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    timezone: ZoneOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
) -> None:
    """Usage and its cost at API prices by local week (Monday to Sunday), with the models used.

    JSON: as `daily`, with `week` (the Monday's date) for `date`."""
    _report("week", paths, since, until, timezone, by, fmt, out_file, price_sheets)


def monthly(
    paths: AgentPaths = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    timezone: ZoneOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
) -> None:
    """Usage and its cost at API prices by local month, with the models used.

    JSON: as `daily`, with `month` (YYYY-MM) for `date`."""
    _report("month", paths, since, until, timezone, by, fmt, out_file, price_sheets)


def session(
    paths: AgentPaths = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    timezone: ZoneOpt = None,
    by: ByOpt = None,
    fmt: FormatOpt = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
) -> None:
    """Usage and its cost at API prices by session, with first and last activity and the models.

    JSON: as `daily`, with `session`, `first_activity` and `last_activity` (UTC) for `date`."""
    _report("session", paths, since, until, timezone, by, fmt, out_file, price_sheets)


def blocks(
    paths: AgentPaths = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    timezone: ZoneOpt = None,
    by: ByOpt = None,
    style: Annotated[
        Literal["anthropic", "ccusage"],
        typer.Option(
            help="anthropic: a block opens at the first request after the previous block closed and "
            "lasts 5 hours; ccusage: its start floored to the hour, as ccusage shows blocks."
        ),
    ] = "anthropic",
    hours: Annotated[int, typer.Option(min=1, help="Block length in hours.")] = 5,
    fmt: FormatOpt = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
) -> None:
    """Usage and its cost by 5-hour block, with burn rate and, for the block still open, a
    projection to its end at the current rate.

    JSON: an array of blocks with `block_start`, `block_end`, `first_request`, `last_request`
    (UTC), the token buckets, `total_tokens`, `cost_usd`, `unpriced_requests`, `tokens_per_minute`,
    `usd_per_hour` and `active`; the open block also has `minutes_left`, `projected_cost_usd` and
    `projected_total_tokens`."""
    import inferonomics as inf

    check_out(out_file)
    first, last = _date(since, "--since"), _date(until, "--until")
    ledger = open_ledger(_paths(paths))
    result = inf.agent_blocks(
        ledger,
        hours=hours,
        style=style,
        since=first,
        until=last,
        tz=timezone,
        by=by_columns(by),
        book=book(price_sheets),
    )
    if fmt == "table":
        with to_console(out_file) as console:
            _print_blocks(result, console, timezone)
    else:
        table = result.table
        if result.active is not None and fmt == "json":
            from inferonomics.cli._common import write_text
            from inferonomics.report.format import to_json

            rows = table.to_pylist()
            for r in rows:
                if r.get("active"):
                    r.update(
                        {
                            k: result.active[k]
                            for k in ("minutes_left", "projected_cost_usd", "projected_total_tokens")
                        }
                    )
            write_text(to_json(rows), out_file)
        else:
            write_rows(table, fmt, out_file)
    print_account(result.account, ledger)


def _print_blocks(result: AgentBlocks, console: Console, tz: str | None) -> None:
    import zoneinfo

    zone = zoneinfo.ZoneInfo(tz) if tz else dt.UTC
    by = list(result.by)
    view = Table(show_edge=False, pad_edge=False)
    for c in ("block start", *by, "last request", "requests", "tokens", "cost", "$/hour"):
        view.add_column(
            c, justify="right" if c in ("requests", "tokens", "cost", "$/hour") else "left", no_wrap=True
        )
    for r in result.table.to_pylist():
        start = r["block_start"].astimezone(zone)
        label = f"{start:%Y-%m-%d %H:%M}" + (" (active)" if r.get("active") else "")
        view.add_row(
            Text(label),
            *[Text("–" if r[c] is None else str(r[c])) for c in by],
            Text(f"{r['last_request'].astimezone(zone):%H:%M}"),
            count(r["requests"]),
            tokens(r["total_tokens"]),
            money(r["cost_usd"]),
            "–" if r["usd_per_hour"] is None else money(r["usd_per_hour"]),
        )
    console.print(view)
    a = result.active
    if a is not None:
        projected = "–" if a["projected_cost_usd"] is None else money(a["projected_cost_usd"])
        volume = tokens(a["projected_total_tokens"] or a["total_tokens"])
        console.print(
            f"Active block: {money(a['cost_usd'])} so far, {a['minutes_left']:.0f} minutes left; "
            f"at this rate {projected} and {volume} tokens by {a['block_end'].astimezone(zone):%H:%M}"
        )
    console.print(
        Text(
            f"{result.style} blocks of {result.hours} h; times in {tz or 'UTC'}; at API list prices",
            style="dim",
        )
    )


app = typer.Typer(
    help="Coding-agent usage at API prices: by day, week, month, session and 5-hour block.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
for _fn in (daily, weekly, monthly, session, blocks):
    add_command(app, _fn)


def register(main: typer.Typer) -> None:
    """Add `agents` to the app."""
    main.add_typer(app, name="agents")
