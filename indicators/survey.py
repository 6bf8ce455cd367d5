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
"""

from __future__ import annotations

import csv
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from indicators.errors import InvalidIndicatorInput
from indicators.methods import PREFERENCE
from indicators.results import IndicatorRecord, breakdown_key, read_values

Z95 = 1.959963984540054
REQUIRED = ("indicator", "breakdown", "estimate")


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
        try:
            value = float(text)
        except ValueError:
            raise InvalidIndicatorInput(
                f"{path}, line {line}: {column} {text!r} is not a number"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise InvalidIndicatorInput(f"{path}, line {line}: {column} must be a number >= 0")
        return value

    indicator = (row.get("indicator") or "").strip()
    estimate = number("estimate")
    if not indicator or estimate is None:
        raise InvalidIndicatorInput(f"{path}, line {line}: indicator and estimate are required")
    if estimate > 100:
        raise InvalidIndicatorInput(f"{path}, line {line}: estimate is a percentage (0-100)")
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
    if web is None or web.estimate is None:
        return Comparison(value.indicator, value.breakdown_key, value.period, None, None,
                          value.estimate, value.se, None, None, None, Verdict.no_web_value)
    difference = web.estimate - value.estimate
    z = p_value = None
    verdict = Verdict.untested
    if web.se is not None and value.se is not None and (web.se > 0 or value.se > 0):
        z = difference / math.hypot(web.se, value.se)
        p_value = math.erfc(abs(z) / math.sqrt(2))
        verdict = Verdict.consistent if abs(z) < Z95 else Verdict.differs
    return Comparison(value.indicator, value.breakdown_key, web.period, web.estimate, web.se,
                      value.estimate, value.se, difference, z, p_value, verdict)


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
    engine: Engine, survey_file: Path, *, period: str | None = None, method: str | None = None
) -> list[Comparison]:
    """Read `survey_file`, fetch the stored web values of its indicators, compare cell by cell.

    Without `method`, each cell uses the preferred method present in the store."""
    survey = read_survey(survey_file, period)
    web = read_values(engine, indicator=sorted({v.indicator for v in survey}), period=period,
                      method=method)
    return compare(web if method else best_method_only(web), survey)
