"""Database URLs: checked before use, masked in messages, one error per failed connection, and
URLs with `%` (Unix sockets, percent-encoded passwords) through the migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ecomstat.errors import BadInput
from ecomstat.store import make_engine, upgrade
from ecomstat.store.engine import connect_check, connect_reason, mask_url, parse_url
from ecomstat.store.errors import DatabaseUnavailable, DatabaseUrlError, StoreError
from ecomstat.store.migrate import alembic_config, current_revision, head_revision
from tests.conftest import require_service

PG_SOCKET_DIR = os.environ.get("ECOMSTAT_TEST_PG_SOCKET_DIR", "/var/run/postgresql")


@pytest.mark.parametrize("url, says", [
    ("postgresq://u@h/db", "unknown scheme 'postgresq'"),
    ("mysql://u@h/db", "unknown scheme 'mysql'"),
    ("sqlite:/x.db", "malformed database URL 'sqlite:/x.db'"),
    ("sqlite:x.db", "malformed database URL"),
    ("postgresql:db", "malformed database URL"),
    ("sqlite://x.db", "malformed SQLite URL"),
    ("postgresql://u@h:port/db", "malformed database URL"),
    ("postgresql://u@h:99999/db", "port 99999 is not between 1 and 65535"),
    ("postgresql://u@h:0/db", "port 0 is not between"),
    ("  ", "empty"),
])
def test_malformed_urls_are_bad_input(url: str, says: str) -> None:
    with pytest.raises(DatabaseUrlError, match=says) as caught:
        parse_url(url)
    assert isinstance(caught.value, BadInput)  # exit code 2
    assert "sqlite:///PATH" in str(caught.value) or "sqlite:///relative.db" in str(caught.value)


def test_a_url_without_scheme_typo_is_a_file_path(tmp_path: Path) -> None:
    assert parse_url(str(tmp_path / "x.db")).database == str(tmp_path / "x.db")
    socket_url = parse_url("postgresql://u@/db?host=/var/run/postgresql")
    assert socket_url.query["host"] == "/var/run/postgresql"


@pytest.mark.parametrize("url, shown", [
    ("postgresql://stats:s3cret@db:5432/ecomstat", "postgresql://stats:***@db:5432/ecomstat"),
    ("postgresql://stats:p%40ss@/ecomstat?host=/run/pg",
     "postgresql://stats:***@/ecomstat?host=/run/pg"),
    ("postgresql://stats@db/ecomstat?password=s3cret&sslmode=require",
     "postgresql://stats@db/ecomstat?password=***&sslmode=require"),
    ("postgres:s3cret@db/ecomstat", "postgres:***@db/ecomstat"),  # "//" forgotten
    ("postgresql://db/ecomstat", "postgresql://db/ecomstat"),
    ("sqlite:///data/a@b.db", "sqlite:///data/a@b.db"),
])
def test_passwords_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize("message, reason", [
    ('connection failed: connection to server at "127.0.0.1", port 5999 failed: Connection '
     "refused\n\tIs the server running on that host and accepting TCP/IP connections?",
     "connection refused"),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database '
     '"x" does not exist', 'database "x" does not exist'),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "x" '
     "does not exist", 'role "x" does not exist'),
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  password '
     'authentication failed for user "stats"', 'password authentication failed for user "stats"'),
    ('connection failed: connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file '
     "or directory", "no such file or directory (socket /tmp/.s.PGSQL.5432)"),
    ("failed to resolve host 'db.invalid': [Errno -2] Name or service not known",
     "failed to resolve host 'db.invalid': [Errno -2] Name or service not known"),
])
def test_connection_failures_say_what_failed(message: str, reason: str) -> None:
    assert connect_reason(Exception(message)) == reason


def test_a_missing_sqlite_file_is_refused_unless_asked_to_create(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "typo.db"
    for kwargs in ({"create": False}, {"read_only": True}):
        with pytest.raises(DatabaseUnavailable, match="no database at .*typo.db; create it with"):
            make_engine(f"sqlite:///{path}", **kwargs)
    assert not path.exists() and not path.parent.exists()
    engine = make_engine(f"sqlite:///{path}", create=True)
    upgrade(engine)
    engine.dispose()
    assert path.is_file()
    make_engine(f"sqlite:///{path}", create=False).dispose()  # exists now: fine


def test_a_file_that_is_no_database_is_one_store_error(tmp_path: Path) -> None:
    text_file = tmp_path / "register.csv"
    text_file.write_text("id,name\n" * 200)
    engine = make_engine(str(text_file))
    with pytest.raises(StoreError, match=r"cannot connect to .*register.csv: file is not a data"):
        connect_check(engine)
    with pytest.raises(StoreError, match="file is not a database"):  # any first connection
        current_revision(engine)


def test_a_refused_connection_names_the_masked_url() -> None:
    port = _free_port()
    engine = make_engine(f"postgresql://stats:s3cretpw@127.0.0.1:{port}/ecomstat")
    with pytest.raises(DatabaseUnavailable) as caught:
        upgrade(engine)  # the first connection, wherever it happens
    assert str(caught.value) == ("cannot connect to postgresql://stats:***@127.0.0.1:"
                                 f"{port}/ecomstat: connection refused")


def test_percent_signs_survive_the_migration_config() -> None:
    url = "postgresql://stats:p%40ss@/ecomstat?host=/var/run/postgresql"
    engine = make_engine(url)
    configured = alembic_config(engine).get_main_option("sqlalchemy.url")
    assert configured == engine.url.render_as_string(hide_password=False)
    assert make_url(configured).password == "p@ss"
    assert make_url(configured).query["host"] == "/var/run/postgresql"


@pytest.mark.postgres
def test_unix_socket_url_end_to_end(postgres_url: str, tmp_path: Path) -> None:
    require_service(Path(PG_SOCKET_DIR, ".s.PGSQL.5432").exists(),
                    f"a PostgreSQL Unix socket in {PG_SOCKET_DIR}")
    admin = make_url(postgres_url)
    # a percent-encoded password rides along (the server's trust authentication ignores it)
    url = f"postgresql://{admin.username}:p%40ss@/{admin.database}?host={PG_SOCKET_DIR}"
    upgraded = _ecomstat(tmp_path, "--db", url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "p%40ss" not in upgraded.stdout + upgraded.stderr
    status = _ecomstat(tmp_path, "--db", url, "db", "status")
    assert status.returncode == 0, status.stderr
    assert f"current: {head_revision()}" in status.stdout
    listed = _ecomstat(tmp_path, "--db", url, "register", "list", "--format", "json")
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr


def _ecomstat(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecomstat", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:  # bound then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
