"""Hostile and broken agent logs, each with its exact outcome: nothing lost (rows read = billed +
quarantined, skipped lines in notes), no traceback, user text never taken as markup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from agent_helpers import buckets, counts_of

from inferonomics.errors import InputError
from inferonomics.ledger.core import Ledger

SID = "7e0c1d2a-3b4c-4d5e-8f60-718293a4b5c6"


def _assistant(
    n: int, *, mid: str | None = "auto", model: str = "claude-sonnet-4-5-20250929", output: int = 10
) -> str:
    message: dict[str, Any] = {
        "model": model,
        "id": f"msg_01Test{n:018d}",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "ok"}],
        "usage": {
            "input_tokens": 5,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 100,
            "output_tokens": output,
        },
    }
    if mid is None:
        del message["id"]
    return json.dumps(
        {
            "parentUuid": None,
            "isSidechain": False,
            "type": "assistant",
            "sessionId": SID,
            "cwd": "/w",
            "message": message,
            "requestId": f"req_011Test{n:016d}",
            "uuid": f"u{n}",
            "timestamp": f"2026-02-01T10:00:{n:02d}.000Z",
        },
        separators=(",", ":"),
    )


def _user(n: int) -> str:
    return json.dumps(
        {
            "parentUuid": None,
            "isSidechain": False,
            "type": "user",
            "sessionId": SID,
            "cwd": "/w",
            "message": {"role": "user", "content": "hi"},
            "uuid": f"v{n}",
            "timestamp": f"2026-02-01T10:00:{n:02d}.000Z",
        },
        separators=(",", ":"),
    )


def _tree(root: Path, text: str, name: str = f"{SID}.jsonl") -> Path:
    folder = root / "projects" / "-w"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return root


def _read(root: Path) -> tuple[list[dict[str, Any]], dict[int, str], list[str]]:
    with Ledger.open([root]) as ledger:
        rows = ledger.to_arrow().to_pylist()
        reasons = {r["source_line"]: r["reason"] for r in ledger.quarantine().to_pylist()}
        account = ledger.account()
        notes = ledger.sources[0].notes
    assert account.rows_read == account.rows_billed + account.rows_quarantined
    return rows, reasons, notes


def test_a_truncated_line_and_a_line_that_is_not_json_are_quarantined(tmp_path: Path) -> None:
    cut = _assistant(2)[:90]
    rows, reasons, _ = _read(
        _tree(tmp_path, "\n".join([_assistant(1), cut, "garbage here", _assistant(4)]) + "\n")
    )
    assert [r["source_line"] for r in rows] == [1, 4]
    assert reasons == {
        2: "not valid JSON (truncated: the object is not closed; 90 characters)",
        3: "not valid JSON (12 characters)",
    }


def test_a_half_written_last_line_says_the_file_may_be_being_written(tmp_path: Path) -> None:
    rows, reasons, _ = _read(_tree(tmp_path, _assistant(1) + "\n" + _assistant(2)[:70]))
    assert [r["source_line"] for r in rows] == [1]
    assert reasons == {
        2: "not valid JSON (70 characters) and the file's last line has no newline: the file may be being "
        "written; read it again when it is finished"
    }


def test_a_complete_last_line_without_newline_is_read(tmp_path: Path) -> None:
    rows, reasons, _ = _read(_tree(tmp_path, _assistant(1) + "\n" + _assistant(2)))
    assert ([r["source_line"] for r in rows], reasons) == ([1, 2], {})


def test_a_message_without_id_is_quarantined_and_an_unknown_model_is_billed(tmp_path: Path) -> None:
    text = "\n".join([_assistant(1, mid=None), _assistant(2, model="claude-sonnet-9-9")]) + "\n"
    rows, reasons, _ = _read(_tree(tmp_path, text))
    assert [(r["source_line"], r["model"], r["provider"]) for r in rows] == [
        (2, "claude-sonnet-9-9", "anthropic")
    ]
    assert counts_of(rows[0]) == buckets(input_tokens=5, cache_read_tokens=100, output_tokens=10)
    assert reasons == {
        1: "no message.id: the lines of this message (one per content block) cannot be told from another's, "
        "so it is not counted"
    }


def test_an_empty_file_is_read_as_nothing_and_said_so(tmp_path: Path) -> None:
    root = _tree(tmp_path, "")
    (root / "projects" / "-w" / "other.jsonl").write_text(_user(1) + "\n" + _assistant(2) + "\n")
    rows, reasons, notes = _read(root)
    assert ([r["source_line"] for r in rows], reasons) == ([2], {})
    assert f"{root}: 1 files with no lines" in notes
    assert (
        f"{root}: 1 lines carry no usage (user messages, tool results, progress, system and summary lines, "
        "assistant lines without a usage object): skipped" in notes
    )


def test_an_empty_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        Ledger.open([tmp_path])
    assert str(e.value) == (
        f"{tmp_path}: is empty (looked for Claude Code transcripts (projects/<project>/<session>.jsonl, "
        "<session>/subagents/*.jsonl) and Codex rollouts (sessions/YYYY/MM/DD/rollout-*.jsonl), in it and "
        "below it); usage files in other formats are passed one by one"
    )


def test_a_directory_without_transcripts_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "usage.csv").write_text("ts,provider,model\n")
    (tmp_path / "notes.jsonl").write_text('{"a": 1}\n')
    with pytest.raises(
        InputError, match=r"is a directory with no transcripts in it \(looked for Claude Code"
    ):
        Ledger.open([tmp_path])
    with pytest.raises(InputError, match=r"is a directory \(pass the files in it\)"):
        Ledger.open([tmp_path], input_format="ledger-csv")


def test_other_jsonl_files_are_named_not_read(tmp_path: Path) -> None:
    root = _tree(tmp_path, _assistant(1) + "\n", name="a.jsonl")
    # A config directory: only its projects/ is read (history.jsonl and the like are not transcripts).
    (tmp_path / "history.jsonl").write_text('{"display": "hi"}\n')
    rows, _, notes = _read(root)
    assert len(rows) == 1
    assert not any("history" in n for n in notes)
    # Any other folder: every .jsonl is looked at; those of neither agent are named in a note.
    folder = tmp_path / "projects" / "-w"
    (folder / "stray.jsonl").write_text('{"a": 1}\n')
    rows, _, notes = _read(folder)
    assert len(rows) == 1
    assert f'{folder}: 1 .jsonl files that are not agent logs, not read: "stray.jsonl"' in notes


def test_a_file_that_is_not_utf8_is_read_with_its_bytes_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "projects" / "-w"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(
        _assistant(1).encode() + b"\n\xff\xfe not text\n" + _assistant(3).encode() + b"\n"
    )
    (folder / "b.jsonl").write_text(_assistant(4) + "\n")  # read beside it (in parallel, on 2 cores)
    rows, reasons, notes = _read(tmp_path)
    assert [(Path(r["source_file"]).name, r["source_line"]) for r in rows] == [
        ("a.jsonl", 1),
        ("a.jsonl", 3),
        ("b.jsonl", 1),
    ]
    assert reasons == {2: "not valid JSON (11 characters)"}
    assert f"{folder / 'a.jsonl'}: not valid UTF-8; undecodable bytes were replaced" in notes


def test_paths_with_glob_and_markup_characters_are_read_and_shown_as_written(tmp_path: Path) -> None:
    root = tmp_path / "[bold]team[red] *logs*"
    _tree(root, _assistant(1) + '\n{"type": [1,\n', name="[red]s.jsonl")
    result = subprocess.run(
        [sys.executable, "-m", "inferonomics", "bill", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "rows read 2 = billed 1 + quarantined 1" in result.stderr
    # The path is printed as it is (Rich would have eaten "[red]" as a style tag).
    assert (
        f"{root}/projects/-w/[red]s.jsonl line 2: not valid JSON (truncated: the object is not closed; "
        "12 characters)" in result.stderr
    )


def test_the_cli_refuses_an_empty_directory_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inferonomics", "bill", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1  # input unusable as a whole (errors.py exit-code policy)
    assert "Traceback" not in result.stderr
    assert "is empty (looked for Claude Code transcripts" in " ".join(result.stderr.split())
