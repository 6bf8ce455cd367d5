"""Shared CLI plumbing: the per-invocation state, output formats, one-line errors, progress."""

from __future__ import annotations

import csv
import enum
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ecomstat.settings import Settings

if TYPE_CHECKING:  # SQLAlchemy is imported by the commands that open the store
    from sqlalchemy import Engine

err_console = Console(stderr=True)


class OutputFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"


@dataclass
class CliState:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self, *, check_schema: bool = True, create: bool = False) -> Engine:
        """The store's engine, checked with one connection (a wrong URL, host, port, database or
        role is one error line naming the URL), and by default with its schema revision checked
        (`store.require_current`: an outdated or newer schema is refused with what to run; a new
        SQLite file gets the schema). Only `db upgrade` migrates an existing database. Only the
        commands that make a database (`db upgrade`, `register import`) pass `create=True`:
        every other one refuses a SQLite file that does not exist, so a misspelt --db is an
        error instead of an empty database."""
        if self._engine is None:
            from ecomstat.store import make_engine, require_current
            from ecomstat.store.engine import connect_check

            engine = make_engine(self.settings.database_url, create=create)
            connect_check(engine)
            if check_schema:
                require_current(engine)
            self._engine = engine
        return self._engine


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # invoked without the root callback (tests)
        from ecomstat.settings import get_settings

        obj = CliState(get_settings())
        ctx.find_root().obj = obj
    return obj


def report_error(message: str) -> None:
    """Print one clear error line on stderr (no markup interpretation of the message)."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear error line and exit."""
    report_error(message)
    sys.exit(code)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


_UNBOUNDED_WIDTH = 100_000


def emit_rows(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: OutputFormat | str
) -> None:
    """Print rows as a rich table, CSV, or JSON lines (one object per row)."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.json:
        for row in rows:
            sys.stdout.write(json_line(dict(zip(columns, row))))
            sys.stdout.write("\n")
        return
    if fmt is OutputFormat.csv:
        from ecomstat.store.formats import spreadsheet_safe  # web-written text: no live formulas

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([spreadsheet_safe(c) for c in columns])
        for row in rows:
            writer.writerow([_cell(spreadsheet_safe(v)) for v in row])
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(show_lines=False)
    for name in columns:
        table.add_column(name, overflow="fold")  # a narrow terminal wraps a cell, never cuts it
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    console = Console()
    if not console.is_terminal:  # piped or redirected: each row on one line, whatever its width
        console = Console(width=_UNBOUNDED_WIDTH)
    console.print(table)


def json_line(obj: Any) -> str:
    """Strict JSON: a NaN or infinity (a float column of the database, a computed ratio) is
    written as null, never as the `NaN`/`Infinity` that JSON parsers refuse."""
    try:
        return json.dumps(obj, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(obj), ensure_ascii=False, default=str, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def emit_json_line(obj: dict[str, Any]) -> None:
    sys.stdout.write(json_line(obj) + "\n")
    sys.stdout.flush()


def progress(transient: bool = False) -> Progress:
    """A rich progress bar on stderr (so stdout stays machine-readable)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[rate]}"),
        console=err_console,
        transient=transient,
        disable=not err_console.is_terminal,
    )
