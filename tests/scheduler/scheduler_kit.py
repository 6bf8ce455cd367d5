"""Helpers of the scheduler tests: the CLI, campaign history, waiting for an event, the
scheduler service processes a test starts (all killed at the end), and the file clock those
services read (ECOMSTAT_SCHEDULER_CLOCK): a test fires a campaign by moving the clock, then
waits for what the fire does, never for the wall clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.scheduler import clock

runner = CliRunner()


def cli(db_url: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def history(db_url: str, name: str | None = None) -> list[dict[str, Any]]:
    out = cli(db_url, "schedule", "history", *([name] if name else []), "--format", "json")
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


# how long a test waits for an event before it fails: generous, because a loaded 2-core machine
# takes seconds to start each ecomstat process (a passing test never waits for it)
WAIT = 300.0


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Wait for an event (polling the store), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def fire_time(run: dict[str, Any]) -> dt.datetime:
    """A history row's fire time (a store without time zones gives it naive: UTC)."""
    when = dt.datetime.fromisoformat(run["scheduled_for"])
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def next_run(db_url: str, name: str) -> dt.datetime:
    """The campaign's next fire time as its job stands in the store (`schedule list`)."""
    out = cli(db_url, "schedule", "list", "--format", "json")
    [row] = [r for r in map(json.loads, out.splitlines()) if r["name"] == name]
    assert row["next_run"] is not None, row
    return dt.datetime.fromisoformat(row["next_run"])


class Clock:
    """The file clock of the scheduler services a test starts: frozen until the test moves it.
    `to_next_run` moves it to a campaign's next fire time, which fires it. A campaign added or
    resumed while the clock stands exactly on one of its fire times is due at once (a cron
    trigger's next fire time from `now` is `now` itself): the clock starts half-way between
    two whole seconds, and a test leaves it there before adding or resuming a campaign."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.set(dt.datetime.now(dt.timezone.utc).replace(microsecond=500_000))

    def set(self, when: dt.datetime) -> dt.datetime:
        self.now = when
        clock.write(self.path, when)
        return when

    def advance(self, seconds: float) -> dt.datetime:
        return self.set(self.now + dt.timedelta(seconds=seconds))

    def to_next_run(self, db_url: str, name: str) -> dt.datetime:
        """Move the clock to the campaign's next fire time (never backwards)."""
        return self.set(max(self.now, next_run(db_url, name)))


class Schedulers:
    """Scheduler service processes started by a test (beating every 0.2 s, reading the test's
    file clock); killed at the end. The test's own `schedule` commands read that clock too
    (a resumed campaign's next fire time comes from the clock, not the wall clock)."""

    def __init__(self, db_url: str, log_dir: Path) -> None:
        self.db_url, self.log_dir = db_url, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.clock = Clock(log_dir / "clock")
        clock.configure(self.clock.path)
        clock.install()

    def start(self, **extra_env: str) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"scheduler-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecomstat", "--db", self.db_url, "scheduler", "start"],
            stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "ECOMSTAT_SHUTDOWN_GRACE_SECONDS": "5",
                 "ECOMSTAT_SCHEDULER_HEARTBEAT_SECONDS": "0.2",
                 "ECOMSTAT_SCHEDULER_CLOCK": str(self.clock.path), **extra_env},
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def close(self) -> None:
        self.stop_all()
        clock.uninstall()
