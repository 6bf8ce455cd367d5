"""`ecomstat indicators build|show`: e-commerce adoption indicators and the results database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, err_console, state
from ecomstat.cli.indicators import app
from ecomstat.indicators.methods import Method

if TYPE_CHECKING:
    from ecomstat.indicators.results import IndicatorRecord

# NumPy, SQLAlchemy and the estimators are imported inside the commands: `ecomstat` starts faster.

_COLUMNS = ["indicator", "period", "breakdown_key", "method", "estimate", "se", "ci_low",
            "ci_high", "cv", "n", "flags"]


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _row(record: IndicatorRecord, fmt: OutputFormat) -> list:
    if fmt is OutputFormat.table:
        return [record.indicator, record.period, record.breakdown_key, record.method,
                _rounded(record.estimate), _rounded(record.se), _rounded(record.ci_low),
                _rounded(record.ci_high), _rounded(record.cv, 3), record.n, ",".join(record.flags)]
    return [record.indicator, record.period, record.breakdown_key, record.method, record.estimate,
            record.se, record.ci_low, record.ci_high, record.cv, record.n, record.flags]


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
    error_rates: Annotated[str, typer.Option("--error-rates", help="auto (by size class when the audit supports it) | pooled | groups.")] = "auto",
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Estimate the e-commerce adoption indicators (all breakdowns) and store them."""
    from ecomstat.indicators.adoption import RANDOM_STATE, REPLICATES, BuildOptions, build_adoption
    from ecomstat.indicators.errors import InvalidIndicatorInput
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
    emit_rows(_COLUMNS, (_row(r, fmt) for r in totals_only), fmt)
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

    records = read_values(state(ctx).engine(), indicator=indicator, period=period, method=method)
    if not records:
        err_console.print("no indicator values match (build them with `ecomstat indicators build`)",
                          highlight=False)
    if fmt is OutputFormat.json:
        emit_rows(_COLUMNS + ["breakdown", "provenance"],
                  (_row(r, fmt) + [r.breakdown, r.provenance] for r in records), fmt)
        return
    emit_rows(_COLUMNS, (_row(r, fmt) for r in records), fmt)


_COMPARE_COLUMNS = ["indicator", "breakdown_key", "period", "web", "web_se", "survey", "survey_se",
                    "difference", "z", "p_value", "verdict"]


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
    from ecomstat.indicators.survey import Verdict, compare_with_store, definition_notes

    comparisons = compare_with_store(state(ctx).engine(), survey, period=period, method=method,
                                     store=store)
    digits = 2 if fmt is OutputFormat.table else 6

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    emit_rows(_COMPARE_COLUMNS, ([c.indicator, c.breakdown_key, c.period, rounded(c.web_estimate),
                                 rounded(c.web_se), rounded(c.survey_estimate), rounded(c.survey_se),
                                 rounded(c.difference), rounded(c.z),
                                 None if c.p_value is None else round(c.p_value, 4), c.verdict.value]
                                for c in comparisons), fmt)
    differs = sum(c.verdict is Verdict.differs for c in comparisons)
    missing = sum(c.verdict is Verdict.no_web_value for c in comparisons)
    err_console.print(f"{len(comparisons)} cells compared: {differs} differ at the 5% level"
                      + (f", {missing} without a web value" if missing else ""), highlight=False)
    for note in definition_notes(c.indicator for c in comparisons):
        err_console.print(f"note: {note}", highlight=False)
    if store:
        err_console.print(f"stored {len(comparisons)} survey values (method survey); see "
                          "`ecomstat indicators show --method survey`", highlight=False)
