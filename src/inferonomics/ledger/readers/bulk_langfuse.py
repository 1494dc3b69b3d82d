"""Langfuse observations as JSON lines in bulk (see `bulk.py`; an export or a blob-storage export, one
observation a line, camelCase or snake_case keys), read exactly as `langfuse.observation_row` reads
them: `usageDetails` split into the ledger's buckets by key name, the cache tokens taken out of
`input` once when the total shows it held them (langfuse#10592) and both notes counted, the provider
from the metadata or guessed from the model's name by the reader's own patterns, Langfuse's cost
estimate as exact decimal text; spans and events are skipped in SQL and counted in the note.

`usageDetails` keys are free-form: the SQL reads only objects whose keys all lie in a known set
(`KNOWN_KEYS`: the reader's cache and reasoning keys, `total`, and the usual input and output keys),
each key at most once and at most one of each group the reader picks from. Left to the Python
reader: any other key, counts and amounts written as text or in exponent form, usage in the legacy
`usage` / `promptTokens` shapes, a model that is not text, a provider named neither in the metadata
(as text) nor guessable from a model name of plain ASCII, metadata holding `gen_ai` keys or a key
twice, times other than plain ISO 8601 text, a `data` page on one line, observation types other than
plain ASCII letters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inferonomics.ledger.readers import langfuse
from inferonomics.ledger.readers.bulk import BulkFormat, sql_text
from inferonomics.ledger.readers.bulk_sql import (
    MAX_DIGITS,
    absent,
    amount,
    count,
    first_text,
    first_value,
    in_range,
    is_amount,
    is_object,
    is_string,
    is_text,
    text,
    time,
)

INPUT_KEYS = ("input", "input_tokens", "prompt_tokens", "prompt", "input_audio_tokens", "input_image_tokens")
"""Keys the reader counts as uncached input (outside its cache groups)."""
OUTPUT_KEYS = (
    "output",
    "output_tokens",
    "completion_tokens",
    "completion",
    "output_audio_tokens",
    "output_image_tokens",
    "output_accepted_prediction_tokens",
    "output_rejected_prediction_tokens",
)
"""Keys the reader counts as output (outside its reasoning group)."""
GROUPS = {
    "read": langfuse.READ_KEYS,
    "w5": langfuse.WRITE_5M,
    "w1": langfuse.WRITE_1H,
    "wany": langfuse.WRITE_ANY,
    "reason": langfuse.REASONING,
}
"""The reader's groups of keys, of which it counts the first that is not null (`_pick`)."""
KNOWN_KEYS = (*INPUT_KEYS, *OUTPUT_KEYS, *(k for g in GROUPS.values() for k in g), "total")
"""The `usageDetails` keys the SQL reads; an object with any other key is read by Python."""
_VALUE = f'"[a-z0-9_]+":([0-9]{{1,{MAX_DIGITS}}}|null)'
_COUNTS = rf"\{{{_VALUE}(,{_VALUE})*\}}"
"""A non-empty `usageDetails` object of counts (integers of at most `bulk_sql.MAX_DIGITS` digits) or
nulls, with keys of plain lower-case words, as DuckDB writes it back."""
_META = ("provider", "ls_provider", "tenant", "team", "feature", "service_tier", "serviceTier")
FIELDS = {
    "type": "$.type",
    "data": "$.data",
    "id": "$.id",
    "st1": "$.startTime",
    "st2": "$.start_time",
    "ud1": "$.usageDetails",
    "ud2": "$.usage_details",
    "pm1": "$.providedModelName",
    "pm2": "$.provided_model_name",
    "pm3": "$.model",
    "meta": "$.metadata",
    "cd1": "$.costDetails.total",
    "cd2": "$.cost_details.total",
    "tc1": "$.totalCost",
    "tc2": "$.total_cost",
    "tc3": "$.calculatedTotalCost",
    "tc4": "$.calculated_total_cost",
    "uid1": "$.userId",
    "uid2": "$.user_id",
    "sid1": "$.sessionId",
    "sid2": "$.session_id",
    "tn1": "$.traceName",
    "tn2": "$.trace_name",
    "tags": "$.tags",
}


def _one_of(x: str, values: tuple[str, ...]) -> str:
    """`x` is one of `values`."""
    # (Not `x IN (...)`, nor `list_contains` of a constant list: DuckDB plans a test of more than a
    # few constants as a join, and a join does not keep the lines' order, from which the whole
    # reading numbers them.)
    return f"CASE {x} " + " ".join(f"WHEN {sql_text(v)} THEN true" for v in values) + " ELSE false END"


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(sql_text(x) for x in items) + "]"


def _paths(keys: tuple[str, ...]) -> str:
    return _list(tuple(f'$."{k}"' for k in keys))


def _u(key: str) -> str:
    return f"u{KNOWN_KEYS.index(key)}"


def _sum(keys: tuple[str, ...]) -> str:
    return "(" + " + ".join(count(_u(k)) for k in keys) + ")"


def _found(keys: tuple[str, ...]) -> str:
    """How many of `keys` are there (null or not)."""
    return "(" + " + ".join(f"CASE WHEN {_u(k)} IS NULL THEN 0 ELSE 1 END" for k in keys) + ")"


def _once(x: str, keys: tuple[str, ...]) -> str:
    """None of `keys` is written twice in the JSON text `x` (as DuckDB writes it back: `"key":`)."""
    return " AND ".join(f"strlen({x}) - strlen(replace({x}, '\"{k}\":', '')) <= {len(k) + 3}" for k in keys)


def _present(keys: tuple[str, ...]) -> str:
    """How many of `keys` are neither absent nor null."""
    return "(" + " + ".join(f"CASE WHEN {absent(_u(k))} THEN 0 ELSE 1 END" for k in keys) + ")"


_MODEL_PREFIXES = ("anthropic", "openai", "google", "vertex_ai", "bedrock", "azure", "mistral")
_GUESS = " ".join(
    f"WHEN regexp_matches(d_name, {sql_text(pattern.pattern)}) THEN {sql_text(provider)}"
    for pattern, provider in langfuse.PROVIDERS
)
_FALSY = ("null", '""', "false", "0", "0.0", "[]", "{}")
"""Values whose truth Python denies, as JSON text."""
_PREFIX = "split_part(d_name, '/', 1)"
_PREFIXED = "^(" + "|".join(_MODEL_PREFIXES) + ")/"
_KIND = (
    # (`str(type or "GENERATION").upper()`: a falsy type is a generation; other text of plain ASCII
    # letters, upper-cased alike by both; anything else NULL, for Python)
    "CASE WHEN type IS NULL OR " + _one_of("type", _FALSY) + " THEN 'GENERATION' "
    "WHEN regexp_full_match(type, '\"[A-Za-z_]+\"') THEN upper(substr(type, 2, length(type) - 2)) END"
)
_TAG = (
    # (the first tag that is text starting "feature:": a tag of another type is never written so)
    "CASE WHEN starts_with(tags, '[') AND contains(tags, '\"feature:') THEN "
    "list_filter(json_extract_string(tags, '$[*]'), lambda x: starts_with(x, 'feature:'))[1][9:] END"
)
DERIVED = (
    {
        "d_kind": _KIND,
        "d_ud": first_value("ud1", "ud2"),
        "d_model": first_value("pm1", "pm2", "pm3"),
        "d_ts": first_value("st1", "st2"),
        "d_cost": first_value("cd1", "cd2", "tc1", "tc2", "tc3", "tc4"),
        "d_meta": f"CASE WHEN {is_object('meta')} THEN meta END",
        "d_tag": _TAG,
    },
    {
        "d_values": f"CASE WHEN starts_with(d_ud, '{{') THEN "
        f"CAST(json_extract(d_ud, {_paths(KNOWN_KEYS)}) AS VARCHAR[]) END",
        "d_mvalues": f"CASE WHEN d_meta IS NOT NULL THEN "
        f"CAST(json_extract(d_meta, {_paths(_META)}) AS VARCHAR[]) END",
        "t": time("d_ts"),
        "d_mtext": first_text("pm1", "pm2", "pm3"),
    },
    {
        **{_u(k): f"d_values[{i + 1}]" for i, k in enumerate(KNOWN_KEYS)},
        **{f"m_{k}": f"d_mvalues[{i + 1}]" for i, k in enumerate(_META)},
        # (the model's name as the reader guesses from it: only plain ASCII, where `strip` and `lower`
        # do as DuckDB's do)
        "d_name": "CASE WHEN regexp_full_match(d_mtext, '[!-~]+') THEN lower(d_mtext) END",
    },
    {
        **{f"n_{g}": _sum(keys) for g, keys in GROUPS.items()},
        "n_in": _sum(INPUT_KEYS),
        "n_out": _sum(OUTPUT_KEYS),
        "n_total": count(_u("total")),
        "d_found": first_text("m_provider", "m_ls_provider"),
        # (`prefix in (...)` of the name's part before a first "/": the name starts "prefix/". Not a
        # CASE of the prefixes after `contains(d_name, '/') AND`: over a piece whose names are all
        # NULL, DuckDB 2.0's optimizer fails to bind that, "BindBuiltinScalarFunction did not return
        # a BoundFunctionExpression".)
        "d_guess": f"CASE WHEN regexp_matches(d_name, {sql_text(_PREFIXED)}) THEN {_PREFIX} {_GUESS} END",
    },
    {
        "n_other": "greatest(n_wany - n_w5 - n_w1, 0)",
        "n_output": "n_out + n_reason",
    },
    {"n_cache": "n_read + n_w5 + n_w1 + n_other"},
    {
        # (a total of input + output alone: the input held the cache tokens, taken out once)
        "inclusive": f"NOT {absent(_u('total'))} AND n_cache > 0 AND n_in >= n_cache "
        "AND n_total = n_in + n_output",
    },
)
"""Values used more than once, computed once a line (layers of `BulkFormat.derived`)."""

SIMPLE = " AND ".join(
    [
        f"{absent('data')}",
        "d_kind IN ('GENERATION', 'EMBEDDING')",
        # usageDetails: a non-empty object of known keys, each once, at most one of each group, counts
        # (the text as DuckDB writes it back, no spaces: an object of counts or nulls, so its keys are
        # as many as its colons; as many keys the SQL knows are there, each once, and no other)
        f"regexp_full_match(d_ud, {sql_text(_COUNTS)})",
        f"strlen(d_ud) - strlen(replace(d_ud, ':', '')) = {_found(KNOWN_KEYS)}",
        *(f"{_present(keys)} <= 1" for keys in GROUPS.values()),
        # the model, text; the provider named in the metadata as text, else guessed from the name
        *(is_text(x) for x in ("pm1", "pm2", "pm3")),
        "d_mtext IS NOT NULL",
        f"(d_meta IS NULL OR (NOT contains(d_meta, 'gen_ai') AND {_once('d_meta', _META)}))",
        *(is_text(f"m_{k}") for k in _META),
        "(d_found IS NOT NULL OR d_guess IS NOT NULL)",
        # a time as text of the plain ISO form (a number, or other text, is passed on by Python)
        f"{is_string('d_ts')} AND t IS NOT NULL AND {in_range('t')}",
        is_amount("d_cost"),
        *(is_text(x) for x in ("id", "uid1", "uid2", "sid1", "sid2", "tn1", "tn2")),
    ]
)
SKIP = f"{absent('data')} AND d_kind NOT IN ('GENERATION', 'EMBEDDING')"
"""An observation that is not a generation (a span, an event): no row, a note."""

COLUMNS = {
    "ts": "t",
    "request_id": text("id"),
    "provider": "coalesce(d_found, d_guess)",
    "model": "d_mtext",
    "tenant": first_text("m_tenant", "m_team"),
    "user": first_text("uid1", "uid2"),
    "feature": f"coalesce(nullif(d_tag, ''), {first_text('m_feature', 'tn1', 'tn2')})",
    "session": first_text("sid1", "sid2"),
    "service_tier": first_text("m_service_tier", "m_serviceTier"),
    "input_tokens": "CASE WHEN inclusive THEN n_in - n_cache ELSE n_in END",
    "cache_read_tokens": "n_read",
    "cache_write_5m_tokens": "n_w5",
    "cache_write_1h_tokens": "n_w1",
    "cache_write_other_tokens": "n_other",
    "output_tokens": "n_output",
    "reasoning_tokens": "n_reason",
    "reported_cost_usd": amount("d_cost"),
    "cost_source": "CASE WHEN d_cost IS NULL THEN NULL ELSE 'tool_estimate' END",
}

FORMAT = BulkFormat(
    fields=FIELDS,
    words=(),
    simple=SIMPLE,
    columns=COLUMNS,
    key=text("id"),
    notes={
        langfuse.INCLUSIVE_NOTE: "simple AND inclusive",
        langfuse.MISMATCH_NOTE: f"simple AND NOT inclusive AND NOT {absent(_u('total'))} "
        "AND n_total <> n_in + n_cache + n_output",
        langfuse.SKIPPED_NOTE: "skipped",
    },
    derived=DERIVED,
    skip=SKIP,
    types={"ts": "TIMESTAMP"},
)


def spec_for(first: Mapping[str, Any]) -> BulkFormat | None:
    """The bulk reading of a file of observations by its first record (None for a line holding a
    page of them, `{"data": [...]}`, read by Python)."""
    return None if isinstance(first.get("data"), list) else FORMAT
