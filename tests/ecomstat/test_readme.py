"""Every command of the CLI is documented in the README's command reference."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer.main import get_command

from ecomstat.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _command_paths(command: typer.core.TyperGroup | typer.core.TyperCommand, prefix: str) -> list[str]:
    sub = getattr(command, "commands", None)
    if not sub:
        return [prefix]
    paths: list[str] = []
    for name, child in sub.items():
        paths.extend(_command_paths(child, f"{prefix} {name}"))
    return paths


def test_every_command_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(ecomstat [a-z0-9 -]+?)(?: [A-Z\[\-\"'<]|`)", text))
    paths = _command_paths(get_command(app), "ecomstat")
    missing = [path for path in paths if not any(d == path or d.startswith(path + " ") for d in documented)]
    assert not missing, f"commands missing from README.md's command reference: {missing}"


def test_readme_has_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "ecomstat demo" in text
    assert "python -m pytest" in text
