"""What serving a request truly costs, for the plan simulator: $/MTok rates per model, either
stated (`IN/OUT[/CACHED]`) or from the serving model.

The serving model prices open-weights models; closed models are costed through the stated
proxies of `cases/true_cost.py` (Opus ~ Kimi K2 on 8 B200, Sonnet ~ DeepSeek-V3 on 8 H200, Haiku
4.5 ~ Qwen3-235B-A22B, Haiku 3 ~ Qwen3-32B, DeepSeek itself), at D2's operating point (2,048 in /
512 out tokens, the layout and concurrency with the most output per GPU within the TPOT target,
the neocloud GPU-hour price, 100 % use). A model of no known family is costed as the Sonnet
class: an assumption, stated in the result's basis.

Prefilled input (uncached input and cache writes), cache reads and output each have a rate; the
cost of a request is exact (integer femto-dollars: rates have at most nine decimals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache

import numpy as np

from inferonomics.errors import PlanError
from inferonomics.plans.usage import Usage

__all__ = ["FAMILIES", "TrueCost", "TrueCostRates", "parse_true_cost"]

FEMTO_PER_USD_PER_MTOK = 10**9
"""$1 per million tokens is 1e-6 $ a token: 1e9 femto-dollars a token."""
FAMILIES = (
    ("Opus 4.5", re.compile(r"opus")),
    ("Haiku 3", re.compile(r"claude-3-haiku|claude-3-5-haiku")),
    ("Haiku 4.5", re.compile(r"haiku|mini|nano|flash|lite|small")),
    ("DeepSeek V3.2", re.compile(r"deepseek")),
    ("Sonnet", re.compile(r"sonnet")),
)
"""API model families (first match wins) and the proxy class of `cases/true_cost.py` each is
costed as; anything else is costed as Sonnet's class."""


@dataclass(frozen=True)
class TrueCostRates:
    """True cost per million tokens: prefilled input, cache reads, output."""

    input_usd_per_mtok: Decimal
    cached_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal

    def scaled(self, factor: Decimal) -> TrueCostRates:
        """Every rate times `factor`."""
        return TrueCostRates(
            self.input_usd_per_mtok * factor,
            self.cached_usd_per_mtok * factor,
            self.output_usd_per_mtok * factor,
        )

    def femto_per_token(self) -> tuple[int, int, int]:
        """The rates in femto-dollars a token (exact: at most nine decimals in $/MTok)."""
        out = []
        for r in (self.input_usd_per_mtok, self.cached_usd_per_mtok, self.output_usd_per_mtok):
            f = r * FEMTO_PER_USD_PER_MTOK
            if f != f.to_integral_value() or f < 0:
                raise PlanError(f"a true-cost rate of ${r}/MTok must be >= 0 with at most nine decimals")
            out.append(int(f))
        return out[0], out[1], out[2]


@dataclass(frozen=True)
class TrueCost:
    """Rates per model family (`FAMILIES`), or one set for every model."""

    basis: str
    """How the rates were obtained, for the result."""
    default: TrueCostRates
    families: dict[str, TrueCostRates] = field(default_factory=dict)

    def rates_for(self, model: str) -> TrueCostRates:
        """The rates a provider/model key is costed at."""
        if not self.families:
            return self.default
        key = model.lower()
        for name, pattern in FAMILIES:
            if pattern.search(key) and name in self.families:
                return self.families[name]
        return self.default

    def scaled(self, factor: Decimal) -> TrueCost:
        """Every rate times `factor` (the sensitivity of a margin to this assumption)."""
        return TrueCost(
            f"{self.basis}, x{factor}",
            self.default.scaled(factor),
            {k: v.scaled(factor) for k, v in self.families.items()},
        )

    @classmethod
    def flat(cls, input_usd: Decimal, output_usd: Decimal, cached_usd: Decimal | None = None) -> TrueCost:
        """Stated rates for every model (cache reads at the input rate unless given)."""
        rates = TrueCostRates(input_usd, input_usd if cached_usd is None else cached_usd, output_usd)
        basis = f"stated: ${input_usd} input, ${rates.cached_usd_per_mtok} cache reads, ${output_usd} output"
        return cls(basis + " per MTok", rates)

    @classmethod
    def parse(cls, text: str, *, tpot_ms: float = 25.0) -> TrueCost:
        """`serving`, `RATE` ($/MTok for every token) or `IN/OUT[/CACHED]` ($/MTok)."""
        return parse_true_cost(text, tpot_ms=tpot_ms)

    @classmethod
    def serving(cls, tpot_ms: float = 25.0) -> TrueCost:
        """Rates from the serving model through `cases/true_cost.py`'s proxies (see the module)."""
        families = {name: _proxy_rates(name, tpot_ms) for name, _ in FAMILIES}
        basis = (
            f"the serving model, closed models through stated open-weights proxies at {tpot_ms:g} ms TPOT "
            "(2,048 in / 512 out, neocloud GPU-hours, 100% use): "
            + "; ".join(
                f"{n} ${r.input_usd_per_mtok} / ${r.cached_usd_per_mtok} cached / ${r.output_usd_per_mtok}"
                for n, r in families.items()
            )
            + "; other models as Sonnet"
        )
        return cls(basis, families["Sonnet"], families)

    def per_row_femto(self, usage: Usage, served_model: np.ndarray | None = None) -> np.ndarray:
        """Each row's true cost in femto-dollars (exact), at the model that served it."""
        models = served_model if served_model is not None else usage.model
        names = list(usage.models)
        n_models = int(models.max()) + 1 if len(models) else 0
        rates = np.zeros((max(n_models, len(names)), 3), dtype=np.int64)
        for i in range(rates.shape[0]):
            key = names[i] if i < len(names) else ""
            rates[i] = self.rates_for(key).femto_per_token()
        r = rates[models] if len(models) else np.zeros((0, 3), dtype=np.int64)
        biggest = int(
            max(
                usage.tokens_in.max(initial=0),
                usage.tokens_cached.max(initial=0),
                usage.tokens_out.max(initial=0),
            )
        )
        if biggest * int(rates.max(initial=0)) * 3 >= 2**62:
            raise PlanError("a request too large to cost in 64-bit femto-dollars; split pre-aggregated rows")
        cost: np.ndarray = (
            usage.tokens_in * r[:, 0] + usage.tokens_cached * r[:, 1] + usage.tokens_out * r[:, 2]
        )
        return cost


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().lstrip("$"))
    except InvalidOperation:
        raise PlanError(f"--true-cost: {what} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise PlanError(f"--true-cost: {what} must be >= 0 (got {text})")
    return value


def parse_true_cost(text: str, *, tpot_ms: float = 25.0) -> TrueCost:
    """`serving`, `RATE` ($/MTok for every token), or `IN/OUT[/CACHED]` ($/MTok)."""
    text = text.strip()
    if text.lower() == "serving":
        return TrueCost.serving(tpot_ms)
    parts = text.split("/")
    if len(parts) == 1:
        v = _decimal(parts[0], "rate")
        return TrueCost.flat(v, v)
    if len(parts) in (2, 3):
        nums = [_decimal(p, name) for p, name in zip(parts, ("input", "output", "cached"), strict=False)]
        return TrueCost.flat(nums[0], nums[1], nums[2] if len(nums) == 3 else None)
    raise PlanError(f"--true-cost {text!r}: give serving, RATE or IN/OUT[/CACHED] in $ per million tokens")


@cache
def _proxy_rates(family: str, tpot_ms: float) -> TrueCostRates:
    from inferonomics.cases.true_cost import DEFAULT_D2_PROXIES
    from inferonomics.catalog.architectures import default_configs_dir
    from inferonomics.serving.configs import Workload
    from inferonomics.serving.cost import cost_of, gpu_hour_price
    from inferonomics.serving.frontier import best_layout_under_slo

    if not default_configs_dir().is_dir():
        raise PlanError(
            "--true-cost serving needs the serving model's model configs (the shared data's "
            "models/hf_configs; set INFERONOMICS_SHARED_DATA), or give rates: --true-cost IN/OUT[/CACHED]"
        )
    proxy = DEFAULT_D2_PROXIES[family]
    dep, conc = best_layout_under_slo(proxy.model, proxy.gpu, 2048, 512, tpot_ms, precision=proxy.precision)
    price = gpu_hour_price(proxy.gpu, market="owner_neocloud")
    c = cost_of(dep, Workload(isl=2048, osl=512, concurrency=conc), price)
    return TrueCostRates(c.input_usd_per_mtok, c.cached_input_usd_per_mtok, c.output_usd_per_mtok)
