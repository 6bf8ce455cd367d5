"""Usage errors from the command line are one line on stderr with exit code 2, like every other
error (the console script, not CliRunner: the entry point formats them)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecomstat", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, says", [
    (("classify", "page", "--threshold", "2", "x.html"), "Invalid value for '--threshold'"),
    (("classify", "page"), "Missing argument"),
    (("indicators", "show", "--format", "xml"), "'xml' is not one of"),
    (("register", "import", "--bogus", "f.csv"), "No such option"),  # click 8.5 rewords the rest
    (("nosuchcommand",), "No such command 'nosuchcommand'"),
])
def test_usage_errors_are_one_line_with_exit_code_2(args: tuple[str, ...], says: str) -> None:
    proc = _run(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert "--help" in lines[0] and "Traceback" not in proc.stderr


def test_help_and_bare_groups_still_show_help() -> None:
    shown = _run("classify", "--help")
    assert shown.returncode == 0 and "page" in shown.stdout
    bare = _run("classify")
    assert bare.returncode == 2 and "Usage" in bare.stdout + bare.stderr
    assert "error:" not in bare.stderr


# --- database URLs: one line naming the URL (password masked) and what failed -----------------

def _run_in(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecomstat", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def _one_error_line(proc: subprocess.CompletedProcess[str], code: int, *says: str) -> str:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in proc.stderr and all(s in lines[0] for s in says), lines
    return lines[0]


def _free_port() -> int:
    with socket.socket() as sock:  # bound then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_postgresql_is_one_line_exit_1_with_the_password_masked(tmp_path: Path) -> None:
    port = _free_port()
    for host in ("127.0.0.1", "127.0.0.2"):  # wrong port; wrong (loopback) host
        url = f"postgresql://stats:s3cretpw@{host}:{port}/ecomstat"
        line = _one_error_line(_run_in(tmp_path, "--db", url, "register", "list"), 1,
                               f"cannot connect to postgresql://stats:***@{host}:{port}/ecomstat",
                               "connection refused")
        assert "s3cretpw" not in line
    unknown = _run_in(tmp_path, "--db", "postgresql://stats:p%40ssword@nonexistent.invalid/x",
                      "db", "upgrade")
    line = _one_error_line(unknown, 1, "postgresql://stats:***@nonexistent.invalid/x",
                           "nonexistent.invalid")
    assert "p%40ssword" not in line and "p@ssword" not in line


@pytest.mark.postgres
def test_wrong_postgresql_database_or_role_is_one_line_exit_1(postgres_url: str,
                                                               tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    good = make_url(postgres_url)
    no_db = good.set(database="ecomstat_no_such_database").render_as_string(hide_password=False)
    _one_error_line(_run_in(tmp_path, "--db", no_db, "query", "SELECT 1"), 1,
                    'database "ecomstat_no_such_database" does not exist')
    no_role = good.set(username="ecomstat_no_such_role").render_as_string(hide_password=False)
    _one_error_line(_run_in(tmp_path, "--db", no_role, "schedule", "list"), 1,
                    'role "ecomstat_no_such_role" does not exist')


@pytest.mark.parametrize("url, says", [
    ("postgresq://stats@db/ecomstat", "unknown scheme 'postgresq'"),
    ("sqlite:/store.db", "malformed database URL 'sqlite:/store.db'"),
    ("sqlite://store.db", "malformed SQLite URL"),
    ("postgresql://stats:s3cretpw@db:port/x", "malformed database URL"),
])
def test_malformed_database_url_is_one_line_exit_2(url: str, says: str, tmp_path: Path) -> None:
    line = _one_error_line(_run_in(tmp_path, "--db", url, "register", "list"), 2, says,
                           "sqlite:///")
    assert "s3cretpw" not in line
    assert list(tmp_path.iterdir()) == []  # no "sqlite:" folder, no file


@pytest.mark.parametrize("args", [
    ("query", "SELECT 1"),
    ("register", "list"),
    ("db", "status"),
    ("schedule", "list"),
    ("export", "v_indicator", "--out", "x.csv"),
    ("worker",),  # the Celery crawl worker: refused before it connects to a broker
    ("scheduler", "start"),  # exits at once instead of serving an empty store
    ("register", "discover"),  # its progress line came before the error line
    ("serve",),  # the web application refuses to serve an empty store
])
def test_a_missing_sqlite_file_is_refused_and_not_created(args: tuple[str, ...],
                                                         tmp_path: Path) -> None:
    typo = tmp_path / "sub" / "ecomstta.db"
    proc = _run_in(tmp_path, "--db", f"sqlite:///{typo}", *args, timeout=60)
    _one_error_line(proc, 1, f"no database at {typo}", "ecomstat db upgrade",
                    "--db / ECOMSTAT_DATABASE_URL")
    assert not typo.exists() and not typo.parent.exists()
    bare = _run_in(tmp_path, *args, timeout=60)  # the default sqlite:///ecomstat.db
    _one_error_line(bare, 1, f"no database at {tmp_path / 'ecomstat.db'}")
    assert list(tmp_path.iterdir()) == []


def test_db_upgrade_and_register_import_still_create_the_store(tmp_path: Path) -> None:
    created = tmp_path / "new" / "a.db"
    upgraded = _run_in(tmp_path, "--db", str(created), "db", "upgrade")
    assert upgraded.returncode == 0 and created.is_file(), upgraded.stderr
    register = tmp_path / "register.csv"
    register.write_text("id,name,country,nace,employees\nE1,Alpha GmbH,DE,47.91,12\n",
                        encoding="utf-8")
    imported = _run_in(tmp_path, "--db", f"sqlite:///{tmp_path / 'b.db'}", "register", "import",
                       str(register))
    assert imported.returncode == 0 and (tmp_path / "b.db").is_file(), imported.stderr
    listed = _run_in(tmp_path, "--db", f"sqlite:///{tmp_path / 'b.db'}", "register", "list",
                     "--format", "json")
    assert listed.returncode == 0 and '"E1"' in listed.stdout, listed.stderr
