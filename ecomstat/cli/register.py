"""`ecomstat register ...`: the business register: import, list, candidates, discover, validate."""

import typer

app = typer.Typer(help="Import and validate the business register.", no_args_is_help=True)

# Feature modules add their commands to `app` when imported (see CONTRIBUTING.md).

from ecomstat.cli import register_import  # noqa: E402,F401  (register import, register list)
from ecomstat.cli import register_validation  # noqa: E402,F401  (candidates, discover, match, validate, report)
from ecomstat.cli import register_decisions  # noqa: E402,F401  (decide, link, decisions)
