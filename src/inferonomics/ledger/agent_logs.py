"""Realistic coding-agent log trees, for tests and benchmarks: Claude Code transcripts and Codex
rollouts, written as the tools write them (field names, nesting, compact JSON, timestamps in
milliseconds with `Z`), as public transcripts and peers' fixtures show them (see
`docs/formats.md`).

`write_claude_code_tree(root, lines=700_000, seed=0)` writes `root/projects/<project>/<session>.jsonl`
files: sessions of turns whose cached prefix grows request by request (compacted when it nears
the context window), on Sonnet 4.5, Opus 4.5 / 4.6 and Haiku 4.5, with 5-minute or 1-hour cache
writes; each assistant message written as one line per content block (thinking, text, tool_use)
repeating `message.id`, `requestId` and `usage`, the early lines with a partial `output_tokens`;
user prompts, tool results, progress and system lines between; subagent transcripts in
`<session>/subagents/`; resumed sessions that copy the earlier session's lines into their own
file; a few usage-limit messages in the wording of the release that wrote them. It returns what it
wrote, so a reader can be checked against it.

`write_codex_tree(root, sessions=20, seed=0)` writes `root/sessions/YYYY/MM/DD/rollout-*.jsonl`
rollouts with cumulative token counts, the re-emitted counts Codex writes when only the rate
limits change, rate-limit readings, and a fork that replays its parent.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zoneinfo
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AgentTree", "write_claude_code_tree", "write_codex_tree"]

CLAUDE_MODELS = (
    ("claude-sonnet-4-5-20250929", 0.45),
    ("claude-opus-4-5-20251101", 0.25),
    ("claude-opus-4-6", 0.20),
    ("claude-haiku-4-5-20251001", 0.10),
)
BUCKETS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
)
_VERSIONS = (
    ("1.0.58", "Claude AI usage limit reached|{epoch}", "UTC"),
    ("1.0.119", "5-hour limit reached ∙ resets {clock}", "Europe/Berlin"),
    ("2.1.39", "You've hit your limit · resets {clock} (Europe/Paris)", "Europe/Paris"),
    ("2.1.201", "You've hit your session limit · resets {clock} (America/New_York)", "America/New_York"),
)
"""Claude Code releases and the wording of their usage-limit message (the zone of the user's clock)."""
_WORDS = (
    *("the", "a", "to", "of", "and", "in", "that", "is", "for", "it", "with", "as", "on", "be", "this"),
    *("by", "function", "return", "value", "file", "test", "error"),
)
_J = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass
class AgentTree:
    """What a generator wrote: lines and files, the distinct messages (turns) with their token
    totals by model, limit messages, and the resumed sessions' copied lines."""

    root: Path
    lines: int = 0
    files: int = 0
    messages: int = 0
    tokens: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    limit_messages: int = 0
    copied_lines: int = 0
    subagent_files: int = 0


_CORPUS = " ".join(random.Random(0).choices(_WORDS, k=40_000))
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _text(rng: random.Random, chars: int) -> str:
    """About `chars` characters of words (a slice of a fixed text, at a random place)."""
    chars = min(chars, len(_CORPUS) - 1)
    start = rng.randrange(len(_CORPUS) - chars)
    return _CORPUS[start : start + chars]


def _b62(rng: random.Random, n: int) -> str:
    v = rng.getrandbits(6 * n)
    out = []
    for _ in range(n):
        v, r = divmod(v, 62)
        out.append(_B62[r])
    return "".join(out)


def _ts(t: dt.datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Session:
    """One Claude Code session being written: its prefix, clock and lines."""

    def __init__(
        self,
        tree: AgentTree,
        rng: random.Random,
        cwd: str,
        start: dt.datetime,
        model: str,
        version: tuple[str, str, str],
        sid: str,
        side: str | None = None,
    ) -> None:
        self.tree, self.rng, self.cwd, self.t, self.model = tree, rng, cwd, start, model
        self.version, self.sid, self.side = version, sid, side
        self.prefix = 0  # tokens of the conversation already in the cache
        self.ttl = "ephemeral_1h_input_tokens" if rng.random() < 0.4 else "ephemeral_5m_input_tokens"
        self.parent: str | None = None
        self.lines: list[str] = []

    def _base(self, kind: str) -> dict[str, Any]:
        self.t += dt.timedelta(milliseconds=self.rng.randint(200, 25_000))
        base: dict[str, Any] = {
            "parentUuid": self.parent,
            "isSidechain": self.side is not None,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.sid,
            "version": self.version[0],
            "gitBranch": "main",
        }
        if self.side is not None:
            base["agentId"] = self.side
        base["type"] = kind
        return base

    def _emit(self, obj: dict[str, Any]) -> None:
        h = f"{self.rng.getrandbits(128):032x}"
        u = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:]}"
        obj["uuid"], obj["timestamp"] = u, _ts(self.t)
        self.parent = u
        self.lines.append(_J(obj))

    def user(self, text: str | None = None, tool_result: int = 0) -> int:
        """A user line (a prompt, or a tool result of about `tool_result` characters); its tokens."""
        o = self._base("user")
        if tool_result:
            content: Any = [
                {
                    "tool_use_id": f"toolu_01{self.rng.getrandbits(64):016x}",
                    "type": "tool_result",
                    "content": _text(self.rng, tool_result),
                }
            ]
        else:
            content = text or _text(self.rng, self.rng.randint(20, 600))
        o["message"] = {"role": "user", "content": content}
        self._emit(o)
        return max(1, (tool_result or len(str(content))) // 4)

    def progress(self) -> None:
        o = self._base("progress")
        o["data"] = {
            "type": "hook_progress",
            "hookEvent": "PostToolUse",
            "hookName": "PostToolUse:Read",
            "command": "callback",
        }
        self._emit(o)

    def assistant(self, new_tokens: int) -> None:
        """One model request: its message written as one line per content block."""
        rng, tree = self.rng, self.tree
        if self.prefix + new_tokens > 160_000:  # compaction: a summary replaces the conversation
            o = self._base("system")
            o.update(subtype="compact_boundary", content="Conversation compacted", isMeta=False, level="info")
            self._emit(o)
            self.prefix, new_tokens = 0, rng.randint(12_000, 24_000)
        write, read = new_tokens, self.prefix
        uncached = rng.randint(1, 12)
        output = rng.randint(20, 2_500)
        blocks = rng.choice(
            (
                ["text"],
                ["thinking", "text"],
                ["text", "tool_use"],
                ["thinking", "tool_use"],
                ["thinking", "text", "tool_use", "tool_use"],
            )
        )
        mid, rid = "msg_01" + _b62(rng, 22), "req_011C" + _b62(rng, 20)
        w5 = write if self.ttl.startswith("ephemeral_5m") else 0
        for i, block in enumerate(blocks):
            last = i == len(blocks) - 1
            usage = {
                "input_tokens": uncached,
                "cache_creation_input_tokens": write,
                "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": write - w5},
                "output_tokens": output if last else rng.randint(1, 12),
                "service_tier": "standard",
            }
            content: dict[str, Any]
            if block == "thinking":
                content = {
                    "type": "thinking",
                    "thinking": _text(rng, rng.randint(200, 2_500)),
                    "signature": "Eu8B",
                }
            elif block == "text":
                content = {"type": "text", "text": _text(rng, rng.randint(40, 1_400))}
            else:
                content = {
                    "type": "tool_use",
                    "id": f"toolu_01{rng.getrandbits(64):016x}",
                    "name": "Read",
                    "input": {"file_path": f"{self.cwd}/src/{_text(rng, 12).replace(' ', '_')}.py"},
                }
            o = self._base("assistant")
            o["message"] = {
                "model": self.model,
                "id": mid,
                "type": "message",
                "role": "assistant",
                "content": [content],
                "stop_reason": "tool_use" if last and block == "tool_use" else None,
                "stop_sequence": None,
                "usage": usage,
            }
            o["requestId"] = rid
            self._emit(o)
        tree.messages += 1
        totals = tree.tokens[self.model]
        totals["input_tokens"] += uncached
        totals["cache_read_tokens"] += read
        totals["cache_write_5m_tokens"] += w5
        totals["cache_write_1h_tokens"] += write - w5
        totals["output_tokens"] += output
        self.prefix += write + uncached + output

    def limit(self) -> None:
        """The synthetic message Claude Code writes when a usage limit is hit."""
        reset = (self.t + dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        local = reset.astimezone(zoneinfo.ZoneInfo(self.version[2]))
        clock = f"{(local.hour % 12) or 12}{'pm' if local.hour >= 12 else 'am'}"
        text = self.version[1].format(epoch=int(reset.timestamp()), clock=clock)
        o = self._base("assistant")
        o["message"] = {
            "id": _uuid(self.rng),
            "model": "<synthetic>",
            "role": "assistant",
            "type": "message",
            "stop_reason": "stop_sequence",
            "content": [{"type": "text", "text": text}],
            "usage": {
                "input_tokens": 0,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }
        o.update(error="rate_limit", isApiErrorMessage=True, apiErrorStatus=429)
        self._emit(o)
        self.tree.limit_messages += 1

    def turn(self) -> None:
        """A user prompt, then requests with tool results and progress lines between."""
        new = self.user() + self.rng.randint(0, 400)
        for _ in range(self.rng.randint(1, 8)):
            self.assistant(new)
            if self.rng.random() < 0.3:
                self.progress()
            new = self.user(tool_result=int(min(self.rng.expovariate(1 / 2_500), 60_000)) + 10)


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _pick_model(rng: random.Random) -> str:
    return rng.choices([m for m, _ in CLAUDE_MODELS], [w for _, w in CLAUDE_MODELS])[0]


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{8 + (int(h[16], 16) & 3):x}{h[17:20]}-{h[20:]}"


def write_claude_code_tree(
    root: str | Path,
    lines: int = 700_000,
    *,
    seed: int = 0,
    start: dt.datetime = dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    days: int = 28,
    projects: int = 24,
) -> AgentTree:
    """Write a Claude Code config tree of about `lines` lines under `root` (`root/projects/...`);
    return what was written. Deterministic for a seed."""
    rng = random.Random(seed)
    root = Path(root)
    tree = AgentTree(root)
    kinds = ("api", "web", "billing", "infra", "mobile", "docs", "data", "auth", "search", "ml")
    names = [f"{kinds[i % len(kinds)]}-{'service' if i % 3 else 'app'}-{i}" for i in range(projects)]
    recent: deque[tuple[Path, _Session]] = deque(maxlen=20)  # sessions a later one may resume
    while tree.lines < lines:
        name = rng.choice(names)
        cwd = f"/home/dev/src/{name}"
        folder = root / "projects" / "".join(c if c.isalnum() else "-" for c in cwd)
        t0 = start + dt.timedelta(seconds=rng.uniform(0, days * 86_400))
        s = _Session(tree, rng, cwd, t0, _pick_model(rng), rng.choice(_VERSIONS), _uuid(rng))
        s.lines.append(
            _J(
                {
                    "type": "file-history-snapshot",
                    "messageId": _uuid(rng),
                    "snapshot": {"messageId": _uuid(rng), "trackedFileBackups": {}, "timestamp": _ts(t0)},
                    "isSnapshotUpdate": False,
                }
            )
        )
        if recent and rng.random() < 0.03:  # resumed: the earlier session's lines copied, under the new id
            folder, earlier = rng.choice(recent)
            copied = [
                line.replace(earlier.sid, s.sid)
                for line in earlier.lines
                if '"type":"file-history' not in line
            ]
            s.lines.extend(copied)
            s.t = max(s.t, earlier.t) + dt.timedelta(minutes=5)
            s.prefix, s.model, s.cwd = earlier.prefix, earlier.model, earlier.cwd
            tree.copied_lines += len(copied)
        for _ in range(rng.randint(1, 12)):
            s.turn()
            if rng.random() < 0.12:  # a subagent: its own transcript beside the session
                side = _Session(
                    tree,
                    rng,
                    s.cwd,
                    s.t,
                    rng.choice((s.model, "claude-haiku-4-5-20251001")),
                    s.version,
                    s.sid,
                    side=f"a{rng.getrandbits(24):06x}",
                )
                side.user(text=_text(rng, 300))
                for _ in range(rng.randint(2, 10)):
                    side.assistant(side.user(tool_result=rng.randint(200, 8_000)))
                _write(folder / s.sid / "subagents" / f"agent-{side.side}.jsonl", side.lines)
                tree.lines += len(side.lines)
                tree.files += 1
                tree.subagent_files += 1
        if rng.random() < 0.02 or len(recent) == 1:
            s.limit()
        _write(folder / f"{s.sid}.jsonl", s.lines)
        tree.lines += len(s.lines)
        tree.files += 1
        recent.append((folder, s))
    return tree


def _codex_line(t: dt.datetime, kind: str, payload: dict[str, Any]) -> str:
    return _J({"timestamp": _ts(t), "type": kind, "payload": payload})


def write_codex_tree(
    root: str | Path,
    sessions: int = 20,
    *,
    seed: int = 0,
    start: dt.datetime = dt.datetime(2026, 2, 2, tzinfo=dt.UTC),
) -> AgentTree:
    """Write Codex rollouts under `root/sessions/YYYY/MM/DD/`; the last is a fork of the first,
    replaying its history before a turn of its own. Returns what was written (turns = messages)."""
    rng = random.Random(seed)
    root = Path(root)
    tree = AgentTree(root)
    histories: list[tuple[str, list[str], list[int], dt.datetime]] = []
    for i in range(sessions):
        fork = i == sessions - 1 and histories
        sid, t = _uuid(rng), start + dt.timedelta(hours=rng.uniform(0, 24 * 20))
        model = rng.choice(("gpt-5.3-codex", "gpt-5.2-codex", "gpt-5.1-codex-max"))
        meta: dict[str, Any] = {
            "id": sid,
            "timestamp": _ts(t),
            "cwd": f"/home/dev/src/proj-{i % 5}",
            "originator": "codex_cli_rs",
            "cli_version": "0.104.0",
            "source": "cli",
            "model_provider": "openai",
        }
        out = []
        totals = [0, 0, 0, 0, 0]
        if fork:
            parent_id, parent_lines, totals, _ = histories[0]
            meta["forked_from_id"] = parent_id
            out.append(_codex_line(t, "session_meta", meta))
            out.extend(parent_lines)  # the parent's history (its session_meta first), copied as it was
            totals = list(totals)
        else:
            out.append(_codex_line(t, "session_meta", meta))
        primary = rng.uniform(0, 40)
        for _ in range(rng.randint(2, 12)):
            t += dt.timedelta(seconds=rng.uniform(5, 120))
            out.append(
                _codex_line(
                    t,
                    "turn_context",
                    {"cwd": meta["cwd"], "approval_policy": "on-request", "model": model, "effort": "high"},
                )
            )
            for _ in range(rng.randint(1, 5)):
                t += dt.timedelta(seconds=rng.uniform(3, 40))
                inp = rng.randint(2_000, 60_000)
                cached = int(inp * rng.uniform(0.0, 0.95)) // 128 * 128
                outp = rng.randint(50, 3_000)
                reasoning = rng.randint(0, outp)
                last = [inp, cached, outp, reasoning, inp + outp]
                totals = [a + b for a, b in zip(totals, last, strict=True)]
                primary = min(100.0, primary + rng.uniform(0, 2))
                limits = {
                    "limit_id": "codex",
                    "limit_name": None,
                    "primary": {
                        "used_percent": round(primary, 1),
                        "window_minutes": 300,
                        "resets_at": int((t + dt.timedelta(hours=3)).timestamp()),
                    },
                    "secondary": {
                        "used_percent": round(primary / 5, 1),
                        "window_minutes": 10080,
                        "resets_at": int((t + dt.timedelta(days=4)).timestamp()),
                    },
                    "credits": {"has_credits": False, "unlimited": False, "balance": None},
                    "plan_type": None,
                }
                keys = (
                    "input_tokens",
                    "cached_input_tokens",
                    "output_tokens",
                    "reasoning_output_tokens",
                    "total_tokens",
                )
                info = {
                    "total_token_usage": dict(zip(keys, totals, strict=True)),
                    "last_token_usage": dict(zip(keys, last, strict=True)),
                    "model_context_window": 258400,
                }
                out.append(
                    _codex_line(t, "event_msg", {"type": "token_count", "info": info, "rate_limits": limits})
                )
                # the same count again, as Codex writes it when the rate limits are read again
                out.append(
                    _codex_line(
                        t + dt.timedelta(milliseconds=900),
                        "event_msg",
                        {"type": "token_count", "info": info, "rate_limits": limits},
                    )
                )
                tree.messages += 1
                c = tree.tokens[model]
                c["input_tokens"] += inp - cached
                c["cache_read_tokens"] += cached
                c["output_tokens"] += outp
                c["reasoning_tokens"] += reasoning
        day = root / "sessions" / f"{t:%Y/%m/%d}"
        path = day / f"rollout-{t:%Y-%m-%dT%H-%M-%S}-{sid}.jsonl"
        _write(path, out)
        histories.append((sid, out, totals, t))
        tree.lines += len(out)
        tree.files += 1
    return tree
