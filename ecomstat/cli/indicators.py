"""`ecomstat indicators ...`: e-commerce adoption, SDG 9.c.1 coverage, SDG 17.8.1 internet use."""

import typer

app = typer.Typer(help="Build and show indicators.", no_args_is_help=True)

# Feature modules add their commands to `app` when imported (see CONTRIBUTING.md).

import ecomstat.cli.indicators_adoption  # noqa: E402,F401  (indicators build/show)
import ecomstat.cli.indicators_mobile  # noqa: E402,F401  (indicators coverage/internet-use)
