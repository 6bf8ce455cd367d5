"""Usage errors from the command line are one line on stderr with exit code 2, like every other
error (the console script, not CliRunner: the entry point formats them)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecomstat", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, says", [
    (("classify", "page", "--threshold", "2", "x.html"), "Invalid value for '--threshold'"),
    (("classify", "page"), "Missing argument"),
    (("indicators", "show", "--format", "xml"), "'xml' is not one of"),
    (("register", "import", "--bogus", "f.csv"), "No such option: --bogus"),
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
