"""`ecomstat indicators compare --survey FILE`: web values against survey estimates, cell by cell."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.results import IndicatorRecord, write_values
from ecomstat.indicators.survey import Verdict, compare_with_store, read_survey

runner = CliRunner()
SURVEY = """indicator,breakdown,estimate,se,ci_low,ci_high
ECOM_WEB_SALES,total,24.0,1.5,,
ECOM_WEB_SALES,size_class=10-49,25.0,,20.0,30.0
ECOM_WEBSITE,total,70.0,,,
ECOM_MARKETPLACE,nace_section=C,5.0,0.5,,
"""


def _store(engine: Engine) -> None:
    def value(indicator: str, breakdown: dict, method: str, estimate: float, se: float | None,
              period: str = "2025") -> IndicatorRecord:
        return IndicatorRecord(indicator=indicator, period=period, breakdown=breakdown,
                               method=method, estimate=estimate, se=se, n=500)

    write_values(engine, [
        value("ECOM_WEB_SALES", {}, "naive", 40.0, 2.0),
        value("ECOM_WEB_SALES", {}, "corrected", 30.0, 2.0),  # preferred over naive
        value("ECOM_WEB_SALES", {"size_class": "10-49"}, "corrected", 22.0, 3.0),
        value("ECOM_WEBSITE", {}, "corrected", 75.0, 1.0),
    ])


def test_compare_cells_by_hand(engine: Engine, tmp_path: Path) -> None:
    _store(engine)
    survey = tmp_path / "survey.csv"
    survey.write_text(SURVEY)
    rows = {(c.indicator, c.breakdown_key): c for c in compare_with_store(engine, survey)}

    total = rows[("ECOM_WEB_SALES", "total")]
    assert total.web_estimate == 30.0  # the corrected value, not the naive one
    assert total.difference == pytest.approx(6.0)
    assert total.z == pytest.approx(6.0 / 2.5)  # sqrt(2^2 + 1.5^2) = 2.5
    assert total.p_value == pytest.approx(0.016395, abs=1e-5)
    assert total.verdict is Verdict.differs

    small = rows[("ECOM_WEB_SALES", "size_class=10-49")]
    survey_se = 10.0 / (2 * 1.959964)  # from the 95% interval
    assert small.survey_se == pytest.approx(survey_se, rel=1e-5)
    assert small.z == pytest.approx(-3.0 / math.hypot(3.0, survey_se), rel=1e-5)
    assert small.verdict is Verdict.consistent

    assert rows[("ECOM_WEBSITE", "total")].verdict is Verdict.untested  # survey without se
    assert rows[("ECOM_MARKETPLACE", "nace_section=C")].verdict is Verdict.no_web_value

    naive = {(c.indicator, c.breakdown_key): c
             for c in compare_with_store(engine, survey, method="naive")}
    assert naive[("ECOM_WEB_SALES", "total")].web_estimate == 40.0
    assert naive[("ECOM_WEB_SALES", "size_class=10-49")].verdict is Verdict.no_web_value


def test_cli_prints_json_lines_and_a_summary(engine: Engine, tmp_path: Path) -> None:
    _store(engine)
    survey = tmp_path / "survey.csv"
    survey.write_text(SURVEY)
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, "indicators", "compare", "--survey", str(survey),
                                 "--period", "2025", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r["verdict"] for r in rows] == ["differs", "consistent", "untested", "no-web-value"]
    assert rows[0]["period"] == "2025" and rows[0]["web"] == 30.0
    assert "4 cells compared: 1 differ" in result.stderr


def test_several_periods_need_a_period(engine: Engine, tmp_path: Path) -> None:
    _store(engine)
    write_values(engine, [IndicatorRecord(indicator="ECOM_WEB_SALES", period="2026", breakdown={},
                                          method="corrected", estimate=33.0, se=2.0)])
    survey = tmp_path / "survey.csv"
    survey.write_text("indicator,breakdown,estimate,se\nECOM_WEB_SALES,total,24,1.5\n")
    with pytest.raises(InvalidIndicatorInput, match="several periods"):
        compare_with_store(engine, survey)
    (only,) = compare_with_store(engine, survey, period="2026")
    assert only.web_estimate == 33.0
    survey.write_text("indicator,breakdown,estimate,se,period\nECOM_WEB_SALES,total,24,1.5,2026\n")
    (dated,) = compare_with_store(engine, survey)
    assert dated.web_estimate == 33.0 and dated.period == "2026"


@pytest.mark.parametrize("text,message", [
    ("indicator,estimate\nECOM_WEB_SALES,3\n", "needs columns indicator,breakdown,estimate"),
    ("indicator,breakdown,estimate\nECOM_WEB_SALES,total,abc\n", "line 2, column estimate: 'abc' is not"),
    ("indicator,breakdown,estimate\nECOM_WEB_SALES,total,130\n", "line 2, column estimate: '130' is not a percentage"),
    ("indicator,breakdown,estimate\nECOM_WEB_SALES,size_class,3\n", "line 2: breakdown 'size_class'"),
    ("indicator,breakdown,estimate,ci_low,ci_high\nECOM_WEB_SALES,total,3,5,1\n", "ci_high is below"),
    ("indicator,breakdown,estimate\nECOM_WEB_SALES,a=1;b=2,3\nECOM_WEB_SALES,b=2;a=1,4\n",
     "line 3: the same cell as line 2"),
    ("indicator,breakdown,estimate\n", "no survey estimates"),
])
def test_bad_survey_files(tmp_path: Path, text: str, message: str) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text(text)
    with pytest.raises(InvalidIndicatorInput, match=message):
        read_survey(survey)


def test_bad_survey_is_one_line_exit_2(tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_bytes(b"\xff\xfe\x00binary")
    (tmp_path / "store.db").touch()  # commands refuse a missing store
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = runner.invoke(app, ["--db", db, "indicators", "compare", "--survey", str(survey)])
    assert result.exit_code == 2
    assert "not UTF-8" in result.output and "Traceback" not in result.output


def test_store_writes_survey_cells_with_their_comparison(engine: Engine, tmp_path: Path) -> None:
    """`compare --store`: the survey cells go into the one indicator table (method survey), with
    the comparison in the provenance; re-running replaces them; they are never taken as web values."""
    from ecomstat.indicators.results import read_values

    _store(engine)
    survey = tmp_path / "survey.csv"
    survey.write_text(SURVEY)
    url = engine.url.render_as_string(hide_password=False)
    argv = ["--db", url, "indicators", "compare", "--survey", str(survey), "--period", "2025",
            "--store", "--format", "json"]
    for _ in range(2):
        result = runner.invoke(app, argv)
        assert result.exit_code == 0, result.output
        assert "stored 4 survey values" in result.stderr
    stored = {r.breakdown_key + ":" + r.indicator: r for r in read_values(engine, method="survey")}
    assert len(stored) == 4  # idempotent
    total = stored["total:ECOM_WEB_SALES"]
    assert total.period == "2025" and total.estimate == 24.0 and total.se == 1.5
    assert total.ci_low == pytest.approx(24.0 - 1.959964 * 1.5, rel=1e-6)
    assert total.flags == ["differs"]
    comparison = total.provenance["comparison"]
    assert comparison["web_method"] == "corrected" and comparison["web_estimate"] == 30.0
    assert comparison["z"] == pytest.approx(6.0 / 2.5) and comparison["verdict"] == "differs"
    assert total.provenance["file"] == "survey.csv" and len(total.provenance["file_sha256"]) == 64
    small = stored["size_class=10-49:ECOM_WEB_SALES"]
    assert small.breakdown == {"size_class": "10-49"} and (small.ci_low, small.ci_high) == (20.0, 30.0)
    assert stored["nace_section=C:ECOM_MARKETPLACE"].flags == ["no-web-value"]
    # The stored survey rows are not web values: the next comparison still uses `corrected`.
    again = {(c.indicator, c.breakdown_key): c for c in compare_with_store(engine, survey)}
    assert again[("ECOM_WEB_SALES", "total")].web_estimate == 30.0
    assert again[("ECOM_MARKETPLACE", "nace_section=C")].verdict is Verdict.no_web_value
    with pytest.raises(InvalidIndicatorInput, match="compare the survey with itself"):
        compare_with_store(engine, survey, method="survey")


def test_store_needs_a_period_and_writes_nothing_without(sqlite_engine: Engine, tmp_path: Path) -> None:
    from ecomstat.indicators.results import read_values

    survey = tmp_path / "survey.csv"
    survey.write_text("indicator,breakdown,estimate,se\nECOM_WEB_SALES,total,24,1.5\n")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, "indicators", "compare", "--survey", str(survey),
                                 "--store"])
    assert result.exit_code == 2 and "needs its period" in result.output
    assert "Traceback" not in result.output and not read_values(sqlite_engine)


def test_report_ignores_stored_survey_cells(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A survey stored for a later period than the web values must not become the report's
    adoption figures (the report takes the latest period and the best web method)."""
    from ecomstat.indicators.report import build_context

    _store(sqlite_engine)
    survey = tmp_path / "survey.csv"
    survey.write_text("indicator,breakdown,estimate,se,period\nECOM_WEB_SALES,total,24,1.5,2026\n")
    compare_with_store(sqlite_engine, survey, store=True)
    context = build_context(sqlite_engine)
    assert context["method"] == "corrected" and context["period"] == "2025"
