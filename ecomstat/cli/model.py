"""`ecomstat model ...`: list, show, train and evaluate models."""

import typer

app = typer.Typer(help="List, show, train and evaluate models.", no_args_is_help=True)

# Feature modules add their commands to `app` when imported (see CONTRIBUTING.md).
