"""Register staff's decisions that stick: accept, reject or close a validation finding, and
link a website to an enterprise by hand.

A decision is a new `register_decision` row (who, when, the note, and the finding as decided
on, with its evidence fingerprint); nothing is overwritten, the latest decision for an
(enterprise, field) is the one that holds. `register validate` keeps a finding decided while
its fingerprint (register value, web value, source page) is unchanged and reopens it when the
evidence changes. A manual link sets the website to `linked` with found_by `manual`, which
`register match` never changes (register.match_store).
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ecomstat.errors import BadInput
from ecomstat.register.validate_rows import website_of
from ecomstat.register.validate_waves import apply_decision, latest_finding_filter, shown_wave
from ecomstat.register.validation_evidence import fingerprint
from ecomstat.store.models import Enterprise, RegisterDecision, ValidationFinding, Website

DECISIONS = ("accept", "reject", "done")
LIST_BATCH = 1000


def default_user() -> str:
    """Who decides when --by is not given: the operating-system user."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (containers): still record something
        return "unknown"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _who(by: str | None) -> str:
    who = (by if by is not None else default_user()).strip()
    if not who or len(who) > 100:
        raise BadInput("--by must be a name of 1 to 100 characters")
    return who


def find_finding(session: Session, ref: str, wave: str | None = None) -> ValidationFinding:
    """A finding by its id (the worklist's `finding_id`, of any wave) or as
    ENTERPRISE_ID:FIELD (the finding of `wave`, default the newest validated wave)."""
    ref = ref.strip()
    finding: ValidationFinding | None = None
    if ref.isdigit():
        finding = session.get(ValidationFinding, int(ref))
    elif ":" in ref:
        enterprise_id, _, field = ref.rpartition(":")
        finding = session.scalar(select(ValidationFinding).where(
            ValidationFinding.wave == shown_wave(session, wave),
            ValidationFinding.enterprise_id == enterprise_id, ValidationFinding.field == field))
    if finding is None:
        raise BadInput(f"no validation finding {ref!r}: give a finding_id from `ecomstat register "
                       "report` or ENTERPRISE_ID:FIELD (run `ecomstat register validate` first)")
    return finding


@dataclass
class DecisionResult:
    decision_id: int
    finding_id: int
    enterprise_id: str
    field: str
    verdict: str
    decision: str
    decided_by: str
    decided_at: str


def decide(engine: Engine, ref: str, decision: str, *, by: str | None = None,
           note: str | None = None, wave: str | None = None) -> DecisionResult:
    """Record `decision` (accept | reject | done) on a finding; it holds until the finding's
    evidence changes, in this wave and later ones. Deciding again records a new decision,
    which then holds. ENTERPRISE_ID:FIELD names the finding of `wave` (default: newest)."""
    if decision not in DECISIONS:
        raise BadInput(f"unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")
    who = _who(by)
    with Session(engine) as session, session.begin():
        finding = find_finding(session, ref, wave)
        if finding.fingerprint is None:  # a finding stored before fingerprints existed
            finding.fingerprint = fingerprint(finding.register_value, finding.web_value, finding.evidence_url)
        row = RegisterDecision(
            enterprise_id=finding.enterprise_id, field=finding.field, decision=decision,
            note=note or None, decided_by=who, decided_at=_now(), fingerprint=finding.fingerprint,
            verdict=finding.verdict, register_value=finding.register_value,
            web_value=finding.web_value, evidence_url=finding.evidence_url)
        session.add(row)
        session.flush()
        apply_decision(session, finding, row)  # decided now, not only after the next validation
        return DecisionResult(row.id, finding.id, finding.enterprise_id, finding.field,
                              finding.verdict, decision, who, row.decided_at.isoformat())


@dataclass
class LinkResult:
    decision_id: int
    enterprise_id: str
    website_id: int
    url: str
    released: int  # other websites that were linked to the enterprise, now unlinked
    moved_from: str | None  # the enterprise the website was linked to before, if another


def link(engine: Engine, enterprise_id: str, url: str, *, by: str | None = None,
         note: str | None = None) -> LinkResult:
    """Link the website at `url` to the enterprise by hand. `register match` never changes a
    manual link; the enterprise's other linked websites are released (status `verified`, no
    enterprise) so that matching may give them to the firm they belong to."""
    site = website_of(url.strip())
    if site is None:
        raise BadInput(f"{url!r} is not a web address (e.g. https://www.example.com/)")
    who = _who(by)
    now = _now()
    with Session(engine) as session, session.begin():
        enterprise = session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise BadInput(f"no enterprise {enterprise_id!r} in the register")
        website = session.scalar(select(Website).where(Website.url == site.url))
        if website is None:
            website = Website(url=site.url, domain=site.domain, created_at=now)
            session.add(website)
        previous = {"found_by": website.found_by, "status": website.status,
                    "enterprise_id": website.enterprise_id}
        moved_from = website.enterprise_id if website.enterprise_id not in (None, enterprise_id) \
            and website.status == "linked" else None
        website.enterprise_id, website.status, website.found_by = enterprise_id, "linked", "manual"
        website.match_evidence = {"manual": {"by": who, "at": now.isoformat(), "note": note or None},
                                  "before": previous}
        session.flush()
        released = 0
        for other in session.scalars(select(Website).where(
                Website.enterprise_id == enterprise_id, Website.status == "linked",
                Website.id != website.id)):
            other.status, other.enterprise_id = "verified", None
            other.match_evidence = {"released_by_manual_link": site.url, "was": other.match_evidence}
            released += 1
        row = RegisterDecision(enterprise_id=enterprise_id, field="website", decision="link",
                               note=note or None, decided_by=who, decided_at=now,
                               register_value=enterprise.url, web_value=site.url,
                               evidence_url=site.url)
        session.add(row)
        session.flush()
        return LinkResult(row.id, enterprise_id, website.id, site.url, released, moved_from)


DECISION_COLUMNS = ("decision_id", "decided_at", "decided_by", "enterprise_id", "field",
                    "decision", "verdict", "register_value", "web_value", "note", "holds")


def list_decisions(engine: Engine, *, enterprise_id: str | None = None,
                   field: str | None = None) -> Iterator[dict[str, Any]]:
    """Every decision, newest first, streamed. `holds`: whether it is the decision the current
    finding carries (false once new evidence reopened the finding or a later decision replaced
    it; links hold while the website is linked by hand)."""
    with Session(engine) as session:
        query = (select(RegisterDecision, ValidationFinding.decision_id, Website.id)
                 .outerjoin(ValidationFinding, (ValidationFinding.enterprise_id == RegisterDecision.enterprise_id)
                            & (ValidationFinding.field == RegisterDecision.field)
                            & latest_finding_filter(session))  # holds now: the newest wave's finding
                 .outerjoin(Website, (Website.url == RegisterDecision.web_value)
                            & (Website.enterprise_id == RegisterDecision.enterprise_id)
                            & (Website.found_by == "manual") & (Website.status == "linked")
                            & (RegisterDecision.decision == "link"))
                 .order_by(RegisterDecision.id.desc()))
        if enterprise_id:
            query = query.where(RegisterDecision.enterprise_id == enterprise_id)
        if field:
            query = query.where(RegisterDecision.field == field)
        for d, held, manual_site in session.execute(query, execution_options={"yield_per": LIST_BATCH}):
            holds = manual_site is not None if d.decision == "link" else held == d.id
            yield {"decision_id": d.id, "decided_at": d.decided_at.isoformat() if d.decided_at else None,
                   "decided_by": d.decided_by, "enterprise_id": d.enterprise_id, "field": d.field,
                   "decision": d.decision, "verdict": d.verdict, "register_value": d.register_value,
                   "web_value": d.web_value, "note": d.note, "holds": holds}
