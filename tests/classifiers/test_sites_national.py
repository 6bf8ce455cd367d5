"""`classify sites` at national size on PostgreSQL: the websites are read in keyset pages and
`--website` ids in chunks, so no statement grows with the number of sites.

Before: every website with pages was read into one list, and the `--website` ids became one
`IN (...)` list, which PostgreSQL refuses past 65,535 bind parameters.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, insert, select

import ecomstat.classifiers.ecommerce.sites as sites
from ecomstat.classifiers.ecommerce.registry import load_model
from ecomstat.errors import BadInput
from ecomstat.store import transaction
from ecomstat.store.models import Classification, Page, Website

N_SITES = 70_000  # more than PostgreSQL's 65,535 bind parameters per statement
CRAWLED = list(range(1, N_SITES + 1, 10_000))  # 7 websites with a page


def _populate(engine: Engine) -> None:
    websites = [{"id": i, "url": f"https://www.firma-{i}.de/", "domain": f"firma-{i}.de",
                 "status": "linked", "found_by": "register"} for i in range(1, N_SITES + 1)]
    pages = [{"website_id": i, "url": f"https://www.firma-{i}.de/", "outcome": "ok", "depth": 0,
              "title": f"Firma {i}", "text": "Firma GmbH. Unser Onlineshop: in den Warenkorb",
              "links": []} for i in CRAWLED]
    with engine.begin() as connection:
        for start in range(0, N_SITES, 10_000):
            connection.execute(insert(Website), websites[start:start + 10_000])
        connection.execute(insert(Page), pages)


@pytest.mark.postgres
@pytest.mark.slow
def test_classify_sites_among_70000_websites(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _populate(pg_engine)
    model = load_model()
    with pytest.raises(BadInput, match="no website with crawled pages has the id 2, 3, 4"):
        sites.classify_sites(pg_engine, model, website_ids=list(range(1, N_SITES + 1)))

    monkeypatch.setattr(sites, "WEBSITE_PAGE", 2)  # several keyset pages over the 7 sites
    seen: list[int] = []
    totals: set[int] = set()
    summary = sites.classify_sites(pg_engine, model, on_result=lambda r: seen.append(r.website_id),
                                   progress=lambda done, total: totals.add(total))
    assert seen == CRAWLED and summary.sites == len(CRAWLED) and summary.results == []
    assert totals == {len(CRAWLED)}

    chosen = CRAWLED[::3] + [CRAWLED[-1]]
    again = sites.classify_sites(pg_engine, model, website_ids=chosen)
    assert [r.website_id for r in again.results] == sorted(set(chosen))
    with transaction(pg_engine) as session:
        labelled = session.scalar(select(func.count(func.distinct(Classification.target_id))).where(
            Classification.target_type == "website"))
    assert labelled == len(CRAWLED)
