"""`register match` works a chunk at a time through scratch tables: the links must not depend on
the chunk sizes, and must be the ones the in-memory matcher (register.matching) makes over the
whole register at once, ties and one-to-one conflicts across chunk boundaries included."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from ecomstat.register import match_sites, match_store
from ecomstat.register.blocklist import load_webmail
from ecomstat.register.match_sites import load_records, load_sites
from ecomstat.register.matching import match_records
from ecomstat.register.scorer import MatchScorer
from ecomstat.settings import Settings
from ecomstat.store.models import Enterprise, Page, Website

SYLLABLES = ("ber", "lin", "ka", "mo", "ra", "tek", "son", "vel")  # few: homonyms and shared words
N_ENTERPRISES = 90


def _firms(rng: random.Random) -> Iterator[dict]:
    for i in range(N_ENTERPRISES):
        name = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
        yield {"id": f"E{i:03d}", "name": f"{name} {rng.choice(['Bau', 'Handel', 'Technik'])} GmbH",
               "country": "DE", "nace": "47.91", "size_class": "10-49",
               "postcode": f"{10000 + rng.randrange(50):05d}", "city": "Berlin",
               "address": f"Hauptstraße {rng.randrange(1, 30)}",
               "phone": f"+49 30 {1000000 + i}" if rng.random() < 0.5 else None}


def _pages(firm: dict, domain: str, rng: random.Random) -> list[dict]:
    imprint = (f"Impressum {firm['name']} {firm['address']} {firm['postcode']} Berlin"
               + (f" Telefon {firm['phone']}" if firm["phone"] and rng.random() < 0.7 else ""))
    return [{"url": f"http://{domain}/", "title": firm["name"], "text": f"Willkommen bei {firm['name']}"},
            {"url": f"http://{domain}/impressum", "title": "Impressum", "text": imprint}]


def _populate(engine: Engine, seed: int = 3) -> dict[str, int]:
    """Firms with homonyms, sites for most of them (some twice, some attached to the wrong firm
    and linked by an earlier run), a parked site, an alias redirecting to a stored site and a
    link made by hand. Returns the special sites' ids by role."""
    rng = random.Random(seed)
    firms = list(_firms(rng))
    websites: list[dict] = []
    pages: list[dict] = []

    def site(domain: str, firm: dict, site_pages: list[dict], **columns: object) -> int:
        site_id = len(websites) + 1
        websites.append({"id": site_id, "url": f"http://{domain}/", "domain": domain,
                         "status": "verified", "found_by": "name-guess", "enterprise_id": None, **columns})
        pages.extend({"website_id": site_id, "outcome": "ok", "depth": depth, "links": [],
                      "structured_data": {}, "title": "", "final_url": None, **page}
                     for depth, page in enumerate(site_pages))
        return site_id

    for i, firm in enumerate(firms):
        if rng.random() < 0.8:
            domain = f"{firm['name'].split()[0].lower()}-{i}.de.test"
            attached = firm["id"] if rng.random() < 0.5 else firms[rng.randrange(len(firms))]["id"]
            status = "linked" if rng.random() < 0.2 else "verified"
            site(domain, firm, _pages(firm, domain, rng), enterprise_id=attached, status=status)
            if rng.random() < 0.15:  # a second site of the same firm: one-to-one keeps one
                site(f"shop-{i}.de.test", firm, _pages(firm, f"shop-{i}.de.test", rng))
    roles = {"parked": site("parked-1.de.test", firms[0], [
        {"url": "http://parked-1.de.test/", "text": "This domain is parked. Buy this domain."}])}
    target = websites[0]["domain"]
    roles["alias"] = site("alias-1.de.test", firms[0], [
        {"url": "http://alias-1.de.test/", "final_url": f"http://{target}/",
         "text": f"Willkommen bei {firms[0]['name']}"}], status="linked", enterprise_id=firms[0]["id"])
    roles["stale"] = site("stale-1.de.test", firms[2], [  # linked by an earlier run, says nothing now
        {"url": "http://stale-1.de.test/", "text": "Zubehör und Ersatzteile, Lieferung in 3 Tagen"}],
        status="linked", enterprise_id=firms[2]["id"])
    manual_firm = firms[1]
    roles["manual"] = site("by-hand.de.test", manual_firm, _pages(manual_firm, "by-hand.de.test", rng),
                           enterprise_id=manual_firm["id"], status="linked", found_by="manual")
    with engine.begin() as connection:
        connection.execute(insert(Enterprise), firms)
        connection.execute(insert(Website), websites)
        connection.execute(insert(Page), pages)
    return roles


_STATE = (Website.id, Website.status, Website.enterprise_id, Website.match_score, Website.match_evidence)


def _state(engine: Engine) -> dict[int, tuple]:
    with Session(engine) as session:
        return {row[0]: tuple(row[1:]) for row in session.execute(select(*_STATE).order_by(Website.id))}


def _restore(engine: Engine, state: dict[int, tuple]) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(Website), [
            {"id": site_id, "status": status, "enterprise_id": enterprise_id, "match_score": score,
             "match_evidence": evidence}
            for site_id, (status, enterprise_id, score, evidence) in state.items()])


def _in_memory_links(engine: Engine, roles: dict[str, int]) -> dict[int, tuple[str, float]]:
    """{site id: (enterprise id, score)} from register.matching over the whole register."""
    with Session(engine) as session:
        manual = session.get(Website, roles["manual"]).enterprise_id
        records = [r for r in load_records(session) if r.id != manual]
        sites = [s for s in load_sites(session) if not s.parked and s.site_id != roles["alias"]
                 and s.attached_enterprise_id != manual]
    result = match_records(records, sites, MatchScorer.load(), 0.5, webmail=load_webmail().domains)
    return {sites[p.site].site_id: (records[p.record].id, round(p.probability, 6)) for p in result.links}


def test_links_do_not_depend_on_chunks_and_equal_the_in_memory_matcher(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    roles = _populate(engine)
    before = _state(engine)
    expected = _in_memory_links(engine, roles)

    summary = match_store.match_store(engine, Settings({}))
    whole = _state(engine)
    linked = {site_id: (enterprise_id, score) for site_id, (status, enterprise_id, score, _) in whole.items()
              if status == "linked" and site_id != roles["manual"]}
    assert linked == expected
    assert summary.linked == len(expected) > 20
    assert summary.unlinked >= 1 and whole[roles["stale"]][:2] == ("verified", before[roles["stale"]][1])
    assert 0 < whole[roles["stale"]][2] < 0.5  # the score of the pair with the firm it was found for
    assert (summary.parked, summary.redirects) == (1, 1)
    assert whole[roles["parked"]][0] == "parked"
    assert whole[roles["alias"]][0] == "verified"
    assert whole[roles["alias"]][3] == {"redirects_to": _domain(engine, 1)}
    assert whole[roles["manual"]] == before[roles["manual"]]

    _restore(engine, before)
    monkeypatch.setattr(match_store, "RECORD_CHUNK", 7)
    monkeypatch.setattr(match_store, "WRITE_BATCH", 3)
    monkeypatch.setattr(match_sites, "PAGE_BATCH", 2)
    chunked = match_store.match_store(engine, Settings({}))
    assert _state(engine) == whole
    assert chunked == summary

    again = match_store.match_store(engine, Settings({}))  # idempotent
    assert _state(engine) == whole and again.linked == summary.linked and again.unlinked == 0


def _domain(engine: Engine, site_id: int) -> str:
    with Session(engine) as session:
        return session.get(Website, site_id).domain
