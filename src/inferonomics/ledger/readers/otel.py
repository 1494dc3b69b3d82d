"""OpenTelemetry GenAI spans (OTLP JSON) → request rows (see `shared/reference/usage_formats.md` §4
and `docs/formats.md`).

The semantic conventions say `gen_ai.usage.input_tokens` SHOULD include cached tokens, with
`gen_ai.usage.cache_read.input_tokens` and the cache-write count as subsets; reasoning is a subset
of `gen_ai.usage.output_tokens`. The cache-write attribute was renamed from
`gen_ai.usage.cache_creation.input_tokens` to `gen_ai.usage.cache_write.input_tokens`, and tools
emit both during the transition: the two are one count, never added. Older pydantic-ai releases put
the cache counts only under `gen_ai.usage.details.cache_read_tokens` / `cache_write_tokens` (and
reasoning under `gen_ai.usage.details.reasoning_tokens`); newer ones emit both spellings, again one
count. Some instrumentations emit
Anthropic's raw `input_tokens` (which excludes cache tokens); when the input is smaller than the
cache tokens it cannot include them, and it is read as exclusive. Cache-write TTLs are not
recorded, so writes go to `cache_write_other_tokens`.

Modalities: `gen_ai.usage.{audio,image,video}.input_tokens` (cached included, like the input
count), `gen_ai.usage.{audio,image,video}.cache_read.input_tokens` and
`gen_ai.usage.{audio,image,video}.output_tokens` (per-modality names instrumentations emit, not yet
in a released GenAI registry), and OpenInference's `llm.token_count.prompt_details.audio` /
`llm.token_count.completion_details.audio`: uncached audio = audio input − cached audio. A span with
audio or image input and cache reads but no cached split by modality is refused (which cached
tokens were audio cannot be told).

Input: OTLP JSON (`{"resourceSpans": [...]}`, one export per line or one document) or plain span
objects whose `attributes` is a mapping. Spans without token usage (tool calls, retrievals) and
agent / workflow spans (whose usage, when present, sums their child model calls) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded
from inferonomics.ledger.readers.fields import count, first, instant
from inferonomics.ledger.readers.jsondoc import documents, line_of

INPUT = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
OUTPUT = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion")
CACHE_READ = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.cache_read_tokens",
    "gen_ai.usage.details.cache_read_tokens",  # pydantic-ai before the semconv cache attributes
    "llm.token_count.prompt_details.cache_read",
)
CACHE_WRITE = (
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.cache_write_tokens",
    "gen_ai.usage.details.cache_write_tokens",  # pydantic-ai before the semconv cache attributes
    "llm.token_count.prompt_details.cache_write",
)
REASONING = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "gen_ai.usage.details.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
MODALITY_INPUT = {
    "audio": ("gen_ai.usage.audio.input_tokens", "llm.token_count.prompt_details.audio"),
    "image": ("gen_ai.usage.image.input_tokens", "llm.token_count.prompt_details.image"),
    "video": ("gen_ai.usage.video.input_tokens",),
}
MODALITY_CACHE_READ = {m: (f"gen_ai.usage.{m}.cache_read.input_tokens",) for m in MODALITY_INPUT}
MODALITY_OUTPUT = {
    "audio": ("gen_ai.usage.audio.output_tokens", "llm.token_count.completion_details.audio"),
    "image": ("gen_ai.usage.image.output_tokens", "llm.token_count.completion_details.image"),
    "video": ("gen_ai.usage.video.output_tokens",),
}
EXCLUSIVE_NOTE = "spans whose input_tokens exclude cache tokens (fewer than them): read as uncached input"
AGGREGATE_OPERATIONS = frozenset({"invoke_agent", "create_agent", "invoke_workflow", "execute_tool", "plan"})
PROVIDER = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
MODEL = ("gen_ai.response.model", "gen_ai.request.model", "llm.model_name")
TIER = ("openai.response.service_tier", "gen_ai.openai.response.service_tier", "openai.request.service_tier")
USER = ("user.id", "enduser.id", "app.user")
FEATURE = ("app.feature", "gen_ai.agent.name", "gen_ai.prompt.name")
SESSION = ("gen_ai.conversation.id", "session.id")
TENANT = ("tenant.id", "app.tenant")


def _value(v: Any) -> Any:
    """The Python value of an OTLP `AnyValue` (int64 arrive as strings in OTLP JSON)."""
    if not isinstance(v, Mapping):
        return v
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    if "intValue" in v:
        raw = v["intValue"]
        try:
            return int(raw)
        except (TypeError, ValueError):
            return raw
    if "arrayValue" in v:
        array = v["arrayValue"]
        values = array.get("values") if isinstance(array, Mapping) else None
        return [_value(x) for x in values] if isinstance(values, list) else None
    return None


def attributes(raw: Any) -> dict[str, Any]:
    """Attributes as a mapping, from OTLP's list of {key, value} or from a plain mapping."""
    if isinstance(raw, Mapping):
        return dict(raw)
    out: dict[str, Any] = {}
    if isinstance(raw, list):
        for kv in raw:
            if isinstance(kv, Mapping) and "key" in kv:
                out[str(kv["key"])] = _value(kv.get("value"))
    return out


def _pick(attrs: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    return first(*(attrs.get(n) for n in names))


Span = Mapping[str, Any] | RecordError
"""A span, or why a part of an export that should hold spans cannot (quarantined)."""


def spans(doc: Any, line: int) -> Iterator[tuple[int, Span, dict[str, Any]]]:
    """(line, span, resource attributes) for every span of an OTLP export (or list of spans); a
    `RecordError` in the span's place for a part of an export of the wrong type (`resourceSpans`,
    `scopeSpans` or `spans` not a list, a resource not an object)."""
    if isinstance(doc, list):
        for x in doc:
            yield from spans(x, line_of(x, line))
        return
    if not isinstance(doc, Mapping):
        return
    if "resourceSpans" in doc or "resource_spans" in doc:
        key = "resourceSpans" if "resourceSpans" in doc else "resource_spans"
        for rs in _listed(doc.get(key), key):
            if isinstance(rs, RecordError):
                yield line, rs, {}
                continue
            if not isinstance(rs, Mapping):
                continue
            raw = rs.get("resource")
            if raw is not None and not isinstance(raw, Mapping):
                yield line, RecordError(f"resource is not an object ({type(raw).__name__})", "resource"), {}
                continue
            resource = attributes((raw or {}).get("attributes"))
            scope_key = next(
                (k for k in ("scopeSpans", "scope_spans", "instrumentationLibrarySpans") if rs.get(k)),
                "scopeSpans",
            )
            for ss in _listed(rs.get(scope_key), scope_key):
                if isinstance(ss, RecordError):
                    yield line, ss, {}
                    continue
                if not isinstance(ss, Mapping):
                    continue
                for span in _listed(ss.get("spans"), "spans"):
                    if isinstance(span, RecordError):
                        yield line, span, {}
                    elif isinstance(span, Mapping):
                        yield line_of(span, line), span, resource
        return
    if "spans" in doc and isinstance(doc["spans"], list):
        yield from spans(doc["spans"], line)
        return
    yield line, doc, {}


def _listed(value: Any, key: str) -> list[Any]:
    """The items of a list of an export (none when absent, null or empty); `[RecordError]` when it
    is not a list."""
    if not value:
        return []
    if isinstance(value, list):
        return value
    return [RecordError(f"{key} is not a list ({type(value).__name__})", key)]


def has_usage(attrs: Mapping[str, Any]) -> bool:
    """Whether span attributes carry an input or an output token count (under any of the names in `INPUT`
    and `OUTPUT`)."""
    return _pick(attrs, INPUT) is not None or _pick(attrs, OUTPUT) is not None


def span_row(span: Mapping[str, Any], resource: Mapping[str, Any], notes: Any) -> Row:
    """The ledger row of one model-call span (its attributes over its resource's): uncached input = input −
    cache reads − cache writes, or the input whole (counted in `notes`) when it is smaller than the cache
    tokens; writes go to the other-TTL column. The request id is `gen_ai.response.id`, else `trace:span`.
    Raises `RecordError` when reasoning exceeds output."""
    attrs = {**resource, **attributes(span.get("attributes"))}
    total_in = count(_pick(attrs, INPUT), "gen_ai.usage.input_tokens")
    output = count(_pick(attrs, OUTPUT), "gen_ai.usage.output_tokens")
    read = count(_pick(attrs, CACHE_READ), "gen_ai.usage.cache_read.input_tokens")
    # The renamed cache-write attribute and its old name are the same count: take one.
    written = max((count(attrs.get(n), n) for n in CACHE_WRITE), default=0)
    reasoning = count(_pick(attrs, REASONING), "gen_ai.usage.reasoning.output_tokens")
    if total_in < read + written:
        uncached = total_in  # raw Anthropic counts: the input excludes cache tokens
        notes[EXCLUSIVE_NOTE] += 1
    else:
        uncached = total_in - read - written
    if reasoning > output:
        raise RecordError(
            f"reasoning tokens ({reasoning}) exceed output tokens ({output}); reasoning is a part of output",
            "gen_ai.usage.reasoning.output_tokens",
        )
    parts = _modalities(attrs, read)
    start = first(span.get("startTimeUnixNano"), span.get("start_time_unix_nano"))
    ts = instant(start, "startTimeUnixNano", unit="ns") if start is not None else None
    if ts is None:
        ts = instant(first(span.get("start_time"), span.get("startTime")), "start_time")
    trace = first(span.get("traceId"), span.get("trace_id"))
    span_id = first(span.get("spanId"), span.get("span_id"))
    rid = first(attrs.get("gen_ai.response.id"), f"{trace}:{span_id}" if span_id else None)
    return {
        "ts": ts,
        "request_id": rid,
        "provider": _pick(attrs, PROVIDER),
        "model": _pick(attrs, MODEL),
        "tenant": _pick(attrs, TENANT),
        "user": _pick(attrs, USER),
        "feature": _pick(attrs, FEATURE),
        "session": _pick(attrs, SESSION),
        "service_tier": _pick(attrs, TIER),
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_other_tokens": written,  # OTel records no cache TTL
        "output_tokens": output,
        "reasoning_tokens": reasoning,
        **parts,
    }


def _modalities(attrs: Mapping[str, Any], read: int) -> Row:
    """The modality parts of a span's usage (see the module docstring)."""
    parts: Row = {}
    for m, names in MODALITY_INPUT.items():
        total = count(_pick(attrs, names), names[0])
        cached_raw = _pick(attrs, MODALITY_CACHE_READ[m])
        cached = count(cached_raw, MODALITY_CACHE_READ[m][0])
        if total and read and cached_raw is None:
            raise RecordError(
                f"{names[0]} ({total}) and cache reads ({read}) with no {MODALITY_CACHE_READ[m][0]}: "
                f"which cached tokens were {m} cannot be told",
                names[0],
            )
        if cached > total:
            raise RecordError(
                f"{MODALITY_CACHE_READ[m][0]} ({cached}) exceeds {names[0]} ({total})", names[0]
            )
        out = count(_pick(attrs, MODALITY_OUTPUT[m]), MODALITY_OUTPUT[m][0])
        for column, value in (
            (f"input_{m}_tokens", total - cached),
            (f"cache_read_{m}_tokens", cached),
            (f"output_{m}_tokens", out),
        ):
            if value:
                parts[column] = value
    return parts


def read(ctx: Context) -> Rows:
    """Rows of an OTLP JSON file (an export per line or one document, or plain spans): one per model-call
    span; agent, workflow and tool spans and spans without token usage are skipped and counted in the
    notes."""
    for doc_line, doc in documents(ctx.path, ctx.display, ctx.quarantine):
        for line, span, resource in spans(doc, doc_line):
            if isinstance(span, RecordError):
                yield line, span
                continue
            attrs = attributes(span.get("attributes"))
            operation = attrs.get("gen_ai.operation.name")
            if isinstance(operation, str) and operation in AGGREGATE_OPERATIONS:  # (a list is no name)
                ctx.notes["agent, workflow and tool spans skipped (their usage sums their model calls)"] += 1
                continue
            if not has_usage(attrs):
                ctx.notes["spans without GenAI token usage skipped (not model calls)"] += 1
                continue
            yield guarded(line, span_row, span, resource, ctx.notes)
