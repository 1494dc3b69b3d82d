"""CLI commands of the serving model (`inferonomics serve ...`): parse, call the library, print."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from inferonomics.errors import ArchitectureError, CostError, DeploymentError, GpuCatalogError
from inferonomics.serving.configs import Workload
from inferonomics.serving.cost import concurrency_for_tpot, cost_of, gpu_hour_price
from inferonomics.serving.deploy import make_deployment
from inferonomics.serving.frontier import frontier as run_frontier
from inferonomics.serving.score import GroupScore, ScoreReport, score_file

app = typer.Typer(help="True cost: the first-principles serving model.", no_args_is_help=True)

_USER_ERRORS = (
    ArchitectureError,
    GpuCatalogError,
    DeploymentError,
    CostError,
    FileNotFoundError,
    ValueError,
)


class Format(StrEnum):
    table = "table"
    json = "json"


@contextmanager
def _user_errors() -> Iterator[None]:
    """Bad input ends with a one-line message and exit code 2, never a traceback."""
    try:
        yield
    except _USER_ERRORS as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _score_rows(table: Table, label: str, groups: dict[str, GroupScore]) -> None:
    for name, g in groups.items():
        table.add_row(
            label,
            name,
            str(g.rows),
            str(g.predicted),
            _pct(g.ttft_median_ape),
            _pct(g.tpot_median_ape),
            _pct(g.ttft_mape),
            _pct(g.tpot_mape),
        )


def _print_score(report: ScoreReport) -> None:
    table = Table(title=f"Serving model vs {Path(report.file).name}")
    for col in ("group", "name", "rows", "predicted", "TTFT median", "TPOT median", "TTFT MAPE", "TPOT MAPE"):
        table.add_column(col, justify="left" if col in ("group", "name") else "right")
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
    console = Console(width=140)
    console.print(table)
    if report.unpredicted:
        console.print(f"{len(report.unpredicted)} row(s) not predicted:")
        for u in report.unpredicted:
            console.print(f"  line {u.line} ({u.id}): {u.reason}", highlight=False, soft_wrap=True)


@app.command()
def score(
    csv: Annotated[Path, typer.Argument(help="Measured points in the calibration file's format.")],
    configs: Annotated[
        Path | None, typer.Option(help="Directory of Hugging Face config.json files (default: shared data).")
    ] = None,
    format: Annotated[Format, typer.Option(help="table or json.")] = Format.table,
) -> None:
    """Predict every row of a measured-points CSV and print the error, overall and by system, model, mode."""
    with _user_errors():
        report = score_file(csv, configs)
    if format is Format.json:
        _json(report.model_dump(mode="json"))
    else:
        _print_score(report)


def _decimal(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{option} {value!r} is not a number") from None


@app.command()
def cost(
    model: Annotated[str, typer.Option(help="Hugging Face id or path to a config.json.")],
    gpu: Annotated[str, typer.Option(help="GPU name, e.g. h100_sxm, b200, mi300x.")],
    isl: Annotated[int, typer.Option(min=1, help="Input tokens per request.")],
    osl: Annotated[int, typer.Option(min=1, help="Output tokens per request.")],
    concurrency: Annotated[float | None, typer.Option(min=1, help="Requests in flight.")] = None,
    tpot_slo: Annotated[
        float | None, typer.Option("--tpot-slo", help="Target ms per output token (picks the concurrency).")
    ] = None,
    tp: Annotated[
        int | None, typer.Option(min=1, help="Tensor-parallel degree (default: smallest that fits).")
    ] = None,
    ep: Annotated[int | None, typer.Option(min=1, help="Expert-parallel degree (default: all GPUs).")] = None,
    attention_dp: Annotated[int, typer.Option(min=1, help="Data-parallel attention ranks.")] = 1,
    precision: Annotated[str | None, typer.Option(help="Weights: bf16, fp8, nvfp4, mxfp4, int4.")] = None,
    engine: Annotated[str, typer.Option(help="trtllm, vllm, sglang or generic.")] = "generic",
    gpu_hour_usd: Annotated[str | None, typer.Option(help="Price per GPU-hour, USD.")] = None,
    market: Annotated[
        str | None, typer.Option(help="Catalogue price tier, e.g. owner_neocloud, spot.")
    ] = None,
    utilization: Annotated[str, typer.Option(help="Share of paid GPU hours spent serving (0-1].")] = "1",
    configs: Annotated[Path | None, typer.Option(help="Directory of config.json files.")] = None,
    format: Annotated[Format, typer.Option(help="table or json.")] = Format.table,
) -> None:
    """Latency, throughput and $ per million input, output and cached-input tokens of one deployment."""
    with _user_errors():
        if (concurrency is None) == (tpot_slo is None):
            raise ValueError("give exactly one of --concurrency and --tpot-slo")
        if gpu_hour_usd is not None and market is not None:
            raise ValueError("give at most one of --gpu-hour-usd and --market")
        dep = make_deployment(
            model,
            gpu,
            tp=tp,
            ep=ep,
            attention_dp=attention_dp,
            precision=precision,
            engine=engine,
            configs_dir=configs,
        )
        if tpot_slo is not None:
            concurrency = concurrency_for_tpot(dep, isl, osl, tpot_slo)
        assert concurrency is not None
        price = gpu_hour_price(dep.gpu.name, usd=_decimal(gpu_hour_usd, "--gpu-hour-usd"), market=market)
        u = _decimal(utilization, "--utilization")
        assert u is not None
        result = cost_of(dep, Workload(isl=isl, osl=osl, concurrency=concurrency), price, u)
    if format is Format.json:
        _json(result.model_dump(mode="json"))
        return
    table = Table(title=f"{result.model} on {result.gpus}x {result.gpu}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in result.model_dump().items():
        if key != "rule":
            table.add_row(key, str(value))
    console = Console(width=120)
    console.print(table)
    console.print(result.rule, highlight=False, soft_wrap=True)


@app.command()
def frontier(
    model: Annotated[str, typer.Option(help="Hugging Face id or path to a config.json.")],
    gpu: Annotated[str, typer.Option(help="GPU name.")],
    isl: Annotated[int, typer.Option(min=1, help="Input tokens per request.")],
    osl: Annotated[int, typer.Option(min=1, help="Output tokens per request.")],
    precision: Annotated[
        str | None, typer.Option(help="Weights precision (default: the checkpoint's).")
    ] = None,
    engine: Annotated[str, typer.Option(help="trtllm, vllm, sglang or generic.")] = "generic",
    max_gpus: Annotated[
        int | None, typer.Option(min=1, help="Largest worker (default: scale-up domain).")
    ] = None,
    gpu_hour_usd: Annotated[str | None, typer.Option(help="Price per GPU-hour, USD (adds $/MTok).")] = None,
    market: Annotated[str | None, typer.Option(help="Catalogue price tier (adds $/MTok).")] = None,
    configs: Annotated[Path | None, typer.Option(help="Directory of config.json files.")] = None,
    format: Annotated[Format, typer.Option(help="table or json.")] = Format.table,
) -> None:
    """Output tokens/s per GPU against tokens/s per user over a sweep of layouts and concurrencies."""
    with _user_errors():
        price = None
        if gpu_hour_usd is not None or market is not None:
            price = gpu_hour_price(gpu, usd=_decimal(gpu_hour_usd, "--gpu-hour-usd"), market=market)
        result = run_frontier(
            model,
            gpu,
            isl,
            osl,
            precision=precision,
            engine=engine,
            max_gpus=max_gpus,
            gpu_hour_usd=price,
            configs_dir=configs,
        )
    if format is Format.json:
        _json(result.model_dump(mode="json"))
        return
    table = Table(
        title=f"{result.model} on {result.gpu}, {result.isl}/{result.osl} tokens "
        f"({result.configurations} configurations swept)"
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
    if price is not None:
        cols.append(("$/MTok out", lambda p: f"{p.output_usd_per_mtok:.4f}"))
    for name, _ in cols:
        table.add_column(name, justify="right")
    for point in result.frontier:
        table.add_row(*(fmt(point) for _, fmt in cols))
    Console(width=140).print(table)
