"""Numbers that are not numbers (issue 12, item 5): NaN, inf, -inf, 1e308, negative and absurd
values in every numeric input of the indicator commands are refused with one line naming the
file, line and column (or the option / setting), exit 2, and nothing stored; the JSON output
never holds `Infinity` or `NaN`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.adoption_synthetic import synthetic_store
from ecomstat.store.engine import transaction
from ecomstat.store.models import IndicatorValue

runner = CliRunner()
NOT_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e308"]


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _values(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(IndicatorValue)) or 0


def _strict_json(text: str) -> list[dict]:
    """JSON lines, refusing the NaN/Infinity/-Infinity that Python's json would accept."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"not JSON: {constant}")

    return [json.loads(line, parse_constant=refuse) for line in text.splitlines() if line.strip()]


def _refused(engine: Engine, args: list[str], where: str, env: dict | None = None) -> str:
    """Run with --store: exit 2, one line naming `where`, and no indicator value written."""
    before = _values(engine)
    result = runner.invoke(app, ["--db", _url(engine), *args], env=env)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert where in lines[0], lines[0]
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    assert _values(engine) == before
    return lines[0]


# --- SDG 9.c.1 coverage -------------------------------------------------------------------

CELLS = "lon,lat,range,radio\n10,50,1500,LTE\n10.5,50.5,0,GSM\n"
GRID = "lon,lat,population\n10,50.001,100\n10.2,50.2,50\n"


@pytest.fixture
def mobile(tmp_path: Path, sqlite_engine: Engine) -> tuple[Engine, Path]:
    (tmp_path / "cells.csv").write_text(CELLS)
    (tmp_path / "grid.csv").write_text(GRID)
    return sqlite_engine, tmp_path


def _coverage(folder: Path, *extra: str) -> list[str]:
    return ["indicators", "coverage", "--cells", str(folder / "cells.csv"), "--population",
            str(folder / "grid.csv"), "--store", "--period", "2026", *extra]


def test_valid_coverage_stores_and_prints_strict_json(mobile) -> None:
    engine, folder = mobile
    result = runner.invoke(app, ["--db", _url(engine), *_coverage(folder, "--format", "json")])
    assert result.exit_code == 0, result.output
    rows = _strict_json(result.stdout)
    assert rows[0]["covered_pct"] == pytest.approx(100 * 100 / 150, abs=0.005)
    assert _values(engine) == 4


@pytest.mark.parametrize("value", [*NOT_FINITE, "2e6", "1e7"])
def test_absurd_grid_population_is_refused(mobile, value: str) -> None:
    # 1e308 used to store 4 rows with empty estimates, then crash with a traceback
    engine, folder = mobile
    (folder / "grid.csv").write_text(GRID + f"10.3,50.3,{value}\n")
    _refused(engine, _coverage(folder), f"grid.csv, line 4, column population: '{value}'")


def test_a_negative_population_still_marks_a_suppressed_cell(mobile) -> None:
    engine, folder = mobile
    (folder / "grid.csv").write_text(GRID + "10.3,50.3,-1\n")
    result = runner.invoke(app, ["--db", _url(engine), *_coverage(folder, "--format", "json")])
    assert result.exit_code == 0, result.output
    assert _strict_json(result.stdout)[0]["population"] == 150


@pytest.mark.parametrize("value", [*NOT_FINITE, "1e300", "-5", "200000"])
def test_absurd_cell_range_is_refused(mobile, value: str) -> None:
    # NaN used to mean "no range" silently, and 1e300 m gave 100% coverage
    engine, folder = mobile
    (folder / "cells.csv").write_text(CELLS + f"11,51,{value},UMTS\n")
    _refused(engine, _coverage(folder), f"cells.csv, line 4, column range: '{value}'")


def test_an_empty_or_zero_range_still_means_no_range(mobile) -> None:
    engine, folder = mobile
    (folder / "cells.csv").write_text(CELLS + "11,51,,UMTS\n")
    result = runner.invoke(app, ["--db", _url(engine), *_coverage(folder, "--format", "json")])
    assert result.exit_code == 0, result.output
    assert "2 cells had no range" in result.output


@pytest.mark.parametrize(("column", "row"), [
    ("lon", "nan,50,100,LTE"), ("lat", "10,inf,100,LTE"), ("lon", "1e308,50,100,LTE"),
    ("lat", "10,-91,100,LTE"),
])
def test_absurd_cell_position_is_refused(mobile, column: str, row: str) -> None:
    engine, folder = mobile
    (folder / "cells.csv").write_text(CELLS + row + "\n")
    _refused(engine, _coverage(folder), f"cells.csv, line 4, column {column}: ")


@pytest.mark.parametrize("option", ["--default-range", "--max-range"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "-1", "1e6"])
def test_absurd_range_options_are_refused(mobile, option: str, value: str) -> None:
    engine, folder = mobile
    _refused(engine, _coverage(folder, option, value), f"{option}: ")


@pytest.mark.parametrize(("setting", "value"), [
    ("ECOMSTAT_COVERAGE_DEFAULT_RANGE_M", "nan"), ("ECOMSTAT_COVERAGE_MAX_RANGE_M", "inf"),
    ("ECOMSTAT_COVERAGE_GRID_CELL_M", "nan"), ("ECOMSTAT_COVERAGE_GRID_CELL_M", "0"),
    ("ECOMSTAT_COVERAGE_AREA_SAMPLES", "101"), ("ECOMSTAT_COVERAGE_AREA_SAMPLES", "0"),
])
def test_absurd_coverage_settings_are_refused_by_name(mobile, setting: str, value: str) -> None:
    engine, folder = mobile
    _refused(engine, _coverage(folder, "--method", "area"), f"{setting}: ", env={setting: value})


# --- SDG 17.8.1 internet use ----------------------------------------------------------------

USAGE = "area,active_sims,data_sims,market_share,sims_per_person\nNorth,1000,600,0.4,1.2\n"
AREA_POPULATION = "area,population\nNorth,1500\nSouth,1000\n"


@pytest.fixture
def usage(tmp_path: Path, sqlite_engine: Engine) -> tuple[Engine, Path]:
    (tmp_path / "usage.csv").write_text(USAGE)
    (tmp_path / "population.csv").write_text(AREA_POPULATION)
    return sqlite_engine, tmp_path


def _use(folder: Path, *extra: str) -> list[str]:
    return ["indicators", "internet-use", "--usage", str(folder / "usage.csv"), "--population",
            str(folder / "population.csv"), "--min-count", "0", "--store", "--period", "2026",
            *extra]


def test_valid_internet_use_stores_and_prints_strict_json(usage) -> None:
    engine, folder = usage
    result = runner.invoke(app, ["--db", _url(engine), *_use(folder, "--format", "json")])
    assert result.exit_code == 0, result.output
    assert _strict_json(result.stdout)[0]["users"] == 1250
    assert _values(engine) == 3


@pytest.mark.parametrize(("column", "value"), [
    *[("active_sims", v) for v in [*NOT_FINITE, "-1", "2e10", "10.5"]],
    *[("data_sims", v) for v in ["nan", "inf", "-inf", "-3"]],
    *[("market_share", v) for v in ["nan", "inf", "1e308", "0", "1e-300", "-0.5", "1.5"]],
    *[("sims_per_person", v) for v in ["nan", "inf", "1e308", "0", "-1", "1e-300", "50"]],
])
def test_absurd_usage_values_are_refused(usage, column: str, value: str) -> None:
    # active_sims=1e308 used to crash (OverflowError) when stored
    engine, folder = usage
    row = {"area": "South", "active_sims": "500", "data_sims": "300", "market_share": "0.5",
           "sims_per_person": "1", column: value}
    (folder / "usage.csv").write_text(USAGE + ",".join(row.values()) + "\n")
    _refused(engine, _use(folder), f"usage.csv, line 3, column {column}: '{value}'")


@pytest.mark.parametrize("value", [*NOT_FINITE, "-5", "0", "1e11"])
def test_absurd_area_population_is_refused(usage, value: str) -> None:
    engine, folder = usage
    (folder / "population.csv").write_text(AREA_POPULATION + f"East,{value}\n")
    _refused(engine, _use(folder), f"population.csv, line 4, column population: '{value}'")


@pytest.mark.parametrize(("option", "value"), [
    *[("--sims-per-person", v) for v in ["inf", "nan", "-inf", "1e308", "0", "-1"]],
    *[("--market-share", v) for v in ["inf", "nan", "1e-300", "0", "2"]],
    ("--min-count", "-1"),
])
def test_absurd_internet_use_options_are_refused(usage, option: str, value: str) -> None:
    # --sims-per-person inf used to be accepted and printed as `Infinity` (not JSON)
    engine, folder = usage
    (folder / "usage.csv").write_text("area,active_sims,data_sims\nNorth,1000,600\n")
    share = [] if option == "--market-share" else ["--market-share", "0.5"]
    args = [*share, option, value]
    _refused(engine, _use(folder, *args, "--format", "json"), f"{option}: ")


# --- e-commerce adoption: build options, register totals, survey comparison -----------------


@pytest.fixture(scope="module")
def adoption_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    from ecomstat.store import make_engine
    from ecomstat.store.migrate import upgrade

    path = tmp_path_factory.mktemp("adoption") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    synthetic_store(engine, 300, random_state=3)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def adoption(adoption_db: str) -> Iterator[Engine]:
    from ecomstat.store import make_engine

    engine = make_engine(adoption_db)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(("args", "env", "where"), [
    (["--random-state", "-1"], None, "--random-state: -1"),  # was a numpy traceback
    (["--replicates", "100001"], None, "--replicates: "),
    (["--replicates", "1"], None, "--replicates: "),
    (["--min-employees", "-1"], None, "--min-employees: "),
    (["--min-employees", "100000000000"], None, "--min-employees: "),
    ([], {"ECOMSTAT_MAX_CELL_CV": "nan"}, "ECOMSTAT_MAX_CELL_CV: nan"),
    ([], {"ECOMSTAT_MAX_CELL_CV": "inf"}, "ECOMSTAT_MAX_CELL_CV: inf"),
    ([], {"ECOMSTAT_MIN_CELL_N": "-1"}, "ECOMSTAT_MIN_CELL_N: "),
    ([], {"ECOMSTAT_RANDOM_STATE": "-7"}, "ECOMSTAT_RANDOM_STATE: "),
])
def test_absurd_build_options_are_refused(adoption: Engine, args: list[str], env, where) -> None:
    build = ["indicators", "build", "--period", "2026", "--replicates", "5"]
    _refused(adoption, [*build, *args], where, env=env)


@pytest.mark.parametrize("value", [*NOT_FINITE, "0", "-3", "2e9"])
def test_absurd_register_totals_are_refused(adoption: Engine, tmp_path: Path, value: str) -> None:
    totals = tmp_path / "totals.csv"
    totals.write_text(f"size_class,nace_section,enterprises\n10-49,C,{value}\n10-49,F,20\n")
    build = ["indicators", "build", "--method", "calibrated", "--totals", str(totals),
             "--replicates", "5", "--period", "2026"]
    _refused(adoption, build, f"totals.csv, line 2, column enterprises: '{value}'")


@pytest.mark.parametrize(("column", "value"), [
    *[("estimate", v) for v in [*NOT_FINITE, "-1", "130"]],
    *[("se", v) for v in ["nan", "inf", "1e308", "-0.5"]],
    *[("ci_high", v) for v in ["inf", "1e308", "101"]],  # 1e308 was stored as a survey cell
    *[("ci_low", v) for v in ["-inf", "-1"]],
])
def test_absurd_survey_values_are_refused(adoption: Engine, tmp_path: Path, column: str,
                                          value: str) -> None:
    row = {"indicator": "ECOM_WEB_SALES", "breakdown": "total", "estimate": "20", "se": "",
           "ci_low": "10", "ci_high": "30", column: value}
    survey = tmp_path / "survey.csv"
    survey.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n")
    compare = ["indicators", "compare", "--survey", str(survey), "--store", "--format", "json"]
    _refused(adoption, compare, f"survey.csv, line 2, column {column}: '{value}'")


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "2", "-1"])
def test_audit_labels_are_yes_or_no_never_numbers(adoption: Engine, tmp_path: Path,
                                                  value: str) -> None:
    # The audit import has no numeric input: its labels are yes/no, 1/0, true/false only.
    from ecomstat.store.models import AuditLabel, Enterprise

    with transaction(adoption) as session:
        ids = list(session.scalars(select(Enterprise.id).order_by(Enterprise.id).limit(2)))
    audit = tmp_path / "audit.csv"
    audit.write_text(f"enterprise_id,web_sales\n{ids[0]},yes\n{ids[1]},{value}\n")
    result = runner.invoke(app, ["--db", _url(adoption), "audit", "import", str(audit)])
    assert result.exit_code == 2, result.output
    assert f"line 3, column web_sales: '{value}' is not yes/no" in result.output
    with transaction(adoption) as session:
        assert session.scalar(select(func.count()).select_from(AuditLabel)) == 0
