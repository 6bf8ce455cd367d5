"""Find out how a register file is written before reading it: binary or text, which encoding,
which delimiter.

`scan_file` reads the whole file once in binary (C-speed decoding and hashing, ~1 s for a
million-row register), so an undecodable byte is reported with its offset before anything is
written, and the import can then stream the file as text without surprises.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from ecomstat.register.errors import InvalidRegister

CHUNK = 1 << 20
DELIMITERS = ",;\t|"
# Files people export instead of CSV, recognised by their first bytes.
MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx or .ods workbook?)",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) workbook",
    b"\x1f\x8b": "a gzip-compressed file",
    b"%PDF": "a PDF document",
    b"SQLite format 3\x00": "an SQLite database",
}


@dataclass(frozen=True)
class FileFacts:
    encoding: str  # Python codec name: utf-8, utf-8-sig, utf-16, cp1252, or the declared one
    size: int
    sha256: str


def _open_binary(path: Path) -> io.BufferedReader:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InvalidRegister(f"register file {path} does not exist") from None
    except IsADirectoryError:
        raise InvalidRegister(f"{path} is a directory, not a register file") from None
    except OSError as exc:
        raise InvalidRegister(f"cannot read {path}: {exc.strerror}") from None


def _first_bad_byte(path: Path, encoding: str) -> tuple[int, int, bool] | None:
    """(offset, byte, seen_non_ascii_before) of the first byte `encoding` cannot decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    position = 0
    seen_non_ascii = False
    with _open_binary(path) as handle:
        while True:
            chunk = handle.read(CHUNK)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                offset = position - pending + exc.start
                before = chunk[: max(exc.start - pending, 0)]  # this chunk's bytes before it
                return offset, exc.object[exc.start], seen_non_ascii or not before.isascii()
            if not chunk:
                return None
            seen_non_ascii = seen_non_ascii or not chunk.isascii()
            position += len(chunk)


def scan_file(path: Path, declared_encoding: str | None = None) -> FileFacts:
    """Check that `path` is a non-empty text file and settle its encoding: the declared one, or
    UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252 (Windows Western European, a
    superset of latin-1's printable range). Raises `InvalidRegister` naming file and byte offset."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    nul_offset = -1
    with _open_binary(path) as handle:
        while chunk := handle.read(CHUNK):
            if not head:
                head = chunk[:4096]
            if nul_offset < 0 and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                found = chunk.find(b"\x00")
                if found >= 0:
                    nul_offset = size + found
            digest.update(chunk)
            size += len(chunk)
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            raise InvalidRegister(f"{path} is {what}, not a CSV file: save it as CSV first")
    if nul_offset >= 0:
        raise InvalidRegister(
            f"{path} is a binary file (NUL byte at offset {nul_offset}), not a CSV file"
        )
    if not head.removeprefix(codecs.BOM_UTF8).strip():
        raise InvalidRegister(f"{path} is empty")
    if declared_encoding:
        encoding = declared_encoding
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    bad = _first_bad_byte(path, encoding)
    if bad is not None and not declared_encoding and not bad[2]:
        # No valid UTF-8 beyond ASCII before the first bad byte: a legacy single-byte file.
        cp1252_bad = _first_bad_byte(path, "cp1252")
        if cp1252_bad is None:
            return FileFacts("cp1252", size, digest.hexdigest())
        raise InvalidRegister(
            f"{path}: byte 0x{cp1252_bad[1]:02x} at offset {cp1252_bad[0]} is neither UTF-8 "
            f"nor cp1252; declare the file's encoding (mapping file `encoding = ...` or "
            f"--encoding)"
        )
    if bad is not None:
        raise InvalidRegister(
            f"{path}: byte 0x{bad[1]:02x} at offset {bad[0]} cannot be decoded as {encoding}"
            + ("" if declared_encoding else "; declare the file's encoding if it is not UTF-8")
        )
    return FileFacts(encoding, size, digest.hexdigest())


def sniff_delimiter(sample: str) -> str | None:
    """The candidate delimiter that splits the header into the most columns while keeping the
    same column count on the sample's other rows; None when none splits the header."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample cut a row in half
    best: tuple[float, int] | None = None
    chosen = None
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(row) == width for row in rows) / len(rows)
        score = (consistent, width)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


def delimiter_hint(header_line: str, used: str) -> str:
    """' (is the delimiter ';'?)' when another candidate occurs in the header line."""
    counts = {d: header_line.count(d) for d in DELIMITERS if d != used}
    likely = max(counts, key=lambda d: counts[d])
    if counts[likely] == 0:
        return ""
    return f" (is the delimiter {likely!r}?)"
