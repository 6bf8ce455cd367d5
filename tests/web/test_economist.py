"""The economists' pages (issue 18 item 3): indicators by breakdown with intervals and charts,
downloads (CSV, XLSX, Parquet) checked against the store, the SQL console through the read-only
door, the 9.c.1 grid map, 17.8.1, changes, model cards.

Route tests sign in for real (web users in the store, the login form, CSRF) over a starlette
TestClient on both databases; the browser test drives the system Chromium against the demo.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from web_kit import csrf_of, http_login

from ecomstat.indicators.results import IndicatorRecord, read_values, write_values
from ecomstat.settings import Settings
from ecomstat.store import transaction
from ecomstat.store.models import IndicatorChange, IndicatorValue, WaveChange
from ecomstat.web.app import create_app
from ecomstat.web.users import add_user

PASSWORD = "economist-test-password"
FORMULA = "=cmd|' /C calc'!A0"
FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
SIZES = ("10-49", "50-249", "250+")
SECTIONS = ("C", "G", "J")


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def client_for(engine: Engine) -> Iterator[Any]:
    """`client_for(**settings)`: a signed-in economist's TestClient over `engine`."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        config = Settings({"ECOMSTAT_DATABASE_URL": _url(engine), **settings})
        add_user(engine, f"eco{len(clients)}", "economist", PASSWORD, config)
        client = TestClient(create_app(config, engine))
        clients.append(client)
        answer = http_login(client, "http://testserver", f"eco{len(clients) - 1}", PASSWORD)
        assert answer.status_code in (302, 303), answer.text[:500]
        return client

    yield make
    for client in clients:
        client.close()


def _cross_tab(engine: Engine, period: str = "2026Q3") -> list[IndicatorRecord]:
    records = [IndicatorRecord("ECOM_WEB_SALES", period, {}, "naive", 31.5, 3.1, 25.4, 37.6,
                               0.098, 400)]
    for i, section in enumerate(SECTIONS):
        for j, size in enumerate(SIZES):
            estimate = 10.0 + 7 * i + 3 * j
            records.append(IndicatorRecord(
                "ECOM_WEB_SALES", period, {"nace_section": section, "size_class": size}, "naive",
                estimate, 2.5, estimate - 4.9, estimate + 4.9, 2.5 / estimate, 20 + i + j,
                ["high-cv"] if (i, j) == (2, 2) else []))
    write_values(engine, records)
    return records


def _page(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[:1000]
    return answer.text


def test_indicators_by_nace_and_size_show_intervals_cv_flags_and_chart_data(
        engine: Engine, client_for: Any) -> None:
    _cross_tab(engine)
    html = _page(client_for(), "/economist/indicators?indicator=ECOM_WEB_SALES&period=2026Q3"
                               "&method=naive&breakdown=nace_section,size_class")
    assert html.count("<h1>") == 1 and "<title>Indicators" in html
    crosstab = html.split('id="crosstab"')[1].split("</table>")[0]
    # G x 50-249: 10 + 7 + 3 = 20.0 with its interval 15.1 to 24.9
    assert re.search(r"20\.0</span> <span class=\"ci\">\[15\.1–24\.9\]", crosstab)
    long_table = html.split('id="data-table"')[1].split("</table>")[0]
    assert long_table.count("<tr>") == 1 + 9  # header + one row per cell
    assert "high-cv" in long_table and "0.125" in long_table  # CV 2.5 / 20
    chart = re.search(r'<script type="application/json" id="indicator-chart-data">(.*?)</script>',
                      html, re.S)
    assert chart is not None and 'src="/static/vendor/chart.umd.min.js"' in html
    import json

    payload = json.loads(chart.group(1))
    assert payload["labels"] == list(SECTIONS)
    assert [s["name"] for s in payload["series"]] == list(SIZES)  # 10-49 < 50-249 < 250+
    assert payload["series"][1]["points"][1] == {"y": 20.0, "low": 15.1, "high": 24.9,
                                                 "cv": 0.125, "n": 22, "flags": ""}
    assert "<script>" not in html  # no inline script: the CSP allows none


def test_downloads_hold_the_store_values_in_csv_xlsx_and_parquet(engine: Engine,
                                                                 client_for: Any) -> None:
    _cross_tab(engine)
    client = client_for()
    query = "indicator=ECOM_WEB_SALES&period=2026Q3&method=naive&breakdown=nace_section,size_class"
    stored = {(r.breakdown["nace_section"], r.breakdown["size_class"]): r
              for r in read_values(engine, indicator="ECOM_WEB_SALES") if r.breakdown}
    answer = client.get(f"/economist/download/indicators.csv?{query}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == len(stored) == 9
    for row in rows:
        record = stored[(row["nace_section"], row["size_class"])]
        assert float(row["estimate"]) == pytest.approx(record.estimate)
        assert float(row["ci_low"]) == pytest.approx(record.ci_low)
        assert float(row["ci_high"]) == pytest.approx(record.ci_high)
        assert int(row["n"]) == record.n and row["flags"] == ",".join(record.flags)
    xlsx = client.get(f"/economist/download/indicators.xlsx?{query}")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(rows[0].keys())
    assert sorted(float(v[values[0].index("estimate")]) for v in values[1:]) == \
        sorted(r.estimate for r in stored.values())
    parquet = client.get(f"/economist/download/indicators.parquet?{query}")
    table = pq.read_table(io.BytesIO(parquet.content)).to_pylist()
    assert {(t["nace_section"], t["size_class"]): t["ci_high"] for t in table} == \
        {key: record.ci_high for key, record in stored.items()}


@pytest.mark.parametrize("statement", [
    "DELETE FROM indicator_value",
    "COPY indicator_value TO PROGRAM 'touch /tmp/ecomstat-web-pwned'",
    "SELECT 1; DELETE FROM indicator_value",
])
def test_sql_console_refuses_writes_in_one_line_and_runs_nothing(
        engine: Engine, client_for: Any, statement: str) -> None:
    _cross_tab(engine)
    client = client_for()
    token = csrf_of(_page(client, "/economist/sql"))
    answer = client.post("/economist/sql", data={"sql": statement, "csrf_token": token})
    assert answer.status_code == 400
    error = re.search(r'<p class="error" role="alert" id="sql-error">(.*?)</p>', answer.text, re.S)
    assert error is not None and "\n" not in error.group(1).strip()
    assert error.group(1).startswith("ecomstat query")  # the door's own words
    assert "Traceback" not in answer.text
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(IndicatorValue)) == 10
    assert not Path("/tmp/ecomstat-web-pwned").exists()


def test_sql_console_stops_a_runaway_query_at_the_time_limit(engine: Engine,
                                                            client_for: Any) -> None:
    client = client_for(ECOMSTAT_QUERY_TIMEOUT="1")
    token = csrf_of(_page(client, "/economist/sql"))
    answer = client.post("/economist/sql", data={"sql": FOREVER, "csrf_token": token})
    assert answer.status_code == 400
    assert "query stopped after 1 s (ECOMSTAT_QUERY_TIMEOUT)" in answer.text


def test_sql_console_shows_n_rows_and_downloads_all_with_formulas_guarded(
        engine: Engine, client_for: Any) -> None:
    _cross_tab(engine)
    client = client_for(ECOMSTAT_WEB_SQL_ROWS="4")
    token = csrf_of(_page(client, "/economist/sql"))
    sql = (f"SELECT breakdown_key, estimate, '{FORMULA.replace(chr(39), chr(39) * 2)}' AS note "
           "FROM v_indicator ORDER BY breakdown_key")
    html = client.post("/economist/sql", data={"sql": sql, "csrf_token": token}).text
    result = html.split('id="sql-result"')[1].split("</table>")[0]
    assert result.count("<tr>") == 1 + 4 and "The first 4 rows are shown" in html
    link = re.search(r'href="(/economist/sql/download\.csv\?[^"]+)"', html)
    assert link is not None  # the page's own link downloads the whole result
    whole = client.get(link.group(1).replace("&amp;", "&"))
    assert whole.status_code == 200, whole.text[:500]
    rows = list(csv.reader(io.StringIO(whole.text)))
    assert len(rows) == 1 + 10
    assert {row[2] for row in rows[1:]} == {"'" + FORMULA}
    xlsx = client.get("/economist/sql/download.xlsx", params={"sql": sql})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == 10
    assert all(c.value == "'" + FORMULA and c.data_type == "s" for c in cells)
    parquet = client.get("/economist/sql/download.parquet", params={"sql": sql})
    assert pq.read_table(io.BytesIO(parquet.content)).column("note").to_pylist() == [FORMULA] * 10


def test_sql_console_lists_the_documented_views(engine: Engine, client_for: Any) -> None:
    html = _page(client_for(), "/economist/sql")
    for view in ("v_enterprise_web", "v_indicator", "v_crawl_outcome", "v_enterprise_wave"):
        assert f"<code>{view}</code> — " in html
    assert "one row per indicator value" in html and "<code>breakdown_key</code>" in html
    assert '<label for="sql">' in html


def _changes(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(IndicatorChange(
            indicator="ECOM_WEB_SALES", from_wave="2026Q3", to_wave="2026Q4",
            breakdown_key="total", estimate_from=30.0, estimate_to=34.0, difference=4.0,
            se=1.5, ci_low=1.06, ci_high=6.94, n=50, gained=3, lost=1,
            method="paired-linearised", provenance={}))
        session.add(IndicatorChange(
            indicator="ECOM_WEB_SALES", from_wave="2026Q3", to_wave="2026Q4",
            breakdown_key="size_class=10-49", estimate_from=20.0, estimate_to=22.0,
            difference=2.0, se=1.0, ci_low=0.04, ci_high=3.96, n=30, gained=1, lost=0,
            method="paired-linearised", provenance={}))


def test_changes_between_waves_and_a_formula_in_a_web_value_downloads_guarded(
        engine: Engine, client_for: Any) -> None:
    from ecomstat.store.models import Enterprise, RegisterSnapshot

    _changes(engine)
    with transaction(engine) as session:
        snapshot = RegisterSnapshot(label="s", rows=1)
        session.add(snapshot)
        session.flush()
        session.add(Enterprise(id="E1", name="Shop", country="DE", nace="47.91",
                               nace_section="G", employees=12, size_class="10-49",
                               snapshot_id=snapshot.id))
        session.flush()
        session.add(WaveChange(from_wave="2026Q3", to_wave="2026Q4", enterprise_id="E1",
                               task="web_sales", change="gained-web-sales", before="no",
                               after="yes", after_evidence=FORMULA))
    client = client_for()
    html = _page(client, "/economist/changes")
    assert "2026Q3 → 2026Q4" in html and "gained-web-sales" in html
    assert "6.94" in html and 'id="change-chart-data"' in html
    answer = client.get("/economist/download/enterprise-changes.csv?from=2026Q3&to=2026Q4")
    row = next(csv.DictReader(io.StringIO(answer.text)))
    assert row["after_evidence"] == "'" + FORMULA
    xlsx = client.get("/economist/download/enterprise-changes.xlsx?from=2026Q3&to=2026Q4")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("after_evidence") + 1)
    assert cell.value == "'" + FORMULA and cell.data_type == "s"
    moved = client.get("/economist/download/indicator-changes.csv?from=2026Q3&to=2026Q4")
    assert len(list(csv.DictReader(io.StringIO(moved.text)))) == 2
    missing = client.get("/economist/changes?from=2026Q1&to=2026Q2")
    assert missing.status_code == 400 and "no stored comparison" in missing.text


def _coverage_inputs(folder: Path) -> tuple[Path, Path, int]:
    """A 6 x 4 grid of 100 m squares and one 4G site covering its western part."""
    folder.mkdir(parents=True, exist_ok=True)
    lon0, lat0, step_lat = 11.5, 48.1, 100 / 111_195.0
    step_lon = step_lat / 0.6665  # cos(48.1°)
    grid = folder / "grid.csv"
    with grid.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lon", "lat", "population"])
        for i in range(6):
            for j in range(4):
                writer.writerow([f"{lon0 + i * step_lon:.7f}", f"{lat0 + j * step_lat:.7f}", 10 + i])
    cells = folder / "cells.csv"
    cells.write_text(f"lon,lat,range,radio\n{lon0:.7f},{lat0 + 1.5 * step_lat:.7f},260,LTE\n")
    return cells, grid, 24


def _town_inputs(folder: Path) -> tuple[Path, Path, int]:
    """A 48 x 32 grid of 100 m squares (a town: more people in the middle) and three sites:
    4G in the centre, 3G to the north-east, 2G to the south-west (the screenshot's map)."""
    folder.mkdir(parents=True, exist_ok=True)
    lon0, lat0, step_lat = 11.5, 48.1, 100 / 111_195.0
    step_lon = step_lat / 0.6665
    grid = folder / "town-grid.csv"
    with grid.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lon", "lat", "population"])
        for i in range(48):
            for j in range(32):
                people = max(1, 120 - 4 * abs(i - 24) - 5 * abs(j - 16))
                writer.writerow([f"{lon0 + i * step_lon:.7f}", f"{lat0 + j * step_lat:.7f}", people])
    cells = folder / "town-cells.csv"
    sites = [(24, 16, 900, "LTE"), (38, 25, 1200, "UMTS"), (8, 6, 1500, "GSM")]
    cells.write_text("lon,lat,range,radio\n" + "".join(
        f"{lon0 + i * step_lon:.7f},{lat0 + j * step_lat:.7f},{reach},{radio}\n"
        for i, j, reach, radio in sites))
    return cells, grid, 48 * 32


def _store_coverage(engine: Engine, cells: Path, grid: Path) -> None:
    from ecomstat.indicators.coverage import coverage_records, run_coverage

    write_values(engine, coverage_records(run_coverage(cells, grid), "2026"))


def test_coverage_map_has_one_shape_per_grid_cell_filled_by_coverage(
        engine: Engine, client_for: Any, tmp_path: Path) -> None:
    from ecomstat.indicators.coverage import covered_fractions, effective_ranges
    from ecomstat.indicators.coverage_grid import read_population
    from ecomstat.indicators.coverage_io import read_cells
    from ecomstat.web.economist_map import BINS, SEAM

    cells, grid, count = _coverage_inputs(tmp_path / "mobile")
    _store_coverage(engine, cells, grid)
    html = _page(client_for(ECOMSTAT_MOBILE_DATA_DIR=str(tmp_path / "mobile")),
                 "/economist/coverage?level=4G")
    svg = html.split('<svg class="coverage-map"')[1].split("</svg>")[0]
    shapes = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})" data-covered="([0-9.]+)"', svg)
    assert len(shapes) == count
    sites = read_cells(cells)
    population = read_population(grid)
    expected = covered_fractions(sites, effective_ranges(sites.range_m), population.lon,
                                 population.lat)[:, 2]
    assert sorted(float(c) for _, c in shapes) == sorted(expected.tolist())
    assert 0 < expected.sum() < count  # some covered, some not: both colours show
    covered_fill, bare_fill = BINS[-1][2], BINS[0][2]
    assert {fill for fill, c in shapes if float(c) == 1.0} == {covered_fill}
    assert {fill for fill, c in shapes if float(c) == 0.0} == {bare_fill}
    # the squares tile the grid: a square is as wide and as high as the step between columns
    # and between rows (100 m both ways), no gaps, no overlaps beyond a hair
    boxes = [tuple(float(v) for v in m) for m in re.findall(
        r'<rect x="([-0-9.]+)" y="([-0-9.]+)" width="([0-9.]+)" height="([0-9.]+)"', svg)]
    xs, ys = sorted({b[0] for b in boxes}), sorted({b[1] for b in boxes})
    assert (len(xs), len(ys)) == (6, 4)
    for step in [b - a for a, b in zip(xs, xs[1:])] + [b - a for a, b in zip(ys, ys[1:])]:
        assert step == pytest.approx(boxes[0][2] - SEAM, rel=0.05)
    assert boxes[0][2] == boxes[0][3]
    assert 'class="legend"' in html and "not covered" in html
    assert "<th scope=\"row\">total</th>" in html  # the stored values' table


def test_coverage_map_refuses_files_that_are_not_the_stored_inputs(
        engine: Engine, client_for: Any, tmp_path: Path) -> None:
    cells, grid, _ = _coverage_inputs(tmp_path / "mobile")
    _store_coverage(engine, cells, grid)
    with grid.open("a") as handle:
        handle.write("11.6,48.2,5\n")  # the grid changed since the values were stored
    html = _page(client_for(ECOMSTAT_MOBILE_DATA_DIR=str(tmp_path / "mobile")),
                 "/economist/coverage")
    assert "is not the population grid file the stored values were computed from" in html
    assert '<svg class="coverage-map"' not in html
    unset = _page(client_for(), "/economist/coverage")
    assert "set ECOMSTAT_MOBILE_DATA_DIR" in unset


def test_internet_use_by_area_with_intervals(engine: Engine, client_for: Any) -> None:
    write_values(engine, [
        IndicatorRecord("SDG_17_8_1", "2026", {"area": area}, "operator-data", est, 1.2,
                        est - 2.4, est + 2.4, 1.2 / est, 1000, [], {"population": 5000.0})
        for area, est in (("total", 81.0), ("North", 77.5), ("South", 84.0))])
    client = client_for()
    html = _page(client, "/economist/internet-use")
    assert "North" in html and "79.90" in html and 'id="internet-use-chart-data"' in html
    rows = list(csv.DictReader(io.StringIO(
        client.get("/economist/download/internet-use.csv").text)))
    assert [r["area"] for r in rows] == ["total", "North", "South"]


def test_model_cards_show_metrics_and_the_training_data_hash(engine: Engine,
                                                             client_for: Any) -> None:
    from ecomstat.classifiers.catalog import show_model

    client = client_for()
    listing = _page(client, "/economist/models")
    assert 'href="/economist/models/ecommerce/default"' in listing
    card = show_model("default", None, "ecommerce")
    html = _page(client, "/economist/models/ecommerce/default")
    assert card["training_data_sha256"] in html
    assert f'{card["metrics"]["combined"]["f1"]:.4f}' in html
    assert client.get("/economist/models/nonsense/default").status_code == 400


def test_pages_need_a_signed_in_user(engine: Engine) -> None:
    config = Settings({"ECOMSTAT_DATABASE_URL": _url(engine)})
    with TestClient(create_app(config, engine)) as client:
        answer = client.get("/economist/indicators", follow_redirects=False)
        assert answer.status_code in (302, 303, 401) and "/login" in answer.headers.get(
            "location", "/login")
        assert client.get("/economist/download/indicators.csv",
                          follow_redirects=False).status_code in (302, 303, 401)


# --- in the browser, over the demo ---

PAGES = ("/economist/indicators", "/economist/changes", "/economist/coverage",
         "/economist/internet-use", "/economist/models", "/economist/sql")


def _demo_with_cross_tab(web_demo: Any, mobile: Path) -> tuple[Any, str]:
    """A copy of the demo database with web sales by NACE section x size class (naive, every
    cell shown: the demo's 60 enterprises are too few for the publication threshold) and SDG
    9.c.1 values of a small town's grid files in `mobile`."""
    from ecomstat.indicators.adoption import BuildOptions, build_adoption
    from ecomstat.indicators.methods import Method
    from ecomstat.store import make_engine
    from ecomstat.store.waves import latest_wave

    copy = web_demo.copy()
    engine = make_engine(copy.db_url)
    try:
        wave = latest_wave(engine)
        assert wave is not None, "the demo recorded no wave"
        build_adoption(engine, BuildOptions(method=Method.naive, wave=wave, period=wave, min_n=0,
                                            replicates=200,
                                            breakdowns=[("nace_section", "size_class")]))
        cells, grid, _ = _town_inputs(mobile)
        _store_coverage(engine, cells, grid)
    finally:
        engine.dispose()
    return copy, wave


def _no_overflow(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.chromium
def test_economist_opens_web_sales_by_nace_and_size_and_downloads_it(
        web_demo: Any, web_users: Any, serve: Any, page: Any, login: Any, shoot: Any,
        tmp_path: Path) -> None:
    from ecomstat.store import make_engine

    copy, wave = _demo_with_cross_tab(web_demo, tmp_path / "mobile")
    economist = web_users.economist
    with serve(copy.db_url, {"ECOMSTAT_MOBILE_DATA_DIR": str(tmp_path / "mobile")}) as server:
        login(page, server.base_url, economist.name, economist.password)
        page.goto(f"{server.base_url}/economist/indicators")
        page.get_by_label("Indicator").select_option("ECOM_WEB_SALES")
        page.get_by_label("Method").select_option("naive")
        with page.expect_navigation():
            page.get_by_role("button", name="Show").click()
        page.get_by_label("Breakdown").select_option("nace_section,size_class")
        with page.expect_navigation():
            page.get_by_role("button", name="Show").click()
        assert "breakdown=nace_section%2Csize_class" in page.url
        page.wait_for_selector("canvas#indicator-chart[data-drawn=true]", timeout=10_000)
        crosstab = page.locator("table#crosstab")
        assert crosstab.locator("tbody tr").count() >= 2
        assert re.search(r"\[\d+\.\d–\d+\.\d\]", crosstab.inner_text())  # intervals
        shoot(page, "economist-indicators")

        stored = {(r.breakdown["nace_section"], r.breakdown["size_class"]): r
                  for r in read_values(server.engine, indicator="ECOM_WEB_SALES", period=wave,
                                       method="naive")
                  if set(r.breakdown) == {"nace_section", "size_class"}}
        files = {}
        for fmt in ("CSV", "XLSX", "PARQUET"):
            with page.expect_download() as download:
                page.get_by_role("link", name=fmt, exact=True).click()
            files[fmt] = tmp_path / download.value.suggested_filename
            download.value.save_as(files[fmt])
            assert files[fmt].suffix == f".{fmt.lower()}"
        rows = list(csv.DictReader(files["CSV"].open(encoding="utf-8")))
        assert len(rows) == len(stored) > 0
        for row in rows:
            record = stored[(row["nace_section"], row["size_class"])]
            assert float(row["estimate"]) == pytest.approx(record.estimate)
            assert float(row["ci_low"]) == pytest.approx(record.ci_low)
            assert float(row["ci_high"]) == pytest.approx(record.ci_high)
        sheet = openpyxl.load_workbook(files["XLSX"]).active
        assert sheet.max_row == len(stored) + 1
        assert pq.read_table(files["PARQUET"]).num_rows == len(stored)

        # the SQL console: a write is refused in one line and nothing runs
        engine = make_engine(copy.db_url)
        try:
            with transaction(engine) as session:
                before = session.scalar(select(func.count()).select_from(IndicatorValue))
            page.goto(f"{server.base_url}/economist/sql")
            page.get_by_label("SQL (one SELECT)").fill("DELETE FROM indicator_value")
            with page.expect_navigation():
                page.get_by_role("button", name="Run").click()
            alert = page.locator("#sql-error")
            alert.wait_for(state="visible", timeout=10_000)
            assert len(alert.inner_text().strip().splitlines()) == 1
            with transaction(engine) as session:
                assert session.scalar(select(func.count()).select_from(IndicatorValue)) == before
        finally:
            engine.dispose()
        page.get_by_label("SQL (one SELECT)").fill(
            "SELECT indicator, breakdown_key, round(estimate, 2) AS estimate, "
            "round(ci_low, 2) AS ci_low, round(ci_high, 2) AS ci_high\nFROM v_indicator\n"
            "WHERE indicator = 'ECOM_WEB_SALES' ORDER BY breakdown_key")
        with page.expect_navigation():
            page.get_by_role("button", name="Run").click()
        page.locator("table#sql-result tbody tr").first.wait_for(timeout=10_000)
        shoot(page, "economist-sql")

        page.goto(f"{server.base_url}/economist/coverage")
        page.get_by_label("Technology on the map").select_option("2G")
        with page.expect_navigation():
            page.get_by_role("button", name="Show").click()
        assert "level=2G" in page.url
        assert page.locator("svg.coverage-map g.grid-cells rect").count() == 48 * 32
        assert page.locator("ul.legend li").count() == 6
        page.get_by_role("heading", name=re.compile("^Map:")).scroll_into_view_if_needed()
        page.evaluate("window.scrollTo(0, document.querySelector('.map').offsetTop - 60)")
        shoot(page, "economist-coverage")
        page.goto(f"{server.base_url}/economist/changes")
        assert page.locator("h1").inner_text() == "Changes between waves"
        shoot(page, "economist-changes")

        page.set_viewport_size({"width": 390, "height": 844})
        for path in PAGES:
            page.goto(f"{server.base_url}{path}")
            assert page.locator("h1").count() == 1 and page.title()
            assert _no_overflow(page), f"{path} overflows at 390 px"

