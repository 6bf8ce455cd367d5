"""`ecomstat indicators coverage|internet-use`: the mobile-data indicators SDG 9.c.1 and 17.8.1."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, err_console, state
from ecomstat.cli.indicators import app
from ecomstat.numbers import Bounds

# The libraries (numpy/scipy) are imported inside the commands: `ecomstat` starts faster.

_COVERAGE_COLUMNS = [
    "area",
    "level",
    "covered_pct",
    "covered_population",
    "population",
    "grid_cells",
    "outside_extent_pct",
    "suppressed_cells",
    "flags",
]
_USE_COLUMNS = [
    "area",
    "internet_use_pct",
    "ci_low",
    "ci_high",
    "se",
    "uncapped_pct",
    "users",
    "population",
    "active_sims",
    "data_sims",
    "market_share",
    "sims_per_person",
    "flags",
]


# Options both commands take; the indicator code is named in each command's help text.
StoreOption = Annotated[
    bool, typer.Option("--store", help="Write indicator_value rows to the results database.")
]
PeriodOption = Annotated[
    Optional[str],
    typer.Option("--period", help="Reference period for --store (default: this year)."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f")]


class CoverageMethod(str, enum.Enum):
    centroid = "centroid"
    area = "area"


class OperatorRule(str, enum.Enum):
    largest = "largest"
    any = "any"


def _checked(
    ctx: typer.Context,
    value: float | None,
    option: str | None,
    setting: str,
    bounds: Bounds,
) -> float:
    """The option's value, else the setting's, checked for finiteness and plausibility here so
    that a refusal names the one the user gave (one line, exit 2)."""
    from ecomstat.indicators.errors import InvalidIndicatorInput

    settings = state(ctx).settings
    if value is not None and option is not None:
        return bounds.check(value, option, InvalidIndicatorInput)
    read = settings.getint if bounds.integer else settings.getfloat
    return bounds.check(read(setting), setting, InvalidIndicatorInput)


def _period(period: Optional[str]) -> str:
    return period or str(dt.datetime.now(dt.timezone.utc).year)


def _store(ctx: typer.Context, records: list, what: str) -> None:
    from ecomstat.indicators.results import write_values

    _ = [record.breakdown_key for record in records]  # bad keys fail before the store opens
    written = write_values(state(ctx).engine(), records)
    err_console.print(
        f"stored {written} {what} values; see `ecomstat indicators show`", highlight=False
    )


@app.command("coverage")
def coverage(
    ctx: typer.Context,
    cells: Annotated[
        Path, typer.Option("--cells", help="Cell sites: OpenCelliD CSV or lon,lat,range[,radio].")
    ],
    population: Annotated[
        Path, typer.Option("--population", help="Population grid CSV: lon,lat,<population>.")
    ],
    areas: Annotated[
        Optional[Path], typer.Option("--areas", help="GeoJSON polygons for the breakdown.")
    ] = None,
    area_property: Annotated[
        str, typer.Option("--area-property", help="GeoJSON property naming an area.")
    ] = "name",
    technology: Annotated[
        Optional[str],
        typer.Option("--technology", help="Level (2G-5G) of cells without a radio value."),
    ] = None,
    method: Annotated[
        CoverageMethod,
        typer.Option("--method", help="centroid | area (sampled share of each square)."),
    ] = CoverageMethod.centroid,
    population_column: Annotated[
        Optional[str],
        typer.Option("--population-column", help="[ECOMSTAT_COVERAGE_POPULATION_COLUMN]"),
    ] = None,
    default_range: Annotated[
        Optional[float],
        typer.Option(
            "--default-range",
            help="Metres for cells with 0/empty range [ECOMSTAT_COVERAGE_DEFAULT_RANGE_M].",
        ),
    ] = None,
    max_range: Annotated[
        Optional[float],
        typer.Option(
            "--max-range",
            help="Cap on cell ranges in metres, 0 = none [ECOMSTAT_COVERAGE_MAX_RANGE_M].",
        ),
    ] = None,
    urban_rural: Annotated[
        bool,
        typer.Option("--urban-rural", help="Also split the total by DEGURBA urban/rural class."),
    ] = False,
    operators: Annotated[
        Optional[OperatorRule],
        typer.Option(
            "--operators",
            help="Several operators in --cells (operator, or mcc+net columns): largest = ITU's "
            "rule, the operator covering most people (default); any = covered by at least one.",
        ),
    ] = None,
    store: StoreOption = False,
    period: PeriodOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """SDG 9.c.1: share of the population covered by at least 2G/3G/4G/5G, total and per area.

    With --store the values are written as indicator SDG_9_c_1.
    """
    from ecomstat.indicators.coverage import AREA_SAMPLES, GRID_CELL_M, coverage_records, run_coverage
    from ecomstat.indicators.coverage_checks import OUTSIDE_PCT
    from ecomstat.indicators.coverage_io import CELL_RANGE_M

    settings = state(ctx).settings
    default_range_m = _checked(
        ctx, default_range, "--default-range", "ECOMSTAT_COVERAGE_DEFAULT_RANGE_M", CELL_RANGE_M
    )
    max_range_m = _checked(
        ctx, max_range, "--max-range", "ECOMSTAT_COVERAGE_MAX_RANGE_M", CELL_RANGE_M
    )
    cell_size_m = _checked(ctx, None, None, "ECOMSTAT_COVERAGE_GRID_CELL_M", GRID_CELL_M)
    samples = int(_checked(ctx, None, None, "ECOMSTAT_COVERAGE_AREA_SAMPLES", AREA_SAMPLES))
    max_outside = _checked(ctx, None, None, "ECOMSTAT_COVERAGE_MAX_OUTSIDE_PCT", OUTSIDE_PCT)
    with err_console.status("computing mobile coverage"):
        result = run_coverage(
            cells,
            population,
            areas,
            technology=technology,
            method=method.value,
            population_column=population_column
            or str(settings["ECOMSTAT_COVERAGE_POPULATION_COLUMN"]),
            area_property=area_property,
            default_range_m=default_range_m,
            max_range_m=max_range_m,
            cdma_level=str(settings["ECOMSTAT_COVERAGE_CDMA_LEVEL"]),
            cell_size_m=cell_size_m,
            samples=samples,
            urban_rural=urban_rural,
            operators=operators.value if operators else None,
            max_outside_pct=max_outside,
        )
    records = coverage_records(result, _period(period)) if store else []
    if store:  # before printing: a store failure must not look like a finished run
        _store(ctx, records, "SDG 9.c.1")
    rows = [row.as_dict() for row in result.rows]
    if fmt is not OutputFormat.json:
        for row in rows:
            row["flags"] = ",".join(row["flags"])
    largest = result.provenance["operator_rule"] == "largest"
    columns = (
        _COVERAGE_COLUMNS[:1]
        + ["degurba"] * urban_rural
        + ["operator"] * largest
        + _COVERAGE_COLUMNS[1:]
    )
    emit_rows(columns, ([row.get(c) for c in columns] for row in rows), fmt)
    _coverage_notes(result.provenance)


def _coverage_notes(provenance: dict) -> None:
    """What the user must know about the inputs, on stderr (the rows carry it as flags)."""
    notes = []
    missing = provenance["cells_without_range"]
    if missing:
        used = provenance["default_range_m"]
        notes.append(f"note: {missing} cells had no range and used {used:g} m")
    outside = provenance["population_outside_extent_pct"]
    if outside is not None and outside > provenance["max_outside_pct"]:
        west, south, east, north = provenance["cell_extent"]
        notes.append(
            f"warning: {outside:.1f}% of the population lives outside the cell file's extent "
            f"(lon {west:g} to {east:g}, lat {south:g} to {north:g}; threshold "
            f"{provenance['max_outside_pct']:g}%, ECOMSTAT_COVERAGE_MAX_OUTSIDE_PCT): its "
            "coverage rests on the longest ranges alone; rows flagged outside-cell-extent"
        )
    if provenance["grid_suppressed"]:
        notes.append(
            f"note: {provenance['grid_suppressed']:,} grid cells are marked suppressed "
            "(negative population): their inhabitants are unknown and not in the totals "
            "(column suppressed_cells)"
        )
    if provenance["operator_rule"] != "single":
        notes.append(
            f"note: {len(provenance['operators'])} operators; rule "
            f"{provenance['operator_rule']} (largest: ITU's, the operator covering most people; "
            "any: covered by at least one)"
        )
    for note in notes:
        err_console.print(note, highlight=False, soft_wrap=True)  # one line each


@app.command("internet-use")
def internet_use(
    ctx: typer.Context,
    usage: Annotated[
        Path,
        typer.Option("--usage", help="SIM counts per home area: area,active_sims,data_sims[,...]."),
    ],
    population: Annotated[
        Path, typer.Option("--population", help="In-scope population: area,population.")
    ],
    min_count: Annotated[
        Optional[int],
        typer.Option(
            "--min-count", help="Suppress SIM counts below N [ECOMSTAT_INTERNET_USE_MIN_COUNT]."
        ),
    ] = None,
    market_share: Annotated[
        Optional[float],
        typer.Option(
            "--market-share", help="Operator's share of active SIMs (0-1) where the file has none."
        ),
    ] = None,
    market_share_se: Annotated[
        float,
        typer.Option("--market-share-se", help="Its standard error where the file has none."),
    ] = 0.0,
    sims_per_person: Annotated[
        Optional[float],
        typer.Option(
            "--sims-per-person",
            help="Multi-SIM factor: active SIMs per unique user (survey or operator), where the "
            "file has none; required one way or the other.",
        ),
    ] = None,
    sims_per_person_se: Annotated[
        float,
        typer.Option("--sims-per-person-se", help="Its standard error where the file has none."),
    ] = 0.0,
    age_scope: Annotated[
        Optional[str],
        typer.Option(
            "--age-scope",
            help="Ages the population covers, e.g. 15+ or 10+ (needed when --population has an "
            "age column; its groups in scope are summed).",
        ),
    ] = None,
    three_g_plus_only: Annotated[
        bool,
        typer.Option("--3g-plus-only", help="Count only SIMs with data sessions on 3G or better."),
    ] = False,
    store: StoreOption = False,
    period: PeriodOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """SDG 17.8.1: share of individuals using the Internet per home area, from SIM counts.

    With --store the values are written as indicator SDG_17_8_1.
    """
    from ecomstat.indicators.internet_use import MIN_COUNT, internet_use_records, run_internet_use
    from ecomstat.indicators.internet_use_interval import REPLICATES, SEED

    result = run_internet_use(
        usage,
        population,
        min_count=int(
            _checked(ctx, min_count, "--min-count", "ECOMSTAT_INTERNET_USE_MIN_COUNT", MIN_COUNT)
        ),
        market_share=market_share,
        sims_per_person=sims_per_person,
        market_share_se=market_share_se,
        sims_per_person_se=sims_per_person_se,
        three_g_plus_only=three_g_plus_only,
        age_scope=age_scope,
        replicates=int(_checked(ctx, None, None, "ECOMSTAT_INTERNET_USE_REPLICATES", REPLICATES)),
        seed=int(_checked(ctx, None, None, "ECOMSTAT_INTERNET_USE_SEED", SEED)),
    )
    if store:
        _store(ctx, internet_use_records(result, _period(period)), "SDG 17.8.1")
    rows = [row.as_dict() for row in result.rows]
    if fmt is not OutputFormat.json:
        for row in rows:
            row["flags"] = ",".join(row["flags"])
    emit_rows(_USE_COLUMNS, ([row[c] for c in _USE_COLUMNS] for row in rows), fmt)
    over = [row.area for row in result.rows if "over-100" in row.flags and row.area != "total"]
    if over:
        err_console.print(
            f"note: {len(over)} area(s) have more estimated users than inhabitants (flag "
            f"over-100: {', '.join(over[:5])}{' ...' if len(over) > 5 else ''}): published as "
            "100%; the total uses their uncapped users",
            highlight=False,
            soft_wrap=True,
        )
