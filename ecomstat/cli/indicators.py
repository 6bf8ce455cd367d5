"""`ecomstat indicators ...`: e-commerce adoption (`build`, `show`, `compare`), and the
mobile-data indicators SDG 9.c.1 (`coverage`) and SDG 17.8.1 (`internet-use`)."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, err_console, state
from ecomstat.indicators.methods import Method
from ecomstat.numbers import Bounds

app = typer.Typer(help="Build and show indicators.", no_args_is_help=True)

# NumPy, SciPy, SQLAlchemy and the estimators are imported inside the commands: `ecomstat`
# starts faster.


@app.command("build")
def build(
    ctx: typer.Context,
    method: Annotated[Method, typer.Option(help="naive | corrected (Rogan-Gladen) | calibrated.")] = Method.naive,
    period: Annotated[Optional[str], typer.Option(help="Reference period (default: this year).")] = None,
    wave: Annotated[Optional[str], typer.Option("--wave", help="Build from this wave's record (the wave is the period); see docs/waves.md.")] = None,
    audit: Annotated[Optional[str], typer.Option("--audit", help="Audit set (default: latest imported).")] = None,
    replicates: Annotated[Optional[int], typer.Option(help="Bootstrap replicates [ECOMSTAT_BOOTSTRAP_REPLICATES].")] = None,
    random_state: Annotated[Optional[int], typer.Option("--random-state", help="Seed [ECOMSTAT_RANDOM_STATE].")] = None,
    totals: Annotated[Optional[Path], typer.Option(help="Register totals CSV size_class,nace_section,enterprises (calibrated).")] = None,
    min_employees: Annotated[int, typer.Option("--min-employees", help="Scope: persons employed at least.")] = 10,
    nace_scope: Annotated[str, typer.Option("--nace-scope", help="eurostat (C-N excl. K and 75, plus 95.1) | all.")] = "eurostat",
    breakdown: Annotated[Optional[list[str]], typer.Option("--breakdown", help="Cross-tabulation to add, e.g. nace_section,size_class (repeatable).")] = None,
    nonresponse: Annotated[str, typer.Option("--nonresponse", help="Sites not crawled/unreachable: reweight (nonresponse within size x NACE) | negative (count as no).")] = "reweight",
    error_rates: Annotated[str, typer.Option("--error-rates", help="auto (by size class when the audit supports it) | pooled | groups | shrink (size classes' rates shrunk towards the pooled ones, empirical Bayes; docs/methodology/adoption.md).")] = "auto",
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Estimate the e-commerce adoption indicators (all breakdowns) and store them."""
    from ecomstat.indicators.adoption import RANDOM_STATE, REPLICATES, BuildOptions, build_adoption
    from ecomstat.indicators.errors import InvalidIndicatorInput
    from ecomstat.indicators.tables import RECORD_COLUMNS, record_row
    from ecomstat.indicators.units import Scope

    st = state(ctx)
    settings = st.settings
    # An option or its setting: checked here so that a refusal names the one the user gave.
    if replicates is None:
        replicates = REPLICATES.check(settings.getint("ECOMSTAT_BOOTSTRAP_REPLICATES"),
                                      "ECOMSTAT_BOOTSTRAP_REPLICATES", InvalidIndicatorInput)
    if random_state is None:
        random_state = RANDOM_STATE.check(settings.getint("ECOMSTAT_RANDOM_STATE"),
                                          "ECOMSTAT_RANDOM_STATE", InvalidIndicatorInput)
    options = BuildOptions(
        method=method,
        audit_set=audit,
        replicates=replicates,
        random_state=random_state,
        scope=Scope(min_employees=min_employees, nace=nace_scope),
        totals=totals,
        min_n=settings.getint("ECOMSTAT_MIN_CELL_N"),
        max_cv=settings.getfloat("ECOMSTAT_MAX_CELL_CV"),
        breakdowns=[tuple(b.split(",")) for b in breakdown or []],
        nonresponse=nonresponse,
        error_rates=error_rates,
        wave=wave,
    )
    if wave is not None and period is not None and period.strip() != wave.strip():
        raise InvalidIndicatorInput(f"--wave {wave} is the period: drop --period {period}")
    if period is not None:
        options.period = period
    with err_console.status("estimating indicators"):
        result = build_adoption(st.engine(), options)
    totals_only = [r for r in result.records if not r.breakdown]
    emit_rows(RECORD_COLUMNS, (record_row(r, rounded=fmt is OutputFormat.table) for r in totals_only), fmt)
    err_console.print(
        f"wrote {len(result.records)} indicator values for {result.units} enterprises in scope "
        f"(method {options.method.value}, period {options.wave or options.period}); see `ecomstat indicators show`",
        highlight=False,
    )
    if any(r.provenance.get("interval", "").startswith("sampling") for r in totals_only):
        err_console.print("note: ci_low/ci_high of uncorrected values are sampling intervals; they "
                          "ignore classification errors (use --method corrected with an audit)",
                          highlight=False)


@app.command("show")
def show(
    ctx: typer.Context,
    indicator: Annotated[Optional[str], typer.Option("--indicator", help="Indicator code, e.g. ECOM_WEB_SALES.")] = None,
    period: Annotated[Optional[str], typer.Option(help="Only this period.")] = None,
    method: Annotated[Optional[str], typer.Option(help="Only this method.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Show stored indicator values (JSON lines include breakdown and provenance)."""
    from ecomstat.indicators.results import read_values
    from ecomstat.indicators.tables import RECORD_COLUMNS, record_row

    records = read_values(state(ctx).engine(), indicator=indicator, period=period, method=method)
    if not records:
        err_console.print("no indicator values match (build them with `ecomstat indicators build`)",
                          highlight=False)
    rounded = fmt is OutputFormat.table
    if fmt is OutputFormat.json:
        emit_rows(RECORD_COLUMNS + ["breakdown", "provenance"],
                  (record_row(r, rounded=rounded) + [r.breakdown, r.provenance] for r in records), fmt)
        return
    emit_rows(RECORD_COLUMNS, (record_row(r, rounded=rounded) for r in records), fmt)


@app.command("compare")
def compare(
    ctx: typer.Context,
    survey: Annotated[Path, typer.Option("--survey", help="CSV: indicator,breakdown,estimate[,se][,ci_low,ci_high][,period].")],
    period: Annotated[Optional[str], typer.Option(help="Only this period.")] = None,
    method: Annotated[Optional[str], typer.Option(help="Web values of this method (default: the best stored).")] = None,
    store: Annotated[bool, typer.Option("--store", help="Also write the survey cells and their comparison to the results database (method survey).")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Compare stored web-based values with survey estimates, cell by cell (z-test of the difference)."""
    from ecomstat.indicators.survey import compare_with_store, definition_notes
    from ecomstat.indicators.tables import COMPARE_COLUMNS, comparison_rows, comparison_summary

    comparisons = compare_with_store(state(ctx).engine(), survey, period=period, method=method,
                                     store=store)
    digits = 2 if fmt is OutputFormat.table else 6
    emit_rows(COMPARE_COLUMNS, comparison_rows(comparisons, digits), fmt)
    err_console.print(comparison_summary(comparisons), highlight=False)
    for note in definition_notes(c.indicator for c in comparisons):
        err_console.print(f"note: {note}", highlight=False)
    if store:
        err_console.print(f"stored {len(comparisons)} survey values (method survey); see "
                          "`ecomstat indicators show --method survey`", highlight=False)


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
    from ecomstat.indicators.tables import coverage_notes, coverage_table

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
    columns, rows = coverage_table(result, urban_rural=urban_rural,
                                   join_flags=fmt is not OutputFormat.json)
    emit_rows(columns, rows, fmt)
    for note in coverage_notes(result.provenance):
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
    from ecomstat.indicators.tables import USE_COLUMNS, internet_use_rows, over_100_note

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
    emit_rows(USE_COLUMNS, internet_use_rows(result, join_flags=fmt is not OutputFormat.json), fmt)
    note = over_100_note(result)
    if note:
        err_console.print(note, highlight=False, soft_wrap=True)
