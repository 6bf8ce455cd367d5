"""`ecomstat register import` end to end, on SQLite and PostgreSQL: valid imports, re-imports,
and every kind of bad register giving its clear error with the database left unchanged."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.register.errors import InvalidRows
from ecomstat.register.importer import import_register
from ecomstat.store.models import Enterprise, RegisterSnapshot, Website

runner = CliRunner()

HEADER = [
    "id", "name", "legal_form", "address", "postcode", "city", "country", "region", "nace",
    "employees", "size_class", "vat_id", "company_id", "phone", "email", "url", "weight",
]


def firm(ident: str, **values: str) -> dict[str, str]:
    row = {
        "id": ident, "name": f"Firm {ident} GmbH", "country": "DE", "nace": "4791",
        "employees": "12", "url": f"https://www.firm-{ident.lower()}.de/shop",
        "email": f"info@firm-{ident.lower()}.de", "weight": "2.5",
    }
    row.update(values)
    return row


def write_register(path: Path, rows: list[dict[str, str]], *, delimiter: str = ",",
                   encoding: str = "utf-8", header: list[str] = HEADER) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=delimiter, lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.scalar(select(func.count()).select_from(model)) or 0
            for model in (Enterprise, RegisterSnapshot, Website)
        )


def run(db_url: str, *args: str):
    return runner.invoke(app, ["--db", db_url, "register", *args])


def test_import_stores_normalised_enterprises_websites_and_a_snapshot(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    rows = [
        firm("A1"),
        firm("A2", nace="47.9", employees="", size_class="250+", url="shop.example.co.uk",
             country="gb"),
        firm("A3", nace="g", employees="260", url="", email=""),
    ]
    register = write_register(tmp_path / "register.csv", rows, delimiter=";")
    result = run(db_url, "import", str(register), "--snapshot", "2026-Q1", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 3 and summary["inserted"] == 3 and summary["delimiter"] == ";"
    assert summary["websites_added"] == 2 and summary["snapshot"] == "2026-Q1"

    with engine.connect() as conn:
        stored = {r.id: r for r in conn.execute(select(Enterprise.__table__))}
        websites = {r.url: r for r in conn.execute(select(Website.__table__))}
        snapshot = conn.execute(select(RegisterSnapshot.__table__)).one()
    assert (stored["A1"].nace, stored["A1"].nace_section, stored["A1"].size_class) == (
        "47.91", "G", "10-49")  # 12 persons employed -> derived size class
    assert (stored["A2"].nace, stored["A2"].country, stored["A2"].employees) == ("47.9", "GB", None)
    assert (stored["A3"].nace, stored["A3"].nace_section, stored["A3"].size_class) == ("G", "G", "250+")
    assert stored["A1"].weight == 2.5 and stored["A3"].url is None
    assert {s.snapshot_id for s in stored.values()} == {snapshot.id}
    assert (snapshot.label, snapshot.rows, snapshot.inserted) == ("2026-Q1", 3, 3)
    assert len(snapshot.source_sha256) == 64
    assert set(websites) == {"https://www.firm-a1.de/", "http://shop.example.co.uk/"}
    site = websites["http://shop.example.co.uk/"]
    assert (site.domain, site.enterprise_id, site.found_by, site.status) == (
        "example.co.uk", "A2", "register", "candidate")


def test_reimport_updates_in_place_and_reports_what_changed(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    first = write_register(tmp_path / "r1.csv", [firm("B1"), firm("B2"), firm("B3")])
    assert run(db_url, "import", str(first), "--snapshot", "s1").exit_code == 0
    second = write_register(
        tmp_path / "r2.csv", [firm("B1"), firm("B2", name="Renamed AG", employees="60"), firm("B4")]
    )
    result = run(db_url, "import", str(second), "--snapshot", "s2", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["inserted"], summary["updated"], summary["unchanged"]) == (1, 1, 1)
    assert summary["not_in_file"] == 1 and summary["websites_added"] == 1

    with engine.connect() as conn:
        snapshots = dict(conn.execute(select(RegisterSnapshot.label, RegisterSnapshot.id)).all())
        stored = {r.id: r for r in conn.execute(select(Enterprise.__table__))}
    assert set(snapshots) == {"s1", "s2"}
    assert stored["B2"].name == "Renamed AG" and stored["B2"].size_class == "50-249"
    assert stored["B1"].snapshot_id == stored["B2"].snapshot_id == stored["B4"].snapshot_id == snapshots["s2"]
    assert stored["B3"].snapshot_id == snapshots["s1"]  # absent from the new file: kept, old snapshot

    table = run(db_url, "import", str(second))  # default label, human summary
    assert table.exit_code == 0, table.output
    assert "3 unchanged" in table.stdout and "1 enterprises not in this file" in table.stdout


def test_reused_snapshot_label_is_refused_and_changes_nothing(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    register = write_register(tmp_path / "r.csv", [firm("C1")])
    assert run(db_url, "import", str(register), "--snapshot", "q1").exit_code == 0
    before = counts(engine)
    changed = write_register(tmp_path / "r2.csv", [firm("C1", name="Other"), firm("C2")])
    result = run(db_url, "import", str(changed), "--snapshot", "q1")
    assert result.exit_code == 2
    assert "snapshot 'q1' already exists" in result.stderr
    assert counts(engine) == before


# valid UTF-8 (ü) first, then a latin-1 byte: a corrupt UTF-8 file, not a cp1252 one
_UTF8_THEN_LATIN1 = (
    "id,name,country,nace,employees\nD1,Müller,DE,4791,5\n".encode() + b"D2,Caf\xe9,DE,4791,5\n"
)
BAD_REGISTERS = {
    # name: (file bytes, extra CLI args, expected fragments of the error)
    "wrong delimiter": (
        "id;name;country;nace;employees\nD1;Firm;DE;4791;5\n".encode(), ["--delimiter", ","],
        ["missing required columns", "(is the delimiter ';'?)"],
    ),
    "missing required column": (
        b"id,name,country,employees\nD1,Firm,DE,5\n", [],
        ["missing required columns nace"],
    ),
    "duplicate id": (
        b"id,name,country,nace,employees\nD1,Firm,DE,4791,5\nD2,Other,DE,4791,5\nD1,Again,DE,4791,5\n",
        [], ["line 4, column id: duplicate id 'D1' (first on line 2)", "nothing was imported"],
    ),
    "invalid NACE code": (
        b"id,name,country,nace,employees\nD1,Firm,DE,4791,5\nD2,Other,DE,47.999,5\n", [],
        ["line 3, column nace: '47.999' is not a NACE Rev.2 code"],
    ),
    "undecodable bytes": (
        _UTF8_THEN_LATIN1, [],
        [f"byte 0xe9 at offset {_UTF8_THEN_LATIN1.index(0xE9)} cannot be decoded as utf-8"],
    ),
    "empty file": (b"", [], ["is empty"]),
    "binary file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), [],
                    ["binary file (NUL byte at offset 8)"]),
    "spreadsheet": (b"PK\x03\x04" + bytes(64), [], ["ZIP archive", "save it as CSV"]),
    "header only": (b"id,name,country,nace,employees\n", [], ["has a header but no rows"]),
    "short row": (b"id,name,country,nace,employees\nD1,Firm,DE\n", [],
                  ["line 2: has 3 fields, the header has 5"]),
    "unclosed quote": (b'id,name,country,nace,employees\nD1,"Firm,DE,4791,5\nD2,x,DE,4791,5\n',
                       [], ["line 2: a quoted value is never closed"]),
    "size class mismatch": (b"id,name,country,nace,employees,size_class\nD1,Firm,DE,4791,5,50-249\n",
                            [], ["column size_class: '50-249' does not match 5 persons employed (0-9)"]),
    "bad values": (
        b"id,name,country,nace,employees,url,email,weight\n"
        b"D1,Firm,EL,4791,five,ftp://x,info@,0\n",
        [], ["column country: 'EL' is not an ISO 3166", "column employees: 'five' is not a whole",
             "column url: 'ftp://x' is not a web address", "column email: 'info@'",
             "column weight: '0' is not a positive number"],
    ),
}


# Row-level problems surface while the import's transaction is open and writing: they run on
# both backends. File-level problems stop the import before it opens the database for writing,
# so SQLite covers them (one runs on both as a guard).
BOTH_BACKENDS = {"duplicate id", "invalid NACE code", "bad values", "binary file"}


@pytest.mark.parametrize("case", sorted(BOTH_BACKENDS))
def test_bad_register_gives_clear_error_and_leaves_database_unchanged(
    case: str, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    check_bad_register(case, engine, db_url, tmp_path)


@pytest.mark.parametrize("case", sorted(set(BAD_REGISTERS) - BOTH_BACKENDS))
def test_more_bad_registers_on_sqlite(
    case: str, sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    check_bad_register(case, sqlite_engine, sqlite_url, tmp_path)


def check_bad_register(case: str, engine: Engine, db_url: str, tmp_path: Path) -> None:
    seed = write_register(tmp_path / "seed.csv", [firm("D1"), firm("S2")])
    import_register(engine, seed)
    before = counts(engine)
    content, args, fragments = BAD_REGISTERS[case]
    bad = tmp_path / "register.csv"
    bad.write_bytes(content)
    result = run(db_url, "import", str(bad), *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert str(bad) in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    assert counts(engine) == before
    with engine.connect() as conn:  # the seeded enterprise is untouched
        assert conn.scalar(select(Enterprise.name).where(Enterprise.id == "D1")) == "Firm D1 GmbH"


def test_many_bad_rows_show_the_first_twenty_and_a_count(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    rows = [firm(f"E{i}", nace="99.99" if i % 2 else "4791") for i in range(60)]
    register = write_register(tmp_path / "big.csv", rows)
    result = run(db_url, "import", str(register))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 21
    assert lines[0] == f"error: {register}, line 3, column nace: '99.99' is not a NACE Rev.2 code"
    assert lines[-1] == f"{register}: 30 problems in 30 of 60 rows (10 more not shown); nothing was imported"
    assert counts(engine) == (0, 0, 0)


def test_valid_rows_before_a_late_error_are_not_written(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """The importer writes batches while rows are valid: a bad row after several batches must
    still roll everything back."""
    rows = [firm(f"F{i}") for i in range(120)] + [firm("F5")]
    register = write_register(tmp_path / "late.csv", rows)
    with pytest.raises(InvalidRows) as caught:
        import_register(engine, register, batch_size=25)
    assert caught.value.total == 1
    assert "line 122, column id: duplicate id 'F5' (first on line 7)" in caught.value.problems[0]
    assert counts(engine) == (0, 0, 0)


def test_register_list_filters_and_formats(engine: Engine, db_url: str, tmp_path: Path) -> None:
    rows = [firm("L1"), firm("L2", country="AT", nace="10.71"), firm("L3", nace="62.01")]
    assert run(db_url, "import", str(write_register(tmp_path / "r.csv", rows))).exit_code == 0
    result = run(db_url, "list", "--format", "json", "--nace-section", "g")
    assert result.exit_code == 0, result.output
    listed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in listed] == ["L1"] and listed[0]["nace"] == "47.91"
    result = run(db_url, "list", "--format", "csv", "--country", "at")
    assert list(csv.DictReader(io.StringIO(result.stdout)))[0]["id"] == "L2"
    result = run(db_url, "list", "--format", "csv", "--limit", "2")
    assert [r["id"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["L1", "L2"]
    result = run(db_url, "list", "--country", "XX")
    assert result.exit_code == 2 and "not an ISO 3166" in result.stderr


def _index_names(engine: Engine) -> set[str]:
    inspector = inspect(engine)
    return {ix["name"] for table in ("enterprise", "website") for ix in inspector.get_indexes(table)}


def test_indexes_dropped_for_a_bulk_import_are_back_after_success_and_failure(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A first import into SQLite drops secondary indexes and rebuilds them before commit; a
    failed import must roll the DROP back too (SQLite DDL is transactional)."""
    before = _index_names(sqlite_engine)
    assert before, "the schema has secondary indexes to protect"
    bad = write_register(tmp_path / "bad.csv", [firm(f"B{i}") for i in range(120)] + [firm("B5")])
    with pytest.raises(InvalidRows):
        import_register(sqlite_engine, bad, batch_size=25)
    assert _index_names(sqlite_engine) == before
    good = write_register(tmp_path / "good.csv", [firm(f"G{i}") for i in range(120)])
    import_register(sqlite_engine, good, batch_size=25)
    assert _index_names(sqlite_engine) == before
    assert counts(sqlite_engine)[0] == 120
