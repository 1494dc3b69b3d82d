"""Helicone request logs as JSON lines in bulk (see `bulk.py`; ClickHouse `request_response_rmt`
rows, or REST export records one a line), counted exactly as `helicone.request_row` counts: cache
tokens taken out of `prompt_tokens` when `total_tokens` shows it held them, the TTL split and the
reasoning count from the provider's usage in `response_body`, the provider's name mapped, and
Helicone's cost estimate (ClickHouse's integer nano-dollars, or the REST export's `costUSD`) as exact
decimal text. Left to the Python reader: failed requests and Helicone's response-cache hits (the
Python reader says why they are not billed), statuses, counts and costs written as text, times that
are not text of the plain ISO 8601 form, properties that are not objects, provider names other than
plain ASCII."""

from __future__ import annotations

from inferonomics.ledger.readers import helicone
from inferonomics.ledger.readers.bulk import BulkFormat, sql_text
from inferonomics.ledger.readers.bulk_sql import (
    absent,
    amount,
    blank,
    count,
    first_text,
    first_value,
    in_range,
    is_amount,
    is_int,
    is_object,
    is_string,
    is_text,
    text,
    time,
)

_PROPERTIES = ("Tenant", "Team", "Feature", "Helicone-Session-Id", "Session")
_USAGE = "$.response_body.usage"
FIELDS = {
    "request_id": "$.request_id",
    "rca": "$.request_created_at",
    "ca": "$.created_at",
    "response_status": "$.response_status",
    "status": "$.status",
    "cache_ref": "$.cache_reference_id",
    "prompt": "$.prompt_tokens",
    "read": "$.prompt_cache_read_tokens",
    "written": "$.prompt_cache_write_tokens",
    "completion": "$.completion_tokens",
    "total": "$.total_tokens",
    "split": f"{_USAGE}.cache_creation",
    "w5": f"{_USAGE}.cache_creation.ephemeral_5m_input_tokens",
    "w1": f"{_USAGE}.cache_creation.ephemeral_1h_input_tokens",
    "think": f"{_USAGE}.output_tokens_details.thinking_tokens",
    "c_reason": f"{_USAGE}.completion_tokens_details.reasoning_tokens",
    "o_reason": f"{_USAGE}.output_tokens_details.reasoning_tokens",
    "u_tier": f"{_USAGE}.service_tier",
    "b_tier": "$.response_body.service_tier",
    "cost": "$.cost",
    "cost_usd1": "$.costUSD",
    "cost_usd2": "$.cost_usd",
    "provider": "$.provider",
    "model": "$.model",
    "response_model": "$.response_model",
    "request_model": "$.request_model",
    "props": "$.properties",
    "rprops": "$.request_properties",
    **{f"p{i}": f"$.properties.{k}" for i, k in enumerate(_PROPERTIES)},
    **{f"r{i}": f"$.request_properties.{k}" for i, k in enumerate(_PROPERTIES)},
    "request_user_id": "$.request_user_id",
    "user_id": "$.user_id",
}
_NO_CACHE = ", ".join(sql_text(f'"{x}"') for x in helicone.NO_CACHE)
_PROVIDERS = " ".join(
    f"WHEN {sql_text(name)} THEN {sql_text(ours)}" for name, ours in sorted(helicone.PROVIDERS.items())
)


def _property(i: int) -> str:
    """A property of the first properties object (`properties`, else `request_properties`)."""
    return f"CASE WHEN NOT {absent('props')} THEN p{i} ELSE r{i} END"


DERIVED = (
    {
        "d_status": first_value("response_status", "status"),
        "d_ts": first_value("rca", "ca"),
        "d_tier": first_value("u_tier", "b_tier"),
        "d_usd": first_value("cost_usd1", "cost_usd2"),
        "d_reasoning": first_value("think", "c_reason", "o_reason"),
        "has_split": f"coalesce({is_object('split')}, false)",
        "n_prompt": count("prompt"),
        "n_read": count("read"),
        "n_written": count("written"),
        "n_completion": count("completion"),
        **{f"d_p{i}": _property(i) for i in range(len(_PROPERTIES))},
    },
    {
        "t": time("d_ts"),
        "n_w5": f"CASE WHEN has_split THEN least({count('w5')}, n_written) ELSE 0 END",
        # (the prompt held the cache tokens when the total says so: then they are taken out)
        "n_uncached": f"CASE WHEN NOT {absent('total')} AND (n_read > 0 OR n_written > 0) "
        f"AND {count('total')} = n_prompt + n_completion AND n_prompt >= n_read + n_written "
        "THEN n_prompt - n_read - n_written ELSE n_prompt END",
    },
    {
        "n_w1": f"CASE WHEN has_split THEN least({count('w1')}, greatest(n_written - n_w5, 0)) ELSE 0 END",
        # (a ClickHouse cost's digits, at least 10: the dollars, then 9 digits of nano-dollars)
        "d_digits": "CASE WHEN length(cost) < 10 THEN lpad(cost, 10, '0') ELSE cost END",
    },
    {
        "d_dollars": "coalesce(nullif(ltrim(left(d_digits, length(d_digits) - 9), '0'), ''), '0')",
        "d_nanos": "rtrim(right(d_digits, 9), '0')",
    },
)
"""Values used more than once, computed once a line (layers of `BulkFormat.derived`)."""


def _count_ok(x: str) -> str:
    return f"({blank(x)} OR {is_int(x)})"


SIMPLE = " AND ".join(
    [
        # (a status Python reads as an integer, 2xx; others, text or failures, go to Python)
        f"({blank('d_status')} OR ({is_int('d_status')} AND "
        "TRY_CAST(d_status AS BIGINT) BETWEEN 200 AND 299))",
        f"({absent('cache_ref')} OR cache_ref IN ({_NO_CACHE}))",
        *(_count_ok(x) for x in ("prompt", "read", "written", "completion", "d_reasoning")),
        f"({absent('total')} OR {is_int('total')})",
        f"({absent('split')} OR {is_object('split')})",
        f"(NOT has_split OR ({_count_ok('w5')} AND {_count_ok('w1')}))",
        # (a time as text of the plain ISO form, read as validation reads it; other text goes to Python,
        # and so does a number, which the Python reader passes on as it is, for validation to refuse)
        f"{is_string('d_ts')} AND t IS NOT NULL AND {in_range('t')}",
        f"({absent('cost')} OR {is_int('cost')})",
        f"(NOT {absent('cost')} OR {is_amount('d_usd')})",
        f"({absent('props')} OR {is_object('props')})",
        f"({absent('rprops')} OR {is_object('rprops')})",
        # (a name Python's upper() and lower() change as DuckDB's do)
        f"({absent('provider')} OR regexp_full_match(provider, '\"[A-Za-z0-9 ._/-]*\"'))",
        *(
            is_text(x)
            for x in (
                "request_id",
                "d_tier",
                "model",
                "response_model",
                "request_model",
                "request_user_id",
                "user_id",
                *(f"d_p{i}" for i in range(len(_PROPERTIES))),
            )
        ),
    ]
)

COLUMNS = {
    "ts": "t",
    "request_id": text("request_id"),
    "provider": f"CASE upper(coalesce({text('provider')}, '')) {_PROVIDERS} "
    f"ELSE nullif(lower(coalesce({text('provider')}, '')), '') END",
    "model": first_text("model", "response_model", "request_model"),
    "tenant": first_text("d_p0", "d_p1"),
    "user": first_text("request_user_id", "user_id"),
    "feature": text("d_p2"),
    "session": first_text("d_p3", "d_p4"),
    "service_tier": text("d_tier"),
    "input_tokens": "n_uncached",
    "cache_read_tokens": "n_read",
    "cache_write_5m_tokens": "n_w5",
    "cache_write_1h_tokens": "n_w1",
    "cache_write_other_tokens": "n_written - n_w5 - n_w1",
    "output_tokens": "n_completion",
    "reasoning_tokens": f"least({count('d_reasoning')}, n_completion)",
    # `money(cost, divide_by=1e9)`: the integer's decimal text moved 9 places, normalized
    "reported_cost_usd": f"CASE WHEN {absent('cost')} THEN {amount('d_usd')} "
    "WHEN d_nanos = '' THEN d_dollars ELSE d_dollars || '.' || d_nanos END",
    "cost_source": f"CASE WHEN {absent('cost')} AND {absent('d_usd')} THEN NULL ELSE 'tool_estimate' END",
}

FORMAT = BulkFormat(
    fields=FIELDS,
    words=(),
    simple=SIMPLE,
    columns=COLUMNS,
    key=text("request_id"),
    derived=DERIVED,
    types={"ts": "TIMESTAMP"},
)
