"""Claude Code transcripts → ledger rows, limit events, and the account of every line.

A transcript line is a JSON object with `type`, `timestamp`, `sessionId`, `cwd`, `isSidechain`,
and for an assistant message `requestId` and `message` (an Anthropic Messages object: `id`,
`model`, `usage`). Claude Code writes one line per content block of a message (thinking, text,
tool_use), each repeating `message.id`, `requestId` and `usage`; while the message streams, the
early lines carry a partial `output_tokens` and the last the final count. Resumed sessions copy
earlier messages into the new file, and subagent (sidechain) transcripts can replay a parent
message under another request id (ccusage#913). So a message is counted once across the whole
input, by (`message.id`, `requestId`): the line kept is the parent's over a sidechain's, then the
one with the most tokens (the final count), then the earliest, and among copies of one line the
one in the file that started (then ended) first, the original session; a sidechain line whose
message id the parent counted under another request id is a replay. The same rule as ccusage's
(`rust/crates/ccusage/src/adapter/claude/mod.rs`, `push_deduped_entry`), done as one aggregate.

`usage` is mapped as the `responses` reader maps an Anthropic message (`readers/responses.py`):
`input_tokens` is uncached; cache reads; writes by TTL from `cache_creation.ephemeral_5m/1h_input_tokens`
(no breakdown: all 5-minute), any remainder of `cache_creation_input_tokens` at an unknown TTL;
`server_tool_use.web_search_requests`; `service_tier`; `inference_geo` → region. Older releases
wrote Claude Code's own cost estimate, `costUSD` → `reported_cost_usd` (a tool estimate).

Everything is done in DuckDB over the scan of `readers/lines.py`: one pass over the text, then
SQL over the small table of usage lines; the rows are staged as one Parquet file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from inferonomics import arrays
from inferonomics.ledger.readers.agents import CLAUDE_CODE, AgentFile
from inferonomics.ledger.readers.limits import limit_hit, utc
from inferonomics.ledger.readers.lines import LineScan, bad_lines, drop, scan_lines, temp_name
from inferonomics.ledger.schema import EVENTS_SCHEMA
from inferonomics.ledger.staging import QuarantineRecord

TAGS = ("agent", "project", "sidechain")

_PATHS = (
    "$.type",  # 1
    "$.timestamp",
    "$.sessionId",
    "$.requestId",
    "$.isSidechain",  # 5
    "$.cwd",
    "$.message.id",
    "$.message.model",
    "$.message.usage.input_tokens",
    "$.message.usage.output_tokens",  # 10
    "$.message.usage.cache_read_input_tokens",
    "$.message.usage.cache_creation_input_tokens",
    "$.message.usage.cache_creation.ephemeral_5m_input_tokens",
    "$.message.usage.cache_creation.ephemeral_1h_input_tokens",
    "$.message.usage.server_tool_use.web_search_requests",  # 15
    "$.message.usage.service_tier",
    "$.message.usage.inference_geo",
    "$.message.usage.speed",
    "$.message.usage.output_tokens_details.thinking_tokens",
    "$.costUSD",  # 20
    "$.isApiErrorMessage",
)
_TEXT_PATHS = (
    "$.type",
    "$.timestamp",
    "$.sessionId",
    "$.isApiErrorMessage",
    "$.message.content[0].text",  # 5
    "$.content",
    "$.message.model",
)
# A usage key (`"usage"` then a colon); a line without one carries no usage. An RE2 pattern, not
# LIKE: RE2 runs it as one DFA pass, while DuckDB's LIKE / contains with a needle this short costs
# about three times as much (measured on the 700k-line benchmark tree: 0.19 s against 0.61 s of CPU
# for 196 MB), and this test runs over every byte of every line.
_CANDIDATE = "regexp_matches(line, '\"usage\"\\s*:')"
# Limit messages are Claude Code's own (an API error, which carries a usage object) or system lines.
_TEXT_CANDIDATE = (
    "(cand AND v[21] = 'true') OR (NOT cand AND line LIKE '%\"type\":\"system\"%' AND line LIKE '%imit%')"
)
PREFILTER = True
"""Parse only the lines the text tests above pick (the fast path). False parses every line: the
reference the fast path is tested against (the same rows, quarantine, notes and events), slower;
it also quarantines a line that looks like an object but is not JSON, which the fast path takes on
trust because it carries no usage key."""
_EVERY_LINE = "true"
_EVERY_TEXT = "(v[21] = 'true') OR (v[1] = 'system' AND line LIKE '%imit%')"

# Claude Code speaks the Anthropic API; other models reach it through Anthropic-compatible endpoints
# (Bedrock, Vertex, and other providers' own). Each is priced at the provider that serves it.
PROVIDER_PREFIXES = (
    ("%anthropic.claude%", "aws"),  # Bedrock model ids and inference profiles
    ("claude%@%", "google"),  # Vertex AI model ids
    ("claude%", "anthropic"),
    ("glm%", "zai"),
    ("kimi%", "moonshotai"),
    ("minimax%", "minimax"),
    ("deepseek%", "deepseek"),
    ("grok%", "x-ai"),
    ("gemini%", "google"),
    ("gpt-%", "openai"),
)
"""Model name patterns (SQL LIKE, any case) → the provider that serves them; any other model is
`anthropic`'s, the API Claude Code speaks (the engine names it as unknown, with the nearest)."""


def _provider(col: str) -> str:
    cases = " ".join(f"WHEN {col} ILIKE '{pattern}' THEN '{p}'" for pattern, p in PROVIDER_PREFIXES)
    return f"CASE {cases} ELSE 'anthropic' END"


@dataclass
class Read:
    """What reading a set of Claude Code transcripts gives: the staged rows, the lines set aside,
    notes, limit events."""

    part: Path
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: pa.Table = field(default_factory=lambda: arrays.empty(EVENTS_SCHEMA))


BATCH_BYTES = 256 << 20
"""Transcripts are scanned in batches of about this many bytes: only a batch's lines are held at
once, then reduced to one line per message before the next batch (memory follows the number of
messages, not the size of the tree)."""


def _batches(files: Sequence[AgentFile], limit: int) -> list[list[int]]:
    out: list[list[int]] = [[]]
    size = 0
    for i, f in enumerate(files):
        try:
            n = f.path.stat().st_size
        except OSError:
            n = 0
        if out[-1] and size + n > limit:
            out.append([])
            size = 0
        out[-1].append(i)
        size += n
    return out


def read(con: Any, files: Sequence[AgentFile], stage: Path, label: str) -> Read:
    """Read Claude Code transcripts (`files`, in a stable order) into one Parquet part in `stage`,
    `BATCH_BYTES` of them at a time."""
    duck = con.con if hasattr(con, "con") else con
    result = Read(stage / f"{temp_name('claude-code')}.parquet")
    candidates: list[tuple[str, list[str]]] = []  # each batch's: its table (or view) and parts
    counts: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    events: list[pa.Table] = []
    file_notes: list[str] = []
    for batch in _batches(files, BATCH_BYTES):
        # (Arrays built from buffers: `pa.array` and `pa.table` of lists import pandas, 0.3 s.)
        meta = pa.table(
            {
                "i": arrays.integers(range(len(batch)), pa.int32()),
                "g": arrays.integers(batch, pa.int32()),
                "display": arrays.column([files[i].display for i in batch], pa.string()),
                "folder": arrays.column([files[i].project_folder for i in batch], pa.string()),
                "stem": arrays.column([_stem(files[i]) for i in batch], pa.string()),
                "subagent": arrays.column([files[i].subagent for i in batch], pa.bool_()),
            }
        )
        # The usage lines (values by name) and each message's candidate line are worked out on the
        # scans' threads, part by part; the parts meet in the final aggregate.
        scan = scan_lines(
            con,
            [files[i].path for i in batch],
            [files[i].display for i in batch],
            stage,
            candidate=_CANDIDATE if PREFILTER else _EVERY_LINE,
            paths=_PATHS,
            text_candidate=_TEXT_CANDIDATE if PREFILTER else _EVERY_TEXT,
            text_paths=_TEXT_PATHS,
            meta=meta,
            post=(("u", _USAGE), ("cand", _CANDIDATES)),
        )
        file_notes += scan.notes
        u = scan.outputs["u"]
        result.quarantine += bad_lines(con, scan) + [
            QuarantineRecord(scan.display[f], n, field, why)
            for f, n, field, why in duck.execute(
                f"""SELECT f, n, CASE WHEN problem LIKE 'no message.id%' THEN 'message.id'
                                      WHEN problem LIKE 'cache_creation%' THEN 'cache_creation'
                                      ELSE 'usage' END,
                           problem
                    FROM {u} WHERE problem IS NOT NULL AND problem <> 'synthetic' ORDER BY i, n"""
            ).fetchall()
        ]
        events.append(_events(duck, scan, seen))
        not_usage, synthetic, empty = duck.execute(
            f"""SELECT (SELECT count(*) FROM {scan.table} WHERE ok) - (SELECT count(*) FROM {u}),
                       (SELECT count(*) FROM {u} WHERE problem = 'synthetic'),
                       (SELECT count(*) FROM {scan.files} WHERE lines = 0)"""
        ).fetchall()[0]
        counts.update(not_usage=not_usage, synthetic=synthetic, empty=empty)
        cand = scan.outputs["cand"]
        candidates.append((cand, scan.output_parts.get(cand, [])))
        drop(con, scan, keep=("cand",))
    every = temp_name("cccand")
    duck.execute(
        f"CREATE TEMP VIEW {every} AS " + " UNION ALL ".join(f"SELECT * FROM {t}" for t, _ in candidates)
    )
    win = temp_name("ccwin")
    duck.execute(
        f"""CREATE TEMP TABLE {win} AS
        WITH w AS (
            SELECT mid, rid, sum(lines) AS lines,
                   arg_min(struct_pack(i := i, n := n, side := side, fast := fast),
                           struct_pack(a := side, b := -total, c := t_ms, d := file_start, d2 := file_end,
                                       e := i, g := n)) AS k
            FROM {every} GROUP BY mid, rid
        )
        SELECT mid, k.i AS i, k.n AS n, k.side AS side, k.fast AS fast, lines,
               k.side AND mid IN (SELECT mid FROM w WHERE NOT k.side) AS replay
        FROM w"""
    )
    columns = ", ".join(c.rsplit(" AS ", 1)[1].strip() for c in _ROW_COLUMNS)
    duck.execute(
        f"""COPY (
        SELECT {columns} FROM {every} c JOIN {win} w ON c.i = w.i AND c.n = w.n
        WHERE NOT w.replay ORDER BY c.i, c.n
        ) TO '{result.part}' (FORMAT parquet)"""
    )
    repeats, replays, fast = (
        int(c or 0)
        for c in duck.execute(
            f"""SELECT sum(lines) - count(*), count(*) FILTER (WHERE replay),
                       count(*) FILTER (WHERE fast AND NOT replay) FROM {win}"""
        ).fetchall()[0]
    )
    subagents = sum(f.subagent for f in files)
    notes = [
        f"{len(files):,} transcript files read ({subagents:,} of subagents)",
        f"{counts['not_usage']:,} lines carry no usage (user messages, tool results, progress, system and "
        "summary lines, assistant lines without a usage object): skipped",
        f"{counts['synthetic']:,} messages of model <synthetic> (errors and notices Claude Code writes "
        "itself; no model call): skipped",
        f"{repeats:,} lines repeat a message already counted (one line per content block; messages "
        "copied into resumed sessions): each message counted once",
        f"{replays:,} subagent lines replay a parent message under another request id: counted once, as "
        "the parent's",
        f"{fast:,} messages at speed fast, priced at their service tier (no fast-mode prices)",
        f"{counts['empty']:,} files with no lines",
    ]
    result.notes = [f"{label}: {n}" for n in notes if not n.startswith("0 ")] + file_notes
    result.events = pa.concat_tables(events)
    duck.execute(f"DROP VIEW {every}")
    duck.execute(f"DROP TABLE {win}")
    for table, parts in candidates:
        if parts:
            duck.execute(f"DROP VIEW {table}")
        for name in parts or [table]:
            duck.execute(f"DROP TABLE {name}")
    return result


def _stem(f: AgentFile) -> str:
    """The session a transcript's name says: its own name, a subagent's parent session folder."""
    return f.path.parent.parent.name if f.subagent else f.path.stem


_BREAKDOWN = "(v[13] IS NOT NULL OR v[14] IS NOT NULL)"
_USAGE = f"""
    SELECT l.f, m.i, l.n, v[2] AS ts, v[3] AS session, v[4] AS rid, v[5] = 'true' OR m.subagent AS side,
           v[6] AS cwd, v[7] AS mid, v[8] AS model, v[9] AS input, v[10] AS output, v[11] AS cache_read,
           v[12] AS written, {_BREAKDOWN} AS breakdown, v[13] AS w5, v[14] AS w1, v[15] AS web,
           v[16] AS tier, v[17] AS geo, v[18] AS speed, v[19] AS thinking, v[20] AS cost,
           coalesce(TRY_CAST(v[9] AS BIGINT), 0) + coalesce(TRY_CAST(v[10] AS BIGINT), 0)
             + coalesce(TRY_CAST(v[11] AS BIGINT), 0)
             + CASE WHEN {_BREAKDOWN}
                    THEN coalesce(TRY_CAST(v[13] AS BIGINT), 0) + coalesce(TRY_CAST(v[14] AS BIGINT), 0)
                    ELSE coalesce(TRY_CAST(v[12] AS BIGINT), 0) END AS total,
           CASE
             WHEN v[8] = '<synthetic>' THEN 'synthetic'
             WHEN coalesce(v[7], '') = '' THEN 'no message.id: the lines of this message (one per '
               || 'content block) cannot be told from another''s, so it is not counted'
             WHEN v[9] IS NULL OR v[10] IS NULL THEN 'usage lacks input_tokens or output_tokens'
             WHEN {_BREAKDOWN} AND TRY_CAST(v[12] AS BIGINT) > 0
                  AND coalesce(TRY_CAST(v[13] AS BIGINT), 0) + coalesce(TRY_CAST(v[14] AS BIGINT), 0)
                      > TRY_CAST(v[12] AS BIGINT)
               THEN 'cache_creation breakdown (' || (coalesce(TRY_CAST(v[13] AS BIGINT), 0)
                    + coalesce(TRY_CAST(v[14] AS BIGINT), 0)) || ') exceeds cache_creation_input_tokens ('
                    || v[12] || ')'
           END AS problem
    FROM $LINES l JOIN $META m USING (f)
    WHERE l.cand AND l.ok AND v[1] = 'assistant'
      AND (v[9] IS NOT NULL OR v[10] IS NOT NULL OR v[11] IS NOT NULL OR v[12] IS NOT NULL)
"""
"""The usage lines of a scan (assistant lines with any usage count; with a cache_creation breakdown
the writes are split by TTL, without one they are all 5-minute, Anthropic's default), their values
by name, each line's total tokens (to tell a message's final line) and its problem, if any."""


_ROW_COLUMNS = (
    "ts AS ts",
    "mid || coalesce(':' || nullif(rid, ''), '') AS request_id",
    f"{_provider('model')} AS provider",
    "model AS model",
    "coalesce(nullif(session, ''), stem) AS session",
    "tier AS service_tier",
    "geo AS region",
    "input AS input_tokens",
    "cache_read AS cache_read_tokens",
    "CASE WHEN NOT breakdown THEN written ELSE w5 END AS cache_write_5m_tokens",
    "CASE WHEN NOT breakdown THEN NULL ELSE w1 END AS cache_write_1h_tokens",
    """CASE WHEN NOT breakdown THEN NULL
            WHEN written IS NOT NULL AND TRY_CAST(written AS BIGINT) IS NULL THEN written
            ELSE greatest(coalesce(TRY_CAST(written AS BIGINT), 0) - coalesce(TRY_CAST(w5 AS BIGINT), 0)
                          - coalesce(TRY_CAST(w1 AS BIGINT), 0), 0)::VARCHAR END
       AS cache_write_other_tokens""",
    "output AS output_tokens",
    """CASE WHEN thinking IS NULL THEN NULL
            WHEN TRY_CAST(thinking AS BIGINT) IS NULL OR TRY_CAST(output AS BIGINT) IS NULL THEN thinking
            ELSE least(TRY_CAST(thinking AS BIGINT), TRY_CAST(output AS BIGINT))::VARCHAR END
       AS reasoning_tokens""",
    "web AS web_search_requests",
    "cost AS reported_cost_usd",
    "CASE WHEN cost IS NOT NULL THEN 'tool_estimate' END AS cost_source",
    f"'{CLAUDE_CODE}' AS agent",
    "coalesce(first_cwd, folder) AS project",
    "CASE WHEN side THEN 'true' ELSE 'false' END AS sidechain",
    "display AS _file",
    "n AS _line",
)
"""The ledger's columns of a message's line (text, as staged; validation types them)."""
_ROW = ", ".join(_ROW_COLUMNS)

_CANDIDATES = f"""
    WITH t AS (
        -- (an instant to order by: a naive cast, as transcripts write UTC with Z)
        SELECT *, coalesce(epoch_ms(TRY_CAST(ts AS TIMESTAMP)), 9223372036854775807) AS t_ms
        FROM $U WHERE problem IS NULL
    ),
    s AS (SELECT f, min(t_ms) AS file_start, max(t_ms) AS file_end FROM t GROUP BY f),
    w AS (
        -- the line that counts for each message: the parent's over a sidechain's, the most tokens
        -- (the final output count), then the earliest; among copies of one line (a resumed session
        -- repeats the earlier one's lines, timestamps and all), the one in the file that started,
        -- then ended, first: the original session
        SELECT mid, rid, count(*) AS lines,
               arg_min(struct_pack(i := t.i, n := t.n),
                       struct_pack(a := t.side, b := -t.total, c := t.t_ms, d := s.file_start,
                                   d2 := s.file_end, e := t.i, g := t.n)) AS k
        FROM t JOIN s USING (f) GROUP BY mid, rid
    ),
    p AS (
        SELECT f, first(cwd ORDER BY n) FILTER (WHERE coalesce(cwd, '') <> '') AS cwd FROM $U GROUP BY f
    ),
    r AS (
        SELECT t.* EXCLUDE (i), m.g AS i, s.file_start, s.file_end, p.cwd AS first_cwd, m.folder,
               m.stem, m.display, w.lines
        FROM w JOIN t ON t.i = w.k.i AND t.n = w.k.n
        JOIN s USING (f) JOIN p USING (f) JOIN $META m USING (f)
    )
    SELECT mid, rid, side, total, t_ms, file_start, file_end, i, n, lines,
           coalesce(speed = 'fast', false) AS fast, {_ROW} FROM r
"""
"""Each message's candidate line among a part of the files (one per (message.id, requestId)), with
its row and what the final choice among parts compares; `lines` counts the part's lines of it."""


def _events(duck: Any, scan: LineScan, seen: set[tuple[str, str]]) -> pa.Table:
    """The limit hits among a scan's lines (`seen`: the hits read so far, as (time, text))."""
    rows = duck.execute(f"SELECT f, n, t FROM {scan.table} WHERE t IS NOT NULL").fetchall()
    out = []
    for f, n, t in sorted(rows, key=lambda r: (scan.index[r[0]], r[1])):
        kind, ts, session, api_error, text, content, _model = t
        if not ((kind == "assistant" and api_error == "true") or kind == "system"):
            continue
        at = utc(ts)
        hit = None if at is None else limit_hit(text if kind == "assistant" else content, at)
        # a resumed session copies the message along with the rest: one hit, at its first place
        if hit is None or (str(ts), hit.message) in seen:
            continue
        seen.add((str(ts), hit.message))
        out.append(
            {
                "ts": at,
                "agent": CLAUDE_CODE,
                "kind": "limit_hit",
                "window": hit.window,
                "used_percent": None,
                "window_minutes": None,
                "resets_at": hit.resets_at,
                "model": hit.model,
                "message": hit.message,
                "session": session,
                "source_file": scan.display[f],
                "source_line": n,
            }
        )
    return arrays.table(out, EVENTS_SCHEMA)
