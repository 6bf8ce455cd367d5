"""Write validated register batches into the store, on the importer's one connection.

Batched upserts of enterprises and register websites (register/import_sql.py), an existing-row
comparison on re-imports (unchanged enterprises only get the new snapshot id), and for a large
first import into SQLite the secondary indexes are dropped and rebuilt before commit, inside
the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, select

from ecomstat.register.import_sql import batch_statement
from ecomstat.register.validate_rows import RECORD_COLUMNS
from ecomstat.store.models import Enterprise
from ecomstat.store.models import Website as WebsiteRow

# Ids per `IN (...)` list: below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
IN_CHUNK = 5000
# SQLite page cache during an import (KiB): the id index of a million-row register no longer
# fits the 2 MB default; 256 MB measured no faster.
SQLITE_CACHE_KIB = 64 * 1024

ENTERPRISE = Enterprise.__table__
WEBSITE = WebsiteRow.__table__
# Columns compared to decide whether a re-imported enterprise changed: the record after its id.
DATA_COLUMNS = RECORD_COLUMNS[1:]
WRITTEN_COLUMNS = (*RECORD_COLUMNS, "snapshot_id", "updated_at")


class Writer:
    """Batched upserts of enterprises and register websites on one connection."""

    def __init__(self, conn: Connection, snapshot_id: int, now: dt.datetime) -> None:
        self.conn = conn
        self.snapshot_id = snapshot_id
        updated_at = ENTERPRISE.c.updated_at.type
        to_driver = updated_at.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        self.now = to_driver(now) if to_driver is not None else now  # what the driver stores
        self.sqlite = conn.dialect.name == "sqlite"
        self.placeholder = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        # Only look for existing rows when there can be any (skips a query per batch on a
        # first import).
        self.table_had_rows = bool(conn.scalar(select(ENTERPRISE.c.id).limit(1)))
        self.upsert = batch_statement(
            conn, ENTERPRISE, RECORD_COLUMNS,
            {"snapshot_id": snapshot_id, "updated_at": self.now}, self._enterprise_conflict,
        )
        self.add_websites = batch_statement(
            conn, WEBSITE, ("url", "domain", "enterprise_id"),
            {"found_by": "register", "status": "candidate", "created_at": self.now},
            lambda insert: insert.on_conflict_do_nothing(index_elements=[WEBSITE.c.url]),
        )
        self.inserted = self.updated = self.unchanged = 0
        self.dropped_indexes: list[str] = []  # CREATE INDEX statements to run before commit

    def _enterprise_conflict(self, statement: Any) -> Any:
        if self.table_had_rows or not self.sqlite:
            # PostgreSQL keeps the upsert even into an empty table: another session may be
            # importing concurrently (SQLite's write lock, taken by the snapshot row, rules
            # that out there).
            statement = statement.on_conflict_do_update(
                index_elements=[ENTERPRISE.c.id],
                set_={c: statement.excluded[c] for c in WRITTEN_COLUMNS[1:]},
            )
        return statement

    def _in_chunks(self, sql: str, ids: list[str], *before: Any) -> list[Any]:
        """Run `sql` (with `{}` for the placeholders of an id list) on chunks of `ids`."""
        rows: list[Any] = []
        # The DBAPI cursor: SQLAlchemy's result rows cost more than the query itself.
        cursor = self.conn.connection.cursor()
        try:
            for start in range(0, len(ids), IN_CHUNK):
                chunk = ids[start:start + IN_CHUNK]
                cursor.execute(
                    sql.format(", ".join([self.placeholder] * len(chunk))), (*before, *chunk)
                )
                if cursor.description is not None:
                    rows.extend(cursor.fetchall())
        finally:
            cursor.close()
        return rows

    def _existing(self, ids: list[str]) -> dict[str, tuple[Any, ...]]:
        if not self.table_had_rows:
            return {}
        sql = f"SELECT id, {', '.join(DATA_COLUMNS)} FROM enterprise WHERE id IN ({{}})"
        return {row[0]: row[1:] for row in self._in_chunks(sql, ids)}

    def drop_secondary_indexes(self) -> None:
        """Before a large first import into SQLite: building an index once at the end is far
        cheaper than keeping it sorted row by row. The DDL is part of the import transaction,
        so a failed import rolls the indexes back too; `finish` recreates them before commit.
        Unique indexes stay (the upserts need them)."""
        if not self.sqlite or self.table_had_rows or self.dropped_indexes:
            return
        indexes = self.conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('enterprise', 'website')"
        ).fetchall()
        websites_empty = self.conn.scalar(select(WEBSITE.c.id).limit(1)) is None
        for name, sql in indexes:
            if sql.lstrip().upper().startswith("CREATE UNIQUE"):
                continue
            if name.startswith("ix_website") and not websites_empty:
                continue
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
            self.dropped_indexes.append(sql)

    def finish(self) -> None:
        for sql in self.dropped_indexes:
            self.conn.exec_driver_sql(sql)
        self.dropped_indexes = []

    def write(self, records: list[tuple[Any, ...]], websites: list[tuple[str, str, str]]) -> None:
        """Write a batch of records (RECORD_COLUMNS tuples) and register websites ((site root,
        registered domain, enterprise id) triples)."""
        if not self.table_had_rows:
            self.inserted += len(records)
            self.upsert.execute_many(self.conn, records)
            if websites:
                self.add_websites.execute_many(self.conn, websites)
            return
        existing = self._existing([r[0] for r in records])
        changed: list[tuple[Any, ...]] = []
        same: list[str] = []
        for record in records:
            old = existing.get(record[0])
            if old is None:
                self.inserted += 1
            elif old == record[1:]:
                same.append(record[0])
                continue
            else:
                self.updated += 1
            changed.append(record)
        self.unchanged += len(same)
        if changed:
            self.upsert.execute_many(self.conn, changed)
        if same:
            self._in_chunks(
                "UPDATE enterprise SET snapshot_id = " + self.placeholder + " WHERE id IN ({})",
                same, self.snapshot_id,
            )
        if same and websites:  # an unchanged enterprise's URL was handled when it last changed
            unchanged = set(same)
            websites = [w for w in websites if w[2] not in unchanged]
        if websites:
            self.add_websites.execute_many(self.conn, websites)


@contextlib.contextmanager
def sqlite_cache(conn: Connection) -> Iterator[None]:
    """A larger SQLite page cache for the import, restored afterwards (the pooled connection
    outlives the import)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    if before is not None and before < 0 and -before >= SQLITE_CACHE_KIB:
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")
