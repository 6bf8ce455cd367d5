"""The migrations and the ORM models describe the same schema, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from store import current_revision, head_revision
from store.models import Base
from store.views import VIEWS


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
    "0002_views.py": "77b26dce6be63655b1c9780ea6c545c2f7db0466d2cca6408f9ea3b175a9f39d",
}


def test_released_revisions_are_never_edited() -> None:
    import hashlib

    from store.migrate import MIGRATIONS_DIR

    changed = [name for name, digest in RELEASED.items()
               if hashlib.sha256((MIGRATIONS_DIR / "versions" / name).read_bytes()).hexdigest() != digest]
    assert not changed, f"released migrations edited (add a new revision instead): {changed}"
