"""Reading and validating the SDG 9.c.1 inputs: a cell inventory (the population grid:
`coverage_grid`), and the CSV helpers both readers share.

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
from typing import Any

import numpy as np

from ecomstat.numbers import Bounds, where
from ecomstat.indicators.errors import InvalidIndicatorInput

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
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass
class Cells:
    """Cell sites: position, range in metres (NaN = missing or 0 in the file) and level 2..5."""

    lon: np.ndarray
    lat: np.ndarray
    range_m: np.ndarray
    level: np.ndarray
    skipped: dict[str, int] = field(default_factory=dict)
    # Operator of each cell (index into `operators`) when the file names one: an `operator`
    # column, or OpenCelliD's `mcc` + `net` (MNC); None when it does not.
    operator: np.ndarray | None = None
    operators: tuple[str, ...] = ()


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
    operator = operator_columns(index)
    cells = _read_cells_fast(path, header, index, headerless, levels, default_level, operator)
    if cells is None:
        cells = _read_cells_rows(path, index, headerless, levels, default_level, operator)
    return cells


def operator_columns(index: dict[str, int]) -> tuple[str, ...]:
    """The columns naming a cell's operator: `operator`, else OpenCelliD's `mcc` with `net`
    (or `mnc`): the operator is the MCC-MNC pair; () when the file names none."""
    if "operator" in index:
        return ("operator",)
    for mnc in ("net", "mnc"):
        if "mcc" in index and mnc in index:
            return ("mcc", mnc)
    return ()


def _encode_operators(keys: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    names, codes = np.unique(np.asarray(keys, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int32), tuple(str(name) for name in names)


def _read_cells_fast(
    path: str | Path,
    header: list[str],
    index: dict[str, int],
    headerless: bool,
    levels: dict[str, int],
    default_level: int | None,
    operator: tuple[str, ...] = (),
) -> Cells | None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    wanted = [name for name in ("lon", "lat", "range", "radio", *operator) if name in index]
    names = {name: header[index[name]] for name in wanted}
    if len(set(names.values())) != len(names):
        return None
    types = {names[n]: pa.float64() for n in ("lon", "lat", "range")}
    for name in ("radio", *operator):
        if name in names:
            types[names[name]] = pa.string()
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
    radios = _radio_levels_fast(
        table.column(names["radio"]) if "radio" in names else None,
        lon.shape[0],
        levels,
        default_level,
    )
    if radios is None:
        return None  # the row reader names the line
    level, keep, skipped = radios
    if not keep.any():
        return None
    codes, operators = _operators_fast(table, [names[n] for n in operator], keep)
    if operator and codes is None:
        return None  # an empty operator: the row reader names the line
    range_m = np.where(range_m > 0, range_m, np.nan)  # 0 or empty: no range
    return Cells(
        lon=np.ascontiguousarray(lon[keep]),
        lat=np.ascontiguousarray(lat[keep]),
        range_m=np.ascontiguousarray(range_m[keep]),
        level=np.ascontiguousarray(level[keep]),
        skipped=skipped,
        operator=codes,
        operators=operators,
    )


def _radio_levels_fast(
    radio_column: Any, n: int, levels: dict[str, int], default_level: int | None
) -> tuple[np.ndarray, np.ndarray, dict[str, int]] | None:
    """(level, rows kept, skipped radio counts) from the radio column; None when a value is
    unknown or empty without a default level."""
    import pyarrow.compute as pc

    level = np.full(n, default_level or 0, dtype=np.int8)
    keep = np.ones(n, dtype=bool)
    skipped: dict[str, int] = {}
    if radio_column is None:
        return level, keep, skipped
    radio = pc.utf8_upper(pc.utf8_trim_whitespace(radio_column))
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
                return None
            level[rows] = levels[value]
        elif default_level is None and counts[code]:
            return None
    return level, keep, skipped


def _operators_fast(
    table: Any, columns: list[str], keep: np.ndarray
) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Operator codes of the kept rows from the operator column(s) (joined by '-'); (None, ())
    without columns or when one is empty."""
    import pyarrow.compute as pc

    if not columns:
        return None, ()
    parts = [pc.utf8_trim_whitespace(table.column(name)) for name in columns]
    if any(part.null_count or pc.any(pc.equal(part, "")).as_py() for part in parts):
        return None, ()
    key = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "-")
    return _encode_operators(list(np.asarray(key.to_pylist(), dtype=object)[keep]))


def _read_cells_rows(
    path: str | Path,
    index: dict[str, int],
    headerless: bool,
    levels: dict[str, int],
    default_level: int | None,
    operator: tuple[str, ...] = (),
) -> Cells:
    rows = csv_rows(path, "cells")
    if not headerless:
        next(rows)
    radio_at = index.get("radio")
    lon_at, lat_at, range_at = index["lon"], index["lat"], index["range"]
    operator_at = [index[name] for name in operator]
    keys: list[str] = []
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
        range_m = _number(range_text, path, line, "range", CELL_RANGE_M) if range_text else math.nan
        if operator_at:
            parts = [row[at].strip() for at in operator_at]
            if not all(parts):
                raise InvalidIndicatorInput(
                    f"{path}, line {line}: {'/'.join(operator)} is empty "
                    "(the operator of every cell is needed to compare operators)"
                )
            keys.append("-".join(parts))
        lon.append(x)
        lat.append(y)
        rng.append(range_m if range_m > 0 else math.nan)
        lvl.append(level)
    if not lon:
        raise InvalidIndicatorInput(f"cells file {path} has no cells")
    codes, operators = _encode_operators(keys) if operator_at else (None, ())
    return Cells(
        lon=np.frombuffer(lon, dtype=np.float64),
        lat=np.frombuffer(lat, dtype=np.float64),
        range_m=np.frombuffer(rng, dtype=np.float64),
        level=np.frombuffer(lvl, dtype=np.int8),
        skipped=skipped,
        operator=codes,
        operators=operators,
    )
