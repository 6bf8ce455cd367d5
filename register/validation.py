"""Validation findings for register staff: what the web says about each enterprise.

Per enterprise one `website` finding (confirmed / candidate / none-found / dead / parked, or
contradicted when the register's URL is not the site that matched), and for a linked site one
finding per register field the site confirms, contradicts or adds (vat_id, phone, postcode,
address, name, legal_form), with the page that says so. Re-running replaces an enterprise's
findings in one transaction (idempotent).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from stdnum.br import cnpj
from stdnum.id import npwp
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from ecomstat.urls import registered_domain
from ecomstat.register.extract import SiteFacts, compact_id, id_keys
from ecomstat.register.features import RegisterRecord, normalise_street
from ecomstat.register.legal_forms import normalise_form, split_legal_forms
from ecomstat.register.match_store import load_sites, record_from_enterprise
from ecomstat.store.models import Enterprise, ValidationFinding, Website

ADDRESS_OK = 85  # partial similarity (0-100) of the register street within the imprint text
NAME_OK = 85


@dataclass
class Finding:
    field: str
    verdict: str  # confirmed | contradicted | missing | candidate | none-found | dead | parked
    register_value: str | None = None
    web_value: str | None = None
    evidence_url: str | None = None
    confidence: float | None = None


def website_finding(e: Enterprise, sites: list[Website]) -> Finding:
    linked = [w for w in sites if w.status == "linked"]
    register_url = e.url or None
    if linked:
        best = max(linked, key=lambda w: w.match_score or 0)
        if register_url and registered_domain(register_url) != registered_domain(best.url):
            return Finding("website", "contradicted", register_url, best.url, best.url, best.match_score)
        return Finding("website", "confirmed", register_url, best.url, best.url, best.match_score)
    candidates = [w for w in sites if w.status in ("verified", "candidate")]
    if candidates:
        best = max(candidates, key=lambda w: w.match_score or 0)
        return Finding("website", "candidate", register_url, best.url, best.url, best.match_score)
    for status in ("parked", "dead", "unreachable"):
        hits = [w for w in sites if w.status == status]
        if hits:
            verdict = "dead" if status == "unreachable" else status
            return Finding("website", verdict, register_url, hits[0].url, hits[0].url, None)
    return Finding("website", "none-found", register_url, None, None, None)


def _legal_form_on_site(rec: RegisterRecord, facts: SiteFacts) -> str | None:
    """The legal form the site writes right after the enterprise's name, if any."""
    text = facts.legal_text.split()
    for core in rec.name_cores:
        words = core.split()
        n = len(words)
        for i in range(len(text) - n):
            if text[i:i + n] != words:
                continue
            for k in range(5, 0, -1):  # the longest form right after the name
                core_tokens, forms = split_legal_forms(" ".join(text[i:i + n + k]), rec.country)
                if forms and list(core_tokens) == words:
                    return " ".join(forms)
    return None


def _national_tax_ids(facts: SiteFacts, country: str) -> set[str]:
    """Tax ids that are not EU VAT numbers but play their part: Brazil's CNPJ, Indonesia's NPWP
    (the register's vat_id column holds them), validated by check digits."""
    if country == "BR":
        return {c for c in facts.company_ids if cnpj.is_valid(c)}
    if country == "ID":
        return {c for c in facts.company_ids if npwp.is_valid(c)}
    return set()


def field_findings(rec: RegisterRecord, facts: SiteFacts, confidence: float | None) -> list[Finding]:  # noqa: C901 (predates the limit; to split)
    out: list[Finding] = []
    urls = facts.evidence_urls

    def add(name: str, verdict: str, register_value: Any, web_value: Any, key: str) -> None:
        out.append(Finding(name, verdict, register_value or None, web_value or None,
                           urls.get(key) or facts.url, confidence))

    site_ids = facts.id_keys()
    tax_ids = facts.vat_ids or _national_tax_ids(facts, rec.country)
    if tax_ids:
        web_vat = sorted(tax_ids)[0]
        key = "vat_id" if facts.vat_ids else "company_id"
        if not rec.vat_id:
            add("vat_id", "missing", None, web_vat, key)
        elif id_keys(rec.vat_id) & site_ids:
            add("vat_id", "confirmed", rec.vat_id, compact_id(rec.vat_id), key)
        else:
            add("vat_id", "contradicted", rec.vat_id, web_vat, key)
    if facts.phones:
        if rec.phone_e164 and rec.phone_e164 in facts.phones:
            add("phone", "confirmed", rec.phone, rec.phone_e164, "phone")
        elif rec.phone_e164 or rec.phone:  # a register phone that is no valid number is wrong too
            add("phone", "contradicted", rec.phone, sorted(facts.phones)[0], "phone")
        else:
            add("phone", "missing", None, sorted(facts.phones)[0], "phone")
    if facts.postcode_order:
        web_postcode = facts.postcode_order[0]
        if not rec.postcode:
            add("postcode", "missing", None, web_postcode, "postcode")
        elif compact_id(rec.postcode) in facts.postcodes:
            add("postcode", "confirmed", rec.postcode, compact_id(rec.postcode), "postcode")
        else:
            add("postcode", "contradicted", rec.postcode, web_postcode, "postcode")
    web_address = (facts.addresses[0].get("streetAddress") if facts.addresses else "") or (
        facts.address_snippets[0] if facts.address_snippets else "")
    if rec.street and web_address and facts.legal_text:
        score = fuzz.partial_ratio(rec.street, normalise_street(facts.legal_text))
        if score >= ADDRESS_OK:
            add("address", "confirmed", rec.address, rec.address, "address")
        else:
            add("address", "contradicted", rec.address, web_address, "address")
    if facts.legal_text and rec.name_cores:
        score = max(fuzz.partial_ratio(core, facts.legal_text) for core in rec.name_cores)
        if score >= NAME_OK:
            site_form = _legal_form_on_site(rec, facts)
            register_form = normalise_form(rec.legal_form) if rec.legal_form else "".join(
                (split_legal_forms(rec.name, rec.country)[1] or [""])[-1].split())
            if site_form and register_form and normalise_form(site_form) != register_form:
                add("legal_form", "contradicted", rec.legal_form or rec.name, site_form, "name")
            else:
                add("name", "confirmed", rec.name, rec.name, "name")
        elif facts.names:
            add("name", "contradicted", rec.name, facts.names[0], "name")
    return out


@dataclass
class ValidationSummary:
    enterprises: int = 0
    findings: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)


def validate(engine: Engine) -> ValidationSummary:
    summary = ValidationSummary()
    counts: Counter[str] = Counter()
    with Session(engine) as session, session.begin():
        enterprises = list(session.scalars(select(Enterprise).order_by(Enterprise.id)))
        sites_by_enterprise: dict[str, list[Website]] = {}
        for w in session.scalars(select(Website).where(Website.enterprise_id.is_not(None))):
            sites_by_enterprise.setdefault(w.enterprise_id, []).append(w)
        facts_by_site = {f.site_id: f for f in load_sites(session, linked_only=True)}
        session.execute(delete(ValidationFinding))
        rows = []
        for e in enterprises:
            sites = sites_by_enterprise.get(e.id, [])
            found = website_finding(e, sites)
            findings = [found]
            if found.verdict in ("confirmed", "contradicted"):
                linked = max((w for w in sites if w.status == "linked"), key=lambda w: w.match_score or 0)
                facts = facts_by_site.get(linked.id)
                if facts is not None:
                    findings += field_findings(record_from_enterprise(e), facts, linked.match_score)
            website_id = next((w.id for w in sites if w.url == found.web_value), None)
            for f in findings:
                counts[f"{f.field}:{f.verdict}"] += 1
                rows.append(ValidationFinding(
                    enterprise_id=e.id, website_id=website_id, field=f.field,
                    register_value=_clip(f.register_value), web_value=_clip(f.web_value),
                    verdict=f.verdict, confidence=f.confidence, evidence_url=f.evidence_url,
                    snapshot_id=e.snapshot_id))
        session.add_all(rows)
        summary.enterprises = len(enterprises)
        summary.findings = len(rows)
    summary.verdicts = dict(sorted(counts.items()))
    return summary


def _clip(value: Any) -> str | None:
    return None if value is None else str(value)[:1000]
