"""NACE Rev. 2 codes (shipped in register/data/nace_rev2.csv, see SOURCE.md there).

Registers write NACE codes in several ways: `47.91`, `4791`, `47.9`, `479`, `47`, `G`. Every
accepted spelling is precomputed into one dict, so checking a code during an import of a million
rows is a single lookup.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class NaceCode:
    code: str  # dotted form: "G", "47", "47.9", "47.91"
    level: int  # 1 section, 2 division, 3 group, 4 class
    section: str  # the section letter the code belongs to
    title: str


@lru_cache(maxsize=1)
def nace_codes() -> dict[str, NaceCode]:
    """All 996 NACE Rev. 2 codes by their dotted form."""
    text = resources.files("ecomstat.register").joinpath("data/nace_rev2.csv").read_text(encoding="utf-8")
    codes = {}
    for row in csv.DictReader(text.splitlines()):
        codes[row["code"]] = NaceCode(row["code"], int(row["level"]), row["section"], row["title"])
    return codes


@lru_cache(maxsize=1)
def nace_spellings() -> dict[str, NaceCode]:
    """Every accepted spelling -> code: the dotted form, the undotted digits (`4791`, `479`) and
    a lower-case section letter."""
    spellings: dict[str, NaceCode] = {}
    for code, entry in nace_codes().items():
        spellings[code] = entry
        if entry.level == 1:
            spellings[code.lower()] = entry
        else:
            spellings[code.replace(".", "")] = entry
    return spellings


def lookup_nace(value: str) -> NaceCode | None:
    """The NACE Rev. 2 code written as `value` (any accepted spelling), or None."""
    return nace_spellings().get(value.strip())
