"""Reading and validating the SDG 9.c.1 population grid: `lon,lat,<population>` centroids.

Streamed once into float arrays (a million-row grid costs tens of megabytes); every error
names the file and line. A repeated centroid is refused (its inhabitants would count twice);
negative values mark suppressed census cells, kept apart (their inhabitants are unknown).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecomstat.numbers import Bounds
from ecomstat.indicators.coverage_io import _columns, _lon_lat, _number, csv_rows
from ecomstat.indicators.errors import InvalidIndicatorInput

# Inhabitants of one grid cell. The densest square kilometres on Earth hold about 100,000-
# 200,000 people, so a 100 m or 1 km grid cell never holds a million; negative values mark
# suppressed cells (kept apart: their inhabitants are unknown). The bound keeps sums finite.
GRID_POPULATION = Bounds(
    None, 1_000_000, words="a number up to 1,000,000 (inhabitants of a grid cell; < 0: suppressed)"
)


@dataclass
class PopulationGrid:
    """Populated grid cells only (population > 0), plus counts of what was dropped."""

    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    rows: int = 0
    suppressed: int = 0  # negative values: suppressed/unpublished, counted as 0 inhabitants
    # Centroids of the suppressed cells: reported apart (their inhabitants are unknown, not 0).
    suppressed_lon: np.ndarray = field(default_factory=lambda: np.zeros(0))
    suppressed_lat: np.ndarray = field(default_factory=lambda: np.zeros(0))


def read_population(path: str | Path, *, population_column: str = "population") -> PopulationGrid:
    """Read a `lon,lat,<population>` grid CSV (other columns ignored). Negative values mark
    suppressed cells and count as 0; only populated cells are kept.

    A vectorised pyarrow read does the work; when it finds anything wrong (or cannot parse the
    file) the exact row-by-row reader runs instead, to name the offending line."""
    column = population_column.strip().lower()
    rows = csv_rows(path, "population")
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        raise InvalidIndicatorInput(f"population file {path} is empty")
    index = _columns(header, path, "population", ("lon", "lat", column))
    rows.close()
    names = [header[index[name]] for name in ("lon", "lat", column)]
    grid = _read_population_fast(path, names)
    return grid if grid is not None else _read_population_rows(path, index, column)


def _read_population_fast(path: str | Path, names: list[str]) -> PopulationGrid | None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    if len(set(names)) != len(names):
        return None
    try:
        table = pa_csv.read_csv(
            path,
            convert_options=pa_csv.ConvertOptions(
                include_columns=names,
                column_types={name: pa.float64() for name in names},
                null_values=[""],
            ),
        )
    except (pa.ArrowException, OSError, KeyError):
        return None
    if table.num_rows == 0 or any(table.column(name).null_count for name in names):
        return None
    lon, lat, pop = (table.column(name).to_numpy() for name in names)
    del table
    if not (np.isfinite(lon).all() and np.isfinite(lat).all() and np.isfinite(pop).all()):
        return None
    if np.abs(lon).max() > 180 or np.abs(lat).max() > 90 or pop.max() > GRID_POPULATION.high:
        return None
    if _has_repeats(lon, lat):
        return None  # the row reader names the repeated line
    populated, suppressed = pop > 0, pop < 0
    return PopulationGrid(
        lon=np.ascontiguousarray(lon[populated]),
        lat=np.ascontiguousarray(lat[populated]),
        population=np.ascontiguousarray(pop[populated]),
        rows=int(pop.shape[0]),
        suppressed=int(suppressed.sum()),
        suppressed_lon=np.ascontiguousarray(lon[suppressed]),
        suppressed_lat=np.ascontiguousarray(lat[suppressed]),
    )


def _has_repeats(lon: np.ndarray, lat: np.ndarray) -> bool:
    """Does any (lon, lat) centroid occur twice? A repeated grid row would count its
    inhabitants twice."""
    order = np.lexsort((lat, lon))
    return bool(np.any((np.diff(lon[order]) == 0) & (np.diff(lat[order]) == 0)))


def _read_population_rows(path: str | Path, index: dict[str, int], column: str) -> PopulationGrid:
    rows = csv_rows(path, "population")
    next(rows)  # header
    lon_at, lat_at, pop_at = index["lon"], index["lat"], index[column]
    width = max(lon_at, lat_at, pop_at) + 1
    lon, lat, pop = array("d"), array("d"), array("d")
    hidden_lon, hidden_lat = array("d"), array("d")
    seen: dict[tuple[float, float], int] = {}
    total = suppressed = 0
    for line, row in enumerate(rows, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: expected {width} fields, got {len(row)}"
            )
        total += 1
        value = _number(row[pop_at], path, line, column, GRID_POPULATION)
        x, y = _lon_lat(row[lon_at], row[lat_at], path, line)
        if (x, y) in seen:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: grid cell at lon {row[lon_at].strip()}, "
                f"lat {row[lat_at].strip()} repeats line {seen[(x, y)]} (counted twice otherwise)"
            )
        seen[(x, y)] = line
        if value < 0:
            suppressed += 1
            hidden_lon.append(x)
            hidden_lat.append(y)
            continue
        if value == 0:
            continue
        lon.append(x)
        lat.append(y)
        pop.append(value)
    if total == 0:
        raise InvalidIndicatorInput(f"population file {path} has no grid cells")
    return PopulationGrid(
        lon=np.frombuffer(lon, dtype=np.float64),
        lat=np.frombuffer(lat, dtype=np.float64),
        population=np.frombuffer(pop, dtype=np.float64),
        rows=total,
        suppressed=suppressed,
        suppressed_lon=np.frombuffer(hidden_lon, dtype=np.float64),
        suppressed_lat=np.frombuffer(hidden_lat, dtype=np.float64),
    )
