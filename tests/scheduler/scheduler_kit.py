"""Helpers of the scheduler tests: the CLI, campaign history, waiting for an event, and the
scheduler service processes a test starts (all killed at the end)."""

from __future__ import annotations

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

runner = CliRunner()


def cli(db_url: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def history(db_url: str, name: str | None = None) -> list[dict[str, Any]]:
    out = cli(db_url, "schedule", "history", *([name] if name else []), "--format", "json")
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Wait for an event (polling the store), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Schedulers:
    """Scheduler service processes started by a test (beating every 0.2 s); killed at the end."""

    def __init__(self, db_url: str, log_dir: Path) -> None:
        self.db_url, self.log_dir = db_url, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"scheduler-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecomstat", "--db", self.db_url, "scheduler", "start"],
            stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "ECOMSTAT_SHUTDOWN_GRACE_SECONDS": "5",
                 "ECOMSTAT_SCHEDULER_HEARTBEAT_SECONDS": "0.2"},
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
