"""`ecomstat model ...`: list, show, train and evaluate models."""

import typer

app = typer.Typer(help="List, show, train and evaluate models.", no_args_is_help=True)

# Feature modules add their commands to `app` when imported (see CONTRIBUTING.md).

train_app = typer.Typer(help="Train a model: `ecomstat model train KIND ...`.", no_args_is_help=True)
app.add_typer(train_app, name="train")
import ecomstat.cli.classify_products  # noqa: E402,F401  (model train products)
import ecomstat.cli.model_commands  # noqa: E402,F401  (model list/show/evaluate, train ecommerce)
