"""Read-only SQL for economists, and exports of tables and views to CSV, JSON lines, Parquet.

Three walls, in order: the statement is parsed first and refused unless it is one plain SELECT
(store/sqlguard.py: nothing runs otherwise); it then runs in a transaction the database itself
keeps read-only (SQLite `mode=ro` + `query_only`, PostgreSQL `default_transaction_read_only`);
and on PostgreSQL economists connect as a reader role (store/readers.py). A time limit
(`ECOMSTAT_QUERY_TIMEOUT`) stops a runaway query, while it streams its rows too.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import DBAPIError, OperationalError

from ecomstat.store.engine import make_engine
from ecomstat.store.errors import ReadOnlyViolation, StoreError
from ecomstat.store.formats import ExportFormat, spreadsheet_safe
from ecomstat.store.sqlguard import check_select
from ecomstat.errors import BadInput, ConfigurationError
from ecomstat.settings import Settings

READ_ONLY_SQL_TRANSACTION = "25006"  # PostgreSQL SQLSTATE
FETCH_BATCH = 5000
_SQLITE_PROGRESS_STEPS = 10_000  # VM instructions between two looks at the clock
PG_MAX_TIMEOUT_MS = 2_147_483_647  # statement_timeout is an int4 of milliseconds


class QueryTimeout(StoreError):
    """The query ran longer than ECOMSTAT_QUERY_TIMEOUT and was stopped."""


def query_timeout(settings: Settings) -> float:
    """ECOMSTAT_QUERY_TIMEOUT in seconds: a finite number above zero."""
    seconds = settings.getfloat("ECOMSTAT_QUERY_TIMEOUT")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError("ECOMSTAT_QUERY_TIMEOUT must be a finite number of seconds "
                                 f"above 0, got {settings['ECOMSTAT_QUERY_TIMEOUT']!r}")
    return seconds


class _TimeLimit:
    """One deadline for the whole query: running it and streaming its rows."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def error(self) -> QueryTimeout:
        return QueryTimeout(f"query stopped after {self.seconds:g} s (ECOMSTAT_QUERY_TIMEOUT)")

    def arm(self, connection: Connection, sqlite: bool) -> None:
        """Make the database stop the statement at the deadline."""
        if self.deadline is None:
            return
        if sqlite:
            deadline = self.deadline
            raw = connection.connection.dbapi_connection
            # A non-zero return interrupts the running statement ("interrupted"); it also fires
            # inside fetchmany, so streaming rows is limited too.
            raw.set_progress_handler(lambda: int(time.monotonic() >= deadline),
                                     _SQLITE_PROGRESS_STEPS)
        else:
            self.rearm(connection)

    def rearm(self, connection: Connection) -> None:
        """PostgreSQL: each FETCH is a statement of its own, so before each batch the statement
        timeout becomes the time left (our own SET LOCAL, undone with the transaction)."""
        if self.deadline is None:
            return
        left_ms = max(1, math.ceil((self.deadline - time.monotonic()) * 1000))
        connection.exec_driver_sql(
            f"SET LOCAL statement_timeout = {min(left_ms, PG_MAX_TIMEOUT_MS)}")

    def disarm(self, connection: Connection, sqlite: bool) -> None:
        if self.deadline is not None and sqlite and not connection.closed:
            connection.connection.dbapi_connection.set_progress_handler(None, 0)

    def stopped(self, exc: DBAPIError) -> bool:
        """Whether `exc` is the database stopping the statement at our deadline."""
        if self.deadline is None:
            return False
        if getattr(exc.orig, "sqlstate", None) == "57014":  # PostgreSQL query_canceled
            return True
        return str(exc.orig).strip().lower() == "interrupted" and self.expired()


def _is_write_refusal(exc: DBAPIError) -> bool:
    """The database refused a write: by error code, not message text (PostgreSQL translates
    its messages with lc_messages)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == READ_ONLY_SQL_TRANSACTION:
        return True
    code = getattr(orig, "sqlite_errorcode", None)  # extended code; the primary is its low byte
    return code is not None and code & 0xFF == sqlite3.SQLITE_READONLY


def _translated(exc: DBAPIError, limit: _TimeLimit) -> Exception:
    if limit.stopped(exc):
        return limit.error()
    if _is_write_refusal(exc):
        return ReadOnlyViolation("ecomstat query is read-only: write statements are refused")
    return BadInput(f"SQL error: {str(exc.orig).strip().splitlines()[0]}")


@contextmanager
def readonly_rows(url: str, sql: str, *, timeout: float | None = None
                  ) -> Iterator[tuple[list[str], Iterator[Sequence[Any]]]]:
    """Check `sql` (one SELECT, store/sqlguard.py), then run it on a read-only connection;
    yields (column names, row iterator). `timeout` (seconds) stops the query, streaming
    included, with QueryTimeout; None = no limit."""
    engine = make_engine(url, read_only=True)  # lazy: connects only below
    try:
        sqlite = engine.dialect.name == "sqlite"
        checked = check_select(sql, "sqlite" if sqlite else "postgres")  # refused: nothing ran
        limit = _TimeLimit(timeout)
        connection = engine.connect()
        try:
            try:
                limit.arm(connection, sqlite)
                # yield_per streams (server-side cursor on PostgreSQL) one FETCH per batch.
                # The checked SQL runs as is, with no bind-parameter parsing of its text; the
                # psycopg driver reads `%` as a placeholder, so it gets `%%` (one `%`).
                result = connection.exec_driver_sql(
                    checked if sqlite else checked.replace("%", "%%"),
                    execution_options={"yield_per": FETCH_BATCH})
                columns = list(result.keys())
            except DBAPIError as exc:
                raise _translated(exc, limit) from None
            try:
                yield columns, _batched(result, limit, connection, sqlite)
            finally:
                limit.disarm(connection, sqlite)
        finally:
            _close(connection, limit)
    finally:
        engine.dispose()


def _close(connection: Connection, limit: _TimeLimit) -> None:
    """Close (roll back) the read-only connection. Past the deadline PostgreSQL may cancel
    the ROLLBACK itself (our SET LOCAL statement_timeout lasts until the transaction ends);
    nothing was written, so the connection is dropped and the time-out is what gets reported."""
    try:
        connection.close()
    except DBAPIError:
        if not limit.expired():
            raise
        connection.invalidate()


def _batched(result: Any, limit: _TimeLimit, connection: Connection,
             sqlite: bool) -> Iterator[Sequence[Any]]:
    try:
        while True:
            if limit.expired():
                raise limit.error()
            if not sqlite:
                limit.rearm(connection)
            rows = result.fetchmany(FETCH_BATCH)
            if not rows:
                return
            yield from rows
    except DBAPIError as exc:
        raise _translated(exc, limit) from None


def relation_names(engine: Engine) -> list[str]:
    inspector = inspect(engine)
    return sorted(set(inspector.get_table_names()) | set(inspector.get_view_names()))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _cell(value: Any) -> Any:
    value = _jsonable(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def export_relation(url: str, name: str, fmt: ExportFormat | str, out: Path) -> int:
    """Write table or view `name` to `out`; returns the row count. The file appears only when
    complete (written to a temporary name, then renamed)."""
    fmt = ExportFormat(fmt)
    engine = make_engine(url)
    try:
        names = relation_names(engine)
        if name not in names:
            raise BadInput(f"no table or view named {name!r}; choose one of: {', '.join(names)}")
        declared = {column["name"]: column["type"] for column in inspect(engine).get_columns(name)}
    except OperationalError as exc:
        raise StoreError(f"cannot read the database: {exc.orig}") from None
    finally:
        engine.dispose()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    quoted = f'"{name}"'
    try:
        with readonly_rows(url, f"SELECT * FROM {quoted}") as (columns, rows):
            if fmt is ExportFormat.parquet:
                count = write_parquet(tmp, columns, rows, _arrow_types(declared, columns))
            else:
                writer = {ExportFormat.csv: write_csv, ExportFormat.json: _write_json}[fmt]
                count = writer(tmp, columns, rows)
        os.replace(tmp, out)
        return count
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]],
              cell: Callable[[Any], Any] = _cell) -> int:
    """Write a CSV file (header, then `rows` as `cell` renders each value), every cell through
    the spreadsheet-formula guard; returns the row count. `ecomstat export` and the web
    application's downloads write CSV with it."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([spreadsheet_safe(c) for c in columns])
        for row in rows:
            writer.writerow([spreadsheet_safe(cell(v)) for v in row])
            count += 1
    return count


def _write_json(path: Path, columns: list[str], rows: Iterator[Sequence[Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({c: _jsonable(v) for c, v in zip(columns, row)}, ensure_ascii=False, default=str))
            handle.write("\n")
            count += 1
    return count


def _arrow_types(declared: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """Parquet column types from the database's declared column types, so a column that is NULL
    in the first rows and integer later is still an integer column (typing from the first batch
    crashed there). Values are written as `_cell` makes them: dates as ISO text, JSON as text,
    decimals as floats. None where the database declares nothing (an expression in a SQLite
    view): typed from the first batch that has a value."""
    import pyarrow as pa

    by_python_type = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(),
                      decimal.Decimal: pa.float64()}
    types: dict[str, Any] = {}
    for column in columns:
        sql_type = declared.get(column)
        try:
            python_type = sql_type.python_type if sql_type is not None else None
        except NotImplementedError:  # NullType: nothing declared
            python_type = None
        types[column] = None if python_type is None else by_python_type.get(python_type, pa.string())
    return types


def write_parquet(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                  types: dict[str, Any] | None = None, *, cell: Callable[[Any], Any] = _cell,
                  infer: Callable[[list[Any]], Any] | None = None,
                  instead: str = "export as csv or json") -> int:
    """Write a Parquet file in batches of FETCH_BATCH rows through one writer; returns the row
    count. A column's type is `types[column]` (declared by the database), or else `infer` of its
    values in the first batch (default: pyarrow's inference, widened so later batches fit). A
    later batch that does not fit is refused with BadInput suggesting `instead`. `ecomstat export`
    and the web application's downloads write Parquet with it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [str(c) for c in columns]
    declared = types or {}
    infer = infer or (lambda values: _widened(pa.array(values).type))
    count = 0
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    batch: list[Sequence[Any]] = []

    def flush() -> None:
        nonlocal writer, schema
        if not batch:
            return
        data = {c: [cell(row[i]) for row in batch] for i, c in enumerate(names)}
        if schema is None:
            schema = pa.schema([pa.field(c, declared.get(c) or infer(data[c])) for c in names])
            writer = pq.ParquetWriter(path, schema)
        try:
            table = pa.table(data, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise BadInput(f"cannot write Parquet: a column holds values of another type than "
                           f"its first rows ({exc}); {instead}") from None
        writer.write_table(table)
        batch.clear()

    try:
        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) >= FETCH_BATCH:
                flush()
        flush()
        if writer is None:
            pq.write_table(pa.table({c: pa.array([], declared.get(c) or pa.string())
                                     for c in names}), path)
    finally:
        if writer is not None:
            writer.close()
    return count


def _widened(arrow_type: Any) -> Any:
    """A type inferred from one batch, made safe for later ones: all-null becomes text and an
    integer column a float one (an expression column may hold both)."""
    import pyarrow as pa

    if pa.types.is_null(arrow_type):
        return pa.string()
    if pa.types.is_integer(arrow_type):
        return pa.float64()
    return arrow_type
