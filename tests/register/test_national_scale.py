"""Register steps at national size on PostgreSQL: no statement grows with the number of sites.

PostgreSQL accepts at most 65,535 bind parameters per statement; an `IN (...)` list with one
parameter per website failed `register match` and `register validate` past that (SQLite accepts
it, so only PostgreSQL shows it). 70,000 linked websites, a handful of them with pages.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from ecomstat.settings import Settings
from ecomstat.register.match_sites import load_sites
from ecomstat.register.match_store import match_store
from ecomstat.register.validation import validate
from ecomstat.store.models import Enterprise, Page, ValidationFinding, Website

N_SITES = 70_000  # more than PostgreSQL's 65,535 bind parameters per statement
WITH_PAGES = 5


def _populate(engine: Engine) -> None:
    """70,000 linked websites shared by a few enterprises (the statements that failed grew with
    the websites; a few enterprises keep the matching itself small)."""
    enterprises = [{"id": f"E{i}", "name": f"Firma {i} GmbH", "country": "DE", "nace": "47.91",
                    "size_class": "10-49", "phone": "+49 30 1234567"} for i in range(WITH_PAGES)]
    websites = [{"id": i + 1, "url": f"https://www.firma-{i}.de/", "domain": f"firma-{i}.de",
                 "enterprise_id": f"E{i % WITH_PAGES}", "status": "linked", "found_by": "register",
                 "match_score": 0.9 if i < WITH_PAGES else 0.5} for i in range(N_SITES)]
    pages = [{"website_id": i + 1, "url": f"https://www.firma-{i}.de/", "outcome": "ok", "depth": 0,
              "title": f"Firma {i}", "text": f"Firma {i} GmbH, Impressum, Telefon +49 30 1234567",
              "links": []} for i in range(WITH_PAGES)]
    with engine.begin() as connection:
        for table, rows in ((Enterprise, enterprises), (Website, websites), (Page, pages)):
            for start in range(0, len(rows), 10_000):
                connection.execute(insert(table), rows[start:start + 10_000])


@pytest.mark.postgres
@pytest.mark.slow
def test_match_and_validate_past_the_bind_parameter_limit(pg_engine: Engine) -> None:
    _populate(pg_engine)
    with Session(pg_engine) as session:
        facts = load_sites(session, linked_only=True)
    assert sorted(f.site_id for f in facts) == list(range(1, WITH_PAGES + 1))

    summary = validate(pg_engine)
    assert summary.enterprises == WITH_PAGES
    with Session(pg_engine) as session:
        phones = session.scalar(select(func.count()).select_from(ValidationFinding).where(
            ValidationFinding.field == "phone"))
    assert phones == WITH_PAGES  # field findings only where the linked site has pages

    result = match_store(pg_engine, Settings({}))
    assert result.sites == WITH_PAGES
