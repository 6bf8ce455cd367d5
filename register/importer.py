"""Import a business-register CSV into the store, all or nothing.

One streaming pass: every row is validated, and while no row has failed, valid rows are written
in batches (Core executemany, dialect `INSERT ... ON CONFLICT`) inside ONE explicit transaction.
The first invalid row stops the writing; validation goes on to the end so the user sees every
problem (the first 20 and a count), then the transaction rolls back. Memory stays bounded: one
batch, plus the ids seen with their line (to catch and name duplicate ids), plus a 64 MB SQLite
page cache: a million-row import peaks at ~360 MB RSS, ~390 MB for a re-import, at ~40k rows per
CPU-second into SQLite (bench/bench_register_import.py). A large first import into SQLite drops
the secondary indexes and rebuilds them before commit, inside the same transaction.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import operator
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from register.csvsniff import scan_file, sniff_delimiter
from register.errors import InvalidRegister, InvalidRows, RegisterError, SnapshotLabelTaken
from register.header import HeaderLayout, resolve_header
from register.mapping import ColumnMapping, check_delimiter, check_encoding, load_mapping
from register.validate_rows import RECORD_COLUMNS, RowValidator, record_tuple
from store.models import Enterprise, RegisterSnapshot
from store.models import Website as WebsiteRow

MAX_SHOWN_PROBLEMS = 20
# Rows per executemany: large batches amortise the per-batch work (existing-row lookup, the
# statement round trip); 50k records are ~30 MB.
BATCH_SIZE = 50_000
# Ids per `IN (...)` list: below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
IN_CHUNK = 5000
# SQLite page cache during an import (KiB, negative = size in KiB): the id index of a
# million-row register no longer fits the 2 MB default.
SQLITE_CACHE_KIB = 64 * 1024
SAMPLE_CHARS = 64 * 1024

ENTERPRISE = Enterprise.__table__
WEBSITE = WebsiteRow.__table__
SNAPSHOT = RegisterSnapshot.__table__
# Columns compared to decide whether a re-imported enterprise changed: the record after its id.
DATA_COLUMNS = RECORD_COLUMNS[1:]
WRITTEN_COLUMNS = (*RECORD_COLUMNS, "snapshot_id", "updated_at")
WEBSITE_COLUMNS = ("url", "domain", "enterprise_id", "found_by", "status", "created_at")

ProgressCallback = Callable[[int, int], None]  # (bytes read, file size)


@dataclass
class ImportSummary:
    file: str
    snapshot_id: int
    snapshot: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    not_in_file: int  # enterprises already stored that this file does not list
    websites_added: int
    encoding: str
    delimiter: str
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _dialect_insert(conn: Connection) -> Any:
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise RegisterError(f"register import supports SQLite and PostgreSQL, not {name}")


class _DriverStatement:
    """A Core statement compiled once to the driver's SQL; `execute_many` hands a batch of
    record tuples (in `columns` order) straight to the DBAPI's executemany (SQLAlchemy's
    per-row parameter processing cost about a fifth of an import). sqlite3 binds positional
    tuples twice as fast as dicts; drivers with named parameters (psycopg) get dicts."""

    def __init__(self, conn: Connection, statement: Any, columns: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=conn.dialect)
        self.sql = str(compiled)
        order = compiled.positiontup
        self.convert: Callable[[list[tuple[Any, ...]]], list[Any]] | None
        if order is None:
            self.convert = lambda rows: [dict(zip(columns, row)) for row in rows]
        elif tuple(order) == columns:
            self.convert = None
        else:
            reorder = operator.itemgetter(*(columns.index(name) for name in order))
            self.convert = lambda rows: list(map(reorder, rows))

    def execute_many(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        params = self.convert(rows) if self.convert is not None else rows
        # The DBAPI cursor of the connection's own transaction: even exec_driver_sql adds
        # ~25% to a batch.
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(self.sql, params)
        finally:
            cursor.close()


class _Writer:
    """Batched upserts of enterprises and register websites on one connection."""

    def __init__(self, conn: Connection, snapshot_id: int, now: dt.datetime) -> None:
        self.conn = conn
        self.snapshot_id = snapshot_id
        updated_at = ENTERPRISE.c.updated_at.type
        to_driver = updated_at.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        self.now = to_driver(now) if to_driver is not None else now  # what the driver stores
        self.tail = (snapshot_id, self.now)  # appended to each written record
        self.sqlite = conn.dialect.name == "sqlite"
        self.placeholder = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        dialect_insert = _dialect_insert(conn)
        # Only look for existing rows when there can be any (skips a query per batch on a
        # first import).
        self.table_had_rows = bool(conn.scalar(select(ENTERPRISE.c.id).limit(1)))
        written = WRITTEN_COLUMNS[1:]
        statement = dialect_insert(ENTERPRISE).values({c: bindparam(c) for c in WRITTEN_COLUMNS})
        if self.table_had_rows or not self.sqlite:
            # PostgreSQL keeps the upsert even into an empty table: another session may be
            # importing concurrently (SQLite's write lock, taken by the snapshot row, rules
            # that out there).
            statement = statement.on_conflict_do_update(
                index_elements=[ENTERPRISE.c.id],
                set_={c: statement.excluded[c] for c in written},
            )
        self.upsert = _DriverStatement(conn, statement, WRITTEN_COLUMNS)
        self.add_websites = _DriverStatement(conn, dialect_insert(WEBSITE).values(
            {c: bindparam(c) for c in WEBSITE_COLUMNS}
        ).on_conflict_do_nothing(index_elements=[WEBSITE.c.url]), WEBSITE_COLUMNS)
        self.inserted = self.updated = self.unchanged = 0
        self.dropped_indexes: list[str] = []  # CREATE INDEX statements to run before commit

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

    def write(self, records: list[tuple[Any, ...]], websites: list[tuple[Any, ...]]) -> None:
        """Write a batch of records (RECORD_COLUMNS tuples) and website rows (WEBSITE_COLUMNS
        tuples)."""
        tail = self.tail
        if not self.table_had_rows:
            self.inserted += len(records)
            self.upsert.execute_many(self.conn, [record + tail for record in records])
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
            changed.append(record + tail)
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


def _unique_label(conn: Connection, wanted: str | None, path: Path, now: dt.datetime) -> str:
    if wanted is not None:
        label = wanted.strip()
        if not label or len(label) > 200:
            raise InvalidRegister("--snapshot label must be 1 to 200 characters")
        if conn.scalar(select(SNAPSHOT.c.id).where(SNAPSHOT.c.label == label)) is not None:
            raise SnapshotLabelTaken(
                f"register snapshot {label!r} already exists; choose another --snapshot label"
            )
        return label
    base = f"{path.stem[:170]}-{now:%Y%m%dT%H%M%SZ}"
    label, n = base, 1
    while conn.scalar(select(SNAPSHOT.c.id).where(SNAPSHOT.c.label == label)) is not None:
        n += 1
        label = f"{base}-{n}"
    return label


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while streaming: the loop makes millions of short-lived
    tuples and no reference cycles, and the collector's passes over them cost ~10% of an
    import. Reference counting still frees every batch, so memory stays bounded."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def _sqlite_cache(conn: Connection) -> Iterator[None]:
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


def _problem_text(source: str, line: int, column: str | None, message: str) -> str:
    where = f"{source}, line {line}" + (f", column {column}" if column else "")
    return f"{where}: {message}"


def import_register(
    engine: Engine,
    path: Path | str,
    *,
    mapping: ColumnMapping | Path | str | None = None,
    snapshot: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    batch_size: int = BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Validate every row of the register CSV at `path` and, if all are valid, upsert them as
    a new register snapshot. Raises `InvalidRegister` (or a subclass) and writes nothing when
    the file, the mapping or any row is invalid."""
    started = time.perf_counter()
    path = Path(path)
    source = str(path)
    if mapping is None:
        mapping = ColumnMapping()
    elif not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    encoding = check_encoding(encoding, "--encoding") if encoding else mapping.encoding
    delimiter = check_delimiter(delimiter, "--delimiter") if delimiter else mapping.delimiter

    facts = scan_file(path, encoding)
    with open(path, encoding=facts.encoding, newline="") as handle:
        sample = handle.read(SAMPLE_CHARS)
    delimiter = delimiter or sniff_delimiter(sample) or ","

    now = dt.datetime.now(dt.timezone.utc)
    with open(path, encoding=facts.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        except csv.Error as exc:
            raise InvalidRegister(f"{source}, line {reader.line_num}: {exc}") from None
        if header is None:
            raise InvalidRegister(f"{source} is empty")
        layout = resolve_header(header, mapping, source, delimiter)
        validator = RowValidator(layout.index, mapping)
        try:
            with engine.begin() as conn:
                label = _unique_label(conn, snapshot, path, now)
                snapshot_id = conn.execute(
                    insert(SNAPSHOT).values(
                        label=label, source_file=str(path.resolve()),
                        source_sha256=facts.sha256, imported_at=now,
                    )
                ).inserted_primary_key[0]
                websites_before = conn.scalar(select(func.count()).select_from(WEBSITE)) or 0
                writer = _Writer(conn, snapshot_id, now)
                with _sqlite_cache(conn), _gc_paused():
                    rows = _stream_rows(
                        reader, handle, layout, validator, writer, source, batch_size,
                        facts.size, on_progress,
                    )
                conn.execute(
                    update(SNAPSHOT).where(SNAPSHOT.c.id == snapshot_id).values(
                        rows=rows, inserted=writer.inserted, updated=writer.updated
                    )
                )
                not_in_file = conn.scalar(
                    select(func.count()).select_from(ENTERPRISE).where(
                        (ENTERPRISE.c.snapshot_id != snapshot_id)
                        | ENTERPRISE.c.snapshot_id.is_(None)
                    )
                ) or 0
                websites_added = (
                    conn.scalar(select(func.count()).select_from(WEBSITE)) or 0
                ) - websites_before
        except IntegrityError as exc:
            if "label" in str(exc.orig):  # another import took the label meanwhile
                raise SnapshotLabelTaken(f"register snapshot {label!r} already exists") from None
            raise
    return ImportSummary(
        file=source, snapshot_id=snapshot_id, snapshot=label, rows=rows,
        inserted=writer.inserted, updated=writer.updated, unchanged=writer.unchanged,
        not_in_file=not_in_file, websites_added=websites_added, encoding=facts.encoding,
        delimiter=delimiter, ignored_columns=layout.ignored,
        seconds=round(time.perf_counter() - started, 3),
    )


def _stream_rows(
    reader: Any,
    handle: Any,
    layout: HeaderLayout,
    validator: RowValidator,
    writer: _Writer,
    source: str,
    batch_size: int,
    size: int,
    on_progress: ProgressCallback | None,
) -> int:
    """Validate every row, write batches while all rows so far are valid; returns the number
    of rows, or raises `InvalidRows` (the caller's transaction then rolls back).

    The loop is the hot path of a million-row import: rows go through the validator's fast
    path (one call, tuples, no per-row dicts); only rows it declines go through the full
    validator, which words the problems."""
    shown: list[str] = []
    total_problems = 0
    bad_rows = 0
    first_line: dict[str, int] = {}  # id -> line, to name both lines of a duplicate id
    records: list[tuple[Any, ...]] = []
    websites: list[tuple[Any, ...]] = []
    labels = layout.labels
    width = layout.width
    fast = validator.fast
    seen = first_line.setdefault
    add_record, add_website = records.append, websites.append
    site_tail = ("register", "candidate", writer.now)
    rows = 0
    last_line = reader.line_num  # the line the previous row ended on

    def report(line: int, column: str | None, message: str) -> None:
        nonlocal total_problems
        total_problems += 1
        if len(shown) < MAX_SHOWN_PROBLEMS:
            shown.append(_problem_text(source, line, column, message))

    try:
        for raw in reader:
            start_line = last_line + 1  # a quoted value may span lines: report the first
            last_line = reader.line_num
            if not any(raw):  # blank line, or only delimiters (spreadsheet exports end so)
                continue
            rows += 1
            if len(raw) != width:
                if len(raw) < width or any(cell.strip() for cell in raw[width:]):
                    bad_rows += 1
                    report(start_line, None, f"has {len(raw)} fields, the header has {width}")
                    continue
                del raw[width:]  # empty fields after the last column (trailing delimiters)
            result = fast(raw)
            if result is not None:
                record, site = result
                ident = record[0]
                if seen(ident, start_line) != start_line:
                    result = None  # a duplicate id: the full path below names both lines
            if result is None:
                full, website, problems = validator(raw)
                ident = full["id"]
                if ident:
                    first = seen(ident, start_line)
                    if first != start_line:
                        problems.append(("id", f"duplicate id {ident!r} (first on line {first})"))
                if problems:
                    bad_rows += 1
                    for column, message in problems:
                        report(start_line, labels[column], message)
                    continue
                record = record_tuple(full)
                site = (website.url, website.domain) if website is not None else None
            if total_problems:
                continue  # nothing will be written; keep validating to report every problem
            add_record(record)
            if site is not None:
                add_website((*site, ident, *site_tail))
            if len(records) >= batch_size:
                writer.drop_secondary_indexes()
                writer.write(records, websites)
                records.clear()
                websites.clear()
                if on_progress is not None:
                    on_progress(handle.buffer.tell(), size)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InvalidRegister(
                f"{source}, line {last_line + 1}: a quoted value is never closed"
            ) from None
        raise InvalidRegister(f"{source}, line {reader.line_num}: {exc}") from None
    if total_problems:
        more = total_problems - len(shown)
        shown.append(
            f"{source}: {total_problems} problem{'s' if total_problems != 1 else ''} in "
            f"{bad_rows} of {rows} rows"
            + (f" ({more} more not shown)" if more > 0 else "")
            + "; nothing was imported"
        )
        raise InvalidRows("\n".join(shown), shown[:-1], total_problems)
    if rows == 0:
        raise InvalidRegister(f"{source} has a header but no rows")
    if records:
        writer.write(records, websites)
    writer.finish()
    if on_progress is not None:
        on_progress(size, size)
    return rows
