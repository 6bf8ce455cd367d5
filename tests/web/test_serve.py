"""`ecomstat serve`: refuses a missing database, starts on a free port, answers, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from ecomstat.store import make_engine, upgrade

START_TIMEOUT = 60


def _read_url(proc: subprocess.Popen[str]) -> str:
    """The URL `serve` prints on its first stdout line (read in a thread, waited for with a
    timeout: never a sleep)."""
    found: list[str] = []
    done = threading.Event()

    def read() -> None:
        line = proc.stdout.readline() if proc.stdout else ""
        found.append(line)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(START_TIMEOUT) or "http://" not in found[0]:
        proc.kill()
        raise AssertionError(f"serve printed no URL: {found} {proc.stderr.read() if proc.stderr else ''}")
    return found[0].split("http://", 1)[1].split()[0]


@pytest.mark.slow
def test_serve_starts_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "serve.db"
    engine = make_engine(str(db))
    upgrade(engine)
    engine.dispose()
    proc = subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", str(db), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        address = _read_url(proc)
        assert address.startswith("127.0.0.1:")  # loopback by default
        login = httpx.get(f"http://{address}/login", timeout=30)
        assert login.status_code == 200 and "<h1>Sign in</h1>" in login.text
        assert httpx.get(f"http://{address}/", timeout=30, follow_redirects=False).status_code == 303
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "no users yet" in err  # the operator is told how to add the first one
    assert "Traceback" not in err


def test_serve_refuses_a_missing_database_file(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ecomstat", "--db", str(tmp_path / "typo.db"), "serve", "--port", "0"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "no database" in proc.stderr
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.slow
def test_serve_warns_when_listening_beyond_loopback_without_https(tmp_path: Path) -> None:
    from ecomstat.cli.serve import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.0.2.10")
    db = tmp_path / "serve.db"
    engine = make_engine(str(db))
    upgrade(engine)
    engine.dispose()
    proc = subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", str(db), "serve", "--host", "0.0.0.0",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _read_url(proc)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "without https" in err and "ECOMSTAT_WEB_HTTPS" in err
    assert proc.returncode == 0 and "Traceback" not in err
