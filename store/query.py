"""Read-only SQL for economists, and exports of tables and views to CSV, JSON lines, Parquet.

Read-only is enforced by the database itself (SQLite `mode=ro` + `query_only`, PostgreSQL
`default_transaction_read_only`), not by parsing SQL, so no clever statement gets through.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError

from store.engine import make_engine
from store.errors import ReadOnlyViolation, StoreError
from store.formats import ExportFormat
from ecomstat.errors import BadInput

FETCH_BATCH = 5000
_QUERY_KEYWORDS = {"select", "with", "values", "table", "(select"}


def _is_write_refusal(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return any(
        marker in message
        for marker in (
            "readonly database",
            "read-only",
            "read only",
            "query_only",
            "attempt to write",
        )
    )


@contextmanager
def readonly_rows(url: str, sql: str, params: dict[str, Any] | None = None) -> Iterator[tuple[list[str], Iterator[Sequence[Any]]]]:
    """Run `sql` on a read-only connection; yields (column names, row iterator)."""
    if not sql.strip():
        raise BadInput("the SQL statement is empty")
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as connection:
            # Server-side cursors (streaming) only wrap queries; anything else runs plainly and
            # meets the read-only transaction, which refuses it with a clear message.
            streamable = sql.lstrip().split(None, 1)[0].lower() in _QUERY_KEYWORDS
            options = {"stream_results": True} if streamable else {}
            try:
                result = connection.execution_options(**options).execute(text(sql), params or {})
            except DBAPIError as exc:
                if _is_write_refusal(exc):
                    raise ReadOnlyViolation(
                        "ecomstat query is read-only: write statements are refused"
                    ) from None
                raise BadInput(f"SQL error: {str(exc.orig).strip().splitlines()[0]}") from None
            if not result.returns_rows:
                raise ReadOnlyViolation("ecomstat query runs SELECT statements only")
            columns = list(result.keys())
            yield columns, _batched(result)
    finally:
        engine.dispose()


def _batched(result: Any) -> Iterator[Sequence[Any]]:
    while True:
        rows = result.fetchmany(FETCH_BATCH)
        if not rows:
            return
        yield from rows


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
    except OperationalError as exc:
        raise StoreError(f"cannot read the database: {exc.orig}") from None
    finally:
        engine.dispose()
    if name not in names:
        raise BadInput(f"no table or view named {name!r}; choose one of: {', '.join(names)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    quoted = f'"{name}"'
    try:
        with readonly_rows(url, f"SELECT * FROM {quoted}") as (columns, rows):
            writer = {ExportFormat.csv: _write_csv, ExportFormat.json: _write_json,
                      ExportFormat.parquet: _write_parquet}[fmt]
            count = writer(tmp, columns, rows)
        os.replace(tmp, out)
        return count
    finally:
        tmp.unlink(missing_ok=True)


def _write_csv(path: Path, columns: list[str], rows: Iterator[Sequence[Any]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
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


def _write_parquet(path: Path, columns: list[str], rows: Iterator[Sequence[Any]]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 0
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    batch: list[Sequence[Any]] = []

    def flush() -> None:
        nonlocal writer, schema
        if not batch:
            return
        data = {c: [_cell(row[i]) for row in batch] for i, c in enumerate(columns)}
        table = pa.table(data) if schema is None else pa.table(data, schema=schema)
        if writer is None:
            # Columns that are all-null in the first batch would be typed null; store as text.
            schema = pa.schema([
                pa.field(f.name, pa.string() if pa.types.is_null(f.type) else f.type) for f in table.schema
            ])
            table = table.cast(schema)
            writer = pq.ParquetWriter(path, schema)
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
            pq.write_table(pa.table({c: pa.array([], pa.string()) for c in columns}), path)
    finally:
        if writer is not None:
            writer.close()
    return count
