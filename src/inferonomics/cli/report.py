"""`inferonomics report`: the main job. Price usage (or a generated demo ledger) and show where
the money goes: on the terminal, as Markdown or as JSON, and (with --html) as one
self-contained HTML page of charts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

import typer

from inferonomics.cli._common import (
    ByOpt,
    ColumnsOpt,
    EngineOption,
    InputFormatOpt,
    ModelAsOpt,
    OutOpt,
    PricesOpt,
    TraceStartOpt,
    add_command,
    book,
    by_columns,
    check_out,
    open_ledger,
    progress,
    tell,
    to_console,
    write_text,
)


def report(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Usage files; none generates the demo ledger."),
    ] = None,
    by: ByOpt = None,
    fmt: Annotated[
        Literal["table", "markdown", "json"], typer.Option("--format", help="Output format.")
    ] = "table",
    out_file: OutOpt = None,
    rows: Annotated[int, typer.Option(min=1, help="Rows of the generated demo ledger.")] = 200_000,
    seed: Annotated[int, typer.Option(help="Seed of the generated demo ledger.")] = 42,
    price_sheets: PricesOpt = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
    engine: EngineOption = "duckdb",
    html_file: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Also write the HTML report (one self-contained page of charts) to FILE.",
        ),
    ] = None,
    open_page: Annotated[
        bool,
        typer.Option(
            "--open", help="Open the HTML report in the default browser once written (needs --html)."
        ),
    ] = False,
) -> None:
    """Price usage (or a generated demo ledger) and show where the money goes.

    The main job: the total and where it goes, breakdowns by provider, model, feature and
    service tier (and by the --by columns), the spread of spend over users, and what was not
    priced. With no files, a demo ledger is generated first. --html FILE also writes the HTML
    report: bill, users, levers, true cost and (for coding-agent logs) subscriptions, as charts
    with their numbers, in one page that works offline."""
    import inferonomics as inf
    from inferonomics.report.format import to_json
    from inferonomics.report.terminal import print_summary, summary_dict, summary_markdown

    check_out(out_file)
    if open_page and html_file is None:
        raise inf.OptionError("--open opens the HTML report: give --html FILE too")
    check_out(html_file, option="--html")
    page = None
    with tempfile.TemporaryDirectory(prefix="inferonomics-demo-") as tmp:
        if not paths:
            demo = Path(tmp) / "demo-ledger.parquet"
            with progress(f"Generating a demo ledger of {rows:,} requests", rows) as advance:
                inf.generate_demo(demo, rows, seed=seed, progress=advance)
            tell(f"demo ledger: {rows:,} generated requests (seed {seed}); pass files to bill your own usage")
            paths = [demo]
        with progress("Pricing"):
            ledger = open_ledger(
                paths,
                model_as=model_as,
                columns=columns,
                input_format=input_format,
                trace_start=trace_start,
                engine=engine,
            )
            prices = book(price_sheets)
            summary = inf.summarize(ledger, prices, by=by_columns(by))
        if html_file is not None:
            names = [p.name for p in paths] if paths[0].parent != Path(tmp) else ["a generated demo ledger"]
            with progress("Building the HTML report", len(inf.HtmlReport.STEPS)) as advance:
                page = inf.html_report(
                    ledger,
                    book=prices,
                    by=by_columns(by),
                    sources=names,
                    summary=summary,
                    progress=lambda _step: advance(1),
                )
                size = page.write(html_file)
    if fmt == "json":
        write_text(to_json(summary_dict(summary)), out_file)
    elif fmt == "markdown":
        write_text(summary_markdown(summary), out_file)
    else:
        with to_console(out_file) as console:
            print_summary(summary, console)
    if out_file is not None:
        tell(f"wrote the report to {out_file}")
    if page is not None and html_file is not None:
        tell(f"wrote the HTML report to {html_file} ({size / 1e6:,.2f} MB)")
        if open_page:
            import webbrowser

            webbrowser.open(html_file.resolve().as_uri())


def register(app: typer.Typer) -> None:
    """Add `report` to the app."""
    add_command(app, report)
