"""Subscription-plan commands (`inferonomics plans ...`): the catalogue, one user's fit, limits
estimated from the agents' observations, and a population simulated through candidate plans."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table
from rich.text import Text

from inferonomics.cli._common import (
    ColumnsOpt,
    InputFormatOpt,
    ModelAsOpt,
    OutOpt,
    PricesOpt,
    add_command,
    book,
    check_out,
    heading,
    instant,
    open_ledger,
    plain,
    tell,
    to_console,
    write_rows,
    write_text,
)
from inferonomics.report.format import iso, money, pct, to_json

if TYPE_CHECKING:
    import pyarrow as pa
    from rich.console import Console

    from inferonomics import FitResult, Ledger, SimulationResult

Format = Literal["table", "json"]
FormatCsv = Literal["table", "json", "csv"]

PlansOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--plans",
        metavar="FILE",
        help="A plan file over the packaged catalogue (the same schema; docs/plans.md): your own plans "
        "or limits. Repeatable; a plan with a known id replaces it.",
    ),
]
PlanIdsOpt = Annotated[
    list[str] | None,
    typer.Option("--plan", metavar="ID", help="Only these plans (repeatable; `plans list` shows the ids)."),
]
UsagePaths = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Usage files in any supported format, or folders of coding-agent logs (default: the "
        "standard places of Claude Code's and Codex's logs).",
        metavar="PATH",
        show_default=False,
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="DATE",
        help="The day whose prices and limits apply (default: the last request's day).",
    ),
]


def _day(value: str | None, option: str) -> dt.date | None:
    when = instant(value, option)
    return when.date() if when is not None else None


def _ledger(
    paths: list[Path] | None,
    model_as: str | None = None,
    columns: list[str] | None = None,
    input_format: str | None = None,
) -> Ledger | None:
    """The named inputs, or None: the library then reads the agents' logs where they keep them."""
    if not paths:
        return None
    return open_ledger(paths, model_as=model_as, columns=columns, input_format=input_format)


def plans_list(
    plan_files: PlansOpt = None,
    at: Annotated[
        str | None,
        typer.Option("--at", metavar="DATE", help="Show what was in force on this day (default: today)."),
    ] = None,
    fmt: Annotated[FormatCsv, typer.Option("--format", help="Output format.")] = "table",
    out_file: OutOpt = None,
) -> None:
    """List the plans: price per month, each limit's window, unit, amount and whether the figure
    is published, estimated or unknown, with its source."""
    import inferonomics as inf

    check_out(out_file)
    day = _day(at, "--at") or dt.date.today()
    table = inf.load_plans(list(plan_files or [])).table(day)
    if fmt != "table":
        write_rows(table, fmt, out_file)
        return
    view = Table(title=f"Plans in force on {day}", title_justify="left", show_edge=False, pad_edge=False)
    for c in ("plan", "$/month", "limit", "window", "models", "amount", "status", "at limit", "source"):
        view.add_column(c, justify="right" if c in ("$/month", "amount", "window") else "left")
    for r in table.to_pylist():
        amount = "–"
        if r["amount"] is not None:
            amount = money(r["amount"]) if r["unit"] == "usd" else f"{r['amount']:,.0f} {r['unit']}"
        elif r["low"] is not None:
            amount = f"({r['low']:,.0f}-{r['high']:,.0f} {r['unit']})"
        view.add_row(
            plain(r["plan"]),
            money(r["usd_per_month"]) if r["usd_per_month"] is not None else "–",
            plain(r["limit"] or ""),
            f"{r['window_hours'].normalize():f} h" if r["window_hours"] is not None else "",
            plain(r["models"] or ""),
            amount,
            plain(r["status"] or ""),
            plain(r["at_limit"] or ""),
            plain(r["source"] or ""),
        )
    with to_console(out_file) as console:
        console.print(view)


def fit(
    paths: UsagePaths = None,
    plan_files: PlansOpt = None,
    plan_ids: PlanIdsOpt = None,
    user: Annotated[str | None, typer.Option(metavar="USER", help="Only this user's rows.")] = None,
    at: AtOpt = None,
    now: Annotated[
        str | None,
        typer.Option(
            metavar="INSTANT", help="When 'this week' is, for the cap forecast (default: the last request)."
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
    model_as: ModelAsOpt = None,
    columns: ColumnsOpt = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Replay one user's usage through every plan: what each would serve and refuse (and when),
    its cost a month at this pace, the cheapest option and its margin, and this week's cap.

    A plan's monthly cost is its price plus the API-equivalent value of usage outside its models
    and of usage past its limits where the plan sells extra usage at API prices; a plan that
    refuses usage it does not sell has no cost (it cannot serve this usage)."""
    import inferonomics as inf

    check_out(out_file)
    ledger = _ledger(paths, model_as, columns, input_format)
    result = inf.fit_plans(
        ledger,
        plans=list(plan_files or []),
        plan_ids=plan_ids,
        book=book(price_sheets),
        user=user,
        day=_day(at, "--at"),
        now=instant(now, "--now"),
    )
    if fmt == "json":
        write_text(to_json(result.as_dict()), out_file)
        return
    with to_console(out_file) as console:
        _print_fit(result, console)


def _print_fit(r: FitResult, console: Console) -> None:
    span = f"{iso(r.first_request)} to {iso(r.last_request)}" if r.first_request and r.last_request else ""
    console.print(
        Text(
            f"{r.requests:,} requests, {span} ({r.days} days): {money(r.api_usd)} at API prices, "
            f"{money(r.api_usd_per_month)} a month at this pace; prices and limits of {r.day}"
        )
    )
    view = Table(show_edge=False, pad_edge=False)
    for c in (
        "plan",
        "$/month",
        "cost a month",
        "served",
        "refused",
        "refused req",
        "first refused",
        "outside",
    ):
        view.add_column(c, justify="left" if c in ("plan", "first refused") else "right")
    for p in r.plans:
        cost = money(p.monthly_cost_usd) if p.monthly_cost_usd is not None else "cannot serve"
        mark = " *" if p.plan == r.cheapest else ""
        view.add_row(
            plain(p.plan + mark),
            money(p.usd_per_month),
            cost,
            money(p.served_usd),
            money(p.refused_usd),
            f"{p.refused_requests:,}",
            iso(p.first_refused_at) if p.first_refused_at else "–",
            money(p.uncovered_usd),
        )
    console.print(view)
    if r.cheapest:
        margin = f", by {money(r.margin_usd)} a month over {r.runner_up}" if r.margin_usd is not None else ""
        console.print(Text(f"* cheapest for this usage: {r.cheapest}{margin}"))
    for p in r.plans:
        for f in p.forecasts:
            state = (
                f"hit at {iso(f.hit_at)}"
                if f.already_hit and f.hit_at
                else (
                    f"at this pace it hits the cap at {iso(f.hit_at)}" if f.hit_at else "stays under the cap"
                )
            )
            console.print(
                Text(
                    f"{p.plan} {f.limit}: week {iso(f.window_start)} to {iso(f.window_end)}: "
                    f"{money(f.consumed)} of {money(f.amount)} ({pct(f.share)}), "
                    f"{money(f.pace_per_hour)}/h -> {money(f.projected)} ({pct(f.projected_share)}); {state}"
                )
            )
    for note in r.notes:
        tell(note)


def limits(
    paths: UsagePaths = None,
    plan: Annotated[
        str | None,
        typer.Option(
            metavar="ID",
            help="The plan the estimates replace limits of (default: claude-max-20x or chatgpt-plus).",
        ),
    ] = None,
    plan_files: PlansOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap interval.")] = 0,
    fmt: Annotated[
        Literal["table", "json", "yaml"],
        typer.Option("--format", help="Output format: the estimates (table, json) or the plan file (yaml)."),
    ] = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
) -> None:
    """Estimate the 5-hour and weekly windows' sizes in API-equivalent dollars from what the
    agents observed (Codex used_percent readings; Claude Code limit hits), each with an interval
    and its method, and write them as a plan file (`--format yaml --out FILE`, then `--plans FILE`)."""
    import inferonomics as inf

    check_out(out_file)
    result = inf.estimate_limits(
        _ledger(paths),
        plan=plan,
        plans=list(plan_files or []),
        book=book(price_sheets),
        seed=seed,
    )
    for note in result.notes:
        tell(note)
    if fmt == "yaml":
        write_text(result.plan_yaml(), out_file)
        return
    if fmt == "json":
        write_rows(result.table, "json", out_file)
        return
    with to_console(out_file) as console:
        view = Table(show_edge=False, pad_edge=False)
        for c in ("agent", "window", "estimate", "interval", "observations", "method"):
            view.add_column(c, justify="right" if c in ("estimate", "interval", "observations") else "left")
        for e in result.estimates:
            view.add_row(
                e.agent,
                e.window,
                money(e.usd),
                f"{money(e.low)}-{money(e.high)}",
                str(e.observations),
                Text(e.method),
            )
        console.print(view)
        if not result.estimates:
            console.print("no window could be estimated from these observations")


def simulate(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Usage files (a ledger of many users) in any supported format.", metavar="LEDGER"
        ),
    ],
    plan_files: PlansOpt = None,
    plan_ids: PlanIdsOpt = None,
    users: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Scale to N users: a parametric population fitted to the ledger's (default: its own users).",
        ),
    ] = None,
    true_cost: Annotated[
        str,
        typer.Option(
            "--true-cost",
            metavar="RATE|serving",
            help="True cost: `serving` (the serving model, closed models through stated proxies), RATE "
            "($/MTok for every token) or IN/OUT[/CACHED] ($/MTok).",
        ),
    ] = "serving",
    seed: Annotated[int, typer.Option(help="Seed of the parametric population.")] = 0,
    days: Annotated[int, typer.Option(min=1, help="Days the parametric population covers.")] = 30,
    by: Annotated[
        str | None,
        typer.Option(
            metavar="COLUMN", help="Who a subscriber is (default: user, else tenant, else session)."
        ),
    ] = None,
    at: AtOpt = None,
    fmt: Annotated[FormatCsv, typer.Option("--format", help="Output format.")] = "table",
    out_file: OutOpt = None,
    price_sheets: PricesOpt = None,
) -> None:
    """Replay a population through candidate plans: per plan (a month) revenue, API-equivalent
    value, true cost, gross margin, the share of users hitting each limit, the p50 / p95 / p99 user,
    break-even usage and the margin at half and at double the true cost.

    JSON and CSV have one object (row) per plan, money as exact decimal strings; the population and
    the true-cost basis go to stderr."""
    import inferonomics as inf

    check_out(out_file)
    cost = inf.TrueCost.parse(true_cost)
    ledger = open_ledger(paths)
    result = inf.simulate_plans(
        ledger,
        plans=list(plan_files or []),
        plan_ids=plan_ids,
        users=users,
        true_cost=cost,
        seed=seed,
        days=days,
        by=by,
        book=book(price_sheets),
        day=_day(at, "--at"),
    )
    tell(f"population: {result.population}")
    tell(f"true cost: {result.true_cost_basis}")
    for note in result.notes:
        tell(note)
    if fmt != "table":
        write_rows(_with_shares(result), fmt, out_file)
        return
    with to_console(out_file) as console:
        _print_simulation(result, console)


def _with_shares(result: SimulationResult) -> pa.Table:
    import pyarrow as pa

    from inferonomics.report.format import decimal_text

    shares = [
        "; ".join(f"{k}={decimal_text(v)}" for k, v in o.limit_hit_shares.items()) for o in result.outcomes
    ]
    return result.table.append_column("limit_hit_shares", pa.array(shares, pa.string()))


def _print_simulation(r: SimulationResult, console: Console) -> None:
    heading(console, f"{r.users:,} users, {r.requests:,} requests over {r.days} days; figures a month")
    view = Table(show_edge=False, pad_edge=False)
    cols = (
        "plan",
        "users",
        "revenue",
        "API-equivalent",
        "true cost",
        "margin",
        "hit a limit",
        "p50 user",
        "p95 user",
        "p99 user",
        "break-even",
        "of weekly",
        "margin x0.5 / x2",
    )
    for c in cols:
        view.add_column(c, justify="left" if c == "plan" else "right")
    for o in r.outcomes:
        half, double = o.gross_margin_at_half_true_cost, o.gross_margin_at_double_true_cost
        view.add_row(
            plain(o.plan),
            f"{o.users:,}",
            money(o.revenue_usd),
            money(o.api_equivalent_usd),
            money(o.true_cost_usd),
            pct(o.gross_margin),
            pct(o.users_hitting_any_limit_share),
            money(o.p50_user_true_cost_usd),
            money(o.p95_user_true_cost_usd),
            money(o.p99_user_true_cost_usd),
            money(o.break_even_api_equivalent_usd),
            pct(o.break_even_share_of_weekly_limit),
            f"{pct(half)} / {pct(double)}",
        )
    console.print(view)
    console.print(
        "p50/p95/p99 user: true cost a month (nearest rank); break-even: API-equivalent $ a month at"
    )
    console.print("which true cost reaches the price (and that over a month of the weekly limit)")


app = typer.Typer(
    help="Subscription plans: the catalogue, one user's fit, limits from observations, populations.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
add_command(app, plans_list, "list")
for _fn in (fit, limits, simulate):
    add_command(app, _fn)


def register(main: typer.Typer) -> None:
    """Add `plans list|fit|limits|simulate` to the app."""
    main.add_typer(app, name="plans")
