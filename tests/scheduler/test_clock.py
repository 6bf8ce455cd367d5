"""The scheduler's file clock (ECOMSTAT_SCHEDULER_CLOCK): what APScheduler sees as now."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ecomstat.errors import ConfigurationError
from ecomstat.scheduler import clock


def test_the_file_clock_is_what_apscheduler_sees_as_now(tmp_path: Path) -> None:
    from apscheduler.executors import base as executors_base
    from apscheduler.schedulers import base as schedulers_base

    from ecomstat.scheduler.cron import cron_trigger

    path = tmp_path / "clock"
    when = dt.datetime(2031, 3, 4, 5, 6, 7, 500_000, tzinfo=dt.timezone.utc)
    clock.write(path, when)
    clock.configure(path)
    clock.install()
    try:
        assert clock.now() == when
        seen = schedulers_base.datetime.now(dt.timezone.utc)
        assert seen == when and executors_base.datetime.now(dt.timezone.utc) == when
        # next fire times come from it: a job added now is due at the next whole second
        trigger = cron_trigger("* * * * * *")
        assert trigger.get_next_fire_time(None, seen) == when.replace(second=8, microsecond=0)
        clock.write(path, when + dt.timedelta(hours=1))
        assert schedulers_base.datetime.now(dt.timezone.utc) == when + dt.timedelta(hours=1)
    finally:
        clock.uninstall()
    assert schedulers_base.datetime is dt.datetime and executors_base.datetime is dt.datetime
    assert abs(clock.now() - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)


def test_an_unreadable_clock_file_is_a_configuration_error(tmp_path: Path) -> None:
    clock.configure(tmp_path / "missing")
    try:
        with pytest.raises(ConfigurationError, match="ECOMSTAT_SCHEDULER_CLOCK"):
            clock.now()
    finally:
        clock.configure(None)
