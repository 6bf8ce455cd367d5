"""A campaign's wave rule: which wave (docs/waves.md) a scheduled run's steps work in.

The rule is an explicit wave name (`2026Q4`) or a pattern filled from the run's fire time in the
scheduler's zone (ECOMSTAT_TIMEZONE): `{year}Q{quarter}` gives 2026Q4, `{year}-{month:02}`
2026-12. A run fired at 00:30 on 1 January in Vienna belongs to January there, even though it
is still December in UTC. Every step of the run uses the same wave, also one that starts after
midnight: the wave comes from the fire time, not from the clock when the step starts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ecomstat.errors import BadInput
from ecomstat.scheduler.errors import InvalidCampaign
from ecomstat.store.waves import check_wave

FIELDS = ("year", "quarter", "month", "day", "week", "half")
# the longest values each field takes (a pattern must give a valid wave for every fire time)
_WIDEST = dt.datetime(2026, 12, 31, 23, 59)


def _fields(at: dt.datetime) -> dict[str, Any]:
    return {"year": at.year, "quarter": (at.month - 1) // 3 + 1, "month": at.month, "day": at.day,
            "week": at.isocalendar().week, "half": 1 if at.month <= 6 else 2}


def _fill(rule: str, at: dt.datetime) -> str:
    try:
        text = rule.format(**_fields(at))
    except KeyError as exc:
        raise InvalidCampaign(f"--wave {rule!r}: unknown field {{{exc.args[0]}}}; use "
                              f"{', '.join('{' + f + '}' for f in FIELDS)}") from None
    except (ValueError, IndexError) as exc:
        raise InvalidCampaign(f"--wave {rule!r}: {exc} (e.g. {{year}}Q{{quarter}} or "
                              "{year}-{month:02})") from None
    try:
        return check_wave(text)
    except BadInput as exc:
        raise InvalidCampaign(f"--wave {rule!r} gives {exc}") from None


def check_rule(rule: str) -> str:
    """`rule` stripped, or InvalidCampaign: an explicit wave or a pattern of FIELDS that gives a
    valid wave name."""
    rule = (rule or "").strip()
    if not rule:
        raise InvalidCampaign("--wave needs a wave (2026Q4) or a pattern ({year}Q{quarter})")
    _fill(rule, _WIDEST)
    _fill(rule, dt.datetime(2026, 1, 1))
    return rule


def wave_of(rule: str, fire_time: dt.datetime, zone: dt.tzinfo) -> str:
    """The wave of a run fired at `fire_time` (aware; naive means UTC), read in `zone`."""
    if fire_time.tzinfo is None:
        fire_time = fire_time.replace(tzinfo=dt.timezone.utc)
    return _fill(rule, fire_time.astimezone(zone))
