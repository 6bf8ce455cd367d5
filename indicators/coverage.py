"""SDG 9.c.1: proportion of the population covered by a mobile network, by technology.

ITU's definition: inhabitants living within range of a mobile-cellular signal, divided by the
total population, times 100, for "at least" levels 2G ⊇ 3G ⊇ 4G ⊇ 5G. A 4G cell therefore also
provides 2G and 3G coverage in this indicator.

Methods (`method`):
- ``centroid`` (default): a populated grid cell counts as covered at level L when its centroid
  lies within `range` metres (haversine) of at least one cell site of level L or better; all
  its inhabitants count as covered.
- ``area``: the grid square (side `cell_size_m`, axis-aligned to north/east at its centroid) is
  sampled at `samples` x `samples` evenly spaced points; the covered share of the points is the
  covered share of its inhabitants (population assumed uniform inside the square).

Levels are monotone by construction: coverage at level L is OR-ed into every lower level.
Percentages are ratios of sums (covered inhabitants / inhabitants) per area and in total.

Several operators in one cell file (`operators`): ITU's rule, `largest` (the default), reports
per row the operator covering the most inhabitants; `any` the union (covered by at least one
operator). See docs/methodology/sdg-9-c-1.md for the input checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecomstat.numbers import Bounds
from ecomstat.indicators.coverage_checks import (
    OUTSIDE_PCT,
    cell_extent,
    check_cell_size,
    grid_spacing_m,
    largest_operator_rows,
    operator_rule,
    outside_extent,
)
from ecomstat.indicators.coverage_grid import PopulationGrid, read_population
from ecomstat.indicators.coverage_io import (
    CELL_RANGE_M,
    LEVEL_NAMES,
    LEVELS,
    Cells,
    file_sha256,
    read_cells,
)
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.geo import EARTH_RADIUS_M, Area, RangeIndex, assign_areas, load_areas

INDICATOR = "SDG_9_c_1"
METHODS = ("centroid", "area")
TOTAL = "total"
OUTSIDE = "outside"
_AREA_POINTS_PER_PASS = 5_000_000  # sample points per pass of the area method: bounds memory
# The side of a population grid square (--method area): national grids are 100 m or 1 km.
GRID_CELL_M = Bounds(0, 100_000, low_open=True, unit="m")
# Sample points per side of a square (--method area): 100 x 100 per square is already finer
# than any cell-range estimate.
AREA_SAMPLES = Bounds(1, 100, integer=True)


@dataclass
class CoverageRow:
    area: str
    level: str
    covered_pct: float | None
    population: float
    covered_population: float
    grid_cells: int
    degurba: str | None = None  # urban/rural class (DEGURBA) of a breakdown of the total
    # % of the row's inhabitants outside the bounding box of the cell sites (see
    # coverage_checks.outside_extent); None without inhabitants.
    outside_extent_pct: float | None = None
    # Grid cells marked suppressed (negative population) in the row: inhabitants unknown, so
    # neither in `population` nor counted as 0-population cells; None for DEGURBA rows.
    suppressed_cells: int | None = None
    operator: str | None = None  # with --operators largest: the operator of this row's figure
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.degurba is None:
            del data["degurba"]
        if self.operator is None:
            del data["operator"]
        data["covered_pct"] = None if self.covered_pct is None else round(self.covered_pct, 2)
        if self.outside_extent_pct is not None:
            data["outside_extent_pct"] = round(self.outside_extent_pct, 2)
        data["population"] = round(self.population)
        data["covered_population"] = round(self.covered_population)
        return data


@dataclass
class CoverageResult:
    rows: list[CoverageRow]
    method: str
    provenance: dict[str, Any] = field(default_factory=dict)


def effective_ranges(
    range_m: np.ndarray, default_range_m: float = 0.0, max_range_m: float = 0.0
) -> np.ndarray:
    """Ranges used for coverage: missing/zero ranges take `default_range_m` (0 = the cell covers
    nothing), and `max_range_m` > 0 caps implausible estimates."""
    CELL_RANGE_M.check(default_range_m, "--default-range", InvalidIndicatorInput)
    CELL_RANGE_M.check(max_range_m, "--max-range", InvalidIndicatorInput)
    ranges = np.where(np.isnan(range_m), default_range_m, range_m)
    if max_range_m > 0:
        ranges = np.minimum(ranges, max_range_m)
    return ranges


def square_samples(
    lon: np.ndarray, lat: np.ndarray, cell_size_m: float, samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """`samples`^2 points per grid square, at the centres of a samples x samples subdivision
    (row-major per square, squares in input order). Local east/north offsets on the sphere."""
    GRID_CELL_M.check(cell_size_m, "ECOMSTAT_COVERAGE_GRID_CELL_M", InvalidIndicatorInput)
    AREA_SAMPLES.check(samples, "ECOMSTAT_COVERAGE_AREA_SAMPLES", InvalidIndicatorInput)
    offsets = ((np.arange(samples) + 0.5) / samples - 0.5) * cell_size_m
    east, north = (o.ravel() for o in np.meshgrid(offsets, offsets))
    dlat = np.degrees(north / EARTH_RADIUS_M)
    cos_lat = np.cos(np.radians(lat))[:, None]
    dlon = np.degrees(east[None, :] / (EARTH_RADIUS_M * np.maximum(cos_lat, 1e-12)))
    return (lon[:, None] + dlon).ravel(), (lat[:, None] + dlat[None, :]).ravel()


def covered_fractions(
    cells: Cells,
    ranges_m: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    method: str = "centroid",
    cell_size_m: float = 100.0,
    samples: int = 5,
) -> np.ndarray:
    """Array (n_grid, 4): covered fraction of each grid cell at levels 2G, 3G, 4G, 5G (at least)."""
    if method not in METHODS:
        raise InvalidIndicatorInput(
            f"unknown coverage method {method!r}: use {' or '.join(METHODS)}"
        )
    # One index per distinct site set: "level >= L" sets are nested, so equal sizes mean
    # equal sets (e.g. no 3G-only sites: the 3G footprint is the 4G one).
    indexes: list[RangeIndex | None] = []  # highest level first; None = same as the previous
    previous_sites = -1
    for level in reversed(LEVELS):
        sites = cells.level >= level
        count = int(sites.sum())
        same = count == previous_sites
        indexes.append(
            None if same else RangeIndex(cells.lon[sites], cells.lat[sites], ranges_m[sites])
        )
        previous_sites = count
    per_cell = samples * samples if method == "area" else 1
    chunk = max(1, _AREA_POINTS_PER_PASS // per_cell) if method == "area" else max(1, lon.shape[0])
    fractions = np.zeros((lon.shape[0], len(LEVELS)), dtype=np.float64)
    for start in range(0, lon.shape[0], chunk):
        stop = min(start + chunk, lon.shape[0])
        if method == "area":
            points_lon, points_lat = square_samples(
                lon[start:stop], lat[start:stop], cell_size_m, samples
            )
        else:
            points_lon, points_lat = lon[start:stop], lat[start:stop]
        covered = np.zeros(points_lon.shape[0], dtype=bool)
        for column, index in zip(range(len(LEVELS) - 1, -1, -1), indexes, strict=True):
            if index is not None:
                # Monotone by construction: what a higher level covers stays covered; only the
                # rest is looked up against this level's (larger) set of sites.
                todo = np.flatnonzero(~covered)
                covered[todo] = index.covered(points_lon[todo], points_lat[todo])
            fractions[start:stop, column] = covered.reshape(-1, per_cell).mean(axis=1)
    return fractions


def summarise(
    fractions: np.ndarray,
    population: np.ndarray,
    area_index: np.ndarray | None = None,
    area_names: Sequence[str] = (),
    degurba_index: np.ndarray | None = None,
    *,
    beyond: np.ndarray | None = None,
    suppressed_area: np.ndarray | None = None,
) -> list[CoverageRow]:
    """Rows for the total and each area (in order), then `outside` when any grid cell fell in
    no area, then the total by urban/rural class when `degurba_index` is given. Each row:
    covered share of inhabitants at at-least level L. `beyond` marks grid cells outside the
    cell sites' extent; `suppressed_area` holds the area index (-1: none) of each suppressed
    grid cell."""
    everything = np.ones(population.shape[0], dtype=bool)
    hidden = np.zeros(0, dtype=np.int32) if suppressed_area is None else suppressed_area
    groups: list[tuple[str, str | None, np.ndarray, int | None]] = [
        (TOTAL, None, everything, int(hidden.shape[0]))
    ]
    if area_index is not None:
        groups += [
            (name, None, area_index == i, int((hidden == i).sum()))
            for i, name in enumerate(area_names)
        ]
        outside = area_index < 0
        if outside.any() or (hidden < 0).any():
            groups.append((OUTSIDE, None, outside, int((hidden < 0).sum())))
    if degurba_index is not None:
        from ecomstat.indicators.coverage_degurba import CLASSES

        groups += [(TOTAL, name, degurba_index == i, None) for i, name in enumerate(CLASSES)]
    covered_people = fractions * population[:, None]
    rows = []
    for name, degurba, mask, suppressed in groups:
        people = float(population[mask].sum())
        far = float(population[mask & beyond].sum()) if beyond is not None else 0.0
        for column, level in enumerate(LEVELS):
            covered = float(covered_people[mask, column].sum())
            rows.append(
                CoverageRow(
                    area=name,
                    level=LEVEL_NAMES[level],
                    covered_pct=100.0 * covered / people if people > 0 else None,
                    population=people,
                    covered_population=covered,
                    grid_cells=int(mask.sum()),
                    degurba=degurba,
                    outside_extent_pct=100.0 * far / people if people > 0 else None,
                    suppressed_cells=suppressed,
                )
            )
    return rows


def compute_coverage(
    cells: Cells,
    grid: PopulationGrid,
    areas: Sequence[Area] | None = None,
    *,
    method: str = "centroid",
    default_range_m: float = 0.0,
    max_range_m: float = 0.0,
    cell_size_m: float = 100.0,
    samples: int = 5,
    urban_rural: bool = False,
    operators: str | None = None,
) -> list[CoverageRow]:
    """Coverage rows for already-loaded inputs (see the module docstring for the method);
    `urban_rural` adds the total by DEGURBA grid class (see `coverage_degurba`); `operators`
    is the rule for a file with several operators (`coverage_checks.operator_rule`)."""
    rule = operator_rule(operators, cells)
    area_index = assign_areas(grid.lon, grid.lat, areas) if areas else None
    suppressed_area = (
        assign_areas(grid.suppressed_lon, grid.suppressed_lat, areas)
        if areas
        else np.full(grid.suppressed_lon.shape[0], -1, dtype=np.int32)
    )
    names = [area.name for area in areas] if areas else []
    degurba_index = None
    if urban_rural:
        from ecomstat.indicators.coverage_degurba import degurba_classes

        degurba_index = degurba_classes(grid.lon, grid.lat, grid.population)
    beyond = outside_extent(cells, grid.lon, grid.lat)

    def rows_for(sites: Cells) -> list[CoverageRow]:
        ranges = effective_ranges(sites.range_m, default_range_m, max_range_m)
        fractions = covered_fractions(
            sites,
            ranges,
            grid.lon,
            grid.lat,
            method=method,
            cell_size_m=cell_size_m,
            samples=samples,
        )
        return summarise(
            fractions,
            grid.population,
            area_index,
            names,
            degurba_index,
            beyond=beyond,
            suppressed_area=suppressed_area,
        )

    if rule == "largest":
        return largest_operator_rows(cells, rows_for)
    return rows_for(cells)


def run_coverage(
    cells_path: str | Path,
    population_path: str | Path,
    areas_path: str | Path | None = None,
    *,
    technology: str | None = None,
    method: str = "centroid",
    population_column: str = "population",
    area_property: str = "name",
    default_range_m: float = 0.0,
    max_range_m: float = 0.0,
    cdma_level: str = "2G",
    cell_size_m: float = 100.0,
    samples: int = 5,
    urban_rural: bool = False,
    operators: str | None = None,
    max_outside_pct: float = 5.0,
) -> CoverageResult:
    """Read the files, validate them and each against the other (grid spacing for the area
    method, population beyond the cells' extent, operators), and compute SDG 9.c.1 in total
    and per area."""
    if method not in METHODS:
        raise InvalidIndicatorInput(
            f"unknown coverage method {method!r}: use {' or '.join(METHODS)}"
        )
    OUTSIDE_PCT.check(max_outside_pct, "ECOMSTAT_COVERAGE_MAX_OUTSIDE_PCT", InvalidIndicatorInput)
    cells = read_cells(cells_path, technology=technology, cdma_level=cdma_level)
    grid = read_population(population_path, population_column=population_column)
    areas = load_areas(areas_path, area_property) if areas_path else None
    rule = operator_rule(operators, cells)
    spacing = None
    if method == "area":
        spacing = grid_spacing_m(
            np.concatenate((grid.lon, grid.suppressed_lon)),
            np.concatenate((grid.lat, grid.suppressed_lat)),
        )
        check_cell_size(spacing, cell_size_m, "ECOMSTAT_COVERAGE_GRID_CELL_M")
    rows = compute_coverage(
        cells,
        grid,
        areas,
        method=method,
        default_range_m=default_range_m,
        max_range_m=max_range_m,
        cell_size_m=cell_size_m,
        samples=samples,
        urban_rural=urban_rural,
        operators=operators,
    )
    for row in rows:
        if row.covered_pct is None:
            row.flags.append("no-population")
        if row.outside_extent_pct is not None and row.outside_extent_pct > max_outside_pct:
            row.flags.append("outside-cell-extent")
    total = next(row for row in rows if row.area == TOTAL and row.degurba is None)
    provenance: dict[str, Any] = {
        "cells_file": Path(cells_path).name,
        "cells_sha256": file_sha256(cells_path),
        "population_file": Path(population_path).name,
        "population_sha256": file_sha256(population_path),
        "population_column": population_column,
        "technology_default": technology,
        "cdma_level": cdma_level,
        "default_range_m": default_range_m,
        "max_range_m": max_range_m,
        "cells_used": int(cells.lon.shape[0]),
        "cells_without_range": int(np.isnan(cells.range_m).sum()),
        "cells_skipped": dict(cells.skipped),
        "grid_rows": grid.rows,
        "grid_populated": int(grid.lon.shape[0]),
        "grid_suppressed": grid.suppressed,
        "cell_extent": [round(v, 6) for v in cell_extent(cells)],
        "population_outside_extent_pct": total.outside_extent_pct,
        "max_outside_pct": max_outside_pct,
        "operator_rule": rule,
        "operators": list(cells.operators),
    }
    if urban_rural:
        provenance["urban_rural"] = "DEGURBA grid classes, 1 km² LAEA cells"
    if method == "area":
        provenance.update(
            grid_cell_m=cell_size_m, samples_per_side=samples, grid_spacing_detected_m=spacing
        )
    if areas_path:
        provenance.update(
            areas_file=Path(areas_path).name,
            areas_sha256=file_sha256(areas_path),
            area_property=area_property,
        )
    return CoverageResult(rows=rows, method=method, provenance=provenance)


def coverage_records(result: CoverageResult, period: str) -> list[Any]:
    """indicator_value records: estimate = covered share in %, n = populated grid cells."""
    from ecomstat.indicators.results import IndicatorRecord, require_period

    period = require_period(period, "SDG 9.c.1")
    return [
        IndicatorRecord(
            indicator=INDICATOR,
            period=period,
            breakdown=(
                {"area": row.area, "level": row.level}
                if row.degurba is None
                else {"degurba": row.degurba, "level": row.level}
            ),
            method=result.method,
            estimate=row.covered_pct,
            n=row.grid_cells,
            flags=list(row.flags),
            provenance={
                **result.provenance,
                "population": row.population,
                "covered_population": row.covered_population,
                "outside_extent_pct": row.outside_extent_pct,
                "suppressed_cells": row.suppressed_cells,
                **({"operator": row.operator} if row.operator is not None else {}),
            },
        )
        for row in result.rows
    ]
