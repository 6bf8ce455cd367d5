"""Two waves crawled from the sample web end to end (issue 17's acceptance case): between the
waves some shops close, some firms open shops and some sites die. The view of each wave agrees
with the indicator built from that wave, and `ecomstat changes` finds who gained and lost web
sales against the sample web's truth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.demo import demo_environment
from ecomstat.sampleweb import SampleWebServer, generate, write_host_map, write_population
from ecomstat.sampleweb.waves import next_wave, web_sales_changes
from ecomstat.indicators.units import load_units
from ecomstat.store import make_engine

runner = CliRunner()
N, SEED = 40, 3


def _run(db_url: str, env: dict[str, str], *argv: str) -> str:
    result = runner.invoke(app, ["--db", db_url, *argv], env=env)
    assert result.exit_code == 0, f"ecomstat {' '.join(argv)}: {result.output[-2000:]}"
    return result.stdout


def _wave(db_url: str, env: dict[str, str], wave: str) -> None:
    _run(db_url, env, "crawl", "sites", "--all", "--max-pages", "6", "--wave", wave,
         "--processes", "1")
    _run(db_url, env, "register", "match")
    _run(db_url, env, "classify", "sites")


@pytest.mark.slow
def test_two_waves_of_the_sample_web(tmp_path: Path) -> None:
    population = generate(n=N, seed=SEED)
    step = next_wave(population)
    truth = web_sales_changes(population, step.population)
    assert {"gained", "lost"} <= set(truth.values())
    write_population(population, tmp_path / "w1")
    db_url = f"sqlite:///{tmp_path / 'waves.db'}"
    host_map = tmp_path / "hosts.txt"
    # every cell published, however small the sample web (the check is the agreement)
    env = {**os.environ, **demo_environment(tmp_path, host_map), "ECOMSTAT_MIN_CELL_N": "0"}
    with SampleWebServer(population) as server:
        write_host_map(population, server, host_map)
        _run(db_url, env, "register", "import", str(tmp_path / "w1" / "register.csv"),
             "--snapshot", "w1")
        _run(db_url, env, "register", "discover")
        _wave(db_url, env, "2026Q3")
    with SampleWebServer(step.population) as server:
        write_host_map(step.population, server, host_map)
        _wave(db_url, env, "2026Q4")

    engine = make_engine(db_url)
    for wave, view in (("2026Q3", "v_enterprise_wave"), ("2026Q4", "v_enterprise_wave"),
                       (None, "v_enterprise_web")):
        _run(db_url, env, "indicators", "build", "--nonresponse", "negative", "--replicates",
             "50", *(("--wave", wave) if wave else ("--period", "latest")))
        units = set(load_units(engine, wave=wave).enterprise_id.tolist())  # the scope's units
        where = f"WHERE wave = '{wave}'" if wave else ""
        with engine.connect() as connection:
            rows = connection.execute(text(
                f"SELECT enterprise_id, web_sales, COALESCE(weight, 1) FROM {view} {where}")).all()
            estimate = connection.execute(text(
                "SELECT estimate FROM indicator_value WHERE indicator = 'ECOM_WEB_SALES' "
                f"AND period = '{wave or 'latest'}' AND breakdown_key = 'total' "
                "AND method = 'naive'")).scalar()
        total = sum(weight for eid, _, weight in rows if eid in units)
        yes = sum(weight for eid, label, weight in rows if eid in units and label == "yes")
        assert estimate == pytest.approx(100 * yes / total), (wave, view)
    out = _run(db_url, env, "changes", "--from", "2026Q3", "--to", "2026Q4", "--task",
               "web_sales", "--format", "json")
    found = {row["enterprise_id"]: row["change"].split("-")[0]
             for row in map(json.loads, out.splitlines()) if row}
    hits = sum(found.get(eid) == kind for eid, kind in truth.items())
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth)
    assert recall >= 0.5 and precision >= 0.5, (precision, recall, found, truth)
