"""The Claude Code reader's fast path against its reference: parsing only the lines a text test
picks (`claude_code.PREFILTER`, the default) must read exactly what parsing every line reads, on
generated trees with every quirk the reader handles: content-block repeats, resumed sessions'
copies, subagents and sidechain replays, 5-minute and 1-hour writes, limit messages, plus lines
added here: an unknown model, a message without an id, truncated and non-JSON lines, a half-written
last line, a blank line, Windows line ends, and text that mentions a usage key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inferonomics.ledger.agent_logs import write_claude_code_tree
from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers import claude_code

SID = "0b7e4c1d-2a3f-4e5d-9c6b-7a8f9e0d1c2b"


def _line(n: int, *, model: str = "claude-sonnet-4-5-20250929", mid: bool = True) -> str:
    message: dict[str, Any] = {
        "model": model,
        "id": f"msg_01Quirk{n:017d}",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": 'a "usage": {"input_tokens": 1} in the text'}],
        "usage": {
            "input_tokens": 3,
            "cache_creation_input_tokens": 700,
            "cache_read_input_tokens": 1_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 500},
            "output_tokens": 40 + n,
        },
    }
    if not mid:
        del message["id"]
    row = {
        "parentUuid": None,
        "isSidechain": False,
        "type": "assistant",
        "sessionId": SID,
        "cwd": "/w/quirks",
        "message": message,
        "requestId": f"req_011Quirk{n:015d}",
        "uuid": f"q{n}",
        "timestamp": f"2026-02-03T09:00:{n:02d}.000Z",
    }
    return json.dumps(row, separators=(",", ":"))


def _user_text(text: str) -> str:
    return json.dumps(
        {
            "type": "user",
            "sessionId": SID,
            "message": {"role": "user", "content": text},
            "timestamp": "2026-02-03T09:00:00.000Z",
        },
        separators=(",", ":"),
    )


def _tree(root: Path, seed: int) -> Path:
    tree = write_claude_code_tree(root, lines=2_500, seed=seed)
    assert min(tree.copied_lines, tree.subagent_files, tree.limit_messages) > 0
    files = sorted((root / "projects").rglob("*.jsonl"))
    first, second, last = files[0], files[1], files[-1]
    with first.open("a", encoding="utf-8") as f:
        f.write(_line(1, model="claude-unknown-9") + "\n")
        f.write(_line(2, mid=False) + "\n")
        f.write(_line(3)[:150] + "\n")  # cut short
        f.write("not json at all\n")
        f.write("\n")
        f.write(_user_text('he wrote "usage": {"output_tokens": 5} in a prompt') + "\n")
    with second.open("ab") as g:
        g.write((_line(4) + "\r\n").encode())
        g.write((_line(4) + "\r\n").encode())  # a repeat, Windows line ends
    with last.open("a", encoding="utf-8") as f:
        f.write(_line(5)[:-40])  # half written: no newline, not closed
    return root


def _read(root: Path) -> dict[str, Any]:
    with Ledger.open([root]) as ledger:
        return {
            "rows": ledger.to_arrow().to_pylist(),
            "quarantine": ledger.quarantine().to_pylist(),
            "notes": ledger.sources[0].notes,
            "events": ledger.events().to_pylist(),
            "account": ledger.account(),
        }


@pytest.mark.parametrize("seed", [2, pytest.param(9, marks=pytest.mark.slow)])
def test_the_prefiltered_scan_reads_what_parsing_every_line_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    root = _tree(tmp_path, seed)
    fast = _read(root)
    monkeypatch.setattr(claude_code, "PREFILTER", False)
    reference = _read(root)
    assert fast == reference
    # The quirks are there to be compared: three lines quarantined for their JSON, one for its id,
    # the unknown model billed (unpriced), the Windows-ended repeat counted once.
    reasons = [q["reason"] for q in fast["quarantine"]]
    assert sum("not valid JSON" in r for r in reasons) == 3
    assert sum("may be being written" in r for r in reasons) == 1
    assert sum("no message.id" in r for r in reasons) == 1
    models = [r["model"] for r in fast["rows"]]
    assert models.count("claude-unknown-9") == 1
    assert sum(r["request_id"].startswith("msg_01Quirk00000000000000004") for r in fast["rows"]) == 1
