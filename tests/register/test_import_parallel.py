"""Register import with validation in a worker process (what a large file gets on a machine
with two CPUs): the same rows, errors and all-or-nothing behaviour as in-process validation,
and a clear error when the worker fails."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select
from typer.testing import CliRunner

import ecomstat.register.import_worker as import_worker
from ecomstat.cli import app
from ecomstat.register.errors import InvalidRegister, InvalidRows, RegisterError, SnapshotLabelTaken
from ecomstat.register.importer import import_register
from ecomstat.store.models import Enterprise, RegisterSnapshot, Website

pytestmark = pytest.mark.skipif(not import_worker.can_fork(), reason="needs os.fork")

HEADER = ["id", "name", "country", "nace", "employees", "size_class", "url", "email", "weight"]


def firm(ident: str, **values: str) -> dict[str, str]:
    row = {"id": ident, "name": f"Firm {ident}", "country": "DE", "nace": "4791",
           "employees": "12", "url": f"www.firm-{ident.lower()}.de", "weight": "1.5"}
    return {**row, **values}


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def contents(engine: Engine) -> tuple[list[Any], list[Any], int]:
    """Enterprises and websites without timestamps and generated ids, and the snapshot count."""
    generated = {"updated_at", "snapshot_id"}
    with engine.connect() as conn:
        enterprises = [tuple(r) for r in conn.execute(
            select(*(c for c in Enterprise.__table__.c if c.name not in generated))
            .order_by(Enterprise.id))]
        websites = [tuple(r) for r in conn.execute(
            select(Website.url, Website.domain, Website.enterprise_id, Website.found_by,
                   Website.status).order_by(Website.url))]
        snapshots = conn.scalar(select(func.count()).select_from(RegisterSnapshot)) or 0
    return enterprises, websites, snapshots


def test_worker_import_writes_what_in_process_import_writes(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [firm(f"P{i:03d}") for i in range(130)]
    rows[7] = firm("P007", url="", employees="", size_class="250+")
    rows[8] = firm("P008", url="https://shop.example.co.uk/x", nace="g", country="at")
    first = write(tmp_path / "r1.csv", rows)
    summary = import_register(engine, first, snapshot="s1", parallel=True, batch_size=20)
    assert (summary.rows, summary.inserted, summary.websites_added) == (130, 130, 129)
    parallel = contents(engine)

    changed = rows[:100] + [firm(f"Q{i}") for i in range(5)]
    changed[10] = firm("P010", name="Renamed")
    second = write(tmp_path / "r2.csv", changed)
    again = import_register(engine, second, snapshot="s2", parallel=True, batch_size=20)
    assert (again.inserted, again.updated, again.unchanged, again.not_in_file) == (5, 1, 99, 30)
    assert again.websites_added == 5
    with engine.connect() as conn:
        assert conn.scalar(select(Enterprise.name).where(Enterprise.id == "P010")) == "Renamed"

    # The same two imports validated in-process leave the same rows.
    with engine.begin() as conn:
        for table in (Website, Enterprise, RegisterSnapshot):
            conn.execute(table.__table__.delete())
    import_register(engine, first, snapshot="s1", parallel=False, batch_size=20)
    assert contents(engine) == parallel
    import_register(engine, second, snapshot="s2", parallel=False, batch_size=20)
    with engine.connect() as conn:
        assert conn.scalar(select(Enterprise.name).where(Enterprise.id == "P010")) == "Renamed"


def test_worker_import_reports_the_same_problems_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [firm(f"B{i}") for i in range(90)]
    rows[3] = firm("B3", nace="47.999")
    rows += [firm("B5"), firm("B91", employees="five", weight="0")]
    for i in range(30):
        rows.append(firm(f"C{i}", country="EL"))
    register = write(tmp_path / "bad.csv", rows)
    problems = {}
    for parallel in (True, False):
        with pytest.raises(InvalidRows) as caught:
            import_register(engine, register, parallel=parallel, batch_size=10)
        problems[parallel] = (caught.value.problems, caught.value.total, str(caught.value))
    assert problems[True] == problems[False]
    shown, total, message = problems[True]
    assert total == 34 and len(shown) == 20
    assert shown[0] == f"{register}, line 5, column nace: '47.999' is not a NACE Rev.2 code"
    assert f"{register}, line 92, column id: duplicate id 'B5' (first on line 7)" in shown
    assert message.endswith(
        "34 problems in 33 of 122 rows (14 more not shown); nothing was imported")
    assert contents(engine) == ([], [], 0)


def test_worker_import_refuses_an_unclosed_quote(sqlite_engine: Engine, tmp_path: Path) -> None:
    register = tmp_path / "r.csv"
    lines = ["id,name,country,nace,employees"] + [f"U{i},Firm,DE,4791,5" for i in range(50)]
    register.write_text("\n".join(lines) + '\nU99,"Firm,DE,4791,5\nU100,x,DE,4791,5\n')
    with pytest.raises(InvalidRegister, match=r"line 52: a quoted value is never closed"):
        import_register(sqlite_engine, register, parallel=True, batch_size=10)
    assert contents(sqlite_engine) == ([], [], 0)


def test_a_failing_worker_fails_the_import_and_writes_nothing(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = write(tmp_path / "r.csv", [firm(f"F{i}") for i in range(50)])
    indexes = {ix["name"] for ix in inspect(sqlite_engine).get_indexes("enterprise")}
    real = import_worker.validated_batches

    def broken(*args: Any) -> Any:  # the child is forked: it runs this patched function
        yield from real(*args[:3], 10, args[4])
        raise RuntimeError("validator bug")

    monkeypatch.setattr(import_worker, "validated_batches", broken)
    with pytest.raises(RegisterError, match=r"(?s)validation process failed.*validator bug"):
        import_register(sqlite_engine, register, parallel=True)
    assert contents(sqlite_engine) == ([], [], 0)
    assert {ix["name"] for ix in inspect(sqlite_engine).get_indexes("enterprise")} == indexes

    def killed(*args: Any) -> Any:
        yield from real(*args[:3], 10, args[4])
        os._exit(3)

    monkeypatch.setattr(import_worker, "validated_batches", killed)
    with pytest.raises(RegisterError, match=r"ended unexpectedly \(exit code 3\)"):
        import_register(sqlite_engine, register, parallel=True)
    assert contents(sqlite_engine) == ([], [], 0)


def test_an_error_on_the_writing_side_ends_the_worker(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workers: list[Any] = []
    real = import_worker.ValidationWorker.__init__

    def spy(self: Any, *args: Any) -> None:
        real(self, *args)
        workers.append(self)

    monkeypatch.setattr(import_worker.ValidationWorker, "__init__", spy)
    register = write(tmp_path / "r.csv", [firm(f"W{i}") for i in range(3000)])
    import_register(sqlite_engine, register, snapshot="q1", parallel=True, batch_size=10)
    before = contents(sqlite_engine)
    with pytest.raises(SnapshotLabelTaken):
        import_register(sqlite_engine, register, snapshot="q1", parallel=True, batch_size=10)
    assert contents(sqlite_engine) == before
    assert [w.exit_code for w in workers][0] == 0
    assert workers[1].exit_code is not None  # ended (terminated mid-file) and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(workers[1]._pid, os.WNOHANG)


def test_a_worker_is_used_for_large_files_unless_the_cpus_are_oversubscribed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 0.5, 0.5))
    large = import_worker.PARALLEL_MIN_BYTES
    assert import_worker.worker_pays_off(large)
    assert not import_worker.worker_pays_off(large - 1)
    monkeypatch.setattr(os, "getloadavg", lambda: (3.9, 2.0, 2.0))
    assert import_worker.worker_pays_off(large)
    monkeypatch.setattr(os, "getloadavg", lambda: (4.0, 4.0, 4.0))  # twice as busy as the CPUs
    assert not import_worker.worker_pays_off(large)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert not import_worker.worker_pays_off(large)


def test_cli_validates_a_large_file_in_a_worker(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    real = import_worker.ValidationWorker.__init__

    def spy(self: Any, *args: Any) -> None:
        real(self, *args)
        started.append(self._pid)

    monkeypatch.setattr("ecomstat.register.importer.worker_pays_off", lambda size: True)
    monkeypatch.setattr(import_worker.ValidationWorker, "__init__", spy)
    register = write(tmp_path / "r.csv", [firm(f"L{i}") for i in range(40)])
    result = CliRunner().invoke(app, ["--db", sqlite_url, "register", "import", str(register)])
    assert result.exit_code == 0, result.output
    assert len(started) == 1 and "40 rows, 40 inserted" in result.stdout
    assert len(contents(sqlite_engine)[0]) == 40
