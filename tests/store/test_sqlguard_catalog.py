"""The SQL door's rules for PostgreSQL's own relations and spellings (issue 12 item 1, audit):
an owner's or superuser's URL must not read server files, password hashes or other sessions
through the system catalogs (pg_hba_file_rules reads pg_hba.conf on each SELECT), and a name
written as U&"..." (which sqlglot reads as `U & "..."`, another name than the server reads) is
refused before anything runs."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.store.sqlguard import ForbiddenStatement, check_select

runner = CliRunner()

CATALOGS = [
    "SELECT * FROM pg_hba_file_rules",  # reads pg_hba.conf
    "SELECT * FROM pg_file_settings",  # reads postgresql.conf and its includes
    "SELECT * FROM pg_ident_file_mappings",
    "SELECT rolname, rolpassword FROM pg_authid",  # password hashes
    "SELECT passwd FROM pg_catalog.pg_shadow",
    'SELECT * FROM "pg_catalog"."pg_authid"',
    "SELECT setting FROM pg_settings WHERE name = 'data_directory'",  # = current_setting()
    "SELECT * FROM PG_CONFIG",
    "SELECT query FROM pg_stat_activity",  # other sessions' SQL
    "SELECT data FROM pg_largeobject",
    "SELECT * FROM pg_user_mappings",
    "SELECT subconninfo FROM pg_subscription",
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM pg_authid)",
    "WITH x AS (SELECT * FROM pg_file_settings) SELECT * FROM x",
    "SELECT * FROM enterprise e JOIN pg_stat_activity a ON true",
]
UNICODE_ESCAPED = [
    'SELECT U&"\\0070g_sleep"(30)',  # pg_sleep, spelt with an escape
    'SELECT u&"\\0070g_read_file"(\'/etc/passwd\')',
    'SELECT pg_catalog.U&"\\+000070g_sleep"(30)',
    'SELECT 1 AS U&"x"',
]
STILL_ALLOWED = [
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    "SELECT viewname FROM pg_catalog.pg_views",
    "SELECT 'U&\"x\"' AS text_not_a_name",
    "SELECT U&'\\0041' AS unicode_string",  # a string, not a name: it cannot call anything
]


def _dead_postgres_url() -> str:
    """A PostgreSQL URL whose port nothing listens on: a statement the guard lets through
    fails to connect (exit 1); a refused one never needed the server (exit 2)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://nobody@127.0.0.1:{port}/nothing"


def _refused_line(url: str, statement: str) -> str:
    result = runner.invoke(app, ["--db", url, "query", statement])
    assert result.exit_code == 2, (statement, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ecomstat query refuses"), lines
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize("statement", CATALOGS + UNICODE_ESCAPED)
def test_refused_by_the_parser_unit(statement: str) -> None:
    with pytest.raises(ForbiddenStatement):
        check_select(statement, "postgres")


@pytest.mark.parametrize("statement", CATALOGS + UNICODE_ESCAPED)
def test_refused_before_any_connection(statement: str) -> None:
    _refused_line(_dead_postgres_url(), statement)


@pytest.mark.parametrize("statement", [
    "SELECT count(*) FROM pg_hba_file_rules",
    "SELECT count(*) FROM pg_authid",
    "SELECT count(*) FROM pg_stat_activity",
    'SELECT U&"\\0070g_sleep"(0)',
])
def test_the_owners_url_cannot_read_them(pg_engine: Engine, postgres_url: str,
                                         statement: str) -> None:
    # The tests' URL is a superuser's: the server itself would have answered these.
    line = _refused_line(postgres_url, statement)
    assert "catalog" in line or "U&" in line


@pytest.mark.parametrize("statement", STILL_ALLOWED)
def test_schema_catalogs_and_strings_stay_allowed(pg_engine: Engine, postgres_url: str,
                                                  statement: str) -> None:
    result = runner.invoke(app, ["--db", postgres_url, "query", statement, "--format", "json"])
    assert result.exit_code == 0, result.output


def test_sqlite_tables_named_pg_are_not_catalogs() -> None:
    assert check_select("SELECT * FROM pg_things", "sqlite") == "SELECT * FROM pg_things"


# The web application's SQL console (ecomstat/web/routes/economist.py) runs economists' SQL
# through readonly_rows on the server's own URL: the tables of users, password hashes and
# sessions must be refused by the door itself, on both databases.
APP_SECRETS = [
    "SELECT name, password_hash FROM web_user",
    'SELECT * FROM "web_session"',
    "SELECT * FROM main.web_user",
    "SELECT client FROM WEB_LOGIN_FAILURE",
    "SELECT e.id FROM enterprise e WHERE EXISTS (SELECT 1 FROM web_user u WHERE u.role = 'admin')",
    "WITH u AS (SELECT * FROM web_user) SELECT count(*) FROM u",
]


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
@pytest.mark.parametrize("statement", APP_SECRETS)
def test_the_web_applications_tables_are_refused_unit(statement: str, dialect: str) -> None:
    if dialect == "postgres" and "main." in statement:
        statement = statement.replace("main.", "public.")
    with pytest.raises(ForbiddenStatement, match="web application's table web_"):
        check_select(statement, dialect)


def test_the_web_consoles_door_refuses_them(engine: Engine, db_url: str) -> None:
    from ecomstat.store.query import readonly_rows

    with pytest.raises(ForbiddenStatement, match="web_user"):
        with readonly_rows(db_url, "SELECT name, password_hash FROM web_user", timeout=5):
            pass
    line = _refused_line(db_url, "SELECT * FROM web_session")
    assert "web_session" in line
