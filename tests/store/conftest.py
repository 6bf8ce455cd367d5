"""Two waves of a small register, written through the crawl's own store writers.

Wave 1 (2026Q3): 24 enterprises with a linked website each, 10 of them shops. Wave 2 (2026Q4):
3 shops' sites die (DNS failure), 2 shops close (the site stays, the shop page is gone), 2
firms open shops, 1 firm moves to a new URL; everything else is crawled again unchanged.
Site labels are written as `classify sites` writes them (one classification row per site and
task, the newest id wins), then the wave is recorded (`store.waves.record_wave`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, insert

from ecomstat.spiders.runs import SiteResult, create_run, finish_run, in_wave, upsert_websites, write_sites
from ecomstat.store import transaction
from ecomstat.store.models import Classification, Enterprise, Website, utcnow
from ecomstat.store.waves import record_wave

N = 24
SHOPS_1 = set(range(10))  # enterprises E00..E09 sell online in wave 1
DIED = {0, 1, 2}  # shops whose site is dead in wave 2
CLOSED = {3, 4}  # shops closed, site alive
OPENED = {20, 21}  # firms that open a shop in wave 2
MOVED = 22  # a firm whose website moved to a new URL in wave 2


@dataclass
class Scenario:
    engine: Engine
    sites: dict[int, int] = field(default_factory=dict)  # firm number -> website id
    n: int = N
    shops_1: frozenset[int] = frozenset(SHOPS_1)
    shops_2: frozenset[int] = frozenset((SHOPS_1 - DIED - CLOSED) | OPENED)
    died: frozenset[int] = frozenset(DIED)
    closed: frozenset[int] = frozenset(CLOSED)
    opened: frozenset[int] = frozenset(OPENED)
    moved: int = MOVED

    def eid(self, k: int) -> str:
        return f"E{k:02d}"


def _pages(url: str, shop: bool) -> list[dict]:
    now = utcnow()
    pages = [{"url": url, "outcome": "ok", "depth": 0, "content_hash": f"h-{url}",
              "text": "home", "http_status": 200, "fetched_at": now, "rendered": False}]
    if shop:
        pages.append({"url": url + "shop", "outcome": "ok", "depth": 1, "fetched_at": now,
                      "content_hash": f"s-{url}", "text": "cart", "http_status": 200,
                      "rendered": False})
    return pages


def crawl_and_classify(engine: Engine, wave: str, results: dict[int, tuple[str, bool]]) -> None:
    """Crawl `results` (website id -> (outcome, shop)) as one run of `wave`, label the sites
    crawled ok (web_sales yes for shops; social media yes for every site) and record the wave."""
    with in_wave(wave):
        run_id = create_run(engine, "enterprise_site", sorted(results))
    with transaction(engine) as session:
        urls = dict(session.query(Website.id, Website.url).all())
    write_sites(engine, run_id, [
        SiteResult(website_id, outcome, _pages(urls[website_id], shop) if outcome == "ok" else [])
        for website_id, (outcome, shop) in sorted(results.items())])
    finish_run(engine, run_id, "finished")
    rows = []
    for website_id, (outcome, shop) in sorted(results.items()):
        if outcome != "ok":
            continue
        evidence = [{"page": urls[website_id] + ("shop" if shop else ""), "probability": 0.9}]
        for task, label, probability in (("web_sales", "yes" if shop else "no", 0.9 if shop else 0.1),
                                         ("marketplace", "no", None), ("social_media", "yes", None)):
            rows.append({"target_type": "website", "target_id": str(website_id), "task": task,
                         "label": label, "probability": probability, "evidence": evidence,
                         "model_version": f"test-{wave}", "needs_review": False})
    with transaction(engine) as session:
        session.execute(insert(Classification), rows)
    record_wave(engine, wave)


def build_two_waves(engine: Engine) -> Scenario:
    scenario = Scenario(engine)
    with transaction(engine) as session:
        for k in range(N):
            session.add(Enterprise(id=scenario.eid(k), name=f"Firm {k}", country="DE",
                                   nace="47.91", nace_section="G",
                                   employees=20 + k if k % 2 else 60 + k,
                                   size_class="10-49" if k % 2 else "50-249"))
    ids = upsert_websites(engine, [f"https://firm{k}.test/" for k in range(N)], found_by="register")
    with transaction(engine) as session:
        for k, website_id in enumerate(ids):
            session.get(Website, website_id).enterprise_id = scenario.eid(k)
            session.get(Website, website_id).status = "linked"
            scenario.sites[k] = website_id
    crawl_and_classify(engine, "2026Q3", {ids[k]: ("ok", k in SHOPS_1) for k in range(N)})
    new_url = upsert_websites(engine, [f"https://firm{MOVED}-new.test/"], found_by="register")[0]
    with transaction(engine) as session:
        session.get(Website, ids[MOVED]).status = "rejected"  # matching moved the firm
        moved = session.get(Website, new_url)
        moved.enterprise_id, moved.status = scenario.eid(MOVED), "linked"
    wave2 = {}
    for k in range(N):
        if k == MOVED:
            wave2[new_url] = ("ok", False)
        elif k in DIED:
            wave2[ids[k]] = ("dns-failure", False)
        else:
            wave2[ids[k]] = ("ok", (k in SHOPS_1 - CLOSED) or k in OPENED)
    crawl_and_classify(engine, "2026Q4", wave2)
    return scenario


@pytest.fixture
def two_waves() -> Callable[[Engine], Scenario]:
    return build_two_waves
