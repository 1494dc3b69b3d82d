"""What discovery reads from a ledger: per-feature and per-model signals, each one columnar query.

* `feature_signals`: per feature, the traffic (requests, tokens, tiers), how it arrives (requests in
  multi-request sessions, in bursts of one user, off-hours), its cache use as recorded, how often
  its prompts repeat (a first prefix block sent before, or an exact prompt size shared), and the
  output and reasoning tails (p50 / p95 / p99 / max per request and at the cap percentile);
* `model_signals`: per feature and model, the request shape a routing decision needs (mean input
  and output, the output tail, the output/input ratio);
* `cap_cuts`: for caps chosen per feature, the requests a cap truncates and the tokens it cuts.

Sizes are per request (a bucket row of n requests counts as n requests of its average size).
Rows without a feature are grouped under NULL and never proposed for a feature-scoped lever.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from inferonomics import backend
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.schema import INPUT_COLUMNS

QUANTILES = (0.5, 0.95, 0.99)


NEEDED = (
    "ts",
    "provider",
    "model",
    "feature",
    "user",
    "session",
    "service_tier",
    "requests",
    *INPUT_COLUMNS,
    "output_tokens",
    "reasoning_tokens",
)
"""The columns discovery reads (plus `prefix_hashes` where the ledger has them)."""
_tables = itertools.count()


def narrow(ledger: Ledger, *, hashes: bool) -> ir.Table:
    """The ledger's valid rows, only the columns discovery reads, as a temporary table on its
    connection (a cached DataFrame on Spark): the queries below then scan it instead of re-reading
    and re-checking the source."""
    rows = ledger.rows
    cols = [*NEEDED, *(["prefix_hashes"] if hashes else [])]
    name = f"_inferonomics_discovery_{next(_tables)}"
    return backend.temp_table(ledger.con, name, rows.select(*cols))


def _prompt(r: ir.Table) -> ir.IntegerValue:
    return sum((r[c] for c in INPUT_COLUMNS[1:]), r[INPUT_COLUMNS[0]])


def _per_request(col: ir.IntegerValue, r: ir.Table) -> ir.IntegerValue:
    return col // ibis.greatest(r.requests, 1)


def _tails(col: ir.IntegerValue, prefix: str, percentile: float) -> dict[str, ir.Value]:
    # One exact quantile call per column for every percentile (one sort, linear interpolation):
    # in DuckDB cheaper than approximate quantiles (t-digests) on the same rows.
    return {f"_{prefix}_q": col.quantile([*QUANTILES, percentile]), f"{prefix}_max": col.max()}


def _unpack(row: dict[str, Any]) -> None:
    for prefix in ("output", "reasoning"):
        values = row.pop(f"_{prefix}_q", None)
        if values is None:
            continue
        for q, v in zip(QUANTILES, values, strict=False):
            row[f"{prefix}_p{round(q * 100)}"] = v
        row[f"{prefix}_at_cap_percentile"] = values[-1]


def feature_signals(
    r: ir.Table, *, burst_seconds: int, burst_requests: int, cap_percentile: float, has_hashes: bool
) -> list[dict[str, Any]]:
    """One dict per feature (largest input first) of the signals the module docstring lists."""
    hour = r.ts.hour()
    standard = r.service_tier.isnull() | (r.service_tier == "standard")
    zero = ibis.literal(0, "int64")
    base = r.group_by("feature").aggregate(
        requests=r.requests.sum(),
        standard_requests=ibis.cases((standard, r.requests), else_=zero).sum(),
        tolerant_requests=ibis.cases((r.service_tier.isin(["batch", "flex"]), r.requests), else_=zero).sum(),
        off_hours_requests=ibis.cases(((hour < 6) | (hour >= 22), r.requests), else_=zero).sum(),
        first_ts=r.ts.min(),
        last_ts=r.ts.max(),
        input_total=_prompt(r).sum(),
        cache_read_tokens=r.cache_read_tokens.sum(),
        cache_write_tokens=(
            r.cache_write_5m_tokens + r.cache_write_1h_tokens + r.cache_write_other_tokens
        ).sum(),
        output_tokens=r.output_tokens.sum(),
        reasoning_tokens=r.reasoning_tokens.sum(),
        **_tails(_per_request(r.output_tokens, r), "output", cap_percentile),
        **_tails(_per_request(r.reasoning_tokens, r), "reasoning", cap_percentile),
    )
    sessions = r.filter(r.session.notnull()).group_by(["feature", "session"]).aggregate(n=r.requests.sum())
    multi = sessions.group_by("feature").aggregate(
        session_requests=ibis.cases((sessions.n > 1, sessions.n), else_=zero).sum(),
        sessions=sessions.count(),
    )
    # A burst is one user's: rows without a user say nothing about who sent them.
    known = r.filter(r.user.notnull())
    per_user = (
        known.mutate(_b=known.ts.epoch_seconds() // burst_seconds)
        .group_by(["feature", "user", "_b"])
        .aggregate(n=known.requests.sum())
    )
    bursts = per_user.group_by("feature").aggregate(
        burst_requests=ibis.cases((per_user.n >= burst_requests, per_user.n), else_=zero).sum(),
        users=per_user.user.nunique(),
    )
    sized = r.filter(r.requests == 1).mutate(_p=_prompt(r))
    sizes = sized.group_by(["feature", "_p"]).aggregate(n=sized.count())
    # A size shared by at least 1% of a feature's requests (and 10) is a template, not a coincidence.
    totals = sizes.group_by("feature").aggregate(_t=sizes.n.sum())
    sized_t = sizes.join(totals, sizes.feature.identical_to(totals.feature)).select(
        sizes.feature, sizes.n, totals._t
    )
    common = (sized_t.n >= 10) & (sized_t.n * 100 >= sized_t._t)
    modes = sized_t.group_by("feature").aggregate(
        equal_size_requests=ibis.cases((common, sized_t.n), else_=zero).sum(),
        top_size_requests=sized_t.n.max(),
    )
    tables = {"base": base, "multi": multi, "bursts": bursts, "modes": modes}
    if has_hashes:
        # Block references against distinct blocks (HyperLogLog): the share of prompt blocks some
        # earlier request of the feature already sent.
        refs = r.filter(r.prefix_hashes.notnull()).select("feature", _h=r.prefix_hashes.unnest())
        tables["repeats"] = refs.group_by("feature").aggregate(
            block_refs=refs.count(), distinct_blocks=refs._h.approx_nunique()
        )
    out: dict[Any, dict[str, Any]] = {}
    for expr in tables.values():
        for row in expr.to_pyarrow().to_pylist():
            out.setdefault(row["feature"], {"feature": row["feature"]}).update(row)
    rows = [_fill(v) for v in out.values() if "requests" in v]
    rows.sort(key=lambda v: (-int(v["input_total"] or 0), str(v["feature"])))
    return rows


def _fill(row: dict[str, Any]) -> dict[str, Any]:
    _unpack(row)
    first, last = row.get("first_ts"), row.get("last_ts")
    row["span_hours"] = (last - first).total_seconds() / 3600 if first and last else 0.0
    for key in (
        "session_requests",
        "sessions",
        "burst_requests",
        "users",
        "equal_size_requests",
        "block_refs",
    ):
        row[key] = int(row.get(key) or 0)
    refs, distinct = row["block_refs"], int(row.get("distinct_blocks") or 0)
    row["repeat_block_share"] = max(0.0, 1 - distinct / refs) if refs else 0.0
    return row


def model_signals(r: ir.Table) -> list[dict[str, Any]]:
    """One dict per (feature, provider, model, service tier) of standard or unlabelled-tier traffic:
    requests, input and output sums, p95 output per request, and the latest timestamp (for prices)."""
    standard = r.filter(r.service_tier.isnull() | (r.service_tier == "standard"))
    per = _per_request(standard.output_tokens, standard)
    table = standard.group_by(["feature", "provider", "model"]).aggregate(
        requests=standard.requests.sum(),
        input_total=_prompt(standard).sum(),
        output_tokens=standard.output_tokens.sum(),
        reasoning_tokens=standard.reasoning_tokens.sum(),
        output_p95=per.quantile(0.95),
        output_max=per.max(),
        ts_max=standard.ts.max(),
    )
    return list(table.to_pyarrow().to_pylist())


def cap_cuts(
    r: ir.Table, caps: Mapping[str | None, tuple[int | None, int | None]]
) -> dict[str | None, dict[str, int]]:
    """For each feature's (output cap, reasoning cap) per request: the requests either cap truncates and
    the output tokens the caps cut (reasoning is part of output), as exact integer sums."""
    if not caps:
        return {}
    named = [f for f in caps if f is not None]
    chosen = r.filter(
        r.feature.isin(named).fill_null(False) | (r.feature.isnull() if None in caps else False)
    )
    big = 2**62
    out_cap = ibis.cases(
        *(
            (chosen.feature.identical_to(f), ibis.literal(c if c is not None else big, "int64"))
            for f, (c, _) in caps.items()
        ),
        else_=ibis.literal(big, "int64"),
    )
    reason_cap = ibis.cases(
        *(
            (chosen.feature.identical_to(f), ibis.literal(c if c is not None else big, "int64"))
            for f, (_, c) in caps.items()
        ),
        else_=ibis.literal(big, "int64"),
    )
    n = ibis.greatest(chosen.requests, 1)
    reasoning = ibis.least(chosen.reasoning_tokens, reason_cap * n)
    output = ibis.least(chosen.output_tokens - chosen.reasoning_tokens + reasoning, out_cap * n)
    cut = chosen.output_tokens - output
    table = chosen.group_by("feature").aggregate(
        truncated_requests=ibis.cases((cut > 0, chosen.requests), else_=ibis.literal(0, "int64")).sum(),
        cut_tokens=cut.sum(),
    )
    return {
        row["feature"]: {
            "truncated_requests": int(row["truncated_requests"]),
            "cut_tokens": int(row["cut_tokens"]),
        }
        for row in table.to_pyarrow().to_pylist()
    }


def monthly_spend(priced: pa.Table) -> dict[str, list[Any]]:
    """Each provider's spend per month from a rollup by provider and month: provider → [(period, usd)]."""
    out: dict[str, list[Any]] = {}
    for row in priced.to_pylist():
        out.setdefault(row["provider"], []).append((row["period"], row["cost_usd"]))
    return {p: sorted(v, key=lambda x: str(x[0])) for p, v in out.items()}
