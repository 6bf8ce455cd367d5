"""Matching on the store: read the register and the crawled pages, link websites to enterprises.

Reads the pages of every website that answered (not dead, parked, rejected), extracts what each
site says about its owner (imprint, contact and about pages first), and works through scratch
tables (register.match_tables) so that memory does not grow with the register: site facts and
blocking keys are stored as the pages stream by, enterprises are blocked and scored a chunk at a
time, and the one-to-one assignment reads the scored pairs back most probable first. The links
are written in the same single transaction. Re-running gives the same links (idempotent); a link
made by hand (found_by 'manual') is never changed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, Select, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ecomstat.errors import ConfigurationError
from ecomstat.settings import Settings
from ecomstat.urls import registered_domain
from ecomstat.register import match_tables as tables
from ecomstat.register.blocking import (MAX_BLOCK, NAME_KEY_PREFIX, PER_RECORD, best_candidates,
                                        key_weight, record_keys, site_keys)
from ecomstat.register.blocklist import load_webmail
from ecomstat.register.features import RegisterRecord, pair_features
from ecomstat.register.match_sites import RECORD_COLUMNS, iter_sites, record_from_enterprise
from ecomstat.register.matching import PairScore, evidence
from ecomstat.register.scorer import MatchScorer
from ecomstat.store.models import Enterprise, Website
from ecomstat.store.registry import upsert_model

RECORD_CHUNK = 1_000  # enterprises blocked and scored at a time
WRITE_BATCH = 1_000  # rows per insert or update round trip
_UNCHANGED = {"synchronize_session": False}  # no ORM object of these rows is loaded


def _record_model(session: Session, scorer: MatchScorer) -> None:
    """The scorer that made the links, versioned in the model table (provenance)."""
    upsert_model(session, name="register-match", version=scorer.version or "unversioned",
                 kind="matching", training_data_sha256=scorer.training_data_sha256 or None,
                 metrics=scorer.metrics, params=scorer.to_dict())


@dataclass
class MatchSummary:
    enterprises: int
    sites: int
    pairs_compared: int
    linked: int
    unlinked: int  # previously linked sites released
    parked: int = 0  # sites found parked (status set to 'parked', not matched)
    redirects: int = 0  # sites redirecting to another stored site (the target is matched)


def match_store(engine: Engine, settings: Settings, scorer: MatchScorer | None = None) -> MatchSummary:
    threshold = settings.getfloat("ECOMSTAT_MATCH_THRESHOLD")
    if not 0.0 <= threshold <= 1.0:
        raise ConfigurationError(f"the match threshold is a probability in [0, 1], got {threshold}")
    scorer = scorer or MatchScorer.load()
    webmail = load_webmail().domains
    with Session(engine) as session, session.begin():
        connection = session.connection()
        tables.create(connection)
        _store_sites(session)
        parked = _mark_parked(session)
        redirects = _mark_redirects(session)
        sites = _choose_usable_sites(session)
        enterprises, pairs = _score_register(session, scorer, threshold, webmail)
        linked = _assign(session, threshold)
        released = _release_and_score_unlinked(session)
        _record_model(session, scorer)
        tables.drop(connection)  # on failure the rollback (PostgreSQL) or the next create drops them
        return MatchSummary(enterprises, sites, pairs, linked, released, parked, redirects)


def _insert(session: Session, table: Any, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(table), rows)
        rows.clear()


def _store_sites(session: Session) -> None:
    """Facts and blocking keys of every usable site, one site's pages in memory at a time."""
    site_rows: list[dict] = []
    key_rows: list[dict] = []
    for site in iter_sites(session):
        target = registered_domain(site.home_final_url) if site.home_final_url else site.domain
        site_rows.append({"site_id": site.site_id, "domain": site.domain or "", "target": target or "",
                          "parked": site.parked, "attached": site.attached_enterprise_id,
                          "alias": False, "usable": False,
                          "facts": None if site.parked else tables.facts_to_json(site)})
        if not site.parked:
            key_rows.extend({"key": key, "site_id": site.site_id} for key in site_keys(site))
        if len(site_rows) >= WRITE_BATCH:
            _insert(session, tables.site_table, site_rows)
            _insert(session, tables.key_table, key_rows)
    _insert(session, tables.site_table, site_rows)
    _insert(session, tables.key_table, key_rows)


def _keyset(session: Session, stmt: Select, key: Any, size: int = WRITE_BATCH) -> Iterator[list]:
    """Rows of `stmt` in pages of `size` by `key` (its first column): no cursor stays open
    while the caller writes, and no page grows with the store."""
    last = None
    while True:
        page = stmt if last is None else stmt.where(key > last)
        rows = session.execute(page.order_by(key).limit(size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _linked_by_hand(status: str | None, found_by: str | None) -> bool:
    return status == "linked" and found_by == "manual"


def _mark_parked(session: Session) -> int:
    """Parked sites get status 'parked' (a link made by hand stays); they are not matched."""
    site = tables.site_table
    stmt = (select(site.c.site_id, site.c.parked, Website.status, Website.found_by)
            .join(Website, Website.id == site.c.site_id).where(site.c.parked.is_not(None)))
    count = 0
    for rows in _keyset(session, stmt, site.c.site_id):
        updates = [{"id": site_id, "status": "parked", "match_evidence": {"parked": reason}}
                   for site_id, reason, status, found_by in rows
                   if not _linked_by_hand(status, found_by)]
        if updates:
            session.execute(update(Website), updates)
        count += len(updates)
    return count


def _mark_redirects(session: Session) -> int:
    """Sites whose home page redirects to another stored site: the target is matched, the
    alias is not (it would tie with it); an alias that was linked is released."""
    site, target_site = tables.site_table, tables.site_table.alias("target_site")
    session.execute(update(site).where(site.c.target != site.c.domain,
                                       site.c.target.in_(select(target_site.c.domain)))
                    .values(alias=True))
    stmt = (select(site.c.site_id, site.c.target, Website.status, Website.found_by)
            .join(Website, Website.id == site.c.site_id).where(site.c.alias))
    count = 0
    for rows in _keyset(session, stmt, site.c.site_id):
        count += len(rows)
        updates = [{"id": site_id, "match_evidence": {"redirects_to": target},
                    "status": "verified" if status == "linked" else status}
                   for site_id, target, status, found_by in rows
                   if not _linked_by_hand(status, found_by)]
        if updates:
            session.execute(update(Website), updates)
    return count


def _manual_enterprises() -> Select:
    return select(Website.enterprise_id).where(
        Website.found_by == "manual", Website.status == "linked", Website.enterprise_id.is_not(None))


def _choose_usable_sites(session: Session) -> int:
    """Mark the sites that take part (not parked, not an alias, not attached to an enterprise
    linked by hand) and keep only their blocking keys, without name words too common to block
    on. Returns how many sites take part."""
    site, key = tables.site_table, tables.key_table
    session.execute(update(site).where(
        site.c.parked.is_(None), ~site.c.alias,
        or_(site.c.attached.is_(None), site.c.attached.not_in(_manual_enterprises())),
    ).values(usable=True))
    session.execute(delete(key).where(key.c.site_id.in_(select(site.c.site_id).where(~site.c.usable))))
    common = (select(key.c.key).where(key.c.key.like(NAME_KEY_PREFIX + "%")).group_by(key.c.key)
              .having(func.count() > MAX_BLOCK))
    session.execute(delete(key).where(key.c.key.in_(common)))
    tables.analyze(session.connection(), site, key)
    return session.scalar(select(func.count()).select_from(site).where(site.c.usable)) or 0


def _score_register(session: Session, scorer: MatchScorer, threshold: float,
                    webmail: frozenset[str] | set[str]) -> tuple[int, int]:
    """Block and score the register a chunk of enterprises at a time (id order, enterprises
    linked by hand left out) into the pair table. Returns (enterprises, pairs scored)."""
    stmt = select(*RECORD_COLUMNS).where(Enterprise.id.not_in(_manual_enterprises()))
    enterprises = pairs = 0
    for rows in _keyset(session, stmt, Enterprise.id, RECORD_CHUNK):
        records = [record_from_enterprise(row) for row in rows]
        pairs += _score_chunk(session, records, enterprises, scorer, threshold, webmail)
        enterprises += len(records)
    return enterprises, pairs


def _blocked_pairs(session: Session, records: list[RegisterRecord], first_seq: int,
                   webmail: frozenset[str] | set[str]) -> dict[int, list[int]]:
    """{rec_seq: [site id, ...]} for one chunk, as register.blocking.candidate_pairs ranks them."""
    record_key, key = tables.record_key_table, tables.key_table
    session.execute(delete(record_key))
    _insert(session, record_key, [{"rec_seq": first_seq + i, "key": k}
                                  for i, rec in enumerate(records) for k in record_keys(rec, webmail)])
    shared: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for rec_seq, site_id, shared_key in session.execute(
            select(record_key.c.rec_seq, key.c.site_id, key.c.key)
            .join(key, key.c.key == record_key.c.key)):
        shared[rec_seq][site_id] += key_weight(shared_key)
    return {rec_seq: best_candidates(sites, PER_RECORD) for rec_seq, sites in sorted(shared.items())}


def _score_chunk(session: Session, records: list[RegisterRecord], first_seq: int, scorer: MatchScorer,
                 threshold: float, webmail: frozenset[str] | set[str]) -> int:
    blocked = _blocked_pairs(session, records, first_seq, webmail)
    flat = [(rec_seq, site_id) for rec_seq, site_ids in blocked.items() for site_id in site_ids]
    if not flat:
        return 0
    site, candidate = tables.site_table, tables.candidate_table
    session.execute(delete(candidate))
    _insert(session, candidate, [{"site_id": site_id} for site_id in sorted({s for _, s in flat})])
    facts = {site_id: tables.facts_from_json(data) for site_id, data in session.execute(
        select(site.c.site_id, site.c.facts).join(candidate, candidate.c.site_id == site.c.site_id))}
    X = np.array([pair_features(records[rec_seq - first_seq], facts[site_id], webmail)
                  for rec_seq, site_id in flat], dtype=float)
    rows = []
    for (rec_seq, site_id), probability, features in zip(flat, scorer.predict_proba(X), X.tolist()):
        rec, facts_of_site = records[rec_seq - first_seq], facts[site_id]
        pair = PairScore(rec_seq - first_seq, site_id, float(probability), features)
        rows.append({
            "rec_seq": rec_seq, "enterprise_id": rec.id, "site_id": site_id,
            "probability": pair.probability, "score": round(pair.probability, 6),
            "attached": facts_of_site.attached_enterprise_id == rec.id,
            "evidence": json.dumps(evidence(rec, facts_of_site, pair, scorer))
            if pair.probability >= threshold else None})
    count = len(rows)
    _insert(session, tables.pair_table, rows)
    return count


def _assign(session: Session, threshold: float) -> int:
    """Greedy one-to-one assignment over every scored pair, most probable first (ties: the
    enterprise's id order, then the site's), as register.matching.choose_links does in memory.
    Holds the ids linked so far (~100 bytes a link), nothing else that grows with the store."""
    pair = tables.pair_table
    stmt = (select(pair.c.enterprise_id, pair.c.site_id, pair.c.score, pair.c.evidence)
            .where(pair.c.probability >= threshold)
            .order_by(pair.c.probability.desc(), pair.c.rec_seq, pair.c.site_id))
    taken_enterprises: set[str] = set()
    taken_sites: set[int] = set()
    links: list[dict] = []
    for enterprise_id, site_id, score, evidence_json in session.execute(
            stmt, execution_options={"yield_per": WRITE_BATCH}):
        if enterprise_id in taken_enterprises or site_id in taken_sites:
            continue
        taken_enterprises.add(enterprise_id)
        taken_sites.add(site_id)
        links.append({"id": site_id, "status": "linked", "enterprise_id": enterprise_id,
                      "match_score": score, "match_evidence": json.loads(evidence_json)})
        if len(links) >= WRITE_BATCH:
            _write_links(session, links)
    _write_links(session, links)
    return len(taken_sites)


def _write_links(session: Session, links: list[dict]) -> None:
    """Write a batch of links and empty it."""
    if links:
        session.execute(update(Website), links)
        _insert(session, tables.linked_table, [{"site_id": link["id"]} for link in links])
        links.clear()


def _release_and_score_unlinked(session: Session) -> int:
    """Sites that take part but were not linked now: a link from an earlier run is released
    (status 'verified'), and a site found for an enterprise keeps that pair's probability as
    its score. Returns how many links were released."""
    site, pair, linked = tables.site_table, tables.pair_table, tables.linked_table
    not_linked_now = Website.id.not_in(select(linked.c.site_id))
    released = session.execute(
        update(Website).where(Website.status == "linked", not_linked_now,
                              Website.id.in_(select(site.c.site_id).where(site.c.usable)))
        .values(status="verified").execution_options(**_UNCHANGED)).rowcount
    attached_score = (select(pair.c.score).where(pair.c.site_id == Website.id, pair.c.attached)
                      .scalar_subquery())
    session.execute(
        update(Website).where(not_linked_now, Website.id.in_(select(pair.c.site_id).where(pair.c.attached)))
        .values(match_score=attached_score).execution_options(**_UNCHANGED))
    return released
