"""One idempotent write for every component: INSERT ... ON CONFLICT (natural key) DO UPDATE on
SQLite and PostgreSQL alike (both dialects support it), atomic where a select-then-insert races
with a concurrent writer."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(session: Session, model: Any, rows: Sequence[dict[str, Any]], keys: Sequence[str],
           update_columns: Sequence[str] | None = None) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE on SQLite and PostgreSQL alike, executed as one
    executemany of a statement compiled once (so a batch costs one round of binds, not a new
    multi-row statement per batch size)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    columns = tuple(rows[0])
    updates = tuple(update_columns if update_columns is not None else
                    [name for name in columns if name not in keys])
    statement = _upsert_statement(dialect, model, tuple(keys), columns, updates)
    session.execute(statement, [dict(row) for row in rows])


@lru_cache(maxsize=64)
def _upsert_statement(dialect: str, model: Any, keys: tuple[str, ...], columns: tuple[str, ...],
                      updates: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model.__table__)
    if updates:
        return statement.on_conflict_do_update(
            index_elements=list(keys), set_={name: statement.excluded[name] for name in updates})
    return statement.on_conflict_do_nothing(index_elements=list(keys))
