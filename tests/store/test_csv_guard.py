"""Every CSV writer guards text a spreadsheet would run as a formula (one function,
store.formats.spreadsheet_safe): `query`, `export` and `register list` in CSV; JSON and Parquet
stay raw. The hostile value is stored through the real register import."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.store.formats import spreadsheet_safe

runner = CliRunner()

HOSTILE = "=cmd|' /C calc'!A0"
GUARDED = "'" + HOSTILE
PHONE = "+49 30 1234567"


def _import_hostile(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "name", "country", "nace", "employees", "phone", "city"])
        writer.writerow(["H1", HOSTILE, "DE", "4791", "12", PHONE, "@SUM(1+1)*cmd|' /C calc'!A0"])
        writer.writerow(["H2", "Plain Firm GmbH", "DE", "4791", "15", "-", "Berlin"])
    result = runner.invoke(app, ["--db", db_url, "register", "import", str(path)])
    assert result.exit_code == 0, result.output


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_query_csv_guards_formulas_and_keeps_numbers(engine: Engine, db_url: str,
                                                     tmp_path: Path) -> None:
    _import_hostile(db_url, tmp_path)
    sql = ("SELECT id, name, phone, city, employees, -employees AS neg, 0 - 1.5 AS dec "
           "FROM enterprise ORDER BY id")
    result = runner.invoke(app, ["--db", db_url, "query", sql, "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = _csv_rows(result.stdout)
    assert rows[0]["name"] == GUARDED
    assert rows[0]["city"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert rows[0]["phone"] == PHONE and rows[0]["neg"] == "-12" and rows[0]["dec"] == "-1.5"
    assert rows[1]["name"] == "Plain Firm GmbH" and rows[1]["phone"] == "-"
    # JSON is a data format: the value stays as stored.
    result = runner.invoke(app, ["--db", db_url, "query", sql, "-f", "json"])
    assert json.loads(result.stdout.splitlines()[0])["name"] == HOSTILE


def test_query_csv_guards_a_hostile_column_name(engine: Engine, db_url: str) -> None:
    result = runner.invoke(app, ["--db", db_url, "query", "SELECT 1 AS \"=2+3\"", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "'=2+3"


def test_export_csv_guards_and_json_parquet_stay_raw(engine: Engine, db_url: str,
                                                     tmp_path: Path) -> None:
    _import_hostile(db_url, tmp_path)
    for fmt in ("csv", "json", "parquet"):
        out = tmp_path / f"enterprise.{fmt}"
        result = runner.invoke(app, ["--db", db_url, "export", "enterprise", "--format", fmt,
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        if fmt == "csv":
            rows = {r["id"]: r for r in _csv_rows(out.read_text(encoding="utf-8"))}
            assert rows["H1"]["name"] == GUARDED and rows["H1"]["phone"] == PHONE
            assert rows["H2"]["name"] == "Plain Firm GmbH"
        elif fmt == "json":
            rows = {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
            assert rows["H1"]["name"] == HOSTILE
        else:
            rows = {r["id"]: r for r in pq.read_table(out).to_pylist()}
            assert rows["H1"]["name"] == HOSTILE


def test_export_csv_of_a_view_guards(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _import_hostile(db_url, tmp_path)
    out = tmp_path / "web.csv"
    result = runner.invoke(app, ["--db", db_url, "export", "v_enterprise_web", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = {r["enterprise_id"]: r["name"] for r in _csv_rows(out.read_text(encoding="utf-8"))}
    assert names["H1"] == GUARDED


def test_register_list_csv_guards(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _import_hostile(db_url, tmp_path)
    result = runner.invoke(app, ["--db", db_url, "register", "list", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in _csv_rows(result.stdout)}
    assert rows["H1"]["name"] == GUARDED and rows["H1"]["employees"] == "12"
    result = runner.invoke(app, ["--db", db_url, "register", "list", "--format", "json"])
    assert {json.loads(line)["name"] for line in result.stdout.splitlines()} >= {HOSTILE}


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("+49 30 1234567", "+49 30 1234567"), ("-12", "-12"), ("-1.5", "-1.5"), ("-", "-"),
    ("Firm = good", "Firm = good"), ("", ""), (None, None), (-3, -3), (2.5, 2.5),
])
def test_the_one_guard(value: object, expected: object) -> None:
    assert spreadsheet_safe(value) == expected
