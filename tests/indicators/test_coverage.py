"""SDG 9.c.1 coverage: hand-computable cases end to end through the CLI, bad input, the store.

Distances along a meridian are exact by hand: 0.01 degree of latitude = 1111.95 m on the
6,371,008.8 m sphere. Along the equator the same holds for longitude.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.coverage import covered_fractions, effective_ranges, square_samples
from ecomstat.indicators.coverage_io import Cells, file_sha256
from ecomstat.indicators.geo import EARTH_RADIUS_M, haversine_m
from ecomstat.indicators.results import read_values
from ecomstat.store import make_engine

runner = CliRunner()
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180  # 111,195 m

# Cell sites. A: 4G, 1500 m; B: 2G, 3000 m; C: 5G, 500 m; D: 3G, 1000 m.
OPENCELLID_HEADER = (
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal"
)
CELLS = [
    ("LTE", 10.0, 50.0, 1500),
    ("GSM", 10.0, 50.05, 3000),
    ("NR", 10.5, 50.0, 500),
    ("UMTS", 11.0, 50.0, 1000),
]
# Grid centroids: lon, lat, population, and the best level covering them (by hand).
GRID = [
    (10.0, 50.01, 100),  # 1112 m from A (<= 1500): 4G; 4448 m from B
    (10.0, 50.03, 200),  # 3336 m from A; 2224 m from B (<= 3000): 2G
    (10.0, 49.9, 300),  # 11 km from A, 16.7 km from B: uncovered
    (10.5, 50.001, 50),  # 111 m from C: 5G
    (10.5, 50.0, -1),  # suppressed: counts as 0 inhabitants
    (10.5, 50.002, 0),  # empty
    (11.0, 50.005, 100),  # 556 m from D: 3G
]
TOTAL = 750  # 100 + 200 + 300 + 50 + 100
EXPECTED_TOTAL = {"2G": 450 / 7.5, "3G": 250 / 7.5, "4G": 150 / 7.5, "5G": 50 / 7.5}


def _square(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


AREAS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "West"},
            "geometry": {"type": "Polygon", "coordinates": [_square(9.5, 49.5, 10.25, 50.5)]},
        },
        {
            "type": "Feature",
            "properties": {"name": "East"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [_square(10.4, 49.9, 10.6, 50.1)],
                    # the last grid point lies in this polygon's hole: "outside"
                    [_square(10.9, 49.9, 11.1, 50.1), _square(10.99, 50.0, 11.01, 50.01)],
                ],
            },
        },
    ],
}


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    cells = tmp_path / "cells.csv"
    cells.write_text(
        OPENCELLID_HEADER
        + "\n"
        + "".join(
            f"{r},262,1,1,{i},0,{lon},{lat},{rng},5,1,0,0,-80\n"
            for i, (r, lon, lat, rng) in enumerate(CELLS)
        )
    )
    grid = tmp_path / "grid.csv"
    grid.write_text(
        "id,lon,lat,inhabitants\n"
        + "".join(f"g{i},{lon},{lat},{pop}\n" for i, (lon, lat, pop) in enumerate(GRID))
    )
    areas = tmp_path / "areas.geojson"
    areas.write_text(json.dumps(AREAS))
    return {"cells": cells, "grid": grid, "areas": areas}


def _coverage(*args: str | Path, db: str | None = None):
    prefix = ["--db", db] if db else []
    return runner.invoke(app, [*prefix, "indicators", "coverage", *map(str, args)])


def _json_rows(result) -> dict[tuple[str, str], dict]:
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {(row["area"], row["level"]): row for row in rows}


def test_hand_computed_distances_are_what_the_cases_assume() -> None:
    assert haversine_m(10.0, 50.0, 10.0, 50.01) == pytest.approx(0.01 * M_PER_DEG, rel=1e-9)
    assert 0.01 * M_PER_DEG < 1500 < 0.02 * M_PER_DEG < 3000 < 0.03 * M_PER_DEG


def test_total_coverage_by_at_least_level(inputs: dict[str, Path]) -> None:
    result = _coverage(
        "--cells",
        inputs["cells"],
        "--population",
        inputs["grid"],
        "--population-column",
        "inhabitants",
        "--format",
        "json",
    )
    rows = _json_rows(result)
    assert set(rows) == {("total", level) for level in EXPECTED_TOTAL}
    for level, pct in EXPECTED_TOTAL.items():
        row = rows[("total", level)]
        assert row["covered_pct"] == pytest.approx(pct, abs=0.005)
        assert row["population"] == TOTAL
        assert row["grid_cells"] == 5  # populated cells only
    pcts = [rows[("total", level)]["covered_pct"] for level in ("2G", "3G", "4G", "5G")]
    assert pcts == sorted(pcts, reverse=True)


def test_per_area_breakdown_with_multipolygon_hole_and_outside(inputs: dict[str, Path]) -> None:
    result = _coverage(
        "--cells",
        inputs["cells"],
        "--population",
        inputs["grid"],
        "--population-column",
        "inhabitants",
        "--areas",
        inputs["areas"],
        "--format",
        "json",
    )
    rows = _json_rows(result)
    expected = {
        "West": (600, {"2G": 300, "3G": 100, "4G": 100, "5G": 0}),
        "East": (50, {"2G": 50, "3G": 50, "4G": 50, "5G": 50}),
        "outside": (100, {"2G": 100, "3G": 100, "4G": 0, "5G": 0}),
    }
    for area, (people, covered) in expected.items():
        for level, count in covered.items():
            row = rows[(area, level)]
            assert row["population"] == people
            assert row["covered_population"] == count
            assert row["covered_pct"] == pytest.approx(100 * count / people, abs=0.005)
    for level in EXPECTED_TOTAL:  # areas partition the total
        parts = [rows[(area, level)]["covered_population"] for area in expected]
        assert sum(parts) == rows[("total", level)]["covered_population"]


def test_plain_layout_with_technology_and_table_output(
    tmp_path: Path, inputs: dict[str, Path]
) -> None:
    cells = tmp_path / "plain.csv"
    cells.write_text("lon,lat,range\n10.0,50.0,1500\n10.0,50.05,\n")  # empty range: default
    result = _coverage(
        "--cells",
        cells,
        "--population",
        inputs["grid"],
        "--population-column",
        "inhabitants",
        "--technology",
        "3G",
        "--format",
        "json",
    )
    rows = _json_rows(result)
    assert rows[("total", "3G")]["covered_population"] == 100  # only the first point
    assert rows[("total", "4G")]["covered_population"] == 0
    widened = _json_rows(
        _coverage(
            "--cells",
            cells,
            "--population",
            inputs["grid"],
            "--population-column",
            "inhabitants",
            "--technology",
            "3G",
            "--default-range",
            "3000",
            "--format",
            "json",
        )
    )
    assert widened[("total", "2G")]["covered_population"] == 300  # the 2nd site now covers 200
    table = _coverage(
        "--cells",
        cells,
        "--population",
        inputs["grid"],
        "--population-column",
        "inhabitants",
        "--technology",
        "3G",
    )
    assert table.exit_code == 0 and "total" in table.stdout and "covered_pct" in table.stdout


def test_headerless_opencellid_dump_and_radio_mapping(
    tmp_path: Path, inputs: dict[str, Path]
) -> None:
    body = inputs["cells"].read_text().splitlines()[1:]
    body.append("NBIOT,262,1,1,99,0,10.0,49.9,5000,5,1,0,0,-80")  # IoT only: skipped
    body.append("CDMA,262,1,1,98,0,11.0,50.0,1000,5,1,0,0,-80")  # CDMA: 2G by default
    cells = tmp_path / "dump.csv"
    cells.write_text("\n".join(body) + "\n")
    rows = _json_rows(
        _coverage(
            "--cells",
            cells,
            "--population",
            inputs["grid"],
            "--population-column",
            "inhabitants",
            "--format",
            "json",
        )
    )
    for level, pct in EXPECTED_TOTAL.items():
        assert rows[("total", level)]["covered_pct"] == pytest.approx(pct, abs=0.005)


def test_area_method_samples_the_square(tmp_path: Path) -> None:
    # At the equator, a site with a 50 km range whose edge passes 10 m east of the centroid:
    # of the 5 x 5 sample columns at -40, -20, 0, 20, 40 m east, the two eastern ones are in.
    reach = 50_000.0
    site_lon = math.degrees((reach + 10) / EARTH_RADIUS_M)
    cells = tmp_path / "cells.csv"
    cells.write_text(f"lon,lat,range,radio\n{site_lon},0,{reach},LTE\n")
    grid = tmp_path / "grid.csv"
    grid.write_text("lon,lat,population\n0,0,1000\n")
    area = _json_rows(
        _coverage("--cells", cells, "--population", grid, "--method", "area", "--format", "json")
    )
    assert area[("total", "4G")]["covered_population"] == 400
    centroid = _json_rows(_coverage("--cells", cells, "--population", grid, "--format", "json"))
    assert centroid[("total", "4G")]["covered_population"] == 0


def test_square_samples_are_evenly_spaced_inside_the_square() -> None:
    lon, lat = square_samples(np.array([11.5]), np.array([48.1]), 100.0, 5)
    distances = haversine_m(11.5, 48.1, lon, lat)
    assert len(lon) == 25
    assert distances.max() == pytest.approx(40 * math.sqrt(2), rel=1e-3)
    assert np.sort(distances)[0] == pytest.approx(0, abs=1e-6)


def test_levels_are_monotone_on_random_networks() -> None:
    rng = np.random.default_rng(7)
    n_sites, n_grid = 400, 5000
    cells = Cells(
        lon=rng.uniform(5, 6, n_sites),
        lat=rng.uniform(45, 46, n_sites),
        range_m=rng.lognormal(np.log(2000), 0.7, n_sites),
        level=rng.integers(2, 6, n_sites).astype(np.int8),
    )
    lon, lat = rng.uniform(5, 6, n_grid), rng.uniform(45, 46, n_grid)
    fractions = covered_fractions(cells, effective_ranges(cells.range_m), lon, lat)
    assert np.all(np.diff(fractions, axis=1) <= 0)  # 2G >= 3G >= 4G >= 5G for every grid cell
    # ... and equal to brute force over all pairs, level by level
    distance = haversine_m(lon[:, None], lat[:, None], cells.lon[None, :], cells.lat[None, :])
    within = distance <= cells.range_m[None, :]
    for column, level in enumerate((2, 3, 4, 5)):
        brute = (within & (cells.level[None, :] >= level)).any(axis=1)
        assert np.array_equal(fractions[:, column] == 1, brute)


@pytest.mark.parametrize(
    ("cells_text", "grid_text", "extra", "message"),
    [
        ("lon,lat\n10,50\n", None, ["--technology", "4G"], "lacks column(s) range"),
        ("lon,lat,range\nten,50,100\n", None, ["--technology", "4G"], "line 2, column lon: 'ten'"),
        ("lon,lat,range\n10,95,100\n", None, ["--technology", "4G"], "column lat: '95' is not"),
        ("", None, ["--technology", "4G"], "is empty"),
        ("lon,lat,range\n", None, ["--technology", "4G"], "has no cells"),
        ("lon,lat,range,radio\n10,50,100,WIMAX\n", None, [], "unknown radio 'WIMAX'"),
        ("lon,lat,range\n10,50,100\n", None, [], "--technology"),
        ("lon,lat,range\n10,50,100\n", None, ["--technology", "6G"], "unknown technology"),
        ("lon,lat,range\n10,50,-5\n", None, ["--technology", "4G"], "column range: '-5' is not"),
        (None, "lon,lat,pop\n10,50,1\n", [], "lacks column(s) inhabitants"),
        (None, "lon,lat,inhabitants\n10,x,1\n", [], "line 2, column lat: 'x' is not a number"),
        (None, "lon,lat,inhabitants\n10,50,\n", [], "column inhabitants: '' is not a number"),
        (None, "", [], "is empty"),
        (None, None, ["--areas", "BROKEN"], "not valid GeoJSON"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_stores_nothing(
    tmp_path: Path,
    inputs: dict[str, Path],
    cells_text: str | None,
    grid_text: str | None,
    extra: list[str],
    message: str,
) -> None:
    cells, grid = inputs["cells"], inputs["grid"]
    if cells_text is not None:
        cells = tmp_path / "bad_cells.csv"
        cells.write_text(cells_text)
    if grid_text is not None:
        grid = tmp_path / "bad_grid.csv"
        grid.write_text(grid_text)
    if "BROKEN" in extra:
        broken = tmp_path / "broken.geojson"
        broken.write_text("{not json")
        extra = ["--areas", str(broken)]
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = _coverage(
        "--cells",
        cells,
        "--population",
        grid,
        "--population-column",
        "inhabitants",
        "--store",
        *extra,
        db=db,
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    # the input is checked before the store is opened: not even a database file appears
    assert not (tmp_path / "store.db").exists()


def test_store_writes_idempotent_indicator_values(db_url: str, inputs: dict[str, Path]) -> None:
    args = [
        "--cells",
        inputs["cells"],
        "--population",
        inputs["grid"],
        "--population-column",
        "inhabitants",
        "--areas",
        inputs["areas"],
        "--store",
        "--period",
        "2026",
    ]
    for _ in range(2):  # a re-run replaces, never duplicates
        result = _coverage(*args, db=db_url)
        assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    try:
        values = read_values(engine, indicator="SDG_9_c_1", period="2026")
    finally:
        engine.dispose()
    assert len(values) == 4 * 4  # total, West, East, outside x 4 levels
    by_cell = {(v.breakdown["area"], v.breakdown["level"]): v for v in values}
    total_4g = by_cell[("total", "4G")]
    assert total_4g.estimate == pytest.approx(EXPECTED_TOTAL["4G"])
    assert total_4g.method == "centroid" and total_4g.n == 5
    assert total_4g.provenance["cells_sha256"] == file_sha256(inputs["cells"])
    assert total_4g.provenance["population_sha256"] == file_sha256(inputs["grid"])
    assert total_4g.provenance["areas_file"] == "areas.geojson"
    assert by_cell[("West", "2G")].estimate == pytest.approx(50.0)


def test_area_name_unfit_for_the_store_is_bad_input(
    tmp_path: Path, inputs: dict[str, Path]
) -> None:
    areas = json.loads(json.dumps(AREAS))
    areas["features"][0]["properties"]["name"] = "West;North"
    inputs["areas"].write_text(json.dumps(areas))
    args = [
        "--cells",
        inputs["cells"],
        "--population",
        inputs["grid"],
        "--population-column",
        "inhabitants",
        "--areas",
        inputs["areas"],
    ]
    assert _coverage(*args, "--format", "json").exit_code == 0  # fine without --store
    result = _coverage(*args, "--store", db=f"sqlite:///{tmp_path / 'store.db'}")
    assert result.exit_code == 2 and "may not contain" in result.output
    assert not (tmp_path / "store.db").exists()


@pytest.mark.parametrize(
    "text",
    [
        OPENCELLID_HEADER + "\nLTE,262,1,1,1,0,10.0,50.0,1500,5,1,0,0,-80\n"
        "nbiot,262,1,1,2,0,10.1,50.1,0,5,1,0,0,-80\nCDMA,262,1,1,3,0,10.2,50.2,,5,1,0,0,-80\n",
        "LTE,262,1,1,1,0,10.0,50.0,1500,5,1,0,0,-80\nGSM,262,1,1,2,0,10.1,50.1,0,5,1,0,0,-80\n",
        ",lon,lat,range,radio\n0,10.0,50.0,100,\n1,10.5,50.5,0, umts \n\n2,11,51,7,NR\n",
    ],
)
def test_fast_and_row_by_row_cell_readers_agree(tmp_path: Path, text: str) -> None:
    from ecomstat.indicators.coverage_io import (
        _columns,
        _read_cells_fast,
        _read_cells_rows,
        radio_levels,
        read_cells,
    )

    path = tmp_path / "cells.csv"
    path.write_text(text)
    fast = read_cells(path, technology="4G")
    first = text.splitlines()[0].split(",")
    headerless = first[0] in {"LTE", "GSM"}
    header = OPENCELLID_HEADER.lower().split(",") if headerless else first
    index = _columns(header, path, "cells", ("lon", "lat", "range"))
    assert _read_cells_fast(path, header, index, headerless, radio_levels(), 4) is not None
    slow = _read_cells_rows(path, index, headerless, radio_levels(), 4)
    for name in ("lon", "lat", "range_m", "level"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))
    assert fast.skipped == slow.skipped


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"type": "FeatureCollection", "features": []}, "has no features"),
        ({"type": "Point", "coordinates": [1, 2]}, "expected a GeoJSON FeatureCollection"),
        (
            {"type": "Feature", "properties": {}, "geometry": AREAS["features"][0]["geometry"]},
            "has no 'name' property",
        ),
        (
            {"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Point"}},
            "must be Polygon or MultiPolygon",
        ),
        (
            {
                "type": "Feature",
                "properties": {"name": "x"},
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
            },
            "at least 4",
        ),
        (
            {
                "type": "Feature",
                "properties": {"name": "total"},
                "geometry": AREAS["features"][0]["geometry"],
            },
            "reserved",
        ),
    ],
)
def test_bad_areas_file(tmp_path: Path, document: dict, message: str) -> None:
    from ecomstat.indicators.errors import InvalidIndicatorInput
    from ecomstat.indicators.geo import load_areas

    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidIndicatorInput, match=message):
        load_areas(path)
