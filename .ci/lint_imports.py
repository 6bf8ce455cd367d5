"""Check the import contract ([tool.importlinter] in pyproject.toml) on the installed layout.

import-linter finds a package's modules by walking its folder, and ecomstat's subpackages live
in folders beside it (pyproject.toml maps `store/` to `ecomstat.store`, ...). This lays the
package out as the wheel does, in a temporary folder of symlinks (no build, no copy), and runs
`lint-imports` there. Usage: python .ci/lint_imports.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lay_out(target: Path) -> None:
    """Mirror each package-dir folder at its dotted place under `target` (files symlinked)."""
    package_dir = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"]
    for package, folder in sorted(package_dir.items()):  # "ecomstat" before "ecomstat.store"
        source = ROOT / folder
        dest = target.joinpath(*package.split("."))
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            here = Path(dirpath)
            if here != source and (here.relative_to(source).parts[0] in
                                   {p.split(".")[-1] for p in package_dir if p != package
                                    and p.startswith(package + ".")}):
                continue  # mapped elsewhere
            out = dest / here.relative_to(source)
            out.mkdir(parents=True, exist_ok=True)
            for name in filenames:
                if name.endswith(".py"):
                    (out / name).symlink_to(here / name)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ecomstat-layout-") as tmp:
        lay_out(Path(tmp))
        # lint-imports puts its working directory first on sys.path: run it in the layout
        return subprocess.call(["lint-imports", "--no-cache",
                                str(ROOT / "pyproject.toml")], cwd=tmp)


if __name__ == "__main__":
    sys.exit(main())
