"""The README is a front page (short, the two set-up commands, links that resolve) and every
command of the CLI is described in the hand-written docs, not only in the generated reference."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer.main import get_command

from ecomstat.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_README_LINES = 250
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _command_paths(command: typer.core.TyperGroup | typer.core.TyperCommand, prefix: str) -> list[str]:
    sub = getattr(command, "commands", None)
    if not sub:
        return [prefix]
    paths: list[str] = []
    for name, child in sub.items():
        paths.extend(_command_paths(child, f"{prefix} {name}"))
    return paths


def _hand_written() -> list[Path]:
    generated = {ROOT / "docs" / "cli.md", ROOT / "docs" / "configuration.md"}
    return [README, *(p for p in sorted((ROOT / "docs").rglob("*.md")) if p not in generated)]


def test_every_command_is_described_in_the_docs() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in _hand_written())
    documented = set(re.findall(r"`(ecomstat [a-z0-9 -]+?)(?: [A-Z\[\-\"'<|.]|`)", text))
    # command lines in code blocks too
    documented |= {m.strip() for m in re.findall(
        r"^\s*(ecomstat [a-z0-9 -]+?)(?: [A-Z\[\-\"'<|.#$]|$)", text, re.M)}
    paths = _command_paths(get_command(app), "ecomstat")
    missing = [path for path in paths if not any(d == path or d.startswith(path + " ") for d in documented)]
    assert not missing, f"commands described nowhere in README.md or docs/*.md: {missing}"


def test_readme_is_a_front_page_with_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_README_LINES
    assert ("apt-get update && apt-get install -y chromium chromium-headless-shell && pip install . "
            "&& ecomstat demo") in text
    assert "pip install -e '.[test]' && python -m pytest -q" in text


def test_relative_links_resolve() -> None:
    broken = []
    for page in [*_hand_written(), ROOT / "CONTRIBUTING.md"]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor in the same page
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken
