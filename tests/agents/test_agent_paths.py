"""Where agent logs are looked for: the standard places (`default_agent_paths`), and a config or
Codex home given as a directory."""

from __future__ import annotations

from pathlib import Path

from agent_helpers import CLAUDE, CODEX

from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers.agents import _jsonl_under, default_agent_paths


def _dirs(*paths: Path) -> None:
    for p in paths:
        p.mkdir(parents=True)


def test_the_standard_places_that_exist(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _dirs(
        home / ".claude" / "projects", home / ".config" / "claude" / "projects", home / ".codex" / "sessions"
    )
    # ~/.config/claude first (newer releases), then ~/.claude; Codex's sessions (no archive here).
    assert default_agent_paths({}, home) == [
        home / ".config" / "claude" / "projects",
        home / ".claude" / "projects",
        home / ".codex" / "sessions",
    ]
    xdg = tmp_path / "xdg"
    _dirs(xdg / "claude" / "projects")
    assert default_agent_paths({"XDG_CONFIG_HOME": str(xdg)}, home)[0] == xdg / "claude" / "projects"


def test_environment_variables_replace_the_defaults(tmp_path: Path) -> None:
    home = tmp_path / "home"
    a, b, codex = tmp_path / "a", tmp_path / "b", tmp_path / "cx"
    _dirs(
        home / ".claude" / "projects",
        a / "projects",
        b / "projects",
        codex / "sessions",
        codex / "archived_sessions",
    )
    # A comma-separated list, each a config directory or its projects/ folder; one that does not
    # exist is left out.
    env = {"CLAUDE_CONFIG_DIR": f"{a}, {b / 'projects'},{tmp_path / 'missing'}", "CODEX_HOME": str(codex)}
    assert default_agent_paths(env, home) == [
        a / "projects",
        b / "projects",
        codex / "sessions",
        codex / "archived_sessions",
    ]


def test_both_agents_in_one_call_are_two_sources() -> None:
    with Ledger.open([CLAUDE, CODEX]) as ledger:
        assert [s.format for s in ledger.sources] == ["claude-code", "codex"]
        assert ledger.tags == ["agent", "project", "sidechain"]
        rows = ledger.to_arrow()
        # 8 Claude Code messages, 4 Codex turns; Codex rows have no sidechain tag.
        assert rows.num_rows == 12
        assert (
            rows.filter(rows["agent"].to_numpy(zero_copy_only=False) == "codex")["sidechain"].null_count == 4
        )


def test_a_tree_given_twice_is_read_once() -> None:
    with Ledger.open([CLAUDE, CLAUDE / "projects"]) as ledger:
        assert len(ledger.sources) == 1
        assert ledger.account().rows_billed == 8


def test_the_walk_follows_links_to_files_not_to_folders(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    _dirs(root / "p1" / "s1" / "subagents", root / "p2", tmp_path / "elsewhere")
    for rel in ("p1/s1.jsonl", "p1/s1/subagents/agent-a.jsonl", "p2/b.jsonl", "p2/notes.txt"):
        (root / rel).write_text("{}\n")
    (tmp_path / "elsewhere" / "x.jsonl").write_text("{}\n")
    (root / "p2" / "linked.jsonl").symlink_to(tmp_path / "elsewhere" / "x.jsonl")
    (root / "p2" / "dangling.jsonl").symlink_to(tmp_path / "gone.jsonl")
    (root / "p3").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    found = [rel for _, rel in _jsonl_under(root)]
    assert found == ["p1/s1.jsonl", "p1/s1/subagents/agent-a.jsonl", "p2/b.jsonl", "p2/linked.jsonl"]
