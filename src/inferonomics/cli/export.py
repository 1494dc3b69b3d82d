"""Export commands: priced usage as FOCUS 1.3 cost-and-usage rows for FinOps tools, and a check
of any FOCUS file against the spec's column rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from inferonomics.cli._common import (
    ColumnsOpt,
    EngineOption,
    Grain,
    InputFormatOpt,
    ModelAsOpt,
    PathsArg,
    PricesOpt,
    TraceStartOpt,
    add_command,
    book,
    by_columns,
    check_out,
    deny,
    open_ledger,
    out,
    plain,
    print_account,
    tell,
)
from inferonomics.errors import InputError


def focus(
    paths: PathsArg,
    out_file: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="The FOCUS file to write: .csv or .parquet.")
    ],
    grain: Annotated[
        Grain, typer.Option("--grain", help="The charge period of each row: hour, day, week or month.")
    ] = "day",
    by: Annotated[
        str,
        typer.Option(
            metavar="COLUMNS",
            help="Allocation keys: tenant (the sub-account), user, feature, session, or any extra "
            "column of the input (tags).",
        ),
    ] = "tenant,feature",
    billing_account: Annotated[str, typer.Option(help="BillingAccountId of every row.")] = "default",
    billing_account_name: Annotated[
        str | None, typer.Option(help="BillingAccountName (default: the id).")
    ] = None,
    price_sheets: PricesOpt = None,
    whatif: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Usage files of a what-if ledger (a lever's counterfactual): simulated savings.",
        ),
    ] = None,
    scenario: Annotated[str, typer.Option(help="Name of the what-if scenario.")] = "what-if",
    savings_out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Where to write the simulated savings (never in billed cost)."),
    ] = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Export priced usage as FOCUS 1.3 rows (CSV or Parquet).

    One row per token class, charge period and allocation group, by day unless --grain says
    otherwise. Rows are checked against the spec's column rules before they are written. List prices come
    from the price book alone; billed, contracted and effective costs from the book with your
    price sheets. Simulated savings (--whatif) go to a separate file (--savings-out)."""
    import pyarrow as pa

    import inferonomics as inf
    from inferonomics.report.format import money

    deny(
        (whatif is None) != (savings_out is None),
        "--whatif and --savings-out go together (the savings are a dataset of their own)",
    )
    check_out(out_file)
    check_out(savings_out, option="--savings-out")
    ledger = open_ledger(
        paths,
        model_as=model_as,
        columns=columns,
        input_format=input_format,
        trace_start=trace_start,
        engine=engine,
    )
    price_book = book(price_sheets)
    export = inf.focus_export(
        ledger,
        price_book,
        list_book=inf.PriceBook.load() if price_sheets else None,
        grain=grain,
        by=by_columns(by),
        billing_account_id=billing_account,
        billing_account_name=billing_account_name,
    )
    check = inf.validate_focus(export.table)
    if not check.ok:
        raise AssertionError("the export breaks FOCUS rules: " + "; ".join(map(str, check.violations)))
    _write(export.table, out_file)
    billed = sum((v for v in export.table["BilledCost"].to_pylist()), Decimal(0))
    tell(
        f"wrote {export.table.num_rows:,} FOCUS {out_file.suffix.lstrip('.') or 'csv'} rows to {out_file} "
        f"(billed {money(billed, 4)}; FOCUS 1.3 column rules: ok)"
    )
    if export.unpriced_requests:
        tell(f"{export.unpriced_requests:,} unpriced requests left out (no price to bill; see `bill`)")
    if whatif is not None and savings_out is not None:
        other = open_ledger(
            whatif,
            model_as=model_as,
            columns=columns,
            input_format=input_format,
            trace_start=trace_start,
            engine=engine,
        )
        savings = inf.savings_dataset(ledger, other, price_book, name=scenario, grain=grain)
        assert isinstance(savings, pa.Table)
        _write(savings, savings_out)
        total = sum((v for v in savings["x_SimulatedSavings"].to_pylist()), Decimal(0))
        tell(f"wrote simulated savings ({money(total, 4)}) to {savings_out}")
    print_account(export.account, ledger)


def _write(table: object, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from inferonomics.report.tables import write_csv

    assert isinstance(table, pa.Table)
    if path.suffix.lower() == ".parquet":
        pq.write_table(table, path)
    else:
        write_csv(table, path)


def focus_check(
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help="A FOCUS cost-and-usage file (CSV or Parquet).")
    ],
) -> None:
    """Check a FOCUS file against the FOCUS 1.3 column rules (exit code 1 when one is broken).

    Rules: mandatory columns, types and formats, nullability, allowed values, and costs equal to
    unit price × pricing quantity."""
    import inferonomics as inf

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        table = inf.read_focus(path)
    except Exception as e:  # pyarrow raises several error types for unreadable files
        raise InputError(f"{path}: not a readable CSV or Parquet file ({e})") from None
    check = inf.validate_focus(table)
    if check.ok:
        out().print(plain(f"{path}: {check.rows:,} rows; FOCUS 1.3 column rules: ok"))
        return
    for v in check.violations:
        tell(f"  {v}")
    raise InputError(f"{path}: breaks {len(check.violations)} FOCUS 1.3 column rule(s) (listed above)")


def register(app: typer.Typer) -> None:
    """Add `export focus` and `export focus-check` to the app."""
    export = typer.Typer(
        help="Export priced usage for other tools (FOCUS 1.3 for FinOps).",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    add_command(export, focus, "focus")
    add_command(export, focus_check, "focus-check")
    app.add_typer(export, name="export")
