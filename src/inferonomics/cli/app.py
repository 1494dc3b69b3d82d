"""The `inferonomics` command: the nouns' commands assembled, and the one error boundary.

An `InferonomicsError` (bad input, bad options, an unknown model...) ends the run with one line
on stderr, `error: <what, where, what to do>`, and the exit code of the policy (0 success, even
with quarantined rows; 1 an input unusable as a whole; 2 a usage error; `docs/reliability.md`);
never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from inferonomics.cli import (  # one noun a line: a new noun adds its own line
    agents,
    bill,
    cases,
    export,
    ledger,
    levers,
    plans,
    report,
    serve,
)
from inferonomics.cli._common import err, safe_text
from inferonomics.errors import InferonomicsError

app = typer.Typer(
    help="The economics of LLM inference: what usage costs, where the money goes, what would save, "
    "and what the same tokens cost on your own GPUs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

NOUNS = (  # in the order `inferonomics --help` lists them
    report,
    bill,
    ledger,
    levers,
    agents,
    cases,
    export,
    serve,
    plans,
)
for noun in NOUNS:
    noun.register(app)


def main() -> None:
    """Run the CLI: user errors become one line on stderr and their exit code (1 or 2)."""
    try:
        app()
    except InferonomicsError as e:
        err().print(Text.assemble(("error: ", "red"), safe_text(" ".join(str(e).split()))))
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err().print("interrupted")
        sys.exit(130)
