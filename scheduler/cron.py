"""Cron expressions: standard 5-field crontab, 6 fields with a leading seconds field
(`*/5 * * * * *`, which the tests and fast re-crawl loops use), or a crontab nickname (`@daily`,
`@hourly`, `@weekly`, `@monthly`, `@yearly`). They are read in the zone ECOMSTAT_TIMEZONE
(a zoneinfo name, default UTC): `0 2 * * *` is 02:00 there, summer time included."""

from __future__ import annotations

import datetime as dt

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from ecomstat.errors import ConfigurationError
from ecomstat.scheduler.errors import InvalidCampaign
from ecomstat.settings import get_settings

_FIELDS_5 = ("minute", "hour", "day", "month", "day_of_week")
_FIELDS_6 = ("second",) + _FIELDS_5


NICKNAMES = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def configured_timezone(name: str | None = None) -> ZoneInfo:
    """The zone cron expressions are read in: `name`, else ECOMSTAT_TIMEZONE."""
    if name is None:
        name = str(get_settings()["ECOMSTAT_TIMEZONE"]).strip() or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"ECOMSTAT_TIMEZONE={name!r} is not a time zone name (e.g. UTC, Europe/Vienna)"
        ) from None


def cron_trigger(expression: str, timezone: dt.tzinfo | None = None) -> CronTrigger:
    """Parse `expression` into an APScheduler trigger in `timezone` (default: the configured
    ECOMSTAT_TIMEZONE), or raise InvalidCampaign."""
    timezone = timezone or configured_timezone()
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() not in NICKNAMES:
            raise InvalidCampaign(
                f"cron expression {expression!r}: unknown nickname; use one of {', '.join(NICKNAMES)}")
        text = NICKNAMES[text.lower()]
    fields = text.split()
    if len(fields) not in (5, 6):
        raise InvalidCampaign(
            f"cron expression {expression!r} must have 5 fields (minute hour day month weekday) "
            "or 6 with a leading seconds field"
        )
    names = _FIELDS_5 if len(fields) == 5 else _FIELDS_6
    values = dict(zip(names, fields))
    try:
        # crontab numbers weekdays 0-7 from Sunday; APScheduler from Monday: spell them out
        values["day_of_week"] = _crontab_weekdays(values["day_of_week"])
        trigger = CronTrigger(timezone=timezone, **values)
    except ValueError as exc:
        raise InvalidCampaign(f"cron expression {expression!r} is invalid: {exc}") from None
    if trigger.get_next_fire_time(None, dt.datetime.now(timezone)) is None:
        raise InvalidCampaign(f"cron expression {expression!r} never fires")
    return trigger


_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _weekday(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit():
        if int(token) > 7:
            raise ValueError(f"weekday {token} is out of range 0-7")
        return int(token)
    if token[:3] in _DOW_NAMES and token in (token[:3], _FULL_NAMES[_DOW_NAMES.index(token[:3])]):
        return _DOW_NAMES.index(token[:3])
    raise ValueError(f"weekday {token!r} is not 0-7 or a day name")


_FULL_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _crontab_weekdays(text: str) -> str:
    """The crontab weekday field as an explicit list of day names, with crontab's meaning:
    0 and 7 are Sunday, so `0-5` is Sunday to Friday and `*/2` is Sun, Tue, Thu, Sat."""
    if text == "*":
        return text
    days: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() else 0
        if slash and step < 1:
            raise ValueError(f"weekday step {step_text!r} must be a whole number of at least 1")
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            low, high = (_weekday(part) for part in base.split("-", 1))
        else:
            low = _weekday(base)
            high = 6 if slash else low
        if low > high:
            raise ValueError(f"weekday range {base!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, step or 1))
    return ",".join(_DOW_NAMES[day] for day in sorted(days))
