"""User populations for the plan simulator: the subscribers of a ledger as they are, or a
parametric population fitted to them and scaled to N users with a seed.

The parametric model (stated in the result):

- each user is active on a day with probability p, p ~ Beta(a, b) fitted by the method of moments
  to the observed users' share of active days (over the ledger's span);
- on an active day a user sends Poisson(r) requests, r ~ LogNormal(mu, sigma) fitted by maximum
  likelihood to the observed users' requests per active day (sigma = 0 with one user);
- a user's day is a working span: it starts in an hour drawn from when the ledger's user-days
  start (their first request's hour, UTC) and lasts s hours, s ~ LogNormal fitted to the spans
  between the first and last request of the ledger's user-days with two requests or more (cut at
  midnight); the day's requests fall uniformly in it (bursts inside a span are not modelled);
- each request's content (model, tokens and its exact API-equivalent value, priced by the
  billing engine) is drawn with replacement from the requests of one ledger user, the user's
  template: the observed user at the same rank of requests per active day as the synthetic user's
  r among the population's, so the busiest synthetic users send what the busiest observed users
  send (model mix and request sizes follow intensity, as they do in the ledger).
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
    """Share of the ledger's user-days whose first request falls in each UTC hour."""
    span_mu: float
    span_sigma: float
    """LogNormal of a user-day's span from first to last request, hours."""
    observed_users: int
    templates: tuple[int, ...]
    """Observed subscribers (indexes into the ledger's), by ascending requests per active day."""
    observed_days: int

    def describe(self) -> str:
        """One line stating the model and its parameters."""
        mean_p = self.active_alpha / (self.active_alpha + self.active_beta)
        return (
            "parametric: active days ~ Bernoulli(p), "
            f"p ~ Beta({self.active_alpha:.3g}, {self.active_beta:.3g}) (mean {mean_p:.3f}); "
            "requests per active day ~ Poisson(r), "
            f"r ~ LogNormal({self.rate_mu:.3f}, {self.rate_sigma:.3f}); a day's requests in a span of "
            f"LogNormal({self.span_mu:.3f}, {self.span_sigma:.3f}) hours from an hour drawn as the ledger's "
            "days start; "
            f"each user's requests resampled from the observed user of the same rank of r (of "
            f"{self.observed_users} users over {self.observed_days} days)"
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
    # User-days: rows are sorted by subscriber then time, so each (subscriber, day) run is contiguous.
    key = base.sub * (days + 1) + day
    runs = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1], [True])))
    first, last = base.ts[runs[:-1]], base.ts[runs[1:] - 1]
    hours = np.bincount(((first % DAY_US) // HOUR_US).astype(np.int64), minlength=24).astype(np.float64)
    spans = (last - first)[last > first] / HOUR_US
    span_logs = np.log(spans) if len(spans) else np.log(np.array([1.0]))
    return PopulationFit(
        active_alpha=m * strength,
        active_beta=(1 - m) * strength,
        rate_mu=float(logs.mean()),
        rate_sigma=float(logs.std()) if len(logs) > 1 else 0.0,
        hour_weights=tuple(float(x) for x in hours / hours.sum()),
        span_mu=float(span_logs.mean()),
        span_sigma=float(span_logs.std()) if len(span_logs) > 1 else 0.0,
        observed_users=int(used.sum()),
        templates=tuple(int(i) for i in np.flatnonzero(used)[np.argsort(rate, kind="stable")]),
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
    busy = np.flatnonzero(counts)
    opens = rng.choice(24, size=len(busy), p=np.asarray(fit.hour_weights)) * HOUR_US
    opens += rng.integers(0, HOUR_US, size=len(busy))
    span = np.exp(rng.normal(fit.span_mu, fit.span_sigma, size=len(busy))) * HOUR_US
    span = np.minimum(span, DAY_US - 1 - opens).astype(np.int64) + 1
    group = np.repeat(busy.astype(np.int64), counts[busy])
    within = np.repeat(opens, counts[busy]) + (rng.random(n) * np.repeat(span, counts[busy])).astype(np.int64)
    # Content is drawn independently of time, so sorting the times alone keeps every draw valid.
    key = np.sort(group * DAY_US + within)
    group_sorted = key // DAY_US
    sub = group_sorted // days
    first_day = (int(base.ts.min()) // DAY_US) * DAY_US if start is None else _day_us(start)
    ts = first_day + (group_sorted % days) * DAY_US + key % DAY_US
    # Each user's template: the observed user at the rank of its rate among the population's.
    templates = np.asarray(fit.templates, dtype=np.int64)
    rank = np.empty(users, dtype=np.int64)
    rank[np.argsort(r, kind="stable")] = np.arange(users)
    template = templates[rank * len(templates) // users]
    bounds = base.bounds
    owner = template[sub]
    pick = bounds[owner] + (rng.random(n) * (bounds[owner + 1] - bounds[owner])).astype(np.int64)
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
