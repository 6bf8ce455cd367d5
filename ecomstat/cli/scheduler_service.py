"""`ecomstat scheduler start`: the service that runs the campaigns `ecomstat schedule ...`
defines."""

from __future__ import annotations

import logging

import typer

from ecomstat.cli.common import state

app = typer.Typer(help="The scheduler service that runs the campaigns.", no_args_is_help=True)


@app.command("start")
def start(ctx: typer.Context) -> None:
    """Run the scheduler service until SIGTERM/Ctrl-C (runs campaigns on their cron triggers)."""
    from ecomstat.scheduler.service import SchedulerService

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    st = state(ctx)
    st.engine()
    SchedulerService(st.settings).run()
