"""The command-line interface: parses arguments, calls the library, prints. No economics here."""

from __future__ import annotations

import typer

from inferonomics.serving.cli import app as serve_app

app = typer.Typer(
    help="The economics of LLM inference: what usage costs, where the money goes, what would save.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(serve_app, name="serve")


def main() -> None:
    app()
