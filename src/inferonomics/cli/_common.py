"""What every command shares: the consoles, the options (declared once, with one help text each),
parsing of option values, writers of tables (JSON, CSV, Parquet) and the account of rows.

Nothing here knows any economics: commands call the public API (`import inferonomics`) and
print what it returns.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, TextIO

import typer
from rich.console import Console
from rich.text import Text

from inferonomics.errors import InferonomicsError, OptionError
from inferonomics.report.format import safe_text

if TYPE_CHECKING:
    import pyarrow as pa

    from inferonomics import Account, Ledger, PriceBook

# -- consoles --------------------------------------------------------------------------------

PIPED_WIDTH = 1000
"""Console width when output is not a terminal: wide enough that no table is cut or folded (a
file or a pipe has no width), so tables take their natural width."""


def _width(stream: TextIO) -> int | None:
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    isatty = getattr(stream, "isatty", None)
    return None if isatty is not None and isatty() else PIPED_WIDTH


def out() -> Console:
    """The console for results (stdout)."""
    return Console(file=sys.stdout, width=_width(sys.stdout), soft_wrap=True, highlight=False)


def err() -> Console:
    """The console for the account, notes and errors (stderr), so results stay machine-readable."""
    return Console(file=sys.stderr, width=_width(sys.stderr), soft_wrap=True, highlight=False)


def plain(text: object) -> Text:
    """User text (a model, a tenant, a file name) as literal text: never read as markup, its
    control characters shown escaped (see `safe_text`)."""
    return Text(safe_text(text))


def heading(console: Console, title: str) -> None:
    """A section title: a rule on a terminal, an underlined line in a file or pipe."""
    if console.is_terminal:
        console.rule(Text(title, style="bold"), align="left")
    else:
        console.print(Text(title, style="bold"))
        console.print("─" * min(len(title), 100))


# -- option types, declared once ----------------------------------------------------------

Grain = Literal["hour", "day", "week", "month"]
InputFormat = Literal[
    "ledger-parquet",
    "ledger-csv",
    "ledger-jsonl",
    "responses",
    "anthropic-usage-report",
    "anthropic-cost-report",
    "anthropic-console-usage-csv",
    "anthropic-console-cost-csv",
    "openai-usage-api",
    "openai-costs-api",
    "openai-dashboard-usage-csv",
    "openai-dashboard-cost-csv",
    "gemini",
    "otel",
    "litellm-spend-logs",
    "langfuse",
    "helicone",
    "openrouter",
    "claude-agent-result",
    "bedrock-invocation-log",
    "litellm-daily-activity",
    "claude-code-analytics",
    "claude-code",
    "codex",
    "azure-trace",
    "mooncake-trace",
]
"""The input formats (`docs/formats.md`); a test checks this list against the readers'."""

PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Usage files in any supported format (CSV, Parquet, JSON lines, provider exports, "
        "gateway logs, traces; gzip too), or a postgresql:// URL of a LiteLLM database.",
        metavar="FILE",
        show_default=False,
    ),
]
ModelAsOpt = Annotated[
    str | None,
    typer.Option(
        "--model-as",
        metavar="PROVIDER/MODEL",
        help="Price every row as this model (needed for traces, which carry no model).",
    ),
]
ColumnsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--columns",
        metavar="CANONICAL=NAME,...",
        help="Map the file's column names to the ledger's (e.g. ts=created_at,model=model_name). Repeatable.",
    ),
]
InputFormatOpt = Annotated[
    InputFormat | None,
    typer.Option("--input-format", help="The input's format (default: detected from its content)."),
]
TraceStartOpt = Annotated[
    str | None,
    typer.Option(
        "--trace-start",
        metavar="INSTANT",
        help="When a Mooncake trace starts, UTC (default: today 00:00).",
    ),
]
PricesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--prices",
        metavar="SHEET.yaml",
        help="A price sheet over the book: negotiated discounts, committed rates, custom models "
        "(docs/pricing.md). Repeatable; later sheets win.",
    ),
]
ByOpt = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="COLUMNS",
        help="Group by these columns, comma-separated: provider, model, service_tier, tenant, user, "
        "feature, session, region, or any extra column of the input (a tag: team, project...).",
    ),
]
GrainOpt = Annotated[
    Grain | None, typer.Option("--grain", help="Also group by time: hour, day, week or month.")
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        metavar="ZONE",
        help="The time zone of --grain's periods: an IANA name such as Europe/Paris (default: UTC).",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", metavar="FILE", help="Write the result to this file instead of stdout."),
]


def by_columns(text: str | None) -> list[str]:
    """`--by provider,model` → ["provider", "model"]."""
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def instant(value: str | None, option: str) -> dt.datetime | None:
    """An option's date or instant as naive UTC (an offset is honoured; none means UTC)."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise OptionError(
            f"{option}: {value!r} is not a date or time (ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00Z)"
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def book(sheets: Sequence[Path] | None) -> PriceBook:
    """The packaged price book with the user's sheets over it."""
    from inferonomics import PriceBook

    return PriceBook.load(list(sheets or []))


def open_ledger(
    paths: Sequence[Path],
    *,
    model_as: str | None = None,
    columns: Sequence[str] | None = None,
    input_format: str | None = None,
    trace_start: str | None = None,
    engine: str = "duckdb",
) -> Ledger:
    """Read usage files as the options say (see `inferonomics.Ledger.open`)."""
    from inferonomics import Ledger

    return Ledger.open(
        paths,
        input_format=input_format,
        column_map=list(columns or []),
        model_as=model_as,
        trace_start=instant(trace_start, "--trace-start"),
        engine=engine,
    )


EngineOption = Annotated[
    Literal["duckdb", "spark"],
    typer.Option(
        "--engine",
        help="Where the ledger is billed: duckdb (this process), or spark (PySpark: local mode, or a "
        "cluster through INFERONOMICS_SPARK_MASTER, or SPARK_REMOTE with pyspark[connect]; needs "
        "inferonomics[spark]).",
    ),
]


# -- output -------------------------------------------------------------------------------------


def check_out(path: Path | None, *, needed_for: str | None = None, option: str = "--out") -> None:
    """Before any work: the file can be written where asked (its folder exists, it is no folder).
    `option` names where the path came from in the message (`--html`, or "" for an argument)."""
    if path is None:
        if needed_for:
            raise OptionError(f"{needed_for} needs {option} FILE")
        return
    where = f"{option} {path}" if option else str(path)
    if path.is_dir():
        raise OptionError(f"{where}: is a folder; name a file in it")
    parent = path.parent
    if not parent.is_dir():
        raise OptionError(f"{where}: the folder {parent} does not exist; create it first")


def write_rows(table: pa.Table, fmt: str, path: Path | None) -> None:
    """A result table as JSON (an array of objects, money as decimal strings), CSV (money as
    plain decimals, instants in ISO 8601) or Parquet (typed), to `path` or stdout."""
    # Each format imports what it needs: JSON does without the terminal tables (rich's) and Parquet's writer.
    from inferonomics.report.format import to_json

    if fmt == "parquet":
        import pyarrow.parquet as pq

        check_out(path, needed_for="--format parquet")
        assert path is not None
        pq.write_table(table, path)
    elif fmt == "csv":
        from inferonomics.report.tables import csv_text, write_csv

        if path is None:
            sys.stdout.write(csv_text(table))
        else:
            write_csv(table, path)
    elif fmt == "json":
        text = to_json(table.to_pylist()) + "\n"
        if path is None:
            sys.stdout.write(text)
        else:
            path.write_text(text)
    else:
        raise OptionError(f"unknown output format {fmt!r}")


@contextmanager
def to_console(path: Path | None) -> Iterator[Console]:
    """A console writing to `path` (as wide as its content), or the results console."""
    if path is None:
        yield out()
        return
    with path.open("w") as f:
        yield Console(file=f, width=PIPED_WIDTH, soft_wrap=True, highlight=False, color_system=None)


def write_text(text: str, path: Path | None) -> None:
    """Text (JSON, Markdown) to `path`, or stdout."""
    if path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        path.write_text(text if text.endswith("\n") else text + "\n")


def print_account(account: Account, ledger: Ledger, *, sample: int = 5) -> None:
    """The account of rows (read = billed + quarantined), the first quarantined rows, and what
    the inputs' readers noted; always on stderr."""
    from inferonomics.report.format import quarantine_line

    console = err()
    # Text, not a markup string: nothing to parse (a string would load rich's emoji table to look for codes).
    console.print(
        Text(
            f"rows read {account.rows_read:,} = billed {account.rows_billed:,} + quarantined "
            f"{account.rows_quarantined:,}"
        )
    )
    if account.rows_quarantined:
        for row in ledger.quarantine(limit=sample).to_pylist():
            console.print(plain(f"  {quarantine_line(row)}"))
        if account.rows_quarantined > sample:
            console.print(
                f"  … {account.rows_quarantined - sample:,} more (`inferonomics quarantine` lists them all)"
            )
    for source in ledger.sources:
        for note in source.notes:
            console.print(plain(note))
        if source.tags:
            console.print(plain(f"{source.display}: extra columns kept as tags: {', '.join(source.tags)}"))
        if source.ignored_columns:
            console.print(plain(f"{source.display}: columns not kept: {', '.join(source.ignored_columns)}"))


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for long work (nothing when stderr is not a terminal); yields a
    function that advances it by n."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = err()
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task(label, total=total)

    def advance(n: int = 1) -> None:
        bar.advance(task, n)

    with bar:
        yield advance


def tell(message: str) -> None:
    """One line of news on stderr (user text in it is not markup)."""
    err().print(plain(message))


def fail(error: BaseException) -> NoReturn:
    """End the command: one line on stderr (user text in it is neither markup nor control
    characters), and the exit code of the policy: the error's `exit_code` (1 an input unusable as
    a whole, 2 a usage error)."""
    err().print(Text.assemble(("error: ", "red"), safe_text(" ".join(str(error).split()))))
    raise typer.Exit(getattr(error, "exit_code", 1))


def guarded(fn: Callable[..., None]) -> Callable[..., None]:
    """The command with the CLI's one error boundary: an `InferonomicsError` becomes one line on
    stderr and its exit code (see `fail`), never a traceback; so does an engine's failure while
    reading the data (a damaged Parquet file, out of memory: `_failures.engine_failure`)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except InferonomicsError as e:
            fail(e)
        except Exception as e:
            from inferonomics.cli._failures import engine_failure

            known = engine_failure(e, kwargs.get("paths") or ())
            if known is None:
                raise
            fail(known)

    return run


def add_command(app: typer.Typer, fn: Callable[..., None], name: str | None = None) -> None:
    """Register `fn` as a command of `app`: help from its docstring, errors guarded."""
    text = command_help(fn)
    app.command(name, help=text, short_help=text.split("\n\n")[0])(guarded(fn))


def command_help(fn: Callable[..., Any]) -> str:
    """A command's help from its docstring: paragraphs kept, lines within one joined (help is
    wrapped to the terminal, never where the source happened to break a line)."""
    import inspect

    doc = inspect.getdoc(fn) or ""
    paragraphs = [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]
    return "\n\n".join(paragraphs)


def deny(condition: bool, message: str) -> None:
    """Raise an `OptionError` with `message` when `condition` holds."""
    if condition:
        raise OptionError(message)


__all__ = [
    "PIPED_WIDTH",
    "ByOpt",
    "ColumnsOpt",
    "Grain",
    "GrainOpt",
    "InputFormat",
    "InputFormatOpt",
    "ModelAsOpt",
    "OutOpt",
    "PathsArg",
    "PricesOpt",
    "TimezoneOpt",
    "TraceStartOpt",
    "add_command",
    "book",
    "by_columns",
    "check_out",
    "command_help",
    "deny",
    "err",
    "fail",
    "guarded",
    "heading",
    "instant",
    "open_ledger",
    "out",
    "plain",
    "print_account",
    "progress",
    "safe_text",
    "tell",
    "to_console",
    "write_rows",
    "write_text",
]
