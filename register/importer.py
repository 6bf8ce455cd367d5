"""Import a business-register CSV into the store, all or nothing.

Every row is validated (register/import_rows.py), and while no row has failed, valid rows are
written in batches (register/import_writer.py: multi-row `INSERT ... ON CONFLICT` on SQLite,
COPY and `INSERT ... SELECT ... ON CONFLICT` on PostgreSQL) inside ONE explicit transaction.
The first invalid row stops the writing; validation goes on to the end so the user sees every
problem (the first 20 and a count), then the transaction rolls back.

A large file is validated in a forked worker process while this one writes, when a CPU is free
for it (register/import_worker.py); the two halves of a million-row import weigh about the
same. Memory stays bounded: a batch or two in flight, the ids seen with their line (to name
duplicate ids) in the validating process, and a 64 MB SQLite page cache. Rates and peaks:
bench/bench_register_import.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ecomstat.register.csvsniff import scan_file, sniff_delimiter
from ecomstat.register.errors import InvalidRegister, SnapshotLabelTaken
from ecomstat.register.header import HeaderLayout, resolve_header
from ecomstat.register.import_rows import Batch, RowSource, Tally, validated_batches
from ecomstat.register.import_worker import ValidationWorker, can_fork, worker_pays_off
from ecomstat.register.import_writer import ENTERPRISE, WEBSITE, Writer, sqlite_cache
from ecomstat.register.mapping import ColumnMapping, check_delimiter, check_encoding, load_mapping
from ecomstat.store.models import RegisterSnapshot

# Rows per batch: large enough to amortise the per-batch work (existing-row lookup, the
# statement round trip, the hand-over from the worker), small enough that writing starts soon
# and two batches in flight stay small (20k records are ~12 MB).
BATCH_SIZE = 20_000
SAMPLE_CHARS = 64 * 1024

SNAPSHOT = RegisterSnapshot.__table__

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


def _settle_source(
    path: Path, mapping: ColumnMapping, delimiter: str | None, encoding: str | None
) -> tuple[RowSource, str]:
    """The file with its encoding and delimiter settled, and its SHA-256."""
    encoding = check_encoding(encoding, "--encoding") if encoding else mapping.encoding
    delimiter = check_delimiter(delimiter, "--delimiter") if delimiter else mapping.delimiter
    facts = scan_file(path, encoding)
    with open(path, encoding=facts.encoding, newline="") as handle:
        sample = handle.read(SAMPLE_CHARS)
    delimiter = delimiter or sniff_delimiter(sample) or ","
    return RowSource(path, facts.encoding, delimiter, facts.size), facts.sha256


def _read_header(rows: RowSource, mapping: ColumnMapping) -> HeaderLayout:
    with rows.open() as (_handle, _reader, header):
        if header is None:
            raise InvalidRegister(f"{rows.name} is empty")
        return resolve_header(header, mapping, rows.name, rows.delimiter)


def import_register(
    engine: Engine,
    path: Path | str,
    *,
    mapping: ColumnMapping | Path | str | None = None,
    snapshot: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    batch_size: int = BATCH_SIZE,
    parallel: bool | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Validate every row of the register CSV at `path` and, if all are valid, upsert them as
    a new register snapshot. Raises `InvalidRegister` (or a subclass) and writes nothing when
    the file, the mapping or any row is invalid. `parallel` validates in a worker process
    where `fork` is available (None: when `worker_pays_off`)."""
    started = time.perf_counter()
    path = Path(path)
    if mapping is None:
        mapping = ColumnMapping()
    elif not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    rows, sha256 = _settle_source(path, mapping, delimiter, encoding)
    layout = _read_header(rows, mapping)
    parallel = worker_pays_off(rows.size) if parallel is None else parallel and can_fork()
    tally = Tally()
    with contextlib.ExitStack() as stack:
        # A worker starts before the transaction: the child forks without an open write
        # transaction and validates while this process sets the transaction up.
        if parallel:
            batches: Iterable[Batch] = stack.enter_context(
                ValidationWorker(rows, layout, mapping, batch_size, tally)
            )
        else:
            batches = validated_batches(rows, layout, mapping, batch_size, tally)
        summary = _store(engine, batches, tally, rows, sha256, snapshot, on_progress)
    summary.ignored_columns = layout.ignored
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _store(
    engine: Engine, batches: Iterable[Batch], tally: Tally, rows: RowSource, sha256: str,
    snapshot: str | None, on_progress: ProgressCallback | None,
) -> ImportSummary:
    """Write the batches as a new snapshot in one transaction, which rolls back when `tally`
    ends up with problems."""
    now = dt.datetime.now(dt.timezone.utc)
    try:
        with engine.begin() as conn:
            label = _unique_label(conn, snapshot, rows.path, now)
            snapshot_id = conn.execute(
                insert(SNAPSHOT).values(
                    label=label, source_file=str(rows.path.resolve()), source_sha256=sha256,
                    imported_at=now,
                )
            ).inserted_primary_key[0]
            websites_before = conn.scalar(select(func.count()).select_from(WEBSITE)) or 0
            writer = Writer(conn, snapshot_id, now)
            with sqlite_cache(conn), _gc_paused():
                _write_batches(batches, writer, rows.size, on_progress)
            tally.check(rows.name)
            writer.finish()
            conn.execute(
                update(SNAPSHOT).where(SNAPSHOT.c.id == snapshot_id).values(
                    rows=tally.rows, inserted=writer.inserted, updated=writer.updated
                )
            )
            not_in_file = conn.scalar(
                select(func.count()).select_from(ENTERPRISE).where(
                    (ENTERPRISE.c.snapshot_id != snapshot_id) | ENTERPRISE.c.snapshot_id.is_(None)
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
        file=rows.name, snapshot_id=snapshot_id, snapshot=label, rows=tally.rows,
        inserted=writer.inserted, updated=writer.updated, unchanged=writer.unchanged,
        not_in_file=not_in_file, websites_added=websites_added, encoding=rows.encoding,
        delimiter=rows.delimiter,
    )


def _write_batches(
    batches: Iterable[Batch], writer: Writer, size: int, on_progress: ProgressCallback | None
) -> None:
    """Write each batch; before the first batch of a large import (more batches follow),
    let the writer drop the indexes it will rebuild once at the end."""
    for batch in batches:
        if not batch.last and batch.records:
            writer.drop_secondary_indexes()
        if batch.records or batch.websites:
            writer.write(batch.records, batch.websites)
        if on_progress is not None:
            on_progress(batch.position, size)
