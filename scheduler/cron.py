"""Cron expressions: standard 5-field crontab, or 6 fields with a leading seconds field
(`*/5 * * * * *`), which the tests and fast re-crawl loops use."""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger

from scheduler.errors import InvalidCampaign

_FIELDS_5 = ("minute", "hour", "day", "month", "day_of_week")
_FIELDS_6 = ("second",) + _FIELDS_5


def cron_trigger(expression: str, timezone: dt.tzinfo = dt.timezone.utc) -> CronTrigger:
    """Parse `expression` into an APScheduler trigger, or raise InvalidCampaign."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise InvalidCampaign(
            f"cron expression {expression!r} must have 5 fields (minute hour day month weekday) "
            "or 6 with a leading seconds field"
        )
    names = _FIELDS_5 if len(fields) == 5 else _FIELDS_6
    values = dict(zip(names, fields))
    # crontab numbers weekdays 0-7 from Sunday; APScheduler from Monday. Translate digits.
    values["day_of_week"] = _crontab_weekdays(values["day_of_week"])
    try:
        return CronTrigger(timezone=timezone, **values)
    except ValueError as exc:
        raise InvalidCampaign(f"cron expression {expression!r} is invalid: {exc}") from None


_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _crontab_weekdays(text: str) -> str:
    if not any(c.isdigit() for c in text):
        return text

    def convert(token: str) -> str:
        if token.isdigit():
            number = int(token)
            if number > 7:
                raise InvalidCampaign(f"weekday {number} is out of range 0-7")
            return _DOW_NAMES[number]
        return token

    parts = []
    for item in text.split(","):
        step = ""
        if "/" in item:
            item, step = item.split("/", 1)
            step = "/" + step
        if "-" in item:
            low, high = item.split("-", 1)
            parts.append(f"{convert(low)}-{convert(high)}{step}")
        else:
            parts.append(f"{convert(item)}{step}")
    return ",".join(parts)
