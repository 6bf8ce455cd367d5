"""Schema migrations (Alembic), run programmatically so no alembic.ini is needed.

On a shared database only `ecomstat db upgrade` (and the demo, and a brand-new SQLite file)
migrates: every other command checks the revision with `require_current` and refuses a schema
that is older or newer than this ecomstat's, so scheduler steps and crawl workers never run
migrations, let alone concurrently. Two `db upgrade` at once on PostgreSQL take turns on an
advisory lock. Revisions are append-only: a schema change is a new revision file, and
`tests/store/test_migrations.py` fails when a released one changes.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from ecomstat.store.errors import SchemaMismatch

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: "ecomstat" as a 63-bit number, so other applications' locks on
# the same server are not taken by mistake
UPGRADE_LOCK_KEY = int.from_bytes(b"ecomstat", "big") >> 1


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        # Alembic's config is a ConfigParser: a "%" (a percent-encoded password such as p%40ss,
        # a Unix socket as ?host=%2Fvar%2Frun%2Fpostgresql) must be doubled or it is read as
        # interpolation syntax. Migrations run on the handed-over connection anyway (env.py).
        url = engine.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to `revision`; returns the revision now current."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # a second `db upgrade` waits here, then finds the schema at head and does nothing
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(engine)


def require_current(engine: Engine, *, create_fresh_sqlite: bool = True) -> None:
    """Refuse a schema this ecomstat was not written for, with what to run. A SQLite database
    with no tables at all (a new file) is given the schema: nothing shared can break there."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        if create_fresh_sqlite and engine.dialect.name == "sqlite" and not inspect(engine).get_table_names():
            upgrade(engine)
            return
        raise SchemaMismatch(f"{where} has no ecomstat schema; create it with `ecomstat db upgrade`")
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current in known:
        raise SchemaMismatch(f"the schema of {where} is at revision {current}, this ecomstat needs "
                             f"{head}: run `ecomstat db upgrade` (once, by the database's owner)")
    raise SchemaMismatch(f"the schema of {where} is at revision {current}, newer than this ecomstat "
                         f"knows ({head}): upgrade ecomstat on this machine")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
