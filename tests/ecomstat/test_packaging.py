"""One import root: the wheel installs `ecomstat` and nothing else beside it (five of the
component folders' names are other projects on the package index)."""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folders_as_packages() -> set[str]:
    """Every folder (code or data) under a mapped folder, named as the wheel will name it."""
    mapping = SETUPTOOLS["package-dir"]
    found = set()
    for package, folder in mapping.items():
        nested = {p.split(".")[-1] for p in mapping if p.startswith(package + ".")}
        for dirpath, dirnames, _ in os.walk(ROOT / folder):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            relative = Path(dirpath).relative_to(ROOT / folder).parts
            if relative and relative[0] in nested:
                continue  # mapped on its own
            found.add(".".join((package, *relative)))
    return found


def test_every_folder_is_a_listed_package_and_every_listed_package_exists() -> None:
    listed = set(SETUPTOOLS["packages"])
    on_disk = _folders_as_packages()
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - on_disk == set(), "these listed packages have no folder"


def test_the_only_top_level_package_is_ecomstat() -> None:
    assert {p.split(".")[0] for p in SETUPTOOLS["packages"]} == {"ecomstat"}
    assert set(SETUPTOOLS["package-dir"]) <= {p for p in SETUPTOOLS["packages"]}
    installed = importlib.metadata.distribution("ecomstat").read_text("top_level.txt") or ""
    assert installed.split() == ["ecomstat"]


def test_components_import_under_the_root_only() -> None:
    for name in ("store", "spiders", "classifiers", "register", "indicators", "scheduler"):
        module = importlib.import_module(f"ecomstat.{name}")
        assert Path(module.__file__ or "").parent == ROOT / name
    scrapy_cfg = (ROOT / "scrapy.cfg").read_text()
    assert "default = ecomstat.spiders.settings" in scrapy_cfg
