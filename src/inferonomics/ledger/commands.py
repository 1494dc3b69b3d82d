"""CLI commands of the ledger's formats and exports (`import`, `reconcile`, `export focus`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the format commands to the main app."""
