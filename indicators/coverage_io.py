"""Reading and validating the SDG 9.c.1 inputs: a cell inventory and a population grid.

Both readers stream the CSV once and keep only the needed columns as float arrays, so a
million-row grid costs tens of megabytes, and every error names the file and line.
"""

from __future__ import annotations

import csv
import hashlib
import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecomstat.numbers import Bounds, where
from indicators.errors import InvalidIndicatorInput

# OpenCelliD's export layout (cell_towers.csv); its dumps may come with or without this header.
OPENCELLID_COLUMNS = (
    "radio",
    "mcc",
    "net",
    "area",
    "cell",
    "unit",
    "lon",
    "lat",
    "range",
    "samples",
    "changeable",
    "created",
    "updated",
    "averageSignal",
)
LEVELS = (2, 3, 4, 5)
LEVEL_NAMES = {level: f"{level}G" for level in LEVELS}
# Radio values -> technology generation. CDMA is configurable (see `radio_levels`): OpenCelliD
# does not tell cdmaOne/CDMA2000 1x (2G in ITU's SDG 9.c.1 metadata) from EV-DO (3G).
_RADIO_LEVELS = {"GSM": 2, "UMTS": 3, "LTE": 4, "NR": 5, "2G": 2, "3G": 3, "4G": 4, "5G": 5}
# Radio values that exist in OpenCelliD but provide no population service: rows are skipped
# (and counted), not rejected.
SKIPPED_RADIOS = frozenset({"NBIOT", "NB-IOT", "LTE-M", "LTEM"})

LON = Bounds(-180, 180)
LAT = Bounds(-90, 90)
# A cell's range in metres (0 or empty: unknown). No terrestrial radio reaches further than
# 150 km: GSM's extended cells end at 121 km (timing advance), LTE's largest PRACH format at
# ~100 km; a larger value is a broken estimate, and 1e300 m would "cover" the whole Earth.
CELL_RANGE_M = Bounds(0, 150_000, unit="m")
# Inhabitants of one grid cell. The densest square kilometres on Earth hold about 100,000-
# 200,000 people, so a 100 m or 1 km grid cell never holds a million; negative values mark
# suppressed cells (counted as 0). The bound also keeps sums finite.
GRID_POPULATION = Bounds(
    None, 1_000_000, words="a number up to 1,000,000 (inhabitants of a grid cell; < 0: suppressed)"
)


def parse_level(value: str) -> int:
    """'4G' / '4g' / 'LTE' -> 4; anything else is bad input."""
    level = _RADIO_LEVELS.get(str(value).strip().upper())
    if level is None:
        raise InvalidIndicatorInput(f"unknown technology {value!r}: use 2G, 3G, 4G or 5G")
    return level


def radio_levels(cdma_level: str = "2G") -> dict[str, int]:
    levels = dict(_RADIO_LEVELS)
    levels["CDMA"] = parse_level(cdma_level)
    return levels


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Cells:
    """Cell sites: position, range in metres (NaN = missing or 0 in the file) and level 2..5."""

    lon: np.ndarray
    lat: np.ndarray
    range_m: np.ndarray
    level: np.ndarray
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass
class PopulationGrid:
    """Populated grid cells only (population > 0), plus counts of what was dropped."""

    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    rows: int = 0
    suppressed: int = 0  # negative values: suppressed/unpublished, counted as 0 inhabitants


def csv_rows(path: str | Path, what: str) -> Iterator[list[str]]:
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidIndicatorInput(f"cannot read {what} file {path}: {exc.strerror}") from None
    with handle:
        try:
            yield from csv.reader(handle)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidIndicatorInput(
                f"{what} file {path} is not a readable CSV: {exc}"
            ) from None


def _number(text: str, path: str | Path, line: int, column: str, bounds: Bounds) -> float:
    return bounds.read(text, where(path, line, column), InvalidIndicatorInput)


def _lon_lat(lon_text: str, lat_text: str, path: str | Path, line: int) -> tuple[float, float]:
    return _number(lon_text, path, line, "lon", LON), _number(lat_text, path, line, "lat", LAT)


def _columns(
    header: list[str], path: str | Path, what: str, required: tuple[str, ...]
) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    index = {name: i for i, name in reversed(list(enumerate(names))) if name}
    missing = [name for name in required if name not in index]
    if missing:
        raise InvalidIndicatorInput(
            f"{what} file {path} lacks column(s) {', '.join(missing)} "
            f"(has: {', '.join(n for n in names if n) or 'none'})"
        )
    return index


def read_cells(path: str | Path, *, technology: str | None = None, cdma_level: str = "2G") -> Cells:
    """Read cells in OpenCelliD's layout (with or without header) or a plain
    `lon,lat,range[,radio]` CSV. `technology` is the level of rows without a radio value.

    A vectorised pyarrow read does the work; when it finds anything wrong (or cannot parse the
    file) the exact row-by-row reader runs instead, to name the offending line."""
    default_level = parse_level(technology) if technology else None
    levels = radio_levels(cdma_level)
    rows = csv_rows(path, "cells")
    first = next(rows, None)
    rows.close()
    if first is None or not any(cell.strip() for cell in first):
        raise InvalidIndicatorInput(f"cells file {path} is empty")
    headerless = (
        len(first) == len(OPENCELLID_COLUMNS)
        and first[0].strip().upper() in levels.keys() | SKIPPED_RADIOS
    )
    header = [name.lower() for name in OPENCELLID_COLUMNS] if headerless else first
    index = _columns(header, path, "cells", ("lon", "lat", "range"))
    if "radio" not in index and default_level is None:
        raise InvalidIndicatorInput(
            f"cells file {path} has no radio column: give the technology with --technology"
        )
    cells = _read_cells_fast(path, header, index, headerless, levels, default_level)
    if cells is None:
        cells = _read_cells_rows(path, index, headerless, levels, default_level)
    return cells


def _read_cells_fast(
    path: str | Path,
    header: list[str],
    index: dict[str, int],
    headerless: bool,
    levels: dict[str, int],
    default_level: int | None,
) -> Cells | None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    wanted = [name for name in ("lon", "lat", "range", "radio") if name in index]
    names = {name: header[index[name]] for name in wanted}
    if len(set(names.values())) != len(names):
        return None
    types = {names[n]: pa.float64() for n in ("lon", "lat", "range")}
    if "radio" in names:
        types[names["radio"]] = pa.string()
    read = pa_csv.ReadOptions(column_names=list(header)) if headerless else pa_csv.ReadOptions()
    try:
        table = pa_csv.read_csv(
            path,
            read_options=read,
            # Only an empty field is missing: pyarrow's default null spellings ("NaN", "NA",
            # "null", ...) would turn a literal NaN range into "no range" unseen.
            convert_options=pa_csv.ConvertOptions(
                include_columns=list(names.values()), column_types=types, null_values=[""]
            ),
        )
    except (pa.ArrowException, OSError, KeyError):
        return None
    if table.num_rows == 0:
        return None
    lon_col, lat_col = table.column(names["lon"]), table.column(names["lat"])
    if lon_col.null_count or lat_col.null_count:
        return None
    lon, lat = lon_col.to_numpy(), lat_col.to_numpy()
    range_col = table.column(names["range"])
    range_m = range_col.to_numpy(zero_copy_only=False).astype(np.float64)
    if int(np.isnan(range_m).sum()) != range_col.null_count:
        return None  # a literal NaN, not an empty field
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return None
    if np.abs(lon).max() > 180 or np.abs(lat).max() > 90:
        return None
    if np.isinf(range_m).any() or (range_m < 0).any() or (range_m > CELL_RANGE_M.high).any():
        return None
    level = np.full(lon.shape[0], default_level or 0, dtype=np.int8)
    keep = np.ones(lon.shape[0], dtype=bool)
    skipped: dict[str, int] = {}
    if "radio" in names:
        radio = pc.utf8_upper(pc.utf8_trim_whitespace(table.column(names["radio"])))
        encoded = pc.fill_null(radio, "").combine_chunks().dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        counts = np.bincount(codes, minlength=len(encoded.dictionary))
        for code, value in enumerate(encoded.dictionary.to_pylist()):
            rows = codes == code
            if value in SKIPPED_RADIOS:
                keep &= ~rows
                skipped[value] = int(counts[code])
            elif value:
                if value not in levels:
                    return None  # the row reader names the line
                level[rows] = levels[value]
            elif default_level is None and counts[code]:
                return None
    if not keep.any():
        return None
    range_m = np.where(range_m > 0, range_m, np.nan)  # 0 or empty: no range
    return Cells(
        lon=np.ascontiguousarray(lon[keep]),
        lat=np.ascontiguousarray(lat[keep]),
        range_m=np.ascontiguousarray(range_m[keep]),
        level=np.ascontiguousarray(level[keep]),
        skipped=skipped,
    )


def _read_cells_rows(
    path: str | Path,
    index: dict[str, int],
    headerless: bool,
    levels: dict[str, int],
    default_level: int | None,
) -> Cells:
    rows = csv_rows(path, "cells")
    if not headerless:
        next(rows)
    radio_at = index.get("radio")
    lon_at, lat_at, range_at = index["lon"], index["lat"], index["range"]
    width = max(index.values()) + 1
    lon, lat, rng, lvl = array("d"), array("d"), array("d"), array("b")
    skipped: dict[str, int] = {}
    for line, row in enumerate(rows, start=1 if headerless else 2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: expected {width} fields, got {len(row)}"
            )
        radio = row[radio_at].strip().upper() if radio_at is not None else ""
        if radio in SKIPPED_RADIOS:
            skipped[radio] = skipped.get(radio, 0) + 1
            continue
        if radio:
            level = levels.get(radio)
            if level is None:
                raise InvalidIndicatorInput(
                    f"{path}, line {line}: unknown radio {row[radio_at]!r} "
                    "(expected GSM, UMTS, CDMA, LTE, NR or 2G-5G)"
                )
        elif default_level is not None:
            level = default_level
        else:
            raise InvalidIndicatorInput(f"{path}, line {line}: radio is empty; give --technology")
        x, y = _lon_lat(row[lon_at], row[lat_at], path, line)
        range_text = row[range_at].strip()
        range_m = (
            _number(range_text, path, line, "range", CELL_RANGE_M) if range_text else math.nan
        )
        lon.append(x)
        lat.append(y)
        rng.append(range_m if range_m > 0 else math.nan)
        lvl.append(level)
    if not lon:
        raise InvalidIndicatorInput(f"cells file {path} has no cells")
    return Cells(
        lon=np.frombuffer(lon, dtype=np.float64),
        lat=np.frombuffer(lat, dtype=np.float64),
        range_m=np.frombuffer(rng, dtype=np.float64),
        level=np.frombuffer(lvl, dtype=np.int8),
        skipped=skipped,
    )


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
    populated = pop > 0
    return PopulationGrid(
        lon=np.ascontiguousarray(lon[populated]),
        lat=np.ascontiguousarray(lat[populated]),
        population=np.ascontiguousarray(pop[populated]),
        rows=int(pop.shape[0]),
        suppressed=int((pop < 0).sum()),
    )


def _read_population_rows(path: str | Path, index: dict[str, int], column: str) -> PopulationGrid:
    rows = csv_rows(path, "population")
    next(rows)  # header
    lon_at, lat_at, pop_at = index["lon"], index["lat"], index[column]
    width = max(lon_at, lat_at, pop_at) + 1
    lon, lat, pop = array("d"), array("d"), array("d")
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
        if value < 0:
            suppressed += 1
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
    )
