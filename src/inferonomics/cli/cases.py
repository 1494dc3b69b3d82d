"""`inferonomics cases`: the worked cases of the articles behind this project, computed, each
with the verdict the one rule decides (as a terminal view, JSON or Markdown)."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.table import Table
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

VERDICT_STYLES = {
    "holds": "bold green",
    "holds approximately": "green",
    "partly": "yellow",
    "wrong": "bold red",
    "not computable": "magenta",
}
"""Each verdict kind in its own colour (the words differ too, for files and pipes)."""
OUTCOME_STYLES = {
    "as stated": "green",
    "approximately": "green",
    "does not hold": "red",
    "not computable": "magenta",
}


def cases(
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="ID", help="Case ids (e.g. A2 B1); none runs all.")
    ] = None,
    fmt: Annotated[
        Literal["table", "json", "markdown"], typer.Option("--format", help="Output format.")
    ] = "table",
    out_file: OutOpt = None,
) -> None:
    """Compute the worked cases of the articles behind this project and say, for each, whether
    the article's figures hold: the verdict comes from the computed figures by one rule.

    `--format markdown --out docs/worked-cases.md` writes the document of every case."""
    import inferonomics as inf
    from inferonomics.report.format import to_json

    check_out(out_file)
    with progress("Computing the worked cases", total=None) as advance:
        results = inf.run_cases(ids or None, progress=lambda case_id: advance(1))
    if fmt == "json":
        write_text(to_json([r.as_dict() for r in results]), out_file)
        return
    if fmt == "markdown":
        write_text(results.markdown(), out_file)
        return
    with to_console(out_file) as console:
        for r in results:
            heading(console, f"{r.id} {r.title}")
            console.print(Text(f"Claim: {r.claim}"))
            for line in r.lines:
                console.print(Text(f"  {line}"))
            parts = Table("part", "stated", "computed", "outcome", box=None, pad_edge=False)
            for j in r.parts:
                computed = j.computed_text() if j.part.computed is not None else j.part.reason
                parts.add_row(
                    Text(j.part.name),
                    Text(j.stated_text()),
                    Text(computed),
                    Text(j.outcome, style=OUTCOME_STYLES.get(j.outcome, "")),
                )
            console.print(parts)
            console.print(
                Text.assemble(
                    "Verdict: ", (r.verdict, VERDICT_STYLES.get(r.verdict, "")), f" — {r.explanation}"
                )
            )
            console.print()
        if len(results) > 1:
            summary = Table("id", "case", "verdict", title="Verdicts", title_justify="left")
            for r in results:
                summary.add_row(r.id, Text(r.title), Text(r.verdict, style=VERDICT_STYLES.get(r.verdict, "")))
            console.print(summary)


def register(app: typer.Typer) -> None:
    """Add `cases` to the app."""
    add_command(app, cases)
