"""Read enterprises back from the store for `ecomstat register list`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, select

from ecomstat.register.countries import country_names
from ecomstat.register.errors import InvalidRegister
from ecomstat.register.nace import nace_codes
from ecomstat.store.models import Enterprise

LIST_COLUMNS = (
    "id", "name", "country", "nace", "nace_section", "size_class", "employees", "url",
    "snapshot_id",
)


def list_enterprises(
    engine: Engine,
    *,
    country: str | None = None,
    nace_section: str | None = None,
    limit: int | None = None,
) -> tuple[Sequence[str], Iterator[tuple[Any, ...]]]:
    """Enterprises ordered by id, optionally one country and/or one NACE section; `limit`
    None or 0 means all. Filters are checked against the code lists, so a typo is an error
    rather than an empty answer."""
    query = select(*(Enterprise.__table__.c[c] for c in LIST_COLUMNS)).order_by(Enterprise.id)
    if country:
        country = country.strip().upper()
        if country not in country_names():
            raise InvalidRegister(f"--country {country!r} is not an ISO 3166 alpha-2 code")
        query = query.where(Enterprise.country == country)
    if nace_section:
        nace_section = nace_section.strip().upper()
        if nace_codes().get(nace_section) is None or len(nace_section) != 1:
            raise InvalidRegister(
                f"--nace-section {nace_section!r} is not a NACE Rev.2 section (A-U)"
            )
        query = query.where(Enterprise.nace_section == nace_section)
    if limit is not None and limit < 0:
        raise InvalidRegister("--limit must be 0 (all) or more")
    if limit:
        query = query.limit(limit)

    def rows() -> Iterator[tuple[Any, ...]]:
        with engine.connect() as conn:
            for row in conn.execute(query):
                yield tuple(row)

    return LIST_COLUMNS, rows()
