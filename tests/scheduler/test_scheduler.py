"""The scheduler with real time (second-scale cron triggers), on SQLite and PostgreSQL:
restarts, two scheduler processes, killed runs, SIGTERM, retries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecomstat.cli import app

runner = CliRunner()


def cli(db_url: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def history(db_url: str, name: str | None = None) -> list[dict]:
    out = cli(db_url, "schedule", "history", *([name] if name else []), "--format", "json")
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Schedulers:
    """Scheduler service processes started by a test; all are killed at the end."""

    def __init__(self, db_url: str, log_dir: Path) -> None:
        self.db_url, self.log_dir, self.procs = db_url, log_dir, []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"scheduler-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecomstat", "--db", self.db_url, "scheduler", "start"],
            stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "ECOMSTAT_SHUTDOWN_GRACE_SECONDS": "5"},
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


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
    ]:
        result = runner.invoke(app, ["--db", db_url, "schedule", "add", "c1", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert "c1" not in cli(db_url, "schedule", "list", "--format", "json")


def test_add_list_pause_resume_remove(db_url: str) -> None:
    cli(db_url, "schedule", "add", "monthly", "--cron", "0 2 1 * *", "--steps", "crawl-sites,classify,indicators")
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    assert row["state"] == "active" and row["next_run"].startswith(("20",)) and "01 02:00" in row["next_run"]
    cli(db_url, "schedule", "pause", "monthly")
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    assert row["state"] == "paused" and row["next_run"] is None
    cli(db_url, "schedule", "resume", "monthly")
    [row] = [json.loads(x) for x in cli(db_url, "schedule", "list", "--format", "json").splitlines()]
    assert row["state"] == "active" and row["next_run"] is not None
    duplicate = runner.invoke(app, ["--db", db_url, "schedule", "add", "monthly", "--cron", "0 2 1 * *", "--steps", "classify"])
    assert duplicate.exit_code == 2
    cli(db_url, "schedule", "remove", "monthly")
    assert cli(db_url, "schedule", "list", "--format", "json").strip() == ""
    missing = runner.invoke(app, ["--db", db_url, "schedule", "pause", "monthly"])
    assert missing.exit_code == 2 and "no campaign named" in missing.output


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
    runs = history(db_url, "long")
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
