"""The command-line interface: one module per noun, each a thin view over the public API
(`import inferonomics`). `app` assembles them; `main` is the entry point, and the one place
where errors become messages."""

from inferonomics.cli.app import app, main

__all__ = ["app", "main"]
