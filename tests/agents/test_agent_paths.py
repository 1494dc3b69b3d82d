"""Where agent logs are looked for: the standard places (`default_agent_paths`), and a config or
Codex home given as a directory."""

from __future__ import annotations

from pathlib import Path

from agent_helpers import CLAUDE, CODEX

from inferonomics.ledger.core import Ledger
from inferonomics.ledger.readers.agents import default_agent_paths


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
