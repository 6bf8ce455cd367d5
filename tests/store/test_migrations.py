"""The migrations and the ORM models describe the same schema, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from ecomstat.store import current_revision, head_revision
from ecomstat.store.models import Base
from ecomstat.store.views import VIEWS


def test_upgrade_reaches_head_and_matches_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_views_exist_and_are_queryable(engine: Engine) -> None:
    assert set(VIEWS) <= set(inspect(engine).get_view_names())


# Released revisions never change: a database created by an earlier release has run them
# already and would never receive the edit. A schema change is a new revision file (and a
# change to store/views.py a new revision that recreates the views). Add a new file's hash
# here when it is released.
RELEASED = {
    "0001_initial.py": "c4c15d30bc7b6a7571ec15f6ee8bde7962c739d823a7c4d3630cd1008bd1df1a",
    # re-hashed once, at the move to one import root: its import line became
    # `from ecomstat.store.views import VIEWS`; what it does to a database did not change
    "0002_views.py": "aa4f9558c67d073c4c8bd22b8b1eb9c9fc4f02393e941df75933e37c3513464a",
}


def test_released_revisions_are_never_edited() -> None:
    import hashlib

    from ecomstat.store.migrate import MIGRATIONS_DIR

    changed = [name for name, digest in RELEASED.items()
               if hashlib.sha256((MIGRATIONS_DIR / "versions" / name).read_bytes()).hexdigest() != digest]
    assert not changed, f"released migrations edited (add a new revision instead): {changed}"
