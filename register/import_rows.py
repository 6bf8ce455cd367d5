"""Read and validate the rows of a register file, in batches ready for the store.

`validated_batches` is the hot loop of a million-row import and touches no database, so it can
run in a worker process (register/import_worker.py) while the importer writes. Every row is
validated; while no row has failed, valid rows come out in batches of enterprise records
(RECORD_COLUMNS tuples) and register websites ((url, domain, enterprise id) triples). After the
first invalid row no more records come out, but validation goes on to the end so the user
sees every problem (the first 20 and a count, in `Tally`).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ecomstat.register.errors import InvalidRegister, InvalidRows
from ecomstat.register.header import HeaderLayout
from ecomstat.register.mapping import ColumnMapping
from ecomstat.register.validate_rows import RowValidator, record_tuple

MAX_SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class RowSource:
    """A register file whose encoding and delimiter are settled."""

    path: Path
    encoding: str
    delimiter: str
    size: int  # bytes, for progress

    @property
    def name(self) -> str:
        """How errors name the file."""
        return str(self.path)

    @contextlib.contextmanager
    def open(self) -> Iterator[tuple[TextIO, Any, list[str] | None]]:
        """(text handle, csv reader positioned after the header, header row or None when the
        file holds no non-blank row)."""
        with open(self.path, encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
            try:
                header = next((row for row in reader if any(cell.strip() for cell in row)), None)
            except csv.Error as exc:
                raise InvalidRegister(f"{self.name}, line {reader.line_num}: {exc}") from None
            yield handle, reader, header


@dataclass
class Batch:
    records: list[tuple[Any, ...]]  # RECORD_COLUMNS tuples
    websites: list[tuple[str, str, str]]  # (site root, registered domain, enterprise id)
    position: int  # bytes of the file read so far
    last: bool  # no batch follows; False on a batch of a large import (more to come)


@dataclass
class Tally:
    """What validating the whole file found; complete once the batches are exhausted."""

    rows: int = 0
    bad_rows: int = 0
    problems: int = 0
    shown: list[str] = field(default_factory=list)  # the first MAX_SHOWN_PROBLEMS, worded

    def add(self, source: str, line: int, column: str | None, message: str) -> None:
        self.problems += 1
        if len(self.shown) < MAX_SHOWN_PROBLEMS:
            where = f"{source}, line {line}" + (f", column {column}" if column else "")
            self.shown.append(f"{where}: {message}")

    def check(self, source: str) -> None:
        """Raise `InvalidRows` when any row failed, `InvalidRegister` when there was none."""
        if self.problems:
            more = self.problems - len(self.shown)
            summary = (
                f"{source}: {self.problems} problem{'s' if self.problems != 1 else ''} in "
                f"{self.bad_rows} of {self.rows} rows"
                + (f" ({more} more not shown)" if more > 0 else "")
                + "; nothing was imported"
            )
            raise InvalidRows("\n".join([*self.shown, summary]), list(self.shown), self.problems)
        if self.rows == 0:
            raise InvalidRegister(f"{source} has a header but no rows")


class _Feed:
    """The lines a csv.reader parses: the line handed over, then the file's next lines (a
    quoted value may span lines); counts the lines it gave."""

    __slots__ = ("lines", "pending", "taken")

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.pending: str | None = None
        self.taken = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        self.taken += 1
        if self.pending is not None:
            line, self.pending = self.pending, None
            return line
        return next(self.lines)


def records_of(
    handle: TextIO, first_line: int, delimiter: str, source: str
) -> Iterator[tuple[int, list[str]]]:
    """(line number where it starts, fields) of each record read from `handle` (a text file
    opened with newline="", positioned after line `first_line - 1`), as csv.reader(strict=True)
    reads them (tests hold the two equal).

    A line without a quote character is a record by itself whose fields are exactly what
    `str.split` cuts at the delimiter: 5x cheaper than the csv module's character loop. Lines
    with a quote (and any lines a quoted value spans) go through csv.reader."""
    feed = _Feed(handle)
    quoted = csv.reader(feed, delimiter=delimiter, strict=True)
    limit = csv.field_size_limit()  # csv.reader refuses longer fields; so must we
    line_no = first_line - 1
    for line in handle:
        line_no += 1
        if '"' not in line and len(line) <= limit:
            yield line_no, line.rstrip("\r\n").split(delimiter)
            continue
        start, feed.pending, feed.taken = line_no, line, 0
        try:
            raw = next(quoted)
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise InvalidRegister(
                    f"{source}, line {start}: a quoted value is never closed"
                ) from None
            raise InvalidRegister(f"{source}, line {start + feed.taken - 1}: {exc}") from None
        line_no = start + feed.taken - 1
        yield start, raw


def validated_batches(
    rows: RowSource, layout: HeaderLayout, mapping: ColumnMapping, batch_size: int, tally: Tally
) -> Iterator[Batch]:
    """Batches of valid rows while all rows so far are valid; after the first problem, batches
    without records (for progress) until the end. Fills `tally`; raises `InvalidRegister` for
    a malformed CSV (an unclosed quote).

    Rows go through the validator's fast path (one call, tuples, no per-row dicts); only rows
    it declines go through the full validator, which words the problems. The first line of
    each id is kept to name both lines of a duplicate (~130 MB for a million rows)."""
    validator = RowValidator(layout.index, mapping)
    fast = validator.fast
    labels, width, source = layout.labels, layout.width, rows.name
    first_line: dict[str, int] = {}
    seen = first_line.setdefault
    records: list[tuple[Any, ...]] = []
    websites: list[tuple[str, str, str]] = []
    add_record, add_website = records.append, websites.append
    count = 0  # rows, blank lines excluded
    with rows.open() as (handle, reader, _header):
        position = handle.buffer.tell
        for start_line, raw in records_of(handle, reader.line_num + 1, rows.delimiter, source):
            if not (raw[0] or any(raw)):  # blank, or only delimiters (spreadsheets end so)
                continue
            count += 1
            if len(raw) != width and not _fits(raw, width, start_line, source, tally):
                continue
            result = fast(raw)
            if result is not None:
                record, site = result
                ident = record[0]
                if seen(ident, start_line) != start_line:
                    result = None  # a duplicate id: the full path below names both lines
            if result is None:
                checked = _full_check(validator, raw, start_line, seen, tally, source, labels)
                if checked is None:
                    continue
                record, site, ident = checked
            if tally.problems:  # nothing will be written; validate on to report every problem
                if count % batch_size == 0:
                    yield Batch([], [], position(), False)
                continue
            add_record(record)
            if site is not None:
                add_website((site[0], site[1], ident))
            if len(records) >= batch_size:
                yield Batch(records, websites, position(), False)
                records, websites = [], []
                add_record, add_website = records.append, websites.append
    tally.rows = count
    if tally.problems:
        records, websites = [], []
    yield Batch(records, websites, rows.size, True)


def _fits(raw: list[str], width: int, line: int, source: str, tally: Tally) -> bool:
    """A row with more or fewer fields than the header: True (trimmed in place) when the extra
    fields are empty, as trailing delimiters leave them; else counted as a bad row."""
    if len(raw) < width or any(cell.strip() for cell in raw[width:]):
        tally.bad_rows += 1
        tally.add(source, line, None, f"has {len(raw)} fields, the header has {width}")
        return False
    del raw[width:]  # empty fields after the last column (trailing delimiters)
    return True


def _full_check(validator: RowValidator, raw: list[str], line: int,
                seen: Callable[[str, int], int], tally: Tally, source: str,
                labels: dict[str, str]) -> tuple[tuple[Any, ...], tuple[str, str] | None, str] | None:
    """A row the fast path declined, through the full validator, which words its problems:
    (record, (site root, domain) or None, id), or None when the row has problems (in `tally`)."""
    full, website, problems = validator(raw)
    ident = full["id"]
    if ident:
        first = seen(ident, line)
        if first != line:
            problems.append(("id", f"duplicate id {ident!r} (first on line {first})"))
    if problems:
        tally.bad_rows += 1
        for column, message in problems:
            tally.add(source, line, labels[column], message)
        return None
    site = (website.url, website.domain) if website is not None else None
    return record_tuple(full), site, ident
