"""CLI commands of the ledger's formats and exports (`import`, `reconcile`, `export focus`,
`export focus-check`): each parses, calls the library, prints."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from inferonomics.cli import (
    ColumnsOpt,
    InputFormatOpt,
    ModelAsOpt,
    PricesOpt,
    ShowFormat,
    TraceStartOpt,
    UserError,
    _account,
    _book,
    _ledger,
    err,
    out,
)

PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Usage files in any supported format (or a postgresql:// URL of a LiteLLM database)."
    ),
]


def import_ledger(
    paths: PathsArg,
    out_file: Annotated[Path, typer.Option("--out", help="The canonical ledger to write (Parquet).")],
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
) -> None:
    """Read usage in any supported format and write the canonical ledger (Parquet).

    Every row read is written or quarantined (with file, line and reason); importing the same export
    twice writes the same ledger as once."""
    from inferonomics.ledger.writer import write_parquet

    ledger = _ledger(paths, model_as, columns, input_format, trace_start)
    table = write_parquet(ledger, out_file)
    _account(ledger.account(), ledger)
    err.print(f"wrote {table.num_rows:,} rows to {out_file}", highlight=False)


def reconcile(
    paths: PathsArg,
    price_sheets: PricesOpt = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="table or json.")] = ShowFormat.table,
    limit: Annotated[int, typer.Option(help="Rows to show in the table (largest residuals first).")] = 30,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Compare reported costs with our price per model and day: largest residuals first, with causes.

    Sources that report a cost: the Anthropic and OpenAI cost reports and cost exports, OpenRouter,
    LiteLLM, Helicone, Langfuse. Cost reports carry no token counts: pass the usage export of the
    same days beside them."""
    from inferonomics.billing.reconcile import reconcile as run
    from inferonomics.report.terminal import money, to_json

    ledger = _ledger(paths, model_as, columns, input_format, None)
    result = run(ledger, _book(price_sheets))
    if fmt is ShowFormat.json:
        sys.stdout.write(to_json(result.table.to_pylist()) + "\n")
    elif result.table.num_rows == 0:
        out.print("no reported costs in these files: nothing to reconcile (usage alone is billed by `bill`)")
    else:
        out.print(_residuals(result.table, limit))
        out.print(
            f"reported {money(result.reported_usd, 4)}  priced {money(result.priced_usd, 4)}  "
            f"residual {money(result.residual_usd, 4)}",
            highlight=False,
        )
    _account(result.account, ledger)


def _residuals(table: Any, limit: int) -> Any:
    """The reconciliation as a terminal table: the figures, and the cause in full."""
    from rich.table import Table

    from inferonomics.report.terminal import money

    view = Table(title="Reported cost against our price, per model and day (largest residual first)")
    for name in ("day", "model", "source"):
        view.add_column(name)
    for name in ("reported", "priced", "residual", "%"):
        view.add_column(name, justify="right")
    view.add_column("likely cause", ratio=1)
    for r in table.slice(0, limit).to_pylist():
        pct = "" if r["residual_pct"] is None else f"{r['residual_pct']:+.1f}"
        view.add_row(
            r["day"].isoformat(),
            f"{r['provider']}/{r['model']}",
            r["source"],
            money(r["reported_usd"], 4),
            money(r["priced_usd"], 4),
            money(r["residual_usd"], 4),
            pct,
            r["cause"],
        )
    return view


def export_focus(
    paths: PathsArg,
    out_file: Annotated[Path, typer.Option("--out", help="The FOCUS file to write: .csv or .parquet.")],
    grain: Annotated[str, typer.Option(help="Charge period: hour, day, week or month.")] = "day",
    by: Annotated[
        str, typer.Option(help="Allocation keys: tenant (the sub-account), user, feature, session (tags).")
    ] = "tenant,feature",
    billing_account: Annotated[str, typer.Option(help="BillingAccountId of every row.")] = "default",
    billing_account_name: Annotated[
        str | None, typer.Option(help="BillingAccountName (default: the id).")
    ] = None,
    price_sheets: PricesOpt = None,
    whatif: Annotated[
        list[Path] | None,
        typer.Option(help="Usage files of a what-if ledger (a lever's counterfactual): simulated savings."),
    ] = None,
    scenario: Annotated[str, typer.Option(help="Name of the what-if scenario.")] = "what-if",
    savings_out: Annotated[
        Path | None, typer.Option(help="Where to write the simulated-savings dataset (never in billed cost).")
    ] = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
) -> None:
    """Export priced usage as FOCUS 1.3 rows (CSV or Parquet), one token class per row.

    Rows are checked against the spec's column rules before they are written. List prices come
    from the price book alone; billed, contracted and effective costs from the book with your price
    sheets. Simulated savings (--whatif) go to a separate file (--savings-out)."""
    from inferonomics.billing.focus import focus_rows, savings_dataset
    from inferonomics.billing.focus_rules import validate_focus
    from inferonomics.catalog.book import PriceBook
    from inferonomics.report.terminal import money

    if (whatif is None) != (savings_out is None):
        raise UserError("--whatif and --savings-out go together (the savings are a dataset of their own)")
    keys = [k.strip() for k in by.split(",") if k.strip()]
    ledger = _ledger(paths, model_as, columns, input_format, trace_start)
    book = _book(price_sheets)
    try:
        export = focus_rows(
            ledger,
            book,
            list_book=PriceBook.load() if price_sheets else None,
            grain=grain,
            by=keys,
            billing_account_id=billing_account,
            billing_account_name=billing_account_name,
        )
    except ValueError as e:
        raise UserError(str(e)) from None
    check = validate_focus(export.table)
    if not check.ok:
        raise AssertionError("the export breaks FOCUS rules: " + "; ".join(map(str, check.violations)))
    _write(export.table, out_file)
    billed = sum((v for v in export.table["BilledCost"].to_pylist()), Decimal(0))
    err.print(
        f"wrote {export.table.num_rows:,} FOCUS {out_file.suffix.lstrip('.') or 'csv'} rows to {out_file} "
        f"(billed {money(billed, 4)}; FOCUS 1.3 column rules: ok)",
        highlight=False,
    )
    if export.unpriced_requests:
        err.print(
            f"{export.unpriced_requests:,} unpriced requests left out (no price to bill; see `bill`)",
            highlight=False,
        )
    if whatif is not None and savings_out is not None:
        other = _ledger(whatif, model_as, columns, input_format, trace_start)
        savings = savings_dataset(ledger, other, book, name=scenario, grain=grain)
        _write(savings, savings_out)
        total = sum((v for v in savings["x_SimulatedSavings"].to_pylist()), Decimal(0))
        err.print(f"wrote simulated savings ({money(total, 4)}) to {savings_out}", highlight=False)
    _account(export.account, ledger)


def _write(table: object, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from inferonomics.billing.focus import to_csv_table

    assert isinstance(table, pa.Table)
    if path.suffix.lower() == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(to_csv_table(table), path)


def focus_check(
    path: Annotated[Path, typer.Argument(help="A FOCUS cost-and-usage file (CSV or Parquet).")],
) -> None:
    """Check a FOCUS file against the FOCUS 1.3 column rules; exit code 2 when one is broken.

    Rules: mandatory columns, types and formats, nullability, allowed values, and costs equal to
    unit price × pricing quantity."""
    from inferonomics.billing.focus_rules import read_focus, validate_focus

    if not path.exists():
        raise UserError(f"{path}: no such file")
    try:
        table = read_focus(path)
    except Exception as e:  # pyarrow raises several error types for unreadable files
        raise UserError(f"{path}: not a readable CSV or Parquet file ({e})") from None
    check = validate_focus(table)
    if check.ok:
        out.print(f"{path}: {check.rows:,} rows; FOCUS 1.3 column rules: ok", highlight=False)
        return
    for v in check.violations:
        err.print(f"  {v}", highlight=False, markup=False)
    raise UserError(f"{path}: breaks {len(check.violations)} FOCUS 1.3 column rule(s) (listed above)")


def register(app: typer.Typer) -> None:
    """Add the format commands to the main app."""
    app.command("import")(import_ledger)
    app.command("reconcile")(reconcile)
    export = typer.Typer(help="Export priced usage for other tools (FOCUS for FinOps).", no_args_is_help=True)
    export.command("focus")(export_focus)
    export.command("focus-check")(focus_check)
    app.add_typer(export, name="export")
