"""Only `ecomstat db upgrade` migrates a database; every other command checks the revision.

On a shared PostgreSQL, each scheduler step and crawl worker used to run the migrations on
start, concurrently. Now a command refuses an outdated or newer schema with what to run, a
brand-new SQLite file gets the schema, and two `db upgrade` at once take turns on a lock.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from ecomstat.store import current_revision, head_revision, make_engine, upgrade


def ecomstat(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecomstat", "--db", db, *args],
                          capture_output=True, text=True, timeout=300)


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def test_an_outdated_schema_is_refused_until_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url, create=True)
    upgrade(engine, "0002")
    engine.dispose()

    refused = ecomstat(url, "register", "list")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "run `ecomstat db upgrade`" in refused.stderr
    assert "revision 0002" in refused.stderr
    assert _revision(url) == "0002"  # the command did not migrate

    assert ecomstat(url, "db", "upgrade").returncode == 0
    assert _revision(url) == head_revision()
    assert ecomstat(url, "register", "list").returncode == 0


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    engine = make_engine(url, create=True)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    refused = ecomstat(url, "register", "list")
    assert refused.returncode == 1 and "newer than this ecomstat knows" in refused.stderr
    assert _revision(url) == "9999"


def test_a_new_sqlite_file_gets_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    path.touch()
    result = ecomstat(f"sqlite:///{path}", "register", "list", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert _revision(f"sqlite:///{path}") == head_revision()


@pytest.mark.postgres
def test_an_empty_server_database_is_refused_not_migrated(empty_pg_url: str) -> None:
    refused = ecomstat(empty_pg_url, "register", "list")
    assert refused.returncode == 1 and "has no ecomstat schema" in refused.stderr
    assert _revision(empty_pg_url) is None


@pytest.mark.postgres
def test_two_upgrades_at_once_take_turns(empty_pg_url: str) -> None:
    command = [sys.executable, "-m", "ecomstat", "--db", empty_pg_url, "db", "upgrade"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert _revision(empty_pg_url) == head_revision()
