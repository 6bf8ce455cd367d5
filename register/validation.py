"""Validation findings for register staff: what the web says about each enterprise.

Per enterprise one `website` finding (confirmed / candidate / none-found / dead / parked, or
contradicted when the register's URL is not the site that matched), and for a linked site one
finding per register field the site confirms, contradicts or adds (vat_id, phone, postcode,
address, name, legal_form), with the page that says so, the web value as the page writes it
and a confidence that says how sure the finding is (register.validation_evidence).

Findings are kept per wave (register.validate_waves): re-running for the same wave updates
each (enterprise, field) finding of that wave in place (idempotent; its id stays, so a worklist
row can be decided on) and removes that wave's findings that no longer hold; a later wave writes
its own rows. A finding stays decided (register.decisions) while its evidence fingerprint is the
one decided on, in any wave.
Enterprises are read in keyset chunks and each site's pages streamed one site at a time, so
memory and every statement stay bounded whatever the size of the register.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from ecomstat.urls import registered_domain
from ecomstat.register.extract import SiteFacts, compact_id, id_keys
from ecomstat.register.features import RegisterRecord, normalise_street
from ecomstat.register.legal_forms import normalise_form, split_legal_forms, suffix_form_ends, tokens
from ecomstat.register.match_sites import SiteRow, record_from_enterprise, site_facts
from ecomstat.register.validate_waves import record_validation, wave_to_validate
from ecomstat.register.validation_evidence import (
    alternatives_of, confidence, fingerprint, page_facts, sources, written_address, written_postcode)
from ecomstat.store.models import Enterprise, Page, RegisterDecision, ValidationFinding, Website

ADDRESS_OK = 85  # partial similarity (0-100) of the register street within the imprint text
NAME_OK = 85
CHUNK = 1000  # enterprises validated per round trip (keyset chunks: bounded memory)
PAGE_BATCH = 200  # page rows fetched per round trip (a server-side cursor on PostgreSQL)


@dataclass
class Finding:
    field: str
    verdict: str  # confirmed | contradicted | missing | candidate | none-found | dead | parked
    register_value: str | None = None
    web_value: str | None = None
    evidence_url: str | None = None
    confidence: float | None = None
    basis: dict[str, Any] = field(default_factory=dict)  # what the confidence rests on


def _link_of(site: Website) -> float | None:
    return 1.0 if site.found_by == "manual" else site.match_score


def website_finding(e: Enterprise, sites: list[Website]) -> Finding:
    linked = [w for w in sites if w.status == "linked"]
    register_url = e.url or None
    if linked:
        # a link made by hand outranks any computed one
        best = max(linked, key=lambda w: (w.found_by == "manual", w.match_score or 0))
        link = None if _link_of(best) is None else round(_link_of(best), 3)
        basis = {"link": link, "found_by": best.found_by}
        verdict = "contradicted" if register_url and registered_domain(register_url) != registered_domain(
            best.url) else "confirmed"
        return Finding("website", verdict, register_url, best.url, best.url, link, basis)
    candidates = [w for w in sites if w.status in ("verified", "candidate")]
    if candidates:
        best = max(candidates, key=lambda w: w.match_score or 0)
        return Finding("website", "candidate", register_url, best.url, best.url, best.match_score,
                       {"link": best.match_score, "found_by": best.found_by})
    for status in ("parked", "dead", "unreachable"):
        hits = [w for w in sites if w.status == status]
        if hits:
            verdict = "dead" if status == "unreachable" else status
            return Finding("website", verdict, register_url, hits[0].url, hits[0].url, None,
                           {"status": status})
    return Finding("website", "none-found", register_url, None, None, None)


def _legal_form_on_site(rec: RegisterRecord, facts: SiteFacts) -> str | None:
    """The legal form the site writes right after the enterprise's name, if any."""
    text = facts.legal_text.split()
    form_ends = suffix_form_ends(rec.country)
    for core in rec.name_cores:
        words = core.split()
        n = len(words)
        for i in range(len(text) - n):
            if text[i:i + n] != words:
                continue
            for k in range(5, 0, -1):  # the longest form right after the name
                window = text[i:i + n + k]
                last = tokens(window[-1])
                if last and last[-1] not in form_ends:
                    continue  # no form ends there (the costly split would find none)
                core_tokens, forms = split_legal_forms(" ".join(window), rec.country)
                if forms and list(core_tokens) == words:
                    return " ".join(forms)
    return None


def _national_tax_ids(facts: SiteFacts, country: str) -> set[str]:
    """Tax ids that are not EU VAT numbers but play their part: Brazil's CNPJ, Indonesia's NPWP
    (the register's vat_id column holds them), validated by check digits."""
    from stdnum.br import cnpj
    from stdnum.id import npwp

    if country == "BR":
        return {c for c in facts.company_ids if cnpj.is_valid(c)}
    if country == "ID":
        return {c for c in facts.company_ids if npwp.is_valid(c)}
    return set()


class _Findings:
    """The field findings of one (register record, linked site) pair, with their evidence."""

    def __init__(self, rec: RegisterRecord, facts: SiteFacts, link: float | None,
                 pages: Sequence[Mapping[str, Any]]) -> None:
        self.rec, self.facts, self.link, self.pages = rec, facts, link, pages
        self.out: list[Finding] = []
        self._page_facts: list[Any] | None = None

    def add(self, name: str, verdict: str, register_value: Any, web_value: Any, key: str, *,
            similarity: float | None = None) -> None:
        basis: dict[str, Any] = {"link": self.link}
        if verdict == "confirmed":  # the values agree: as sure as the site is theirs
            value = None if self.link is None else round(self.link, 3)
        else:
            n = sources(self.pages, self.rec.country, self.facts.domain, name, web_value,
                        self.page_facts()) if self.pages else 1
            k = alternatives_of(name, self.facts)
            exact = similarity is None
            basis |= {"sources": n, "alternatives": k}
            if verdict == "contradicted":
                basis["mismatch"] = "exact" if exact else "fuzzy"
            if similarity is not None:
                basis["similarity"] = round(similarity, 1)
            value = confidence(link=self.link, sources=n, exact=exact, similarity=similarity,
                               alternatives=k if verdict == "contradicted" else 1)
        self.out.append(Finding(name, verdict, register_value or None, web_value or None,
                                self.facts.evidence_urls.get(key) or self.facts.url, value, basis))

    def page_facts(self) -> list[Any]:
        if self._page_facts is None:  # once per site, for the fields that count sources
            self._page_facts = page_facts(self.pages, self.rec.country, self.facts.domain)
        return self._page_facts

    def written_postcode(self, compact: str) -> str:
        return written_postcode(self.pages, self.rec.country, compact) or compact

    def vat_id(self) -> None:
        rec, facts = self.rec, self.facts
        tax_ids = facts.vat_ids or _national_tax_ids(facts, rec.country)
        if not tax_ids:
            return
        web_vat = sorted(tax_ids)[0]
        key = "vat_id" if facts.vat_ids else "company_id"
        if not rec.vat_id:
            self.add("vat_id", "missing", None, web_vat, key)
        elif id_keys(rec.vat_id) & facts.id_keys():
            self.add("vat_id", "confirmed", rec.vat_id, compact_id(rec.vat_id), key)
        else:
            self.add("vat_id", "contradicted", rec.vat_id, web_vat, key)

    def phone(self) -> None:
        rec, phones = self.rec, self.facts.phones
        if not phones:
            return
        if rec.phone_e164 and rec.phone_e164 in phones:
            self.add("phone", "confirmed", rec.phone, rec.phone_e164, "phone")
        elif rec.phone_e164 or rec.phone:  # a register phone that is no valid number is wrong too
            self.add("phone", "contradicted", rec.phone, sorted(phones)[0], "phone")
        else:
            self.add("phone", "missing", None, sorted(phones)[0], "phone")

    def postcode(self) -> None:
        rec, facts = self.rec, self.facts
        if not facts.postcode_order:
            return
        web = facts.postcode_order[0]
        if not rec.postcode:
            self.add("postcode", "missing", None, self.written_postcode(web), "postcode")
        elif compact_id(rec.postcode) in facts.postcodes:
            self.add("postcode", "confirmed", rec.postcode,
                     self.written_postcode(compact_id(rec.postcode)), "postcode")
        else:
            self.add("postcode", "contradicted", rec.postcode, self.written_postcode(web), "postcode")

    def register_address(self) -> str:
        rec = self.rec
        place = " ".join(v for v in (rec.postcode, rec.city) if v)
        return ", ".join(v for v in (rec.address, place) if v)

    def web_address(self, postcode: str | None) -> str:
        facts = self.facts
        written = written_address(self.pages, self.rec.country, postcode) if self.pages else None
        if written:
            return written
        street = facts.addresses[0].get("streetAddress") if facts.addresses else ""
        return street or (facts.address_snippets[0] if facts.address_snippets else "")

    def address(self) -> None:
        rec, facts = self.rec, self.facts
        has_address = bool(facts.addresses and facts.addresses[0].get("streetAddress")) or bool(
            facts.address_snippets)
        if not (rec.street and has_address and facts.legal_text):
            return
        score = fuzz.partial_ratio(rec.street, normalise_street(facts.legal_text))
        if score >= ADDRESS_OK:
            own = compact_id(rec.postcode) if compact_id(rec.postcode) in facts.postcodes else None
            self.add("address", "confirmed", self.register_address(),
                     self.web_address(own) or rec.address, "address")
        else:
            web_postcode = facts.postcode_order[0] if facts.postcode_order else None
            self.add("address", "contradicted", self.register_address(), self.web_address(web_postcode),
                     "address", similarity=score)

    def name(self) -> None:
        rec, facts = self.rec, self.facts
        if not (facts.legal_text and rec.name_cores):
            return
        score = max(fuzz.partial_ratio(core, facts.legal_text) for core in rec.name_cores)
        if score >= NAME_OK:
            site_form = _legal_form_on_site(rec, facts)
            register_form = normalise_form(rec.legal_form) if rec.legal_form else "".join(
                (split_legal_forms(rec.name, rec.country)[1] or [""])[-1].split())
            if site_form and register_form and normalise_form(site_form) != register_form:
                self.add("legal_form", "contradicted", rec.legal_form or rec.name, site_form, "name")
            else:
                self.add("name", "confirmed", rec.name, rec.name, "name")
        elif facts.names:
            self.add("name", "contradicted", rec.name, facts.names[0], "name", similarity=score)


def field_findings(rec: RegisterRecord, facts: SiteFacts, link: float | None,
                   pages: Sequence[Mapping[str, Any]] = ()) -> list[Finding]:
    """Findings per register field for a linked site. `link` is the probability that the site
    is the enterprise's (1 for a link made by hand); `pages` (the site's page dicts) give the
    values as written and the sources that agree (without them: compact values, one source)."""
    found = _Findings(rec, facts, link, pages)
    for check in (found.vat_id, found.phone, found.postcode, found.address, found.name):
        check()
    return found.out


@dataclass
class ValidationSummary:
    enterprises: int = 0
    findings: int = 0
    decided: int = 0  # findings whose decision still holds (same evidence)
    reopened: int = 0  # decided findings whose evidence changed
    verdicts: dict[str, int] = field(default_factory=dict)
    wave: str | None = None  # the wave whose findings were written
    resolved: int = 0  # findings of the previous validated wave this wave no longer has


def _site_pages(session: Session, lo: str, hi: str) -> Iterable[tuple[int, list[dict]]]:
    """(website id, page dicts) of the linked sites of enterprises lo..hi, one site at a time."""
    rows = session.execute(
        select(Page.website_id, Page.url, Page.final_url, Page.depth, Page.title, Page.text,
               Page.links, Page.structured_data)
        .join(Website, Website.id == Page.website_id)
        .where(Website.status == "linked", Website.enterprise_id.between(lo, hi), Page.outcome == "ok")
        .order_by(Page.website_id, Page.depth, Page.id),
        execution_options={"yield_per": PAGE_BATCH})
    current: int | None = None
    pages: list[dict] = []
    for website_id, url, final_url, depth, title, text, links, structured in rows:
        if website_id != current:
            if pages:
                yield current, pages  # type: ignore[misc]
            current, pages = website_id, []
        pages.append({"url": url, "final_url": final_url, "depth": depth, "title": title,
                      "text": text, "links": links, "structured_data": structured})
    if pages:
        yield current, pages  # type: ignore[misc]


def _chunk_findings(session: Session, enterprises: list[Enterprise]
                    ) -> tuple[dict[str, list[Finding]], dict[str, int]]:
    """The findings of a chunk of enterprises (and the website each website finding names)."""
    lo, hi = enterprises[0].id, enterprises[-1].id
    by_id = {e.id: e for e in enterprises}
    sites: dict[str, list[Website]] = {}
    for w in session.scalars(select(Website).where(Website.enterprise_id.between(lo, hi))):
        sites.setdefault(w.enterprise_id, []).append(w)
    out: dict[str, list[Finding]] = {}
    website_ids: dict[str, int] = {}
    linked: dict[int, Website] = {}  # the linked site whose pages each enterprise is checked on
    for e in enterprises:
        found = website_finding(e, sites.get(e.id, []))
        out[e.id] = [found]
        named = next((w.id for w in sites.get(e.id, []) if w.url == found.web_value), None)
        if named is not None:
            website_ids[e.id] = named
        if found.verdict in ("confirmed", "contradicted"):
            best = next(w for w in sites[e.id] if w.status == "linked" and w.url == found.web_value)
            linked[best.id] = best
    for website_id, pages in _site_pages(session, lo, hi):
        site = linked.get(website_id)
        if site is None:
            continue
        e = by_id[site.enterprise_id]
        facts = site_facts(SiteRow(site.id, site.url, site.domain, e.id, e.country or ""), pages)
        out[e.id] += field_findings(record_from_enterprise(e), facts, _link_of(site), pages)
    return out, website_ids


def _clip(value: Any) -> str | None:
    return None if value is None else str(value)[:1000]


def _store_chunk(session: Session, wave: str, enterprises: list[Enterprise],
                 found: tuple[dict[str, list[Finding]], dict[str, int]],
                 summary: ValidationSummary, counts: Counter[str]) -> None:
    """Upsert the chunk's findings of `wave`, drop that wave's findings that no longer hold,
    apply decisions (other waves' findings are left as they are)."""
    lo, hi = enterprises[0].id, enterprises[-1].id
    existing = {(f.enterprise_id, f.field): f for f in session.scalars(
        select(ValidationFinding).where(ValidationFinding.wave == wave,
                                        ValidationFinding.enterprise_id.between(lo, hi)))}
    latest: dict[tuple[str, str], RegisterDecision] = {}
    for d in session.scalars(select(RegisterDecision).where(
            RegisterDecision.enterprise_id.between(lo, hi), RegisterDecision.decision != "link")
            .order_by(RegisterDecision.id)):
        latest[(d.enterprise_id, d.field)] = d
    findings, website_ids = found
    new: list[dict[str, Any]] = []
    for e in enterprises:
        website_id = website_ids.get(e.id)
        for f in findings[e.id]:
            register_value, web_value = _clip(f.register_value), _clip(f.web_value)
            values: dict[str, Any] = {
                "website_id": website_id, "register_value": register_value, "web_value": web_value,
                "verdict": f.verdict, "confidence": f.confidence, "evidence_url": f.evidence_url,
                "snapshot_id": e.snapshot_id, "basis": f.basis or None,
                "fingerprint": fingerprint(register_value, web_value, f.evidence_url),
                "decision_id": None}
            decision = latest.get((e.id, f.field))
            if decision is not None:
                if decision.fingerprint == values["fingerprint"]:
                    values["decision_id"] = decision.id
                    summary.decided += 1
                else:  # new evidence: the finding is open again; say what was decided before
                    values["basis"] = dict(f.basis, reopened={
                        "decision": decision.decision, "by": decision.decided_by,
                        "at": decision.decided_at.isoformat() if decision.decided_at else None})
                    summary.reopened += 1
            row = existing.pop((e.id, f.field), None)
            if row is None:
                new.append({"wave": wave, "enterprise_id": e.id, "field": f.field, **values})
            else:
                for key, value in values.items():
                    if getattr(row, key) != value:
                        setattr(row, key, value)
            counts[f"{f.field}:{f.verdict}"] += 1
            summary.findings += 1
    if new:  # one executemany, no ORM objects: the first validation of a large register
        session.connection().execute(insert(ValidationFinding.__table__), new)
    for stale in existing.values():
        session.delete(stale)


def validate(engine: Engine, chunk: int = CHUNK, wave: str | None = None) -> ValidationSummary:
    """Validate every enterprise against its linked website, in one transaction, as the
    findings of `wave` (default: the newest crawled wave; register.validate_waves)."""
    wave = wave_to_validate(engine, wave)
    summary = ValidationSummary(wave=wave)
    counts: Counter[str] = Counter()
    with Session(engine) as session, session.begin():
        last: str | None = None
        while True:
            query = select(Enterprise).order_by(Enterprise.id).limit(chunk)
            if last is not None:
                query = query.where(Enterprise.id > last)
            enterprises = list(session.scalars(query))
            if not enterprises:
                break
            _store_chunk(session, wave, enterprises, _chunk_findings(session, enterprises),
                         summary, counts)
            summary.enterprises += len(enterprises)
            last = enterprises[-1].id
            session.flush()
            session.expunge_all()  # memory holds one chunk
        summary.resolved = record_validation(
            session, wave, enterprises=summary.enterprises, findings=summary.findings,
            decided=summary.decided, reopened=summary.reopened)
    summary.verdicts = dict(sorted(counts.items()))
    return summary
