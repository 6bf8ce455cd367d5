"""Numeric options that were not checked for finiteness (issue 12 item 5, audit):
`schedule add --retry-delay inf` and `--step-timeout nan` were stored (SQLite) or crashed with a
traceback (PostgreSQL's JSON refuses Infinity); the step's sleep or timeout would have crashed
later. One line naming the option, exit 2, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.store import transaction
from ecomstat.store.models import Campaign

runner = CliRunner()

ADD = ["schedule", "add", "nightly", "--cron", "0 2 * * *", "--steps", "match"]


def _campaigns(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Campaign)) or 0


@pytest.mark.parametrize("option", ["--retry-delay", "--step-timeout"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308"])
def test_schedule_add_refuses_numbers_that_are_not(engine: Engine, db_url: str, option: str,
                                                   value: str) -> None:
    result = runner.invoke(app, ["--db", db_url, *ADD, option, value])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {option} must be"), lines
    assert _campaigns(engine) == 0


@pytest.mark.parametrize("option", ["--retry-delay", "--step-timeout"])
def test_schedule_edit_refuses_them_too(engine: Engine, db_url: str, option: str) -> None:
    assert runner.invoke(app, ["--db", db_url, *ADD]).exit_code == 0
    result = runner.invoke(app, ["--db", db_url, "schedule", "edit", "nightly", option, "nan"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {option} must be")


def test_plausible_values_are_kept(engine: Engine, db_url: str) -> None:
    result = runner.invoke(app, ["--db", db_url, *ADD, "--retry-delay", "0",
                                 "--step-timeout", "86400"])
    assert result.exit_code == 0, result.output
    assert _campaigns(engine) == 1
