"""Reading the files users hand in: labelled titles for training, titles to classify.

Files come from many offices and tools: UTF-8 with or without BOM, Windows-1250/1252, Latin-1,
comma or semicolon separated. Everything is decoded and checked before anything is trained or
written, and a problem is reported with its line number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from ecomstat.classifiers.errors import TrainingDataError
from ecomstat.classifiers.products.coicop import clean_code, is_code
from ecomstat.classifiers.products.text import listing_text
from ecomstat.errors import BadInput

TEXT_COLUMNS = ("title", "breadcrumb", "description")


@dataclass
class Listing:
    """One item to classify: its raw title (echoed back) and the model input text."""

    title: str
    text: str
    line: int


# Among equally plausible decodings, the code pages office software actually writes win over
# Mac/DOS ones (a short cp1250 file reads "cleanly" as mac_iceland too).
PREFERRED_ENCODINGS = ("cp1252", "cp1250", "cp1251", "cp1257", "cp1253", "cp1254", "latin_1",
                       "iso8859_2", "iso8859_15")


def decode(raw: bytes, source: str, encoding: str | None = None) -> str:
    """Bytes -> text: the given encoding, else UTF-8 (the common case, and unambiguous), else
    the most plausible legacy encoding."""
    if encoding:
        try:
            return raw.decode(encoding)
        except LookupError:
            raise BadInput(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise BadInput(
                f"{source} is not valid {encoding}: {exc.reason} at byte {exc.start}"
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    matches = list(from_bytes(raw))
    if not matches:
        raise BadInput(f"{source}: cannot tell the text encoding (is it a text file?)")
    least_chaos = min(m.chaos for m in matches)
    plausible = [m for m in matches if m.chaos <= least_chaos + 0.01]
    preferred = [m for m in plausible if m.encoding in PREFERRED_ENCODINGS]
    return str((preferred or plausible)[0])


def read_text(path: str | Path, encoding: str | None = None) -> str:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadInput(f"{path} looks like a binary file, not text")
    return decode(raw, str(path), encoding)


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _header(text: str) -> list[str]:
    first = text.split("\n", 1)[0]
    return [c.strip().lower() for c in next(csv.reader([first], _dialect(first)), [])]


def read_listings(path: str | Path, encoding: str | None = None) -> list[Listing]:
    """Titles to classify: a CSV whose header has a `title` column (and optionally
    `breadcrumb`, `description`), or plain text with one title per line (empty lines kept, so
    output lines match input lines)."""
    text = read_text(path, encoding)
    header = _header(text)
    # A several-column CSV without a title column is not a list of titles (a one-column CSV
    # without a header is).
    if "title" not in header and len(header) > 1 and Path(path).suffix.lower() in (".csv",
                                                                                   ".tsv"):
        raise BadInput(f"{path}: no title column (found: {', '.join(header) or 'nothing'}); give "
                       "a CSV whose header has a title column, or a text file with one title "
                       "per line")
    if "title" in header:
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_dialect(text))
        reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
        listings = []
        for row in reader:
            title = (row.get("title") or "").strip()
            listings.append(
                Listing(
                    title,
                    listing_text(title, row.get("breadcrumb"), row.get("description")),
                    reader.line_num,
                )
            )
        return listings
    lines = text.splitlines()
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    return [Listing(line.strip(), listing_text(line), n) for n, line in enumerate(lines, 1)]


@dataclass
class LabelledData:
    texts: list[str]
    labels: list[str]


def read_labels(
    path: str | Path, *, min_rows: int = 10, encoding: str | None = None
) -> LabelledData:
    """Training data: CSV with `title,category` columns (optional `breadcrumb`,
    `description`); categories are COICOP codes at any level. Every bad row is an error with its
    line number, and nothing is trained until the whole file is clean."""
    text = read_text(path, encoding)
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_dialect(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    missing = [c for c in ("title", "category") if c not in fields]
    if missing:
        raise TrainingDataError(
            f"{path}: missing column(s) {', '.join(missing)}; expected a header with "
            "title,category (found: {})".format(", ".join(fields) or "nothing")
        )
    reader.fieldnames = fields
    texts, labels, errors = [], [], []
    for row in reader:
        title = (row.get("title") or "").strip()
        code = clean_code(row.get("category") or "")
        if not title:
            errors.append(f"line {reader.line_num}: empty title")
        elif not is_code(code):
            errors.append(f"line {reader.line_num}: {code!r} is not a COICOP code like 01.1.1.1")
        else:
            texts.append(listing_text(title, row.get("breadcrumb"), row.get("description")))
            labels.append(code)
    if errors:
        shown = "; ".join(errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise TrainingDataError(f"{path}: {shown}{more}")
    if len(texts) < min_rows:
        raise TrainingDataError(f"{path}: {len(texts)} labelled titles; need at least {min_rows}")
    if len(set(labels)) < 2:
        raise TrainingDataError(f"{path}: all titles have the same category; need at least two")
    return LabelledData(texts, labels)
