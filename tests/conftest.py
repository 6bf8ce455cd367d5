"""Shared fixtures. Service-backed tests (PostgreSQL, Redis, Chromium) skip with a reason on a
developer machine without the service, and FAIL in CI (CI=true) where the service must exist."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ecomstat.spiders.render.browser import default_chromium
from ecomstat.store import make_engine, upgrade

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get(
    "ECOMSTAT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("ECOMSTAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# what a crawl launches by default (ECOMSTAT_CHROMIUM_PATH=auto): the headless shell if installed
CHROMIUM = os.environ.get("ECOMSTAT_CHROMIUM_PATH") or default_chromium()
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def require_service(available: bool, what: str) -> None:
    """Skip locally, fail in CI, when a service a test needs is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available on this machine")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _new_pg_database() -> Iterator[str]:
    require_service(_port_open("127.0.0.1", 5432), "PostgreSQL at 127.0.0.1:5432")
    name = f"ecomstat_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with _new_pg_database() as url:
        yield url


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A new PostgreSQL database with no schema, for one test, dropped afterwards."""
    with _new_pg_database() as url:
        yield url


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """An upgraded PostgreSQL store, emptied after each test."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    _truncate_all(engine)
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    from ecomstat.store.models import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _sqlite_file_url(tmp_path: Path) -> str:
    # The file exists (empty), as the PostgreSQL database does: commands other than `db
    # upgrade`, `register import`, `demo` refuse a missing SQLite file instead of creating one.
    (tmp_path / "ecomstat.db").touch()
    return f"sqlite:///{tmp_path / 'ecomstat.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return _sqlite_file_url(tmp_path)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for each backend: the store tests run against both."""
    if request.param == "sqlite":
        yield _sqlite_file_url(tmp_path)
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)  # only `db upgrade` migrates a server database; commands check the revision
    yield url
    _truncate_all(engine)
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    require_service(_port_open("127.0.0.1", 6379), "Redis at 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture
def chromium_path() -> str:
    require_service(shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture
def shared_data() -> Path:
    """../shared/data for data-hungry tests; skipped where the folder is absent (not in CI)."""
    if not SHARED_DATA.exists():
        if IN_CI:
            pytest.fail(f"{SHARED_DATA} is required in CI", pytrace=False)
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA


# --- one demo run per test session, shared by the demo's test and the web application's ---

DEMO_N = 60  # enterprises of the session's demo (the web tests' figures are of this demo)
DEMO_TIMEOUT = 1200


@dataclass(frozen=True)
class DemoRun:
    out: Path  # the demo's folder (demo.db, report, sample web, data)
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`ecomstat demo --n DEMO_N` run once per test session (about 2 minutes): the demo's own
    test checks it, and the web tests serve a copy of its database. Treat the folder as read-only."""
    require_service(shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    out = tmp_path_factory.mktemp("demo-run") / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "ecomstat", "demo", "--out", str(out), "--n", str(DEMO_N), "--format", "json"],
        capture_output=True, text=True, timeout=DEMO_TIMEOUT,
        env={**os.environ, "ECOMSTAT_CHROMIUM_PATH": CHROMIUM},
    )
    return DemoRun(out, proc.returncode, proc.stdout, proc.stderr)
