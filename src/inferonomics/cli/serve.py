"""True-cost commands (`inferonomics serve ...`): the serving model's cost of one deployment, the
throughput-interactivity frontier, its score against measured points, and the GPUs it knows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.table import Table
from rich.text import Text

from inferonomics.cli._common import add_command, out, write_text
from inferonomics.report.format import money, to_json

if TYPE_CHECKING:
    from inferonomics import ScoreReport

Format = Literal["table", "json"]
Engine = Literal["trtllm", "vllm", "sglang", "generic"]
Precision = Literal["bf16", "fp16", "fp8", "fp8_block", "nvfp4", "mxfp4", "int4"]

ModelOpt = Annotated[
    str,
    typer.Option(metavar="HF_ID|config.json", help="Hugging Face model id, or a path to its config.json."),
]
GpuOpt = Annotated[
    str,
    typer.Option(
        metavar="GPU", help="GPU name, e.g. h100_sxm, h200, b200, mi300x (`serve gpus` lists them)."
    ),
]
ConfigsOpt = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="Directory of config.json files (default: the shared model configs)."),
]
GpuHourOpt = Annotated[
    str | None,
    typer.Option(metavar="USD", help="Price per GPU-hour (instead of a market tier)."),
]
MarketOpt = Annotated[
    str | None,
    typer.Option(
        metavar="TIER",
        help="Catalogue market tier of the GPU-hour price, e.g. owner_neocloud, rental_3yr, spot, "
        "hyperscaler_on_demand (`serve gpus` lists each GPU's tiers; default: owner_neocloud, else "
        "rental_3yr, else mid_tier).",
    ),
]


def _json(data: Any) -> None:
    write_text(to_json(data), None)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _score_rows(table: Table, label: str, groups: dict[str, Any]) -> None:
    for name, g in groups.items():
        table.add_row(
            label,
            Text(name),
            str(g.rows),
            str(g.predicted),
            _pct(g.ttft_median_ape),
            _pct(g.tpot_median_ape),
            _pct(g.ttft_mape),
            _pct(g.tpot_mape),
        )


def _print_score(report: ScoreReport) -> None:
    console = out()
    table = Table(title=Text(f"Serving model vs {Path(report.file).name}"))
    for col in ("group", "name", "rows", "predicted", "TTFT median", "TPOT median", "TTFT MAPE", "TPOT MAPE"):
        table.add_column(col, justify="left" if col in ("group", "name") else "right", no_wrap=True)
    table.add_row(
        "overall",
        "all",
        str(report.rows),
        str(report.predicted),
        _pct(report.ttft_median_ape),
        _pct(report.tpot_median_ape),
        _pct(report.ttft_mape),
        _pct(report.tpot_mape),
        end_section=True,
    )
    _score_rows(table, "system", report.by_system)
    _score_rows(table, "mode", report.by_mode)
    _score_rows(table, "model", report.by_model)
    console.print(table)
    if report.note:
        console.print(Text(report.note, style="bold" if report.in_sample else ""))
    if report.unpredicted:
        console.print(f"{len(report.unpredicted)} row(s) not predicted:")
        for u in report.unpredicted:
            console.print(Text(f"  line {u.line} ({u.id}): {u.reason}"))


def score(
    csv: Annotated[
        Path, typer.Argument(metavar="CSV", help="Measured points in the calibration file's format.")
    ],
    configs: ConfigsOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table",
) -> None:
    """Score the serving model against measured points.

    Predicts every row of a measured-points CSV and prints the error (median absolute
    percentage error and MAPE of TTFT and TPOT), overall and by system, mode and model, and
    whether the rows are ones the shipped parameters were fitted on (an in-sample error) or new
    to them."""
    import inferonomics as inf

    report = inf.score_serving(csv, configs)
    if fmt == "json":
        _json(report.model_dump(mode="json"))
    else:
        _print_score(report)


def cost(
    model: ModelOpt,
    gpu: GpuOpt,
    isl: Annotated[int, typer.Option(min=1, help="Input tokens per request.")],
    osl: Annotated[int, typer.Option(min=1, help="Output tokens per request.")],
    concurrency: Annotated[
        float | None,
        typer.Option(min=1, help="Requests in flight. Give this or --tpot-slo (one is required)."),
    ] = None,
    tpot_slo: Annotated[
        float | None,
        typer.Option(
            "--tpot-slo",
            metavar="MS",
            help="Target ms per output token: the highest concurrency that meets it is used. Give "
            "this or --concurrency (one is required).",
        ),
    ] = None,
    tp: Annotated[
        int | None, typer.Option(min=1, help="Tensor-parallel degree (default: smallest that fits).")
    ] = None,
    ep: Annotated[int | None, typer.Option(min=1, help="Expert-parallel degree (default: all GPUs).")] = None,
    attention_dp: Annotated[int, typer.Option(min=1, help="Data-parallel attention ranks.")] = 1,
    precision: Annotated[Precision | None, typer.Option(help="Weights (default: the checkpoint's).")] = None,
    engine: Annotated[Engine, typer.Option(help="Serving engine whose step overheads to use.")] = "generic",
    gpu_hour_usd: GpuHourOpt = None,
    market: MarketOpt = None,
    utilization: Annotated[
        str, typer.Option(metavar="SHARE", help="Share of paid GPU hours spent serving, in (0, 1].")
    ] = "1",
    configs: ConfigsOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table",
) -> None:
    """Latency, throughput and $/MTok of one deployment.

    $ per million input, output and cached-input tokens, at a given concurrency or at the
    highest one meeting a TPOT target."""
    import inferonomics as inf

    result = inf.serving_cost(
        model,
        gpu,
        isl=isl,
        osl=osl,
        concurrency=concurrency,
        tpot_slo_ms=tpot_slo,
        tp=tp,
        ep=ep,
        attention_dp=attention_dp,
        precision=precision,
        engine=engine,
        gpu_hour_usd=gpu_hour_usd,
        market=market,
        utilization=utilization,
        configs_dir=configs,
    )
    if fmt == "json":
        _json(result.model_dump(mode="json"))
        return
    console = out()
    table = Table(title=Text(f"{result.model} on {result.gpus}x {result.gpu}"))
    table.add_column("quantity", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    for key, value in result.model_dump().items():
        if key != "rule":
            table.add_row(key, Text(str(value)))
    console.print(table)
    console.print(Text(result.rule))


def frontier(
    model: ModelOpt,
    gpu: GpuOpt,
    isl: Annotated[int, typer.Option(min=1, help="Input tokens per request.")],
    osl: Annotated[int, typer.Option(min=1, help="Output tokens per request.")],
    precision: Annotated[Precision | None, typer.Option(help="Weights (default: the checkpoint's).")] = None,
    engine: Annotated[Engine, typer.Option(help="Serving engine whose step overheads to use.")] = "generic",
    max_gpus: Annotated[
        int | None, typer.Option(min=1, help="Largest worker (default: the GPU's scale-up domain).")
    ] = None,
    gpu_hour_usd: GpuHourOpt = None,
    market: MarketOpt = None,
    configs: ConfigsOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table",
) -> None:
    """The throughput-interactivity frontier of a model on a GPU.

    Output tokens/s per GPU against tokens/s per user over a sweep of layouts and concurrencies:
    the Pareto frontier, with $ per million output tokens when a GPU-hour price or market tier
    is given."""
    import inferonomics as inf

    result = inf.serving_frontier(
        model,
        gpu,
        isl=isl,
        osl=osl,
        precision=precision,
        engine=engine,
        max_gpus=max_gpus,
        gpu_hour_usd=gpu_hour_usd,
        market=market,
        configs_dir=configs,
    )
    if fmt == "json":
        _json(result.model_dump(mode="json"))
        return
    table = Table(
        title=Text(
            f"{result.model} on {result.gpu}, {result.isl}/{result.osl} tokens "
            f"({result.configurations} configurations swept)"
        )
    )
    cols: list[tuple[str, Callable[[Any], str]]] = [
        ("tok/s/user", lambda p: f"{p.tokens_per_s_per_user:.1f}"),
        ("tok/s/GPU", lambda p: f"{p.output_tokens_per_s_per_gpu:.1f}"),
        ("TP", lambda p: str(p.tp)),
        ("DP", lambda p: str(p.attention_dp)),
        ("EP", lambda p: str(p.ep)),
        ("GPUs", lambda p: str(p.gpus)),
        ("concurrency", lambda p: f"{p.concurrency:g}"),
        ("TTFT ms", lambda p: f"{p.ttft_ms:.0f}"),
        ("TPOT ms", lambda p: f"{p.tpot_ms:.2f}"),
    ]
    if any(p.output_usd_per_mtok is not None for p in result.frontier):
        cols.append(("$/MTok out", lambda p: f"{p.output_usd_per_mtok:.4f}"))
    for name, _ in cols:
        table.add_column(name, justify="right", no_wrap=True)
    for point in result.frontier:
        table.add_row(*(show(point) for _, show in cols))
    out().print(table)


def gpus(fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = "table") -> None:
    """List the GPUs the serving model knows and their market tiers.

    With their memory and the market tiers priced for each (mid-point $ per GPU-hour of the
    latest price; the default tier is marked)."""
    import inferonomics as inf

    listing = inf.gpu_listing()
    if fmt == "json":
        _json([{**g.__dict__, "aliases": list(g.aliases)} for g in listing])
        return
    table = Table(show_edge=False, pad_edge=False)
    for c in ("gpu", "name", "aliases", "HBM GiB", "market tiers ($/GPU-hour)"):
        table.add_column(c, justify="right" if c == "HBM GiB" else "left")
    for g in listing:
        tiers = ", ".join(
            f"{t}{'*' if t == g.default_market else ''} {money(p)}" for t, p in sorted(g.markets.items())
        )
        table.add_row(
            g.name, Text(g.display_name), Text(", ".join(g.aliases)), f"{g.hbm_gib:g}", tiers or "–"
        )
    console = out()
    console.print(table)
    console.print("* the tier a cost uses when no --market or --gpu-hour-usd is given")


app = typer.Typer(
    help="True cost: the first-principles serving model.", no_args_is_help=True, rich_markup_mode=None
)
for _fn in (cost, frontier, score, gpus):
    add_command(app, _fn)


def register(main: typer.Typer) -> None:
    """Add `serve score|cost|frontier|gpus` to the app."""
    main.add_typer(app, name="serve")
