"""Drift on two waves crawled from the sample web (issue 17 item 3): every language and platform
group present in a wave gets a row for every metric it has, in `ecomstat waves drift`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.demo import demo_environment, drift_line
from ecomstat.sampleweb import SampleWebServer, generate, write_host_map, write_population
from ecomstat.sampleweb.waves import next_wave
from ecomstat.store import make_engine

runner = CliRunner()
N, SEED = 40, 5


def _run(db_url: str, env: dict[str, str], *argv: str) -> str:
    result = runner.invoke(app, ["--db", db_url, *argv], env=env)
    assert result.exit_code == 0, f"ecomstat {' '.join(argv)}: {result.output[-2000:]}"
    return result.stdout


def _wave(db_url: str, env: dict[str, str], wave: str) -> set[tuple[str, str]]:
    """Crawl, match and classify `wave`; the (dimension, group) pairs its found sites have."""
    _run(db_url, env, "crawl", "sites", "--all", "--max-pages", "6", "--wave", wave,
         "--processes", "1")
    _run(db_url, env, "register", "match")
    _run(db_url, env, "classify", "sites")
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            labels = connection.execute(text(
                "SELECT c.task, c.label FROM classification c JOIN enterprise_wave w "
                "ON c.target_id = CAST(w.website_id AS VARCHAR(64)) "
                "WHERE w.wave = :wave AND w.website_state = 'found' AND c.target_type = 'website' "
                "AND c.task IN ('languages', 'platform')"), {"wave": wave}).all()
    finally:
        engine.dispose()
    return {("language" if task == "languages" else "platform",
             (label.split(",")[0] if task == "languages" else label) or "unknown")
            for task, label in labels}


@pytest.mark.slow
def test_drift_between_two_sample_web_waves(tmp_path: Path) -> None:
    population = generate(n=N, seed=SEED)
    step = next_wave(population)
    write_population(population, tmp_path / "w1")
    db_url = f"sqlite:///{tmp_path / 'drift.db'}"
    host_map = tmp_path / "hosts.txt"
    # groups this small are judged only with a small minimum (the check is the coverage)
    env = {**os.environ, **demo_environment(tmp_path, host_map), "ECOMSTAT_DRIFT_MIN_GROUP": "5"}
    with SampleWebServer(population) as server:
        write_host_map(population, server, host_map)
        _run(db_url, env, "register", "import", str(tmp_path / "w1" / "register.csv"),
             "--snapshot", "w1")
        _run(db_url, env, "register", "discover")
        groups = _wave(db_url, env, "2026Q3")
    with SampleWebServer(step.population) as server:
        write_host_map(step.population, server, host_map)
        groups |= _wave(db_url, env, "2026Q4")
    assert len({g for d, g in groups if d == "language"}) >= 2  # the sample web is multilingual

    rows = [json.loads(line) for line in _run(
        db_url, env, "waves", "drift", "--format", "json").splitlines() if line.strip()]
    assert {(r["from_wave"], r["to_wave"]) for r in rows} == {("2026Q3", "2026Q4")}
    compared = {(r["dimension"], r["group"]) for r in rows}
    assert groups <= compared, groups - compared
    for dimension, group in groups | {("all", "all")}:
        metrics = {r["metric"] for r in rows if (r["dimension"], r["group"]) == (dimension, group)}
        assert {"site_score", "page_score", "web_sales", "cart", "prices"} <= metrics, (dimension, group)
    overall = {r["metric"]: r for r in rows if r["dimension"] == "all"}
    assert overall["site_score"]["status"] != "too-small"  # 40 firms' sites, minimum 5
    assert overall["match_probability"]["n_from"] > 0
    # the demo's line after its second wave (same waves)
    line = drift_line(db_url)
    assert line is not None and line.startswith("drift 2026Q3 -> 2026Q4: ") and "judged" in line
