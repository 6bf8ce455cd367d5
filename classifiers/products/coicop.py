"""COICOP 2018 codes: format checks, hierarchy and titles.

Codes are dotted: division `01`, group `01.1`, class `01.1.1`, subclass `01.1.1.1`, and a few
national or detail extensions below (`01.1.1.1.1`, the Czech `03.1.2.1.1`). Labels may be at any
level; the hierarchy is read from the code itself, so extensions need no table.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

CODE_PATTERN = re.compile(r"^\d{2}(\.\d{1,2}){0,4}$")


def clean_code(code: str) -> str:
    """A code as written in a labels file, trimmed (`'01.2.1.0 '` -> `'01.2.1.0'`)."""
    return str(code).strip()


def is_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))


def level(code: str) -> int:
    """1 for a division, 2 for a group, 3 for a class, 4 for a subclass, 5+ for extensions."""
    return code.count(".") + 1


def ancestors(code: str) -> list[str]:
    """Parents from the nearest up to the division: `01.1.1.1` -> [`01.1.1`, `01.1`, `01`]."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]


def truncate(code: str, to_level: int) -> str:
    return ".".join(code.split(".")[:to_level])


@lru_cache(maxsize=1)
def titles() -> dict[str, str]:
    """COICOP 2018 code -> English title (shipped, see classifiers/data/SOURCE.md)."""
    path = resources.files("ecomstat.classifiers") / "data" / "coicop2018.csv"
    with path.open(encoding="utf-8") as handle:
        return {row["code"]: row["title"] for row in csv.DictReader(handle)}


def title(code: str) -> str | None:
    """The title of a code, or of its nearest COICOP 2018 ancestor for extension codes."""
    table = titles()
    for candidate in [code, *ancestors(code)]:
        if candidate in table:
            return table[candidate]
    return None
