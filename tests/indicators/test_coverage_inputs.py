"""SDG 9.c.1 input checks (issue 16, item 9): population beyond the cell file's extent,
the grid's spacing for the area method, repeated grid rows, suppressed census cells reported
apart, and ITU's rule for several operators (largest) next to the union (any).

Positions at the equator: 0.01 degree of latitude or longitude = 1111.95 m.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.geo import EARTH_RADIUS_M

runner = CliRunner()
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180


def _run(cells: Path, grid: Path, *extra: str, env: dict | None = None):
    return runner.invoke(
        app,
        ["indicators", "coverage", "--cells", str(cells), "--population", str(grid), *extra],
        env=env,
    )


def _rows(result) -> dict[tuple[str, str], dict]:
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {(row["area"], row["level"]): row for row in rows}


def _one_line_exit_2(result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_population_beyond_the_cells_extent_is_reported_and_flagged(tmp_path: Path) -> None:
    # Sites span lon 0-0.02, lat 0-0.02. 900 inhabitants inside that box, 100 east of it: 10%,
    # above the 5% threshold; a huge range covers them all the same.
    cells = tmp_path / "cells.csv"
    cells.write_text("lon,lat,range,radio\n0,0,50000,LTE\n0.02,0.02,50000,LTE\n")
    grid = tmp_path / "grid.csv"
    grid.write_text("lon,lat,population\n0.01,0.01,900\n0.3,0.01,100\n")
    result = _run(cells, grid, "--format", "json")
    total = _rows(result)[("total", "4G")]
    assert total["covered_pct"] == 100.0
    assert total["outside_extent_pct"] == pytest.approx(10.0)
    assert total["flags"] == ["outside-cell-extent"]
    assert "10.0% of the population lives outside the cell file's extent" in result.output
    # under a higher threshold: reported, not flagged
    rows = _rows(
        _run(cells, grid, "--format", "json", env={"ECOMSTAT_COVERAGE_MAX_OUTSIDE_PCT": "15"})
    )
    assert rows[("total", "4G")]["outside_extent_pct"] == pytest.approx(10.0)
    assert rows[("total", "4G")]["flags"] == []


def test_munich_population_outside_the_cells_extent(shared_data: Path) -> None:
    """The issue's finding: 19.8% of Munich's grid population lives outside the extent of the
    OpenCelliD extract (sites within lon 11.3602-11.7214, lat 48.0611-48.2477)."""
    folder = shared_data / "mobile" / "munich"
    result = _run(
        folder / "opencellid_munich_mcc262_mnc1.csv",
        folder / "zensus2011_munich_100m_grid.csv",
        "--population-column",
        "einwohner_zensus2011",
        "--technology",
        "4G",
        "--format",
        "json",
    )
    total = _rows(result)[("total", "4G")]
    assert total["outside_extent_pct"] == pytest.approx(19.77, abs=0.01)
    assert "outside-cell-extent" in total["flags"]
    # the 126,766 cells marked -1 are reported apart, not as inhabited-by-zero
    assert total["suppressed_cells"] == 126_766 and total["grid_cells"] == 33_234


def _km_grid(tmp_path: Path) -> Path:
    step = 1000 / M_PER_DEG  # a 1 km grid
    grid = tmp_path / "grid_1km.csv"
    grid.write_text(
        "lon,lat,population\n"
        + "".join(f"{i * step:.9f},{j * step:.9f},100\n" for i in range(4) for j in range(4))
    )
    return grid


def test_area_method_refuses_a_grid_spacing_that_is_not_the_square_size(tmp_path: Path) -> None:
    grid = _km_grid(tmp_path)
    cells = tmp_path / "cells.csv"
    cells.write_text("lon,lat,range,radio\n0,0,1200,LTE\n0.03,0.03,100,LTE\n")
    result = _run(cells, grid, "--method", "area")  # default square: 100 m
    _one_line_exit_2(result, "1,000 m apart", "ECOMSTAT_COVERAGE_GRID_CELL_M=1000")
    env = {"ECOMSTAT_COVERAGE_GRID_CELL_M": "1000"}
    rows = _rows(_run(cells, grid, "--method", "area", "--format", "json", env=env))
    # 1 km squares: the site at the corner square's centre covers it and parts of the next ones
    covered = rows[("total", "4G")]["covered_population"]
    assert 100 < covered < 400
    # the centroid method does not use the square size: no check
    assert _run(cells, grid, "--format", "json").exit_code == 0


def test_repeated_grid_rows_are_refused_naming_the_line(tmp_path: Path) -> None:
    cells = tmp_path / "cells.csv"
    cells.write_text("lon,lat,range,radio\n0,0,1500,LTE\n")
    grid = tmp_path / "grid.csv"
    grid.write_text("lon,lat,population\n0,0.01,100\n0,0.02,50\n0,0.01,100\n")
    db = tmp_path / "store.db"
    result = runner.invoke(
        app,
        [
            "--db",
            f"sqlite:///{db}",
            "indicators",
            "coverage",
            "--cells",
            str(cells),
            "--population",
            str(grid),
            "--store",
        ],
    )
    _one_line_exit_2(result, "grid.csv, line 4", "repeats line 2")
    assert not db.exists()  # nothing written


def test_suppressed_census_cells_are_counted_apart_per_area(tmp_path: Path) -> None:
    cells = tmp_path / "cells.csv"
    cells.write_text("lon,lat,range,radio\n0,0,1500,LTE\n1,0,1500,LTE\n")
    grid = tmp_path / "grid.csv"
    grid.write_text(
        "lon,lat,population\n0,0.01,100\n0,0.011,-1\n0,0.012,-1\n1,0.01,50\n1,0.011,-1\n5,5,-1\n"
    )
    square = lambda w, e: [[w, -1], [e, -1], [e, 1], [w, 1], [w, -1]]  # noqa: E731
    areas = tmp_path / "areas.geojson"
    areas.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": name},
                        "geometry": {"type": "Polygon", "coordinates": [square(w, e)]},
                    }
                    for name, w, e in (("West", -0.5, 0.5), ("East", 0.5, 1.5))
                ],
            }
        )
    )
    result = _run(cells, grid, "--areas", str(areas), "--format", "json")
    rows = _rows(result)
    assert rows[("total", "4G")]["suppressed_cells"] == 4
    assert rows[("total", "4G")]["population"] == 150  # unknown inhabitants are not zeros
    assert rows[("West", "4G")]["suppressed_cells"] == 2
    assert rows[("East", "4G")]["suppressed_cells"] == 1
    assert rows[("outside", "4G")]["suppressed_cells"] == 1
    assert "4 grid cells are marked suppressed" in result.output


OPERATORS = (
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n"
    # operator 262-1: one site covering the first grid point (100 inhabitants)
    "LTE,262,1,1,1,0,0,0,1500,5,1,0,0,-80\n"
    # operator 262-2: two sites covering the second and third points (60 + 70)
    "LTE,262,2,1,2,0,0,0.1,1500,5,1,0,0,-80\n"
    "GSM,262,2,1,3,0,0,0.2,1500,5,1,0,0,-80\n"
)
OPERATOR_GRID = "lon,lat,population\n0,0.01,100\n0,0.11,60\n0,0.21,70\n0,5,20\n"


def test_several_operators_largest_is_itus_rule_any_is_the_union(tmp_path: Path) -> None:
    cells = tmp_path / "cells.csv"
    cells.write_text(OPERATORS)
    grid = tmp_path / "grid.csv"
    grid.write_text(OPERATOR_GRID)
    result = _run(cells, grid, "--format", "json")
    rows = _rows(result)  # default: ITU's rule, the largest operator per row
    assert rows[("total", "2G")]["covered_population"] == 130  # 262-2: 60 + 70 > 100
    assert rows[("total", "2G")]["operator"] == "262-2"
    assert rows[("total", "4G")]["covered_population"] == 100  # 262-1: 100 > 60 (4G only)
    assert rows[("total", "4G")]["operator"] == "262-1"
    assert "2 operators; rule largest" in result.output
    union = _rows(_run(cells, grid, "--operators", "any", "--format", "json"))
    assert union[("total", "2G")]["covered_population"] == 230
    assert union[("total", "4G")]["covered_population"] == 160
    assert "operator" not in union[("total", "2G")]


def test_operator_rule_needs_an_operator_column(tmp_path: Path) -> None:
    cells = tmp_path / "cells.csv"
    cells.write_text("lon,lat,range,radio\n0,0,1500,LTE\n")
    grid = tmp_path / "grid.csv"
    grid.write_text(OPERATOR_GRID)
    _one_line_exit_2(_run(cells, grid, "--operators", "largest"), "needs an operator column")


def test_operator_rows_are_stored_with_the_operator_in_provenance(tmp_path: Path) -> None:
    from ecomstat.indicators.results import read_values
    from ecomstat.store import make_engine

    cells = tmp_path / "cells.csv"
    cells.write_text(OPERATORS)
    grid = tmp_path / "grid.csv"
    grid.write_text(OPERATOR_GRID)
    (tmp_path / "store.db").touch()
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = runner.invoke(
        app,
        [
            "--db",
            db,
            "indicators",
            "coverage",
            "--cells",
            str(cells),
            "--population",
            str(grid),
            "--store",
            "--period",
            "2026",
        ],
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(db)
    try:
        values = {v.breakdown_key: v for v in read_values(engine, indicator="SDG_9_c_1")}
    finally:
        engine.dispose()
    total = values["area=total;level=2G"]
    assert total.estimate == pytest.approx(100 * 130 / 250)
    assert total.provenance["operator"] == "262-2"
    assert total.provenance["operator_rule"] == "largest"
    assert total.provenance["operators"] == ["262-1", "262-2"]


@pytest.mark.parametrize("value", ["nan", "-1", "101"])
def test_absurd_outside_threshold_is_refused_by_name(tmp_path: Path, value: str) -> None:
    cells = tmp_path / "cells.csv"
    cells.write_text("lon,lat,range,radio\n0,0,1500,LTE\n")
    grid = tmp_path / "grid.csv"
    grid.write_text("lon,lat,population\n0,0.01,100\n")
    result = _run(cells, grid, env={"ECOMSTAT_COVERAGE_MAX_OUTSIDE_PCT": value})
    _one_line_exit_2(result, "ECOMSTAT_COVERAGE_MAX_OUTSIDE_PCT: ")
