"""CLI commands of the what-if levers (`inferonomics levers ...`, `whatif`, `playbook`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the levers' commands to the main app."""
