"""User populations for the plan simulator: the subscribers of a ledger as they are, or a
parametric population fitted to them and scaled to N users with a seed.

The parametric model (stated in the result):

- each user is active on a day with probability p, p ~ Beta(a, b) fitted by the method of moments
  to the observed users' share of active days (over the ledger's span);
- on an active day a user sends Poisson(r) requests, r ~ LogNormal(mu, sigma) fitted by maximum
  likelihood to the observed users' requests per active day (sigma = 0 with one user);
- requests fall in the day's hours as the ledger's requests do (its hour-of-day histogram, UTC),
  uniformly within the hour;
- each request's content (model, tokens and its exact API-equivalent value, priced by the
  billing engine) is drawn with replacement from the ledger's priced requests: a user's request
  sizes do not depend on how active the user is (a simplification).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from inferonomics.errors import PlanError
from inferonomics.plans.usage import Usage, sum_runs
from inferonomics.plans.windows import EPOCH

__all__ = ["Population", "PopulationFit", "fit_population", "generate_population"]

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


@dataclass(frozen=True)
class PopulationFit:
    """The parametric model's fitted parameters."""

    active_alpha: float
    active_beta: float
    rate_mu: float
    rate_sigma: float
    hour_weights: tuple[float, ...]
    observed_users: int
    observed_days: int

    def describe(self) -> str:
        """One line stating the model and its parameters."""
        mean_p = self.active_alpha / (self.active_alpha + self.active_beta)
        return (
            "parametric: active days ~ Bernoulli(p), "
            f"p ~ Beta({self.active_alpha:.3g}, {self.active_beta:.3g}) (mean {mean_p:.3f}); "
            "requests per active day ~ Poisson(r), "
            f"r ~ LogNormal({self.rate_mu:.3f}, {self.rate_sigma:.3f}); hours as the ledger's; "
            f"request content resampled from its {self.observed_users} users over {self.observed_days} days"
        )


@dataclass
class Population:
    """Subscribers and their requests, for `simulate_plans`."""

    usage: Usage
    days: int
    """The span the requests cover (figures are scaled to a month from it)."""
    description: str


def fit_population(base: Usage) -> PopulationFit:
    """Fit the parametric model to a ledger's subscribers (see the module docstring)."""
    if len(base) == 0:
        raise PlanError("cannot fit a population to a ledger without priced requests")
    days = base.span_days()
    t0 = int(base.ts.min()) // DAY_US
    day = base.ts // DAY_US - t0
    bounds = base.bounds
    reqs = sum_runs(base.requests, bounds)
    pairs = np.unique(base.sub * (days + 1) + day)
    active_days = np.bincount(pairs // (days + 1), minlength=len(base.subscribers))
    active = active_days / days
    rate = np.divide(reqs, active_days, out=np.zeros(len(reqs)), where=active_days > 0)
    used = rate > 0
    active, rate = active[used], rate[used]
    m = float(active.mean())
    v = float(active.var())
    if v <= 0 or m >= 1 or m <= 0:
        # Degenerate (one user, or every user active every day): a Beta concentrated at the mean.
        m = min(max(m, 1e-3), 1 - 1e-3)
        strength = 1000.0
    else:
        strength = max(m * (1 - m) / v - 1, 1e-3)
    logs = np.log(rate)
    hours = np.bincount(((base.ts % DAY_US) // HOUR_US).astype(np.int64), weights=base.requests, minlength=24)
    return PopulationFit(
        active_alpha=m * strength,
        active_beta=(1 - m) * strength,
        rate_mu=float(logs.mean()),
        rate_sigma=float(logs.std()) if len(logs) > 1 else 0.0,
        hour_weights=tuple(float(x) for x in hours / hours.sum()),
        observed_users=int(used.sum()),
        observed_days=days,
    )


def generate_population(
    base: Usage,
    users: int,
    *,
    seed: int = 0,
    days: int = 30,
    start: dt.datetime | None = None,
    fit: PopulationFit | None = None,
) -> Population:
    """`users` subscribers over `days` days from `start` (default: the ledger's first day), drawn
    from the model fitted to `base` (see the module docstring), reproducibly from `seed`."""
    if users < 1 or days < 1:
        raise PlanError("a population needs at least one user and one day")
    fit = fit or fit_population(base)
    rng = np.random.default_rng(seed)
    p = rng.beta(fit.active_alpha, fit.active_beta, size=users)
    r = np.exp(rng.normal(fit.rate_mu, fit.rate_sigma, size=users))
    active = rng.random((users, days)) < p[:, None]
    counts = np.where(active, rng.poisson(np.broadcast_to(r[:, None], (users, days))), 0).ravel()
    n = int(counts.sum())
    if n == 0:
        raise PlanError("the fitted population sends no requests; raise --users or use a busier ledger")
    group = np.repeat(np.arange(users * days, dtype=np.int64), counts)
    hour = rng.choice(24, size=n, p=np.asarray(fit.hour_weights))
    within = hour * HOUR_US + rng.integers(0, HOUR_US, size=n)
    # Content is drawn independently of time, so sorting the times alone keeps every draw valid.
    key = np.sort(group * DAY_US + within)
    group_sorted = key // DAY_US
    sub = group_sorted // days
    first_day = (int(base.ts.min()) // DAY_US) * DAY_US if start is None else _day_us(start)
    ts = first_day + (group_sorted % days) * DAY_US + key % DAY_US
    pick = rng.integers(0, len(base), size=n)
    usage = Usage(
        subscribers=[f"user-{i:06d}" for i in range(users)],
        sub=sub,
        ts=ts,
        pico=base.pico[pick],
        femto=base.femto[pick],
        requests=base.requests[pick],
        tokens_in=base.tokens_in[pick],
        tokens_cached=base.tokens_cached[pick],
        tokens_out=base.tokens_out[pick],
        model=base.model[pick],
        models=base.models,
        population_column=None,
        unpriced_requests=0,
        source=None,
    )
    return Population(usage, days, f"{users:,} users over {days} days (seed {seed}); {fit.describe()}")


def _day_us(t: dt.datetime) -> int:
    aware = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t
    return ((aware - EPOCH) // dt.timedelta(microseconds=1)) // DAY_US * DAY_US
