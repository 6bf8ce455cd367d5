"""URL discovery: candidate domains for enterprises without a website, probed through the
crawler, stored as website rows.

For every enterprise without a usable website row, candidates come from its e-mail domain and
name (register.candidates) and, when a search API is configured, from web-search results.
A prober handed in by the caller (the `url_probe` spider, run in a subprocess through
spiders.runner, so it honours the host map, private-address refusal and size caps:
`ecomstat.discovery`) fetches each candidate's home page. Responding,
non-parked candidates become `website` rows with status 'verified' (up to MAX_SITES per
enterprise, best first); parked ones are stored with status 'parked' and an enterprise's dead
e-mail domain with status 'dead', so validation can report them. Matching decides later which
site is the enterprise's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ecomstat.hostmap import load_host_map
from ecomstat.settings import Settings
from ecomstat.urls import TEST_TLD, canonicalize_url, hostname, registered_domain, site_root
from ecomstat.register.blocklist import load_blocklist
from ecomstat.register.candidates import Candidate, CandidateGenerator
from ecomstat.register.errors import InvalidCandidateInput, SearchError
from ecomstat.register.parked import parked_reason
from ecomstat.register.search import SearchProvider, provider_from_settings
from ecomstat.store.models import Enterprise, Website

MAX_SITES = 3  # verified sites kept per enterprise; matching picks the right one
HAS_WEBSITE_STATUSES = ("verified", "linked")
FOUND_BY = {"register": "register", "email": "email", "name-domain": "name-guess",
            "name-guess": "name-guess", "search": "search"}


@dataclass
class ProbeResult:
    key: str
    url: str
    outcome: str
    status: int | None = None
    final_url: str | None = None
    title: str | None = None
    text: str = ""
    links: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        """The host serves a website: a successful home page, or a robots.txt that forbids
        reading it (the site exists; matching will have nothing to read)."""
        if self.outcome == "robots-denied":
            return True
        return self.outcome == "ok" and self.status is not None and self.status < 400


Prober = Callable[[Sequence[dict[str, Any]], Settings], dict[str, ProbeResult]]


def probe_variants(domain: str, host_map: dict[str, str]) -> list[str]:
    """URLs to try for a candidate domain, in order. Host-mapped hosts (the sample web) are
    plain HTTP through the map. While a host map is in use, nothing outside it is probed: the
    map means "this is a rehearsal on a local web", and a candidate such as `mueller.de` (the
    name without ECOMSTAT_CANDIDATE_SUFFIX) must not reach a real company's server. A `.test`
    host that is not mapped never resolves (RFC 6761), so it gets no request either."""
    hosts = [domain, f"www.{domain}"]
    mapped = [h for h in hosts if h in host_map]
    if mapped:
        return [f"http://{h}/" for h in reversed(mapped)]
    if host_map or domain.endswith("." + TEST_TLD):
        return []
    return [f"https://{domain}/", f"https://www.{domain}/", f"http://{domain}/", f"http://www.{domain}/"]


@dataclass
class DiscoverSummary:
    enterprises: int = 0
    candidates: int = 0
    probed: int = 0
    verified: int = 0
    parked: int = 0
    dead: int = 0
    searched: int = 0
    found: int = 0  # enterprises with at least one verified site
    not_mapped: int = 0  # candidates left unprobed because a host map is in use


def _enterprises_to_search(session: Session, redo: bool, ids: Sequence[str] | None) -> list[Enterprise]:
    query = select(Enterprise).order_by(Enterprise.id)
    if ids:
        query = query.where(Enterprise.id.in_(list(ids)))
    enterprises = list(session.scalars(query))
    unknown = sorted(set(ids or ()) - {e.id for e in enterprises})
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise InvalidCandidateInput(f"--id: no enterprise {shown} in the register")
    if redo:
        return enterprises
    # a register URL nobody has fetched yet (status 'candidate') is probed first, not trusted
    has_site = set(session.scalars(select(Website.enterprise_id).where(
        Website.status.in_(HAS_WEBSITE_STATUSES), Website.enterprise_id.is_not(None))))
    return [e for e in enterprises if e.id not in has_site]


def _register_candidate(url: str | None, suffix: str) -> list[Candidate]:
    """The register's own URL as the first candidate (its www/bare variants are probed)."""
    if not url:
        return []
    domain = hostname(url)
    domain = domain[4:] if domain.startswith("www.") else domain
    return [Candidate(site_root(url), domain, "register")] if domain else []


def _upsert(session: Session, url: str, enterprise_id: str, found_by: str, status: str,
            note: dict[str, Any]) -> None:
    url = canonicalize_url(site_root(url))
    website = session.scalar(select(Website).where(Website.url == url))
    if website is None:
        session.add(Website(url=url, domain=registered_domain(url), enterprise_id=enterprise_id,
                            found_by=found_by, status=status, match_evidence={"discovery": note}))
        session.flush()
        return
    if website.status == "linked" or website.found_by == "manual":
        return  # discovery never overrides a person or a match
    if website.found_by == "register":
        website.status = status  # the register's URL: only its status is learnt
        return
    website.status = status
    website.enterprise_id = website.enterprise_id or enterprise_id
    website.match_evidence = {"discovery": note}


def discover(engine: Engine, settings: Settings, *, prober: Prober, redo: bool = False,
             enterprise_ids: Sequence[str] | None = None,
             search: SearchProvider | None = None) -> DiscoverSummary:
    """Candidates for enterprises without a website, fetched by `prober` (in production
    `ecomstat.discovery.probe_with_spider`, the url_probe spider: the crawler is another
    component, so it is handed in from above, not imported here), stored as website rows."""
    search = search if search is not None else provider_from_settings(settings)
    host_map = load_host_map(str(settings["ECOMSTAT_HOST_MAP"]))
    generator = CandidateGenerator(settings)
    blocklist = load_blocklist(settings)
    summary = DiscoverSummary()
    with Session(engine) as session:
        enterprises = _enterprises_to_search(session, redo, enterprise_ids)
        snapshot = [(e.id, e.name, e.country, e.email or "", e.city or "") for e in enterprises]
        register_urls = {e.id: e.url for e in enterprises}
    summary.enterprises = len(snapshot)

    by_enterprise: dict[str, list[Candidate]] = {
        eid: _register_candidate(register_urls.get(eid), generator.suffix)
        + generator.generate(name, country, email, city)
        for eid, name, country, email, city in snapshot}
    results = _probe_round(by_enterprise, host_map, settings, prober, summary)
    found = _store(engine, by_enterprise, results, blocklist, summary)

    failure: SearchError | None = None
    if search is not None:
        missing = [row for row in snapshot if row[0] not in found]
        extra: dict[str, list[Candidate]] = {}
        for eid, name, country, _email, city in missing:
            try:
                hits = search.search(f"{name} {city}".strip(), country)
            except SearchError as exc:
                # quota, key or outage: the next queries would fail alike. Stop asking, but
                # probe and store what the searches so far found before reporting it.
                failure = SearchError(f"{exc} (web search stopped after {summary.searched} of "
                                      f"{len(missing)} enterprises; what it found so far is stored)")
                break
            summary.searched += 1
            domains = []
            for hit in hits:
                if hit.url in blocklist:
                    continue
                domain = registered_domain(hit.url)
                if domain and domain not in domains:
                    domains.append(domain)
            extra[eid] = [Candidate(f"https://{d}", d, "search") for d in domains[:5]]
        results = _probe_round(extra, host_map, settings, prober, summary)
        found |= _store(engine, extra, results, blocklist, summary)
    summary.found = len(found)
    if failure is not None:
        raise failure
    return summary


def _probe_round(by_enterprise: dict[str, list[Candidate]], host_map: dict[str, str], settings: Settings,
                 prober: Prober, summary: DiscoverSummary) -> dict[str, ProbeResult]:
    tasks, seen = [], set()
    for candidates in by_enterprise.values():
        summary.candidates += len(candidates)
        for candidate in candidates:
            if candidate.domain in seen:
                continue
            seen.add(candidate.domain)
            urls = probe_variants(candidate.domain, host_map)
            if urls:
                tasks.append({"key": candidate.domain, "urls": urls})
            elif host_map:
                summary.not_mapped += 1
    summary.probed += len(tasks)
    return prober(tasks, settings)


def _store(engine: Engine, by_enterprise: dict[str, list[Candidate]], results: dict[str, ProbeResult],
           blocklist: Any, summary: DiscoverSummary) -> set[str]:
    found: set[str] = set()
    with Session(engine) as session, session.begin():
        for eid, candidates in by_enterprise.items():
            kept = parked = 0
            for rank, candidate in enumerate(candidates, start=1):
                result = results.get(candidate.domain)
                note = {"candidate": candidate.url, "source": candidate.source, "rank": rank}
                found_by = FOUND_BY[candidate.source]
                if result is None or not result.answered:
                    if candidate.source in ("email", "register"):
                        note["outcome"] = result.outcome if result else "dns-failure"
                        _upsert(session, candidate.url, eid, found_by, "dead", note)
                        summary.dead += 1
                    continue
                final = result.final_url or result.url
                if _blocked(final, candidate, blocklist):
                    continue
                reason = parked_reason(result.text, final, result.links)
                if reason:
                    if parked == 0:
                        note["parked"] = reason
                        _upsert(session, final, eid, found_by, "parked", note)
                        summary.parked += 1
                    parked += 1
                    continue
                if kept < MAX_SITES:
                    note.update({"final_url": final, "title": result.title})
                    _upsert(session, final, eid, found_by, "verified", note)
                    summary.verified += 1
                    kept += 1
                    found.add(eid)
                    if candidate.source == "register":
                        break  # the register's URL answers: no need to guess others
    return found


def _blocked(final: str, candidate: Candidate, blocklist: Any) -> bool:
    """Whether the site a candidate led to is a directory, marketplace or social network. The
    generator proposes a listed domain only to the company of that name (Google: google.com),
    so the candidate's own domain stays, unless the office's own blocklist file lists it."""
    if final not in blocklist and hostname(final) not in blocklist:
        return False
    return blocklist.added_by_user(final) or registered_domain(final) != candidate.domain
