"""`python -m inferonomics`: the command-line interface."""

from inferonomics.cli import main

main()
