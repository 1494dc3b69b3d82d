"""Ledger commands: `import` (any format to the canonical ledger), `quarantine` (every row set
aside, with why) and `generate` (a seeded demo ledger)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from inferonomics.cli._common import (
    ColumnsOpt,
    InputFormatOpt,
    ModelAsOpt,
    OutOpt,
    PathsArg,
    TraceStartOpt,
    add_command,
    check_out,
    deny,
    instant,
    open_ledger,
    print_account,
    progress,
    tell,
    to_console,
    write_rows,
)


def import_ledger(
    paths: PathsArg,
    out_file: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="The canonical ledger to write (Parquet).")
    ],
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
) -> None:
    """Convert usage in any supported format to the canonical ledger (Parquet).

    Extra columns are kept as tags. Every row read is written or quarantined (with file, line
    and reason); importing the same export twice writes the same ledger as once."""
    import inferonomics as inf

    check_out(out_file)
    ledger = open_ledger(
        paths, model_as=model_as, columns=columns, input_format=input_format, trace_start=trace_start
    )
    table = inf.write_ledger(ledger, out_file)
    print_account(ledger.account(), ledger)
    tell(f"wrote {table.num_rows:,} rows to {out_file}")


def quarantine(
    paths: PathsArg,
    fmt: Annotated[
        Literal["table", "json", "csv"], typer.Option("--format", help="Output format.")
    ] = "table",
    out_file: OutOpt = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
) -> None:
    """List every quarantined row, with its file, line, field and reason."""
    from inferonomics.report.tables import table_of

    check_out(out_file)
    ledger = open_ledger(
        paths, model_as=model_as, columns=columns, input_format=input_format, trace_start=trace_start
    )
    table = ledger.quarantine()
    if fmt != "table":
        write_rows(table, fmt, out_file)
    else:
        with to_console(out_file) as console:
            console.print(table_of(table))
    print_account(ledger.account(), ledger)


def generate(
    path: Annotated[
        Path,
        typer.Argument(metavar="PATH", help="The Parquet file (or, for agent logs, the folder) to write."),
    ],
    kind: Annotated[
        Literal["ledger", "claude-code", "codex"],
        typer.Option(
            help="ledger: a demo usage ledger (Parquet); claude-code: a Claude Code config tree of "
            "transcripts; codex: Codex CLI rollouts (for `agents` and `plans`)."
        ),
    ] = "ledger",
    rows: Annotated[
        int,
        typer.Option(
            min=1,
            help="Rows (requests) of a ledger; lines of a Claude Code tree; sessions of Codex rollouts.",
        ),
    ] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same output).")] = 42,
    start: Annotated[str, typer.Option(metavar="DATE", help="First day (UTC) of a ledger.")] = "2026-10-01",
    days: Annotated[int, typer.Option(min=1, help="Number of days a ledger covers.")] = 31,
    prefix_block_tokens: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Add a prefix_hashes column of prompt blocks of this many tokens, for `levers cache` "
            "replays (docs/levers.md); without it the file is the same.",
        ),
    ] = None,
    profile: Annotated[
        Literal["realistic", "unoptimized"],
        typer.Option(
            help="A ledger's organisation: realistic (caching and batch in use), or unoptimized (savings "
            "planted for `playbook` to find; the truth is in the file's metadata, docs/levers.md)."
        ),
    ] = "realistic",
) -> None:
    """Write a realistic, seeded demo ledger (Parquet), or coding-agent logs.

    A ledger has heavy-tailed users, multi-turn sessions with caching, batch traffic, several
    providers and models and a month of timestamps; a Claude Code tree has projects of sessions
    with growing cached prefixes, one line per content block, subagents and resumed sessions;
    Codex rollouts have cumulative token counts and rate-limit readings."""
    import inferonomics as inf

    if kind != "ledger":
        deny(path.exists() and not path.is_dir(), f"{path}: exists and is not a folder")
        deny(not path.parent.is_dir(), f"{path}: the folder {path.parent} does not exist; create it first")
        if kind == "claude-code":
            tree = inf.write_claude_code_tree(path, lines=rows, seed=seed)
        else:
            tree = inf.write_codex_tree(path, sessions=rows, seed=seed)
        tell(f"wrote {tree.lines:,} lines in {tree.files:,} files ({tree.messages:,} messages) under {path}")
        return
    check_out(path, option="")
    first = instant(start, "--start")
    deny(first is None, "--start needs a date")
    assert first is not None
    with progress(f"Generating {rows:,} rows", rows) as advance:
        written = inf.generate_demo(
            path,
            rows,
            seed=seed,
            start=first,
            days=days,
            progress=advance,
            prefix_block_tokens=prefix_block_tokens,
            profile=profile,
        )
    tell(f"wrote {written:,} rows to {path}")


def register(app: typer.Typer) -> None:
    """Add the ledger commands to the app."""
    add_command(app, import_ledger, "import")
    add_command(app, quarantine)
    add_command(app, generate)
