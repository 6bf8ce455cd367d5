"""Indicator results as tables: the columns and rows `ecomstat indicators ...` prints, and the
notes it adds on stderr about the inputs.

Rows are plain lists (one per value or area); `rounded`/`digits` is for reading on screen
(the table format), while CSV and JSON keep the exact values. Nothing here imports NumPy or
SQLAlchemy: the command line imports it while it starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecomstat.indicators.coverage import CoverageResult
    from ecomstat.indicators.internet_use import InternetUseResult
    from ecomstat.indicators.results import IndicatorRecord
    from ecomstat.indicators.survey import Comparison

RECORD_COLUMNS = ["indicator", "period", "breakdown_key", "method", "estimate", "se", "ci_low",
                  "ci_high", "cv", "n", "flags"]
COMPARE_COLUMNS = ["indicator", "breakdown_key", "period", "web", "web_se", "survey", "survey_se",
                   "difference", "z", "p_value", "verdict"]
COVERAGE_COLUMNS = [
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
USE_COLUMNS = [
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


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def record_row(record: IndicatorRecord, *, rounded: bool) -> list:
    """One stored value in RECORD_COLUMNS' order; `rounded`: figures rounded and flags joined."""
    if rounded:
        return [record.indicator, record.period, record.breakdown_key, record.method,
                _rounded(record.estimate), _rounded(record.se), _rounded(record.ci_low),
                _rounded(record.ci_high), _rounded(record.cv, 3), record.n, ",".join(record.flags)]
    return [record.indicator, record.period, record.breakdown_key, record.method, record.estimate,
            record.se, record.ci_low, record.ci_high, record.cv, record.n, record.flags]


def comparison_rows(comparisons: Iterable[Comparison], digits: int) -> Iterable[list]:
    """The survey comparisons in COMPARE_COLUMNS' order, figures to `digits` decimals (p-values
    to 4)."""
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    return ([c.indicator, c.breakdown_key, c.period, rounded(c.web_estimate),
             rounded(c.web_se), rounded(c.survey_estimate), rounded(c.survey_se),
             rounded(c.difference), rounded(c.z),
             None if c.p_value is None else round(c.p_value, 4), c.verdict.value]
            for c in comparisons)


def comparison_summary(comparisons: Sequence[Comparison]) -> str:
    """`12 cells compared: 2 differ at the 5% level, 1 without a web value`."""
    from ecomstat.indicators.survey import Verdict

    differs = sum(c.verdict is Verdict.differs for c in comparisons)
    missing = sum(c.verdict is Verdict.no_web_value for c in comparisons)
    return (f"{len(comparisons)} cells compared: {differs} differ at the 5% level"
            + (f", {missing} without a web value" if missing else ""))


def _area_dicts(rows: Iterable[Any], join_flags: bool) -> list[dict[str, Any]]:
    found = [row.as_dict() for row in rows]
    if join_flags:
        for row in found:
            row["flags"] = ",".join(row["flags"])
    return found


def coverage_table(result: CoverageResult, *, urban_rural: bool,
                   join_flags: bool) -> tuple[list[str], list[list]]:
    """SDG 9.c.1 columns (with `degurba` when split urban/rural, `operator` under the largest-
    operator rule) and one row per area and level."""
    rows = _area_dicts(result.rows, join_flags)
    largest = result.provenance["operator_rule"] == "largest"
    columns = (
        COVERAGE_COLUMNS[:1]
        + ["degurba"] * urban_rural
        + ["operator"] * largest
        + COVERAGE_COLUMNS[1:]
    )
    return columns, [[row.get(c) for c in columns] for row in rows]


def coverage_notes(provenance: dict) -> list[str]:
    """What the user must know about the coverage inputs, one line each (the rows carry it as
    flags)."""
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
    return notes


def internet_use_rows(result: InternetUseResult, *, join_flags: bool) -> list[list]:
    """SDG 17.8.1: one row per area in USE_COLUMNS' order."""
    rows = _area_dicts(result.rows, join_flags)
    return [[row[c] for c in USE_COLUMNS] for row in rows]


def over_100_note(result: InternetUseResult) -> str | None:
    """The note on areas with more estimated users than inhabitants, or None when there are
    none."""
    over = [row.area for row in result.rows if "over-100" in row.flags and row.area != "total"]
    if not over:
        return None
    return (f"note: {len(over)} area(s) have more estimated users than inhabitants (flag "
            f"over-100: {', '.join(over[:5])}{' ...' if len(over) > 5 else ''}): published as "
            "100%; the total uses their uncapped users")
