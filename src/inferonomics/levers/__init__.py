"""levers."""
