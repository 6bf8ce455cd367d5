"""SDG 17.8.1: proportion of individuals using the Internet, from aggregated operator data.

ITU's definition: individuals who used the Internet from any location in the last three months.
From one operator's SIM counts per home area (the area where the SIM spends most nights), over
a reference period of three months:

    users_a = D_a / (s_a * m_a)
    rate_a  = min(100, 100 * users_a / P_a)

- D_a: SIMs with at least one data session in the period (`data_sims`; with `3g_plus_only`,
  `data_sims_3g_plus`: sessions on 3G or better), handsets only (no M2M/IoT SIMs);
- s_a: the operator's market share of active SIMs in the area, 0 < s <= 1;
- m_a: active SIMs per SIM user (multi-SIM and multi-device ownership), > 0;
- P_a: the in-scope population of the area (residents in the age range the office publishes).

Areas where the active or data SIM count is below `min_count` are suppressed (no estimate, no
counts shown). The total is a ratio of sums over every area with usage data, suppressed ones
included: sum_a min(users_a, P_a) / sum_a P_a, capped at 100%. Because the total's counts are
published, a single suppressed area could be recovered by subtraction; then the published area
with the fewest active SIMs is suppressed too (secondary suppression, flag
`secondary-suppression`), so only the sum of two areas can be derived.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ecomstat.numbers import Bounds, where
from indicators.coverage_io import csv_rows, file_sha256
from indicators.errors import InvalidIndicatorInput

INDICATOR = "SDG_17_8_1"
TOTAL = "total"
USAGE_COLUMNS = ("area", "active_sims", "data_sims")
OPTIONAL_USAGE_COLUMNS = ("data_sims_3g_plus", "market_share", "sims_per_person")
# Plausible values. The world has about 9 billion SIMs, so one operator's count in an area is
# below 10 billion, as is the population of any area. A market share below 0.1% or more than
# 10 SIMs per user describe no operator whose counts could estimate a population (and keep
# users = data_sims / (share * SIMs per person) finite).
SIM_COUNT = Bounds(0, 10_000_000_000, integer=True)
AREA_POPULATION = Bounds(0, 10_000_000_000, low_open=True)
MARKET_SHARE = Bounds(0.001, 1)
SIMS_PER_PERSON = Bounds(0.1, 10)
MIN_COUNT = Bounds(0, 10_000_000_000, integer=True)


@dataclass
class AreaUsage:
    area: str
    active_sims: int
    data_sims: int  # the data-SIM count used (all data SIMs, or 3G+ only)
    market_share: float
    sims_per_person: float
    line: int = 0


@dataclass
class InternetUseRow:
    area: str
    population: float
    internet_use_pct: float | None
    users: float | None
    active_sims: int | None
    data_sims: int | None
    market_share: float | None
    sims_per_person: float | None
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if float(self.population).is_integer():
            data["population"] = int(self.population)
        if self.internet_use_pct is not None:
            data["internet_use_pct"] = round(self.internet_use_pct, 2)
        if self.users is not None:
            data["users"] = round(self.users)
        return data


@dataclass
class InternetUseResult:
    rows: list[InternetUseRow]
    method: str
    provenance: dict[str, Any] = field(default_factory=dict)


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


def _area(text: str, path: str | Path, line: int, seen: dict[str, int]) -> str:
    name = text.strip()
    if not name:
        raise InvalidIndicatorInput(f"{path}, line {line}: area is empty")
    if name.lower() == TOTAL:
        raise InvalidIndicatorInput(f"{path}, line {line}: area name {name!r} is reserved")
    if name in seen:
        raise InvalidIndicatorInput(f"{path}, line {line}: area {name!r} repeats line {seen[name]}")
    return name


def read_usage(
    path: str | Path,
    *,
    three_g_plus_only: bool = False,
    market_share: float | None = None,
    sims_per_person: float | None = 1.0,
) -> list[AreaUsage]:
    """Read `area,active_sims,data_sims[,data_sims_3g_plus][,market_share][,sims_per_person]`.
    A per-row market share / SIMs per person wins over the default given here."""
    if market_share is not None:
        MARKET_SHARE.check(market_share, "--market-share", InvalidIndicatorInput)
    if sims_per_person is not None:
        SIMS_PER_PERSON.check(sims_per_person, "--sims-per-person", InvalidIndicatorInput)
    rows = csv_rows(path, "usage")
    required = USAGE_COLUMNS + (("data_sims_3g_plus",) if three_g_plus_only else ())
    index = _header(rows, path, "usage", required)
    share_at, spp_at = index.get("market_share"), index.get("sims_per_person")
    g3_at = index.get("data_sims_3g_plus")
    usage: list[AreaUsage] = []
    seen: dict[str, int] = {}
    width = max(index.values()) + 1
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        row = row + [""] * (width - len(row))  # short rows: missing fields are empty
        name = _area(row[index["area"]], path, line, seen)
        seen[name] = line
        active = _count(row[index["active_sims"]], path, line, "active_sims")
        data = _count(row[index["data_sims"]], path, line, "data_sims")
        if data > active:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: data_sims {data} exceeds active_sims {active}"
            )
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
        share_text = row[share_at].strip() if share_at is not None else ""
        if share_text:
            share = _number(share_text, path, line, "market_share", MARKET_SHARE)
        elif market_share is not None:
            share = market_share
        else:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: no market share: add a market_share column or --market-share"
            )
        spp_text = row[spp_at].strip() if spp_at is not None else ""
        if spp_text:
            spp = _number(spp_text, path, line, "sims_per_person", SIMS_PER_PERSON)
        elif sims_per_person is not None:
            spp = sims_per_person
        else:
            raise InvalidIndicatorInput(f"{path}, line {line}: no SIMs per person given")
        usage.append(AreaUsage(name, active, data, share, spp, line))
    if not usage:
        raise InvalidIndicatorInput(f"usage file {path} has no areas")
    return usage


def read_area_population(path: str | Path) -> dict[str, float]:
    """Read `area,population` (the in-scope population of each home area)."""
    rows = csv_rows(path, "population")
    index = _header(rows, path, "population", ("area", "population"))
    population: dict[str, float] = {}
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(index["area"], index["population"]):
            raise InvalidIndicatorInput(f"{path}, line {line}: missing fields")
        name = _area(row[index["area"]], path, line, seen)
        seen[name] = line
        population[name] = _number(
            row[index["population"]], path, line, "population", AREA_POPULATION
        )
    if not population:
        raise InvalidIndicatorInput(f"population file {path} has no areas")
    return population


def estimate_internet_use(
    usage: list[AreaUsage], population: dict[str, float], *, min_count: int = 20
) -> list[InternetUseRow]:
    """One row per area of the usage file (file order), then the total (see module docstring).
    Population areas without usage data get a row flagged `no-usage-data` and stay out of the
    total."""
    MIN_COUNT.check(min_count, "--min-count", InvalidIndicatorInput)
    unknown = [u.area for u in usage if u.area not in population]
    if unknown:
        raise InvalidIndicatorInput(
            f"usage area(s) not in the population file: {', '.join(unknown[:5])}"
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        )
    rows: list[InternetUseRow] = []
    total_users = total_population = 0.0
    total_active = total_data = 0
    for item in usage:
        people = population[item.area]
        users = item.data_sims / (item.market_share * item.sims_per_person)
        capped_users = min(users, people)
        total_users += capped_users
        total_population += people
        total_active += item.active_sims
        total_data += item.data_sims
        row = InternetUseRow(
            item.area,
            people,
            100.0 * capped_users / people,
            users,
            item.active_sims,
            item.data_sims,
            item.market_share,
            item.sims_per_person,
            ["capped"] if users > people else [],
        )
        if item.active_sims < min_count or item.data_sims < min_count:
            _hide(row, "suppressed")
        rows.append(row)
    _suppress_a_second_area(rows)
    covered = {u.area for u in usage}
    for name, people in population.items():
        if name not in covered:
            rows.append(
                InternetUseRow(name, people, None, None, None, None, None, None, ["no-usage-data"])
            )
    if total_active < min_count or total_data < min_count:
        rows.append(
            InternetUseRow(
                TOTAL, total_population, None, None, None, None, None, None, ["suppressed"]
            )
        )
    else:
        pct = min(100.0, 100.0 * total_users / total_population)
        rows.append(
            InternetUseRow(
                TOTAL, total_population, pct, total_users, total_active, total_data, None, None, []
            )
        )
    return rows


def _suppress_a_second_area(rows: list[InternetUseRow]) -> None:
    """Secondary suppression: with exactly one area suppressed, the published total minus the
    other areas would give its counts; hide the published area with the fewest active SIMs too."""
    if sum("suppressed" in row.flags for row in rows) != 1:
        return
    published = [row for row in rows if row.active_sims is not None]
    if not published:
        return
    _hide(min(published, key=lambda row: (row.active_sims, row.area)), "secondary-suppression")


def _hide(row: InternetUseRow, flag: str) -> None:
    """No estimate and no counts shown for the area; `flag` says why."""
    row.internet_use_pct = row.users = None
    row.active_sims = row.data_sims = None
    row.flags = [flag]


def run_internet_use(
    usage_path: str | Path,
    population_path: str | Path,
    *,
    min_count: int = 20,
    market_share: float | None = None,
    sims_per_person: float | None = 1.0,
    three_g_plus_only: bool = False,
) -> InternetUseResult:
    """Read and validate both files, then estimate SDG 17.8.1 per home area and in total."""
    MIN_COUNT.check(min_count, "--min-count", InvalidIndicatorInput)  # before reading files
    usage = read_usage(
        usage_path,
        three_g_plus_only=three_g_plus_only,
        market_share=market_share,
        sims_per_person=sims_per_person,
    )
    population = read_area_population(population_path)
    rows = estimate_internet_use(usage, population, min_count=min_count)
    method = "mno-data-sims-3g-plus" if three_g_plus_only else "mno-data-sims"
    provenance = {
        "usage_file": Path(usage_path).name,
        "usage_sha256": file_sha256(usage_path),
        "population_file": Path(population_path).name,
        "population_sha256": file_sha256(population_path),
        "min_count": min_count,
        "market_share_default": market_share,
        "sims_per_person_default": sims_per_person,
        "data_column": "data_sims_3g_plus" if three_g_plus_only else "data_sims",
        "formula": "min(100, 100 * data_sims / (market_share * sims_per_person) / population)",
    }
    return InternetUseResult(rows=rows, method=method, provenance=provenance)


def internet_use_records(result: InternetUseResult, period: str) -> list[Any]:
    """indicator_value records: estimate = % of the in-scope population, n = active SIMs."""
    from indicators.results import IndicatorRecord, require_period

    period = require_period(period, "SDG 17.8.1")
    return [
        IndicatorRecord(
            indicator=INDICATOR,
            period=period,
            breakdown={"area": row.area},
            method=result.method,
            estimate=row.internet_use_pct,
            n=row.active_sims,
            flags=list(row.flags),
            provenance={**result.provenance, "population": row.population},
        )
        for row in result.rows
    ]
