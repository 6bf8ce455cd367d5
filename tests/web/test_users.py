"""Users of the web application: password hashing, the users library (both databases) and
`ecomstat user add|list|set-role|password|remove` (passwords from stdin, never in argv)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from ecomstat.errors import BadInput
from ecomstat.settings import Settings
from ecomstat.store import make_engine, upgrade
from ecomstat.store.models import WebSession, WebUser
from ecomstat.web import auth
from ecomstat.web.users import (
    Role,
    add_user,
    authenticate,
    get_user,
    hash_password,
    list_users,
    needs_rehash,
    remove_user,
    set_password,
    set_role,
    verify_password,
)

SETTINGS = Settings({})
PASSWORD = "correct horse battery"


def test_hash_is_salted_carries_its_parameters_and_verifies() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # a per-user salt
    assert first.startswith("scrypt$n=32768,r=8,p=1$")
    assert PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password("", first)
    assert not verify_password(PASSWORD, "not-a-hash")
    assert not needs_rehash(first)


def test_a_hash_with_older_parameters_still_verifies_and_is_upgraded(engine: Engine) -> None:
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    key = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    old = f"scrypt$n=1024,r=8,p=1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert verify_password(PASSWORD, old) and needs_rehash(old)
    add_user(engine, "old", "economist", "placeholder-password", SETTINGS)
    with engine.begin() as conn:
        conn.execute(WebUser.__table__.update().where(WebUser.name == "old").values(password_hash=old))
    assert authenticate(engine, "old", PASSWORD) is not None
    with engine.connect() as conn:
        stored = conn.execute(select(WebUser.password_hash).where(WebUser.name == "old")).scalar_one()
    assert stored.startswith("scrypt$n=32768,") and verify_password(PASSWORD, stored)


def test_users_library_add_list_role_password_remove(engine: Engine) -> None:
    add_user(engine, "ada", "admin", PASSWORD, SETTINGS)
    add_user(engine, "eve.economist@nso", Role.economist, PASSWORD, SETTINGS)
    assert [(u.name, u.role) for u in list_users(engine)] == [("ada", Role.admin), ("eve.economist@nso", Role.economist)]
    with pytest.raises(BadInput, match="exists already"):
        add_user(engine, "ada", "economist", PASSWORD, SETTINGS)
    assert authenticate(engine, "ada", PASSWORD).role is Role.admin
    assert authenticate(engine, "ada", "wrong password!") is None
    assert authenticate(engine, "nobody", PASSWORD) is None
    assert get_user(engine, "ada").last_login_at is not None

    set_role(engine, "eve.economist@nso", "operator")
    assert get_user(engine, "eve.economist@nso").role is Role.operator
    token = auth.create_session(engine, "eve.economist@nso", SETTINGS, "127.0.0.1")
    assert auth.session_user(engine, token).role is Role.operator
    set_password(engine, "eve.economist@nso", "a brand new password", SETTINGS)
    assert auth.session_user(engine, token) is None  # a reset ends the sessions
    assert authenticate(engine, "eve.economist@nso", PASSWORD) is None
    assert authenticate(engine, "eve.economist@nso", "a brand new password") is not None

    token = auth.create_session(engine, "eve.economist@nso", SETTINGS, "127.0.0.1")
    remove_user(engine, "eve.economist@nso")
    assert get_user(engine, "eve.economist@nso") is None
    assert auth.session_user(engine, token) is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(WebSession)).scalar_one() == 0


def test_bad_input_is_refused_in_words(engine: Engine) -> None:
    with pytest.raises(BadInput, match="empty"):
        add_user(engine, "bob", "economist", "", SETTINGS)
    with pytest.raises(BadInput, match="too short: at least 10"):
        add_user(engine, "bob", "economist", "short", SETTINGS)
    with pytest.raises(BadInput, match="too short: at least 4"):
        add_user(engine, "bob", "economist", "abc", Settings({"ECOMSTAT_WEB_PASSWORD_MIN_LENGTH": 4}))
    with pytest.raises(BadInput, match="unknown role 'boss'"):
        add_user(engine, "bob", "boss", PASSWORD, SETTINGS)
    with pytest.raises(BadInput, match="invalid user name"):
        add_user(engine, "bob smith", "economist", PASSWORD, SETTINGS)
    with pytest.raises(BadInput, match="no user named"):
        set_role(engine, "nobody", "admin")
    assert list_users(engine) == []


def test_the_last_admin_cannot_be_removed_or_demoted(engine: Engine) -> None:
    add_user(engine, "ada", "admin", PASSWORD, SETTINGS)
    with pytest.raises(BadInput, match="last admin"):
        remove_user(engine, "ada")
    with pytest.raises(BadInput, match="last admin"):
        set_role(engine, "ada", "economist")
    add_user(engine, "grace", "admin", PASSWORD, SETTINGS)
    set_role(engine, "ada", "economist")
    assert get_user(engine, "ada").role is Role.economist


# --- the command line ---


def _cli(db: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecomstat", "--db", db, "user", *args],
                          input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    db = str(tmp_path / "users.db")
    engine = make_engine(db)
    upgrade(engine)
    engine.dispose()
    return db


def test_cli_user_add_list_remove_reads_the_password_from_stdin(db_file: str) -> None:
    added = _cli(db_file, "add", "ada", "--role", "admin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "added ada (admin)" in added.stdout
    assert PASSWORD not in added.stdout + added.stderr  # never echoed
    assert _cli(db_file, "add", "eve", stdin="another long password\n").returncode == 0
    listed = _cli(db_file, "list", "--format", "json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["name"], r["role"]) for r in rows] == [("ada", "admin"), ("eve", "economist")]
    assert PASSWORD not in listed.stdout
    engine = make_engine(db_file)
    try:
        assert authenticate(engine, "ada", PASSWORD) is not None  # the newline is not part of it
        assert _cli(db_file, "set-role", "eve", "--role", "register").returncode == 0
        assert get_user(engine, "eve").role is Role.register
        assert _cli(db_file, "password", "eve", stdin="a third long password\n").returncode == 0
        assert authenticate(engine, "eve", "a third long password") is not None
        removed = _cli(db_file, "remove", "eve")
        assert removed.returncode == 0 and get_user(engine, "eve") is None
    finally:
        engine.dispose()


def test_cli_user_errors_are_one_line_and_exit_2(db_file: str) -> None:
    short = _cli(db_file, "add", "bob", stdin="short\n")
    assert short.returncode == 2 and "too short" in short.stderr and "Traceback" not in short.stderr
    empty = _cli(db_file, "add", "bob", stdin="")
    assert empty.returncode == 2 and "empty" in empty.stderr
    role = _cli(db_file, "add", "bob", "--role", "boss", stdin=PASSWORD + "\n")
    assert role.returncode == 2 and "unknown role" in role.stderr
    missing = _cli(db_file, "remove", "nobody")
    assert missing.returncode == 2 and "no user named 'nobody'" in missing.stderr
    assert _cli(db_file, "list", "--format", "json").stdout == ""


def test_cli_refuses_a_missing_database_file(tmp_path: Path) -> None:
    proc = _cli(str(tmp_path / "typo.db"), "list")
    assert proc.returncode != 0 and "no database" in proc.stderr
    assert not (tmp_path / "typo.db").exists()


def test_the_demo_makes_one_user_per_role_with_a_password_shown_once(db_file: str) -> None:
    from ecomstat.cli.demo import demo_web_users

    made = demo_web_users(f"sqlite:///{db_file}")
    assert sorted(role for _, role, _ in made) == sorted(r.name for r in Role)
    assert len({password for _, _, password in made}) == 4
    engine = make_engine(db_file)
    try:
        for name, role, password in made:
            assert len(password) >= 16 and authenticate(engine, name, password).role.name == role
        again = demo_web_users(f"sqlite:///{db_file}")  # a rerun: new passwords, the old ones end
        assert authenticate(engine, made[0][0], made[0][2]) is None
        assert authenticate(engine, again[0][0], again[0][2]) is not None
    finally:
        engine.dispose()
    assert demo_web_users(f"sqlite:///{db_file}.missing") == []  # no database: nothing to serve


def test_cli_user_add_on_a_terminal_asks_twice_without_echo(db_file: str) -> None:
    import os
    import pty
    import select as select_fd

    def run(answers: list[str]) -> tuple[str, int]:
        pid, fd = pty.fork()  # the child's controlling terminal is the pty, as in a shell
        if pid == 0:
            os.execv(sys.executable, [sys.executable, "-m", "ecomstat", "--db", db_file, "user", "add",
                                      "tty-user", "--role", "register"])
        seen = b""
        pending = list(answers)
        while True:
            ready, _, _ = select_fd.select([fd], [], [], 120)
            if not ready:
                os.kill(pid, 9)
                raise AssertionError(f"no answer from the terminal: {seen!r}")
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if pending and seen.rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                seen += b"|"  # the next prompt must come after this mark
        _, status = os.waitpid(pid, 0)
        return seen.decode(errors="replace"), os.waitstatus_to_exitcode(status)

    text, code = run(["first-long-password", "other-long-password"])
    assert code == 2 and "the two passwords differ" in text
    assert "first-long-password" not in text  # typed without echo
    text, code = run(["tty-long-password", "tty-long-password"])
    assert code == 0 and "Password (again):" in text and "added tty-user (register)" in text
    assert "tty-long-password" not in text
    engine = make_engine(db_file)
    try:
        assert authenticate(engine, "tty-user", "tty-long-password") is not None
    finally:
        engine.dispose()
