"""What a campaign run does: claim the fire time, run the steps in order with retries, keep a
heartbeat, record everything. `run_scheduled` is the importable function the APScheduler jobs
point at (`scheduler.jobs:run_scheduled`)."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from typing import Any

from sqlalchemy import Engine

from ecomstat.scheduler import clock, runs
from ecomstat.scheduler.campaigns import campaign_wave, get
from ecomstat.scheduler.cron import cron_trigger
from ecomstat.scheduler.steps import StepProcess
from ecomstat.spiders.live import CAMPAIGN_RUN_ENV
from ecomstat.store import make_engine
from ecomstat.store.models import Campaign, CampaignRun, utcnow

log = logging.getLogger(__name__)


class ActiveRuns:
    """Step processes currently running in this process, so a shutdown can interrupt them."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # forward() may run in a signal handler of this thread
        self._steps: dict[int, StepProcess] = {}
        self.stopping = threading.Event()

    def set(self, run_id: int, step: StepProcess | None) -> None:
        with self._lock:
            if step is None:
                self._steps.pop(run_id, None)
            else:
                self._steps[run_id] = step

    def _stop(self) -> list[StepProcess]:
        """Take no further step; the steps running now."""
        self.stopping.set()
        with self._lock:
            return list(self._steps.values())

    def interrupt_all(self, grace: float) -> None:
        for step in self._stop():
            step.interrupt(grace)

    def forward(self, sig: int) -> None:
        """Signal handler of `schedule run-now`: stop the run, pass `sig` to the running step."""
        for step in self._stop():
            step.forward(sig)


ACTIVE = ActiveRuns()


def latest_fire_time(cron: str, now: dt.datetime) -> dt.datetime:
    """The most recent fire time of `cron` at or before `now`: the identity of this run, the
    same in every scheduler process that fires it."""
    trigger = cron_trigger(cron)
    lookback = 1.0
    found = None
    while found is None and lookback < 400 * 86400:
        candidate = trigger.get_next_fire_time(None, now - dt.timedelta(seconds=lookback))
        if candidate is not None and candidate <= now:
            found = candidate
        lookback *= 2
    if found is None:
        return now.replace(microsecond=0)
    while True:
        following = trigger.get_next_fire_time(found, found + dt.timedelta(microseconds=1))
        if following is None or following > now:
            return found
        found = following


def run_scheduled(db_url: str, name: str) -> int | None:
    """Entry point of the APScheduler job for campaign `name`."""
    engine = make_engine(db_url)
    try:
        campaign = get(engine, name)
        if campaign.paused:
            return None
        # the service's clock (a test's file clock moves the fire times it finds due)
        fire_time = latest_fire_time(campaign.cron, clock.now())
        return run_campaign(engine, db_url, campaign, trigger="cron", scheduled_for=fire_time)
    finally:
        engine.dispose()


def run_now(engine: Engine, db_url: str, campaign: Campaign) -> int | None:
    """`schedule run-now`: run the campaign in this process. SIGTERM or Ctrl-C interrupts the
    current step (SIGTERM to its process group; a second signal kills it) and the run is recorded
    `interrupted`, so no step outlives the command."""
    received: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        received.append(signum)
        ACTIVE.forward(signal.SIGTERM if len(received) == 1 else signal.SIGKILL)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return run_campaign(engine, db_url, campaign, trigger="manual")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if received:
            ACTIVE.stopping.clear()


def run_campaign(
    engine: Engine, db_url: str, campaign: Campaign, *, trigger: str,
    scheduled_for: dt.datetime | None = None,
) -> int | None:
    """Run the campaign's steps once; returns the campaign_run id, or None when this fire time
    was taken by another process or the previous run is still going."""
    runs.recover_interrupted(engine)
    run = runs.claim(engine, campaign, scheduled_for or utcnow(), trigger)
    if run is None:
        log.info("campaign %s: not run (claimed elsewhere or still running)", campaign.name)
        return None
    beat_stop = threading.Event()
    beater = threading.Thread(target=_beat, args=(engine, run.id, beat_stop), daemon=True)
    beater.start()
    try:
        status, steps, error = _run_steps(engine, db_url, campaign, run)
        runs.finish(engine, run.id, status, steps, error)
    finally:
        beat_stop.set()
        beater.join(timeout=5)
    return run.id


def _beat(engine: Engine, run_id: int, stop: threading.Event) -> None:
    while not stop.wait(runs.HEARTBEAT_SECONDS):
        try:
            runs.heartbeat(engine, [run_id])
        except Exception:  # a missed beat is harmless; the next one retries
            log.exception("heartbeat for run %s failed", run_id)


def _run_steps(
    engine: Engine, db_url: str, campaign: Campaign, run: CampaignRun
) -> tuple[str, list[dict[str, Any]], str | None]:
    options = dict(campaign.options or {})
    options["select"] = campaign.selection
    options["run_wave"] = campaign_wave(engine, campaign, run)  # every step in the run's wave
    retries = int(options.get("retries") or 0)
    delay = float(options.get("retry_delay") or 0)
    timeout = options.get("step_timeout")
    records: list[dict[str, Any]] = []
    for name in campaign.steps:
        if ACTIVE.stopping.is_set():
            return "interrupted", records, f"interrupted by scheduler shutdown before step {name}"
        record: dict[str, Any] = {"step": name, "status": "running", "attempts": 0,
                                  "started_at": utcnow().isoformat()}
        records.append(record)
        started = time.monotonic()
        while True:
            record["attempts"] += 1
            runs.record_steps(engine, run.id, records)
            # the crawl a step starts records which campaign run started it (`crawl list`)
            process = StepProcess(db_url, name, options, env={CAMPAIGN_RUN_ENV: str(run.id)})
            ACTIVE.set(run.id, process)
            if ACTIVE.stopping.is_set():  # the shutdown came before this step was registered
                process.interrupt(0)
            outcome = process.run(timeout=float(timeout) if timeout else None)
            ACTIVE.set(run.id, None)
            if outcome.status != "failed" or record["attempts"] > retries or ACTIVE.stopping.is_set():
                break
            log.warning("campaign %s step %s failed (%s); retrying", campaign.name, name, outcome.error)
            if ACTIVE.stopping.wait(delay):
                break
        record.update(status=outcome.status, returncode=outcome.returncode, error=outcome.error,
                      seconds=round(time.monotonic() - started, 3), counts=outcome.counts,
                      output=outcome.output_tail)
        runs.record_steps(engine, run.id, records)
        if outcome.status != "finished":
            return outcome.status, records, f"step {name}: {outcome.error}"
    return "finished", records, None
