"""Column mapping for registers whose headers differ from the canonical layout.

A mapping file is TOML::

    delimiter = ";"            # optional; sniffed when absent
    encoding = "cp1252"        # optional; sniffed when absent

    [columns]                  # canonical name = "their header"
    id = "KVK_NUMMER"
    name = "HANDELSNAAM"
    nace = "SBI"

    [values.size_class]        # optional value maps, applied before validation
    "1" = "0-9"
    "2" = "10-49"

    [defaults]                 # optional: a value for an absent or empty column
    country = "NL"
"""

from __future__ import annotations

import codecs
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ecomstat.register.errors import InvalidMapping

CANONICAL_COLUMNS: tuple[str, ...] = (
    "id", "name", "legal_form", "address", "postcode", "city", "country", "region", "nace",
    "employees", "size_class", "vat_id", "company_id", "phone", "email", "url", "weight",
)
KNOWN_KEYS = {"delimiter", "encoding", "columns", "values", "defaults"}


@dataclass
class ColumnMapping:
    """How a register file's headers and values map onto the canonical layout."""

    columns: dict[str, str] = field(default_factory=dict)  # canonical -> header in the file
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical -> {theirs: ours}
    defaults: dict[str, str] = field(default_factory=dict)  # canonical -> value
    delimiter: str | None = None
    encoding: str | None = None


def _check_canonical(path: Path, section: str, names: object) -> None:
    unknown = sorted(set(names) - set(CANONICAL_COLUMNS))  # type: ignore[arg-type]
    if unknown:
        raise InvalidMapping(
            f"{path}: [{section}] names unknown columns {', '.join(unknown)} "
            f"(canonical columns: {', '.join(CANONICAL_COLUMNS)})"
        )


def _string_table(path: Path, section: str, table: object) -> dict[str, str]:
    if not isinstance(table, dict):
        raise InvalidMapping(f"{path}: [{section}] must be a table of names to strings")
    result = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidMapping(f"{path}: [{section}] {key} must be a string, got {value!r}")
        result[str(key)] = str(value)
    return result


def check_delimiter(delimiter: str, where: str) -> str:
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise InvalidMapping(f"{where}: delimiter must be one character, got {delimiter!r}")
    return delimiter


def check_encoding(encoding: str, where: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InvalidMapping(f"{where}: unknown encoding {encoding!r}") from None


def load_mapping(path: Path | str) -> ColumnMapping:
    """Read and check a mapping file; every mistake is an `InvalidMapping` naming the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidMapping(f"mapping file {path} does not exist") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidMapping(f"{path}: not a valid TOML mapping file: {exc}") from None
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise InvalidMapping(
            f"{path}: unknown keys {', '.join(unknown)} (allowed: {', '.join(sorted(KNOWN_KEYS))})"
        )
    columns = _string_table(path, "columns", data.get("columns", {}))
    _check_canonical(path, "columns", columns)
    headers = [h.strip().casefold() for h in columns.values()]
    if len(set(headers)) != len(headers):
        raise InvalidMapping(f"{path}: [columns] maps two canonical columns to the same header")
    values_table = data.get("values", {})
    if not isinstance(values_table, dict):
        raise InvalidMapping(f"{path}: [values] must hold one table per column")
    _check_canonical(path, "values", values_table)
    values = {
        name: _string_table(path, f"values.{name}", table) for name, table in values_table.items()
    }
    defaults = _string_table(path, "defaults", data.get("defaults", {}))
    _check_canonical(path, "defaults", defaults)
    delimiter = data.get("delimiter")
    encoding = data.get("encoding")
    return ColumnMapping(
        columns=columns,
        values=values,
        defaults=defaults,
        delimiter=check_delimiter(str(delimiter), str(path)) if delimiter is not None else None,
        encoding=check_encoding(str(encoding), str(path)) if encoding is not None else None,
    )
