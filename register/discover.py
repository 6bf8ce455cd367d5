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

A national register is worked through in chunks of CHUNK enterprises (a keyset page each:
read, guessed, probed in one prober call, stored and committed), so neither memory nor any
statement grows with the register (issue 15).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
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

# Enterprises per chunk: ~20 candidates each, so one url_probe crawl of up to ~40,000 domains
# per chunk, long enough that the crawl's start-up (a few seconds) does not matter.
CHUNK = 2000
ID_CHUNK = 5000  # --id values per look-up: below every database's bind-parameter limit
PROBE_CACHE = 100_000  # recently probed domains remembered (without their page text)
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


EnterpriseRow = tuple[str, str, str, str, str, str | None]  # id, name, country, email, city, url


def _check_ids(session: Session, ids: list[str]) -> None:
    """Refuse --id values the register does not hold, before anything is probed (chunked
    look-ups: a national list of ids must not become one statement)."""
    known: set[str] = set()
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start:start + ID_CHUNK]
        known.update(session.scalars(select(Enterprise.id).where(Enterprise.id.in_(chunk))))
    unknown = [i for i in ids if i not in known]
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise InvalidCandidateInput(f"--id: no enterprise {shown} in the register")


def _enterprise_chunks(engine: Engine, redo: bool, ids: Sequence[str] | None,
                       size: int) -> Iterator[list[EnterpriseRow]]:
    """The enterprises to search, `size` at a time in id order (a keyset page per chunk, so
    neither the statements nor the memory grow with the register). Without `redo`, only those
    without a usable website: a register URL nobody has fetched yet (status 'candidate') is
    probed first, not trusted. Read a chunk at a time in its own short transaction: sites
    stored for earlier chunks are committed meanwhile."""
    columns = (Enterprise.id, Enterprise.name, Enterprise.country, Enterprise.email,
               Enterprise.city, Enterprise.url)
    query = select(*columns).order_by(Enterprise.id)
    if not redo:
        query = query.where(~select(Website.id).where(
            Website.enterprise_id == Enterprise.id,
            Website.status.in_(HAS_WEBSITE_STATUSES)).exists())
    wanted = sorted(set(ids or ()))
    if wanted:
        with Session(engine) as session:
            _check_ids(session, wanted)
    if wanted:
        pages = (query.where(Enterprise.id.in_(wanted[start:start + size]))
                 for start in range(0, len(wanted), size))
    else:
        pages = None
    last: str | None = None
    while True:
        if pages is not None:
            page = next(pages, None)
            if page is None:
                return
        else:
            page = query.limit(size) if last is None else query.where(Enterprise.id > last).limit(size)
        with Session(engine) as session:
            rows = [(r[0], r[1], r[2], r[3] or "", r[4] or "", r[5]) for r in session.execute(page)]
        if pages is None:
            if not rows:
                return
            last = rows[-1][0]
        if rows:
            yield rows


def _register_candidate(url: str | None, suffix: str) -> list[Candidate]:
    """The register's own URL as the first candidate (its www/bare variants are probed)."""
    if not url:
        return []
    domain = hostname(url)
    domain = domain[4:] if domain.startswith("www.") else domain
    return [Candidate(site_root(url), domain, "register")] if domain else []


Write = tuple[str, str, str, str, dict[str, Any]]  # canonical URL, enterprise, found_by, status, note


def _apply(session: Session, writes: list[Write]) -> None:
    """Store a chunk's findings: the website rows they touch read in a few look-ups (not one
    round trip per URL), new rows added, all written at commit."""
    urls = sorted({write[0] for write in writes})
    known: dict[str, Website | None] = {}
    for start in range(0, len(urls), ID_CHUNK):
        known.update((w.url, w) for w in session.scalars(
            select(Website).where(Website.url.in_(urls[start:start + ID_CHUNK]))))
    for url, enterprise_id, found_by, status, note in writes:
        website = known.get(url)
        if website is None:
            known[url] = Website(url=url, domain=registered_domain(url), enterprise_id=enterprise_id,
                                 found_by=found_by, status=status, match_evidence={"discovery": note})
            session.add(known[url])
        else:
            _update(website, enterprise_id, status, note)


def _update(website: Website, enterprise_id: str, status: str, note: dict[str, Any]) -> None:
    if website.status == "linked" or website.found_by == "manual":
        return  # discovery never overrides a person or a match
    if website.found_by == "register":
        website.status = status  # the register's URL: only its status is learnt
        return
    website.status = status
    website.enterprise_id = website.enterprise_id or enterprise_id
    website.match_evidence = {"discovery": note}


class _ProbeCache:
    """The probe results of recently probed domains, so a domain several enterprises propose
    (`mueller.de` for every Müller) is fetched once per run while it stays among the last
    `size` domains probed. Bounded: kept without the page text, with the parked verdict."""

    def __init__(self, size: int = PROBE_CACHE) -> None:
        self.size = size
        self.results: OrderedDict[str, tuple[ProbeResult, str | None]] = OrderedDict()

    def get(self, domain: str) -> tuple[ProbeResult, str | None] | None:
        hit = self.results.get(domain)
        if hit is not None:
            self.results.move_to_end(domain)
        return hit

    def put(self, domain: str, result: ProbeResult) -> tuple[ProbeResult, str | None]:
        final = result.final_url or result.url
        reason = parked_reason(result.text, final, result.links) if result.answered else None
        slim = ProbeResult(result.key, result.url, result.outcome, result.status,
                           result.final_url, result.title)
        self.results[domain] = (slim, reason)
        if len(self.results) > self.size:
            self.results.popitem(last=False)
        return slim, reason


@dataclass
class _Run:
    """What one discovery run carries from chunk to chunk."""

    settings: Settings
    prober: Prober
    host_map: dict[str, str]
    generator: CandidateGenerator
    blocklist: Any
    search: SearchProvider | None
    summary: DiscoverSummary = field(default_factory=DiscoverSummary)
    cache: _ProbeCache = field(default_factory=_ProbeCache)
    without_site: int = 0  # enterprises the guesses did not find, searched or to be searched
    failure: SearchError | None = None


def discover(engine: Engine, settings: Settings, *, prober: Prober, redo: bool = False,
             enterprise_ids: Sequence[str] | None = None,
             search: SearchProvider | None = None, chunk_size: int = CHUNK) -> DiscoverSummary:
    """Candidates for enterprises without a website, fetched by `prober` (in production
    `ecomstat.discovery.probe_with_spider`, the url_probe spider: the crawler is another
    component, so it is handed in from above, not imported here), stored as website rows.

    The register is worked through `chunk_size` enterprises at a time (read, guessed, probed,
    stored and committed per chunk), so memory and every statement stay the same size at any
    register size, and an interrupted run keeps what earlier chunks found."""
    run = _Run(settings, prober, load_host_map(str(settings["ECOMSTAT_HOST_MAP"])),
               CandidateGenerator(settings), load_blocklist(settings),
               search if search is not None else provider_from_settings(settings))
    for chunk in _enterprise_chunks(engine, redo, enterprise_ids, chunk_size):
        _discover_chunk(engine, run, chunk)
    if run.failure is not None:
        raise SearchError(f"{run.failure} (web search stopped after {run.summary.searched} of "
                          f"{run.without_site} enterprises; what it found so far is stored)")
    return run.summary


def _discover_chunk(engine: Engine, run: _Run, chunk: list[EnterpriseRow]) -> None:
    summary = run.summary
    summary.enterprises += len(chunk)
    by_enterprise: dict[str, list[Candidate]] = {
        eid: _register_candidate(url, run.generator.suffix)
        + run.generator.generate(name, country, email, city)
        for eid, name, country, email, city, url in chunk}
    results = _probe_round(by_enterprise, run)
    found = _store(engine, by_enterprise, results, run.blocklist, summary)
    missing = [row for row in chunk if row[0] not in found]
    run.without_site += len(missing)
    if run.search is not None and run.failure is None and missing:
        extra = _search_round(run.search, run, missing)
        results = _probe_round(extra, run, fresh=True)
        found |= _store(engine, extra, results, run.blocklist, summary)
    summary.found += len(found)


def _search_round(search: SearchProvider, run: _Run, missing: list[EnterpriseRow]) -> dict[str, list[Candidate]]:
    """Web-search candidates for enterprises the guesses did not find. A failure (quota, key,
    outage: the next queries would fail alike) stops the searching for the rest of the run;
    what the searches so far found is probed and stored before it is reported."""
    extra: dict[str, list[Candidate]] = {}
    for eid, name, country, _email, city, _url in missing:
        try:
            hits = search.search(f"{name} {city}".strip(), country)
        except SearchError as exc:
            run.failure = exc
            break
        run.summary.searched += 1
        domains: list[str] = []
        for hit in hits:
            if hit.url in run.blocklist:
                continue
            domain = registered_domain(hit.url)
            if domain and domain not in domains:
                domains.append(domain)
        extra[eid] = [Candidate(f"https://{d}", d, "search") for d in domains[:5]]
    return extra


def _probe_round(by_enterprise: dict[str, list[Candidate]], run: _Run,
                 fresh: bool = False) -> dict[str, tuple[ProbeResult, str | None]]:
    """Each distinct candidate domain's probe result and parked verdict: from the cache, or
    probed now (one prober call for the chunk). `fresh`: the search round probes its results
    again, as it always did (a search hit is worth a second look)."""
    tasks, known = [], {}
    for candidates in by_enterprise.values():
        run.summary.candidates += len(candidates)
        for candidate in candidates:
            domain = candidate.domain
            if domain in known:
                continue
            known[domain] = None if fresh else run.cache.get(domain)
            if known[domain] is not None:
                continue
            urls = probe_variants(domain, run.host_map)
            if urls:
                tasks.append({"key": domain, "urls": urls})
            elif run.host_map:
                run.summary.not_mapped += 1
    run.summary.probed += len(tasks)
    answers = run.prober(tasks, run.settings) if tasks else {}
    for domain, result in answers.items():
        known[domain] = run.cache.put(domain, result)
    return {domain: hit for domain, hit in known.items() if hit is not None}


def _store(engine: Engine, by_enterprise: dict[str, list[Candidate]],
           results: dict[str, tuple[ProbeResult, str | None]], blocklist: Any,
           summary: DiscoverSummary) -> set[str]:
    found: set[str] = set()
    writes: list[Write] = []

    def _upsert(url: str, enterprise_id: str, found_by: str, status: str,
                note: dict[str, Any]) -> None:
        writes.append((canonicalize_url(site_root(url)), enterprise_id, found_by, status, note))

    for eid, candidates in by_enterprise.items():
        kept = parked = 0
        for rank, candidate in enumerate(candidates, start=1):
            result, reason = results.get(candidate.domain, (None, None))
            note = {"candidate": candidate.url, "source": candidate.source, "rank": rank}
            found_by = FOUND_BY[candidate.source]
            if result is None or not result.answered:
                if candidate.source in ("email", "register"):
                    note["outcome"] = result.outcome if result else "dns-failure"
                    _upsert(candidate.url, eid, found_by, "dead", note)
                    summary.dead += 1
                continue
            final = result.final_url or result.url
            if _blocked(final, candidate, blocklist):
                continue
            if reason:
                if parked == 0:
                    note["parked"] = reason
                    _upsert(final, eid, found_by, "parked", note)
                    summary.parked += 1
                parked += 1
                continue
            if kept < MAX_SITES:
                note.update({"final_url": final, "title": result.title})
                _upsert(final, eid, found_by, "verified", note)
                summary.verified += 1
                kept += 1
                found.add(eid)
                if candidate.source == "register":
                    break  # the register's URL answers: no need to guess others
    with Session(engine) as session, session.begin():
        _apply(session, writes)
    return found


def _blocked(final: str, candidate: Candidate, blocklist: Any) -> bool:
    """Whether the site a candidate led to is a directory, marketplace or social network. The
    generator proposes a listed domain only to the company of that name (Google: google.com),
    so the candidate's own domain stays, unless the office's own blocklist file lists it."""
    if final not in blocklist and hostname(final) not in blocklist:
        return False
    return blocklist.added_by_user(final) or registered_domain(final) != candidate.domain
