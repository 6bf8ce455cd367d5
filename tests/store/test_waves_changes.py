"""Changes between waves (issue 17 item 2): who gained or lost web sales, whose website died or
moved, with the evidence of both waves; each indicator's change with a paired interval; stored
and exportable; `ecomstat changes` on the command line."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.changes import compare_waves

Scenario = Any  # tests/store/conftest.py: the two_waves fixture builds one
runner = CliRunner()


def _by_change(changes: list[dict[str, Any]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for change in changes:
        found.setdefault(change["change"], set()).add(change["enterprise_id"])
    return found


def test_changes_name_who_gained_and_lost_with_evidence_of_both_waves(
        engine: Engine, two_waves: Callable[[Engine], Scenario]) -> None:
    s = two_waves(engine)
    result = compare_waves(engine, "2026Q3", "2026Q4")
    found = _by_change(result.changes)
    assert found["lost-web-sales"] == {s.eid(k) for k in s.died | s.closed}
    assert found["gained-web-sales"] == {s.eid(k) for k in s.opened}
    assert found["website-dead"] == {s.eid(k) for k in s.died}
    assert found["new-url"] == {s.eid(s.moved)}
    assert "lost-social-media" in found and found["lost-social-media"] == {s.eid(k) for k in s.died}
    closed = next(c for c in result.changes
                  if c["enterprise_id"] == s.eid(3) and c["change"] == "lost-web-sales")
    assert (closed["before"], closed["after"]) == ("yes", "no")
    assert closed["before_evidence"] == "https://firm3.test/shop"
    assert closed["after_evidence"] == "https://firm3.test/"
    assert (closed["before_probability"], closed["after_probability"]) == (0.9, 0.1)


def test_indicator_change_is_paired_with_the_covariance_of_the_waves(
        engine: Engine, two_waves: Callable[[Engine], Scenario]) -> None:
    s = two_waves(engine)
    result = compare_waves(engine, "2026Q3", "2026Q4")
    cell = next(c for c in result.indicators
                if c.indicator == "ECOM_WEB_SALES" and c.breakdown_key == "total")
    n = s.n
    b, c = len(s.shops_2 - s.shops_1), len(s.shops_1 - s.shops_2)  # gained, lost
    assert (cell.n, cell.gained, cell.lost) == (n, b, c)
    assert cell.difference == pytest.approx(100 * (len(s.shops_2) - len(s.shops_1)) / n)
    # Agresti (2013) 11.1: the variance of a difference of dependent proportions
    agresti = 100 * math.sqrt(((b + c) / n - ((b - c) / n) ** 2) / n)
    assert cell.se == pytest.approx(agresti)
    p1, p2 = len(s.shops_1) / n, len(s.shops_2) / n
    independent = 100 * math.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n)
    assert cell.se < independent  # the overlap narrows the interval
    assert cell.ci_low < cell.difference < cell.ci_high
    sizes = {c.breakdown_key for c in result.indicators if c.indicator == "ECOM_WEB_SALES"}
    assert sizes == {"total", "size_class=10-49", "size_class=50-249"}


def test_changes_command_prints_stores_and_exports(
        engine: Engine, db_url: str, tmp_path: Path,
        two_waves: Callable[[Engine], Scenario]) -> None:
    s = two_waves(engine)
    result = runner.invoke(app, ["--db", db_url, "changes", "--from", "2026Q3", "--to", "2026Q4",
                                 "--task", "web_sales", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {r["enterprise_id"] for r in rows} == {s.eid(k) for k in s.died | s.closed | s.opened}
    assert {r["task"] for r in rows} == {"web_sales"}
    assert "ECOM_WEB_SALES" in result.stderr and "pp, 95% CI" in result.stderr
    again = runner.invoke(app, ["--db", db_url, "changes", "--from", "2026Q3", "--to", "2026Q4",
                                "--task", "web_sales", "--indicators", "--format", "csv"])
    assert again.exit_code == 0, again.output
    assert "ECOM_WEB_SALES" in again.stdout and "paired-linearised" in again.stdout
    with engine.connect() as connection:  # stored once: re-running replaced, never duplicated
        stored = connection.execute(text("SELECT COUNT(*) FROM wave_change")).scalar()
        cells = connection.execute(text(
            "SELECT COUNT(*) FROM indicator_change WHERE indicator = 'ECOM_WEB_SALES'")).scalar()
    assert (stored, cells) == (len(rows), 3)
    out = tmp_path / "changes.csv"
    exported = runner.invoke(app, ["--db", db_url, "export", "wave_change", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == len(rows)


@pytest.mark.parametrize("args, message", [
    (["--from", "2026Q3", "--to", "2026Q3"], "same wave"),
    (["--from", "2026Q3", "--to", "2026Q4", "--task", "shoes"], "--task"),
    (["--from", "2025Q1", "--to", "2026Q4"], "recorded waves: 2026Q3, 2026Q4"),
    (["--from", "x y", "--to", "2026Q4"], "wave 'x y'"),
])
def test_changes_refuses_bad_input_in_one_line(engine: Engine, db_url: str, args: list[str],
                                               message: str,
                                               two_waves: Callable[[Engine], Scenario]) -> None:
    two_waves(engine)
    result = runner.invoke(app, ["--db", db_url, "changes", *args])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_waves_list_shows_runs_and_records(engine: Engine, db_url: str,
                                           two_waves: Callable[[Engine], Scenario]) -> None:
    two_waves(engine)
    result = runner.invoke(app, ["--db", db_url, "waves", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    waves = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(w["wave"], w["runs"], w["enterprises_recorded"]) for w in waves] == [
        ("2026Q3", 1, 24), ("2026Q4", 1, 24)]
    recorded = runner.invoke(app, ["--db", db_url, "waves", "record"])
    assert recorded.exit_code == 0 and "recorded wave 2026Q4: 24 enterprises" in recorded.stderr
