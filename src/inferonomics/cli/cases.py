"""`inferonomics cases`: the worked cases of the articles behind this project, computed, each
with its verdict."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.text import Text

from inferonomics.cli._common import (
    OutOpt,
    add_command,
    check_out,
    heading,
    progress,
    to_console,
    write_text,
)


def cases(
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="[ID]...", help="Case ids (e.g. A2 B1); none runs all.")
    ] = None,
    fmt: Annotated[Literal["table", "json"], typer.Option("--format", help="Output format.")] = "table",
    out_file: OutOpt = None,
) -> None:
    """Compute the worked cases of the articles behind this project and say, for each, whether
    the article's figure holds."""
    import inferonomics as inf
    from inferonomics.report.format import to_json

    check_out(out_file)
    with progress("Computing the worked cases") as advance:
        results = inf.run_cases(ids or None, progress=lambda case_id: advance(1))
    if fmt == "json":
        write_text(to_json([r.as_dict() for r in results]), out_file)
        return
    marks = {"holds": "green", "wrong": "red", "partly": "yellow"}
    with to_console(out_file) as console:
        for r in results:
            heading(console, f"{r.id} {r.title}")
            console.print(Text(f"Claim: {r.claim}"))
            for line in r.lines:
                console.print(Text(f"  {line}"))
            console.print(
                Text.assemble("Verdict: ", (r.verdict, marks.get(r.verdict, "")), f" — {r.explanation}")
            )
            console.print()


def register(app: typer.Typer) -> None:
    """Add `cases` to the app."""
    add_command(app, cases)
