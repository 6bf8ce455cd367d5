"""scheduler_instance rows of stopped or dead services are pruned when a scheduler starts
(issue 17 item 5 leftover): older than ECOMSTAT_SCHEDULER_INSTANCE_RETENTION_DAYS, each host's
latest row kept, alive services never touched."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ecomstat.scheduler import liveness
from ecomstat.settings import get_settings
from ecomstat.store.models import SchedulerInstance

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.timezone.utc)


def _add(session: Session, host: str, days_ago: float, *, stopped: bool) -> int:
    beat = NOW - dt.timedelta(days=days_ago)
    row = SchedulerInstance(host=host, pid=100, started_at=beat, heartbeat_at=beat,
                            interval_seconds=5.0, timezone="UTC",
                            stopped_at=beat if stopped else None)
    session.add(row)
    session.flush()
    return row.id


def test_old_stopped_or_dead_instances_are_pruned_keeping_each_hosts_latest(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        old_stopped = _add(session, "a", 90, stopped=True)
        old_dead = _add(session, "a", 60, stopped=False)  # killed: never wrote stopped_at
        recent_stopped = _add(session, "a", 3, stopped=True)
        latest_a = _add(session, "a", 0, stopped=False)  # alive now
        only_b = _add(session, "b", 200, stopped=True)  # old, but host b's latest: kept
    settings = get_settings().copy_with(ECOMSTAT_SCHEDULER_INSTANCE_RETENTION_DAYS=30)
    assert liveness.prune(engine, now=NOW, settings=settings) == 2
    with Session(engine) as session:
        left = set(session.scalars(select(SchedulerInstance.id)))
    assert left == {recent_stopped, latest_a, only_b}
    assert not {old_stopped, old_dead} & left
    assert liveness.prune(engine, now=NOW, settings=settings) == 0  # idempotent
    # 0 keeps everything
    assert liveness.prune(engine, now=NOW + dt.timedelta(days=999),
                          settings=get_settings().copy_with(ECOMSTAT_SCHEDULER_INSTANCE_RETENTION_DAYS=0)) == 0
