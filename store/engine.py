"""Engine and session construction for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from store.errors import StoreError


def normalise_url(url: str) -> str:
    """Accept a bare file path or the usual URLs; map `postgresql://` to the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(normalise_url(url_or_engine))
    return url.get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (economists' queries) run while a crawl writes; foreign keys are off by
    # default in SQLite and we rely on them; busy_timeout rides out concurrent writers.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """Build an engine for `url`. `read_only` opens SQLite with mode=ro and PostgreSQL sessions
    with default_transaction_read_only, so the database itself refuses writes."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            path = Path(database)
            if read_only and not path.exists():
                raise StoreError(f"database file {path} does not exist")
            path.parent.mkdir(parents=True, exist_ok=True)
            if read_only:
                url = f"sqlite:///file:{path}?mode=ro&uri=true"
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas if not read_only else _sqlite_ro_pragmas)
        return engine
    connect_args = dict(kwargs.pop("connect_args", {}))
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, **kwargs)


def _sqlite_ro_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def lock_row(session: Session, column: Any, row_id: int) -> bool:
    """Take the write lock of the row `row_id` of `column`'s table before reading what the
    transaction will write back (processes that must not interleave: crawl shards finishing a
    batch, schedulers claiming a campaign). A no-op UPDATE of `column` does it on both stores: a
    row lock on PostgreSQL, and on SQLite the database write lock, waited for (busy_timeout)
    because nothing was read before it. False when there is no such row."""
    table = column.class_
    result = session.execute(update(table).where(table.id == row_id).values({column: column}))
    return bool(result.rowcount)


@contextlib.contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One explicit transaction: commit on success, roll back everything on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session
