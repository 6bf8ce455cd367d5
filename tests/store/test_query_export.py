"""`ecomstat query` is read-only on both backends; `ecomstat export` writes complete files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.store import transaction
from ecomstat.store.models import Enterprise, RegisterSnapshot

runner = CliRunner()


def _seed(engine: Engine, n: int = 3) -> None:
    with transaction(engine) as session:
        snapshot = RegisterSnapshot(label="s1", rows=n)
        session.add(snapshot)
        session.flush()
        for i in range(n):
            session.add(
                Enterprise(id=f"E{i}", name=f"Firm {i} GmbH", country="DE", nace="47.91",
                           nace_section="G", employees=10 + i, size_class="10-49",
                           snapshot_id=snapshot.id)
            )


def _count(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Enterprise)) or 0


def test_query_returns_rows_as_json_lines(engine: Engine, db_url: str) -> None:
    _seed(engine)
    result = runner.invoke(app, ["--db", db_url, "query", "SELECT id, employees FROM enterprise ORDER BY id", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == [{"id": "E0", "employees": 10}, {"id": "E1", "employees": 11}, {"id": "E2", "employees": 12}]


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM enterprise",
        "UPDATE enterprise SET name = 'x'",
        "INSERT INTO register_snapshot (label, imported_at, rows, inserted, updated) VALUES ('x', CURRENT_TIMESTAMP, 0, 0, 0)",
        "DROP TABLE enterprise",
        "CREATE TABLE sneaky (a integer)",
    ],
)
def test_query_refuses_writes_and_changes_nothing(engine: Engine, db_url: str, statement: str) -> None:
    _seed(engine)
    result = runner.invoke(app, ["--db", db_url, "query", statement])
    assert result.exit_code == 2
    assert "read-only" in result.output or "SELECT" in result.output
    assert _count(engine) == 3


def test_query_sql_error_is_one_line(engine: Engine, db_url: str) -> None:
    result = runner.invoke(app, ["--db", db_url, "query", "SELECT no_such_column FROM enterprise"])
    assert result.exit_code == 2
    assert "SQL error" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_writes_every_row(engine: Engine, db_url: str, tmp_path: Path, fmt: str) -> None:
    _seed(engine, n=7)
    out = tmp_path / f"enterprises.{fmt}"
    result = runner.invoke(app, ["--db", db_url, "export", "enterprise", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
    elif fmt == "json":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        rows = pq.read_table(out).to_pylist()
    assert sorted(r["id"] for r in rows) == [f"E{i}" for i in range(7)]
    assert {r["name"] for r in rows} >= {"Firm 0 GmbH"}


def test_export_of_a_view(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _seed(engine, n=2)
    out = tmp_path / "web.csv"
    result = runner.invoke(app, ["--db", db_url, "export", "v_enterprise_web", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 2 and rows[0]["website_url"] == ""


def test_export_unknown_relation_is_bad_input(engine: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    result = runner.invoke(app, ["--db", db_url, "export", "no_such_table", "--out", str(out)])
    assert result.exit_code == 2
    assert "no table or view named" in result.output
    assert not out.exists()


def test_parquet_types_come_from_the_declared_columns(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """`employees` is NULL in the first 5,000 rows (one fetch batch) and an integer later: typed
    from the first batch it became text and the next batch crashed with ArrowTypeError."""
    from sqlalchemy import insert

    rows = [{"id": f"E{i:05d}", "name": f"Firma {i}", "country": "DE", "nace": "47.91",
             "employees": None if i < 5_000 else i} for i in range(5_500)]
    with engine.begin() as connection:
        connection.execute(insert(Enterprise), rows)
    out = tmp_path / "enterprise.parquet"
    result = runner.invoke(app, ["--db", db_url, "export", "enterprise", "--format", "parquet",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert str(table.schema.field("employees").type) == "int64"
    employees = table.column("employees").to_pylist()
    assert employees.count(None) == 5_000 and max(e for e in employees if e is not None) == 5_499


def test_write_refusals_are_recognised_by_error_code(engine: Engine, db_url: str) -> None:
    """Read-only refusals are told apart by SQLSTATE 25006 / SQLITE_READONLY, not by message
    text (PostgreSQL translates its messages)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from ecomstat.store import make_engine
    from ecomstat.store.query import _is_write_refusal

    reader = make_engine(db_url, read_only=True)
    try:
        with reader.connect() as connection:
            with pytest.raises(DBAPIError) as refused:
                connection.execute(text("INSERT INTO register_snapshot (label) VALUES ('x')"))
            with pytest.raises(DBAPIError) as wrong:
                connection.execute(text("SELECT no_such_column FROM enterprise"))
    finally:
        reader.dispose()
    assert _is_write_refusal(refused.value) and not _is_write_refusal(wrong.value)
