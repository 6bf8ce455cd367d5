"""`ecomstat db create-reader`: the economists' PostgreSQL role reads the documented views and
tables and nothing else; COPY to a program is refused by the parser AND by the database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.store.readers import READER_TABLES, READER_VIEWS, SCHEMA_TABLE, SERVER_ROLES

runner = CliRunner()


@pytest.fixture
def reader(pg_engine: Engine, postgres_url: str) -> Iterator[str]:
    """A unique role name (roles are cluster-wide), dropped after the test."""
    role = f"reader_{uuid.uuid4().hex[:10]}"
    yield role
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
    admin.dispose()


@pytest.fixture
def office_notes(pg_engine: Engine) -> Iterator[str]:
    """A table of the office's own, not for economists; dropped after the test."""
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE office_notes (note text)")
    yield "office_notes"
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS office_notes")


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _create(postgres_url: str, role: str, password: str | None = "s3cret pass"):
    args = ["--db", postgres_url, "db", "create-reader", role]
    if password is not None:
        args.append("--password-stdin")
    return runner.invoke(app, args, input=f"{password}\n" if password is not None else None)


def test_reader_reads_the_documented_relations_only(pg_engine: Engine, postgres_url: str,
                                                    reader: str, office_notes: str,
                                                    tmp_path: Path) -> None:
    result = _create(postgres_url, reader)
    assert result.exit_code == 0, result.output
    assert f"reader role {reader} created" in result.stdout
    assert f"postgresql://{reader}:***@" in result.stdout and "s3cret" not in result.stdout
    url = _as(postgres_url, reader)

    # `ecomstat query` as the reader: views and documented tables work.
    for relation in READER_VIEWS + ("enterprise", "indicator_value"):
        done = runner.invoke(app, ["--db", url, "query", f"SELECT count(*) AS n FROM {relation}",
                                   "-f", "json"])
        assert done.exit_code == 0, (relation, done.output)
    refused = runner.invoke(app, ["--db", url, "query", "SELECT * FROM office_notes"])
    assert refused.exit_code == 2 and "permission denied" in refused.stderr
    exported = runner.invoke(app, ["--db", url, "export", "v_indicator", "--format", "csv",
                                   "--out", str(tmp_path / "indicators.csv")])
    assert exported.exit_code == 0, exported.output

    # The parser refuses COPY ... TO PROGRAM before it reaches the server ...
    marker = Path(f"/tmp/ecomstat-reader-{uuid.uuid4().hex}")
    copy = f"COPY (SELECT 'x') TO PROGRAM 'touch {marker}'"
    parsed = runner.invoke(app, ["--db", url, "query", copy])
    assert parsed.exit_code == 2 and "refused: COPY" in parsed.stderr
    # ... and the database refuses it to the reader role too (psycopg directly).
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(copy)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"COPY enterprise TO '{marker}'")
        conn.execute("SET default_transaction_read_only = off")  # a role may, its grants hold
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO register_snapshot (label, imported_at, rows, inserted, "
                         "updated) VALUES ('x', now(), 0, 0, 0)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pg_read_file('/etc/hostname')")
    assert not marker.exists()
    inserted = runner.invoke(app, ["--db", url, "query",
                                   "INSERT INTO enterprise (id) VALUES ('x')"])
    assert inserted.exit_code == 2

    # What the role is, seen by the owner.
    with pg_engine.connect() as conn:
        flags = conn.execute(text(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit, "
            "rolpassword LIKE 'SCRAM-SHA-256$%' OR rolpassword LIKE 'md5%' "
            "FROM pg_authid WHERE rolname = :r"), {"r": reader}).one()
        assert tuple(flags) == (True, False, False, False, False, True)
        member_of = conn.scalars(text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :r"), {"r": reader}).all()
        assert member_of == []
        granted = set(conn.scalars(text(
            "SELECT table_name FROM information_schema.role_table_grants "
            "WHERE grantee = :r AND privilege_type = 'SELECT'"), {"r": reader}))
        others = set(conn.scalars(text(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = :r AND privilege_type <> 'SELECT'"), {"r": reader}))
    assert granted == set(READER_TABLES + READER_VIEWS + (SCHEMA_TABLE,)) and others == set()


def test_create_reader_is_idempotent_and_revokes_server_roles(
        pg_engine: Engine, postgres_url: str, reader: str, office_notes: str) -> None:
    assert _create(postgres_url, reader).exit_code == 0
    with pg_engine.begin() as conn:  # someone made the reader mightier in between
        for server_role in SERVER_ROLES:
            conn.exec_driver_sql(f'GRANT {server_role} TO "{reader}"')
        conn.exec_driver_sql(f'GRANT SELECT ON office_notes TO "{reader}"')
        conn.exec_driver_sql(f'GRANT INSERT ON enterprise TO "{reader}"')
    again = _create(postgres_url, reader, password=None)
    assert again.exit_code == 0, again.output
    assert "updated" in again.stdout and "password unchanged" in again.stdout
    with pg_engine.connect() as conn:
        member_of = conn.scalar(text(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "WHERE r.rolname = :r"), {"r": reader})
        extra = conn.scalar(text(
            "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = :r "
            "AND (privilege_type <> 'SELECT' OR table_name = 'office_notes')"), {"r": reader})
    assert member_of == 0 and extra == 0


def test_reader_sessions_have_time_limits(pg_engine: Engine, postgres_url: str,
                                          reader: str) -> None:
    """A forgotten psql query or open transaction of an economist must not hold a shared
    server: the role's sessions start with a statement timeout and an idle-transaction one."""
    created = _create(postgres_url, reader)
    assert created.exit_code == 0 and "statements stop after 600 s" in created.stdout
    as_reader = _libpq(_as(postgres_url, reader))
    with psycopg.connect(as_reader, autocommit=True) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("10min",)
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone() == ("15min",)
    args = ["--db", postgres_url, "db", "create-reader", reader, "--statement-timeout"]
    assert runner.invoke(app, args + ["0.5"]).exit_code == 0
    with psycopg.connect(as_reader, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(30)")
    unlimited = runner.invoke(app, args + ["0"])
    assert unlimited.exit_code == 0 and "no statement time limit" in unlimited.stdout
    with psycopg.connect(as_reader, autocommit=True) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("0",)
    for bad in ("-1", "nan", "inf", "1e12"):
        refused = runner.invoke(app, args + [bad])
        assert refused.exit_code == 2, (bad, refused.output)
        assert refused.stderr.startswith("error: the statement timeout is a number of seconds")
        assert len(refused.stderr.splitlines()) == 1


@pytest.mark.parametrize("role", ['Bad-Name', 'x"; DROP TABLE enterprise; --', "pg_reader",
                                  "9lives", "a" * 64, ""])
def test_odd_role_names_are_refused(pg_engine: Engine, postgres_url: str, role: str) -> None:
    result = _create(postgres_url, role, password=None)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: role name") and len(result.stderr.splitlines()) == 1


def test_the_owner_and_administrators_are_not_turned_into_readers(
        pg_engine: Engine, postgres_url: str) -> None:
    owner = make_url(postgres_url).username
    result = _create(postgres_url, owner, password=None)
    assert result.exit_code == 2 and "owner" in result.stderr
    with pg_engine.connect() as conn:
        assert conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"),
                           {"r": owner})


def test_sqlite_has_no_roles(tmp_path: Path) -> None:
    result = _create(f"sqlite:///{tmp_path / 'ecomstat.db'}", "economists", password=None)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: SQLite has no roles: db create-reader needs a PostgreSQL database "
        "(a SQLite file is protected by its file permissions)"]
    assert not (tmp_path / "ecomstat.db").exists()


def test_a_url_that_may_not_create_roles_is_one_line(pg_engine: Engine, postgres_url: str,
                                                     reader: str) -> None:
    # The reader's own URL cannot make readers: one line, exit 1, no traceback.
    assert _create(postgres_url, reader).exit_code == 0
    other = f"{reader}_x"
    result = _create(_as(postgres_url, reader), other, password=None)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"error: cannot create or update the reader role {other}: "), lines
