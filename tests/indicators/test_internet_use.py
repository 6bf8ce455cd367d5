"""SDG 17.8.1 internet use from operator SIM counts: hand-computed cases through the CLI.

users = data_sims / (market_share * sims_per_person); rate = min(100, 100 * users / population)
(flag over-100 when cut); total = min(100, 100 * sum(users) / sum(population)) from UNCAPPED areas.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.results import read_values
from ecomstat.store import make_engine

runner = CliRunner()

USAGE = """area,active_sims,data_sims,data_sims_3g_plus,market_share,sims_per_person
North,1000,600,500,0.4,1.2
South,500,300,240,,
Tiny,15,10,8,0.5,1.0
Small,12,9,9,0.5,1.0
Full,900,800,700,0.25,1.0
"""
# Two areas under 20 SIMs (Tiny, Small): no secondary suppression is needed (see below)
POPULATION = "area,population\nNorth,1500\nSouth,1000\nTiny,100\nSmall,50\nFull,3000\nEmpty,700\n"
# By hand (South takes --market-share 0.5 and the default 1 SIM per person):
USERS = {"North": 600 / (0.4 * 1.2), "South": 300 / 0.5, "Tiny": 10 / 0.5, "Small": 9 / 0.5,
         "Full": 800 / 0.25}
PEOPLE = {"North": 1500, "South": 1000, "Tiny": 100, "Small": 50, "Full": 3000}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    usage = tmp_path / "usage.csv"
    usage.write_text(USAGE)
    population = tmp_path / "population.csv"
    population.write_text(POPULATION)
    return {"usage": usage, "population": population}


def _run(files: dict[str, Path], *extra: str, db: str | None = None):
    prefix = ["--db", db] if db else []
    if "--sims-per-person" not in extra:  # the multi-SIM factor is required: 1 where not given
        extra = (*extra, "--sims-per-person", "1")
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
            "--market-share",
            "0.5",
            *extra,
        ],
    )


def _rows(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.output
    return {row["area"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_rates_per_area_with_suppression_cap_and_total(files: dict[str, Path]) -> None:
    rows = _rows(_run(files, "--format", "json"))
    assert rows["North"]["internet_use_pct"] == pytest.approx(100 * 1250 / 1500, abs=0.005)
    assert rows["North"]["users"] == 1250
    assert rows["South"]["internet_use_pct"] == pytest.approx(60.0)
    assert rows["South"]["market_share"] == 0.5 and rows["South"]["sims_per_person"] == 1.0
    # 3,200 estimated users for 3,000 inhabitants: published as 100%, flagged, not hidden
    assert rows["Full"]["internet_use_pct"] == 100.0 and rows["Full"]["flags"] == ["over-100"]
    assert rows["Full"]["uncapped_pct"] == pytest.approx(100 * 3200 / 3000, abs=0.005)
    # 15 active SIMs < 20: no estimate and no counts shown
    tiny = rows["Tiny"]
    assert tiny["flags"] == ["suppressed"]
    assert (
        tiny["internet_use_pct"] is None and tiny["active_sims"] is None and tiny["users"] is None
    )
    assert rows["Empty"]["flags"] == ["no-usage-data"] and rows["Empty"]["internet_use_pct"] is None
    # total: ratio of sums over areas with data (suppressed included), areas NOT capped first
    assert rows["total"]["internet_use_pct"] == pytest.approx(
        100 * sum(USERS.values()) / sum(PEOPLE.values()), abs=0.005
    )
    assert rows["total"]["ci_low"] is None  # no standard error given: no interval
    assert rows["total"]["population"] == sum(PEOPLE.values())
    assert rows["total"]["active_sims"] == 1000 + 500 + 15 + 12 + 900


def test_one_suppressed_area_is_protected_by_suppressing_a_second(tmp_path: Path) -> None:
    """With only Tiny under the threshold, total - the others would give Tiny's counts: the
    published area with the fewest active SIMs (South) is hidden too, the rest stays."""
    usage = tmp_path / "usage.csv"
    usage.write_text("\n".join(line for line in USAGE.splitlines() if not line.startswith("Small")))
    population = tmp_path / "population.csv"
    population.write_text(POPULATION)
    rows = _rows(_run({"usage": usage, "population": population}, "--format", "json"))
    assert rows["Tiny"]["flags"] == ["suppressed"]
    south = rows["South"]
    assert south["flags"] == ["secondary-suppression"]
    assert south["internet_use_pct"] is None and south["active_sims"] is None
    assert rows["North"]["internet_use_pct"] == pytest.approx(100 * 1250 / 1500, abs=0.005)
    assert rows["total"]["active_sims"] == 1000 + 500 + 15 + 900  # the total stays published
    shown = sum(r["active_sims"] for a, r in rows.items() if a != "total" and r["active_sims"])
    assert rows["total"]["active_sims"] - shown == 500 + 15  # only the pair's sum is derivable


def test_min_count_and_three_g_plus_only(files: dict[str, Path]) -> None:
    rows = _rows(_run(files, "--min-count", "5", "--format", "json"))
    assert rows["Tiny"]["internet_use_pct"] == pytest.approx(20.0)
    rows = _rows(_run(files, "--3g-plus-only", "--format", "json"))
    assert rows["North"]["internet_use_pct"] == pytest.approx(
        100 * 500 / (0.4 * 1.2) / 1500, abs=0.005
    )
    assert rows["South"]["internet_use_pct"] == pytest.approx(48.0)
    assert rows["Full"]["internet_use_pct"] == pytest.approx(100 * 2800 / 3000, abs=0.005)
    assert rows["Full"]["flags"] == []


def test_sims_per_person_default_applies_where_the_file_has_none(files: dict[str, Path]) -> None:
    rows = _rows(_run(files, "--sims-per-person", "1.5", "--format", "json"))
    assert rows["South"]["internet_use_pct"] == pytest.approx(
        100 * 300 / (0.5 * 1.5) / 1000, abs=0.005
    )
    assert rows["North"]["sims_per_person"] == 1.2  # the file's own value wins


def test_csv_and_table_output(files: dict[str, Path]) -> None:
    result = _run(files, "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("area,internet_use_pct,ci_low,ci_high,se,uncapped_pct,users,population")
    assert "Tiny,,,,,,,100,,,0.5,1.0,suppressed" in lines
    assert _run(files).exit_code == 0  # the rich table


def test_store_is_idempotent(db_url: str, files: dict[str, Path]) -> None:
    for _ in range(2):
        result = _run(files, "--store", "--period", "2026Q1", db=db_url)
        assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    try:
        values = {v.breakdown["area"]: v for v in read_values(engine, indicator="SDG_17_8_1")}
    finally:
        engine.dispose()
    assert set(values) == {"North", "South", "Tiny", "Small", "Full", "Empty", "total"}
    assert values["South"].estimate == pytest.approx(60.0) and values["South"].n == 500
    assert values["Tiny"].estimate is None and values["Tiny"].flags == ["suppressed"]
    assert values["North"].method == "mno-data-sims" and values["North"].period == "2026Q1"
    assert len(values["total"].provenance["usage_sha256"]) == 64


@pytest.mark.parametrize(
    ("usage", "population", "extra", "message"),
    [
        ("area,active_sims\nA,10\n", None, [], "lacks column(s) data_sims"),
        (
            "area,active_sims,data_sims\nNorth,10.5,3\n",
            None,
            [],
            "line 2, column active_sims: '10.5' is not a whole number",
        ),
        ("area,active_sims,data_sims\nNorth,10,-3\n", None, [], "column data_sims: '-3' is not"),
        ("area,active_sims,data_sims\nNorth,10,30\n", None, [], "exceeds active_sims"),
        (
            "area,active_sims,data_sims,market_share\nNorth,10,3,1.5\n",
            None,
            [],
            "column market_share: '1.5' is not a number from 0.001 to 1",
        ),
        ("area,active_sims,data_sims\nNorth,10,3\nNorth,10,3\n", None, [], "repeats line 2"),
        (
            "area,active_sims,data_sims\nAtlantis,10,3\n",
            None,
            [],
            "not in the population file: Atlantis",
        ),
        ("area,active_sims,data_sims\nNorth,10,3\n", None, ["--3g-plus-only"], "data_sims_3g_plus"),
        ("", None, [], "is empty"),
        ("area,active_sims,data_sims\n", None, [], "has no areas"),
        (None, "area,population\nNorth,0\n", [], "column population: '0' is not a number above 0"),
        (None, "area,people\nNorth,10\n", [], "lacks column(s) population"),
        (None, None, ["--market-share", "2"], "--market-share: 2.0 is not a number"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_stores_nothing(
    tmp_path: Path,
    files: dict[str, Path],
    usage: str | None,
    population: str | None,
    extra: list[str],
    message: str,
) -> None:
    if usage is not None:
        files["usage"].write_text(usage)
    if population is not None:
        files["population"].write_text(population)
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = runner.invoke(
        app,
        [
            "--db",
            db,
            "indicators",
            "internet-use",
            "--usage",
            str(files["usage"]),
            "--population",
            str(files["population"]),
            "--market-share",
            "0.5",
            "--sims-per-person",
            "1",
            "--store",
            *extra,
        ],
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    # the input is checked before the store is opened: not even a database file appears
    assert not (tmp_path / "store.db").exists()


def test_missing_market_share_is_bad_input(files: dict[str, Path]) -> None:
    result = runner.invoke(
        app,
        [
            "indicators",
            "internet-use",
            "--usage",
            str(files["usage"]),
            "--population",
            str(files["population"]),
        ],
    )
    assert result.exit_code == 2
    assert "line 3: no market share" in result.output  # South has no market_share value
