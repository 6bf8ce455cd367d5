"""`ecomstat report --out DIR`: a self-contained HTML report whose charts render in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.adoption import BuildOptions, build_adoption
from ecomstat.indicators.adoption_synthetic import synthetic_store
from ecomstat.indicators.results import IndicatorRecord, write_values
from ecomstat.store.engine import transaction
from ecomstat.store.models import Model

runner = CliRunner()


def _fill(engine: Engine) -> None:
    synthetic_store(engine, 600, random_state=5)
    build_adoption(engine, BuildOptions(period="2025", replicates=50))
    write_values(engine, [
        IndicatorRecord("SDG_9_c_1", "2025", {"area": area, "level": level}, "centroid", value - shift,
                        n=5000, provenance={"cells": "cells.csv", "cells_sha256": "ab12"})
        for area, shift in (("total", 0.0), ("Altstadt", 2.0))
        for level, value in (("2G", 99.0), ("3G", 97.0), ("4G", 95.0), ("5G", 40.0))
    ])


def _report(engine: Engine, out: Path, *extra: str) -> str:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, "report", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return (out / "index.html").read_text(encoding="utf-8")


def test_report_has_every_section_with_provenance(engine: Engine, tmp_path: Path) -> None:
    _fill(engine)
    with transaction(engine) as session:  # metrics grouped by variant: one row per variant
        session.add(Model(name="ecommerce", version="3.1", kind="ecommerce", metrics={
            "evaluation": "5-fold by site", "combined": {"precision": 0.98, "f1": 0.95},
            "keyword_rule": {"precision": 0.93, "f1": 0.78}}))
    html = _report(engine, tmp_path / "report")
    for anchor in ("adoption-size_class", "adoption-nace_section", "coverage-technology",
                   "classifier-quality", "crawl-outcomes", "provenance-adoption"):
        assert f'id="{anchor}"' in html
    assert len(re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', html)) == 5
    assert "http://" not in html and "https://" not in html.replace("https://www.firm", "")  # self-contained
    assert "ecommerce-synthetic" in html and "AND method = &#39;naive&#39;" in html
    assert "Altstadt" in html
    assert "keyword_rule" in html and "0.780" in html and "5-fold by site" in html


def test_report_on_an_empty_store_and_bad_options(sqlite_engine: Engine, tmp_path: Path) -> None:
    html = _report(sqlite_engine, tmp_path / "empty")
    assert "No e-commerce adoption values" in html and "<img" not in html
    _fill(sqlite_engine)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, "report", "--out", str(tmp_path / "x"), "--period", "1999"])
    assert result.exit_code == 2 and "no adoption values" in result.output
    assert not (tmp_path / "x").exists()
    # an --out that cannot be created: one line, exit 2, no traceback
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(app, ["--db", url, "report", "--out", str(blocker / "sub")])
    assert result.exit_code == 2 and "cannot write the report" in result.output, result.output


@pytest.mark.chromium
def test_charts_render_in_headless_chromium(sqlite_engine: Engine, tmp_path: Path, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    _fill(sqlite_engine)
    _report(sqlite_engine, tmp_path / "report")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page()
            page.goto((tmp_path / "report" / "index.html").as_uri())
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({complete: e.complete, width: e.naturalWidth, alt: e.alt}))"
            )
            captions = page.eval_on_selector_all("figcaption a", "els => els.map(e => e.getAttribute('href'))")
        finally:
            browser.close()
    assert len(images) == 5
    assert all(image["complete"] and image["width"] > 0 for image in images), images
    assert all(href.startswith("#") for href in captions) and len(captions) == 5


def test_coverage_chart_uses_one_method_when_both_are_stored(sqlite_engine: Engine, tmp_path: Path) -> None:
    write_values(sqlite_engine, [
        IndicatorRecord("SDG_9_c_1", "2025", {"area": "total", "level": level}, method, value,
                        n=10, provenance={})
        for method, value in (("area", 50.0), ("centroid", 90.0))
        for level in ("2G", "4G")
    ])
    html = _report(sqlite_engine, tmp_path / "report")
    assert "SDG 9.c.1), 2025, method centroid" in html
    assert "AND method = &#39;centroid&#39;" in html


def test_report_compares_with_a_survey(sqlite_engine: Engine, tmp_path: Path) -> None:
    _fill(sqlite_engine)
    from ecomstat.indicators.results import read_values

    (web,) = [r for r in read_values(sqlite_engine, indicator="ECOM_WEB_SALES", period="2025")
              if not r.breakdown]
    survey = tmp_path / "survey.csv"
    survey.write_text("indicator,breakdown,estimate,se,period\n"
                      f"ECOM_WEB_SALES,total,{web.estimate + 40!r},0.5,2025\n"
                      f"ECOM_WEB_SALES,total,{web.estimate:.1f},0.5,2019\n")  # another period: left out
    html = _report(sqlite_engine, tmp_path / "report", "--survey", str(survey))
    section = html[html.index('id="survey"'):html.index('id="coverage"')]
    assert "survey.csv" in section and section.count("<tr>") == 2  # header + the 2025 row
    assert "differs" in section and f"{-40.0:.1f}" in section
    assert 'id="survey"' not in _report(sqlite_engine, tmp_path / "plain")
