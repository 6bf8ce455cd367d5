"""Scheduler operations (issue 17, item 5): is a scheduler alive, skipped fires recorded with the
reason, `run-now` reporting its own run, cron in ECOMSTAT_TIMEZONE with @nicknames, steps checked
for order and duplicates, the indicators step's method and audit set, a scheduled crawl step
shown with its crawl run's live figures."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ecomstat.cli import app
from ecomstat.scheduler import runs
from ecomstat.scheduler.campaigns import get
from ecomstat.scheduler.cron import cron_trigger
from ecomstat.scheduler.jobs import latest_fire_time, run_scheduled
from ecomstat.scheduler.liveness import scheduler_state
from ecomstat.scheduler.steps import STEPS, StepProcess
from ecomstat.spiders.runs import create_run, upsert_websites
from ecomstat.store import make_engine
from ecomstat.store.models import utcnow

from scheduler_kit import WAIT, Schedulers, cli, fire_time, history, runner, wait_until


@pytest.fixture
def schedulers(db_url: str, tmp_path: Path) -> Iterator[Schedulers]:
    started = Schedulers(db_url, tmp_path)
    yield started
    started.close()


def listed(db_url: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]


def gated_command(gate: Path, started: Path) -> str:
    """A step that says it started, then waits (at most 120 s) for the test to open its gate."""
    code = (f"import os, time\nopen({str(started)!r}, 'a').write('x')\nt = time.time()\n"
            f"while not os.path.exists({str(gate)!r}) and time.time() - t < 120:\n"
            "    time.sleep(0.05)\n")
    return f'{sys.executable} -c "{code}"'


def test_cron_nicknames_and_timezone(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    daily = cron_trigger("@daily", berlin)
    assert daily.get_next_fire_time(None, dt.datetime(2026, 12, 5, 13, tzinfo=berlin)) == \
        dt.datetime(2026, 12, 6, 0, tzinfo=berlin)
    for nickname in ("@hourly", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"):
        cron_trigger(nickname)
    # the fire time a run claims is read in the zone too (an injected "now")
    monkeypatch.setenv("ECOMSTAT_TIMEZONE", "Europe/Berlin")
    now = dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.timezone.utc)  # 02:30 in Berlin
    assert latest_fire_time("0 2 * * *", now) == dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.timezone.utc)
    cli(db_url, "schedule", "add", "nightly", "--cron", "0 2 * * *", "--steps", "classify")
    cli(db_url, "schedule", "add", "daily", "--cron", "@daily", "--steps", "classify")
    rows = {row["name"]: row for row in listed(db_url)}
    assert rows["nightly"]["timezone"] == "Europe/Berlin"
    assert rows["nightly"]["next_run"].endswith("02:00:00+01:00")  # December: CET
    assert rows["daily"]["cron"] == "@daily" and rows["daily"]["next_run"].endswith("00:00:00+01:00")
    bad = runner.invoke(app, ["--db", db_url, "schedule", "add", "x", "--cron", "@fortnightly",
                              "--steps", "classify"])
    assert bad.exit_code == 2 and "unknown nickname" in bad.output
    monkeypatch.setenv("ECOMSTAT_TIMEZONE", "Mars/Olympus")
    wrong = runner.invoke(app, ["--db", db_url, "schedule", "list"])
    assert wrong.exit_code != 0
    assert wrong.output.strip().splitlines() == [
        "error: ECOMSTAT_TIMEZONE='Mars/Olympus' is not a time zone name (e.g. UTC, Europe/Vienna)"]


def test_steps_are_checked_for_order_and_duplicates(db_url: str) -> None:
    for steps, message in [
        ("indicators,classify", "step classify must come before indicators"),
        ("crawl-sites,classify,crawl-sites", "step(s) crawl-sites given twice"),
        ("validate,match", "step match must come before validate"),
    ]:
        result = runner.invoke(app, ["--db", db_url, "schedule", "add", "c", "--cron", "@daily",
                                     "--steps", steps])
        assert result.exit_code == 2, result.output
        [line] = result.output.strip().splitlines()
        assert message in line
    # `command` (publishing, say) may come anywhere
    cli(db_url, "schedule", "add", "c", "--cron", "@daily", "--steps", "command,classify,indicators",
        "--command", "true")
    edited = runner.invoke(app, ["--db", db_url, "schedule", "edit", "c", "--steps", "classify,classify"])
    assert edited.exit_code == 2 and "given twice" in edited.output


def test_indicators_step_takes_method_and_audit_set(db_url: str) -> None:
    cli(db_url, "schedule", "add", "q", "--cron", "@monthly", "--steps", "classify,indicators",
        "--indicators-method", "corrected", "--audit-set", "audit-2026")
    engine = make_engine(db_url)
    campaign = get(engine, "q")
    argv = StepProcess(db_url, "indicators", campaign.options or {}).argv
    assert argv[argv.index("build"):] == ["build", "--method", "corrected", "--audit",
                                          "audit-2026", "--format", "json"]
    assert STEPS["indicators"].argv({}) == ["indicators", "build"]  # naive, latest audit set
    cli(db_url, "schedule", "edit", "q", "--indicators-method", "calibrated")
    assert get(engine, "q").options["indicators_method"] == "calibrated"
    assert get(engine, "q").options["audit_set"] == "audit-2026"
    engine.dispose()
    for args, message in [
        (["--steps", "classify", "--indicators-method", "corrected"], "need the `indicators` step"),
        (["--steps", "indicators", "--indicators-method", "magic"], "--indicators-method must be one of"),
    ]:
        result = runner.invoke(app, ["--db", db_url, "schedule", "add", "r", "--cron", "@daily", *args])
        assert result.exit_code == 2 and message in result.output, result.output


def test_schedule_list_says_whether_a_scheduler_is_alive(db_url: str, schedulers: Schedulers) -> None:
    cli(db_url, "schedule", "add", "m", "--cron", "@monthly", "--steps", "classify")
    [row] = listed(db_url)
    assert row["state"] == "no-scheduler" and row["scheduler"] == "none alive (never started)"
    proc = schedulers.start()
    [row] = wait_until(lambda: [r for r in listed(db_url) if r["state"] == "active"], WAIT,
                       "the scheduler to beat")
    assert row["scheduler"] == f"alive ({os.uname().nodename}:{proc.pid})"
    cli(db_url, "schedule", "pause", "m")
    assert listed(db_url)[0]["state"] == "paused"
    cli(db_url, "schedule", "resume", "m")
    # killed: no goodbye; it is dead once its heartbeat is older than 3 intervals (injected clock)
    proc.kill()
    proc.wait()
    engine = make_engine(db_url)
    assert scheduler_state(engine).alive  # the last beat is still fresh ...
    later = utcnow() + dt.timedelta(seconds=1)
    assert scheduler_state(engine, now=later).alive == []  # ... and stale 0.6 s later
    engine.dispose()
    [row] = wait_until(lambda: [r for r in listed(db_url) if r["state"] == "no-scheduler"], WAIT,
                       "the killed scheduler to be seen dead")
    assert row["scheduler"].startswith(f"none alive (last: {os.uname().nodename}:{proc.pid} at ")
    # a scheduler stopped with SIGTERM says so at once
    proc = schedulers.start()
    wait_until(lambda: listed(db_url)[0]["state"] == "active", WAIT, "the second scheduler")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert listed(db_url)[0]["state"] == "no-scheduler"


def test_skipped_fires_are_recorded_with_the_reason(db_url: str, schedulers: Schedulers,
                                                    tmp_path: Path) -> None:
    gate, started = tmp_path / "gate", tmp_path / "started"
    cli(db_url, "schedule", "add", "every", "--cron", "* * * * * *", "--steps", "command",
        "--command", gated_command(gate, started))
    fire = schedulers.clock.to_next_run(db_url, "every")
    schedulers.start()
    try:
        # the first run holds; the next fire of this scheduler finds it still running
        wait_until(started.exists, WAIT, "the first run to start")
        schedulers.clock.advance(1)
        reason = "the previous run of this campaign was still running in this scheduler"
        skipped = wait_until(lambda: [r for r in history(db_url, "every")
                                      if r["status"] == "skipped" and r["error"] == reason],
                             WAIT, "a fire skipped because the previous run still runs")
        running = [r for r in history(db_url, "every") if r["status"] != "skipped"]
    finally:
        gate.touch()
    assert [r["status"] for r in running] == ["running"]  # one run held the whole time
    assert skipped[0]["scheduled_for"] > running[0]["scheduled_for"]
    assert fire_time(running[0]) == fire
    [row] = listed(db_url)
    assert row["last_skipped"] is not None and "still running" in row["skip_reason"]
    assert row["last_status"] in ("running", "finished")  # the last run, not the skip


def test_run_now_reports_its_own_run_while_the_scheduler_fires(db_url: str, tmp_path: Path) -> None:
    gate, started = tmp_path / "gate", tmp_path / "started"
    cli(db_url, "schedule", "add", "rare", "--cron", "0 3 1 1 *", "--steps", "command",
        "--command", gated_command(gate, started))
    proc = subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", db_url, "schedule",
                             "run-now", "rare"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        wait_until(started.exists, WAIT, "run-now's step to start")
        # the scheduler fires meanwhile: that fire is skipped (and recorded as such)
        assert run_scheduled(db_url, "rare") is None
        assert [r["status"] for r in history(db_url, "rare")] == ["skipped", "running"]
    finally:
        gate.touch()
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert output.strip().splitlines()[-1] == "run 1 of rare: finished"


def test_history_shows_a_running_crawl_steps_live_figures(db_url: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(db_url)
    campaign_run = runs.claim(engine, get_campaign(db_url, engine), utcnow(), "manual")
    assert campaign_run is not None
    runs.record_steps(engine, campaign_run.id, [{"step": "crawl-sites", "status": "running"}])
    # the crawl the step started (this process is its live owner)
    monkeypatch.setenv("ECOMSTAT_CAMPAIGN_RUN_ID", str(campaign_run.id))
    crawl = create_run(engine, "enterprise_site",
                       upsert_websites(engine, ["http://a.example/", "http://b.example/"]))
    engine.dispose()
    out = cli(db_url, "schedule", "history", "--format", "csv")
    assert (f"crawl-sites=running(crawl run {crawl} running: 0/2 sites, 0 pages, 0 pages/s "
            f"(ecomstat crawl show {crawl}))") in out
    [entry] = history(db_url)
    assert entry["crawl_runs"][0]["run_id"] == crawl and entry["crawl_runs"][0]["sites_pending"] == 2


def get_campaign(db_url: str, engine: Any) -> Any:
    cli(db_url, "schedule", "add", "monthly", "--cron", "@monthly", "--steps", "crawl-sites,classify")
    return get(engine, "monthly")


def test_a_fire_missed_past_the_grace_is_recorded_as_skipped(db_url: str) -> None:
    """APScheduler reports a fire time missed by more than the misfire grace (no scheduler was
    up) through an event; the service records it (once, whichever scheduler reports it)."""
    from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent

    from ecomstat.scheduler.service import SchedulerService
    from ecomstat.settings import get_settings

    cli(db_url, "schedule", "add", "monthly", "--cron", "@monthly", "--steps", "classify")
    service = SchedulerService(get_settings(ECOMSTAT_DATABASE_URL=db_url))
    fire = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    for _ in range(2):
        service.record_skipped(JobExecutionEvent(EVENT_JOB_MISSED, "campaign:monthly", "default", fire))
    service.engine.dispose()
    [entry] = history(db_url, "monthly")
    assert entry["status"] == "skipped" and entry["trigger"] == "cron"
    assert entry["scheduled_for"].startswith("2026-11-01") and "missed by more than" in entry["error"]


def test_fire_times_coalesced_at_start_up_are_recorded_as_skipped(db_url: str) -> None:
    """Down for a while (an injected clock: 5 s later), a per-second campaign has missed five
    fire times: the latest is the scheduler's to run, the four before it are recorded skipped."""
    from ecomstat.scheduler.service import COALESCED_REASON, SchedulerService
    from ecomstat.settings import get_settings

    cli(db_url, "schedule", "add", "often", "--cron", "* * * * * *", "--steps", "classify")
    service = SchedulerService(get_settings(ECOMSTAT_DATABASE_URL=db_url))
    service.scheduler = service._build()
    service.scheduler.start(paused=True)
    try:
        [job] = service.scheduler.get_jobs()
        later = job.next_run_time + dt.timedelta(seconds=4, milliseconds=500)
        recorded = service.record_coalesced(later)
        assert [t for _name, t in recorded] == [job.next_run_time + dt.timedelta(seconds=s)
                                                 for s in range(4)]
        assert service.record_coalesced(later) == []  # recorded once
    finally:
        service.scheduler.shutdown(wait=False)
        service.engine.dispose()
    entries = history(db_url, "often")
    assert len(entries) == 4 and {e["status"] for e in entries} == {"skipped"}
    assert {e["error"] for e in entries} == {COALESCED_REASON}
