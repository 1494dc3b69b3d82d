"""Pricing commands: `prices` (what the book says), `bill` (a ledger priced and rolled up) and
`reconcile` (reported costs against our prices)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from inferonomics.cli._common import (
    ByOpt,
    ColumnsOpt,
    EngineOption,
    GrainOpt,
    InputFormatOpt,
    ModelAsOpt,
    OutOpt,
    PathsArg,
    PricesOpt,
    TimezoneOpt,
    TraceStartOpt,
    add_command,
    book,
    by_columns,
    check_out,
    instant,
    open_ledger,
    out,
    print_account,
    tell,
    to_console,
    write_rows,
    write_text,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from rich.console import Console
    from rich.table import Table

    import inferonomics as inf

Tier = Literal["standard", "batch", "flex", "priority"]


def prices(
    model: Annotated[
        str | None,
        typer.Argument(
            metavar="MODEL",
            help="A model name, or PROVIDER/MODEL; none lists providers (or --provider's models).",
        ),
    ] = None,
    provider: Annotated[
        str | None, typer.Option(help="The provider (default: found from the model name).")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            metavar="INSTANT", help="Date or instant (UTC) to show the prices in force at (default: now)."
        ),
    ] = None,
    tier: Annotated[Tier, typer.Option(help="Service tier.")] = "standard",
    region: Annotated[
        str | None, typer.Option(help="Region or inference geography (for data-residency uplifts).")
    ] = None,
    price_sheets: PricesOpt = None,
    fmt: Annotated[Literal["table", "json"], typer.Option("--format", help="Output format.")] = "table",
    stale: Annotated[
        int | None,
        typer.Option(
            "--stale",
            metavar="DAYS",
            min=0,
            help="List the book's entries whose checked date is more than DAYS old (oldest first).",
        ),
    ] = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history", help="List every standard-price period with its source and note, even a single one."
        ),
    ] = False,
) -> None:
    """Show a model's rates in force, with their sources and history.

    With no model: the providers of the price book, or (with --provider) a provider's models;
    --stale DAYS lists the entries not checked for DAYS days."""
    from inferonomics.report.format import to_json
    from inferonomics.report.prices import print_model
    from inferonomics.report.tables import table_of

    price_book = book(price_sheets)
    when = instant(at, "--at")
    if stale is not None:
        rows, undated = price_book.stale(stale)
        if fmt == "json":
            write_text(to_json(rows.to_pylist()), None)
        else:
            out().print(table_of(rows, title=f"Entries checked more than {stale} days ago"))
        tell(
            f"{rows.num_rows:,} entries checked more than {stale} days ago; "
            f"{undated:,} periods have no checked date"
        )
        return
    if model is None:
        rows = price_book.models_table(provider, when) if provider else price_book.providers_table()
        if fmt == "json":
            write_text(to_json(rows.to_pylist()), None)
        else:
            out().print(
                table_of(rows, title=f"Models of {provider}" if provider else "Providers in the price book")
            )
        return
    info = price_book.describe_model(model, provider=provider, at=when, tier=tier, region=region)
    if fmt == "json":
        write_text(to_json([info]), None)
    else:
        print_model(info, out(), history=history)


def bill(
    paths: PathsArg,
    by: ByOpt = None,
    grain: GrainOpt = None,
    timezone: TimezoneOpt = None,
    fmt: Annotated[
        Literal["table", "json", "csv", "parquet"],
        typer.Option("--format", help="Output format (parquet needs --out)."),
    ] = "table",
    out_file: OutOpt = None,
    per_row: Annotated[
        bool, typer.Option("--per-row", help="Every priced row with its cost components instead of a rollup.")
    ] = False,
    price_sheets: PricesOpt = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Price usage files and roll the bill up by columns and time.

    Every row read ends billed or quarantined (with its file, line and reason; the account goes
    to stderr); a row that cannot be priced (unknown model, no price for its tier...) is counted
    as unpriced, never priced at $0. The table ends with a total row. JSON is an array of
    objects (the group columns, requests, token sums, cost_usd and its components as exact
    decimal strings, unpriced_requests); CSV has the same columns."""
    import inferonomics as inf

    check_out(out_file, needed_for="--format parquet" if fmt == "parquet" else None)
    group = by_columns(by)
    ledger = open_ledger(
        paths,
        model_as=model_as,
        columns=columns,
        input_format=input_format,
        trace_start=trace_start,
        engine=engine,
    )
    price_book = book(price_sheets)
    if per_row:
        if group or grain:
            tell("--per-row lists rows: --by and --grain are ignored")
        priced = inf.price(ledger, book=price_book)
        table = priced.to_arrow()
        account = priced.account()
    else:
        result = inf.bill(ledger, book=price_book, by=group, grain=grain, tz=timezone)
        table, account = result.table, result.account
    if fmt != "table":
        write_rows(table, fmt, out_file)
    else:
        with to_console(out_file) as console:
            _print_bill(table, per_row, console)
    print_account(account, ledger)
    _name_models(ledger, price_book)
    _name_missing_modality_rates(ledger, price_book, table)


def _name_models(ledger: inf.Ledger, price_book: inf.PriceBook) -> None:
    """On stderr: every model priced through a near match (and as what), every unknown one with the
    nearest known names, and, when any name is not exact, how many names met the book each way. The
    names come from the keys the bill already read (no second pass)."""
    keys = ledger.keys().table
    pairs = sorted(
        {
            (p, m)
            for p, m in zip(keys["provider"].to_pylist(), keys["model"].to_pylist(), strict=True)
            if p is not None and m is not None
        }
    )
    kinds: dict[str, int] = {}
    for provider, model in pairs:
        note = price_book.how_matched(provider, model)
        kinds[note["status"]] = kinds.get(note["status"], 0) + 1
        if note["status"] == "near":
            tell(
                f"near match: {provider}/{model} is priced as {note['matched']} (not an exact name: check it)"
            )
        elif note["status"] == "unknown":
            tell(f"unpriced: {note['reason']}")
    if kinds.get("near") or kinds.get("unknown"):
        counts = ", ".join(f"{kinds[k]:,} {k}" for k in ("exact", "alias", "near", "unknown") if kinds.get(k))
        tell(f"model names: {counts} (--per-row gives each row's match and matched_model)")


def _name_missing_modality_rates(ledger: inf.Ledger, price_book: inf.PriceBook, table: pa.Table) -> None:
    """On stderr: requests left unpriced because their audio, image or video tokens have no rate
    (`unpriced: no audio input rate for openai/gpt-4o`). Only when the bill has both unpriced requests and
    modality tokens (it then takes one more pass)."""
    import pyarrow.compute as pc

    import inferonomics as inf

    if "unpriced_requests" not in table.column_names or not pc.sum(table["unpriced_requests"]).as_py():
        return
    # The bill's modality columns (input_audio_tokens, cache_read_image_tokens, ...), read by name so the
    # command stays on the public API.
    modal = [c for c in table.column_names if re.search(r"_(audio|image|video)_tokens$", c)]
    if not any(pc.sum(table[c]).as_py() for c in modal):
        return
    for status, requests in inf.price(ledger, book=price_book).unpriced_by_status().items():
        if " rate for " in status:
            tell(f"{status} ({requests:,} request{'' if requests == 1 else 's'}; --per-row lists them)")


def _print_bill(table: pa.Table, per_row: bool, console: Console) -> None:
    import pyarrow.compute as pc

    from inferonomics.report.format import money
    from inferonomics.report.tables import bill_table, table_of

    if per_row:
        shown = table.select(["ts", "request_id", "provider", "model", "match", "status", "cost_usd"])
        console.print(table_of(shown, limit=50))
        total = pc.sum(table["cost_usd"]).as_py() if table.num_rows else 0
        more = (
            f"; {table.num_rows - 50:,} more rows (--format csv|json|parquet lists all)"
            if table.num_rows > 50
            else ""
        )
        console.print(f"total {money(total)} over {table.num_rows:,} rows{more}")
    else:
        console.print(bill_table(table, limit=200))


def reconcile(
    paths: PathsArg,
    fmt: Annotated[
        Literal["table", "json", "csv"], typer.Option("--format", help="Output format.")
    ] = "table",
    out_file: OutOpt = None,
    limit: Annotated[
        int, typer.Option(min=1, help="Rows to show in the table (largest residuals first).")
    ] = 30,
    price_sheets: PricesOpt = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Compare reported costs with our prices, per model and day.

    What sources say they charged against our price: largest residuals first, each with its
    likely cause.

    Sources that report a cost: the Anthropic and OpenAI cost reports and cost exports,
    OpenRouter, LiteLLM, Helicone, Langfuse. Cost reports carry no token counts: pass the usage
    export of the same days beside them."""
    import inferonomics as inf
    from inferonomics.report.format import money

    check_out(out_file)
    ledger = open_ledger(paths, model_as=model_as, columns=columns, input_format=input_format)
    result = inf.reconcile(ledger, book=book(price_sheets))
    if fmt != "table":
        write_rows(result.table, fmt, out_file)
    elif result.table.num_rows == 0:
        out().print(
            "no reported costs in these files: nothing to reconcile (usage alone is billed by `bill`)"
        )
    else:
        with to_console(out_file) as console:
            console.print(_residuals(result.table, limit))
            console.print(
                f"reported {money(result.reported_usd, 4)}  priced {money(result.priced_usd, 4)}  "
                f"residual {money(result.residual_usd, 4)}"
            )
    print_account(result.account, ledger)


def _residuals(table: pa.Table, limit: int) -> Table:
    """The reconciliation as a terminal table: the figures, and the cause in full."""
    from rich.table import Table
    from rich.text import Text

    from inferonomics.report.format import money

    view = Table(title="Reported cost against our price, per model and day (largest residual first)")
    for name in ("day", "model", "source"):
        view.add_column(name, no_wrap=True)
    for name in ("reported", "priced", "residual", "%"):
        view.add_column(name, justify="right", no_wrap=True)
    view.add_column("likely cause")
    for r in table.slice(0, limit).to_pylist():
        pct = "" if r["residual_pct"] is None else f"{r['residual_pct']:+.1f}"
        view.add_row(
            r["day"].isoformat(),
            Text(f"{r['provider']}/{r['model']}"),
            Text(str(r["source"])),
            money(r["reported_usd"], 4),
            money(r["priced_usd"], 4),
            money(r["residual_usd"], 4),
            pct,
            Text(str(r["cause"])),
        )
    if table.num_rows > limit:
        view.caption = f"… and {table.num_rows - limit:,} more (--limit, or --format json|csv for all)"
    return view


def register(app: typer.Typer) -> None:
    """Add the pricing commands to the app."""
    for fn in (prices, bill, reconcile):
        add_command(app, fn)
