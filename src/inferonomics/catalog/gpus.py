"""GPU specifications and dated GPU-hour prices, read from `catalog/data/gpus.yaml`.

Specs are physics (float64, SI units through the `*_per_s` properties); prices are money (Decimal).
A price is a dated entry per (GPU, market tier): the one in force on a day is the latest entry whose
`effective` date is on or before it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from inferonomics.errors import GpuCatalogError

__all__ = [
    "GpuCatalog",
    "GpuPrice",
    "GpuSpec",
    "load_gpu_catalog",
]

Precision = Literal["bf16", "fp8", "fp4"]
Money = Annotated[Decimal, Field(strict=False, ge=0)]


class DenseTflops(BaseModel):
    """One GPU's peak dense tensor throughput in TFLOP/s, per precision: BF16 always, FP8 and FP4 where the
    GPU runs them."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    bf16: float = Field(gt=0, description="Dense BF16/FP16 tensor TFLOP/s (no sparsity).")
    fp8: float | None = Field(default=None, gt=0, description="Dense FP8 tensor TFLOP/s; absent if none.")
    fp4: float | None = Field(
        default=None, gt=0, description="Dense FP4 (NVFP4 / MXFP4) tensor TFLOP/s; absent if none."
    )


class GpuSpec(BaseModel):
    """One GPU model's published specifications (per GPU, dense, peak)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = Field(description="Catalogue key, e.g. `h100_sxm` (the calibration file's system names).")
    display_name: str = Field(description="Vendor's product name.")
    aliases: list[str] = Field(default_factory=list, description="Other accepted names (case-insensitive).")
    vendor: Literal["nvidia", "amd", "google"] = Field(description="Vendor.")
    architecture: str = Field(description="Microarchitecture, e.g. hopper, blackwell, cdna3.")
    dense_tflops: DenseTflops = Field(description="Peak dense tensor throughput per precision, TFLOP/s.")
    hbm_capacity_gib: float = Field(gt=0, description="Device memory, GiB (2^30 bytes; vendors' 'GB').")
    hbm_bandwidth_tb_per_s: float = Field(gt=0, description="Peak device-memory bandwidth, TB/s.")
    scale_up_gb_per_s: float = Field(gt=0, description="NVLink / Infinity Fabric GB/s per GPU, one way.")
    scale_up_domain_gpus: int = Field(ge=1, description="GPUs reachable over the scale-up fabric.")
    scale_out_gb_per_s: float | None = Field(
        default=None, gt=0, description="Network GB/s per GPU, one way, to GPUs outside the domain."
    )
    power_watts: float = Field(gt=0, description="Maximum board / module power, W.")
    source: str = Field(min_length=1, description="Where the figures come from (URL).")
    checked: dt.date = Field(description="Date the figures were last checked against the source.")
    notes: str = Field(default="", description="Assumptions and derivations.")

    @property
    def hbm_bytes(self) -> float:
        """Device memory, bytes."""
        return self.hbm_capacity_gib * 2.0**30

    @property
    def hbm_bytes_per_s(self) -> float:
        """Peak device-memory bandwidth, bytes per second."""
        return self.hbm_bandwidth_tb_per_s * 1e12

    @property
    def scale_up_bytes_per_s(self) -> float:
        """Scale-up fabric (NVLink / Infinity Fabric) bandwidth per GPU, one way, bytes per second."""
        return self.scale_up_gb_per_s * 1e9

    @property
    def scale_out_bytes_per_s(self) -> float:
        """Network bandwidth; without a published figure, 10% of the scale-up one (a PCIe-class NIC)."""
        if self.scale_out_gb_per_s is None:
            return self.scale_up_gb_per_s * 1e8
        return self.scale_out_gb_per_s * 1e9

    def flops_per_s(self, precision: str) -> float:
        """Dense FLOP/s for a compute precision, falling back to the next wider one the GPU has."""
        t = self.dense_tflops
        p = precision.lower()
        if p in ("fp4", "nvfp4", "mxfp4") and t.fp4 is not None:
            return t.fp4 * 1e12
        if p in ("fp4", "nvfp4", "mxfp4", "fp8", "fp8_block", "int8") and t.fp8 is not None:
            return t.fp8 * 1e12
        return t.bf16 * 1e12

    def has_precision(self, precision: str) -> bool:
        """Whether the GPU has tensor throughput of its own for `precision`: the FP4 formats need an FP4
        figure, FP8 and block FP8 an FP8 figure; any other precision (BF16, FP16, int8...) counts as
        present."""
        p = precision.lower()
        if p in ("fp4", "nvfp4", "mxfp4"):
            return self.dense_tflops.fp4 is not None
        if p in ("fp8", "fp8_block"):
            return self.dense_tflops.fp8 is not None
        return True


class GpuPrice(BaseModel):
    """A GPU-hour price (or range) in one market tier, in force from `effective`."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    gpu: str = Field(description="Catalogue key of the GPU.")
    tier: str = Field(description="Market tier, e.g. owner_hyperscaler, rental_3yr, specialist, spot.")
    low_usd_per_gpu_hour: Money = Field(description="Low end of the range, USD per GPU-hour (exact).")
    high_usd_per_gpu_hour: Money = Field(description="High end of the range, USD per GPU-hour (exact).")
    effective: dt.date = Field(description="First day this price is in force.")
    source: str = Field(min_length=1, description="Where the price comes from (URL or citation).")
    checked: dt.date = Field(description="Date the price was last checked against the source.")

    @model_validator(mode="after")
    def _ordered(self) -> GpuPrice:
        if self.high_usd_per_gpu_hour < self.low_usd_per_gpu_hour:
            raise ValueError("high_usd_per_gpu_hour is below low_usd_per_gpu_hour")
        return self

    @property
    def mid_usd_per_gpu_hour(self) -> Decimal:
        """The middle of the range, USD per GPU-hour (exact)."""
        return (self.low_usd_per_gpu_hour + self.high_usd_per_gpu_hour) / 2


class GpuCatalog(BaseModel):
    """All GPUs and prices; look-ups by name or alias with nearest-name errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    gpus: list[GpuSpec] = Field(description="GPU specifications.")
    prices: list[GpuPrice] = Field(description="Dated GPU-hour prices.")

    @model_validator(mode="after")
    def _consistent(self) -> GpuCatalog:
        names = [g.name for g in self.gpus]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"duplicate GPU names: {sorted(dupes)}")
        for p in self.prices:
            if p.gpu not in names:
                raise ValueError(f"price for unknown GPU {p.gpu!r}")
        return self

    def names(self) -> list[str]:
        """The catalogue keys of every GPU, in the order of the catalogue file."""
        return [g.name for g in self.gpus]

    def get(self, name: str) -> GpuSpec:
        """The GPU called `name` (catalogue key or alias, any case)."""
        key = name.strip().lower().replace("_", " ").replace("-", " ")
        for g in self.gpus:
            forms = [g.name, *g.aliases]
            if any(key == f.lower().replace("_", " ").replace("-", " ") for f in forms):
                return g
        everything = [f for g in self.gpus for f in (g.name, *g.aliases)]
        near = difflib.get_close_matches(name.lower(), everything, n=4, cutoff=0.4)
        hint = f"; nearest: {', '.join(near)}" if near else ""
        raise GpuCatalogError(
            f"unknown GPU {name!r}{hint}. Known GPUs: {', '.join(self.names())} (see catalog/data/gpus.yaml)"
        )

    def tiers(self, gpu: str) -> list[str]:
        """The market tiers with a price for `gpu` (key or alias), sorted; an unknown GPU raises
        `GpuCatalogError`."""
        spec = self.get(gpu)
        return sorted({p.tier for p in self.prices if p.gpu == spec.name})

    def price(self, gpu: str, tier: str, on: dt.date | None = None) -> GpuPrice:
        """The price of `gpu` in `tier` in force on `on` (default: the latest entry)."""
        spec = self.get(gpu)
        entries = [p for p in self.prices if p.gpu == spec.name and p.tier == tier]
        if not entries:
            known = self.tiers(spec.name)
            near = difflib.get_close_matches(tier, known, n=3, cutoff=0.3)
            hint = f" (nearest: {', '.join(near)})" if near else ""
            raise GpuCatalogError(
                f"no {tier!r} price for {spec.name}{hint}; tiers with a price: {', '.join(known) or 'none'}"
            )
        if on is not None:
            entries = [p for p in entries if p.effective <= on]
            if not entries:
                raise GpuCatalogError(f"no {tier!r} price for {spec.name} in force on {on.isoformat()}")
        return max(entries, key=lambda p: p.effective)


def parse_gpu_catalog(text: str, where: str = "gpus.yaml") -> GpuCatalog:
    """Validate a catalogue from YAML text; errors name the file, entry and field."""
    raw = yaml.safe_load(text)
    try:
        return GpuCatalog.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise GpuCatalogError(f"{where}: {loc}: {first['msg']} ({exc.error_count()} error(s))") from None


@cache
def load_gpu_catalog() -> GpuCatalog:
    """The packaged GPU catalogue (`catalog/data/gpus.yaml`)."""
    text = resources.files("inferonomics.catalog").joinpath("data/gpus.yaml").read_text()
    return parse_gpu_catalog(text)
