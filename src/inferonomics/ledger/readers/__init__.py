"""Readers: each input file becomes a raw Ibis table (canonical column names, `_file`, `_line`).

Formats (detected from content, or named with `input_format`); how each maps to the ledger's
non-overlapping buckets is in `docs/formats.md`:

| name | what |
|---|---|
| `ledger-parquet` | the canonical ledger in Parquet (or any Parquet, with a column map) |
| `ledger-csv` | the canonical ledger in CSV, gzip or not (or any CSV, with a column map) |
| `ledger-jsonl` | the canonical ledger as JSON lines, gzip or not |
| `responses` | Anthropic Messages / OpenAI Chat Completions / Responses objects, one per line, bare |
|   | or in an envelope; batch result lines (OpenAI Batch output, Anthropic Message Batches) |
| `anthropic-usage-report` | Anthropic Admin API Messages Usage Report (JSON pages of buckets) |
| `anthropic-cost-report` | Anthropic Admin API Cost Report (JSON; amounts in cents) |
| `anthropic-console-usage-csv` | Anthropic Console usage export |
| `anthropic-console-cost-csv` | Anthropic Console cost export |
| `openai-usage-api` | OpenAI Usage API (completions / embeddings buckets, JSON) |
| `openai-costs-api` | OpenAI Costs API (JSON) |
| `openai-dashboard-usage-csv` | OpenAI dashboard activity export |
| `openai-dashboard-cost-csv` | OpenAI dashboard cost export |
| `gemini` | Gemini `GenerateContentResponse` objects (`usageMetadata`), batch output lines |
| `otel` | OpenTelemetry GenAI spans, OTLP JSON |
| `litellm-spend-logs` | LiteLLM proxy `LiteLLM_SpendLogs` rows (JSON or CSV); a `postgresql://` URL |
|   | reads the table from the proxy's database |
| `langfuse` | Langfuse observations (generations), API or export JSON |
| `helicone` | Helicone request logs (REST export or ClickHouse rows) |
| `openrouter` | OpenRouter responses (with the charged `cost`) or generation records |
| `claude-agent-result` | Claude Agent SDK `result` messages (`modelUsage`, `total_cost_usd`), with a time |
| `bedrock-invocation-log` | AWS Bedrock model-invocation logs (CloudWatch / S3 JSON records) |
| `litellm-daily-activity` | LiteLLM `/user/daily/activity` pages (per model and day, with `spend`) |
| `claude-code-analytics` | Claude Code Analytics API pages (per user, day and model, `estimated_cost`) |
| `claude-code` | Claude Code transcripts: a config directory, its `projects/` tree, or transcript files |
| `codex` | Codex CLI rollouts: a Codex home, its `sessions/` tree, or rollout files |
| `azure-trace` | the Azure LLM inference trace 2023 (`TIMESTAMP,ContextTokens,GeneratedTokens`) |
| `mooncake-trace` | the Mooncake FAST'25 trace (`timestamp` ms, `input_length`, `output_length`, |
|   | `hash_ids`) |

Bucket rows (aggregated exports) get deterministic request ids, so importing an export twice
counts nothing twice; request rows keep their provider's id. Within a file, a repeated id is
quarantined as a duplicate (across files, the ledger does the same).

Coding-agent logs (`claude-code`, `codex`) are read differently: every transcript of one agent
among the inputs (directories or files) becomes one `Source`, read by DuckDB in one pass
(`readers/lines.py`), so that a message repeated across files (resumed sessions, replays) is
counted once; they also carry limit events (`Source.events`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from inferonomics import backend
from inferonomics.errors import InputError, OptionError, RecordError
from inferonomics.ledger import hints
from inferonomics.ledger.readers import (
    agents,
    anthropic_reports,
    bedrock,
    claude_agent,
    claude_code_analytics,
    gemini,
    helicone,
    jsondoc,
    langfuse,
    litellm,
    litellm_daily,
    openai_reports,
    openrouter,
    otel,
)
from inferonomics.ledger.readers.base import Context, Reader, Rows
from inferonomics.ledger.readers.detect import detect, keys_of, near_misses
from inferonomics.ledger.readers.responses import batch_time, is_batch_object, quarantine_from, response_row
from inferonomics.ledger.readers.text import (
    check_readable,
    csv_records,
    first_line,
    first_lines,
    header_of,
    json_lines,
    json_objects,
)
from inferonomics.ledger.schema import (
    ALWAYS_STAGED,
    DATA_COLUMNS,
    MAX_TAGS,
    PREFIX_BLOCK_TOKENS_METADATA_KEY,
    REQUIRED_COLUMNS,
    tag_problem,
)
from inferonomics.ledger.staging import MAX_FIELD_CHARS, QuarantineRecord, Stager, show_value

if TYPE_CHECKING:
    import ibis.expr.types as ir


def _responses(ctx: Context) -> Rows:
    """Response lines (see `_response_rows`)."""
    yield from _response_rows(json_lines(ctx.path, ctx.display, ctx.quarantine), ctx)


def _response_rows(objects: Iterable[tuple[int, dict[str, Any]]], ctx: Context) -> Rows:
    """Rows of response lines (line, object). Batch result lines carry no time: a batch object
    (Anthropic `message_batch`, OpenAI `batch`) saved on a line before them gives theirs
    (`ended_at`, else `created_at`)."""
    batch_ts: Any = None
    for line, obj in objects:
        if is_batch_object(obj):
            batch_ts = batch_time(obj)
            ctx.notes["batch objects read for their time (not usage)"] += 1
            continue
        if batch_ts is not None and "custom_id" in obj and "ts" not in obj:
            obj = {**obj, "ts": batch_ts}
        try:
            yield line, response_row(obj)
        except RecordError as e:
            yield line, e


def _litellm(ctx: Context) -> Rows:
    first = first_line(ctx.path)
    return litellm.read_json(ctx) if first.startswith(("{", "[")) else litellm.read_csv(ctx)


READERS: dict[str, Reader] = {
    "responses": _responses,
    "anthropic-usage-report": anthropic_reports.usage_report,
    "anthropic-cost-report": anthropic_reports.cost_report,
    "anthropic-console-usage-csv": anthropic_reports.console_usage_csv,
    "anthropic-console-cost-csv": anthropic_reports.console_cost_csv,
    "openai-usage-api": openai_reports.usage_api,
    "openai-costs-api": openai_reports.costs_api,
    "openai-dashboard-usage-csv": openai_reports.dashboard_activity_csv,
    "openai-dashboard-cost-csv": openai_reports.dashboard_cost_csv,
    "gemini": gemini.read,
    "otel": otel.read,
    "litellm-spend-logs": _litellm,
    "langfuse": langfuse.read,
    "helicone": helicone.read,
    "openrouter": openrouter.read,
    "claude-agent-result": claude_agent.read,
    "bedrock-invocation-log": bedrock.read,
    "litellm-daily-activity": litellm_daily.read,
    "claude-code-analytics": claude_code_analytics.read,
}
"""Formats read record by record in Python (each record → a row or a quarantine reason)."""

FORMATS = (
    "ledger-parquet",
    "ledger-csv",
    "ledger-jsonl",
    *READERS,
    *agents.AGENT_FORMATS,
    "azure-trace",
    "mooncake-trace",
)
TRACE_FORMATS = ("azure-trace", "mooncake-trace")

__all__ = ["FORMATS", "ParquetInput", "Source", "detect_format", "open_source", "open_sources"]

MAX_TRACE_MS = 10**12
"""The latest Mooncake instant read (about 31 years after the trace's start, in milliseconds)."""
_TEXT_COLUMNS = tuple(c for c in DATA_COLUMNS if c != "prefix_hashes")
_parts = itertools.count()


def _part_name() -> str:
    return f"part{next(_parts):05d}"


@dataclass
class Source:
    """One input, ready for validation."""

    display: str
    format: str
    raw: ir.Table | backend.Scan
    """The rows: an Ibis table, or a `Scan` (a DuckDB view, read without Ibis; see `backend.table_of`)."""
    strip: bool
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    unique_ids: bool = False
    ids_fingerprint: tuple[int, int, int] | None = None
    """A writer's claim that the request ids are unique, with the fingerprint of the ids it was made
    about (`ledger/hints.py`): used only once the rows give the same fingerprint."""
    prefix_block_tokens: int | None = None
    """Tokens per `prefix_hashes` block, when the writer recorded it (PREFIX_BLOCK_TOKENS_METADATA_KEY)."""
    tags: list[str] = field(default_factory=list)
    """Extra columns kept as tags (text), in the order the input gave them."""
    ignored_columns: list[str] = field(default_factory=list)
    """Extra columns that could not be kept as tags, each with the reason."""
    notes: list[str] = field(default_factory=list)
    """Things worth telling about the file as a whole (empty, ...)."""
    events: pa.Table | None = None
    """Limit events read beside the rows (coding-agent logs; `EVENTS_SCHEMA`), None for others."""
    parquet: ParquetInput | None = None
    """How a Parquet input is read (DuckDB), for reading inputs of one shape as one scan; None for others."""


@dataclass(frozen=True)
class ParquetInput:
    """A Parquet input as `_parquet_scan` reads it: inputs of the same `shape` (the file's columns
    and types, and the selection that renames them) can be read as one multi-file scan, each row's
    `_file` and `_line` from the file and line it came from (see `Ledger.parts`)."""

    path: str
    columns: tuple[tuple[str, str], ...]
    select: str
    """The SELECT list of the canonical columns and tags (without `_file` and `_line`)."""

    @property
    def shape(self) -> tuple[object, ...]:
        """What inputs read as one scan share: the file's columns and types, and the selection."""
        return (self.columns, self.select)


def detect_format(path: Path) -> str:
    """The input format of a file, from its content (and name)."""
    if litellm.database_url(str(path)) is not None:
        return "litellm-spend-logs"
    if path.is_dir():
        found = agents.find_agent_files(path)
        kinds = list(dict.fromkeys(f.agent for f in found.files))
        return kinds[0]
    check_readable(path)
    return detect(path)


class _Tags:
    """Sorts an input's extra columns into tags (kept as text) and ignored columns (with why)."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.ignored: list[str] = []
        self._seen: set[str] = set()

    def add(self, name: str, unsupported: str | None = None) -> bool:
        """Whether `name` is kept as a tag (it is seen once; later calls give the same answer)."""
        if name in self._seen:
            return name in self.kept
        self._seen.add(name)
        why = unsupported or tag_problem(name)
        if why is None and len(self.kept) >= MAX_TAGS:
            why = f"more than {MAX_TAGS} extra columns"
        if why is not None:
            self.ignored.append(f"{show_value(name, 40)} ({why})")
            return False
        self.kept.append(name)
        return True


def _tag_type_problem(dtype: Any) -> str | None:
    """Tags are text: a column of another scalar type is turned into text; a nested one is not kept."""
    if dtype.is_nested():
        return f"a {dtype} column: tags are single values"
    return None


def _parquet_source(path: Path, display: str, con: Any, column_map: Mapping[str, str]) -> Source:
    try:
        # (The footer read once: `read_schema` is `to_arrow_schema` of the same footer.)
        parquet_meta = pq.read_metadata(path)
        meta = parquet_meta.schema.to_arrow_schema().metadata or {}
        file_meta = parquet_meta.metadata or {}
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise InputError(f"{display}: not a readable Parquet file ({e})") from e
    block = meta.get(PREFIX_BLOCK_TOKENS_METADATA_KEY)
    prefix_block_tokens = int(block) if block is not None and block.isdigit() and int(block) > 0 else None

    def source(raw: ir.Table | backend.Scan, tags: _Tags, parquet: ParquetInput | None = None) -> Source:
        return Source(
            display=display,
            format="ledger-parquet",
            raw=raw,
            strip=False,
            tags=tags.kept,
            ignored_columns=tags.ignored,
            ids_fingerprint=hints.unique_claim(meta, file_meta),
            prefix_block_tokens=prefix_block_tokens,
            parquet=parquet,
            notes=[f"{display}: no rows in this file"] if parquet_meta.num_rows == 0 else [],
        )

    if isinstance(con, backend.Connection):
        scanned = _parquet_scan(con, path, display, column_map, parquet_meta)
        if scanned is not None:
            return source(*scanned)
    table = backend.read_parquet(con, str(path))
    renames = {canon: src for canon, src in column_map.items() if src in table.columns}
    if renames:
        # A column already named as a mapping's target is shadowed by the mapped one.
        shadowed = [c for c in renames if c in table.columns and c not in renames.values()]
        table = table.drop(*shadowed).rename(renames) if shadowed else table.rename(renames)
    has_provenance = {"source_file", "source_line"} <= set(table.columns)
    keep = [c for c in DATA_COLUMNS if c in table.columns]
    tags = _Tags()
    for c in table.columns:
        if c not in (*DATA_COLUMNS, "file_row_number", "source_file", "source_line"):
            tags.add(c, _tag_type_problem(table[c].type()))
    import ibis

    raw = table.select(
        *keep,
        *tags.kept,
        _file=table.source_file if has_provenance else ibis.literal(display),
        _line=table.source_line if has_provenance else table.file_row_number + 1,
    )
    return source(raw, tags)


def _parquet_scan(
    con: backend.Connection,
    path: Path,
    display: str,
    column_map: Mapping[str, str],
    meta: pq.FileMetaData,
) -> tuple[backend.Scan, _Tags, ParquetInput | None] | None:
    """`_parquet_source`'s selection as a DuckDB view (no Ibis): the same renames, columns, tags,
    `_file` and `_line`, and how to read the file with others of its shape (None when its rows carry
    their own provenance, or a column would hide one of DuckDB's per-file columns). None when a
    column would be refused as a nested tag (the Ibis path words that note)."""
    # Files of one Parquet schema (and key-value metadata, where a writer may say more of the types)
    # have the same columns: described once, and read in the view below, not a view of their own.
    files = f"read_parquet({backend.text(str(path))}, file_row_number = true)"
    # (The schema's tree as pyarrow prints it, after its first line: the object's address.)
    tree = str(meta.schema).partition("\n")[2]
    shape_key = ("parquet", tree, tuple(sorted((meta.metadata or {}).items())))
    kinds = dict(backend.describe(con, f"SELECT * FROM {files}", shape_key))
    names = list(kinds)
    renames = {canon: src for canon, src in column_map.items() if src in names}
    # A column already named as a mapping's target is shadowed by the mapped one.
    shadowed = {c for c in renames if c in names and c not in renames.values()} if renames else set()
    inverse = {src: canon for canon, src in renames.items()}
    columns = {inverse.get(n, n): n for n in names if n not in shadowed}
    has_provenance = {"source_file", "source_line"} <= set(columns)
    keep = [c for c in DATA_COLUMNS if c in columns]
    tags = _Tags()
    for c, src in columns.items():
        if c not in (*DATA_COLUMNS, "file_row_number", "source_file", "source_line"):
            if backend.is_nested(kinds[src]):
                return None
            tags.add(c)
    q = backend.quote
    select = [f"{q(columns[c])} AS {q(c)}" for c in (*keep, *tags.kept)]
    # A name DuckDB would read as a pattern is read on its own (a scan of several names its files).
    plain = display == str(path) and not any(ch in display for ch in "*?[{")
    mergeable = plain and not has_provenance and not set(names) & set(backend.FILE_COLUMNS)
    parquet = ParquetInput(str(path), tuple(kinds.items()), ", ".join(select)) if mergeable else None
    line = f"{q(columns['source_line'])} AS _line" if has_provenance else "file_row_number + 1 AS _line"
    file = f"{q(columns['source_file'])} AS _file" if has_provenance else f"{backend.text(display)} AS _file"
    # (The view's columns depend on the shape and the rest of the SELECT, not on the file's name.)
    key = ("parquet-select", shape_key, tuple(select), has_provenance and file, line)
    # (Made when used: a file read in one scan with others of its shape is never read through it.)
    query = f"SELECT {', '.join([*select, file, line])} FROM {files}"
    scan = backend.scan_select(con, query, key, lazy=mergeable)
    return scan, tags, parquet


def _check_columns(
    display: str,
    present: list[str],
    model_as: tuple[str, str] | None,
    path: Path | None = None,
    has: Sequence[str] | None = None,
) -> None:
    """Raise an `InputError` when a required column is missing from `present` (canonical names);
    the message lists `has`, the file's own names (default: `present`), and what to do."""
    needed = ["ts"] if model_as else list(REQUIRED_COLUMNS)
    missing = [c for c in needed if c not in present]
    if missing:
        present = [show_value(h, 40).strip('"') for h in (has if has is not None else present)][:30]
        resembled = near_misses(keys_of(path)) if path is not None and path.exists() else []
        raise InputError(
            f"{display}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the file has: {', '.join(present) or 'no columns'}); map one with --columns CANONICAL=NAME"
            + (
                ""
                if "provider" not in missing and "model" not in missing
                else ", or price every row as one model with --model-as PROVIDER/MODEL"
            )
            + (
                "; it is not a known export either (known: "
                + ", ".join(FORMATS)
                + ")"
                + ("; it resembles " + "; ".join(resembled) if resembled else "")
                if path is not None
                else ""
            )
        )


def _tabular_source(
    path: Path,
    display: str,
    fmt: str,
    con: Any,
    stage: Path,
    column_map: Mapping[str, str],
    model_as: tuple[str, str] | None,
) -> Source:
    quarantine: list[QuarantineRecord] = []
    inverse = {src: canon for canon, src in column_map.items()}
    tags = _Tags()
    staged: tuple[str, ...] = _TEXT_COLUMNS
    lists: tuple[str, ...] = ("prefix_hashes",)
    seen_columns: list[str] | None = None
    if fmt == "ledger-csv":  # the header is checked before any row: rows that fail are no excuse
        header = header_of(path)
        if header is not None:  # (an empty file has no header: it is noted as empty)
            mapped = [inverse.get(h) or (None if h in column_map else h) for h in header]
            seen_columns = [c for c in mapped if c is not None and c in DATA_COLUMNS]
            _check_columns(display, seen_columns, model_as, path, has=header)
            # Only the columns the header has are staged: the others are never written (a Python
            # loop per column and row: a 500k-row 6-column CSV billed in half the time), and are
            # absent from the scan (as `_staged_scan` makes any column no row fills).
            staged = tuple(c for c in _TEXT_COLUMNS if c in seen_columns)
            lists = tuple(c for c in lists if c in seen_columns)
    stager = Stager(stage, _part_name(), staged, lists, tags=tags.kept)
    records = (
        csv_records(path, display, quarantine)
        if fmt == "ledger-csv"
        else json_lines(path, display, quarantine)
    )
    for line, record in records:
        row: dict[str, Any] = {}
        for key, value in record.items():
            # A column mapped to a canonical name takes it; a column of that name is then shadowed.
            canon = inverse.get(key) or (None if key in column_map else key)
            if canon is not None and canon in DATA_COLUMNS:
                row[canon] = value
            elif canon is None:
                tags.add(key, f"--columns maps {column_map[key]} to {key}")
            elif tags.add(key, None if _scalar(value) else "nested values: tags are single values"):
                row[key] = value if _scalar(value) else None
        long = next((k for k, v in row.items() if isinstance(v, str) and len(v) > MAX_FIELD_CHARS), None)
        if long is not None:
            quarantine.append(
                QuarantineRecord(
                    display,
                    line,
                    long,
                    f"column {long} is {show_value(row[long])}: no usage value is that long",
                )
            )
            continue
        if seen_columns is None:
            seen_columns = [c for c in row if c in DATA_COLUMNS]
            _check_columns(display, [*seen_columns], model_as, path)
        if "prefix_hashes" in row:
            try:
                row["prefix_hashes"] = _hash_list(row["prefix_hashes"])
            except ValueError as e:
                quarantine.append(QuarantineRecord(display, line, "prefix_hashes", str(e)))
                continue
        if fmt == "ledger-jsonl" and any(c not in row for c in (["ts"] if model_as else REQUIRED_COLUMNS)):
            missing = [c for c in REQUIRED_COLUMNS if c not in row]
            quarantine.append(
                QuarantineRecord(display, line, missing[0], f"no {', '.join(missing)} in this line")
            )
            continue
        row["_file"], row["_line"] = display, line
        stager.add(row)
    parts = stager.finish()
    raw = _staged_scan(con, parts, union_by_name=True)
    return Source(
        display, fmt, raw, strip=True, quarantine=quarantine, tags=tags.kept, ignored_columns=tags.ignored
    )


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _hash_list(value: Any) -> list[int] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        items: list[Any] = (
            json.loads(text) if text.startswith("[") else text.replace(";", " ").replace(",", " ").split()
        )
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"prefix_hashes is {value!r}: expected a list of block hashes")
    out = []
    for item in items:
        try:
            value = int(item)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"prefix_hashes has {show_value(item)}: block hashes are integers") from None
        if not -(2**63) <= value < 2**64:
            raise ValueError(f"prefix_hashes has {show_value(value)}: block hashes fit in 64 bits")
        # An unsigned 64-bit hash is kept as the signed integer of the same bits (still distinct).
        out.append(value - 2**64 if value >= 2**63 else value)
    return out


def _python_source(ctx: Context, fmt: str, read: Reader, con: Any, stage: Path) -> Source:
    """Stage the rows a Python reader makes; record what it quarantines and skips. A request id
    (or a bucket's id) seen earlier in the file is a duplicate."""
    stager = Stager(stage, _part_name(), _TEXT_COLUMNS)
    seen_ids: dict[str, int] = {}
    for line, row in read(ctx):
        if isinstance(row, RecordError):
            ctx.quarantine.append(quarantine_from(row, ctx.display, line))
            continue
        rid = row.get("request_id")
        if rid is not None:
            first = seen_ids.setdefault(str(rid), line)
            if first != line:
                ctx.quarantine.append(
                    QuarantineRecord(
                        ctx.display,
                        line,
                        "request_id",
                        f'duplicate request_id "{rid}" (first at line {first})',
                    )
                )
                continue
        row["_file"], row["_line"] = ctx.display, line
        stager.add(row)
    raw = _staged_scan(con, stager.finish())
    notes = [f"{ctx.display}: {n:,} {what}" for what, n in sorted(ctx.notes.items())]
    return Source(ctx.display, fmt, raw, strip=True, quarantine=ctx.quarantine, unique_ids=True, notes=notes)


def _bulk_source(ctx: Context, fmt: str, con: Any, stage: Path) -> Source | None:
    """The source read in bulk (`readers/bulk.py`) when its format has a bulk reading and the file
    suits it (JSON lines), else None: the Python reader reads it."""
    # Imported here: a ledger CSV or Parquet (every other format) does without the bulk readers and
    # what they load (a thread pool, logging).
    from inferonomics.ledger.readers import bulk, bulk_helicone, bulk_litellm, bulk_openrouter, bulk_responses

    fallback: bulk.Fallback
    if not bulk.BULK:
        return None
    if fmt == "responses":
        shape = bulk_responses.spec_for(*first_lines(ctx.path, 2))
        if shape is None:
            return None
        spec, most = shape

        def fallback(lines: Iterable[tuple[int, str]], c: Context) -> Rows:
            return _response_rows(_batch_objects(json_objects(lines, c.display, c.quarantine), most), c)

    elif fmt == "litellm-spend-logs":
        if _first_record(ctx) is None:
            return None
        spec = bulk_litellm.FORMAT

        def fallback(lines: Iterable[tuple[int, str]], c: Context) -> Rows:
            return litellm.document_rows(jsondoc.line_documents(lines, c.display, c.quarantine), c)

    elif fmt == "gemini":
        from inferonomics.ledger.readers import bulk_gemini

        record = _first_record(ctx)
        gemini_spec = None if record is None else bulk_gemini.format_of(record)
        if gemini_spec is None:
            return None
        spec, fallback = gemini_spec, bulk_gemini.fallback

    elif fmt == "helicone":
        if _first_record(ctx) is None:
            return None
        spec = bulk_helicone.FORMAT

        def fallback(lines: Iterable[tuple[int, str]], c: Context) -> Rows:
            return helicone.document_rows(jsondoc.line_documents(lines, c.display, c.quarantine))

    elif fmt == "openrouter":
        record = _first_record(ctx)
        known = None if record is None else bulk_openrouter.spec_for(record)
        if known is None:
            return None
        spec = known

        def fallback(lines: Iterable[tuple[int, str]], c: Context) -> Rows:
            return openrouter.document_rows(jsondoc.line_documents(lines, c.display, c.quarantine))

    elif fmt == "langfuse":
        from inferonomics.ledger.readers import bulk_langfuse

        record = _first_record(ctx)
        langfuse_spec = None if record is None else bulk_langfuse.spec_for(record)
        if langfuse_spec is None:
            return None
        spec = langfuse_spec

        def fallback(lines: Iterable[tuple[int, str]], c: Context) -> Rows:
            return langfuse.document_rows(jsondoc.line_documents(lines, c.display, c.quarantine), c.notes)

    else:
        return None
    got = bulk.read(ctx, spec, fallback, stage)
    if got is None:
        return None
    raw = _staged_scan(con, got.parts, exclude=[bulk.KEY])
    notes = [f"{ctx.display}: {n:,} {what}" for what, n in sorted(ctx.notes.items())]
    return Source(ctx.display, fmt, raw, strip=True, quarantine=ctx.quarantine, unique_ids=True, notes=notes)


def _first_record(ctx: Context) -> dict[str, Any] | None:
    """The first record of a file of JSON lines whose first line is an object (what the bulk
    readings of gateway logs and Gemini take, and sniff the file's shape by), else None."""
    if not first_line(ctx.path).startswith("{"):  # (cheap: no document is read)
        return None
    layout, value = jsondoc.first_value(ctx.path)
    return value if layout == "lines" and isinstance(value, dict) else None


def _batch_objects(
    objects: Iterable[tuple[int, dict[str, Any]]], most: int | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The response lines a bulk reading left to Python; raises `bulk.NotBulk` at a batch object
    after the first `most` (None: never), whose time the SQL could not give the lines after it."""
    from inferonomics.ledger.readers import bulk

    seen = 0
    for line, obj in objects:
        if most is not None and is_batch_object(obj):
            seen += 1
            if seen > most:
                raise bulk.NotBulk
        yield line, obj


OPTIONAL_COLUMNS = tuple(c for c in _TEXT_COLUMNS if c not in ALWAYS_STAGED)
"""Staged columns that may be left out when no row has a value in them: validation reads an absent
one as it reads a NULL (a count's default, no text, no amount), without testing it in every row."""


def _staged_scan(
    con: Any, parts: Sequence[Path], *, union_by_name: bool = False, exclude: Sequence[str] = ()
) -> Any:
    """Staged Parquet parts as a scan, without the optional columns no row has a value in (by the
    parts' null counts): a reader stages every column a format can have, and a file of chat
    completions fills a third of them, so the rest would be parsed and checked as NULL in every row
    and kept in the pricing pass."""
    paths = [str(p) for p in parts]
    return backend.scan_parquet(
        con, paths, union_by_name=union_by_name, exclude=[*exclude, *empty_columns(paths, OPTIONAL_COLUMNS)]
    )


def empty_columns(paths: Sequence[str], candidates: Sequence[str]) -> list[str]:
    """The columns of `candidates` that some of the Parquet files `paths` have and none has a value
    in, by the files' statistics: every row group's null count equal to its rows (a file without
    the column has no value in it either; a column without a null count is kept)."""
    import pyarrow.parquet as pq

    empty, seen = set(candidates), set()
    for path in paths:
        meta = pq.read_metadata(path)
        index = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
        for name in [c for c in empty if c in index]:
            seen.add(name)
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                stats = group.column(index[name]).statistics
                if stats is None or not stats.has_null_count or stats.null_count != group.num_rows:
                    empty.discard(name)
                    break
        if not empty:
            break
    return [c for c in candidates if c in empty and c in seen]


def _azure_source(path: Path, display: str, con: Any, stage: Path) -> Source:
    quarantine: list[QuarantineRecord] = []
    stager = Stager(stage, _part_name(), ("ts", "input_tokens", "output_tokens"))
    for line, rec in csv_records(path, display, quarantine):
        stager.add(
            {
                "ts": rec.get("TIMESTAMP"),
                "input_tokens": rec.get("ContextTokens"),
                "output_tokens": rec.get("GeneratedTokens"),
                "_file": display,
                "_line": line,
            }
        )
    raw = backend.scan_parquet(con, [str(p) for p in stager.finish()])
    return Source(display, "azure-trace", raw, strip=True, quarantine=quarantine, unique_ids=True)


def _mooncake_source(path: Path, display: str, con: Any, stage: Path, start: dt.datetime) -> Source:
    quarantine: list[QuarantineRecord] = []
    stager = Stager(stage, _part_name(), ("ts", "input_tokens", "output_tokens"), ("prefix_hashes",))
    for line, obj in json_lines(path, display, quarantine):
        ms = obj.get("timestamp")
        if not isinstance(ms, int | float) or isinstance(ms, bool) or not 0 <= ms < MAX_TRACE_MS:
            quarantine.append(
                QuarantineRecord(
                    display,
                    line,
                    "timestamp",
                    f"timestamp is {show_value(ms)}: expected milliseconds, 0 to 10^12",
                )
            )
            continue
        try:
            hashes = _hash_list(obj.get("hash_ids"))
        except ValueError as e:
            quarantine.append(QuarantineRecord(display, line, "hash_ids", str(e)))
            continue
        stager.add(
            {
                "ts": (start + dt.timedelta(milliseconds=ms)).isoformat(),
                "input_tokens": obj.get("input_length"),
                "output_tokens": obj.get("output_length"),
                "prefix_hashes": hashes,
                "_file": display,
                "_line": line,
            }
        )
    raw = backend.scan_parquet(con, [str(p) for p in stager.finish()])
    return Source(display, "mooncake-trace", raw, strip=True, quarantine=quarantine, unique_ids=True)


def open_source(
    path: Path,
    con: Any,
    stage: Path,
    *,
    input_format: str | None = None,
    column_map: Mapping[str, str] | None = None,
    model_as: tuple[str, str] | None = None,
    trace_start: dt.datetime | None = None,
) -> Source:
    """Read one input file into a `Source` (raw rows + what was quarantined while parsing). A
    `postgresql://` URL in place of a path reads LiteLLM's spend-log table from that database."""
    url = litellm.database_url(str(path))
    if url is not None:
        if input_format not in (None, "litellm-spend-logs"):
            raise InputError(f"{litellm.redacted(url)}: a database URL is read as litellm-spend-logs only")
        ctx = Context(path, f"{litellm.redacted(url)}#{litellm.TABLE}")
        return _python_source(ctx, "litellm-spend-logs", lambda c: litellm.read_database(c, url), con, stage)
    display = str(path)
    if path.is_dir() or input_format in agents.AGENT_FORMATS:
        if input_format is not None and input_format not in agents.AGENT_FORMATS:
            raise InputError(f"{display}: is a directory (pass the files in it)")
        [source, *more] = open_sources([path], con, stage, input_format=input_format)
        if more:  # both agents' logs under one directory: one source, read together
            raise InputError(f"{display}: holds both Claude Code and Codex logs; open it with Ledger.open")
        return source
    fmt = input_format or detect_format(path)
    if fmt in agents.AGENT_FORMATS:
        return open_sources([path], con, stage, input_format=fmt)[0]
    if fmt not in FORMATS:
        raise InputError(f"{display}: unknown input format '{fmt}' (known: {', '.join(FORMATS)})")
    if fmt in TRACE_FORMATS and model_as is None:
        raise OptionError(
            f"{display}: {fmt} rows carry no model; "
            "name the model to price them as with --model-as PROVIDER/MODEL"
        )
    column_map = column_map or {}
    if fmt == "ledger-parquet":
        source = _parquet_source(path, display, con, column_map)
        names = backend.columns_of(source.raw)
        _check_columns(display, [c for c in names if not c.startswith("_")], model_as, path)
        return source
    if fmt in ("ledger-csv", "ledger-jsonl"):
        source = _tabular_source(path, display, fmt, con, stage, column_map, model_as)
    elif fmt in READERS:
        if not path.exists():
            raise InputError(f"{display}: no such file")
        ctx = Context(path, display)
        source = _bulk_source(ctx, fmt, con, stage) or _python_source(ctx, fmt, READERS[fmt], con, stage)
    elif fmt == "azure-trace":
        source = _azure_source(path, display, con, stage)
    else:
        start = trace_start or dt.datetime.combine(dt.date.today(), dt.time())
        source = _mooncake_source(path, display, con, stage, start.replace(tzinfo=None))
    if path.stat().st_size == 0:
        source.notes.append(f"{display}: the file is empty (0 bytes): no rows read")
    return source


def open_sources(
    paths: Sequence[Path],
    con: Any,
    stage: Path,
    *,
    input_format: str | None = None,
    column_map: Mapping[str, str] | None = None,
    model_as: tuple[str, str] | None = None,
    trace_start: dt.datetime | None = None,
) -> list[Source]:
    """Read inputs into `Source`s: each file on its own, except coding-agent logs (directories of
    them, or transcript files), which become one source per agent for all the inputs together, so
    that what one file repeats of another is counted once. Sources come in the order of their
    first input."""
    out: list[Source | _AgentGroup] = []
    groups: dict[str, _AgentGroup] = {}
    seen: set[str] = set()
    for path in paths:
        is_url = litellm.database_url(str(path)) is not None
        fmt = input_format
        agent_input = not is_url and path.is_dir()
        if not is_url and not agent_input and path.is_file():
            fmt = fmt or detect_format(path)
            agent_input = fmt in agents.AGENT_FORMATS
        if agent_input and input_format is not None and input_format not in agents.AGENT_FORMATS:
            raise InputError(f"{path}: is a directory (pass the files in it)")
        if not agent_input:
            out.append(
                open_source(
                    path,
                    con,
                    stage,
                    input_format=input_format,
                    column_map=column_map,
                    model_as=model_as,
                    trace_start=trace_start,
                )
            )
            continue
        found = agents.find_agent_files(path, fmt)
        for f in found.files:
            if f.real in seen:
                continue
            seen.add(f.real)
            if f.agent not in groups:
                groups[f.agent] = _AgentGroup(f.agent)
                out.append(groups[f.agent])
            group = groups[f.agent]
            if str(path) not in group.displays:
                group.displays.append(str(path))
            group.files.append(f)
        if found.ignored:
            shown = ", ".join(show_value(os.path.relpath(p, path), 80) for p in found.ignored[:3])
            more = f" and {len(found.ignored) - 3:,} more" if len(found.ignored) > 3 else ""
            groups[found.files[0].agent].notes.append(
                f"{path}: {len(found.ignored):,} .jsonl files that are not agent logs, not read: "
                f"{shown}{more}"
            )
    return [x if isinstance(x, Source) else x.open(con, stage) for x in out]


@dataclass
class _AgentGroup:
    """The transcripts of one agent among the inputs, read together as one source."""

    agent: str
    displays: list[str] = field(default_factory=list)
    files: list[agents.AgentFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def open(self, con: Any, stage: Path) -> Source:
        label = ", ".join(self.displays)
        files = sorted(self.files, key=lambda f: f.display)
        # Imported here: only agent logs need them (and the thread pool their line scan loads).
        from inferonomics.ledger.readers import claude_code, codex

        module = claude_code if self.agent == agents.CLAUDE_CODE else codex
        read = module.read(con, files, stage, label)
        return Source(
            label,
            self.agent,
            # (A view on DuckDB, not Ibis' `read_parquet`: the bill of a tree runs from the plan cache.)
            _staged_scan(con, [read.part]),
            strip=True,
            quarantine=read.quarantine,
            unique_ids=self.agent == agents.CLAUDE_CODE,
            tags=list(module.TAGS),
            notes=[*read.notes, *self.notes],
            events=read.events,
        )
