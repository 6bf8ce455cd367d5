"""The long-running scheduler service (`ecomstat scheduler start`).

Misfire policy (documented in the README): runs missed while no scheduler was up are run ONCE
at start-up when the missed fire time is within `ECOMSTAT_MISFIRE_GRACE_SECONDS` (default 6 h);
several missed fire times coalesce into one run; older misses are skipped, and the next regular
fire time stands. On SIGTERM/SIGINT the service stops taking new runs, forwards SIGTERM to the
running step, waits up to `ECOMSTAT_SHUTDOWN_GRACE_SECONDS` for it, and the run and step are
recorded as `interrupted`.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from ecomstat.settings import Settings
from ecomstat.scheduler import runs
from ecomstat.scheduler.campaigns import JOB_TABLE, job_id, schedule_job
from ecomstat.scheduler.jobs import ACTIVE
from ecomstat.store import make_engine, require_current, transaction
from ecomstat.store.models import Campaign

log = logging.getLogger(__name__)
SYNC_SECONDS = 5.0


class SchedulerService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db_url = settings.database_url
        self.engine = make_engine(self.db_url)
        self.stop_event = threading.Event()
        self.scheduler: BackgroundScheduler | None = None

    def _build(self) -> BackgroundScheduler:
        return BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename=JOB_TABLE)},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.settings.getint("ECOMSTAT_MISFIRE_GRACE_SECONDS"),
            },
            timezone=dt.timezone.utc,
        )

    def sync_jobs(self) -> None:
        """Make the job store agree with the campaign table (campaigns added, paused or removed
        from another process); existing jobs keep their next run time."""
        assert self.scheduler is not None
        with transaction(self.engine) as session:
            campaigns = {c.name: c for c in session.scalars(select(Campaign)).all()}
        jobs = {job.id: job for job in self.scheduler.get_jobs()}
        grace = self.settings.getint("ECOMSTAT_MISFIRE_GRACE_SECONDS")
        for name, campaign in campaigns.items():
            job = jobs.get(job_id(name))
            if job is None or str(job.trigger) != str(_trigger_of(campaign)):
                schedule_job(self.scheduler, campaign, self.db_url)
                continue
            if job.misfire_grace_time != grace or not job.coalesce or job.max_instances != 1:
                # a job stored by `schedule add` carries APScheduler's defaults (1 s grace): the
                # misfire policy is this service's, applied before any missed fire time is processed
                self.scheduler.modify_job(job.id, misfire_grace_time=grace, coalesce=True, max_instances=1)
            if campaign.paused and job.next_run_time is not None:
                self.scheduler.pause_job(job.id)
            elif not campaign.paused and job.next_run_time is None:
                self.scheduler.resume_job(job.id)
        for jid in jobs:
            if jid.startswith("campaign:") and jid.split(":", 1)[1] not in campaigns:
                self.scheduler.remove_job(jid)

    def run(self, install_signal_handlers: bool = True) -> None:
        require_current(self.engine)  # the scheduler never migrates a shared database
        recovered = runs.recover_interrupted(self.engine)
        if recovered:
            log.warning("marked %d run(s) interrupted: %s", len(recovered), recovered)
        if install_signal_handlers:
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        self.scheduler = scheduler = self._build()
        scheduler.start(paused=True)
        self.sync_jobs()
        scheduler.resume()
        log.info("scheduler started on %s", self.engine.url.render_as_string(hide_password=True))
        try:
            while not self.stop_event.wait(SYNC_SECONDS):
                self.sync_jobs()
                # jobs added or resumed by `ecomstat schedule` in another process change the store
                # behind APScheduler's back; with nothing else due it would sleep forever
                scheduler.wakeup()
        finally:
            self.shutdown()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.warning("received signal %d: shutting down", signum)
        self.stop_event.set()

    def shutdown(self) -> None:
        if self.scheduler is None:
            return
        self.scheduler.pause()
        ACTIVE.interrupt_all(self.settings.getfloat("ECOMSTAT_SHUTDOWN_GRACE_SECONDS"))
        self.scheduler.shutdown(wait=True)
        self.scheduler = None
        self.engine.dispose()


def _trigger_of(campaign: Campaign) -> Any:
    from ecomstat.scheduler.cron import cron_trigger

    return cron_trigger(campaign.cron)
