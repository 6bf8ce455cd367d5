"""`ecomstat --help` and the command tree load without the heavy libraries: every command
imports SQLAlchemy, NumPy, Scrapy or scikit-learn only when it runs (start-up was 1.5 s)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["sqlalchemy", "alembic", "numpy", "scipy", "sklearn", "scrapy", "apscheduler", "pandas"]


def test_building_the_command_tree_imports_no_heavy_library() -> None:
    probe = (
        "import json, sys\n"
        "import typer\n"
        "from ecomstat.cli import app\n"
        "typer.main.get_command(app)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
