"""SDG 17.8.1 as ITU defines it (issue 16, item 8): a total not biased down by per-area
capping, unique users (multi-SIM factor), several operators scaled to the market by their
shares, the population's age scope, and an interval from the inputs' standard errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.internet_use import estimate_internet_use
from ecomstat.indicators.internet_use_io import AreaUsage
from ecomstat.indicators.results import read_values
from ecomstat.store import make_engine

runner = CliRunner()


def _write(tmp_path: Path, usage: str, population: str) -> dict[str, Path]:
    (tmp_path / "usage.csv").write_text(usage)
    (tmp_path / "population.csv").write_text(population)
    return {"usage": tmp_path / "usage.csv", "population": tmp_path / "population.csv"}


def _invoke(files: dict[str, Path], *extra: str, env: dict | None = None, db: str | None = None):
    prefix = ["--db", db] if db else []
    return runner.invoke(
        app,
        [
            *prefix,
            "indicators",
            "internet-use",
            "--usage",
            str(files["usage"]),
            "--population",
            str(files["population"]),
            "--min-count",
            "0",
            *extra,
        ],
        env=env,
    )


def _rows(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.output
    return {row["area"]: row for row in map(json.loads, result.stdout.splitlines())}


def _one_line_exit_2(result, needle: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines


# The finding. True use is 80% everywhere: 4 suburbs of 2,000 people (1,600 users
# each) and 2 centres of 1,000 (800 users each). The home-area detection puts 30% of each
# suburb's users (480) in a centre (night shifts, second homes): 1,120 users per suburb,
# 1,760 per centre. One operator with half the market, 1 SIM per user.
MISASSIGNED_USAGE = "area,active_sims,data_sims\n" + "".join(
    f"{name},{sims + 100},{sims}\n"
    for name, sims in [(f"suburb{i}", 1120 // 2) for i in range(4)]
    + [(f"centre{i}", 1760 // 2) for i in range(2)]
)
MISASSIGNED_POPULATION = (
    "area,population\n"
    + "".join(f"suburb{i},2000\n" for i in range(4))
    + "centre0,1000\ncentre1,1000\n"
)


def test_misassigned_home_areas_do_not_bias_the_total_down(tmp_path: Path) -> None:
    files = _write(tmp_path, MISASSIGNED_USAGE, MISASSIGNED_POPULATION)
    result = _invoke(files, "--market-share", "0.5", "--sims-per-person", "1", "--format", "json")
    rows = _rows(result)
    # capping each centre at 100% before summing gave (4 x 1,120 + 2 x 1,000) / 10,000 = 64.8%
    assert rows["total"]["internet_use_pct"] == pytest.approx(80.0)
    assert rows["total"]["flags"] == []
    for centre in ("centre0", "centre1"):  # flagged, not silently capped
        assert rows[centre]["internet_use_pct"] == 100.0
        assert rows[centre]["uncapped_pct"] == pytest.approx(176.0)
        assert rows[centre]["flags"] == ["over-100"]
    assert rows["suburb0"]["internet_use_pct"] == pytest.approx(56.0)
    assert "2 area(s) have more estimated users than inhabitants" in result.output


def test_the_total_itself_is_capped_at_100_and_flagged(tmp_path: Path) -> None:
    files = _write(tmp_path, "area,active_sims,data_sims\nA,900,800\n", "area,population\nA,1000\n")
    rows = _rows(
        _invoke(files, "--market-share", "0.5", "--sims-per-person", "1", "--format", "json")
    )
    assert rows["total"]["internet_use_pct"] == 100.0
    assert rows["total"]["uncapped_pct"] == pytest.approx(160.0)
    assert rows["total"]["flags"] == ["over-100"]


def test_unique_users_need_a_multi_sim_factor(tmp_path: Path) -> None:
    files = _write(tmp_path, "area,active_sims,data_sims\nA,900,600\n", "area,population\nA,1000\n")
    _one_line_exit_2(_invoke(files, "--market-share", "0.5"), "no SIMs-per-user (multi-SIM) factor")
    rows = _rows(
        _invoke(files, "--market-share", "0.5", "--sims-per-person", "1.5", "--format", "json")
    )
    assert rows["A"]["users"] == 800  # 600 data SIMs / 0.5 share = 1,200 SIMs / 1.5 per person
    assert rows["A"]["internet_use_pct"] == pytest.approx(80.0)


OPERATORS_USAGE = (
    "area,operator,active_sims,data_sims,market_share,sims_per_person\n"
    "X,A,400,300,0.3,1.2\nX,B,200,150,0.2,1.2\nY,A,100,90,0.3,1.2\n"
)


def test_a_subset_of_operators_is_scaled_to_the_market_by_their_shares(tmp_path: Path) -> None:
    files = _write(tmp_path, OPERATORS_USAGE, "area,population\nX,1000\nY,400\n")
    rows = _rows(_invoke(files, "--format", "json"))
    # X: (300 + 150) data SIMs of operators holding 0.3 + 0.2 of the market -> 900 SIMs market-
    # wide, 1.2 SIMs per user -> 750 users
    assert rows["X"]["users"] == 750 and rows["X"]["market_share"] == pytest.approx(0.5)
    assert rows["X"]["internet_use_pct"] == pytest.approx(75.0)
    assert rows["X"]["active_sims"] == 600 and rows["X"]["data_sims"] == 450
    assert rows["Y"]["internet_use_pct"] == pytest.approx(100 * 90 / 0.3 / 1.2 / 400)
    assert rows["total"]["users"] == 750 + 250


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        (OPERATORS_USAGE + "X,C,300,200,0.6,1.2\n", "market shares of area 'X' add up to 1.1"),
        (
            OPERATORS_USAGE.replace("X,B,200,150,0.2,1.2", "X,B,200,150,0.2,1.4"),
            "different SIMs-per-user factors",
        ),
        (OPERATORS_USAGE + "X,A,1,1,0.1,1.2\n", "area 'X' operator 'A' repeats line 2"),
        (OPERATORS_USAGE + ",A,1,1,0.1,1.2\n", "area is empty"),
        (OPERATORS_USAGE + "Y,,1,1,0.1,1.2\n", "operator is empty"),
    ],
)
def test_bad_operator_rows(tmp_path: Path, usage: str, message: str) -> None:
    files = _write(tmp_path, usage, "area,population\nX,1000\nY,400\n")
    _one_line_exit_2(_invoke(files), message)


AGE_POPULATION = (
    "area,age,population\n"
    "X,0-9,200\nX,10-14,100\nX,15-64,600\nX,65+,100\n"
    "Y,0-9,60\nY,10-14,40\nY,15-64,250\nY,65+,50\n"
)
AGE_USAGE = "area,active_sims,data_sims\nX,600,280\nY,300,150\n"


def test_the_age_scope_selects_the_population_groups(tmp_path: Path, db_url: str) -> None:
    files = _write(tmp_path, AGE_USAGE, AGE_POPULATION)
    common = ["--market-share", "0.5", "--sims-per-person", "1", "--format", "json"]
    adults = _rows(_invoke(files, "--age-scope", "15+", *common))
    assert adults["X"]["population"] == 700 and adults["Y"]["population"] == 300
    assert adults["X"]["internet_use_pct"] == pytest.approx(80.0)
    tens = _rows(
        _invoke(files, "--age-scope", "10+", *common[:4], "--format", "json", "--min-count", "0")
    )
    assert tens["X"]["population"] == 800
    _one_line_exit_2(_invoke(files, *common), "has an age column: give the age scope")
    _one_line_exit_2(_invoke(files, "--age-scope", "12+", *common), "line 3: age group '10-14'")
    _one_line_exit_2(_invoke(files, "--age-scope", "adults", *common), "--age-scope: 'adults'")
    # two scopes are two cells in the store, not one overwriting the other
    for scope in ("15+", "10+"):
        result = _invoke(
            files, "--age-scope", scope, *common[:4], "--store", "--period", "2026", db=db_url
        )
        assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    try:
        keys = {v.breakdown_key for v in read_values(engine, indicator="SDG_17_8_1")}
    finally:
        engine.dispose()
    assert {"age=15+;area=total", "age=10+;area=total", "age=15+;area=X"} <= keys


def test_overlapping_age_groups_are_refused(tmp_path: Path) -> None:
    files = _write(tmp_path, AGE_USAGE, AGE_POPULATION + "X,60-70,10\n")
    _one_line_exit_2(
        _invoke(files, "--age-scope", "15+", "--market-share", "0.5", "--sims-per-person", "1"),
        "overlaps line 4",
    )


def test_the_interval_is_the_inputs_uncertainty_carried_through(tmp_path: Path) -> None:
    """Only the multi-SIM factor is uncertain (1.25, SE 0.05): the rate is 80 / m, so the
    interval's ends are 80 / (1.25 +- 1.96 x 0.05), whatever the Monte Carlo does inside."""
    files = _write(tmp_path, "area,active_sims,data_sims\nA,900,400\n", "area,population\nA,1000\n")
    result = _invoke(
        files,
        "--market-share",
        "0.5",
        "--sims-per-person",
        "1.25",
        "--sims-per-person-se",
        "0.05",
        "--format",
        "json",
        env={"ECOMSTAT_INTERNET_USE_REPLICATES": "40000"},
    )
    total = _rows(result)["total"]
    assert total["internet_use_pct"] == pytest.approx(64.0)
    assert total["ci_low"] == pytest.approx(80 / (1.25 + 1.96 * 0.05), rel=0.004)
    assert total["ci_high"] == pytest.approx(80 / (1.25 - 1.96 * 0.05), rel=0.004)
    assert total["se"] == pytest.approx(64.0 * 0.05 / 1.25, rel=0.05)  # delta method
    again = _rows(
        _invoke(
            files,
            "--market-share",
            "0.5",
            "--sims-per-person",
            "1.25",
            "--sims-per-person-se",
            "0.05",
            "--format",
            "json",
            env={"ECOMSTAT_INTERNET_USE_REPLICATES": "40000"},
        )
    )["total"]
    assert again == total  # seeded: the same inputs give the same interval


def test_the_interval_covers_the_truth_about_95_percent_of_the_time() -> None:
    """Simulation: true share 0.4 and factor 1.3; the office knows them only as estimates with
    SE 0.03 and 0.06. Over 300 draws of those estimates, the 95% interval covers the true rate
    (70%) in 90-99% of the runs."""
    rng = np.random.default_rng(3)
    share, factor, people = 0.4, 1.3, 10_000
    data = round(0.7 * people * share * factor)
    truth = 100 * data / (share * factor) / people
    covered = 0
    runs = 300
    for _ in range(runs):
        usage = [
            AreaUsage(
                "A",
                "",
                data + 10,
                data,
                float(np.clip(rng.normal(share, 0.03), 0.01, 1)),
                float(rng.normal(factor, 0.06)),
                0.03,
                0.06,
                2,
            )
        ]
        total = estimate_internet_use(
            usage, {"A": people}, replicates=400, seed=int(rng.integers(1e9))
        )[-1]
        covered += total.ci_low <= truth <= total.ci_high
    assert 0.90 <= covered / runs <= 0.99


def test_interval_and_flags_are_stored(tmp_path: Path, db_url: str) -> None:
    files = _write(tmp_path, MISASSIGNED_USAGE, MISASSIGNED_POPULATION)
    result = _invoke(
        files,
        "--market-share",
        "0.5",
        "--market-share-se",
        "0.02",
        "--sims-per-person",
        "1",
        "--store",
        "--period",
        "2026Q1",
        db=db_url,
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    try:
        values = {v.breakdown["area"]: v for v in read_values(engine, indicator="SDG_17_8_1")}
    finally:
        engine.dispose()
    total = values["total"]
    assert total.estimate == pytest.approx(80.0)
    assert total.ci_low < 80.0 < total.ci_high and total.se > 0
    assert total.cv == pytest.approx(total.se / total.estimate)
    assert total.provenance["interval"]["replicates"] == 2000
    assert values["centre0"].flags == ["over-100"]
    assert values["centre0"].provenance["uncapped_pct"] == pytest.approx(176.0)


@pytest.mark.parametrize(
    ("extra", "env", "where"),
    [
        (["--market-share-se", "nan"], None, "--market-share-se: nan is not"),
        (["--market-share-se", "0.9"], None, "--market-share-se: 0.9 is not"),
        (["--sims-per-person-se", "inf"], None, "--sims-per-person-se: inf is not"),
        ([], {"ECOMSTAT_INTERNET_USE_REPLICATES": "5"}, "ECOMSTAT_INTERNET_USE_REPLICATES: 5"),
        ([], {"ECOMSTAT_INTERNET_USE_SEED": "-1"}, "ECOMSTAT_INTERNET_USE_SEED: -1"),
    ],
)
def test_absurd_uncertainty_inputs_are_refused(
    tmp_path: Path, extra: list[str], env: dict | None, where: str
) -> None:
    files = _write(tmp_path, "area,active_sims,data_sims\nA,900,400\n", "area,population\nA,1000\n")
    result = _invoke(files, "--market-share", "0.5", "--sims-per-person", "1", *extra, env=env)
    _one_line_exit_2(result, where)


def test_absurd_standard_error_in_the_usage_file_is_refused(tmp_path: Path) -> None:
    files = _write(
        tmp_path,
        "area,active_sims,data_sims,market_share,market_share_se,sims_per_person\nA,900,400,0.5,-0.1,1\n",
        "area,population\nA,1000\n",
    )
    _one_line_exit_2(_invoke(files), "usage.csv, line 2, column market_share_se: '-0.1' is not")
