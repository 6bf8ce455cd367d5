"""`ecomstat schedule ...`: crawl campaigns on cron (the service that runs them:
`ecomstat scheduler start`, in `scheduler_service.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, state
from ecomstat.scheduler.steps import STEPS

if TYPE_CHECKING:
    from types import ModuleType

app = typer.Typer(help="Crawl campaigns: what to run, when, and what happened.", no_args_is_help=True)


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
    indicators_method: Annotated[Optional[str], typer.Option(help="Method of the `indicators` step: naive | corrected | calibrated (default naive).")] = None,
    audit_set: Annotated[Optional[str], typer.Option(help="Audit set of the `indicators` step (default: the latest imported).")] = None,
    wave: Annotated[Optional[str], typer.Option(help="Wave of each run's steps: a wave (2026Q4) or a pattern of the fire time in ECOMSTAT_TIMEZONE: {year}Q{quarter}, {year}-{month:02} (fields year, quarter, month, day, week, half). Default: each step's own (docs/waves.md).")] = None,
) -> None:
    """Add a campaign: a cron trigger (read in ECOMSTAT_TIMEZONE, default UTC; @daily, @hourly,
    @weekly, @monthly, @yearly accepted) and the steps it runs, each once, in pipeline order."""
    st = state(ctx)
    from ecomstat.scheduler.campaigns import CampaignSpec

    spec = CampaignSpec(name, cron, steps.split(","), select, max_pages, retries, retry_delay, step_timeout, command,
                        indicators_method=indicators_method, audit_set=audit_set, wave=wave)
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
    indicators_method: Annotated[Optional[str], typer.Option(help="Method of the `indicators` step: naive | corrected | calibrated.")] = None,
    audit_set: Annotated[Optional[str], typer.Option(help="Audit set of the `indicators` step.")] = None,
    wave: Annotated[Optional[str], typer.Option(help="New wave rule (see `schedule add --help`); \"\" drops it.")] = None,
) -> None:
    """Change a campaign in place (only the options given); its run history stays."""
    st = state(ctx)
    given = {"cron": cron, "steps": steps.split(",") if steps is not None else None,
             "selection": select, "max_pages": max_pages, "retries": retries,
             "retry_delay": retry_delay, "step_timeout": step_timeout, "command": command,
             "indicators_method": indicators_method, "audit_set": audit_set, "wave": wave}
    changes = {key: value for key, value in given.items() if value is not None}
    if not changes:
        from ecomstat.scheduler.errors import InvalidCampaign

        raise InvalidCampaign("nothing to change: give at least one option (see --help)")
    campaign = _campaigns().edit(st.engine(), st.settings.database_url, name, changes)
    typer.echo(f"changed campaign {campaign.name}: {campaign.cron} -> {', '.join(campaign.steps)}")


LIST_COLUMNS = ["name", "cron", "timezone", "steps", "select", "state", "scheduler", "next_run",
                "last_run", "last_status", "last_skipped", "skip_reason", "wave"]


@app.command("list")
def list_(ctx: typer.Context, fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table) -> None:
    """List campaigns with their cron zone, next run, last run and its status, the last fire
    that was skipped and why, and whether a scheduler service is alive to run them (state
    `active` only then; `no-scheduler` when none beats)."""
    from ecomstat.scheduler.cron import configured_timezone
    from ecomstat.scheduler.liveness import scheduler_state

    engine = state(ctx).engine()
    zone = configured_timezone().key
    service = scheduler_state(engine, settings=state(ctx).settings)
    rows = [
        (s.campaign.name, s.campaign.cron, zone, ",".join(s.campaign.steps), s.campaign.selection,
         "paused" if s.campaign.paused else "active" if service.alive else "no-scheduler",
         service.describe(), s.next_run,
         s.last_run.started_at if s.last_run else None, s.last_run.status if s.last_run else None,
         s.last_skipped.scheduled_for if s.last_skipped else None,
         s.last_skipped.error if s.last_skipped else None,
         (s.campaign.options or {}).get("wave"))
        for s in _campaigns().status(engine)
    ]
    emit_rows(LIST_COLUMNS, rows, fmt)


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
    # this command's own run: a scheduler firing meanwhile records a newer (skipped) one
    run = _campaigns().get_run(engine, run_id)
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
    """Show campaign runs, newest first, with per-step status, duration and error (a running
    crawl step with its crawl run's live figures; skipped fires with the reason)."""
    from ecomstat.spiders.live import runs_of_campaign_runs

    engine = state(ctx).engine()
    entries = _campaigns().history(engine, name, limit)
    crawls = runs_of_campaign_runs(engine, [run.id for _, run in entries if run.status == "running"])
    if fmt is OutputFormat.json:
        for campaign_name, run in entries:
            emit_json_line({
                "campaign": campaign_name, "run": run.id, "status": run.status, "trigger": run.trigger,
                "wave": run.wave,
                "scheduled_for": run.scheduled_for, "started_at": run.started_at,
                "finished_at": run.finished_at, "error": run.error,
                "steps": [{k: v for k, v in s.items() if k != "output"} for s in run.steps or []],
                "crawl_runs": [f.summary() for f in crawls.get(run.id, [])],
            })
        return
    rows = [
        (campaign_name, run.id, run.trigger, run.status, run.started_at, run.finished_at,
         "; ".join(_step_text(s, crawls.get(run.id, [])) for s in run.steps or []),
         run.error, run.wave)
        for campaign_name, run in entries
    ]
    emit_rows(["campaign", "run", "trigger", "status", "started", "finished", "steps", "error", "wave"],
              rows, fmt)


def _step_text(step: dict[str, Any], crawls: Sequence[Any] = ()) -> str:
    """`crawl-sites=finished(3.7s, sites_done=5, pages=22)`: status, duration, top-level counts;
    a crawl step still running: its crawl run's live figures (`crawl run 12: 40/192 sites, ...`)."""
    counts = [f"{k}={v}" for k, v in (step.get("counts") or {}).items() if not isinstance(v, dict)]
    parts = [f"{step.get('seconds', '-')}s", *counts]
    if step.get("status") == "running" and step.get("step") == "crawl-sites" and crawls:
        live = crawls[-1].summary()
        parts = [f"crawl run {live['run_id']} {live['state']}: {live['sites_done']}/"
                 f"{live['sites_total']} sites, {live['pages']} pages, "
                 f"{live['pages_per_second']} pages/s (ecomstat crawl show {live['run_id']})"]
    return f"{step['step']}={step['status']}({', '.join(parts)})"
