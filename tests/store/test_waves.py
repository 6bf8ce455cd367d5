"""Waves (issue 17 item 1): crawl runs carry a wave, each wave's labels are recorded and never
overwritten by a later wave, and the views agree with the indicators built from the same wave."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from ecomstat.errors import BadInput
from ecomstat.indicators.adoption import BuildOptions, build_adoption
from ecomstat.indicators.methods import Method
from ecomstat.spiders.runs import create_run, in_wave
from ecomstat.store import transaction
from ecomstat.store.models import CrawlRun, EnterpriseWave
from ecomstat.store.waves import check_wave, default_wave, list_waves, record_wave

Scenario = Any  # tests/store/conftest.py: the two_waves fixture builds one


N = 24


def _share(engine: Engine, sql: str) -> float:
    """Percent of rows with web_sales = 'yes' (census: every weight is 1)."""
    with engine.connect() as connection:
        labels = [row[0] for row in connection.execute(text(sql))]
    return 100 * sum(label == "yes" for label in labels) / len(labels)


def _indicator(engine: Engine, wave: str | None) -> float:
    result = build_adoption(engine, BuildOptions(method=Method.naive, wave=wave, period="2026",
                                                 nonresponse="negative", replicates=50))
    (cell,) = [r for r in result.records if r.indicator == "ECOM_WEB_SALES" and not r.breakdown]
    return cell.estimate


def test_view_agrees_with_the_indicator_of_each_wave_after_shops_went_offline(
        engine: Engine, two_waves: Callable[[Engine], Scenario]) -> None:
    scenario = two_waves(engine)
    expected_1 = 100 * len(scenario.shops_1) / N
    expected_2 = 100 * len(scenario.shops_2) / N
    for wave, expected in (("2026Q3", expected_1), ("2026Q4", expected_2)):
        view = _share(engine, f"SELECT web_sales FROM v_enterprise_wave WHERE wave = '{wave}'")
        assert view == pytest.approx(expected)
        assert _indicator(engine, wave) == pytest.approx(view)
    # The latest state: the dead shops' old 'yes' labels are no longer shown (the issue's case:
    # the view said yes for them while the indicator counted them as no).
    latest = _share(engine, "SELECT web_sales FROM v_enterprise_web")
    assert latest == pytest.approx(expected_2)
    assert _indicator(engine, None) == pytest.approx(latest)
    # Each wave's values are stored under its own period: the second never replaced the first.
    with engine.connect() as connection:
        periods = dict(connection.execute(text(
            "SELECT period, estimate FROM indicator_value WHERE indicator = 'ECOM_WEB_SALES' "
            "AND breakdown_key = 'total' AND period IN ('2026Q3', '2026Q4')")).all())
    assert periods == pytest.approx({"2026Q3": expected_1, "2026Q4": expected_2})


def test_views_show_the_website_state_and_the_wave(engine: Engine,
                                                   two_waves: Callable[[Engine], Scenario]) -> None:
    scenario = two_waves(engine)
    with engine.connect() as connection:
        rows = {r.enterprise_id: r for r in connection.execute(text(
            "SELECT enterprise_id, website_state, wave, web_sales, website_url "
            "FROM v_enterprise_web"))}
        old = {r.enterprise_id: r for r in connection.execute(text(
            "SELECT enterprise_id, website_state, web_sales, web_sales_evidence, website_url "
            "FROM v_enterprise_wave WHERE wave = '2026Q3'"))}
    dead = rows[scenario.eid(0)]
    assert (dead.website_state, dead.web_sales, dead.wave) == ("unreachable", None, "2026Q4")
    assert rows[scenario.eid(22)].website_url == "https://firm22-new.test/"
    # wave 1's record is kept as it was: found, yes, with the page that decided
    first = old[scenario.eid(0)]
    assert (first.website_state, first.web_sales) == ("found", "yes")
    assert first.web_sales_evidence == "https://firm0.test/shop"
    assert old[scenario.eid(22)].website_url == "https://firm22.test/"


def test_recording_is_idempotent_and_refused_for_a_wave_later_crawls_followed(
        engine: Engine, two_waves: Callable[[Engine], Scenario]) -> None:
    two_waves(engine)
    assert record_wave(engine, "2026Q4") == ("2026Q4", N)
    assert record_wave(engine) == ("2026Q4", N)  # default: the newest crawled wave
    with transaction(engine) as session:
        counts = session.execute(select(EnterpriseWave.wave, EnterpriseWave.id)).all()
    assert sorted({w for w, _ in counts}) == ["2026Q3", "2026Q4"] and len(counts) == 2 * N
    with pytest.raises(BadInput, match="2026Q4"):
        record_wave(engine, "2026Q3")
    assert [(w.wave, w.runs, w.enterprises) for w in list_waves(engine)] == [
        ("2026Q3", 1, N), ("2026Q4", 1, N)]


def test_runs_get_the_given_wave_or_the_calendar_quarter(engine: Engine) -> None:
    with in_wave("2026-12"):
        named = create_run(engine, "enterprise_site", [])
    default = create_run(engine, "enterprise_site", [])
    with transaction(engine) as session:
        waves = dict(session.execute(select(CrawlRun.id, CrawlRun.wave)).all())
    assert waves[named] == "2026-12"
    assert waves[default] == default_wave()
    assert default_wave(dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2)))) == "2026Q4"
    assert default_wave(dt.datetime(2027, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == "2026Q4"


@pytest.mark.parametrize("bad", ["", " ", "2026 Q4", "x" * 21, "q4'; DROP", "-2026", "2026/Q4"])
def test_bad_wave_names_are_refused(bad: str) -> None:
    with pytest.raises(BadInput, match="wave"):
        check_wave(bad)
    with pytest.raises(BadInput):
        with in_wave(bad):
            pass


def test_indicators_of_an_unrecorded_wave_are_refused(engine: Engine,
                                                      two_waves: Callable[[Engine], Scenario]) -> None:
    two_waves(engine)
    with pytest.raises(BadInput, match="2026Q3, 2026Q4"):
        build_adoption(engine, BuildOptions(wave="2025Q1", replicates=50))


def test_a_shop_listing_crawl_does_not_start_a_wave(engine: Engine,
                                                    two_waves: Callable[[Engine], Scenario]) -> None:
    scenario = two_waves(engine)
    with in_wave("2027Q1"):  # product listings of the shops, crawled in another wave's name
        create_run(engine, "shop_listing", [scenario.sites[5]])
    assert record_wave(engine) == ("2026Q4", N)  # the labels are still 2026Q4's
    with engine.connect() as connection:
        assert connection.execute(text("SELECT wave FROM v_enterprise_web WHERE enterprise_id = "
                                       f"'{scenario.eid(5)}'")).scalar() == "2026Q4"


def test_cli_refuses_a_bad_wave_in_one_line(engine: Engine, db_url: str) -> None:
    from typer.testing import CliRunner

    from ecomstat.cli import app

    runner = CliRunner()
    for argv, message in ((["crawl", "sites", "--wave", "2026 Q4"], "wave '2026 Q4'"),
                          (["crawl", "sites", "--resume", "--wave", "2026Q4"], "drop --wave"),
                          (["indicators", "build", "--wave", "2026Q4", "--period", "2026"],
                           "drop --period")):
        result = runner.invoke(app, ["--db", db_url, *argv])
        assert result.exit_code == 2, (argv, result.output)
        assert message in result.stderr and "Traceback" not in result.output
    with transaction(engine) as session:  # nothing was started
        assert session.execute(select(CrawlRun.id)).first() is None
