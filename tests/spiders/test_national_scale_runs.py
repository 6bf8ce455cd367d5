"""`crawl sites --urls` at national size on PostgreSQL: the run and its visits are created for
70,000 URLs (an IN list with one parameter per URL failed at once past 65,535 parameters)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from ecomstat.spiders.claims import claim_sites
from ecomstat.spiders.runs import create_run, select_websites
from ecomstat.store import transaction
from ecomstat.store.models import SiteVisit, Website

N_URLS = 70_000


@pytest.mark.postgres
@pytest.mark.slow
def test_a_run_over_70000_urls_is_created(pg_engine: Engine) -> None:
    urls = [f"https://www.firma-{i}.de/" for i in range(N_URLS)]
    ids = select_websites(pg_engine, "urls", urls=urls)
    assert len(ids) == N_URLS == len(set(ids))
    again = select_websites(pg_engine, "urls", urls=urls)  # idempotent: the same rows
    assert again == ids
    run_id = create_run(pg_engine, "enterprise_site", ids)
    with transaction(pg_engine) as session:
        visits = session.scalar(select(func.count(SiteVisit.id)).where(SiteVisit.run_id == run_id))
        websites = session.scalar(select(func.count(Website.id)))
    assert visits == N_URLS and websites == N_URLS
    claimed = claim_sites(pg_engine, run_id, "host:1", 64, share=2)
    assert [url for _, url in claimed] == urls[:64]
