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

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from ecomstat.settings import Settings
from ecomstat.scheduler import clock, liveness, runs
from ecomstat.scheduler.campaigns import JOB_TABLE, job_id, schedule_job
from ecomstat.scheduler.cron import configured_timezone
from ecomstat.scheduler.jobs import ACTIVE
from ecomstat.store import make_engine, require_current, transaction
from ecomstat.store.models import Campaign

log = logging.getLogger(__name__)
MAX_COALESCED_RECORDED = 100
MAX_COALESCED_SCAN = 10_000  # fire times looked at per campaign (a start-up must stay quick)
COALESCED_REASON = ("coalesced: missed while no scheduler was running; only the campaign's "
                    "latest missed fire time is run")


class SchedulerService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db_url = settings.database_url
        self.engine = make_engine(self.db_url)
        self.stop_event = threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        self.timezone = configured_timezone(str(settings["ECOMSTAT_TIMEZONE"]).strip() or "UTC")
        self.heartbeat_seconds = settings.getfloat("ECOMSTAT_SCHEDULER_HEARTBEAT_SECONDS")
        self.instance_id: int | None = None
        # the system clock, or a test's file clock (ECOMSTAT_SCHEDULER_CLOCK; see scheduler.clock)
        clock.configure(str(settings["ECOMSTAT_SCHEDULER_CLOCK"]).strip() or None)

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
        # jobs first, the campaign rows (the truth) last: `schedule pause` in another process
        # writes the row, then the job; read the other way round, a pause landing between the
        # two reads looked like a paused job of an active campaign, and was undone here
        jobs = {job.id: job for job in self.scheduler.get_jobs()}
        with transaction(self.engine) as session:
            campaigns = {c.name: c for c in session.scalars(select(Campaign)).all()}
        grace = self.settings.getint("ECOMSTAT_MISFIRE_GRACE_SECONDS")
        for name, campaign in campaigns.items():
            job = jobs.get(job_id(name))
            if job is None or not _same_trigger(job.trigger, _trigger_of(campaign)):
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
        clock.install()
        self.scheduler = scheduler = self._build()
        scheduler.add_listener(self.record_skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        scheduler.start(paused=True)
        self.sync_jobs()
        self.record_coalesced(clock.now())
        scheduler.resume()
        self.instance_id = liveness.register(self.engine, self.heartbeat_seconds, self.timezone.key)
        liveness.prune(self.engine, settings=self.settings)  # old stopped or dead services' rows
        log.info("scheduler started on %s (cron in %s)",
                 self.engine.url.render_as_string(hide_password=True), self.timezone.key)
        try:
            while not self.stop_event.wait(self.heartbeat_seconds):
                self._beat()
                self.sync_jobs()
                # jobs added or resumed by `ecomstat schedule` in another process change the store
                # behind APScheduler's back; with nothing else due it would sleep forever
                scheduler.wakeup()
        finally:
            self.shutdown()

    def _beat(self) -> None:
        if self.instance_id is None:
            return
        try:
            liveness.beat(self.engine, self.instance_id)
        except Exception:  # a missed beat is harmless; the next one retries
            log.exception("scheduler heartbeat failed")

    def record_skipped(self, event: Any) -> None:
        """APScheduler listener: a fire time it did not run (the previous run of the campaign
        still going in this service, or missed by more than the misfire grace) is recorded as
        a `skipped` campaign run with the reason."""
        if not str(event.job_id).startswith("campaign:"):
            return
        name = str(event.job_id).split(":", 1)[1]
        if event.code == EVENT_JOB_MAX_INSTANCES:
            times = list(event.scheduled_run_times)
            reason = "the previous run of this campaign was still running in this scheduler"
        else:
            times = [event.scheduled_run_time]
            reason = ("missed by more than ECOMSTAT_MISFIRE_GRACE_SECONDS (no scheduler was "
                      "running, or it was busy)")
        for fire_time in times:
            try:
                runs.record_skipped(self.engine, name, fire_time, reason)
            except Exception:
                log.exception("skipped fire of %s at %s not recorded", name, fire_time)

    def record_coalesced(self, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """Before the first processing: fire times missed while no scheduler ran, except the
        latest of each campaign (which APScheduler runs once, or reports missed past the grace),
        are recorded `skipped` (coalesced). At most MAX_COALESCED_RECORDED per campaign: a
        per-second cron down for a day would otherwise write 86,400 rows."""
        assert self.scheduler is not None
        recorded = []
        for job in self.scheduler.get_jobs():
            if not job.id.startswith("campaign:") or job.next_run_time is None:
                continue
            missed: list[dt.datetime] = []
            fire, scanned = job.next_run_time, 0
            while fire is not None and fire <= now and scanned < MAX_COALESCED_SCAN:
                missed = (missed + [fire])[-(MAX_COALESCED_RECORDED + 1):]
                fire = job.trigger.get_next_fire_time(fire, now)
                scanned += 1
            # the scan reached now: its last fire time is APScheduler's to run (or report)
            reached_now = fire is None or fire > now
            name = job.id.split(":", 1)[1]
            for fire_time in missed[:-1] if reached_now else missed:
                if runs.record_skipped(self.engine, name, fire_time, COALESCED_REASON):
                    recorded.append((name, fire_time))
        return recorded

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
        if self.instance_id is not None:
            liveness.stopped(self.engine, self.instance_id)
        self.engine.dispose()


def _trigger_of(campaign: Campaign) -> Any:
    from ecomstat.scheduler.cron import cron_trigger

    return cron_trigger(campaign.cron)


def _same_trigger(stored: Any, wanted: Any) -> bool:
    """Same fields and same zone (str() omits the zone: a changed ECOMSTAT_TIMEZONE must
    reschedule the stored jobs)."""
    return str(stored) == str(wanted) and str(getattr(stored, "timezone", "")) == \
        str(getattr(wanted, "timezone", ""))
