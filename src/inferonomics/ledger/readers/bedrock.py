"""AWS Bedrock model-invocation logs → request rows (see `docs/formats.md`).

With model invocation logging on, Bedrock writes one JSON record per call (InvokeModel, Converse and
their streaming forms) to CloudWatch Logs or S3 (`schemaType: ModelInvocationLog`): `timestamp`,
`requestId`, `region`, the caller's `identity.arn`, `modelId` (a model id, an inference profile id,
or the ARN of either) and the token counts of `input` / `output`. The counts are Anthropic's: the
input count excludes cache reads (`cacheReadInputTokenCount`) and writes
(`cacheWriteInputTokenCount`). The write TTLs come from the logged response body when it is there
(`output.outputBodyJson`, Anthropic's `cache_creation`); otherwise they are of unknown TTL.

The provider is `aws` (who bills): the model id selects Bedrock's price, regional (`us.`, `eu.`,
`apac.`, a bare id) or global (`global.`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inferonomics.errors import RecordError
from inferonomics.ledger.readers.base import Context, Row, Rows, guarded, not_an_object
from inferonomics.ledger.readers.fields import count, dig, first
from inferonomics.ledger.readers.jsondoc import documents, items, line_of

SCHEMA_TYPE = "ModelInvocationLog"


def is_invocation_log(obj: Any) -> bool:
    """Whether a JSON record is a Bedrock model-invocation log record."""
    return isinstance(obj, Mapping) and obj.get("schemaType") == SCHEMA_TYPE


def model_of(model_id: str) -> str:
    """The model or inference-profile id of a `modelId` that may be an ARN
    (`arn:aws:bedrock:us-east-1:1234:inference-profile/us.anthropic.claude-...` →
    `us.anthropic.claude-...`)."""
    return model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id


def _bodies(output: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    body = output.get("outputBodyJson")
    for chunk in body if isinstance(body, list) else [body]:
        if isinstance(chunk, Mapping):
            yield chunk


def _ttl_split(output: Mapping[str, Any]) -> tuple[int, int] | None:
    """(5-minute, 1-hour) cache writes from a logged Anthropic response body, if it says."""
    for chunk in _bodies(output):
        split = first(dig(chunk, "usage", "cache_creation"), dig(chunk, "message", "usage", "cache_creation"))
        if isinstance(split, Mapping):
            return (
                count(split.get("ephemeral_5m_input_tokens"), "cache_creation.ephemeral_5m_input_tokens"),
                count(split.get("ephemeral_1h_input_tokens"), "cache_creation.ephemeral_1h_input_tokens"),
            )
    return None


def log_row(rec: Mapping[str, Any]) -> Row:
    """The ledger row of one invocation log record; raises `RecordError` without a model id or token
    counts, or when a logged TTL split exceeds the cache writes."""
    model_id = rec.get("modelId")
    if not isinstance(model_id, str) or not model_id:
        raise RecordError("no modelId in this invocation log record", "modelId")
    raw_in, raw_out = rec.get("input"), rec.get("output")
    inp: Mapping[str, Any] = raw_in if isinstance(raw_in, Mapping) else {}
    out: Mapping[str, Any] = raw_out if isinstance(raw_out, Mapping) else {}
    if inp.get("inputTokenCount") is None and out.get("outputTokenCount") is None:
        raise RecordError("no token counts (input.inputTokenCount, output.outputTokenCount)", "input")
    written = count(inp.get("cacheWriteInputTokenCount"), "input.cacheWriteInputTokenCount")
    split = _ttl_split(out)
    w5, w1 = split if split is not None else (0, 0)
    if w5 + w1 > written:
        raise RecordError(
            f"the response's cache_creation ({w5 + w1}) exceeds cacheWriteInputTokenCount ({written})",
            "output.outputBodyJson",
        )
    identity = rec.get("identity")
    return {
        "ts": rec.get("timestamp"),
        "request_id": rec.get("requestId"),
        "provider": "aws",
        "model": model_of(model_id),
        "user": identity.get("arn") if isinstance(identity, Mapping) else None,
        "region": rec.get("region"),
        "input_tokens": count(inp.get("inputTokenCount"), "input.inputTokenCount"),
        "cache_read_tokens": count(inp.get("cacheReadInputTokenCount"), "input.cacheReadInputTokenCount"),
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_write_other_tokens": written - w5 - w1,
        "output_tokens": count(out.get("outputTokenCount"), "output.outputTokenCount"),
    }


def read(ctx: Context) -> Rows:
    """Rows of Bedrock invocation logs (JSON lines as CloudWatch or S3 deliver them, or a JSON list):
    one per invocation record; other records are skipped and counted in the notes."""
    for doc_line, doc in documents(ctx.path, ctx.display, ctx.quarantine):
        for line, rec in items(doc, doc_line):
            if not isinstance(rec, Mapping):
                yield line, not_an_object(rec)
                continue
            if not is_invocation_log(rec):
                ctx.notes["records that are not model invocation logs skipped"] += 1
                continue
            yield guarded(line_of(rec, line), log_row, rec)
