"""Urban/rural (DEGURBA grid classes) breakdown of SDG 9.c.1: the grid rules on hand-made
1 km² arrays, and the end-to-end split through the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.coverage_degurba import (
    CLASSES,
    RURAL,
    URBAN_CENTRE,
    URBAN_CLUSTER,
    classify_km_cells,
)
from ecomstat.indicators.geo import EARTH_RADIUS_M

runner = CliRunner()
CENTRE, CLUSTER, OTHER = (CLASSES.index(c) for c in (URBAN_CENTRE, URBAN_CLUSTER, RURAL))


def test_urban_centre_needs_density_and_50k_and_fills_gaps() -> None:
    people = np.zeros((30, 30))
    people[2:12, 2:12] = 2000  # 100 km² x 2,000 = 200,000: an urban centre ...
    people[6, 6] = 100  # ... with a sparse cell inside: gap-filled (8 of 8 neighbours)
    people[14:17, 14:17] = 2000  # dense but 18,000 < 50,000 inhabitants: urban cluster only
    people[20:22, 2:4] = 400  # 1,600 < 5,000 inhabitants: rural
    classes = classify_km_cells(people)
    assert np.all(classes[2:12, 2:12] == CENTRE)
    assert np.all(classes[14:17, 14:17] == CLUSTER)
    assert np.all(classes[20:22, 2:4] == OTHER)
    assert classes[0, 0] == OTHER and classes[13, 13] == OTHER


def test_centres_are_edge_connected_clusters_corner_connected() -> None:
    people = np.zeros((40, 40))
    diagonal = np.arange(1, 39)
    people[diagonal, diagonal] = 2000  # 38 cells x 2,000 = 76,000, but touching by corners
    classes = classify_km_cells(people)
    assert not np.any(classes == CENTRE)  # 4-connectivity: each cell is its own small cluster
    assert np.all(classes[diagonal, diagonal] == CLUSTER)  # 8-connectivity: one big cluster


def _block(
    lon0: float, lat0: float, km: float, per_cell: float
) -> list[tuple[float, float, float]]:
    """100 m grid cells filling a km x km square whose south-west corner is (lon0, lat0)."""
    n = round(km * 10)
    dlat = math.degrees(100 / EARTH_RADIUS_M)
    dlon = dlat / math.cos(math.radians(lat0))
    return [
        (lon0 + (i + 0.5) * dlon, lat0 + (j + 0.5) * dlat, per_cell)
        for i in range(n)
        for j in range(n)
    ]


def test_cli_splits_the_total_by_class(tmp_path: Path) -> None:
    city = _block(10.0, 50.0, 12, 25)  # 2,500 / km², 360,000 inhabitants
    town = _block(10.5, 50.0, 4, 6)  # 600 / km², 9,600 inhabitants
    farms = [(10.0 + 0.1 * k, 49.5, 5) for k in range(10)]  # isolated, 5 inhabitants each
    grid = tmp_path / "grid.csv"
    grid.write_text(
        "lon,lat,population\n" + "".join(f"{x},{y},{p}\n" for x, y, p in city + town + farms)
    )
    cells = tmp_path / "cells.csv"
    # one 4G site in the middle of the city, 3 km range
    cells.write_text("lon,lat,range,radio\n10.0837,50.054,3000,LTE\n")
    result = runner.invoke(
        app,
        [
            "indicators",
            "coverage",
            "--cells",
            str(cells),
            "--population",
            str(grid),
            "--urban-rural",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    by_class = {row["degurba"]: row for row in rows if row.get("degurba") and row["level"] == "4G"}
    total = next(row for row in rows if row["degurba"] is None and row["level"] == "4G")
    assert set(by_class) == set(CLASSES)
    # the classes partition the total
    assert sum(r["population"] for r in by_class.values()) == total["population"]
    assert sum(r["covered_population"] for r in by_class.values()) == total["covered_population"]
    # the whole city core is urban centre; the town's core at least urban cluster; farms rural
    assert by_class[URBAN_CENTRE]["population"] >= 0.9 * 360_000
    assert 0.5 * 9_600 <= by_class[URBAN_CLUSTER]["population"] <= 9_600 + 0.1 * 360_000
    assert by_class[RURAL]["grid_cells"] >= len(farms)
    # the site covers only (part of) the city
    assert by_class[URBAN_CENTRE]["covered_pct"] > 0
    assert by_class[RURAL]["covered_population"] == 0


def test_store_keeps_the_urban_rural_rows_apart_from_the_areas(tmp_path: Path) -> None:
    from ecomstat.indicators.results import read_values
    from ecomstat.store import make_engine

    grid = tmp_path / "grid.csv"
    grid.write_text(
        "lon,lat,population\n" + "".join(f"{x},{y},{p}\n" for x, y, p in _block(10.0, 50.0, 3, 30))
    )
    cells = tmp_path / "cells.csv"
    cells.write_text("lon,lat,range,radio\n10.02,50.013,800,GSM\n")
    (tmp_path / "store.db").touch()  # commands refuse a missing store
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
            "--urban-rural",
            "--store",
        ],
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(db)
    try:
        values = read_values(engine, indicator="SDG_9_c_1")
    finally:
        engine.dispose()
    keys = {v.breakdown_key for v in values}
    assert "area=total;level=2G" in keys and "degurba=rural;level=2G" in keys
    assert len(values) == 4 * (1 + len(CLASSES))
    # 27,000 inhabitants at 3,000/km²: dense, but under 50,000, so an urban cluster
    cluster = next(v for v in values if v.breakdown_key == "degurba=urban cluster;level=2G")
    total = next(v for v in values if v.breakdown_key == "area=total;level=2G")
    assert cluster.provenance["population"] > 0.5 * total.provenance["population"]
