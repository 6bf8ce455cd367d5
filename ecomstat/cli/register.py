"""`ecomstat register ...`: the business register: import, list, candidates, discover, validate."""

import typer

app = typer.Typer(help="Import and validate the business register.", no_args_is_help=True)

# Feature modules add their commands to `app` when imported (see CONTRIBUTING.md).
