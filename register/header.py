"""Match a register file's header row to the canonical columns (directly or via a mapping)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ecomstat.register.csvsniff import delimiter_hint
from ecomstat.register.errors import InvalidRegister
from ecomstat.register.mapping import CANONICAL_COLUMNS, ColumnMapping
from ecomstat.register.validate_rows import REQUIRED


@dataclass
class HeaderLayout:
    index: dict[str, int]  # canonical column -> position in each row
    labels: dict[str, str]  # canonical column -> how errors name it ("nace" or "SBI (nace)")
    width: int
    ignored: list[str] = field(default_factory=list)  # headers that map to no canonical column


def _key(text: str) -> str:
    return text.strip().casefold()


def resolve_header(
    header: list[str], mapping: ColumnMapping, source: str, delimiter: str
) -> HeaderLayout:
    """Positions of the canonical columns in `header`; `InvalidRegister` for duplicated headers,
    mapped headers the file lacks, and missing required columns (with a delimiter hint)."""
    header = [header[0].lstrip("\ufeff")] + header[1:] if header else header
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        key = _key(name)
        if not key:
            continue
        if key in positions:
            raise InvalidRegister(
                f"{source}, line 1: column {name.strip()!r} appears twice "
                f"(columns {positions[key] + 1} and {position + 1})"
            )
        positions[key] = position

    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    for canonical in CANONICAL_COLUMNS:
        theirs = mapping.columns.get(canonical)
        if theirs is not None:
            if _key(theirs) not in positions:
                raise InvalidRegister(
                    f"{source}: the mapping maps {canonical} to column {theirs!r}, which the "
                    f"header does not have (header: {', '.join(h.strip() for h in header)})"
                )
            index[canonical] = positions[_key(theirs)]
            shown = header[index[canonical]].strip()
            labels[canonical] = canonical if _key(shown) == canonical else f"{shown} ({canonical})"
        elif canonical in positions:
            index[canonical] = positions[canonical]
            labels[canonical] = canonical
        else:
            labels[canonical] = canonical

    available = set(index) | {k for k, v in mapping.defaults.items() if v}
    missing = [c for c in REQUIRED if c not in available]
    if not {"employees", "size_class"} & available:
        missing.append("employees or size_class")
    if missing:
        header_text = delimiter.join(header)
        raise InvalidRegister(
            f"{source}: missing required columns {', '.join(missing)}"
            f" (found {len(header)} column{'s' if len(header) != 1 else ''}: "
            f"{header_text[:120]!r})"
            + (delimiter_hint(header_text, delimiter) if len(header) < 3 else "")
        )
    used = set(index.values())
    ignored = [name.strip() for i, name in enumerate(header) if i not in used and name.strip()]
    return HeaderLayout(index, labels, len(header), ignored)
