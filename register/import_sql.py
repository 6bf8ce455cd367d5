"""Batch INSERT statements for the register import, prepared once per import.

A statement writes rows given as tuples (in `columns` order) plus per-import constants (the
snapshot id, timestamps) into a table, through the DBAPI cursor of the import's transaction
(SQLAlchemy's per-row parameter processing cost about a fifth of an import).

- SQLite: multi-row `INSERT ... VALUES (...), (...)`, ROWS_PER_STATEMENT rows a statement, with
  the constants written into the SQL as literals. Per row, that saves the statement start-up
  (opening the table and index cursors) and two bound parameters: ~22% fewer instructions
  than one row per execution (measured with callgrind on the enterprise insert).
- PostgreSQL: the batch is COPYed into a temporary table, then one `INSERT ... SELECT` moves
  it into the table with the same ON CONFLICT clause: one statement per batch instead of one
  per row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy import (
    Column, Connection, MetaData, Table, bindparam, literal, literal_column, select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from ecomstat.register.errors import RegisterError

ROWS_PER_STATEMENT = 50  # 900 parameters for enterprises: below every SQLite's limit (999)

# Adds the ON CONFLICT clause (or nothing) to an insert.
OnConflict = Callable[[Any], Insert]


class BatchStatement(Protocol):
    def execute_many(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None: ...


def batch_statement(
    conn: Connection, table: Table, columns: tuple[str, ...], constants: Mapping[str, Any],
    on_conflict: OnConflict,
) -> BatchStatement:
    """The statement writing `columns` from each row and `constants` (column -> value as the
    driver stores it) on every row into `table`. Every column with a default must be in one or
    the other: a default would add a parameter no row supplies (refused here)."""
    name = conn.dialect.name
    if name == "sqlite":
        return _SqliteRows(conn, table, columns, constants, on_conflict)
    if name == "postgresql":
        return _PostgresCopy(conn, table, columns, constants, on_conflict)
    raise RegisterError(f"register import supports SQLite and PostgreSQL, not {name}")


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RegisterError(f"cannot write {value!r} into SQL as a literal")
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


class _SqliteRows:
    def __init__(
        self, conn: Connection, table: Table, columns: tuple[str, ...],
        constants: Mapping[str, Any], on_conflict: OnConflict,
    ) -> None:
        fixed = {c: literal_column(_sql_literal(v)) for c, v in constants.items()}
        self.single, self.multi = (
            self._compile(conn, table, columns, fixed, on_conflict, rows)
            for rows in (1, ROWS_PER_STATEMENT)
        )

    @staticmethod
    def _compile(
        conn: Connection, table: Table, columns: tuple[str, ...], fixed: dict[str, Any],
        on_conflict: OnConflict, rows: int,
    ) -> str:
        values = [{**{c: bindparam(f"{c}_{i}") for c in columns}, **fixed} for i in range(rows)]
        compiled = on_conflict(sqlite.insert(table).values(values)).compile(dialect=conn.dialect)
        expected = [f"{c}_{i}" for i in range(rows) for c in columns]
        if list(compiled.positiontup or ()) != expected:
            raise RegisterError(
                f"import statement binds {compiled.positiontup}, not the {expected[:len(columns)]}"
                " of each row (a column with a default left out of the constants?)"
            )
        return str(compiled)

    def execute_many(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        size = ROWS_PER_STATEMENT
        full = len(rows) - len(rows) % size
        flat = itertools.chain.from_iterable
        cursor = conn.connection.cursor()
        try:
            if full:
                cursor.executemany(
                    self.multi, [tuple(flat(rows[i:i + size])) for i in range(0, full, size)]
                )
            if full < len(rows):
                cursor.executemany(self.single, rows[full:])
        finally:
            cursor.close()


class _PostgresCopy:
    def __init__(
        self, conn: Connection, table: Table, columns: tuple[str, ...],
        constants: Mapping[str, Any], on_conflict: OnConflict,
    ) -> None:
        defaulted = {c.name for c in table.c if c.default is not None and not c.primary_key}
        if not defaulted <= {*columns, *constants}:
            raise RegisterError(
                f"import statement binds {[*columns, *constants]} and leaves "
                f"{sorted(defaulted - {*columns, *constants})} to their defaults"
            )
        # Same column types as the table, no constraints or defaults; dropped at commit (and
        # never created if the transaction rolls back).
        self.staging = f"import_{table.name}"
        listed = ", ".join(f'"{c}"' for c in columns)
        conn.exec_driver_sql(
            f'CREATE TEMPORARY TABLE "{self.staging}" ON COMMIT DROP AS '
            f'SELECT {listed} FROM "{table.name}" WITH NO DATA'
        )
        self.copy_sql = f'COPY "{self.staging}" ({listed}) FROM STDIN'
        staging = Table(self.staging, MetaData(), *(Column(c, table.c[c].type) for c in columns))
        source = select(
            *staging.c, *(literal(v, table.c[c].type).label(c) for c, v in constants.items())
        )
        # A temporary table is never scanned in parallel, so the SELECT returns the rows in
        # COPY (file) order: where two rows conflict, the first in the file is the one kept.
        self.move = on_conflict(
            postgresql.insert(table).from_select([*columns, *constants], source)
        )

    def execute_many(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        conn.execute(self.move)
        conn.exec_driver_sql(f'TRUNCATE "{self.staging}"')
