"""Langfuse observations (generations) → request rows, from the public API (`{"data": [...],
"meta": {...}}`, v2 or legacy), an export (JSON, JSON lines) or a blob-storage export (snake_case
keys). See `shared/reference/usage_formats.md` §5.2 and `docs/formats.md`.

`usageDetails` keys are free-form but meant to be mutually exclusive buckets (the SDK subtracts
detail buckets from `input`/`output`). Keys are mapped by name: cache reads (`input_cached_tokens`,
`input_cache_read`, `cache_read_input_tokens`), cache writes by TTL (`..._5m...`, `..._1h...`) or
of unknown TTL (`cache_creation_input_tokens`, `input_cache_creation`), reasoning
(`output_reasoning_tokens`, `output_reasoning`); every other key containing "input" is uncached
input and every other key containing "output" is output. When a `total` is given and the buckets
overshoot it by exactly the cache tokens, the integration broke the contract (its `input` includes
the cache, langfuse#10592): the cache tokens are taken out of `input`, once, before the row is
priced (so a double count can never push a request over a long-context threshold), and the run's
notes count such records. A `total` that matches neither reading is noted too (buckets as given).

Langfuse does not record the provider; it comes from the observation's metadata (`provider`,
`ls_provider`, `gen_ai.system`) or, failing that, from the model's name. `costDetails.total` (or
`totalCost`) is Langfuse's own estimate, carried for `reconcile`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import count, dig, first, money
from inferonomics.ledger.readers.jsondoc import documents, items, line_of

READ_KEYS = ("input_cached_tokens", "input_cache_read", "cache_read_input_tokens", "cached_tokens")
WRITE_5M = (
    "cache_creation_ephemeral_5m_input_tokens",
    "input_cache_creation_5m",
    "ephemeral_5m_input_tokens",
)
WRITE_1H = (
    "cache_creation_ephemeral_1h_input_tokens",
    "input_cache_creation_1h",
    "ephemeral_1h_input_tokens",
)
WRITE_ANY = ("cache_creation_input_tokens", "input_cache_creation", "cache_write_input_tokens")
REASONING = ("output_reasoning_tokens", "output_reasoning", "reasoning_tokens")
MODEL_TYPES = frozenset({"GENERATION", "EMBEDDING"})
INCLUSIVE_NOTE = (
    "generations whose input already held the cache tokens (total = input + output, langfuse#10592): "
    "cache tokens taken out of input once"
)
MISMATCH_NOTE = "generations whose usage total matches neither input + cache + output nor input + output"
PROVIDERS = (
    (re.compile(r"^(claude|anthropic)"), "anthropic"),
    (re.compile(r"^(gpt-|o[1-9](-|$)|chatgpt|text-embedding|davinci|babbage)"), "openai"),
    (re.compile(r"^(gemini|gemma|models/gemini)"), "google"),
    (re.compile(r"^(mistral|mixtral|codestral|magistral|ministral|pixtral)"), "mistral"),
    (re.compile(r"^command"), "cohere"),
    (re.compile(r"^grok"), "x-ai"),
    (re.compile(r"^deepseek"), "deepseek"),
)


def _get(obj: Mapping[str, Any], *names: str) -> Any:
    return first(*(obj.get(n) for n in names))


def provider_of(model: str, metadata: Any) -> str | None:
    """The provider from an observation's metadata, else from its model name."""
    if isinstance(metadata, Mapping):
        found = first(
            metadata.get("provider"),
            metadata.get("ls_provider"),
            metadata.get("gen_ai.system"),
            metadata.get("gen_ai.provider.name"),
            dig(metadata, "attributes", "gen_ai.system"),
        )
        if found:
            return str(found)
    name = model.strip().lower()
    prefix, sep, _ = name.partition("/")
    if sep and prefix in ("anthropic", "openai", "google", "vertex_ai", "bedrock", "azure", "mistral"):
        return prefix
    for pattern, provider in PROVIDERS:
        if pattern.search(name):
            return provider
    return None


def _pick(usage: Mapping[str, Any], names: tuple[str, ...]) -> tuple[int, set[str]]:
    for n in names:
        if usage.get(n) is not None:
            return count(usage[n], f"usageDetails.{n}"), {n}
    return 0, set()


def buckets(usage: Mapping[str, Any], notes: Any = None) -> dict[str, int]:
    """Non-overlapping ledger buckets from a `usageDetails` mapping (see the module docstring); a
    corrected double count or an inconsistent total is counted in `notes` when given."""
    read, k1 = _pick(usage, READ_KEYS)
    w5, k2 = _pick(usage, WRITE_5M)
    w1, k3 = _pick(usage, WRITE_1H)
    w_any, k4 = _pick(usage, WRITE_ANY)
    reasoning, k5 = _pick(usage, REASONING)
    used = k1 | k2 | k3 | k4 | k5 | {"total"}
    other = max(w_any - w5 - w1, 0)
    uncached = output = 0
    for key, value in usage.items():
        if key in used:
            continue
        lower = key.lower()
        if "input" in lower or lower in ("prompt_tokens", "prompt"):
            uncached += count(value, f"usageDetails.{key}")
        elif "output" in lower or lower in ("completion_tokens", "completion"):
            output += count(value, f"usageDetails.{key}")
    output += reasoning  # exclusive buckets: reasoning is reported apart from the rest of output
    cache = read + w5 + w1 + other
    total = usage.get("total")
    # Exclusive buckets add up to `total`; a total of input + output alone means `input` already
    # held the cache tokens (the integration broke the contract): take them out once.
    stated = None if total is None else count(total, "usageDetails.total")
    if stated is not None and cache and uncached >= cache and stated == uncached + output:
        uncached -= cache
        if notes is not None:
            notes[INCLUSIVE_NOTE] += 1
    elif stated is not None and stated != uncached + cache + output and notes is not None:
        notes[MISMATCH_NOTE] += 1
    return {
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_write_other_tokens": other,
        "output_tokens": output,
        "reasoning_tokens": reasoning,
    }


def _usage(obs: Mapping[str, Any]) -> Mapping[str, Any]:
    details = _get(obs, "usageDetails", "usage_details")
    if isinstance(details, Mapping) and details:
        return details
    legacy = obs.get("usage")
    if isinstance(legacy, Mapping) and (legacy.get("input") is not None or legacy.get("output") is not None):
        return {k: legacy[k] for k in ("input", "output", "total") if legacy.get(k) is not None}
    prompt = _get(obs, "promptTokens", "prompt_tokens")
    completion = _get(obs, "completionTokens", "completion_tokens")
    if prompt is not None or completion is not None:
        return {"input": prompt or 0, "output": completion or 0}
    raise RecordError("no usage (usageDetails) in this generation", "usageDetails")


def _tag_feature(tags: Any) -> Any:
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str) and tag.startswith("feature:"):
                return tag.removeprefix("feature:")
    return None


def observation_row(obs: Mapping[str, Any], notes: Any = None) -> Row:
    """The ledger row of one Langfuse generation: usage split into the ledger's buckets (see `buckets`),
    the provider from metadata or the model name, the feature from a `feature:` tag, metadata or the trace
    name, and Langfuse's cost estimate as `reported_cost_usd`. Raises `RecordError` without usage, a model
    name or a provider."""
    usage = _usage(obs)
    model = _get(obs, "providedModelName", "provided_model_name", "model")
    if not model:
        raise RecordError("no model name (providedModelName) in this generation", "providedModelName")
    metadata = obs.get("metadata")
    provider = provider_of(str(model), metadata)
    if provider is None:
        raise RecordError(
            f'no provider for model "{str(model)[:60]}": Langfuse does not record it; '
            "add metadata.provider to the generation",
            "provider",
        )
    cost = _get(obs, "totalCost", "total_cost", "calculatedTotalCost", "calculated_total_cost")
    cost = first(dig(obs, "costDetails", "total"), dig(obs, "cost_details", "total"), cost)
    amount = money(cost, "costDetails.total")
    meta = metadata if isinstance(metadata, Mapping) else {}
    return {
        "ts": _get(obs, "startTime", "start_time"),
        "request_id": obs.get("id"),
        "provider": provider,
        "model": model,
        "tenant": first(meta.get("tenant"), meta.get("team")),
        "user": _get(obs, "userId", "user_id"),
        "feature": first(
            _tag_feature(obs.get("tags")), meta.get("feature"), _get(obs, "traceName", "trace_name")
        ),
        "session": _get(obs, "sessionId", "session_id"),
        "service_tier": first(meta.get("service_tier"), meta.get("serviceTier")),
        **buckets(usage, notes),
        "reported_cost_usd": amount,
        "cost_source": None if amount is None else "tool_estimate",
    }


SKIPPED_NOTE = "observations that are not generations skipped (spans, events)"


def read(ctx: Context) -> Rows:
    """Rows of a Langfuse export or API pages: one per generation or embedding observation; other
    observations (spans, events) are skipped and counted in the notes."""
    yield from document_rows(documents(ctx.path, ctx.display, ctx.quarantine), ctx.notes)


def document_rows(docs: Iterable[tuple[int, Any]], notes: Any) -> Rows:
    """Rows of JSON values (line, value): an observation, a list or `data` pages of them (the bulk
    reader gives the lines its SQL leaves); skipped observations are counted in `notes`."""
    for doc_line, doc in docs:
        for line, obs in items(doc, doc_line):
            if not isinstance(obs, Mapping):
                yield line, not_an_object(obs)
                continue
            kind = str(obs.get("type") or "GENERATION").upper()
            if kind not in MODEL_TYPES:
                notes[SKIPPED_NOTE] += 1
                continue
            yield guarded(line_of(obs, line), observation_row, obs, notes)
