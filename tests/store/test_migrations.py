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
