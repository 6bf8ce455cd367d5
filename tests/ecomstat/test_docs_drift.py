"""docs/cli.md and docs/configuration.md are what the code generates: a new command, option or
setting makes this fail until `python -m ecomstat.cli.docs_gen` is run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ecomstat.cli.docs_gen import configuration_reference, settings_docs
from ecomstat.settings import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]


def test_generated_docs_are_up_to_date() -> None:
    # a clean environment: ECOMSTAT_* variables must not leak into the documented defaults
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMSTAT_")}
    proc = subprocess.run([sys.executable, "-m", "ecomstat.cli.docs_gen", "--check"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (
        "generated docs are out of date: run `python -m ecomstat.cli.docs_gen`\n"
        + proc.stdout[-4000:] + proc.stderr[-2000:])


def test_every_command_and_setting_is_in_the_references() -> None:
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for path in ("ecomstat crawl sites", "ecomstat model train products", "ecomstat query"):
        assert f"`{path}`" in cli
    config = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in DEFAULTS if f"`{name}`" not in config]
    assert not missing, missing


def test_every_setting_has_a_description() -> None:
    undescribed = [doc.name for doc in settings_docs() if not doc.description]
    assert not undescribed, (
        "add a comment next to these defaults in ecomstat/settings.py: " + ", ".join(undescribed))


def test_descriptions_come_from_trailing_comments_and_blocks_sections_from_one_liners() -> None:
    source = '''DEFAULTS: dict[str, Any] = {
    # store
    "ECOMSTAT_DATABASE_URL": "x",  # where results go
    # two lines of
    # explanation
    "ECOMSTAT_DATA_DIR": "d",
    "ECOMSTAT_QUERY_TIMEOUT": (
        60
    ),  # seconds
}
'''
    docs = {doc.name: doc for doc in settings_docs(source)}
    assert docs["ECOMSTAT_DATABASE_URL"].description == "where results go"
    assert docs["ECOMSTAT_DATABASE_URL"].section == "store"
    assert docs["ECOMSTAT_DATA_DIR"].description == "two lines of explanation"
    assert docs["ECOMSTAT_DATA_DIR"].section == "store"
    assert docs["ECOMSTAT_QUERY_TIMEOUT"].description == "seconds"
    assert "| `ECOMSTAT_QUERY_TIMEOUT` | `60` |" in configuration_reference()
