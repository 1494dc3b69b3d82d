"""Codex CLI rollouts → ledger rows, rate-limit readings, and the account of every line.

A rollout line is `{"timestamp", "type", "payload"}` (codex-rs `RolloutLine`). The usage is in
`event_msg` lines whose payload is a `token_count` (`TokenCountEvent`): `info.total_token_usage`
(cumulative over the session) and `info.last_token_usage`, each a `TokenUsage` of
`input_tokens` (cached included), `cached_input_tokens`, `output_tokens` (reasoning included),
`reasoning_output_tokens` and `total_tokens` (= input + output), and `rate_limits`. The model is
the `turn_context` line's `payload.model`; the session is the `session_meta` line's `payload.id`,
its working directory `payload.cwd` (codex-rs `protocol.rs`, `rollout/recorder.rs`).

Per-turn usage is the difference of consecutive totals. `last_token_usage` is not summed: Codex
writes the same token count again (same totals, same `last_token_usage`) when only the rate
limits changed, so summing it counts turns twice (ccusage#884, #1288); where a turn's difference
and its `last_token_usage` disagree, the difference is kept and the run says how often. A
rollout without totals falls back to `last_token_usage`. A total that goes down is not a turn:
it is quarantined with its file and line, and the next turn is measured from it.

A rollout that continues another starts with a copy of it: a fork (`session_meta.forked_from_id`,
or a subagent's `source.subagent.thread_spawn.parent_thread_id`) replays the parent's history,
token counts included, and a session resumed into a new file (same session id) continues its
totals. The copied counts are not new usage (ccusage#1349, #1371): a leading token count whose
totals the earlier rollout (the parent's, or the same session's earlier file) already has sets
the baseline and is not counted; when the earlier rollout is not among the inputs, the leading
token counts written within 2.5 seconds of the fork's start are taken as its copy. A resumed
file's first turn is measured from the earlier file's last total it exceeds.

Uncached input = input − cached (OpenAI counts cached input inside input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from inferonomics import arrays
from inferonomics.ledger.readers.agents import CODEX, AgentFile
from inferonomics.ledger.readers.limits import limit_hit, utc
from inferonomics.ledger.readers.lines import LineScan, bad_lines, drop, keyed, scan_lines, temp_name
from inferonomics.ledger.schema import EVENTS_SCHEMA
from inferonomics.ledger.staging import QuarantineRecord

TAGS = ("agent", "project")
FORK_REPLAY_SECONDS = 2.5
"""A fork whose parent is not among the inputs: its token counts this close to its start are the
parent's, copied (the fork is written at once; a turn of its own takes a model call)."""

_COUNTS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens")
_WINDOW = ("used_percent", "window_minutes", "resets_at", "resets_in_seconds")
_PATHS = (
    "$.type",  # 1
    "$.timestamp",
    "$.payload.type",
    "$.payload.id",
    "$.payload.forked_from_id",  # 5
    "$.payload.cwd",
    "$.payload.model",
    "$.payload.source.subagent.thread_spawn.parent_thread_id",
    "$.payload.timestamp",
    "$.payload.model_provider",  # 10
    *(f"$.payload.info.total_token_usage.{c}" for c in _COUNTS),  # 11-15
    *(f"$.payload.info.last_token_usage.{c}" for c in _COUNTS),  # 16-20
    "$.payload.rate_limits",  # 21
    *(f"$.payload.rate_limits.primary.{c}" for c in _WINDOW),  # 22-25
    *(f"$.payload.rate_limits.secondary.{c}" for c in _WINDOW),  # 26-29
    "$.payload.rate_limits.primary_used_percent",  # 30
    "$.payload.rate_limits.secondary_used_percent",
    "$.payload.rate_limits.primary_window_minutes",
    "$.payload.rate_limits.secondary_window_minutes",
    "$.payload.rate_limits.limit_id",
    "$.payload.info.model",  # 35
)
_CANDIDATE = (
    "line LIKE '%\"token_count\"%' OR line LIKE '%\"turn_context\"%' OR line LIKE '%\"session_meta\"%'"
)
_TEXT_CANDIDATE = "NOT cand AND line LIKE '%\"type\":\"error\"%' AND line LIKE '%imit%'"
_TEXT_PATHS = ("$.type", "$.timestamp", "$.payload.type", "$.payload.message")
_UUID = r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$"


@dataclass
class Read:
    """What reading a set of Codex rollouts gives: the staged rows, the lines set aside, notes,
    rate-limit readings and limit hits."""

    part: Path
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: pa.Table = field(default_factory=lambda: arrays.empty(EVENTS_SCHEMA))


def _big(i: int) -> str:
    return f"TRY_CAST(v[{i}] AS BIGINT)"


def read(con: Any, files: Sequence[AgentFile], stage: Path, label: str) -> Read:
    """Read Codex rollouts (`files`, in a stable order) into one Parquet part in `stage`."""
    duck = con.con if hasattr(con, "con") else con
    scan = scan_lines(
        con,
        [a.path for a in files],
        [a.display for a in files],
        stage,
        candidate=_CANDIDATE,
        paths=_PATHS,
        text_candidate=_TEXT_CANDIDATE,
        text_paths=_TEXT_PATHS,
    )
    meta, e, tk, listing = (
        temp_name("cxfiles"),
        temp_name("cxlines"),
        temp_name("cxtokens"),
        temp_name("cxlist"),
    )
    keyed(
        con,
        scan,
        listing,
        pa.table(
            {
                "i": arrays.integers(range(len(files)), pa.int32()),
                "display": arrays.column([a.display for a in files], pa.string()),
            }
        ),
    )
    duck.execute(
        f"""CREATE TEMP TABLE {e} AS
        SELECT f, n, v FROM {scan.table}
        WHERE cand AND ok AND v[1] IN ('session_meta', 'turn_context', 'event_msg')"""
    )
    # One row per rollout: its own session (the first session_meta), what it continues, where.
    duck.execute(
        f"""CREATE TEMP TABLE {meta} AS
        WITH sm AS (
            SELECT f, first(v ORDER BY n) AS v, count(DISTINCT v[4]) AS metas FROM {e}
            WHERE v[1] = 'session_meta' GROUP BY f
        ),
        tc AS (SELECT f, first(v[6] ORDER BY n) FILTER (WHERE v[6] IS NOT NULL) AS cwd
               FROM {e} WHERE v[1] = 'turn_context' GROUP BY f),
        first_ts AS (SELECT f, min(v[2]) AS ts FROM {e} GROUP BY f)
        SELECT a.f, a.i, a.display,
               coalesce(nullif(sm.v[4], ''), regexp_extract(a.display, '{_UUID}', 1)) AS sid,
               nullif(coalesce(sm.v[5], sm.v[8]), '') AS parent,
               coalesce(sm.v[9], sm.v[2], first_ts.ts) AS start,
               coalesce(nullif(sm.v[6], ''), tc.cwd) AS cwd,
               coalesce(nullif(lower(sm.v[10]), ''), 'openai') AS provider,
               coalesce(sm.metas, 0) AS metas
        FROM {listing} a LEFT JOIN sm USING (f) LEFT JOIN tc USING (f) LEFT JOIN first_ts USING (f)"""
    )
    duck.execute(f"DROP TABLE {listing}")
    # Token counts with their model (the turn context before, else the first after) and totals.
    cols = ", ".join(
        [f"{_big(11 + i)} AS t{i}" for i in range(5)] + [f"{_big(16 + i)} AS l{i}" for i in range(5)]
    )
    duck.execute(
        f"""CREATE TEMP TABLE {tk} AS
        WITH t AS (
            SELECT f, n, v[2] AS ts, v[35] AS info_model, {cols}, v FROM {e}
            WHERE v[1] = 'event_msg' AND v[3] = 'token_count'
        ),
        c AS (SELECT f, n, v[7] AS model FROM {e} WHERE v[1] = 'turn_context' AND coalesce(v[7], '') <> ''),
        before AS (SELECT t.f, t.n, c.model FROM t ASOF JOIN c ON t.f = c.f AND t.n >= c.n),
        after AS (SELECT t.f, t.n, c.model FROM t ASOF JOIN c ON t.f = c.f AND t.n <= c.n)
        SELECT t.*, coalesce(nullif(t.info_model, ''), before.model, after.model) AS model,
               t.t4 IS NOT NULL OR t.t0 IS NOT NULL AS has_total,
               t.l4 IS NOT NULL OR t.l0 IS NOT NULL AS has_last
        FROM t LEFT JOIN before USING (f, n) LEFT JOIN after USING (f, n)"""
    )
    seq = temp_name("cxseq")
    replay_ms = f"{FORK_REPLAY_SECONDS * 1000:.0f}"
    same = " AND ".join(f"p.t{i} IS NOT DISTINCT FROM x.t{i}" for i in range(5))
    duck.execute(
        f"""CREATE TEMP TABLE {seq} AS
        WITH x AS (
            SELECT tk.*, m.sid, m.parent, m.start FROM {tk} tk JOIN {meta} m USING (f) WHERE has_total
        ),
        -- the rollouts each one continues: the same session's earlier files, and its parent's
        pred AS (
            SELECT a.f, b.f AS pf FROM {meta} a JOIN {meta} b
              ON b.f <> a.f AND ((b.sid = a.sid AND (b.start, b.display) < (a.start, a.display))
                                 OR b.sid = a.parent)
        ),
        known AS (SELECT DISTINCT pred.f, p.t0, p.t1, p.t2, p.t3, p.t4 FROM pred JOIN x p ON p.f = pred.pf),
        cand AS (
            SELECT x.*,
                   EXISTS (SELECT 1 FROM known p WHERE p.f = x.f AND {same})
                   OR (x.parent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pred WHERE pred.f = x.f)
                       AND TRY_CAST(x.ts AS TIMESTAMPTZ)
                           <= TRY_CAST(x.start AS TIMESTAMPTZ) + INTERVAL ({replay_ms}) MILLISECOND)
                   AS copied
            FROM x
        ),
        marked AS (
            SELECT *,
                   n < coalesce(min(n) FILTER (WHERE NOT copied) OVER (PARTITION BY f), 2147483647) AS replay,
                   lag(t0) OVER w AS p0, lag(t1) OVER w AS p1, lag(t2) OVER w AS p2, lag(t3) OVER w AS p3,
                   lag(t4) OVER w AS p4, row_number() OVER w AS k
            FROM cand WINDOW w AS (PARTITION BY f ORDER BY n)
        ),
        -- a continuation's first turn, with nothing copied before it: measured from the earlier
        -- rollout's last total it exceeds
        base AS (
            SELECT m.f, arg_max([p.t0, p.t1, p.t2, p.t3, p.t4], p.t4) AS b
            FROM marked m JOIN known p ON p.f = m.f
              AND p.t0 <= m.t0 AND p.t1 <= m.t1 AND p.t2 <= m.t2 AND p.t3 <= m.t3 AND p.t4 <= m.t4
            WHERE m.k = 1 AND NOT m.replay GROUP BY m.f
        )
        SELECT marked.* REPLACE (
                   CASE WHEN k = 1 THEN coalesce(base.b[1], 0) ELSE p0 END AS p0,
                   CASE WHEN k = 1 THEN coalesce(base.b[2], 0) ELSE p1 END AS p1,
                   CASE WHEN k = 1 THEN coalesce(base.b[3], 0) ELSE p2 END AS p2,
                   CASE WHEN k = 1 THEN coalesce(base.b[4], 0) ELSE p3 END AS p3,
                   CASE WHEN k = 1 THEN coalesce(base.b[5], 0) ELSE p4 END AS p4)
        FROM marked LEFT JOIN base USING (f)"""
    )
    usage = temp_name("cxusage")
    deltas = ", ".join(f"t{i} - p{i} AS d{i}" for i in range(5))
    duck.execute(
        f"""CREATE TEMP TABLE {usage} AS
        WITH d AS (SELECT s.*, m.i, {deltas} FROM {seq} s JOIN {meta} m USING (f) WHERE NOT replay),
        lastonly AS (
            SELECT tk.*, m.sid, m.i FROM {tk} tk JOIN {meta} m USING (f) WHERE NOT has_total AND has_last
        )
        SELECT f, i, n, ts, model, sid, t4 AS cum, d0, d1, d2, d3, d4,
               l0 IS NOT NULL AND (l0 IS DISTINCT FROM d0 OR l1 IS DISTINCT FROM d1 OR l2 IS DISTINCT FROM d2
                                   OR l3 IS DISTINCT FROM d3 OR l4 IS DISTINCT FROM d4) AS disagrees,
               CASE
                 WHEN least(d0, d1, d2, d3, d4) < 0 THEN
                   'total_token_usage went down (' || array_to_string(list_filter([
                     CASE WHEN d0 < 0 THEN 'input_tokens ' || p0 || ' -> ' || t0 END,
                     CASE WHEN d1 < 0 THEN 'cached_input_tokens ' || p1 || ' -> ' || t1 END,
                     CASE WHEN d2 < 0 THEN 'output_tokens ' || p2 || ' -> ' || t2 END,
                     CASE WHEN d3 < 0 THEN 'reasoning_output_tokens ' || p3 || ' -> ' || t3 END,
                     CASE WHEN d4 < 0 THEN 'total_tokens ' || p4 || ' -> ' || t4 END],
                     lambda x: x IS NOT NULL), ', ')
                   || '): totals are cumulative, so this is not one turn; the next turn is measured from it'
                 WHEN d1 > d0 THEN 'cached_input_tokens (' || d1 || ') exceed input_tokens (' || d0
                   || ') in this turn (OpenAI counts cached input inside input)'
               END AS problem,
               coalesce(d0, 0) = 0 AND coalesce(d1, 0) = 0 AND coalesce(d2, 0) = 0 AND coalesce(d3, 0) = 0
                 AND coalesce(d4, 0) = 0 AS repeat
        FROM d
        UNION ALL
        SELECT f, i, n, ts, model, sid, NULL, l0, l1, l2, l3, l4, false,
               CASE WHEN l1 > l0 THEN 'cached_input_tokens (' || l1 || ') exceed input_tokens (' || l0
                 || ') (OpenAI counts cached input inside input)' END,
               coalesce(l0, 0) = 0 AND coalesce(l2, 0) = 0
        FROM lastonly"""
    )
    part = stage / f"{temp_name('codex')}.parquet"
    duck.execute(
        f"""COPY (
        SELECT u.ts,
               'codex:' || coalesce(u.sid, m.display) || ':' || coalesce(u.cum::VARCHAR, 'line' || u.n)
                 AS request_id,
               m.provider, u.model, u.sid AS session,
               (coalesce(u.d0, 0) - coalesce(u.d1, 0))::VARCHAR AS input_tokens,
               u.d1::VARCHAR AS cache_read_tokens,
               u.d2::VARCHAR AS output_tokens,
               u.d3::VARCHAR AS reasoning_tokens,
               '{CODEX}' AS agent, m.cwd AS project,
               m.display AS _file, u.n AS _line
        FROM {usage} u JOIN {meta} m USING (f)
        WHERE u.problem IS NULL AND NOT u.repeat
        ORDER BY u.i, u.n
        ) TO '{part}' (FORMAT parquet)"""
    )
    result = Read(part)
    result.quarantine = bad_lines(con, scan) + [
        QuarantineRecord(
            scan.display[f], n, "total_token_usage" if "went down" in why else "cached_input_tokens", why
        )
        for f, n, why in duck.execute(
            f"SELECT f, n, problem FROM {usage} WHERE problem IS NOT NULL ORDER BY i, n"
        ).fetchall()
    ]
    counts = duck.execute(
        f"""SELECT
            (SELECT count(*) FROM {scan.table} WHERE ok) - (SELECT count(*) FROM {tk}),
            (SELECT count(*) FROM {tk} WHERE NOT has_total AND NOT has_last),
            (SELECT count(*) FROM {usage} WHERE repeat AND problem IS NULL),
            (SELECT count(*) FROM {seq} WHERE replay),
            (SELECT count(*) FROM {usage} WHERE disagrees AND problem IS NULL AND NOT repeat),
            (SELECT count(*) FROM {usage} WHERE model IS NULL AND problem IS NULL AND NOT repeat),
            (SELECT count(*) FROM {scan.files} WHERE lines = 0),
            (SELECT count(*) FROM {meta} WHERE parent IS NOT NULL),
            (SELECT count(*) FROM {meta} a WHERE parent IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM {meta} b WHERE b.sid = a.parent))"""
    ).fetchall()[0]
    assert counts is not None
    other, bare, repeats, replays, disagree, no_model, empty, forks, orphans = (int(c) for c in counts)
    notes = [
        f"{len(files):,} rollout files read ({forks:,} forked from another session)",
        f"{other:,} lines are not token counts (messages, tool calls, reasoning, turn contexts, session "
        "metadata): skipped",
        f"{bare:,} token counts without usage (rate-limit readings only)",
        f"{repeats:,} token counts repeat the previous totals (written again with new rate-limit "
        "readings): not counted again",
        f"{replays:,} token counts copied from the session this rollout continues (a fork's or a resumed "
        "session's history): not counted again",
        f"{disagree:,} turns whose last_token_usage differs from the difference of the totals: the "
        "difference is counted",
        f"{no_model:,} turns with no turn_context in their rollout (no model): quarantined",
        f"{orphans:,} forks whose parent session is not among the inputs: token counts within "
        f"{FORK_REPLAY_SECONDS} s of the fork's start taken as the parent's copy",
        f"{empty:,} files with no lines",
    ]
    result.notes = [f"{label}: {n}" for n in notes if not n.startswith("0 ")] + scan.notes
    result.events = _events(duck, scan, tk, seq, meta)
    for name in (usage, seq, tk, e, meta):
        duck.execute(f"DROP TABLE IF EXISTS {name}")
    drop(con, scan)
    return result


def _events(duck: Any, scan: LineScan, tk: str, seq: str, meta: str) -> pa.Table:
    """Rate-limit readings (one per window of each token count, but those of the history a fork
    copied: up to its last copied token count) and limit hits (error events saying a usage limit
    was reached)."""
    window = """CASE {m} WHEN 300 THEN '5h' WHEN 10080 THEN 'weekly' ELSE '{label}' END"""
    parts = []
    for label, used, minutes, epoch, secs, flat_used, flat_minutes in (
        ("primary", 22, 23, 24, 25, 30, 32),
        ("secondary", 26, 27, 28, 29, 31, 33),
    ):
        m = f"coalesce(TRY_CAST(v[{minutes}] AS BIGINT), TRY_CAST(v[{flat_minutes}] AS BIGINT))"
        parts.append(
            f"""SELECT t.ts, t.f, m.i, t.n, t.model, m.sid,
                   coalesce(TRY_CAST(v[{used}] AS DOUBLE), TRY_CAST(v[{flat_used}] AS DOUBLE))
                     AS used_percent,
                   {m} AS window_minutes, {window.format(m=m, label=label)} AS window,
                   coalesce(to_timestamp(TRY_CAST(v[{epoch}] AS DOUBLE)),
                            TRY_CAST(t.ts AS TIMESTAMPTZ) + to_seconds(TRY_CAST(v[{secs}] AS BIGINT)))
                     AS resets_at,
                   CASE WHEN v[34] IS NOT NULL AND v[34] <> 'codex' THEN 'limit ' || v[34] END AS message
            FROM {tk} t JOIN {meta} m USING (f)
            WHERE v[21] IS NOT NULL AND coalesce(v[{used}], v[{flat_used}]) IS NOT NULL
              AND t.n > coalesce((SELECT max(s.n) FROM {seq} s WHERE s.f = t.f AND s.replay), 0)"""
        )
    readings = duck.sql(
        f"""SELECT TRY_CAST(r.ts AS TIMESTAMPTZ) AS ts, '{CODEX}' AS agent, 'limit_reading' AS kind, r.window,
                   r.used_percent, r.window_minutes, r.resets_at, r.model, r.message, r.sid AS session,
                   m.display AS source_file, r.n::BIGINT AS source_line
            FROM ({" UNION ALL ".join(parts)}) r JOIN {meta} m USING (f)
            WHERE TRY_CAST(r.ts AS TIMESTAMPTZ) IS NOT NULL
            ORDER BY r.i, r.n, r.window_minutes"""
    ).to_arrow_table()
    readings = readings.cast(EVENTS_SCHEMA)
    hits = []
    sessions = dict(duck.execute(f"SELECT f, sid FROM {meta}").fetchall())
    rows = duck.execute(f"SELECT f, n, t FROM {scan.table} WHERE t IS NOT NULL").fetchall()
    for f, n, t in sorted(rows, key=lambda r: (scan.index[r[0]], r[1])):
        kind, ts, ptype, text = t
        if kind != "event_msg" or ptype != "error":
            continue
        at = utc(ts)
        hit = None if at is None else limit_hit(text, at)
        if hit is not None:
            hits.append(
                {
                    "ts": at,
                    "agent": CODEX,
                    "kind": "limit_hit",
                    "window": hit.window,
                    "resets_at": hit.resets_at,
                    "message": hit.message,
                    "session": sessions.get(f),
                    "source_file": scan.display[f],
                    "source_line": n,
                }
            )
    return pa.concat_tables([readings, pa.Table.from_pylist(hits, schema=EVENTS_SCHEMA)])
