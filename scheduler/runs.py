"""Campaign runs in the store: claiming a fire time, heartbeats, recording steps, recovery.

No-overlap rule, across processes and machines: a run is claimed by inserting
(campaign, scheduled_for), which is unique, so one scheduler wins each fire time; the winner
then checks that no earlier run of the campaign is still alive (fresh heartbeat, or a live
process on this host) and otherwise stands down. The check and the insert happen in one
transaction holding the campaign row's write lock (`store.lock_row`: a row lock on PostgreSQL,
the database write lock on SQLite), so claims of one campaign from any number of scheduler
processes are serialised by the database. Runs whose process died are marked `interrupted` by
the next scheduler that looks.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from ecomstat.spiders.live import aware, pid_alive  # one rule for crawl and campaign runs
from ecomstat.store import lock_row, transaction
from ecomstat.store.models import Campaign, CampaignRun, utcnow

HEARTBEAT_SECONDS = 10.0
STALE_AFTER_SECONDS = 60.0
HOST = socket.gethostname()


def is_alive(run: CampaignRun, now: dt.datetime | None = None) -> bool:
    """A running run is alive while its process lives (same host) and its heartbeat is fresh."""
    now = now or utcnow()
    if run.host == HOST and run.pid is not None and not pid_alive(run.pid):
        return False
    beat = aware(run.heartbeat_at) or aware(run.started_at)
    return beat is not None and (now - beat).total_seconds() < STALE_AFTER_SECONDS


def claim(
    engine: Engine, campaign: Campaign, scheduled_for: dt.datetime, trigger: str
) -> CampaignRun | None:
    """Insert the run for this fire time; None when another process has it or a previous run
    of the campaign is still alive (that attempt is recorded as `skipped`). Under the campaign
    row's lock: look, then insert `running` or `skipped`, while every other claimant waits."""
    now = utcnow()
    try:
        with transaction(engine) as session:
            if not lock_row(session, Campaign.name, campaign.id):
                return None  # removed meanwhile
            taken = session.scalar(select(CampaignRun.id).where(
                CampaignRun.campaign_id == campaign.id, CampaignRun.scheduled_for == scheduled_for))
            if taken is not None:
                return None
            others = session.scalars(select(CampaignRun).where(
                CampaignRun.campaign_id == campaign.id, CampaignRun.status == "running")).all()
            blocking = [o for o in others if is_alive(o, now)]
            run = CampaignRun(
                campaign_id=campaign.id, status="skipped" if blocking else "running", trigger=trigger,
                started_at=now, scheduled_for=scheduled_for, heartbeat_at=now, host=HOST,
                pid=os.getpid(), steps=[],
                finished_at=now if blocking else None,
                error=f"previous run {blocking[0].id} of {campaign.name} is still running" if blocking else None,
            )
            session.add(run)
    except IntegrityError:  # a claimant that did not take the lock (an older version) won
        return None
    return None if blocking else run


def heartbeat(engine: Engine, run_ids: list[int]) -> None:
    if not run_ids:
        return
    with transaction(engine) as session:
        session.execute(
            update(CampaignRun).where(CampaignRun.id.in_(run_ids)).values(heartbeat_at=utcnow())
        )


def record_steps(engine: Engine, run_id: int, steps: list[dict[str, Any]]) -> None:
    with transaction(engine) as session:
        session.execute(update(CampaignRun).where(CampaignRun.id == run_id).values(steps=steps))


def finish(engine: Engine, run_id: int, status: str, steps: list[dict[str, Any]], error: str | None) -> None:
    with transaction(engine) as session:
        session.execute(
            update(CampaignRun).where(CampaignRun.id == run_id).values(
                status=status, steps=steps, error=error, finished_at=utcnow(), heartbeat_at=utcnow()
            )
        )


def recover_interrupted(engine: Engine) -> list[int]:
    """Mark runs whose process died as interrupted (their running step too). Returns their ids."""
    now = utcnow()
    recovered = []
    with transaction(engine) as session:
        running = session.scalars(select(CampaignRun).where(CampaignRun.status == "running")).all()
        for run in running:
            if is_alive(run, now):
                continue
            steps = [dict(s) for s in (run.steps or [])]
            for step in steps:
                if step.get("status") == "running":
                    step["status"] = "interrupted"
            run.steps = steps
            run.status = "interrupted"
            run.finished_at = now
            run.error = run.error or "the scheduler process stopped during this run"
            recovered.append(run.id)
    return recovered


def record_skipped(engine: Engine, name: str, scheduled_for: dt.datetime, reason: str) -> bool:
    """Record a fire time the scheduler did not run (status `skipped`, the reason in `error`).
    Idempotent: a fire time already recorded (run, or skipped by another process) stays as it
    is. False when the campaign no longer exists or the fire time was recorded already."""
    now = utcnow()
    with transaction(engine) as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.name == name))
        if campaign_id is None:
            return False
        result = session.execute(
            _insert_ignore(session)(CampaignRun.__table__).values(
                campaign_id=campaign_id, status="skipped", trigger="cron", started_at=now,
                finished_at=now, scheduled_for=scheduled_for, heartbeat_at=now, host=HOST,
                pid=os.getpid(), steps=[], error=reason[:2000],
            ).on_conflict_do_nothing(index_elements=["campaign_id", "scheduled_for"])
            .returning(CampaignRun.__table__.c.id))
        return result.first() is not None  # (rowcount says 1 on PostgreSQL even when ignored)


def _insert_ignore(session: Any) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
