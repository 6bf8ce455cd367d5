"""The import's fast paths against the slow, obviously right ones: the fast row validator
against the full validator, and the line splitter against csv.reader."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from ecomstat.register.errors import InvalidRegister
from ecomstat.register.header import resolve_header
from ecomstat.register.import_rows import records_of
from ecomstat.register.mapping import CANONICAL_COLUMNS, ColumnMapping
from ecomstat.register.validate_rows import RowValidator, record_tuple

BASE = {
    "id": "DE000000001", "name": "Metall Meyer GmbH", "legal_form": "GmbH",
    "address": "Hauptstrasse 1", "postcode": "10115", "city": "Köln", "country": "DE",
    "region": "DE3", "nace": "4791", "employees": "12", "size_class": "", "vat_id": "DE123456789",
    "company_id": "HRB 1234", "phone": "+49 30 1234567", "email": "info@metall-meyer.de",
    "url": "https://www.metall-meyer.de/", "weight": "2.5",
}
# Per column: values the full validator accepts, refuses, or normalises; at and past the
# length limits of store/models.py; odd spacing, case, signs and scripts.
VARIANTS = {
    "id": ["", "  ", "X" * 64, "X" * 65, " DE2 ", "ü-1", "DE000000001"],
    "name": ["", " ", "Ärger & Söhne", "n" * 5000, "  Firm  "],
    "legal_form": ["", "f" * 100, "f" * 101],
    "address": ["", "a" * 3000],
    "postcode": ["", "1" * 20, "1" * 21, " 10115 "],
    "city": ["", "c" * 200, "c" * 201],
    "country": ["de", "De", " de ", "EL", "UK", "XX", "", "D", "DEU"],
    "region": ["", "r" * 20, "r" * 21],
    "nace": ["47.91", "47.9", "479", "47", "G", "g", "47.999", "", "Z", " 47.91 ", "4798",
             "01.11", "99"],
    "employees": ["0", "9", "10", "49", "50", "249", "250", "100000", "12.0", "1e3", "-1",
                  "+5", "five", "", "٣", " 7 ", "1_000", "0012", "-0", "nan"],
    "size_class": ["", "0-9", "10-49", "50-249", "250+", "0–9", "250 +", ">=250", "big",
                   "250 and more", "10-49 "],
    "vat_id": ["", "v" * 40, "v" * 41],
    "company_id": ["", "c" * 41],
    "phone": ["", "p" * 40, "p" * 41],
    "email": ["", "a@b", "info@", "x y@firm.de", "info@firm..de", "e" * 250 + "@x.de",
              "Info@Firm.DE", "a@b.c.d"],
    "url": ["", "firm.de", "www.firm.de/shop?x=1", "HTTPS://WWW.FIRM.DE", "http://firm.de:8080/",
            "https://shop.example.co.uk", "bäckerei-müller.de", "ftp://x.de", "not a url",
            "x.github.io", "sample-shop.de.test", "http://192.0.2.1/", "-bad-.de",
            "www.city.kawasaki.jp", "http://x.de:99999/", "firm.com:443", "a.b.ck"],
    "weight": ["", "1", "0.001", "0", "-1", "nan", "inf", "1e3", "x", " 3 ", "1_0"],
}
# Rows the fast path must take itself (else a million-row import silently slows down).
COMMON = [
    BASE,
    {**BASE, "employees": "", "size_class": "10-49"},
    {**BASE, "employees": "300", "size_class": "250+"},
    {**BASE, "url": "", "email": "", "weight": "", "legal_form": ""},
    {**BASE, "url": "www.metall-meyer.de/shop", "nace": "47.91", "country": "de"},
]


def _rows() -> list[dict[str, str]]:
    rows = [{**BASE, column: value} for column, values in VARIANTS.items() for value in values]
    rows += [{**BASE, "employees": e, "size_class": s}
             for e in VARIANTS["employees"] for s in VARIANTS["size_class"]]
    rng = random.Random(20261128)
    for _ in range(3000):
        row = dict(BASE)
        for column in rng.sample(list(VARIANTS), rng.randint(1, 5)):
            row[column] = rng.choice(VARIANTS[column])
        rows.append(row)
    return rows


LAYOUTS = {
    # name: (header, mapping)
    "canonical": (list(CANONICAL_COLUMNS), ColumnMapping()),
    "minimal, shuffled": (["nace", "employees", "id", "country", "name", "url"], ColumnMapping()),
    "mapped values and defaults": (
        ["KVK", "NAAM", "SBI", "GK", "WEB", "land"],
        ColumnMapping(
            columns={"id": "KVK", "name": "NAAM", "nace": "SBI", "size_class": "GK",
                     "url": "WEB", "country": "land"},
            values={"size_class": {"1": "0-9", "2": "10-49", "3": "250 +"},
                    "country": {"Nederland": "NL"}},
            defaults={"country": "NL", "size_class": "1"},
        ),
    ),
}
# Where each canonical value goes in a layout's raw row (mapped layouts reuse canonical values).
_SOURCE = {"KVK": "id", "NAAM": "name", "SBI": "nace", "GK": "size_class", "WEB": "url",
           "land": "country"}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_fast_validator_accepts_only_what_the_full_validator_accepts_with_the_same_record(
    layout: str,
) -> None:
    header, mapping = LAYOUTS[layout]
    index = resolve_header(header, mapping, "r.csv", ",").index
    validator = RowValidator(index, mapping)
    rows = _rows()
    if layout == "mapped values and defaults":
        rows += [{**BASE, "size_class": s, "country": c, "employees": ""}
                 for s in ("1", "2", "3", "", "9") for c in ("Nederland", "", "nl", "XX")]
    accepted = refused = 0
    for row in rows:
        raw = [row[_SOURCE.get(name, name)] for name in header]
        full, website, problems = validator(list(raw))
        result = validator.fast(list(raw))
        refused += bool(problems)
        if result is None:
            continue
        accepted += 1
        record, site = result
        assert not problems, (raw, problems)
        assert record == record_tuple(full), raw
        assert site == ((website.url, website.domain) if website else None), raw
    assert accepted > 100 and refused > 100  # both verdicts were exercised


def test_fast_validator_takes_the_common_rows_itself() -> None:
    index = {name: i for i, name in enumerate(CANONICAL_COLUMNS)}
    validator = RowValidator(index, ColumnMapping())
    for row in COMMON:
        assert validator.fast([row[c] for c in CANONICAL_COLUMNS]) is not None, row


CSV_TEXTS = {
    "plain": "a,b,c\n1,2,3\n4,5,6\n",
    "crlf and cr": "a,b\r\n1,2\r\n3,4\r5,6\n",
    "no final newline": "a,b\n1,2",
    "blank lines and delimiters only": "a,b\n\n1,2\n,\n\n3,4\n",
    "trailing delimiters": "a,b,\n1,2,\n3,4,,\n",
    "quoted fields": 'a,b\n"1,5",2\n"x ""y"" z",3\n"",""\n',
    "quote inside unquoted field": 'a,b\nFirm "X" GmbH,2\n3,4\n',
    "multi-line quoted": 'a,b\n"line 1\nline 2\r\nline 3",2\n3,"4\n"\n5,6\n',
    "spaces kept": "a,b\n 1 , 2 \n",
    "unicode": "a,b\nKöln,Ørsted\n\u2028x\x0cy,z\x85\n",
}


def _csv_records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out, last = [], 0
    for row in reader:
        out.append((last + 1, row))
        last = reader.line_num
    return out


@pytest.mark.parametrize("name", sorted(CSV_TEXTS))
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_line_splitter_reads_what_csv_reader_reads(
    name: str, delimiter: str, tmp_path: Path
) -> None:
    text = CSV_TEXTS[name].replace(",", delimiter)
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with open(path, encoding="utf-8", newline="") as handle:
        ours = [(line, raw) for line, raw in records_of(handle, 1, delimiter, "r.csv")]
    theirs = [(line, raw) for line, raw in _csv_records(text, delimiter) if raw]
    assert [(line, raw) for line, raw in ours if raw != [""]] == theirs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('a,b\n1,2\n3,"4\n5,6\n', r"r\.csv, line 3: a quoted value is never closed"),
        ('a,b\n1,2\n"3"x,4\n', r"r\.csv, line 3: ',' expected after '\"'"),
        ('a,b\n"1\n2"x,4\n', r"r\.csv, line 3: ',' expected after '\"'"),
    ],
)
def test_line_splitter_reports_malformed_quoting_on_the_right_line(
    text: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with open(path, encoding="utf-8", newline="") as handle, pytest.raises(
        InvalidRegister, match=message
    ):
        list(records_of(handle, 1, ",", "r.csv"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    with pytest.raises(csv.Error):
        list(reader)


def test_line_splitter_leaves_fields_past_the_csv_limit_to_csv(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a,b\n" + "x" * 200 + ",1\n", encoding="utf-8")
    previous = csv.field_size_limit(100)
    try:
        with open(path, encoding="utf-8", newline="") as handle, pytest.raises(
            InvalidRegister, match=r"line 2: field larger than field limit"
        ):
            list(records_of(handle, 1, ",", "r.csv"))
    finally:
        csv.field_size_limit(previous)
