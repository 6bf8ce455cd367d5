"""Campaigns set the wave (issue 17 item 1 leftover): a campaign's wave rule (an explicit wave
or a pattern of the fire time in ECOMSTAT_TIMEZONE) gives each run's wave; the crawl, validate
and indicators steps run in it, the run records it, `schedule list` shows the rule and
`schedule history` the run's wave."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ecomstat.scheduler.campaigns import CampaignSpec, add, edit, get
from ecomstat.scheduler.errors import InvalidCampaign
from ecomstat.scheduler.jobs import run_campaign
from ecomstat.scheduler.steps import STEPS
from ecomstat.scheduler.wave_rules import check_rule, wave_of
from ecomstat.store.models import CampaignRun, ValidationWave
from scheduler_kit import cli, history

VIENNA = ZoneInfo("Europe/Vienna")
NEW_YEAR_UTC = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone.utc)  # 00:30 in Vienna


def test_a_rule_is_a_wave_or_a_pattern_of_the_fire_time_in_the_zone() -> None:
    assert wave_of("{year}Q{quarter}", NEW_YEAR_UTC, dt.timezone.utc) == "2026Q4"
    assert wave_of("{year}Q{quarter}", NEW_YEAR_UTC, VIENNA) == "2027Q1"
    assert wave_of("{year}-{month:02}", NEW_YEAR_UTC, VIENNA) == "2027-01"
    assert wave_of("{year}-W{week:02}", dt.datetime(2026, 12, 7, 3), dt.timezone.utc) == "2026-W50"
    assert wave_of("{year}H{half}", dt.datetime(2026, 7, 1), dt.timezone.utc) == "2026H2"
    assert wave_of("census-2026", NEW_YEAR_UTC, VIENNA) == "census-2026"
    for bad, message in (("{yr}", "unknown field {yr}"), ("{year", "expected '}'"),
                         ("{year} {month}", "wave '2026 12'"), ("", "needs a wave")):
        with pytest.raises(InvalidCampaign, match=message):
            check_rule(bad)


def test_the_crawl_validate_and_indicators_steps_take_the_runs_wave() -> None:
    options = {"select": "all", "run_wave": "2026-12"}
    assert STEPS["crawl-sites"].argv(options) == ["crawl", "sites", "--all", "--wave", "2026-12"]
    assert STEPS["validate"].argv(options) == ["register", "validate", "--wave", "2026-12"]
    assert STEPS["indicators"].argv(options) == ["indicators", "build", "--wave", "2026-12"]
    assert STEPS["classify"].argv(options) == ["classify", "sites"]  # records the crawl's wave
    assert STEPS["validate"].argv({"run_wave": None}) == ["register", "validate"]  # no rule


def test_a_scheduled_run_works_in_its_fire_times_wave(engine: Engine, monkeypatch) -> None:
    monkeypatch.setenv("ECOMSTAT_TIMEZONE", "Europe/Vienna")
    url = engine.url.render_as_string(hide_password=False)
    add(engine, url, CampaignSpec("monthly", "0 30 0 1 * *", ["validate"], wave="{year}-{month:02}"))
    with pytest.raises(InvalidCampaign, match="unknown field"):
        edit(engine, url, "monthly", {"wave": "{yr}"})
    [listed] = [json.loads(line) for line in cli(url, "schedule", "list", "--format", "json").splitlines()]
    assert listed["wave"] == "{year}-{month:02}"

    run_id = run_campaign(engine, url, get(engine, "monthly"), trigger="cron",
                          scheduled_for=NEW_YEAR_UTC)
    with Session(engine) as session:
        run = session.get(CampaignRun, run_id)
        assert (run.status, run.wave) == ("finished", "2027-01"), run.steps
        # the validate step wrote wave 2027-01's findings (Vienna's January, not UTC's December)
        assert list(session.scalars(select(ValidationWave.wave))) == ["2027-01"]
    [shown] = history(url, "monthly")
    assert shown["wave"] == "2027-01"

    edit(engine, url, "monthly", {"wave": ""})  # the rule dropped: steps take their default
    assert (get(engine, "monthly").options or {}).get("wave") is None
