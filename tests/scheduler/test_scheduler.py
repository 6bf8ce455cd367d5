"""The scheduler with real time (second-scale cron triggers), on SQLite and PostgreSQL:
restarts, two scheduler processes, killed runs, SIGTERM, retries."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecomstat.cli import app

from scheduler_kit import Schedulers, cli, history, runner, wait_until


@pytest.fixture
def schedulers(db_url: str, tmp_path: Path) -> Iterator[Schedulers]:
    started = Schedulers(db_url, tmp_path)
    yield started
    started.stop_all()


def marker_command(path: Path, sleep: float = 0.0, exit_code: int = 0) -> str:
    code = (
        "import os, sys, time; "
        f"open({str(path)!r}, 'a').write(str(os.getpid()) + chr(10)); "
        f"time.sleep({sleep}); sys.exit({exit_code})"
    )
    return f"{sys.executable} -c \"{code}\""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_bad_definitions_are_refused(db_url: str) -> None:
    for args, message in [
        (["--cron", "0 2 1 *", "--steps", "classify"], "must have 5 fields"),
        (["--cron", "0 25 * * *", "--steps", "classify"], "is invalid"),
        (["--cron", "0 2 1 * *", "--steps", "crawl,classify"], "unknown step(s) crawl"),
        (["--cron", "0 2 1 * *", "--steps", "classify", "--select", "some"], "--select must be"),
        (["--cron", "0 2 1 * *", "--steps", "classify", "--select", "stale:abc"], "--select must be"),
        (["--cron", "0 0 31 2 *", "--steps", "classify"], "never fires"),
        (["--cron", "0 2 * * 1-x", "--steps", "classify"], "is invalid"),
        (["--cron", "0 2 1 * *", "--steps", "classify", "--retry-delay", "-1"], "--retry-delay must be"),
        (["--cron", "0 2 1 * *", "--steps", "classify", "--step-timeout", "0"], "--step-timeout must be"),
    ]:
        result = runner.invoke(app, ["--db", db_url, "schedule", "add", "c1", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert "c1" not in cli(db_url, "schedule", "list", "--format", "json")


def test_add_list_pause_resume_remove(db_url: str) -> None:
    cli(db_url, "schedule", "add", "monthly", "--cron", "0 2 1 * *", "--steps", "crawl-sites,classify,indicators")
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    # no scheduler service beats: the campaign would not run, and the list says so
    assert row["state"] == "no-scheduler" and row["next_run"].startswith(("20",)) and "01 02:00" in row["next_run"]
    assert row["scheduler"] == "none alive (never started)" and row["timezone"] == "UTC"
    cli(db_url, "schedule", "pause", "monthly")
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    assert row["state"] == "paused" and row["next_run"] is None
    cli(db_url, "schedule", "resume", "monthly")
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    assert row["state"] == "no-scheduler" and row["next_run"] is not None
    duplicate = runner.invoke(app, ["--db", db_url, "schedule", "add", "monthly", "--cron", "0 2 1 * *", "--steps", "classify"])
    assert duplicate.exit_code == 2
    cli(db_url, "schedule", "remove", "monthly")
    assert cli(db_url, "schedule", "list", "--format", "json").strip() == ""
    missing = runner.invoke(app, ["--db", db_url, "schedule", "pause", "monthly"])
    assert missing.exit_code == 2 and "no campaign named" in missing.output


def test_edit_changes_a_campaign_in_place_and_keeps_its_history(db_url: str, tmp_path: Path) -> None:
    from ecomstat.scheduler.campaigns import get
    from ecomstat.store import make_engine

    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "office", "--cron", "0 2 1 * *", "--steps", "command",
        "--command", marker_command(marker), "--retries", "0")
    cli(db_url, "schedule", "run-now", "office")
    cli(db_url, "schedule", "pause", "office")
    out = cli(db_url, "schedule", "edit", "office", "--cron", "30 4 * * 1", "--retries", "2",
              "--step-timeout", "60")
    assert "30 4 * * 1" in out
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    assert row["cron"] == "30 4 * * 1" and row["state"] == "paused" and row["next_run"] is None
    cli(db_url, "schedule", "resume", "office")
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    assert " 04:30" in row["next_run"]  # the new cron drives the job
    engine = make_engine(db_url)
    try:
        campaign = get(engine, "office")
    finally:
        engine.dispose()
    assert campaign.options["retries"] == 2 and campaign.options["step_timeout"] == 60
    assert campaign.options["command"] == marker_command(marker)  # what was not given stays
    assert [r["status"] for r in history(db_url, "office")] == ["finished"]  # history kept

    for bad, says in ((["--cron", "61 * * * *"], "invalid"), ([], "nothing to change"),
                      (["--steps", "crawl-sites,nope"], "unknown step"),
                      (["--retries", "-1"], "--retries")):
        refused = runner.invoke(app, ["--db", db_url, "schedule", "edit", "office", *bad])
        assert refused.exit_code == 2 and says in refused.output, (bad, refused.output)
    missing = runner.invoke(app, ["--db", db_url, "schedule", "edit", "nope", "--retries", "1"])
    assert missing.exit_code == 2 and "no campaign named" in missing.output
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    assert row["cron"] == "30 4 * * 1"  # the refused edits changed nothing


def test_job_stored_before_restart_runs_after_it(db_url: str, schedulers: Schedulers, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "tick", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker), "--retries", "0")
    first = schedulers.start()
    wait_until(lambda: len(lines(marker)) >= 1, 30, "a run by the first scheduler")
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    # fire times come every second: a run the SIGTERM caught mid-step is marked interrupted,
    # and on a busy machine a fire time that came while a run was alive is recorded skipped
    stopped = {r["scheduled_for"]: r["status"] for r in history(db_url, "tick")}
    assert set(stopped.values()) <= {"finished", "interrupted", "skipped"}

    def finished_after_restart() -> list[dict]:
        return [r for r in history(db_url, "tick")
                if r["scheduled_for"] not in stopped and r["status"] == "finished"]

    schedulers.start()
    wait_until(lambda: len(finished_after_restart()) >= 2, 30, "runs after the restart")
    runs = history(db_url, "tick")
    assert all(r["status"] in ("finished", "running", "skipped") for r in runs
               if r["scheduled_for"] not in stopped)
    assert len({r["scheduled_for"] for r in runs}) == len(runs)


def test_two_scheduler_processes_never_double_run(db_url: str, schedulers: Schedulers, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "busy", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker, sleep=1.5), "--retries", "0")
    schedulers.start()
    schedulers.start()
    wait_until(lambda: len([r for r in history(db_url, "busy") if r["status"] == "finished"]) >= 3, 60,
               "three finished runs")
    schedulers.stop_all()
    runs = [r for r in history(db_url, "busy") if r["status"] in ("finished", "running")]
    assert len({r["scheduled_for"] for r in runs}) == len(runs), "a fire time ran twice"
    # no two runs overlapped in time, although fire times come every second and a run takes 1.5 s
    spans = sorted((r["started_at"], r["finished_at"] or "9999") for r in runs)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, f"overlapping runs: {spans}"
    assert len(lines(marker)) <= len(runs) + 1


def test_killed_scheduler_leaves_run_marked_interrupted(db_url: str, schedulers: Schedulers, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "long", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker, sleep=60), "--retries", "0")
    proc = schedulers.start()
    wait_until(lambda: len(lines(marker)) >= 1, 30, "the long step to start")
    proc.kill()
    proc.wait()
    os.kill(int(lines(marker)[0]), signal.SIGKILL)  # the orphaned step, as a machine crash would
    cli(db_url, "schedule", "pause", "long")
    schedulers.start()
    wait_until(lambda: any(r["status"] == "interrupted" for r in history(db_url, "long")), 30,
               "the killed run to be marked interrupted")
    [run] = [r for r in history(db_url, "long") if r["status"] == "interrupted"]
    assert run["steps"][0]["status"] == "interrupted"


def test_sigterm_interrupts_the_current_step_and_records_it(db_url: str, schedulers: Schedulers, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "long", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker, sleep=60), "--retries", "0")
    proc = schedulers.start()
    wait_until(lambda: len(lines(marker)) >= 1, 30, "the long step to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    # the fires of the following seconds, skipped while the step ran, are recorded too
    runs = [r for r in history(db_url, "long") if r["status"] != "skipped"]
    assert runs[0]["status"] == "interrupted"
    assert runs[0]["steps"][0]["status"] == "interrupted"


def test_failing_step_is_retried_then_failed_and_next_run_still_happens(
    db_url: str, schedulers: Schedulers, tmp_path: Path
) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "flaky", "--cron", "*/2 * * * * *", "--steps", "command",
        "--command", marker_command(marker, exit_code=3), "--retries", "1", "--retry-delay", "0")
    schedulers.start()
    wait_until(lambda: len([r for r in history(db_url, "flaky") if r["status"] == "failed"]) >= 2, 40,
               "two failed runs")
    failed = [r for r in history(db_url, "flaky") if r["status"] == "failed"]
    assert all(r["steps"][0]["attempts"] == 2 for r in failed)
    assert all("exit code 3" in (r["error"] or "") for r in failed)


def test_crontab_weekday_numbers_keep_their_crontab_meaning() -> None:
    from ecomstat.scheduler.cron import cron_trigger

    saturday = dt.datetime(2026, 11, 28, 10, tzinfo=dt.timezone.utc)
    monday = dt.datetime(2026, 11, 30, 10, tzinfo=dt.timezone.utc)

    def next_day(expression: str, after: dt.datetime) -> str:
        fire = cron_trigger(expression).get_next_fire_time(None, after)
        assert fire is not None
        return fire.strftime("%a %d")

    assert next_day("0 9 * * 0-5", saturday) == "Sun 29"  # Sunday to Friday
    assert next_day("0 9 * * 7", saturday) == "Sun 29"
    assert next_day("0 9 * * 5-7", monday) == "Fri 04"
    assert next_day("0 9 * * */2", monday) == "Tue 01"  # Sun, Tue, Thu, Sat as in crontab
    assert next_day("0 9 * * 1-5/2", saturday) == "Mon 30"
    assert next_day("0 9 * * mon-fri", saturday) == "Mon 30"


def test_step_counts_come_from_the_step_json() -> None:
    from ecomstat.scheduler.steps import step_counts

    summary = 'crawling ...\n{"run_id": 3, "status": "finished", "pages": 22, "outcomes": {"ok": 5}}\n'
    assert step_counts(summary) == {"run_id": 3, "pages": 22, "outcomes": {"ok": 5}}
    assert step_counts('{"url": "a"}\n{"url": "b"}\n5 sites', "sites") == {"sites": 2}
    assert step_counts("no json here") == {}


def test_run_records_the_counts_of_each_step(db_url: str) -> None:
    cli(db_url, "schedule", "add", "check", "--cron", "0 2 1 * *", "--steps", "validate")
    assert "finished" in cli(db_url, "schedule", "run-now", "check")
    [run] = history(db_url, "check")
    assert run["steps"][0]["counts"]["enterprises"] == 0 and "findings" in run["steps"][0]["counts"]
    assert "findings=0" in cli(db_url, "schedule", "history", "check", "--format", "csv")


def test_fire_time_missed_while_down_runs_once_at_start_up(
    db_url: str, schedulers: Schedulers, tmp_path: Path
) -> None:
    marker = tmp_path / "runs.txt"
    second = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)).second
    cli(db_url, "schedule", "add", "missed", "--cron", f"{second} * * * * *", "--steps", "command",
        "--command", marker_command(marker), "--retries", "0")
    # the fire time passes while no scheduler runs, and is 4+ s late at start-up: past
    # APScheduler's own 1 s default, well within ECOMSTAT_MISFIRE_GRACE_SECONDS (6 h)
    time.sleep(7)
    cli(db_url, "schedule", "list")  # looking at the schedule must not consume the missed fire time
    schedulers.start()
    wait_until(lambda: any(r["status"] == "finished" for r in history(db_url, "missed")), 25,
               "the missed run at start-up (the next regular fire time is a minute away)")
    [run] = history(db_url, "missed")
    assert run["scheduled_for"][17:19] == f"{second:02d}"
    assert len(lines(marker)) == 1


def test_campaign_added_paused_and_resumed_while_the_service_runs(
    db_url: str, schedulers: Schedulers, tmp_path: Path
) -> None:
    marker = tmp_path / "runs.txt"
    schedulers.start()
    log = tmp_path / "scheduler-0.log"
    wait_until(lambda: log.exists() and "scheduler started" in log.read_text(), 30, "the service to start")
    cli(db_url, "schedule", "add", "later", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker), "--retries", "0")
    wait_until(lambda: len(lines(marker)) >= 1, 30, "a run of the campaign added while the service runs")
    cli(db_url, "schedule", "pause", "later")
    time.sleep(2)
    before = len(lines(marker))
    cli(db_url, "schedule", "resume", "later")
    wait_until(lambda: len(lines(marker)) > before, 30, "a run after the campaign was resumed")


def test_sigterm_to_run_now_interrupts_its_step(db_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "manual", "--cron", "0 2 1 * *", "--steps", "command",
        "--command", marker_command(marker, sleep=60), "--retries", "0")
    proc = subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", db_url, "schedule", "run-now", "manual"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: len(lines(marker)) >= 1, 30, "the step to start")
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1 and b"interrupted" in output, output
    step_pid = int(lines(marker)[0])
    with pytest.raises(ProcessLookupError):  # the step did not outlive the command
        os.kill(step_pid, 0)
    [run] = history(db_url, "manual")
    assert run["status"] == "interrupted" and run["steps"][0]["status"] == "interrupted"


def test_concurrent_claims_of_a_campaign_let_exactly_one_run(engine) -> None:  # type: ignore[no-untyped-def]
    """A cron fire time and a run-now claimed at once by two processes: the campaign row's write
    lock serialises them, so one runs and the other is recorded skipped (never both, and never
    neither, which the insert-then-look protocol allowed)."""
    import threading

    from sqlalchemy import text

    from ecomstat.scheduler import runs
    from ecomstat.scheduler.campaigns import CampaignSpec, add, get

    url = engine.url.render_as_string(hide_password=False)
    add(engine, url, CampaignSpec("locked", "0 2 1 * *", ["validate"]))
    campaign = get(engine, "locked")
    fires = [dt.datetime(2026, 1, 1, 2, tzinfo=dt.timezone.utc), dt.datetime(2026, 1, 1, 2, 0, 1, tzinfo=dt.timezone.utc)]
    claimed: list[object] = []
    with engine.connect() as other:  # hold the campaign so that both claimants queue up
        other.execute(text("UPDATE campaign SET name = name WHERE id = :id"), {"id": campaign.id})
        workers = [threading.Thread(target=lambda f=f: claimed.append(runs.claim(engine, campaign, f, "cron")))
                   for f in fires]
        for worker in workers:
            worker.start()
        time.sleep(1)
        other.rollback()
    for worker in workers:
        worker.join(timeout=30)
    assert len(claimed) == 2 and len([c for c in claimed if c is not None]) == 1, claimed
    with engine.connect() as conn:
        statuses = sorted(conn.execute(text("SELECT status FROM campaign_run")).scalars())
    assert statuses == ["running", "skipped"]
    assert runs.claim(engine, campaign, fires[0], "cron") is None  # that fire time is taken


def test_a_step_that_prints_a_lot_is_not_held_in_memory() -> None:
    """Run history keeps a bounded tail and the counts, read while the step prints: the
    scheduler buffered the whole output (`communicate()`), here 30 MB of JSON rows."""
    import tracemalloc

    from ecomstat.scheduler.steps import StepProcess

    program = ("import sys\nfor i in range(300_000):\n"
               "    sys.stdout.write('{\"id\": %d, \"title\": \"%s\"}\\n' % (i, 'x' * 80))\n")
    step = StepProcess("sqlite:///unused.db", "command",
                       {"command": shlex.join([sys.executable, "-c", program])})
    tracemalloc.start()
    try:
        outcome = step.run(timeout=300)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.status == "finished", outcome.error
    assert outcome.counts == {"rows": 300_000}
    assert len(outcome.output_tail.splitlines()) == 20
    assert outcome.output_tail.splitlines()[-1].startswith('{"id": 299999,')
    assert peak < 5_000_000, f"peak {peak / 1e6:.1f} MB while reading the step's output"
