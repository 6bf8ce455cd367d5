"""The SDG 9.c.1 map of the economists' coverage page: the population grid coloured by coverage,
drawn on the server as SVG (no tile server, nothing fetched: works on an office network).

The store keeps the indicator values, not the grid, so the map is redrawn from the input files
the stored values name in their provenance (`population_file`, `cells_file`), looked up in
ECOMSTAT_MOBILE_DATA_DIR and checked against the stored sha256: the map shows the inputs of the
numbers beside it or says in words why it cannot. Each grid cell's covered fraction comes from
the same library function `ecomstat indicators coverage` uses (`covered_fractions`, with the
stored range rules, method and operator), so the map and the table agree.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecomstat.indicators.coverage import covered_fractions, effective_ranges
from ecomstat.indicators.coverage_checks import grid_spacing_m, subset
from ecomstat.indicators.coverage_grid import read_population
from ecomstat.indicators.coverage_io import file_sha256, read_cells
from ecomstat.errors import EcomstatError
from ecomstat.indicators.errors import IndicatorError

LEVELS = ("2G", "3G", "4G", "5G")
# Colour bins of the covered share, a colour-blind-safe sequential scale (viridis stops), with
# the share's bounds; the legend shows the same list.
BINS: tuple[tuple[float, float, str, str], ...] = (
    (0.0, 0.0, "#f0e442", "not covered"),
    (0.0, 0.25, "#b5de2b", "up to 25%"),
    (0.25, 0.5, "#35b779", "25–50%"),
    (0.5, 0.75, "#26828e", "50–75%"),
    (0.75, 0.9999, "#3e4989", "75–<100%"),
    (0.9999, 1.0, "#440154", "covered"),
)
WIDTH = 640.0  # SVG user units; the image scales with the page
SEAM = 0.2  # squares overlap by this much (SVG units) so that rounding leaves no white seams


def bin_of(fraction: float) -> int:
    if fraction <= 0:
        return 0
    for index, (_, high, _, _) in enumerate(BINS[1:], start=1):
        if fraction <= high:
            return index
    return len(BINS) - 1


@dataclass
class CoverageMap:
    level: str
    svg: str = ""
    cells: int = 0  # shapes drawn
    grid_cells: int = 0  # populated grid cells in the file
    merged: bool = False  # cells merged into larger squares (ECOMSTAT_WEB_MAP_MAX_CELLS)
    problem: str | None = None  # why there is no map, in words
    counts: list[int] = field(default_factory=list)  # shapes per colour bin


def _find(folder: Path, name: str | None, sha256: str | None, what: str) -> Path:
    if not name:
        raise IndicatorError(f"the stored values do not name their {what} file")
    path = folder / Path(name).name
    if not path.is_file():
        raise IndicatorError(f"the {what} file {name} is not in ECOMSTAT_MOBILE_DATA_DIR ({folder})")
    if sha256 and file_sha256(path) != sha256:
        raise IndicatorError(f"{path} is not the {what} file the stored values were computed from "
                             "(its sha256 differs)")
    return path


@functools.lru_cache(maxsize=4)
def _fractions(cells_path: str, grid_path: str, key: tuple[Any, ...]) -> tuple[np.ndarray, ...]:
    """Per populated grid cell: lon, lat, population and the covered fraction at 2G..5G (at
    least); cached per inputs (a city's 100 m grid takes seconds)."""
    (technology, cdma_level, column, default_m, max_m, method, cell_m, samples, operator) = key
    cells = read_cells(cells_path, technology=technology, cdma_level=cdma_level)
    if operator is not None and cells.operator is not None and operator in cells.operators:
        cells = subset(cells, cells.operator == cells.operators.index(operator))
    grid = read_population(grid_path, population_column=column)
    ranges = effective_ranges(cells.range_m, default_m, max_m)
    fractions = covered_fractions(cells, ranges, grid.lon, grid.lat, method=method,
                                  cell_size_m=cell_m, samples=samples)
    return grid.lon, grid.lat, grid.population, fractions


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Equirectangular projection around the grid's middle latitude (shapes keep their aspect
    at city and country scale), scaled to WIDTH; y grows southwards as SVG's does."""
    scale_x = math.cos(math.radians(float(np.mean(lat)))) if lat.size else 1.0
    x = lon * scale_x
    y = -lat
    span = max(float(np.ptp(x)) if x.size else 0.0, float(np.ptp(y)) if y.size else 0.0, 1e-9)
    factor = WIDTH / span
    return (x - x.min()) * factor, (y - y.min()) * factor, factor


def _merge(lon: np.ndarray, lat: np.ndarray, population: np.ndarray, share: np.ndarray,
           spacing_deg: float, max_cells: int) -> tuple[np.ndarray, ...]:
    """Merge grid cells into squares of k x k cells until at most `max_cells` remain; a
    square's share is the population-weighted share of its cells."""
    # squares of equal metres both ways: bin on the projected east-west axis (lon * cos(lat))
    scale_x = math.cos(math.radians(float(np.mean(lat))))
    east = lon * scale_x
    k = 2
    while True:
        size = spacing_deg * k
        ix = np.floor((east - east.min()) / size).astype(np.int64)
        iy = np.floor((lat - lat.min()) / size).astype(np.int64)
        keys, inverse = np.unique(np.stack([ix, iy], axis=1), axis=0, return_inverse=True)
        if keys.shape[0] <= max_cells:
            break
        k *= 2
    inverse = inverse.ravel()
    people = np.bincount(inverse, weights=population)
    covered = np.bincount(inverse, weights=population * share)
    merged_share = np.divide(covered, people, out=np.zeros_like(covered), where=people > 0)
    centre_lon = (east.min() + (keys[:, 0] + 0.5) * size) / scale_x
    centre_lat = lat.min() + (keys[:, 1] + 0.5) * size
    return centre_lon, centre_lat, people, merged_share, size


def _svg(lon: np.ndarray, lat: np.ndarray, population: np.ndarray, share: np.ndarray,
         spacing_deg: float, level: str) -> tuple[str, list[int]]:
    x, y, factor = _project(lon, lat)
    # a grid square is `spacing_deg` degrees of latitude high and as many metres wide, which
    # is the same length on the projected axes
    w = h = max(spacing_deg * factor, 0.5) + SEAM
    height = float(y.max()) + h if y.size else h
    counts = [0] * len(BINS)
    shapes = []
    for xi, yi, fraction in zip(x, y, share):
        index = bin_of(float(fraction))
        counts[index] += 1
        # no <title> per square: at 20,000 squares the page would grow by a megabyte
        shapes.append(f'<rect x="{xi - w / 2:.1f}" y="{yi - h / 2:.1f}" width="{w:.2f}" '
                      f'height="{h:.2f}" fill="{BINS[index][2]}" data-covered="{fraction:.3f}"/>')
    view = f"{-w:.2f} {-h:.2f} {WIDTH + 2 * w:.2f} {height + 2 * h:.2f}"
    svg = (f'<svg class="coverage-map" xmlns="http://www.w3.org/2000/svg" viewBox="{view}" '
           f'role="img" aria-labelledby="map-title"><title id="map-title">Population grid '
           f"coloured by the share covered at {level} or better</title>"
           f'<g class="grid-cells" shape-rendering="crispEdges">{"".join(shapes)}</g></svg>')
    return svg, counts


def coverage_map(folder: Path | None, provenance: dict[str, Any], method: str, level: str,
                 max_cells: int, operator: str | None = None) -> CoverageMap:
    """The map of stored 9.c.1 values (their `provenance` and `method`) at `level`; a map with
    `problem` set when the inputs cannot be found or read."""
    result = CoverageMap(level=level)
    if level not in LEVELS:
        result.problem = f"unknown technology {level!r}: choose one of {', '.join(LEVELS)}"
        return result
    if folder is None:
        result.problem = ("no map: set ECOMSTAT_MOBILE_DATA_DIR to the folder holding "
                          f"{provenance.get('population_file') or 'the population grid'} and "
                          f"{provenance.get('cells_file') or 'the cell sites file'}")
        return result
    try:
        grid_path = _find(folder, provenance.get("population_file"),
                          provenance.get("population_sha256"), "population grid")
        cells_path = _find(folder, provenance.get("cells_file"), provenance.get("cells_sha256"),
                           "cell sites")
        key = (provenance.get("technology_default"), provenance.get("cdma_level") or "2G",
               provenance.get("population_column") or "population",
               float(provenance.get("default_range_m") or 0.0),
               float(provenance.get("max_range_m") or 0.0), method,
               float(provenance.get("grid_cell_m") or 100.0),
               int(provenance.get("samples_per_side") or 5), operator)
        lon, lat, population, fractions = _fractions(str(cells_path), str(grid_path), key)
    except (EcomstatError, OSError, ValueError) as exc:
        result.problem = f"no map: {exc}"
        return result
    share = fractions[:, LEVELS.index(level)]
    result.grid_cells = int(lon.shape[0])
    if lon.shape[0] == 0:
        result.problem = "no map: the population grid has no populated cell"
        return result
    spacing_m = provenance.get("grid_cell_m") or grid_spacing_m(lon, lat) or 100.0
    spacing_deg = float(spacing_m) / 111_195.0
    if lon.shape[0] > max_cells:
        lon, lat, population, share, spacing_deg = _merge(lon, lat, population, share,
                                                          spacing_deg, max_cells)
        result.merged = True
    result.svg, result.counts = _svg(lon, lat, population, share, spacing_deg, level)
    result.cells = int(lon.shape[0])
    return result
