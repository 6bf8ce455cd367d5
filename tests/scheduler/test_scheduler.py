"""The scheduler service on SQLite and PostgreSQL: restarts, two scheduler processes, killed
runs, SIGTERM, retries, the misfire grace. The services read a file clock the test moves
(scheduler_kit.Clock): each fire time comes when the test says, and the test waits for what it
does (a history row, a marker file), never for the wall clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecomstat.cli import app

from scheduler_kit import WAIT, Schedulers, cli, fire_time, history, next_run, runner, wait_until


@pytest.fixture
def schedulers(db_url: str, tmp_path: Path) -> Iterator[Schedulers]:
    started = Schedulers(db_url, tmp_path)
    yield started
    started.close()


def marker_command(path: Path, sleep: float = 0.0, exit_code: int = 0, gate: Path | None = None) -> str:
    """A step that writes its pid to `path`, waits for the file `gate` (at most 120 s) when
    given one, stays `sleep` seconds (a step that runs until it is stopped), and exits."""
    wait = ("t = time.time()\n"
            f"while not os.path.exists({str(gate)!r}) and time.time() - t < 120:\n"
            "    time.sleep(0.05)\n") if gate else ""
    code = (
        "import os, sys, time\n"
        f"open({str(path)!r}, 'a').write(str(os.getpid()) + chr(10))\n"
        f"{wait}time.sleep({sleep})\nsys.exit({exit_code})\n"
    )
    return f"{sys.executable} -c \"{code}\""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def finished(db_url: str, name: str) -> int:
    return len([r for r in history(db_url, name) if r["status"] == "finished"])


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
    marker, clock = tmp_path / "runs.txt", schedulers.clock
    cli(db_url, "schedule", "add", "tick", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker), "--retries", "0")
    first_fire = clock.to_next_run(db_url, "tick")
    first = schedulers.start()
    wait_until(lambda: finished(db_url, "tick") >= 1, WAIT, "the run of the first scheduler")
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    clock.advance(1)  # the next fire time comes while no scheduler runs
    schedulers.start()
    wait_until(lambda: finished(db_url, "tick") >= 2, WAIT, "the run missed while down")
    clock.advance(1)
    wait_until(lambda: finished(db_url, "tick") >= 3, WAIT, "the next regular run")
    runs = history(db_url, "tick")
    assert sorted(fire_time(r) for r in runs) == [first_fire + dt.timedelta(seconds=s) for s in range(3)]
    assert {r["status"] for r in runs} == {"finished"} and len(lines(marker)) == 3


def test_two_scheduler_processes_never_double_run(db_url: str, schedulers: Schedulers, tmp_path: Path) -> None:
    marker, gate, clock = tmp_path / "runs.txt", tmp_path / "gate", schedulers.clock
    cli(db_url, "schedule", "add", "busy", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker, gate=gate), "--retries", "0")
    fire = clock.to_next_run(db_url, "busy")
    schedulers.start()
    schedulers.start()
    try:
        wait_until(lambda: len(lines(marker)) >= 1, WAIT, "the first run to start")
        # the next fire time comes while the first run holds: whichever scheduler fires it,
        # it finds the campaign busy and records the fire skipped
        clock.advance(1)
        wait_until(lambda: [r for r in history(db_url, "busy") if r["status"] == "skipped"
                            and fire_time(r) == fire + dt.timedelta(seconds=1)], WAIT,
                   "the fire while the first run holds to be skipped")
    finally:
        gate.touch()
    wait_until(lambda: finished(db_url, "busy") >= 1, WAIT, "the first run to finish")
    for count in (2, 3):
        clock.advance(1)
        wait_until(lambda n=count: finished(db_url, "busy") >= n, WAIT, f"finished run {count}")
    schedulers.stop_all()
    runs = [r for r in history(db_url, "busy") if r["status"] in ("finished", "running")]
    assert sorted(fire_time(r) for r in runs) == [fire + dt.timedelta(seconds=s) for s in (0, 2, 3)]
    assert len(lines(marker)) == 3, "a fire time ran twice"
    # no two runs overlapped in time, although the second fire came while the first held
    spans = sorted((r["started_at"], r["finished_at"] or "9999") for r in runs)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, f"overlapping runs: {spans}"


def test_killed_scheduler_leaves_run_marked_interrupted(db_url: str, schedulers: Schedulers, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "long", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker, sleep=120), "--retries", "0")
    schedulers.clock.to_next_run(db_url, "long")
    proc = schedulers.start()
    wait_until(lambda: len(lines(marker)) >= 1, WAIT, "the long step to start")
    proc.kill()
    proc.wait()
    os.kill(int(lines(marker)[0]), signal.SIGKILL)  # the orphaned step, as a machine crash would
    cli(db_url, "schedule", "pause", "long")
    schedulers.start()
    wait_until(lambda: any(r["status"] == "interrupted" for r in history(db_url, "long")), WAIT,
               "the killed run to be marked interrupted")
    [run] = history(db_url, "long")
    assert run["status"] == "interrupted" and run["steps"][0]["status"] == "interrupted"


def test_sigterm_interrupts_the_current_step_and_records_it(db_url: str, schedulers: Schedulers, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "long", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker, sleep=120), "--retries", "0")
    schedulers.clock.to_next_run(db_url, "long")
    proc = schedulers.start()
    wait_until(lambda: len(lines(marker)) >= 1, WAIT, "the long step to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    [run] = history(db_url, "long")  # the clock stood still: no other fire time came
    assert run["status"] == "interrupted" and run["steps"][0]["status"] == "interrupted"
    with pytest.raises(ProcessLookupError):  # the step did not outlive the service
        os.kill(int(lines(marker)[0]), 0)


def test_failing_step_is_retried_then_failed_and_next_run_still_happens(
    db_url: str, schedulers: Schedulers, tmp_path: Path
) -> None:
    marker, clock = tmp_path / "runs.txt", schedulers.clock
    cli(db_url, "schedule", "add", "flaky", "--cron", "*/2 * * * * *", "--steps", "command",
        "--command", marker_command(marker, exit_code=3), "--retries", "1", "--retry-delay", "0")
    fire = clock.to_next_run(db_url, "flaky")
    schedulers.start()

    def failed() -> list[dict]:
        return [r for r in history(db_url, "flaky") if r["status"] == "failed"]

    wait_until(lambda: len(failed()) >= 1, WAIT, "the first failed run")
    clock.advance(2)
    wait_until(lambda: len(failed()) >= 2, WAIT, "the next run, failed too")
    runs = history(db_url, "flaky")
    assert sorted(fire_time(r) for r in runs) == [fire, fire + dt.timedelta(seconds=2)]
    assert all(r["steps"][0]["attempts"] == 2 for r in runs)
    assert all("exit code 3" in (r["error"] or "") for r in runs)
    assert len(lines(marker)) == 4  # two attempts each


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
    marker, clock = tmp_path / "runs.txt", schedulers.clock
    cli(db_url, "schedule", "add", "missed", "--cron", "30 * * * * *", "--steps", "command",
        "--command", marker_command(marker), "--retries", "0")
    fire = next_run(db_url, "missed")
    # the fire time passes while no scheduler runs, and is 4 s late at start-up: past
    # APScheduler's own 1 s default, well within ECOMSTAT_MISFIRE_GRACE_SECONDS (6 h)
    clock.set(fire + dt.timedelta(seconds=4))
    cli(db_url, "schedule", "list")  # looking at the schedule must not consume the missed fire time
    schedulers.start()
    wait_until(lambda: finished(db_url, "missed") >= 1, WAIT,
               "the missed run at start-up (the next regular fire time is a minute away)")
    [run] = history(db_url, "missed")
    assert fire_time(run) == fire
    assert len(lines(marker)) == 1


def test_fire_time_missed_past_the_grace_is_skipped_at_start_up(
    db_url: str, schedulers: Schedulers, tmp_path: Path
) -> None:
    marker, clock = tmp_path / "runs.txt", schedulers.clock
    cli(db_url, "schedule", "add", "late", "--cron", "30 * * * * *", "--steps", "command",
        "--command", marker_command(marker), "--retries", "0")
    fire = next_run(db_url, "late")
    clock.set(fire + dt.timedelta(seconds=10))  # later than the grace below
    schedulers.start(ECOMSTAT_MISFIRE_GRACE_SECONDS="5")
    [run] = wait_until(lambda: history(db_url, "late"), WAIT, "the missed fire to be recorded")
    assert run["status"] == "skipped" and "missed by more than" in run["error"]
    assert fire_time(run) == fire and not marker.exists()


def test_campaign_added_paused_and_resumed_while_the_service_runs(
    db_url: str, schedulers: Schedulers, tmp_path: Path
) -> None:
    marker, clock = tmp_path / "runs.txt", schedulers.clock
    schedulers.start()
    log = tmp_path / "scheduler-0.log"
    wait_until(lambda: log.exists() and "scheduler started" in log.read_text(), WAIT, "the service to start")
    cli(db_url, "schedule", "add", "later", "--cron", "* * * * * *", "--steps", "command",
        "--command", marker_command(marker), "--retries", "0")
    clock.to_next_run(db_url, "later")
    wait_until(lambda: finished(db_url, "later") >= 1, WAIT,
               "a run of the campaign added while the service runs")
    cli(db_url, "schedule", "pause", "later")
    clock.advance(4.5)  # fire times pass while it is paused (half-way between two: see Clock)
    cli(db_url, "schedule", "resume", "later")
    clock.to_next_run(db_url, "later")
    wait_until(lambda: finished(db_url, "later") >= 2, WAIT, "a run after the campaign was resumed")
    assert len(lines(marker)) == 2  # the fire times that passed while paused did not run


def test_sigterm_to_run_now_interrupts_its_step(db_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    cli(db_url, "schedule", "add", "manual", "--cron", "0 2 1 * *", "--steps", "command",
        "--command", marker_command(marker, sleep=60), "--retries", "0")
    proc = subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", db_url, "schedule", "run-now", "manual"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: len(lines(marker)) >= 1, WAIT, "the step to start")
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


def test_concurrent_claims_of_a_campaign_let_exactly_one_run(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
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
    locking: list[int] = []  # claimants that reached the campaign row's lock
    real_lock_row = runs.lock_row

    def lock_row(session, column, row_id):  # type: ignore[no-untyped-def]
        locking.append(row_id)
        return real_lock_row(session, column, row_id)

    def queued() -> bool:
        if len(locking) < 2:
            return False
        if engine.dialect.name != "postgresql":  # SQLite: they wait in busy_timeout from here
            return True
        with engine.connect() as conn:  # both blocked behind `other`'s row lock
            return conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")) >= 2

    monkeypatch.setattr(runs, "lock_row", lock_row)
    with engine.connect() as other:  # hold the campaign so that both claimants queue up
        other.execute(text("UPDATE campaign SET name = name WHERE id = :id"), {"id": campaign.id})
        workers = [threading.Thread(target=lambda f=f: claimed.append(runs.claim(engine, campaign, f, "cron")))
                   for f in fires]
        for worker in workers:
            worker.start()
        wait_until(queued, WAIT, "both claimants to queue up on the campaign's lock")
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
