"""Engine and session construction for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, update
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import (ArgumentError, DBAPIError, InterfaceError, NoSuchModuleError,
                            ProgrammingError)
from sqlalchemy.orm import Session, sessionmaker

from ecomstat.store.errors import DatabaseUnavailable, DatabaseUrlError


def normalise_url(url: str) -> str:
    """Accept a bare file path or the usual URLs; map `postgresql://` to the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else parse_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (economists' queries) run while a crawl writes; foreign keys are off by
    # default in SQLite and we rely on them; busy_timeout rides out concurrent writers.
    # busy_timeout first: switching a new file to WAL takes a lock another process may hold.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


URL_HINT = "use sqlite:///PATH or postgresql://USER@HOST/DATABASE"
CREATE_HINT = "create it with `ecomstat db upgrade` or check --db / ECOMSTAT_DATABASE_URL"
_BACKENDS = {"sqlite", "postgresql"}
# A value without "://" is a SQLite file path, unless it starts like a URL whose "//" went
# missing (`sqlite:/x`, `postgresql:db`): that is a typo, not a file named "sqlite:".
_SCHEME_TYPO = re.compile(r"^(?:[a-z][a-z0-9+.-]+:/|(?:sqlite|postgres)[a-z0-9+.-]*:)", re.I)
_USERINFO = re.compile(r"(//[^/:@]*:)[^/]*@")  # //user:PASSWORD@ (to the last @ of the netloc)
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*", re.I)


def mask_url(url: str | URL) -> str:
    """`url` as the user wrote it with the password hidden (also one given as `?password=`),
    for error messages; a bare SQLite path is returned as it is."""
    if isinstance(url, URL):
        if "password" in url.query:
            url = url.update_query_dict({"password": "***"})
        return url.render_as_string(hide_password=True)
    if url[:6].lower() == "sqlite":  # a file path: no password, any "@" is the file's name
        return url
    if "://" not in url:  # a path, or a URL missing its "//" (`postgres:PASSWORD@host/db`)
        return re.sub(r":[^:/@]*@", ":***@", url, count=1) if _SCHEME_TYPO.match(url) else url
    return _QUERY_PASSWORD.sub(r"\1***", _USERINFO.sub(r"\1***@", url, count=1))


def parse_url(url: str) -> URL:
    """The checked SQLAlchemy URL of `url` (a URL or a bare SQLite path). A malformed URL, or one
    naming a database other than SQLite or PostgreSQL, raises DatabaseUrlError (exit 2)."""
    text = url.strip()
    if not text:
        raise DatabaseUrlError(f"the database URL is empty ({URL_HINT})")
    if "://" not in text and _SCHEME_TYPO.match(text):
        raise DatabaseUrlError(f"malformed database URL {mask_url(text)!r} ({URL_HINT})")
    try:
        parsed = make_url(normalise_url(text))
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise DatabaseUrlError(f"malformed database URL {mask_url(text)!r}: {exc} "
                               f"({URL_HINT})") from None
    backend = parsed.get_backend_name()
    if backend not in _BACKENDS:
        raise DatabaseUrlError(f"unknown scheme {parsed.drivername!r} in database URL "
                               f"{mask_url(text)!r} ({URL_HINT})")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise DatabaseUrlError(f"malformed database URL {mask_url(text)!r}: port {parsed.port} is "
                               f"not between 1 and 65535 ({URL_HINT})")
    if backend == "sqlite" and (parsed.host or parsed.username or parsed.port):
        # sqlite://x.db (two slashes) names a host: SQLAlchemy would refuse it at first connect
        raise DatabaseUrlError(f"malformed SQLite URL {mask_url(text)!r} "
                               "(use sqlite:///relative.db or sqlite:////absolute/path.db)")
    return parsed


def sqlite_path(parsed: URL) -> Path | None:
    """The file behind a SQLite URL; None for an in-memory database or a `file:` URI."""
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(database)


def make_engine(
    url: str, *, read_only: bool = False, create: bool = True, **kwargs: Any
) -> Engine:
    """Build an engine for `url`. `read_only` opens SQLite with mode=ro and PostgreSQL sessions
    with default_transaction_read_only, so the database itself refuses writes. `create=False`
    (and `read_only`) refuse a SQLite file that does not exist instead of creating an empty
    database there (the command line passes it for every command but the few that make a
    database: a misspelt --db must not yield an empty store). Connection failures surface as
    one DatabaseUnavailable/DatabaseUrlError naming the URL, password hidden (see `_on_error`)."""
    shown = mask_url(url)
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        if not path.exists():
            if read_only or not create:
                raise DatabaseUnavailable(f"no database at {path.resolve()}; {CREATE_HINT}")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(f"cannot create a database at {path.resolve()}: "
                                          f"{exc.strerror or exc}") from None
        if read_only:
            parsed = make_url(f"sqlite:///file:{path}?mode=ro&uri=true")
    connect_args = dict(kwargs.pop("connect_args", {}))
    if read_only and parsed.get_backend_name() == "postgresql":
        connect_args["options"] = "-c default_transaction_read_only=on"
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    try:
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
    except (NoSuchModuleError, ImportError, ArgumentError) as exc:  # e.g. a driver not installed
        raise DatabaseUrlError(f"cannot use database URL {shown}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas if not read_only else _sqlite_ro_pragmas)
    event.listen(engine, "handle_error", _on_error(shown, parsed.password))
    return engine


def _on_error(shown: str, password: str | None) -> Callable[[ExceptionContext], None]:
    """A failure to open a connection (wrong host, port, database, role, password, socket; an
    unreadable SQLite file) becomes one error naming the URL; errors of statements, and the
    pool's own pre-ping (which reconnects), pass through unchanged."""

    def handle(context: ExceptionContext) -> None:
        error = context.sqlalchemy_exception
        if context.connection is not None or context.is_pre_ping:
            return
        if not isinstance(error, DBAPIError):
            return
        raise connection_error(shown, error, password) from None

    return handle


def connection_error(shown: str, error: DBAPIError, password: str | None = None) -> Exception:
    """The one-line error for a failed connection to the database `shown` (masked URL):
    a bad connection option is the URL's fault (exit 2), anything else the database's (exit 1)."""
    reason = connect_reason(error.orig if error.orig is not None else error)
    if password and len(password) >= 4:  # drivers do not echo it; hide it should one ever do
        reason = reason.replace(password, "***")
    if isinstance(error, (ProgrammingError, InterfaceError)):  # e.g. psycopg's "invalid dsn"
        return DatabaseUrlError(f"cannot use database URL {shown}: {reason}")
    return DatabaseUnavailable(f"cannot connect to {shown}: {reason}")


_SOCKET = re.compile(r'on socket "([^"]+)"')
_FAILED = re.compile(r".*\bfailed:\s*(?:FATAL:\s*)?(.+)$")  # the last "failed:" of the line


def connect_reason(error: BaseException) -> str:
    """What failed, from a driver's connection error: `connection refused`, `database "x" does
    not exist`, `role "x" does not exist`, `password authentication failed for user "x"`, ...
    (libpq prefixes each attempt with `connection to server at ... failed:`)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in lines:
        found = _FAILED.search(line)
        if found:
            socket = _SOCKET.search(line)  # name the socket: the URL shows only its directory
            where = f" (socket {socket.group(1)})" if socket else ""
            return _lower_first(found.group(1).strip()) + where
    if not lines:
        return type(error).__name__
    return _lower_first(lines[0].removeprefix("connection failed:").strip())


def _lower_first(text: str) -> str:
    # "Connection refused" -> "connection refused"; leave "FATAL", "SSL" and quoted names alone
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def connect_check(engine: Engine) -> None:
    """Open one connection now, so an unreachable or missing database fails at the start of a
    command with one line rather than in the middle of it. Engines from `make_engine` translate
    the failure themselves; others are translated here."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise connection_error(mask_url(engine.url), exc, engine.url.password) from None


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
