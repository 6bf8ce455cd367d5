"""PostgreSQL reader roles: the economists' door to a shared results database.

An office hands economists the URL of a reader role, never the owner's: the role can log in,
read the documented views and tables (and the schema revision ecomstat checks) and nothing else, is no superuser, cannot create roles or
databases, is a member of no role (explicitly not of pg_read_server_files,
pg_write_server_files, pg_execute_server_program, so no COPY to or from server files or
programs), and its sessions start read-only. `ecomstat query`'s parser and read-only
transaction stand in front of it; the role holds even for someone connecting with psql.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import Engine

from ecomstat.errors import BadInput
from ecomstat.store.errors import StoreError
from ecomstat.store.query import PG_MAX_TIMEOUT_MS
from ecomstat.store.views import CURRENT_VIEWS

# The tables the README documents for economists (not apscheduler_jobs, the scheduler's
# job store).
READER_TABLES = (
    "enterprise", "register_snapshot", "website", "crawl_run", "site_visit", "page", "product",
    "model", "classification", "audit_label", "indicator_value", "validation_finding",
    "campaign", "campaign_run", "enterprise_wave", "wave_change", "indicator_change",
    "validation_wave",
)
READER_VIEWS = tuple(CURRENT_VIEWS)
# Read by ecomstat itself: every command checks the schema revision before it runs.
SCHEMA_TABLE = "alembic_version"
SERVER_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")

# Defaults of the reader's sessions, psql included (a session may lower or raise its own
# statement_timeout; these guard a shared server against a forgotten query or transaction):
DEFAULT_STATEMENT_TIMEOUT_S = 600  # a statement runs at most 10 minutes (0: no limit)
IDLE_IN_TRANSACTION_TIMEOUT_S = 900  # an open transaction left idle holds back VACUUM
_PG_MAX_TIMEOUT_S = PG_MAX_TIMEOUT_MS // 1000  # the settings are int4 milliseconds

# Lower-case SQL identifiers only: no quoting surprises, no case-folding surprises in psql.
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class ReaderRole:
    role: str
    created: bool  # False: an existing role was updated
    url: str  # the URL to hand to economists, password masked
    password_set: bool
    views: tuple[str, ...]
    tables: tuple[str, ...]
    statement_timeout_s: float = DEFAULT_STATEMENT_TIMEOUT_S


def check_role_name(role: str) -> str:
    if not _ROLE_NAME.fullmatch(role) or role.startswith("pg_"):
        raise BadInput(f"role name {role!r} is not allowed: use 1-63 lower-case letters, digits "
                       "and _, starting with a letter or _ and not with pg_")
    return role


_NO_ROLES = ("SQLite has no roles: db create-reader needs a PostgreSQL database "
             "(a SQLite file is protected by its file permissions)")


def refuse_sqlite(url: str) -> None:
    """BadInput for a SQLite URL, before any file is opened (a malformed URL is left to
    make_engine, which names what is wrong)."""
    from sqlalchemy.exc import ArgumentError

    from ecomstat.store.engine import is_sqlite

    try:
        sqlite = is_sqlite(url)
    except (ArgumentError, ValueError):
        return
    if sqlite:
        raise BadInput(_NO_ROLES)


def check_statement_timeout(seconds: float) -> float:
    if not math.isfinite(seconds) or not 0 <= seconds <= _PG_MAX_TIMEOUT_S:
        raise BadInput(f"the statement timeout is a number of seconds from 0 (no limit) to "
                       f"{_PG_MAX_TIMEOUT_S}, got {seconds}")
    return seconds


def create_reader(engine: Engine, role: str, password: str | None = None, *,
                  statement_timeout_s: float = DEFAULT_STATEMENT_TIMEOUT_S) -> ReaderRole:
    """Create or update the LOGIN role `role` with SELECT on the documented views and tables
    only (idempotent). `password` None keeps the role's password (a new role gets none).
    The role's sessions default to read-only transactions, `statement_timeout_s` per statement
    (0: none) and IDLE_IN_TRANSACTION_TIMEOUT_S for a transaction left open."""
    if engine.dialect.name != "postgresql":
        raise BadInput(_NO_ROLES)
    check_role_name(role)
    check_statement_timeout(statement_timeout_s)
    if password is not None and (not password or "\x00" in password):
        raise BadInput("the password is empty or contains a NUL character")
    import psycopg

    try:
        return _create_reader(engine, role, password, statement_timeout_s)
    except psycopg.Error as exc:  # e.g. the URL's role may not create roles: one line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot create or update the reader role {role}: {message}") from None


def _create_reader(engine: Engine, role: str, password: str | None,
                   statement_timeout_s: float) -> ReaderRole:
    from psycopg import sql

    wanted = READER_TABLES + READER_VIEWS + (SCHEMA_TABLE,)
    with engine.begin() as connection:
        raw = connection.connection.dbapi_connection
        cur = raw.cursor()
        cur.execute("SELECT current_user, current_database(), current_schema()")
        owner, database, schema = cur.fetchone()
        if role == owner:
            raise BadInput(f"{role} is the role of this database URL (the owner); "
                           "choose another name for the reader")
        cur.execute("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication "
                    "OR rolbypassrls, oid FROM pg_roles WHERE rolname = %s", (role,))
        existing = cur.fetchone()
        if existing and existing[0]:
            raise BadInput(f"role {role} exists with administrator rights; refusing to turn it "
                           "into a reader: choose another name")
        if existing:
            cur.execute("SELECT count(*) FROM pg_class WHERE relowner = %s", (existing[1],))
            if cur.fetchone()[0]:
                raise BadInput(f"role {role} owns tables or views in this database; "
                               "choose another name for the reader")
        cur.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = ANY(%s)",
                    (schema, list(wanted)))
        missing = sorted(set(wanted) - {name for (name,) in cur.fetchall()})
        if missing:
            raise StoreError(f"the database lacks {', '.join(missing)}: run `ecomstat db upgrade`")

        ident = sql.Identifier(role)
        attributes = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                             "NOBYPASSRLS NOINHERIT")
        verb = "ALTER" if existing else "CREATE"
        cur.execute(sql.SQL(verb + " ROLE {} {}").format(ident, attributes))
        if password is not None:
            # Hashed here (libpq, the server's password_encryption), so the clear password
            # never reaches the server's statement log.
            hashed = raw.pgconn.encrypt_password(password.encode(), role.encode()).decode()
            cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(hashed)))
        cur.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))
        for setting, seconds in (("statement_timeout", statement_timeout_s),
                                 ("idle_in_transaction_session_timeout",
                                  IDLE_IN_TRANSACTION_TIMEOUT_S)):
            cur.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(
                ident, sql.Identifier(setting), sql.Literal(round(seconds * 1000))))
        # Member of no role: the three server-file roles by name, then whatever else remains.
        for server_role in SERVER_ROLES:
            cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(server_role), ident))
        cur.execute("SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                    " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s", (role,))
        for (group,) in cur.fetchall():
            cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), ident))
        # SELECT on the documented relations and nothing else in the schema (re-runs included).
        nsp = sql.Identifier(schema)
        cur.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(nsp, ident))
        cur.execute(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(nsp, ident))
        cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(nsp, ident))
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(nsp, ident))
        cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), ident))
        cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(
            sql.SQL(", ").join(sql.Identifier(schema, name) for name in wanted), ident))
    url = engine.url.set(drivername="postgresql", username=role,
                         password="x" if password is not None else None)
    return ReaderRole(role=role, created=not existing, password_set=password is not None,
                      url=url.render_as_string(hide_password=True), views=READER_VIEWS,
                      tables=READER_TABLES, statement_timeout_s=statement_timeout_s)
