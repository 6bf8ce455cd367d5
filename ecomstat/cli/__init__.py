"""The `ecomstat` command line: a thin shell over the library.

Each sub-command lives in its own module under `ecomstat/cli/` and makes one library call;
library errors (`EcomstatError`) become one line on stderr and an exit code (2 = bad input).
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from ecomstat import __version__
from ecomstat.cli.common import CliState, fail, report_error
from ecomstat.errors import EcomstatError
from ecomstat.settings import get_settings

class EcomstatGroup(TyperGroup):
    """Root command group: an `EcomstatError` from any sub-command becomes one line on stderr
    and its exit code (2 for bad input), also under `CliRunner` in tests."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EcomstatError as exc:
            report_error(str(exc))
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=EcomstatGroup,
    name="ecomstat",
    help="Web intelligence for official e-commerce and digital-economy statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module under ecomstat.cli, sub-command group name or None for top-level commands)
COMMAND_MODULES: list[tuple[str, str | None]] = [
    ("db", "db"),
    ("query", None),
    ("register", "register"),
    ("classify", "classify"),
    ("model", "model"),
    ("indicators", "indicators"),
    ("sampleweb", "sample-web"),
    ("crawl", "crawl"),
    ("worker", None),
    ("audit", "audit"),
    ("report", None),
    ("schedule", "schedule"),
    ("scheduler_service", "scheduler"),
    ("demo", None),
    ("waves", "waves"),
    ("changes", None),
    ("serve", None),
    ("user", "user"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ecomstat {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Optional[str],
        typer.Option(
            "--db",
            envvar="ECOMSTAT_DATABASE_URL",
            help="Database URL (sqlite:///file.db or postgresql://...) or a SQLite file path.",
            show_default="sqlite:///ecomstat.db",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = CliState(get_settings(ECOMSTAT_DATABASE_URL=db))


def _register_commands() -> None:
    for module_name, group in COMMAND_MODULES:
        module = importlib.import_module(f"ecomstat.cli.{module_name}")
        sub = module.app
        if group is None:
            for command in sub.registered_commands:
                app.registered_commands.append(command)
        else:
            app.add_typer(sub, name=group)


_register_commands()


def main() -> None:
    """Console-script entry point: run the app, one line per error, never a traceback for
    a user mistake."""
    # click's UsageError (bad option or argument), wherever this typer keeps click (0.2x
    # vendors it); BadParameter is public in every version and derives from it.
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    try:
        code = app(standalone_mode=False)
    except EcomstatError as exc:  # raised outside a command (e.g. while parsing settings)
        fail(str(exc), exc.exit_code)
    except usage_error as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: typer showed its help
            sys.exit(exc.exit_code)
        where = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "ecomstat"
        fail(f"{where}: {exc.format_message()} (see '{where} --help')", exc.exit_code)
    except typer.Abort:  # Ctrl-C at a prompt or while parsing
        report_error("interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
