"""`ecomstat worker`: a Celery worker that crawls site batches queued by
`ecomstat crawl sites --distributed` into the store (thin shell over `spiders.distributed`)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ecomstat.cli.common import state

app = typer.Typer()


@app.command("worker")
def worker_command(
    ctx: typer.Context,
    broker: Annotated[Optional[str], typer.Option("--broker", help="Broker URL (default ECOMSTAT_BROKER_URL).")] = None,
    hostname: Annotated[Optional[str], typer.Option("--hostname", help="Worker name (default celery@host).")] = None,
) -> None:
    """Crawl queued site batches, one at a time, each in a subprocess; runs until stopped."""
    from ecomstat.spiders.distributed import run_worker

    st = state(ctx)
    st.engine()  # schema up to date before the first batch
    settings = st.settings.copy_with(ECOMSTAT_BROKER_URL=broker) if broker else st.settings
    run_worker(settings, hostname=hostname)
