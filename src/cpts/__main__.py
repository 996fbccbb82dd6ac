"""``python -m cpts``: the command line."""

from cpts.cli import app

app()
