"""Compare web-based indicator values with survey estimates for the same cells.

An office that also runs the ICT-usage survey wants to know, cell by cell, whether the web-based
estimate agrees with the survey one. The survey file is a CSV with one row per cell:

    indicator,breakdown,estimate[,se][,ci_low,ci_high][,period]

`breakdown` uses the store's key form (`total`, `size_class=10-49`, `nace_section=C`, ...),
estimates are percentages. The survey's standard error is `se`, or, when only a 95% interval is
given, (ci_high - ci_low) / (2 x 1.96).

The test of a difference treats the two estimates as independent (they come from different
data: websites vs questionnaire answers) and normally distributed: z = (web - survey) /
sqrt(se_web^2 + se_survey^2), two-sided p-value from the normal distribution. This is the usual
check of Eurostat's ESS guidelines on comparing statistics from two sources; it says nothing
about which of the two is biased.

With `store=True` each survey cell is also written to the results database (`indicator_value`,
method ``survey``): the survey estimate, its se and 95% interval, the verdict as flag, and the
comparison (web method, web value, difference, z, p-value) with the file's name and SHA-256 in
the provenance. Web-based reads (this comparison, the report) never take ``survey`` rows.
"""

from __future__ import annotations

import csv
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from ecomstat.numbers import Bounds, where
from ecomstat.indicators.coverage_io import file_sha256
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.methods import PREFERENCE, SURVEY_METHOD
from ecomstat.indicators.results import IndicatorRecord, breakdown_key, read_values, write_values

Z95 = 1.959963984540054
REQUIRED = ("indicator", "breakdown", "estimate")
# Estimates, their standard errors and interval ends are percentages (points).
PERCENT = Bounds(0, 100, words="a percentage from 0 to 100")


# Web-based indicators that measure something other than the survey question of the same
# cell: the comparison says so wherever it appears (issue 16 item 6).
DEFINITION_NOTES = {
    "ECOM_WEB_SALES": (
        "ECOM_WEB_SALES is the share of enterprises whose website lets customers order at crawl "
        "time; Eurostat's 'enterprises with web sales' (isoc_ec_eseln2) counts enterprises that "
        "RECEIVED orders via a website or app in the previous calendar year. The two differ by "
        "definition (a shop that sold nothing, sales only through apps or marketplaces, the "
        "reference period): the z-test compares them as if they were one quantity, so a "
        "'differs' verdict may reflect the definitions, not an error of either source."),
}


def definition_notes(indicators: Iterable[str]) -> list[str]:
    """The definition notes of the indicators compared (each once)."""
    return [DEFINITION_NOTES[code] for code in sorted(set(indicators)) if code in DEFINITION_NOTES]


class Verdict(str, enum.Enum):
    consistent = "consistent"  # |z| < 1.96
    differs = "differs"  # the difference is significant at the 5% level
    untested = "untested"  # a standard error is missing on either side
    no_web_value = "no-web-value"  # the store has no value for this cell


@dataclass(frozen=True)
class SurveyValue:
    indicator: str
    breakdown_key: str
    estimate: float
    se: float | None
    period: str | None
    line: int
    ci_low: float | None = None  # the file's 95% interval, when it gives one
    ci_high: float | None = None


@dataclass(frozen=True)
class Comparison:
    indicator: str
    breakdown_key: str
    period: str | None
    web_estimate: float | None
    web_se: float | None
    survey_estimate: float
    survey_se: float | None
    difference: float | None  # web - survey, percentage points
    z: float | None
    p_value: float | None
    verdict: Verdict
    web_method: str | None = None


def read_survey(path: Path, period: str | None = None) -> list[SurveyValue]:
    """The survey estimates in `path` (with `period`: only that period's rows and undated ones);
    any bad row raises InvalidIndicatorInput naming its line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidIndicatorInput(
                    f"{path}: needs columns {','.join(REQUIRED)} (missing {','.join(missing)})"
                )
            values = [_survey_value(path, line, row) for line, row in enumerate(reader, start=2)]
    except OSError as exc:
        raise InvalidIndicatorInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InvalidIndicatorInput(f"{path}: not UTF-8 text") from None
    if not values:
        raise InvalidIndicatorInput(f"{path}: no survey estimates")
    _refuse_duplicates(path, values)
    if period is not None:
        values = [v for v in values if v.period in (None, period)]
    return values


def _survey_value(path: Path, line: int, row: dict[str, str | None]) -> SurveyValue:
    def number(column: str) -> float | None:
        text = (row.get(column) or "").strip()
        if not text:
            return None
        return PERCENT.read(text, where(path, line, column), InvalidIndicatorInput)

    indicator = (row.get("indicator") or "").strip()
    estimate = number("estimate")
    if not indicator or estimate is None:
        raise InvalidIndicatorInput(f"{path}, line {line}: indicator and estimate are required")
    se = number("se")
    low, high = number("ci_low"), number("ci_high")
    if se is None and low is not None and high is not None:
        if high < low:
            raise InvalidIndicatorInput(f"{path}, line {line}: ci_high is below ci_low")
        se = (high - low) / (2 * Z95)
    return SurveyValue(
        indicator=indicator,
        breakdown_key=_key(path, line, row.get("breakdown")),
        estimate=estimate,
        se=se,
        period=(row.get("period") or "").strip() or None,
        line=line,
        ci_low=low if low is not None and high is not None else None,
        ci_high=high if low is not None and high is not None else None,
    )


def _key(path: Path, line: int, text: str | None) -> str:
    """The canonical breakdown key, so `nace_section=C;size_class=10-49` in any order matches."""
    text = (text or "").strip()
    if not text or text == "total":
        return "total"
    parts = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InvalidIndicatorInput(
                f"{path}, line {line}: breakdown {text!r} is not 'total' or name=value[;...]"
            )
        parts[name.strip()] = value.strip()
    return breakdown_key(parts)


def _refuse_duplicates(path: Path, values: Sequence[SurveyValue]) -> None:
    seen: dict[tuple[str, str, str | None], int] = {}
    for value in values:
        cell = (value.indicator, value.breakdown_key, value.period)
        if cell in seen:
            raise InvalidIndicatorInput(
                f"{path}, line {value.line}: the same cell as line {seen[cell]}"
            )
        seen[cell] = value.line


def compare(
    web: Iterable[IndicatorRecord], survey: Sequence[SurveyValue]
) -> list[Comparison]:
    """One comparison per survey cell, in the survey file's order.

    A survey row without a period matches the web value of any period only when exactly one
    period is present for that cell; pass the web values of one period to avoid ambiguity."""
    by_cell: dict[tuple[str, str], list[IndicatorRecord]] = {}
    for record in web:
        by_cell.setdefault((record.indicator, record.breakdown_key), []).append(record)
    return [_compare_one(value, by_cell.get((value.indicator, value.breakdown_key), []))
            for value in survey]


def _compare_one(value: SurveyValue, candidates: list[IndicatorRecord]) -> Comparison:
    if value.period is not None:
        candidates = [r for r in candidates if r.period == value.period]
    periods = {r.period for r in candidates}
    if len(periods) > 1:
        raise InvalidIndicatorInput(
            f"survey line {value.line}: web values of several periods ({', '.join(sorted(periods))})"
            " match; give a period column or --period"
        )
    if len(candidates) > 1:
        methods = ", ".join(sorted(r.method for r in candidates))
        raise InvalidIndicatorInput(
            f"survey line {value.line}: web values of several methods ({methods}) match; use --method"
        )
    web = candidates[0] if candidates else None
    if web is None or web.estimate is None:  # none stored, or suppressed/failed (its period still counts)
        return Comparison(value.indicator, value.breakdown_key,
                          value.period if web is None else web.period, None, None,
                          value.estimate, value.se, None, None, None, Verdict.no_web_value)
    difference = web.estimate - value.estimate
    z = p_value = None
    verdict = Verdict.untested
    if web.se is not None and value.se is not None and (web.se > 0 or value.se > 0):
        z = difference / math.hypot(web.se, value.se)
        p_value = math.erfc(abs(z) / math.sqrt(2))
        verdict = Verdict.consistent if abs(z) < Z95 else Verdict.differs
    return Comparison(value.indicator, value.breakdown_key, web.period, web.estimate, web.se,
                      value.estimate, value.se, difference, z, p_value, verdict, web.method)


def best_method_only(records: Iterable[IndicatorRecord]) -> list[IndicatorRecord]:
    """Per cell and period, the value of the preferred method (calibrated > corrected > naive)."""
    def rank(record: IndicatorRecord) -> int:
        return PREFERENCE.index(record.method) if record.method in PREFERENCE else len(PREFERENCE)

    best: dict[tuple[str, str, str], IndicatorRecord] = {}
    for record in records:
        cell = (record.indicator, record.period, record.breakdown_key)
        if cell not in best or rank(record) < rank(best[cell]):
            best[cell] = record
    return list(best.values())


def compare_with_store(
    engine: Engine, survey_file: Path, *, period: str | None = None, method: str | None = None,
    store: bool = False,
) -> list[Comparison]:
    """Read `survey_file`, fetch the stored web values of its indicators, compare cell by cell.

    Without `method`, each cell uses the preferred method present in the store. With `store`,
    the survey cells and their comparisons are written as ``survey`` rows (all or nothing)."""
    if method == SURVEY_METHOD:
        raise InvalidIndicatorInput("--method survey would compare the survey with itself: "
                                    "give a web-based method (naive, corrected, calibrated)")
    survey = read_survey(survey_file, period)
    web = [r for r in read_values(engine, indicator=sorted({v.indicator for v in survey}),
                                  period=period, method=method) if r.method != SURVEY_METHOD]
    comparisons = compare(web if method else best_method_only(web), survey)
    if store:
        write_values(engine, survey_records(survey_file, survey, comparisons, period))
    return comparisons


def survey_records(survey_file: Path, survey: Sequence[SurveyValue],
                   comparisons: Sequence[Comparison], period: str | None = None
                   ) -> list[IndicatorRecord]:
    """The survey cells as `indicator_value` rows (method ``survey``), each with its comparison.

    A cell's period is the matched web value's, else the file's, else `period`; none is an error
    (nothing is written)."""
    source = {"source": "survey", "file": Path(survey_file).name,
              "file_sha256": file_sha256(survey_file)}
    records = []
    for value, comparison in zip(survey, comparisons, strict=True):
        cell_period = comparison.period or value.period or period
        if not cell_period:
            raise InvalidIndicatorInput(
                f"{survey_file}, line {value.line}: storing a survey value needs its period "
                "(a period column or --period)")
        se = value.se
        low, high = value.ci_low, value.ci_high
        if low is None and se is not None:
            low, high = max(0.0, value.estimate - Z95 * se), min(100.0, value.estimate + Z95 * se)
        records.append(IndicatorRecord(
            indicator=value.indicator, period=cell_period,
            breakdown=_breakdown(value.breakdown_key), method=SURVEY_METHOD,
            estimate=value.estimate, se=se, ci_low=low, ci_high=high,
            cv=se / value.estimate if se is not None and value.estimate > 0 else None,
            flags=[comparison.verdict.value],
            provenance={**source, "line": value.line, "unit": "percent (survey estimate)",
                        "comparison": {
                            "web_method": comparison.web_method,
                            "web_estimate": comparison.web_estimate, "web_se": comparison.web_se,
                            "difference_pp": comparison.difference, "z": comparison.z,
                            "p_value": comparison.p_value, "verdict": comparison.verdict.value,
                            "test": "z = (web - survey) / sqrt(se_web^2 + se_survey^2), "
                                    "independent sources, two-sided, 5% level",
                            "definitions": DEFINITION_NOTES.get(value.indicator)}},
        ))
    return records


def _breakdown(key: str) -> dict[str, str]:
    """The breakdown dict of a canonical key (`total` -> {})."""
    if key == "total":
        return {}
    return dict(part.split("=", 1) for part in key.split(";"))
