"""File formats `ecomstat export` writes, and the one guard every CSV writer applies to its
cells; a light module so the CLI and every package can import it."""

from __future__ import annotations

import enum
import re
from typing import Any


class ExportFormat(str, enum.Enum):
    csv = "csv"
    json = "json"
    parquet = "parquet"


# A cell a spreadsheet would run as a formula (CSV injection, OWASP): web values and register
# values come from texts anyone can write. Phone numbers and negative numbers stay as they are.
_FORMULA_START = ("=", "@", "+", "-", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[+-][\d\s().\-/]*")


def spreadsheet_safe(value: Any) -> Any:
    """`value` with a leading apostrophe when it is text a spreadsheet would read as a formula;
    every other value (numbers, None, dates) unchanged. Every CSV writer applies it to every
    cell; JSON and Parquet are data formats and stay raw."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) \
            and not _NUMBER_LIKE.fullmatch(value):
        return "'" + value
    return value
