"""The scheduler service's clock: the system clock, or (ECOMSTAT_SCHEDULER_CLOCK, tests only) a
file holding the current time as epoch seconds, which a test moves to fire a campaign at once.

With a file clock every "now" of the service reads the file: the fire times APScheduler finds
due, its misfire check, the start-up coalescing, and the fire time a run claims. A test then
waits for the event it caused (a history row, a marker file) instead of for the wall clock, so
the tests hold on a loaded machine and run in a fraction of the time. The service wakes
APScheduler at every heartbeat, so a moved clock is seen within one heartbeat.

APScheduler 3 reads `datetime.now` inside its scheduler and executor modules, with no clock
parameter: `install` gives those two modules a `datetime` whose `now()` reads this clock. It is
called by a service started with a file clock (its own process), and by a test whose `schedule`
commands must compute next fire times on the same clock (`uninstall` after it)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ecomstat.errors import ConfigurationError

_clock_file: Path | None = None


def configure(path: str | os.PathLike[str] | None) -> None:
    """Use the file `path` as the clock of this process (None or "": the system clock)."""
    global _clock_file
    _clock_file = Path(path) if path else None


def now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    if _clock_file is None:
        return dt.datetime.now(dt.timezone.utc)
    try:
        seconds = float(_clock_file.read_text().strip())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"ECOMSTAT_SCHEDULER_CLOCK={str(_clock_file)!r}: no epoch seconds to read ({exc})"
        ) from None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def write(path: str | os.PathLike[str], when: dt.datetime) -> None:
    """Set the file clock `path` to `when` (atomically: a reader never sees half a number)."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(repr(when.timestamp()))
    os.replace(partial, target)


class _ClockDatetime(dt.datetime):
    """`datetime` whose now() reads this module's clock (given to APScheduler's modules)."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        current = now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


def install() -> None:
    """Make APScheduler read this clock (a no-op with the system clock)."""
    if _clock_file is None:
        return
    from apscheduler.executors import base as executors_base
    from apscheduler.schedulers import base as schedulers_base

    for module in (schedulers_base, executors_base):
        if getattr(module, "datetime", None) not in (dt.datetime, _ClockDatetime):
            raise ConfigurationError(
                "ECOMSTAT_SCHEDULER_CLOCK: this APScheduler no longer imports `datetime` in "
                f"{module.__name__}; the file clock cannot be installed")
        module.datetime = _ClockDatetime  # type: ignore[attr-defined]


def uninstall() -> None:
    """Back to the system clock (a test that used the file clock in its own process)."""
    from apscheduler.executors import base as executors_base
    from apscheduler.schedulers import base as schedulers_base

    for module in (schedulers_base, executors_base):
        if getattr(module, "datetime", None) is _ClockDatetime:
            module.datetime = dt.datetime  # type: ignore[attr-defined]
    configure(None)
