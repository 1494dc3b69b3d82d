"""The `inferonomics` command: the nouns' commands assembled, and the one error boundary.

An `InferonomicsError` (bad input, bad options, an unknown model...) ends the run with one line
on stderr, `error: <what, where, what to do>`, and the exit code of the policy (0 success, even
with quarantined rows; 1 an input unusable as a whole; 2 a usage error; `docs/reliability.md`);
never a traceback.

A noun's module is imported, and its commands built, only when one of its commands is run (or
the whole list is wanted: `--help`, a mistyped command): a `bill` does not pay for the import of
every other command and the parsing of all their options (a tenth of a second of its fixed cost).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

from inferonomics.errors import InferonomicsError

NOUNS: dict[str, tuple[str, ...]] = {  # in the order their commands are registered
    # module in `inferonomics.cli` → the top-level commands and groups its `register` adds
    "report": ("report",),
    "bill": ("prices", "bill", "reconcile"),
    "ledger": ("import", "quarantine", "generate"),
    "levers": ("whatif", "playbook", "levers"),
    "agents": ("agents",),
    "cases": ("cases",),
    "export": ("export",),
    "serve": ("serve",),
    "plans": ("plans",),
}

SETTINGS: dict[str, Any] = {
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    "rich_markup_mode": None,
}


class _Commands(MutableMapping[str, Any]):
    """The top-level commands, each noun's built on first use (all of them when they are listed)."""

    def __init__(self) -> None:
        self._built: dict[str, dict[str, Any]] = {}

    def _noun(self, noun: str) -> dict[str, Any]:
        if noun not in self._built:
            module = importlib.import_module(f"inferonomics.cli.{noun}")
            part = typer.Typer(**SETTINGS)
            module.register(part)
            commands = dict(typer.main.get_group(part).commands)
            if set(commands) != set(NOUNS[noun]):
                raise AssertionError(f"cli.{noun} adds {tuple(commands)}; NOUNS says {NOUNS[noun]}")
            self._built[noun] = commands
        return self._built[noun]

    def _all(self) -> dict[str, Any]:
        # As Typer lists them: the commands, then the groups, each in the order they were added.
        every = [(name, cmd) for noun in NOUNS for name, cmd in self._noun(noun).items()]
        commands = [(n, c) for n, c in every if not isinstance(c, TyperGroup)]
        return dict(commands + [(n, c) for n, c in every if isinstance(c, TyperGroup)])

    def __getitem__(self, name: str) -> Any:
        for noun, names in NOUNS.items():
            if name in names:
                return self._noun(noun)[name]
        raise KeyError(name)

    def __setitem__(self, name: str, command: Any) -> None:
        raise TypeError("the commands are the nouns' (see NOUNS)")

    def __delitem__(self, name: str) -> None:
        raise TypeError("the commands are the nouns' (see NOUNS)")

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class _Nouns(TyperGroup):
    """The top-level group over `_Commands`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands()


app = typer.Typer(
    help="The economics of LLM inference: what usage costs, where the money goes, what would save, "
    "and what the same tokens cost on your own GPUs.",
    cls=_Nouns,
    **SETTINGS,
)


@app.callback()
def _root() -> None:
    # A callback makes the app a group even though it registers no command itself.
    pass


def main() -> None:
    """Run the CLI: user errors become one line on stderr and their exit code (1 or 2)."""
    try:
        app()
    except InferonomicsError as e:
        from rich.text import Text

        from inferonomics.cli._common import err, safe_text

        err().print(Text.assemble(("error: ", "red"), safe_text(" ".join(str(e).split()))))
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        from inferonomics.cli._common import err

        err().print("interrupted")
        sys.exit(130)
