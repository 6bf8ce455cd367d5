"""Is a scheduler service running? Each service writes a `scheduler_instance` row when it starts
and beats it every ECOMSTAT_SCHEDULER_HEARTBEAT_SECONDS; it is alive while its heartbeat is
younger than ECOMSTAT_HEARTBEAT_MISSES x its interval and it has not stopped. A killed service
simply stops beating, so `schedule list` stops calling it alive by itself."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select, update

from ecomstat.settings import Settings, get_settings
from ecomstat.store import transaction
from ecomstat.store.models import SchedulerInstance, utcnow

HOST = socket.gethostname()


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def register(engine: Engine, interval: float, timezone: str) -> int:
    now = utcnow()
    with transaction(engine) as session:
        row = SchedulerInstance(host=HOST, pid=os.getpid(), started_at=now, heartbeat_at=now,
                                interval_seconds=interval, timezone=timezone)
        session.add(row)
        session.flush()
        return row.id


def beat(engine: Engine, instance_id: int) -> None:
    with transaction(engine) as session:
        session.execute(update(SchedulerInstance).where(SchedulerInstance.id == instance_id)
                        .values(heartbeat_at=utcnow()))


def stopped(engine: Engine, instance_id: int) -> None:
    with transaction(engine) as session:
        session.execute(update(SchedulerInstance).where(SchedulerInstance.id == instance_id)
                        .values(stopped_at=utcnow(), heartbeat_at=utcnow()))


@dataclass
class SchedulerState:
    alive: list[SchedulerInstance]
    last_seen: SchedulerInstance | None  # the newest heartbeat, alive or not

    def describe(self) -> str:
        """`alive (host:pid)` or `none alive (last beat ...)`, for `schedule list`."""
        if self.alive:
            return "alive (" + ", ".join(f"{i.host}:{i.pid}" for i in self.alive) + ")"
        if self.last_seen is None:
            return "none alive (never started)"
        beat_at = _aware(self.last_seen.heartbeat_at).isoformat(timespec="seconds")
        return f"none alive (last: {self.last_seen.host}:{self.last_seen.pid} at {beat_at})"


def is_alive(instance: SchedulerInstance, now: dt.datetime, misses: int) -> bool:
    if instance.stopped_at is not None:
        return False
    age = (now - _aware(instance.heartbeat_at)).total_seconds()
    return age < misses * instance.interval_seconds


def scheduler_state(engine: Engine, *, now: dt.datetime | None = None,
                    settings: Settings | None = None) -> SchedulerState:
    now = now or utcnow()
    misses = (settings or get_settings()).getint("ECOMSTAT_HEARTBEAT_MISSES")
    with transaction(engine) as session:
        rows = session.scalars(select(SchedulerInstance)
                               .order_by(SchedulerInstance.heartbeat_at.desc()).limit(50)).all()
        session.expunge_all()
    return SchedulerState([r for r in rows if is_alive(r, now, misses)], rows[0] if rows else None)


def prune(engine: Engine, *, now: dt.datetime | None = None,
          settings: Settings | None = None) -> int:
    """Delete the rows of scheduler services that stopped or died more than
    ECOMSTAT_SCHEDULER_INSTANCE_RETENTION_DAYS ago (0: keep all), keeping each host's latest
    row (`schedule list` names the last one seen); returns how many went. Run at service
    start: every start adds a row, so without it they accumulate forever."""
    days = (settings or get_settings()).getfloat("ECOMSTAT_SCHEDULER_INSTANCE_RETENTION_DAYS")
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    with transaction(engine) as session:
        keep = list(session.scalars(select(func.max(SchedulerInstance.id))
                                    .group_by(SchedulerInstance.host)))
        # a heartbeat older than the cutoff is a stopped or dead service (alive ones beat
        # every few seconds)
        result = session.execute(delete(SchedulerInstance).where(
            SchedulerInstance.heartbeat_at < cutoff, SchedulerInstance.id.not_in(keep)))
        return int(result.rowcount or 0)
