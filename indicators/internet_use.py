"""SDG 17.8.1: proportion of individuals using the Internet, from aggregated operator data.

ITU's definition: individuals who used the Internet from any location in the last three
months. From one or more operators' SIM counts per home area (where a SIM spends most nights)
over a three-month reference period, following the ITU mobile-phone-data pilots (see
docs/methodology/sdg-17-8-1.md for the assumptions and the sources):

    users_a = (sum_o D_ao / sum_o s_ao) / m_a
    rate_a  = 100 * users_a / P_a

- D_ao: operator o's SIMs with at least one data session in the period in area a (with
  `3g_plus_only`: sessions on 3G or better), handsets only (no M2M/IoT SIMs);
- s_ao: operator o's market share of active SIMs in the area: the operators in the file scale
  to the whole market (their sum is at most 1);
- m_a: active SIMs per unique user across the market (multi-SIM, multi-device), so that users
  are people, not SIMs;
- P_a: the area's population in the age scope (e.g. 15+), the population the users represent.

An area whose rate exceeds 100% is published as 100 and flagged `over-100` (home-area
misassignment or inputs that do not fit); its uncapped rate is kept. The total is computed from
the UNCAPPED users, sum_a users_a / sum_a P_a, and only then capped at 100%: capping each area
first biases the total down whenever users are assigned to the wrong home area.

The interval: `internet_use_interval` (Monte Carlo over the market shares' and the factor's
standard errors). Areas with fewer than `min_count` active or data SIMs are suppressed; with
exactly one suppressed, the published area with the fewest active SIMs is too (secondary
suppression), so that the published total does not reveal it by subtraction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ecomstat.numbers import Bounds
from ecomstat.indicators.coverage_io import file_sha256
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.internet_use_interval import (
    REPLICATES,
    SEED,
    AreaInputs,
    has_uncertainty,
    monte_carlo,
)
from ecomstat.indicators.internet_use_io import (
    TOTAL,
    AgeScope,
    AreaUsage,
    parse_age_scope,
    read_area_population,
    read_usage,
)

INDICATOR = "SDG_17_8_1"
MIN_COUNT = Bounds(0, 10_000_000_000, integer=True)
_SHARE_SLACK = 1e-9  # shares summing to 1 may print as 1.0000000001


@dataclass
class InternetUseRow:
    area: str
    population: float
    internet_use_pct: float | None
    users: float | None
    active_sims: int | None
    data_sims: int | None
    market_share: float | None  # the operators' combined share
    sims_per_person: float | None
    flags: list[str] = field(default_factory=list)
    uncapped_pct: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if float(self.population).is_integer():
            data["population"] = int(self.population)
        for name in ("internet_use_pct", "uncapped_pct", "se", "ci_low", "ci_high"):
            if data[name] is not None:
                data[name] = round(data[name], 2)
        if self.users is not None:
            data["users"] = round(self.users)
        return data


@dataclass
class InternetUseResult:
    rows: list[InternetUseRow]
    method: str
    provenance: dict[str, Any] = field(default_factory=dict)
    age_scope: str | None = None


def _by_area(usage: list[AreaUsage]) -> dict[str, list[AreaUsage]]:
    areas: dict[str, list[AreaUsage]] = {}
    for item in usage:
        areas.setdefault(item.area, []).append(item)
    for name, items in areas.items():
        share = sum(item.market_share for item in items)
        if share > 1 + _SHARE_SLACK:
            raise InvalidIndicatorInput(
                f"the market shares of area {name!r} add up to {share:g} (lines "
                f"{', '.join(str(i.line) for i in items)}): the operators' shares are at most 1"
            )
        factors = {(item.sims_per_person, item.sims_per_person_se) for item in items}
        if len(factors) > 1:
            raise InvalidIndicatorInput(
                f"area {name!r} has different SIMs-per-user factors on lines "
                f"{', '.join(str(i.line) for i in items)}: the factor is market-wide, one per area"
            )
    return areas


def estimate_internet_use(
    usage: list[AreaUsage],
    population: dict[str, float],
    *,
    min_count: int = 20,
    replicates: int = 2000,
    seed: int = 0,
) -> list[InternetUseRow]:
    """One row per area of the usage file (file order), then the areas of the population file
    without usage data (flag `no-usage-data`, outside the total), then the total."""
    MIN_COUNT.check(min_count, "--min-count", InvalidIndicatorInput)
    unknown = list(dict.fromkeys(u.area for u in usage if u.area not in population))
    if unknown:
        raise InvalidIndicatorInput(
            f"usage area(s) not in the population file: {', '.join(unknown[:5])}"
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        )
    areas = _by_area(usage)
    inputs: list[AreaInputs] = []
    rows: list[InternetUseRow] = []
    for name, items in areas.items():
        people = population[name]
        data = sum(item.data_sims for item in items)
        active = sum(item.active_sims for item in items)
        share = sum(item.market_share for item in items)
        factor = items[0].sims_per_person
        users = data / (share * factor)
        pct = 100.0 * users / people
        inputs.append(
            AreaInputs(
                data,
                people,
                [(i.operator, i.market_share, i.market_share_se) for i in items],
                factor,
                items[0].sims_per_person_se,
            )
        )
        rows.append(
            InternetUseRow(
                name,
                people,
                min(100.0, pct),
                users,
                active,
                data,
                share,
                factor,
                ["over-100"] if pct > 100 else [],
                uncapped_pct=pct,
            )
        )
    total_users = sum(row.users or 0.0 for row in rows)
    total_people = sum(row.population for row in rows)
    total_active = sum(row.active_sims or 0 for row in rows)
    total_data = sum(row.data_sims or 0 for row in rows)
    if has_uncertainty(inputs):
        intervals, total_interval = monte_carlo(inputs, replicates, seed)
        for row, interval in zip(rows, intervals, strict=True):
            row.se, row.ci_low, row.ci_high = interval.se, interval.ci_low, interval.ci_high
    else:
        total_interval = None
    for row in rows:
        if row.active_sims is not None and (
            row.active_sims < min_count or (row.data_sims or 0) < min_count
        ):
            _hide(row, "suppressed")
    _suppress_a_second_area(rows)
    for name, people in population.items():
        if name not in areas:
            rows.append(
                InternetUseRow(name, people, None, None, None, None, None, None, ["no-usage-data"])
            )
    if total_active < min_count or total_data < min_count:
        rows.append(
            InternetUseRow(TOTAL, total_people, None, None, None, None, None, None, ["suppressed"])
        )
        return rows
    pct = 100.0 * total_users / total_people
    total = InternetUseRow(
        TOTAL,
        total_people,
        min(100.0, pct),
        total_users,
        total_active,
        total_data,
        None,
        None,
        ["over-100"] if pct > 100 else [],
        uncapped_pct=pct,
    )
    if total_interval is not None:
        total.se, total.ci_low, total.ci_high = (
            total_interval.se,
            total_interval.ci_low,
            total_interval.ci_high,
        )
    rows.append(total)
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
    """No estimate, interval or counts shown for the area; `flag` says why."""
    row.internet_use_pct = row.users = row.uncapped_pct = None
    row.se = row.ci_low = row.ci_high = None
    row.active_sims = row.data_sims = None
    row.flags = [flag]


def run_internet_use(
    usage_path: str | Path,
    population_path: str | Path,
    *,
    min_count: int = 20,
    market_share: float | None = None,
    sims_per_person: float | None = None,
    market_share_se: float = 0.0,
    sims_per_person_se: float = 0.0,
    three_g_plus_only: bool = False,
    age_scope: str | None = None,
    replicates: int = 2000,
    seed: int = 0,
) -> InternetUseResult:
    """Read and validate both files, then estimate SDG 17.8.1 per home area and in total."""
    MIN_COUNT.check(min_count, "--min-count", InvalidIndicatorInput)  # before reading files
    REPLICATES.check(replicates, "ECOMSTAT_INTERNET_USE_REPLICATES", InvalidIndicatorInput)
    SEED.check(seed, "ECOMSTAT_INTERNET_USE_SEED", InvalidIndicatorInput)
    scope: AgeScope | None = parse_age_scope(age_scope)
    usage = read_usage(
        usage_path,
        three_g_plus_only=three_g_plus_only,
        market_share=market_share,
        sims_per_person=sims_per_person,
        market_share_se=market_share_se,
        sims_per_person_se=sims_per_person_se,
    )
    population = read_area_population(population_path, scope)
    rows = estimate_internet_use(
        usage, population, min_count=min_count, replicates=replicates, seed=seed
    )
    method = "mno-data-sims-3g-plus" if three_g_plus_only else "mno-data-sims"
    uncertain = any(u.market_share_se > 0 or u.sims_per_person_se > 0 for u in usage)
    provenance = {
        "usage_file": Path(usage_path).name,
        "usage_sha256": file_sha256(usage_path),
        "population_file": Path(population_path).name,
        "population_sha256": file_sha256(population_path),
        "min_count": min_count,
        "market_share_default": market_share,
        "market_share_se_default": market_share_se,
        "sims_per_person_default": sims_per_person,
        "sims_per_person_se_default": sims_per_person_se,
        "operators": sorted({u.operator for u in usage if u.operator}),
        "age_scope": scope.label if scope else None,
        "data_column": "data_sims_3g_plus" if three_g_plus_only else "data_sims",
        "formula": "users = sum(data_sims) / sum(market_share) / sims_per_person; "
        "area: min(100, 100 * users / population), flag over-100; "
        "total: min(100, 100 * sum(users) / sum(population)) from uncapped areas",
        "interval": (
            {
                "method": "Monte Carlo, truncated-normal market shares and SIMs-per-user factor, "
                "fully correlated across areas; 2.5/97.5 percentiles",
                "replicates": replicates,
                "seed": seed,
            }
            if uncertain
            else "none: no standard error given for the market share or SIMs-per-user factor"
        ),
    }
    return InternetUseResult(
        rows=rows, method=method, provenance=provenance, age_scope=scope.label if scope else None
    )


def internet_use_records(result: InternetUseResult, period: str) -> list[Any]:
    """indicator_value records: estimate = % of the in-scope population, n = active SIMs;
    the breakdown names the age scope when one was given (10+ and 15+ are different cells)."""
    from ecomstat.indicators.results import IndicatorRecord, require_period

    period = require_period(period, "SDG 17.8.1")
    scope = {"age": result.age_scope} if result.age_scope else {}
    return [
        IndicatorRecord(
            indicator=INDICATOR,
            period=period,
            breakdown={"area": row.area, **scope},
            method=result.method,
            estimate=row.internet_use_pct,
            se=row.se,
            ci_low=row.ci_low,
            ci_high=row.ci_high,
            cv=(row.se / row.internet_use_pct)
            if row.se is not None and row.internet_use_pct
            else None,
            n=row.active_sims,
            flags=list(row.flags),
            provenance={
                **result.provenance,
                "population": row.population,
                "uncapped_pct": row.uncapped_pct,
                "users": row.users,
            },
        )
        for row in result.rows
    ]
