"""The `whatif` and `playbook` commands: levers applied in order, or discovered in the ledger and
compounded, each step printed with its saving, evidence, assumptions and risk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table
from rich.text import Text

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
    TraceStartOpt,
    book,
    by_columns,
    check_out,
    deny,
    open_ledger,
    to_console,
    write_text,
)
from inferonomics.cli.levers import Format, LeverOpt, _json
from inferonomics.report.format import count, money, pct

if TYPE_CHECKING:
    from rich.console import Console

    from inferonomics import Playbook

LEVERS = ("cache", "cap", "route", "batch", "where", "commit")


def _print_playbook(result: Playbook, console: Console, *, ranked: bool) -> None:
    console.print(
        Text.assemble(
            f"Bill {money(result.baseline.cost_usd)} → ",
            (money(result.final.cost_usd), "bold"),
            f": saves {money(result.saving_usd)} (",
            (pct(result.saving_share), "bold"),
            f") over {count(result.baseline.requests)} requests",
        )
    )
    t = Table(show_edge=False, pad_edge=False)
    t.add_column("#", justify="right")
    t.add_column("lever")
    for c in ("before", "after", "saves", "of what was left"):
        t.add_column(c, justify="right", no_wrap=True)
    for i, s in enumerate(result.steps, 1):
        t.add_row(
            str(i),
            s.lever if s.applied else f"{s.lever} (left out)",
            money(s.before_usd),
            money(s.after_usd),
            money(s.saving_usd),
            pct(s.saving_share),
        )
    console.print(t)
    console.print(
        f"Compounded: 1 - Π(1 - s) = {pct(result.compounded_share)}; adding the steps' shares would claim "
        f"{pct(result.added_share)}"
    )
    if ranked:
        console.print(
            "Ranked by saving: " + ", ".join(f"{s.lever} {money(s.saving_usd)}" for s in result.ranked)
        )
    for i, s in enumerate(result.steps, 1):
        console.print(Text(f"{i}. {s.lever}: {s.description}"))
        if s.features:
            console.print(Text(f"   features: {', '.join(s.features)}"))
        for finding in s.evidence:
            console.print(Text(f"   evidence: {finding}"))
        console.print(Text(f"   rests on: {'; '.join(s.assumptions)}", style="dim"))
        if s.risk:
            console.print(Text(f"   risk: {s.risk}", style="dim"))
        for flag in s.flags:
            console.print(Text(f"   check: {flag}", style="yellow"))
        for note in s.notes:
            console.print(Text(f"   {note}"))
        if s.unpriced_requests:
            console.print(
                Text(f"   {count(s.unpriced_requests)} requests unpriced after this step", style="yellow")
            )
    if result.breakdown is not None:
        table = result.breakdown
        keys = [c for c in table.column_names if not c.endswith("_usd")]
        view = Table(show_edge=False, pad_edge=False, title=f"By {', '.join(keys)}", title_justify="left")
        for k in keys:
            view.add_column(k, no_wrap=True)
        for c in ("before", "after", "saves"):
            view.add_column(c, justify="right", no_wrap=True)
        from inferonomics.report.tables import cell

        for row in table.to_pylist():
            view.add_row(
                *[cell(row[k]) for k in keys],
                money(row["cost_before_usd"]),
                money(row["cost_after_usd"]),
                money(row["saving_usd"]),
            )
        console.print(view)
        console.print(
            Text(
                "(the rows' bills; cache storage and commitment shortfalls are in the totals above)",
                style="dim",
            )
        )
    for note in result.notes:
        console.print(Text(note, style="dim"))


def whatif(
    paths: PathsArg,
    lever: LeverOpt = None,
    by: ByOpt = None,
    grain: GrainOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Apply levers in order and show the bill before and after each.

    Each lever is billed on what the previous ones left; --by and --grain break the bill down
    before and after.

    JSON: cost_before_usd, cost_after_usd, saving_usd, saving_share, each step's figures, and
    with --by or --grain a breakdown."""
    import inferonomics as inf

    deny(not lever, "whatif needs at least one --lever (e.g. --lever batch:share=0.5)")
    check_out(out_file)
    levers = [inf.parse_lever(text) for text in lever or []]
    ledger = open_ledger(
        paths,
        model_as=model_as,
        columns=columns,
        input_format=input_format,
        trace_start=trace_start,
        engine=engine,
    )
    result = inf.whatif(ledger, levers, book=book(price_sheets), by=by_columns(by), grain=grain)
    if fmt == "json":
        write_text(_json(result.as_dict()), out_file)
        return
    with to_console(out_file) as console:
        _print_playbook(result, console, ranked=False)


def playbook(
    paths: PathsArg,
    lever: LeverOpt = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="LEVER",
            help="Discover only this lever: " + ", ".join(LEVERS) + " (repeatable).",
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", metavar="LEVER", help="Do not discover this lever (repeatable)."),
    ] = None,
    cap_percentile: Annotated[
        float,
        typer.Option(
            "--cap-percentile", min=1, max=99.9, help="Output caps at this percentile of a feature."
        ),
    ] = 95.0,
    cap_min_cut: Annotated[
        float,
        typer.Option(
            "--cap-min-cut", min=0, max=100, help="Propose a cap when it cuts at least this % of output."
        ),
    ] = 15.0,
    batch_feature: Annotated[
        list[str] | None,
        typer.Option("--batch-feature", metavar="FEATURE", help="A feature that can wait (repeatable)."),
    ] = None,
    burst_requests: Annotated[
        int, typer.Option("--burst-requests", min=2, help="Requests from one user that make a burst.")
    ] = 50,
    burst_minutes: Annotated[
        int, typer.Option("--burst-minutes", min=1, help="The window of a burst, minutes.")
    ] = 10,
    route_max_output: Annotated[
        int,
        typer.Option("--route-max-output", min=1, help="Routable traffic: p95 output at most this."),
    ] = 256,
    route_max_ratio: Annotated[
        float,
        typer.Option("--route-max-ratio", min=0, help="Routable traffic: output/input at most this."),
    ] = 0.1,
    route_to: Annotated[
        list[str] | None,
        typer.Option(
            "--route-to", metavar="PROVIDER/MODEL", help="A candidate target (default: small models)."
        ),
    ] = None,
    quality: Annotated[
        Path | None,
        typer.Option(help="Quality table CSV (feature, model, acceptable): overrides the route heuristic."),
    ] = None,
    commitments: Annotated[
        Path | None,
        typer.Option(help="Commitment offers (YAML: commitments: provider, percent, monthly)."),
    ] = None,
    cache_writes: Annotated[
        Literal["all", "reused"],
        typer.Option("--cache-writes", help="Cache step: write every prompt, or only what is read."),
    ] = "all",
    by: ByOpt = None,
    grain: GrainOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
    trace_start: TraceStartOpt = None,
    engine: EngineOption = "duckdb",
) -> None:
    """The savings playbook: savings discovered in the ledger, compounded, with their evidence.

    Without --lever, discovery proposes caching (repeated prefixes paying full price), output caps
    (runaway tails), routing (an expensive model doing a small model's job, to verify with an
    evaluation), batch (bursts, off-hours, no sessions), cheaper routes and commitments (from
    --commitments); they are applied in that order, each billed by the engine on what the previous
    ones left, and a step that would raise the bill is left out. With --lever: those levers.

    JSON: cost_before_usd, cost_after_usd, saving_usd, saving_share, steps (each with features,
    evidence, assumptions, risk, flags), discovery (candidates, per-feature signals, notes)."""
    import inferonomics as inf

    check_out(out_file)
    chosen = bool(only or skip or batch_feature or route_to or quality or commitments)
    deny(bool(lever) and chosen, "--lever replaces discovery: drop --only/--skip/--quality/... or --lever")
    levers = [inf.parse_lever(text) for text in lever or []]
    options = inf.DiscoveryOptions(
        only=tuple(only) if only else None,
        skip=tuple(skip or ()),
        batch_features=tuple(batch_feature or ()),
        burst_seconds=burst_minutes * 60,
        burst_requests=burst_requests,
        route_max_output=route_max_output,
        route_max_ratio=route_max_ratio,
        route_models=tuple(route_to) if route_to else None,
        cap_percentile=cap_percentile / 100,
        cap_min_cut=cap_min_cut / 100,
        cache_writes=cache_writes,
    ).with_files(quality=quality, commitments=commitments)
    ledger = open_ledger(
        paths,
        model_as=model_as,
        columns=columns,
        input_format=input_format,
        trace_start=trace_start,
        engine=engine,
    )
    result = inf.playbook(
        ledger, levers or None, book=book(price_sheets), by=by_columns(by), grain=grain, options=options
    )
    if fmt == "json":
        write_text(_json(result.as_dict()), out_file)
        return
    with to_console(out_file) as console:
        _print_playbook(result, console, ranked=True)
