"""SDG 9.c.1 on the real Munich inputs: 2,231 OpenCelliD cells (Telekom DE, no radio column)
and the Zensus 2011 100 m grid (`einwohner_zensus2011`, -1 = suppressed).

The expected numbers are recomputed here independently (csv module + brute-force haversine over
all grid-cell x site pairs), never copied from a previous run.
"""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.geo import haversine_m

runner = CliRunner()
LEVELS = ("2G", "3G", "4G", "5G")


@pytest.fixture
def munich(shared_data: Path) -> dict[str, Path]:
    shared = shared_data / "mobile" / "munich"
    return {
        "cells": shared / "opencellid_munich_mcc262_mnc1.csv",
        "grid": shared / "zensus2011_munich_100m_grid.csv",
    }


@pytest.fixture
def brute_force(munich: dict[str, Path]) -> dict[str, np.ndarray]:
    return _brute_force(munich["cells"], munich["grid"])


@functools.lru_cache(maxsize=1)
def _brute_force(cells: Path, grid_path: Path) -> dict[str, np.ndarray]:
    with open(cells, newline="") as handle:
        sites = [
            (float(r["lon"]), float(r["lat"]), float(r["range"])) for r in csv.DictReader(handle)
        ]
    with open(grid_path, newline="") as handle:
        grid = [
            (float(r["lon"]), float(r["lat"]), float(r["einwohner_zensus2011"]))
            for r in csv.DictReader(handle)
        ]
    s = np.array(sites)
    g = np.array([row for row in grid if row[2] > 0])
    covered = np.zeros(len(g), dtype=bool)
    metres_per_degree = 111_195.0
    for lon, lat, reach in s:  # every site against every grid cell in its bounding box
        dlat = reach / metres_per_degree * 1.01
        dlon = dlat / np.cos(np.radians(lat + dlat))
        box = np.flatnonzero((np.abs(g[:, 1] - lat) <= dlat) & (np.abs(g[:, 0] - lon) <= dlon))
        covered[box] |= haversine_m(g[box, 0], g[box, 1], lon, lat) <= reach
    return {"lon": g[:, 0], "lat": g[:, 1], "population": g[:, 2], "covered": covered}


def _run(munich: dict[str, Path], *extra: str) -> dict[tuple[str, str], dict]:
    result = runner.invoke(
        app,
        [
            "indicators",
            "coverage",
            "--cells",
            str(munich["cells"]),
            "--population",
            str(munich["grid"]),
            "--population-column",
            "einwohner_zensus2011",
            "--technology",
            "4G",
            "--format",
            "json",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {(row["area"], row["level"]): row for row in rows}


def test_munich_total_matches_brute_force(
    munich: dict[str, Path], brute_force: dict[str, np.ndarray]
) -> None:
    rows = _run(munich)
    people = brute_force["population"].sum()
    covered = brute_force["population"][brute_force["covered"]].sum()
    for level in ("2G", "3G", "4G"):  # 4G cells give at-least-2G/3G coverage too
        row = rows[("total", level)]
        assert row["population"] == round(people)
        assert row["grid_cells"] == len(brute_force["population"])
        assert row["covered_population"] == round(covered)
        assert row["covered_pct"] == pytest.approx(100 * covered / people, abs=0.005)
    assert rows[("total", "5G")]["covered_population"] == 0
    assert 0 < covered < people  # the case is not trivial: some inhabitants are out of range


def test_munich_areas_partition_the_total(
    tmp_path: Path, munich: dict[str, Path], brute_force: dict[str, np.ndarray]
) -> None:
    split = 11.58  # west / east of the city centre; the grid's southern strip is in no area
    south = 48.0
    features = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[w, south], [e, south], [e, 48.4], [w, 48.4], [w, south]]],
            },
        }
        for name, w, e in (("west", 11.2, split), ("east", split, 12.0))
    ]
    areas = tmp_path / "munich.geojson"
    areas.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    rows = _run(munich, "--areas", str(areas))
    lon, lat, pop = brute_force["lon"], brute_force["lat"], brute_force["population"]
    expected = {
        "west": (lon < split) & (lat > south),
        "east": (lon > split) & (lat > south),
        "outside": lat < south,
    }
    for name, mask in expected.items():
        row = rows[(name, "4G")]
        assert row["grid_cells"] == int(mask.sum())
        assert row["population"] == round(pop[mask].sum())
        assert row["covered_population"] == round(pop[mask & brute_force["covered"]].sum())
    for level in LEVELS:
        total = rows[("total", level)]["population"]
        assert sum(rows[(name, level)]["population"] for name in expected) == total


def test_munich_area_method_is_close_to_centroid(munich: dict[str, Path]) -> None:
    centroid = _run(munich)[("total", "4G")]
    area = _run(munich, "--method", "area")[("total", "4G")]
    # sampling changes something at the edges of the footprints ...
    assert area["covered_population"] != centroid["covered_population"]
    # ... but only there: well under 1% of the population
    assert abs(area["covered_pct"] - centroid["covered_pct"]) < 1.0
