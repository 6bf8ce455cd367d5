"""`ecomstat schedule ...`: crawl campaigns on cron, and `ecomstat scheduler start`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, state
from ecomstat.scheduler.steps import STEPS

if TYPE_CHECKING:
    from types import ModuleType

app = typer.Typer(help="Crawl campaigns: what to run, when, and what happened.", no_args_is_help=True)
service_app = typer.Typer(help="The scheduler service that runs the campaigns.", no_args_is_help=True)


def _campaigns() -> ModuleType:
    """ecomstat.scheduler.campaigns loads APScheduler and SQLAlchemy: only when a command runs."""
    from ecomstat.scheduler import campaigns

    return campaigns


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Campaign name (letters, digits, - and _).")],
    cron: Annotated[str, typer.Option(help='Cron expression, e.g. "0 2 1 * *" (6 fields = with seconds).')],
    steps: Annotated[str, typer.Option(help=f"Comma-separated steps: {', '.join(STEPS)}.")],
    select: Annotated[str, typer.Option(help="Sites to crawl: all, missing or stale:DAYS.")] = "all",
    max_pages: Annotated[Optional[int], typer.Option(help="Pages per site for crawl steps.")] = None,
    retries: Annotated[int, typer.Option(help="Retries of a failing step before the run fails.")] = 1,
    retry_delay: Annotated[float, typer.Option(help="Seconds between retries.")] = 30.0,
    step_timeout: Annotated[Optional[float], typer.Option(help="Seconds after which a step is killed.")] = None,
    command: Annotated[Optional[str], typer.Option(help="Program run by the `command` step.")] = None,
) -> None:
    """Add a campaign: a cron trigger and the steps it runs in order."""
    st = state(ctx)
    from ecomstat.scheduler.campaigns import CampaignSpec

    spec = CampaignSpec(name, cron, steps.split(","), select, max_pages, retries, retry_delay, step_timeout, command)
    campaign = _campaigns().add(st.engine(), st.settings.database_url, spec)
    typer.echo(f"added campaign {campaign.name}: {campaign.cron} -> {', '.join(campaign.steps)}")


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Campaign to change.")],
    cron: Annotated[Optional[str], typer.Option(help="New cron expression.")] = None,
    steps: Annotated[Optional[str], typer.Option(help=f"New comma-separated steps: {', '.join(STEPS)}.")] = None,
    select: Annotated[Optional[str], typer.Option(help="Sites to crawl: all, missing or stale:DAYS.")] = None,
    max_pages: Annotated[Optional[int], typer.Option(help="Pages per site for crawl steps.")] = None,
    retries: Annotated[Optional[int], typer.Option(help="Retries of a failing step.")] = None,
    retry_delay: Annotated[Optional[float], typer.Option(help="Seconds between retries.")] = None,
    step_timeout: Annotated[Optional[float], typer.Option(help="Seconds after which a step is killed.")] = None,
    command: Annotated[Optional[str], typer.Option(help="Program run by the `command` step.")] = None,
) -> None:
    """Change a campaign in place (only the options given); its run history stays."""
    st = state(ctx)
    given = {"cron": cron, "steps": steps.split(",") if steps is not None else None,
             "selection": select, "max_pages": max_pages, "retries": retries,
             "retry_delay": retry_delay, "step_timeout": step_timeout, "command": command}
    changes = {key: value for key, value in given.items() if value is not None}
    if not changes:
        from ecomstat.scheduler.errors import InvalidCampaign

        raise InvalidCampaign("nothing to change: give at least one option (see --help)")
    campaign = _campaigns().edit(st.engine(), st.settings.database_url, name, changes)
    typer.echo(f"changed campaign {campaign.name}: {campaign.cron} -> {', '.join(campaign.steps)}")


@app.command("list")
def list_(ctx: typer.Context, fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table) -> None:
    """List campaigns with their next run, last run and its status."""
    rows = [
        (s.campaign.name, s.campaign.cron, ",".join(s.campaign.steps), s.campaign.selection,
         "paused" if s.campaign.paused else "active", s.next_run,
         s.last_run.started_at if s.last_run else None, s.last_run.status if s.last_run else None)
        for s in _campaigns().status(state(ctx).engine())
    ]
    emit_rows(["name", "cron", "steps", "select", "state", "next_run", "last_run", "last_status"], rows, fmt)


@app.command("pause")
def pause(ctx: typer.Context, name: str) -> None:
    """Pause a campaign (its cron trigger stops firing)."""
    _campaigns().set_paused(state(ctx).engine(), name, True)
    typer.echo(f"paused {name}")


@app.command("resume")
def resume(ctx: typer.Context, name: str) -> None:
    """Resume a paused campaign."""
    _campaigns().set_paused(state(ctx).engine(), name, False)
    typer.echo(f"resumed {name}")


@app.command("remove")
def remove(ctx: typer.Context, name: str) -> None:
    """Remove a campaign and its job (its run history is deleted with it)."""
    _campaigns().remove(state(ctx).engine(), name)
    typer.echo(f"removed {name}")


@app.command("run-now")
def run_now(ctx: typer.Context, name: str) -> None:
    """Run a campaign now, in this process (refused while a run of it is going on); SIGTERM or
    Ctrl-C interrupts the current step and records the run as interrupted."""
    from ecomstat.scheduler.jobs import run_now as run_in_this_process

    st = state(ctx)
    engine = st.engine()
    run_id = run_in_this_process(engine, st.settings.database_url, _campaigns().get(engine, name))
    if run_id is None:
        from ecomstat.scheduler.errors import CampaignBusy

        raise CampaignBusy(f"campaign {name} is already running")
    _, run = _campaigns().history(engine, name, limit=1)[0]
    typer.echo(f"run {run_id} of {name}: {run.status}" + (f" ({run.error})" if run.error else ""))
    if run.status != "finished":
        raise typer.Exit(1)


@app.command("history")
def history(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Argument(help="Only this campaign.")] = None,
    limit: int = 50,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Show campaign runs, newest first, with per-step status, duration and error."""
    entries = _campaigns().history(state(ctx).engine(), name, limit)
    if fmt is OutputFormat.json:
        for campaign_name, run in entries:
            emit_json_line({
                "campaign": campaign_name, "run": run.id, "status": run.status, "trigger": run.trigger,
                "scheduled_for": run.scheduled_for, "started_at": run.started_at,
                "finished_at": run.finished_at, "error": run.error,
                "steps": [{k: v for k, v in s.items() if k != "output"} for s in run.steps or []],
            })
        return
    rows = [
        (campaign_name, run.id, run.trigger, run.status, run.started_at, run.finished_at,
         "; ".join(_step_text(s) for s in run.steps or []),
         run.error)
        for campaign_name, run in entries
    ]
    emit_rows(["campaign", "run", "trigger", "status", "started", "finished", "steps", "error"], rows, fmt)


def _step_text(step: dict[str, Any]) -> str:
    """`crawl-sites=finished(3.7s, sites_done=5, pages=22)`: status, duration, top-level counts."""
    counts = [f"{k}={v}" for k, v in (step.get("counts") or {}).items() if not isinstance(v, dict)]
    parts = [f"{step.get('seconds', '-')}s", *counts]
    return f"{step['step']}={step['status']}({', '.join(parts)})"


@service_app.command("start")
def start(ctx: typer.Context) -> None:
    """Run the scheduler service until SIGTERM/Ctrl-C (runs campaigns on their cron triggers)."""
    from ecomstat.scheduler.service import SchedulerService

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    st = state(ctx)
    st.engine()
    SchedulerService(st.settings).run()
