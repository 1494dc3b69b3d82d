"""The command-line interface: parses arguments, calls the library, prints. No economics here."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from inferonomics.serving.cli import app as serve_app

app = typer.Typer(
    help="The economics of LLM inference: what usage costs, where the money goes, what would save.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(serve_app, name="serve")

out = Console()
err = Console(stderr=True, soft_wrap=True)


class UserError(Exception):
    """A problem with the user's input: printed as one clear message, exit code 2."""


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"


class ShowFormat(StrEnum):
    table = "table"
    json = "json"


PricesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--prices",
        help="A price sheet (YAML) over the book: discounts, committed rates, custom models. "
        "Repeatable; later sheets win.",
    ),
]
ModelAsOpt = Annotated[
    str | None,
    typer.Option(
        "--model-as", help="Price every row as PROVIDER/MODEL (needed for traces, which carry no model)."
    ),
]
ColumnsOpt = Annotated[
    list[str] | None,
    typer.Option("--columns", help="Map the file's columns: CANONICAL=NAME[,CANONICAL=NAME...]."),
]
InputFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        help="The input format (default: detected from content): ledger-parquet, ledger-csv, "
        "ledger-jsonl, responses, anthropic-usage-report, anthropic-cost-report, "
        "anthropic-console-usage-csv, anthropic-console-cost-csv, openai-usage-api, openai-costs-api, "
        "openai-dashboard-usage-csv, openai-dashboard-cost-csv, gemini, otel, litellm-spend-logs, "
        "langfuse, helicone, openrouter, azure-trace, mooncake-trace (see docs/formats.md).",
    ),
]
TraceStartOpt = Annotated[
    str | None,
    typer.Option(
        "--trace-start", help="Instant (UTC) at which a Mooncake trace starts (default: today 00:00)."
    ),
]


def _instant(value: str | None, what: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{what}: '{value}' is not a date or time (use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00Z)"
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _book(prices: list[Path] | None) -> Any:
    from inferonomics.catalog.book import PriceBook

    return PriceBook.load(prices or [])


def _ledger(
    paths: list[Path],
    model_as: str | None,
    columns: list[str] | None,
    input_format: str | None,
    trace_start: str | None,
) -> Any:
    from inferonomics.ledger.core import Ledger, parse_column_map

    return Ledger.open(
        paths,
        input_format=input_format,
        column_map=parse_column_map(columns),
        model_as=model_as,
        trace_start=_instant(trace_start, "--trace-start"),
    )


@app.command()
def prices(
    model: Annotated[
        str | None, typer.Argument(help="A model name (or PROVIDER/MODEL); none lists providers.")
    ] = None,
    provider: Annotated[
        str | None, typer.Option(help="The provider (default: found from the model name).")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="Date or instant (UTC) to show the prices in force at (default: now).")
    ] = None,
    tier: Annotated[str, typer.Option(help="Service tier: standard, batch, flex or priority.")] = "standard",
    region: Annotated[
        str | None, typer.Option(help="Region / inference geography (for residency uplifts).")
    ] = None,
    price_sheets: PricesOpt = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="table or json.")] = ShowFormat.table,
) -> None:
    """Show the rates in force for a model, with their source; list providers or a provider's models."""
    from inferonomics.catalog.show import describe_model, list_models, list_providers
    from inferonomics.report.terminal import table_of, to_json

    book = _book(price_sheets)
    when = _instant(at, "--at") or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if model is None:
        rows = list_models(book, provider, when) if provider else list_providers(book)
        if fmt is ShowFormat.json:
            out.print_json(to_json(rows.to_pylist()))
        else:
            out.print(
                table_of(rows, title=f"Models of {provider}" if provider else "Providers in the price book")
            )
        return
    try:
        info = describe_model(book, model, provider=provider, at=when, tier=tier, region=region)
    except LookupError as e:
        raise UserError(str(e)) from None
    if fmt is ShowFormat.json:
        out.print_json(to_json([info]))
        return
    from inferonomics.catalog.show import print_model

    print_model(info, out)


@app.command()
def bill(
    paths: Annotated[list[Path], typer.Argument(help="Usage files: CSV, Parquet, JSON lines (gzip too).")],
    model_as: ModelAsOpt = None,
    by: Annotated[
        str | None, typer.Option(help="Group by these columns, comma-separated (e.g. provider,model).")
    ] = None,
    grain: Annotated[str | None, typer.Option(help="Time grain: hour, day, week or month.")] = None,
    price_sheets: PricesOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json, csv or parquet.")] = Format.table,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the result here (needed for parquet).")
    ] = None,
    per_row: Annotated[
        bool, typer.Option("--per-row", help="Output every priced row instead of a rollup.")
    ] = False,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
) -> None:
    """Price usage files and roll the bill up by columns and time.

    Every row read ends up billed or quarantined (with file, line and reason); rows that cannot be
    priced (unknown model, no price for the tier...) are counted as unpriced, never priced at $0.
    JSON output is an array of objects: the group columns, requests, token sums, cost_usd (a decimal
    string) and unpriced_requests."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from inferonomics.billing.engine import price
    from inferonomics.billing.rollup import rollup
    from inferonomics.report.terminal import bill_table, table_of, to_json

    ledger = _ledger(paths, model_as, columns, input_format, trace_start)
    priced = price(ledger, _book(price_sheets))
    group = [c.strip() for c in by.split(",") if c.strip()] if by else []
    if per_row:
        result = priced.to_arrow()
        account = priced.account()
    else:
        rolled = rollup(priced, group, grain)
        result, account = rolled.table, rolled.account
    if fmt is Format.parquet:
        if out_file is None:
            raise UserError("--format parquet needs --out FILE")
        pq.write_table(result, out_file)
    elif fmt is Format.csv:
        if out_file is None:
            buf = pa.BufferOutputStream()
            _write_csv(result, buf)
            sys.stdout.write(buf.getvalue().to_pybytes().decode())
        else:
            _write_csv(result, out_file)
    elif fmt is Format.json:
        text = to_json(result.to_pylist())
        if out_file is None:
            sys.stdout.write(text + "\n")
        else:
            out_file.write_text(text + "\n")
    elif per_row:
        out.print(
            table_of(result.select(["ts", "request_id", "provider", "model", "status", "cost_usd"]), limit=50)
        )
        if result.num_rows > 50:
            out.print(
                f"… {result.num_rows - 50:,} more rows (use --format csv|json|parquet --out FILE for all)"
            )
    else:
        out.print(bill_table(result, limit=200))
    _account(account, ledger)


def _csv_safe(table: Any) -> Any:
    """A table as CSV writes it well: decimals as plain decimal strings ("0", not "0E-15"), lists
    as space-separated values, dictionary columns as text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for f in table.schema:
        col = table[f.name]
        if pa.types.is_decimal(f.type):
            col = pc.if_else(pc.equal(col, 0), pa.scalar("0"), pc.cast(col, pa.string()))
        elif pa.types.is_dictionary(f.type):
            col = col.cast(pa.string())
        elif pa.types.is_list(f.type):
            col = pa.array(
                [None if v is None else " ".join(map(str, v)) for v in col.to_pylist()], pa.string()
            )
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _write_csv(table: Any, target: Any) -> None:
    import pyarrow.csv as pacsv

    pacsv.write_csv(_csv_safe(table), target)


def _account(account: Any, ledger: Any) -> None:
    """The account of rows, always on stderr so machine-readable output stays clean."""
    from inferonomics.ledger.core import format_quarantine

    err.print(
        f"rows read {account.rows_read:,} = billed {account.rows_billed:,} + quarantined "
        f"{account.rows_quarantined:,}",
        highlight=False,
    )
    if account.rows_quarantined:
        for row in ledger.quarantine(limit=5).to_pylist():
            err.print(f"  {format_quarantine(row)}", highlight=False, markup=False)
        if account.rows_quarantined > 5:
            err.print(f"  … {account.rows_quarantined - 5:,} more (inferonomics quarantine lists them all)")
    for source in ledger.sources:
        for note in source.notes:
            err.print(note, highlight=False)
        if source.ignored_columns:
            err.print(
                f"{source.display}: columns not in the ledger, ignored: {', '.join(source.ignored_columns)}"
            )


@app.command()
def quarantine(
    paths: Annotated[list[Path], typer.Argument(help="Usage files.")],
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="table or json.")] = ShowFormat.table,
) -> None:
    """List every quarantined row of usage files: file, line, field and reason."""
    from inferonomics.report.terminal import table_of, to_json

    ledger = _ledger(paths, model_as, columns, input_format, trace_start)
    table = ledger.quarantine()
    if fmt is ShowFormat.json:
        sys.stdout.write(to_json(table.to_pylist()) + "\n")
    else:
        out.print(table_of(table))
    _account(ledger.account(), ledger)


@app.command()
def generate(
    path: Annotated[Path, typer.Argument(help="The Parquet file to write.")],
    rows: Annotated[int, typer.Option(help="Number of rows (requests).")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same ledger).")] = 42,
    start: Annotated[str, typer.Option(help="First day (UTC).")] = "2026-10-01",
    days: Annotated[int, typer.Option(help="Number of days covered.")] = 31,
    prefix_block_tokens: Annotated[
        int | None,
        typer.Option(
            help="Add a prefix_hashes column of prompt blocks of this many tokens, for "
            "`levers cache` replays (see docs/levers.md); without it the file is the same."
        ),
    ] = None,
) -> None:
    """Write a realistic demo ledger (heavy-tailed users, multi-turn sessions with caching, batch...)."""
    from inferonomics.ledger.generate import write_demo

    first = _instant(start, "--start")
    assert first is not None
    if prefix_block_tokens is not None and prefix_block_tokens < 1:
        raise UserError("--prefix-block-tokens must be at least 1")
    with _progress(f"Generating {rows:,} rows", rows) as advance:
        written = write_demo(
            path,
            rows,
            seed=seed,
            start=first,
            days=days,
            progress=advance,
            prefix_block_tokens=prefix_block_tokens,
        )
    err.print(f"wrote {written:,} rows to {path}")


class _progress:
    """A progress bar on stderr for long work (silent when stderr is not a terminal)."""

    def __init__(self, label: str, total: int | None) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> Any:
        self.progress.start()
        return lambda n=1: self.progress.advance(self.task, n)

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


@app.command()
def report(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Usage files; none generates the demo ledger.")
    ] = None,
    rows: Annotated[int, typer.Option(help="Rows of the generated demo ledger.")] = 200_000,
    seed: Annotated[int, typer.Option(help="Seed of the generated demo ledger.")] = 42,
    model_as: ModelAsOpt = None,
    price_sheets: PricesOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
) -> None:
    """The main job: price usage (or a generated demo ledger) and print the summary."""
    from inferonomics.billing.bill import summarize
    from inferonomics.ledger.generate import write_demo
    from inferonomics.report.terminal import print_summary

    with tempfile.TemporaryDirectory(prefix="inferonomics-demo-") as tmp:
        if not paths:
            demo = Path(tmp) / "demo-ledger.parquet"
            with _progress(f"Generating a demo ledger of {rows:,} requests", rows) as advance:
                write_demo(demo, rows, seed=seed, progress=advance)
            err.print(
                f"demo ledger: {rows:,} generated requests (seed {seed}); pass files to bill your own usage"
            )
            paths = [demo]
        with _progress("Pricing", None):
            ledger = _ledger(paths, model_as, columns, input_format, trace_start)
            summary = summarize(ledger, _book(price_sheets))
        print_summary(summary, out)


@app.command()
def cases(
    ids: Annotated[list[str] | None, typer.Argument(help="Case ids (e.g. A2 B1); none runs all.")] = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="table or json.")] = ShowFormat.table,
) -> None:
    """Compute the worked cases of the articles behind this project and say where they are wrong."""
    from inferonomics.cases import run_cases
    from inferonomics.report.terminal import to_json

    try:
        results = run_cases(ids or None)
    except KeyError as e:
        raise UserError(str(e.args[0])) from None
    if fmt is ShowFormat.json:
        sys.stdout.write(to_json([r.as_dict() for r in results]) + "\n")
        return
    for r in results:
        mark = {
            "holds": "[green]holds[/green]",
            "wrong": "[red]wrong[/red]",
            "partly": "[yellow]partly[/yellow]",
        }
        out.rule(f"[bold]{r.id}[/bold] {r.title}", align="left")
        out.print(f"Claim: {r.claim}", highlight=False)
        for line in r.lines:
            out.print(f"  {line}", highlight=False)
        out.print(f"Verdict: {mark.get(r.verdict, r.verdict)} — {r.explanation}", highlight=False)


def _register_areas() -> None:
    from inferonomics.ledger.commands import register as register_formats
    from inferonomics.levers.cli import register as register_levers

    register_formats(app)
    register_levers(app)


_register_areas()


def main() -> None:
    from inferonomics.errors import InputError, LeverError, PriceBookError, RollupError

    try:
        app()
    except (UserError, InputError, PriceBookError, RollupError, LeverError) as e:
        err.print(f"[red]error:[/red] {e}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
