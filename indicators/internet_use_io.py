"""Reading the SDG 17.8.1 inputs: operators' SIM counts per home area, and the population of
each area within the age scope (see docs/methodology/sdg-17-8-1.md).

Usage: `area[,operator],active_sims,data_sims[,data_sims_3g_plus][,market_share]
[,market_share_se][,sims_per_person][,sims_per_person_se]`: one row per area and operator (the
operator column may be left out when the file holds one operator).

Population: `area,population[,age]`: with an `age` column (groups such as `0-14`, `15-24`,
`75+` or single years), the groups inside the age scope are summed per area.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomstat.numbers import Bounds, where
from ecomstat.indicators.coverage_io import csv_rows
from ecomstat.indicators.errors import InvalidIndicatorInput

TOTAL = "total"
USAGE_COLUMNS = ("area", "active_sims", "data_sims")
# Plausible values. The world has about 9 billion SIMs, so one operator's count in an area is
# below 10 billion, as is the population of any area. A market share below 0.1% or more than
# 10 SIMs per user describe no operator whose counts could estimate a population (and keep
# users = data_sims / (share * SIMs per person) finite).
SIM_COUNT = Bounds(0, 10_000_000_000, integer=True)
AREA_POPULATION = Bounds(0, 10_000_000_000, low_open=True)
GROUP_POPULATION = Bounds(0, 10_000_000_000)
MARKET_SHARE = Bounds(0.001, 1)
SIMS_PER_PERSON = Bounds(0.1, 10)
# Standard errors of those inputs (from a survey or the operator): a share's SE above 0.5 or
# a factor's above 5 say nothing about the value.
MARKET_SHARE_SE = Bounds(0, 0.5)
SIMS_PER_PERSON_SE = Bounds(0, 5)
_AGE = re.compile(r"^\s*(\d{1,3})\s*(?:(\+)|-\s*(\d{1,3}))?\s*$")


@dataclass
class AreaUsage:
    area: str
    operator: str
    active_sims: int
    data_sims: int  # the data-SIM count used (all data SIMs, or 3G+ only)
    market_share: float
    sims_per_person: float
    market_share_se: float = 0.0
    sims_per_person_se: float = 0.0
    line: int = 0


@dataclass(frozen=True)
class AgeScope:
    """Ages low..high inclusive (high = inf for `N+`); `label` as given."""

    low: int
    high: float
    label: str

    def holds(self, group: tuple[int, float]) -> bool:
        return group[0] >= self.low and group[1] <= self.high

    def overlaps(self, group: tuple[int, float]) -> bool:
        return group[0] <= self.high and group[1] >= self.low


def _age_range(text: str) -> tuple[int, float] | None:
    match = _AGE.match(text)
    if not match:
        return None
    low = int(match.group(1))
    high: float = math.inf if match.group(2) else float(match.group(3) or low)
    return (low, high) if high >= low else None


def parse_age_scope(text: str | None) -> AgeScope | None:
    """`15+`, `10+`, `15-74` (inclusive) -> AgeScope; None/empty -> None (no scope stated)."""
    if text is None or not text.strip():
        return None
    bounds = _age_range(text)
    if bounds is None:
        raise InvalidIndicatorInput(
            f"--age-scope: {text!r} is not an age range such as 15+, 10+ or 15-74"
        )
    return AgeScope(bounds[0], bounds[1], text.strip())


def _header(rows: Any, path: str | Path, what: str, required: tuple[str, ...]) -> dict[str, int]:
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        raise InvalidIndicatorInput(f"{what} file {path} is empty")
    names = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        raise InvalidIndicatorInput(
            f"{what} file {path} lacks column(s) {', '.join(missing)} (has: {', '.join(names)})"
        )
    return {name: i for i, name in reversed(list(enumerate(names))) if name}


def _count(text: str, path: str | Path, line: int, column: str) -> int:
    return int(SIM_COUNT.read(text, where(path, line, column), InvalidIndicatorInput))


def _number(text: str, path: str | Path, line: int, column: str, bounds: Bounds) -> float:
    return bounds.read(text, where(path, line, column), InvalidIndicatorInput)


def _area(text: str, path: str | Path, line: int) -> str:
    name = text.strip()
    if not name:
        raise InvalidIndicatorInput(f"{path}, line {line}: area is empty")
    if name.lower() == TOTAL:
        raise InvalidIndicatorInput(f"{path}, line {line}: area name {name!r} is reserved")
    return name


def _value(
    row: list[str],
    at: int | None,
    default: float | None,
    where_: tuple[str | Path, int, str],
    bounds: Bounds,
) -> float | None:
    """The row's value in column `at`, else `default` (None when neither)."""
    text = row[at].strip() if at is not None else ""
    if text:
        path, line, column = where_
        return _number(text, path, line, column, bounds)
    return default


def read_usage(
    path: str | Path,
    *,
    three_g_plus_only: bool = False,
    market_share: float | None = None,
    sims_per_person: float | None = None,
    market_share_se: float = 0.0,
    sims_per_person_se: float = 0.0,
) -> list[AreaUsage]:
    """Read the usage file (module docstring). A row's value wins over the default given here;
    a market share and a SIMs-per-user factor are needed one way or the other."""
    for value, name, bounds in (
        (market_share, "--market-share", MARKET_SHARE),
        (sims_per_person, "--sims-per-person", SIMS_PER_PERSON),
        (market_share_se, "--market-share-se", MARKET_SHARE_SE),
        (sims_per_person_se, "--sims-per-person-se", SIMS_PER_PERSON_SE),
    ):
        if value is not None:
            bounds.check(value, name, InvalidIndicatorInput)
    rows = csv_rows(path, "usage")
    required = USAGE_COLUMNS + (("data_sims_3g_plus",) if three_g_plus_only else ())
    index = _header(rows, path, "usage", required)
    at = {
        name: index.get(name)
        for name in (
            "operator",
            "data_sims_3g_plus",
            "market_share",
            "market_share_se",
            "sims_per_person",
            "sims_per_person_se",
        )
    }
    usage: list[AreaUsage] = []
    seen: dict[tuple[str, str], int] = {}
    width = max(index.values()) + 1
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        row = row + [""] * (width - len(row))  # short rows: missing fields are empty
        name = _area(row[index["area"]], path, line)
        operator = row[at["operator"]].strip() if at["operator"] is not None else ""
        if at["operator"] is not None and not operator:
            raise InvalidIndicatorInput(f"{path}, line {line}: operator is empty")
        if (name, operator) in seen:
            what = f"area {name!r}" + (f" operator {operator!r}" if operator else "")
            raise InvalidIndicatorInput(
                f"{path}, line {line}: {what} repeats line {seen[(name, operator)]}"
            )
        seen[(name, operator)] = line
        active = _count(row[index["active_sims"]], path, line, "active_sims")
        data = _count(row[index["data_sims"]], path, line, "data_sims")
        if data > active:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: data_sims {data} exceeds active_sims {active}"
            )
        g3_at = at["data_sims_3g_plus"]
        if g3_at is not None and row[g3_at].strip():
            data_3g = _count(row[g3_at], path, line, "data_sims_3g_plus")
            if data_3g > data:
                raise InvalidIndicatorInput(
                    f"{path}, line {line}: data_sims_3g_plus {data_3g} exceeds data_sims {data}"
                )
            if three_g_plus_only:
                data = data_3g
        elif three_g_plus_only:
            raise InvalidIndicatorInput(f"{path}, line {line}: data_sims_3g_plus is empty")
        share = _value(
            row, at["market_share"], market_share, (path, line, "market_share"), MARKET_SHARE
        )
        if share is None:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: no market share: add a market_share column or --market-share"
            )
        spp = _value(
            row,
            at["sims_per_person"],
            sims_per_person,
            (path, line, "sims_per_person"),
            SIMS_PER_PERSON,
        )
        if spp is None:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: no SIMs-per-user (multi-SIM) factor: add a "
                "sims_per_person column or --sims-per-person (ITU counts individuals, not SIMs; "
                "1 only if every SIM is a different person)"
            )
        share_se = _value(
            row,
            at["market_share_se"],
            market_share_se,
            (path, line, "market_share_se"),
            MARKET_SHARE_SE,
        )
        spp_se = _value(
            row,
            at["sims_per_person_se"],
            sims_per_person_se,
            (path, line, "sims_per_person_se"),
            SIMS_PER_PERSON_SE,
        )
        usage.append(
            AreaUsage(
                name, operator, active, data, share, spp, share_se or 0.0, spp_se or 0.0, line
            )
        )
    if not usage:
        raise InvalidIndicatorInput(f"usage file {path} has no areas")
    return usage


def read_area_population(path: str | Path, scope: AgeScope | None = None) -> dict[str, float]:
    """Read `area,population[,age]` (module docstring): the in-scope population per area."""
    rows = csv_rows(path, "population")
    index = _header(rows, path, "population", ("area", "population"))
    age_at = index.get("age")
    if age_at is not None and scope is None:
        raise InvalidIndicatorInput(
            f"population file {path} has an age column: give the age scope with --age-scope "
            "(e.g. 15+ or 10+)"
        )
    population: dict[str, float] = {}
    groups: dict[str, list[tuple[int, float, int]]] = {}
    seen: dict[tuple[str, str], int] = {}
    width = max(index.values()) + 1
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise InvalidIndicatorInput(f"{path}, line {line}: missing fields")
        name = _area(row[index["area"]], path, line)
        age_text = row[age_at].strip() if age_at is not None else ""
        key = (name, age_text)
        if key in seen:
            what = f"area {name!r}" + (f" age {age_text!r}" if age_text else "")
            raise InvalidIndicatorInput(f"{path}, line {line}: {what} repeats line {seen[key]}")
        seen[key] = line
        if age_at is None:
            population[name] = _number(
                row[index["population"]], path, line, "population", AREA_POPULATION
            )
            continue
        group = _age_range(age_text)
        if group is None:
            raise InvalidIndicatorInput(
                f"{path}, line {line}, column age: {age_text!r} is not an age group such as "
                "0-14, 15-24, 75+ or 15"
            )
        people = _number(row[index["population"]], path, line, "population", GROUP_POPULATION)
        for low, high, other in groups.get(name, []):
            if group[0] <= high and group[1] >= low:
                raise InvalidIndicatorInput(
                    f"{path}, line {line}: age group {age_text!r} of area {name!r} overlaps "
                    f"line {other}"
                )
        groups.setdefault(name, []).append((group[0], group[1], line))
        in_scope = scope or AgeScope(0, math.inf, "all")  # not None: refused above otherwise
        if in_scope.holds(group):
            population[name] = population.get(name, 0.0) + people
        elif in_scope.overlaps(group):
            raise InvalidIndicatorInput(
                f"{path}, line {line}: age group {age_text!r} straddles the age scope "
                f"{in_scope.label}: give groups that split at its bounds"
            )
        else:
            population.setdefault(name, 0.0)
    if not population:
        raise InvalidIndicatorInput(f"population file {path} has no areas")
    empty = [name for name, people in population.items() if people <= 0]
    if empty:
        raise InvalidIndicatorInput(
            f"population file {path}: no population in the age scope "
            f"{scope.label if scope else ''} for area(s) {', '.join(empty[:5])}"
        )
    return population
