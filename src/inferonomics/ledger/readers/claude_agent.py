"""Claude Agent SDK `result` messages → one row per model of the run (see `docs/formats.md`).

The last message of an Agent SDK query (and the output of `claude -p --output-format json`) is a
`result` message: `total_cost_usd`, the run's summed `usage`, and `modelUsage`, the run's tokens and
cost per model (the main model and the auxiliary ones). `modelUsage` counts as Anthropic counts:
`inputTokens` excludes the cache reads (`cacheReadInputTokens`) and writes
(`cacheCreationInputTokens`, whose TTL it does not say: the other-TTL column). `costUSD` is the
SDK's own estimate, carried for `reconcile`.

A result message carries no time: a line is the message itself with a `ts` (or `timestamp`) added,
or an envelope `{"ts": ..., "result": {...}}`. It gives no request count per model either: each
model's row counts the run's `num_turns` requests, so long-context tiers are judged on the average
turn (the model's tokens over the turns), not on the whole run as one request. Other stream-json
messages (`system`, `assistant`, `user`) are skipped and counted in the notes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, not_an_object
from inferonomics.ledger.readers.fields import count, first, instant, money
from inferonomics.ledger.readers.jsondoc import documents, items, line_of

TS_KEYS = ("ts", "timestamp", "created_at", "time")
KEYS = frozenset({"type", "modelUsage", "total_cost_usd"})
"""Keys that mark a result message (for detection)."""


def is_agent_result(obj: Any) -> bool:
    """Whether a JSON record is an Agent SDK result message (bare or in an envelope)."""
    if not isinstance(obj, Mapping):
        return False
    wrapped = obj.get("result")
    inner: Mapping[str, Any] = wrapped if isinstance(wrapped, Mapping) else obj
    return inner.get("type") == "result" and isinstance(inner.get("modelUsage"), Mapping)


def is_agent_message(obj: Any) -> bool:
    """Whether a JSON record is another message of an Agent SDK stream (`system`, `assistant`, `user`
    with a snake_case `session_id`; Claude Code transcripts spell it `sessionId`)."""
    return (
        isinstance(obj, Mapping)
        and obj.get("type") in ("system", "assistant", "user")
        and "session_id" in obj
        and "sessionId" not in obj
    )


def provider_of(model: str) -> str:
    """Who served a model id: Bedrock ids (`…anthropic.claude…`) `aws`, Vertex ids (`claude-…@date`)
    `google`, any other `anthropic`."""
    name = model.strip().lower()
    if "anthropic.claude" in name:
        return "aws"
    if name.startswith("claude") and "@" in name:
        return "google"
    return "anthropic"


def result_rows(obj: Mapping[str, Any]) -> list[Row]:
    """The rows of one result message (one per model of `modelUsage`); raises `RecordError` without a
    time or with a malformed model entry."""
    msg: Mapping[str, Any] = obj["result"] if isinstance(obj.get("result"), Mapping) else obj
    ts = first(*(obj.get(k) for k in TS_KEYS), *(msg.get(k) for k in TS_KEYS))
    if ts is None:
        raise RecordError(
            "a result message carries no time: add one, or wrap it as "
            '{"ts": "2026-01-31T12:00:00Z", "result": {...}}',
            "ts",
        )
    usage = msg["modelUsage"]
    turns = max(count(msg.get("num_turns"), "num_turns"), 1)
    run_id = first(msg.get("uuid"), msg.get("session_id"))
    rows: list[Row] = []
    for model, mu in usage.items():
        if not isinstance(mu, Mapping):
            raise RecordError(f"modelUsage.{model} is not an object", f"modelUsage.{model}")
        cost = money(mu.get("costUSD"), f"modelUsage.{model}.costUSD")
        rows.append(
            {
                "ts": instant(ts, "ts"),
                "request_id": f"{run_id}:{model}" if run_id else None,
                "provider": provider_of(str(model)),
                "model": model,
                "session": msg.get("session_id"),
                "requests": turns,
                "input_tokens": count(mu.get("inputTokens"), f"modelUsage.{model}.inputTokens"),
                "cache_read_tokens": count(
                    mu.get("cacheReadInputTokens"), f"modelUsage.{model}.cacheReadInputTokens"
                ),
                "cache_write_other_tokens": count(
                    mu.get("cacheCreationInputTokens"), f"modelUsage.{model}.cacheCreationInputTokens"
                ),
                "output_tokens": count(mu.get("outputTokens"), f"modelUsage.{model}.outputTokens"),
                "web_search_requests": count(
                    mu.get("webSearchRequests"), f"modelUsage.{model}.webSearchRequests"
                ),
                "reported_cost_usd": cost,
                "cost_source": None if cost is None else "tool_estimate",
            }
        )
    return rows


def _rows(line: int, obj: Mapping[str, Any]) -> Iterator[tuple[int, Row | RecordError]]:
    try:
        for row in result_rows(obj):
            yield line, row
    except RecordError as e:
        yield line, e


def read(ctx: Context) -> Rows:
    """Rows of a file of Agent SDK messages (JSON lines, a JSON document or a list): one per model of
    each result message; other messages are skipped and counted in the notes."""
    for doc_line, doc in documents(ctx.path, ctx.display, ctx.quarantine):
        for line, obj in items(doc, doc_line):
            if not isinstance(obj, Mapping):
                yield line, not_an_object(obj)
                continue
            if not is_agent_result(obj):
                ctx.notes["Agent SDK messages that are not results skipped (system, assistant, user)"] += 1
                continue
            yield from _rows(line_of(obj, line), obj)
