"""CLI commands of the serving model (`inferonomics serve ...`)."""

import typer

app = typer.Typer(help="True cost: the first-principles serving model.", no_args_is_help=True)
