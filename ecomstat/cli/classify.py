"""`ecomstat classify ...`: label pages, titles, and what is in the store."""

import typer

app = typer.Typer(help="Classify pages, product titles and stored sites/products.", no_args_is_help=True)

# Feature modules add their commands to `app` when imported (see CONTRIBUTING.md).
import ecomstat.cli.classify_products  # noqa: E402,F401  (classify titles/products)
import ecomstat.cli.classify_pages  # noqa: E402,F401  (classify page/sites)
