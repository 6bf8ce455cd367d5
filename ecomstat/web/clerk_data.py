"""Reads for the register clerks' pages: the worklist one page at a time (paged in SQL: a
national register's worklist has 100k rows), with the web's extra filters (country, decided or
not), and one finding with its enterprise and decisions.

The filters, the sort and the wave shown are the worklist's own (`register.report`, what
`ecomstat register report` uses): this module only adds LIMIT/OFFSET, a count, the country and
decided/undecided conditions. Decisions and links are written by `register.decisions.decide`
and `link`, the functions `ecomstat register decide` and `register link` call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ecomstat.errors import BadInput
from ecomstat.register import report
from ecomstat.register.decisions import list_decisions
from ecomstat.register.report import WorklistFilter
from ecomstat.register.validate_waves import shown_wave, validated_waves
from ecomstat.store.models import Enterprise, RegisterDecision, ValidationFinding

PER_PAGE = 50
# open: what is left to do (the CLI's default worklist: undecided, not confirmations);
# undecided: confirmations too; decided: findings with a decision in force; all: everything
STATES = ("open", "undecided", "decided", "all")


@dataclass
class ClerkFilter:
    worklist: WorklistFilter = field(default_factory=WorklistFilter)
    countries: list[str] = field(default_factory=list)
    state: str = "open"

    def check(self) -> None:
        if self.state not in STATES:
            raise BadInput(f"unknown state {self.state!r}; use {', '.join(STATES)}")
        self.worklist.include_all = self.state != "open"
        self.worklist.check()


@dataclass
class WorklistPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    wave: str | None  # the wave shown
    waves: list[str]  # every validated wave (newest last)
    countries: list[str]  # countries in the register, for the filter


def _restrict(query: Any, flt: ClerkFilter, wave: str | None) -> Any:
    query = report.filter_findings(query, flt.worklist, wave)
    if flt.countries:
        query = query.where(Enterprise.country.in_([c.upper() for c in flt.countries]))
    if flt.state == "undecided":
        query = query.where(ValidationFinding.decision_id.is_(None))
    elif flt.state == "decided":
        query = query.where(ValidationFinding.decision_id.is_not(None))
    return query


def _row(finding: ValidationFinding, enterprise: Enterprise, decision: RegisterDecision | None) -> dict[str, Any]:
    basis = finding.basis or {}
    return {
        "finding_id": finding.id, "enterprise_id": finding.enterprise_id, "name": enterprise.name,
        "country": enterprise.country, "nace": enterprise.nace, "size_class": enterprise.size_class,
        "field": finding.field, "verdict": finding.verdict, "register_value": finding.register_value,
        "web_value": finding.web_value, "confidence": finding.confidence,
        "basis": report._basis_text(basis), "evidence_url": finding.evidence_url,
        "website_id": finding.website_id,
        "status": "decided" if decision is not None else "reopened" if basis.get("reopened") else "open",
        "decision": decision.decision if decision else None,
        "decided_by": decision.decided_by if decision else None,
        "decided_at": decision.decided_at if decision else None,
        "note": decision.note if decision else None, "wave": finding.wave,
    }


def worklist_page(engine: Engine, flt: ClerkFilter, page: int = 1, per_page: int = PER_PAGE) -> WorklistPage:
    """Page `page` (from 1) of the worklist under `flt`, in the worklist's order."""
    flt.check()
    if page < 1:
        raise BadInput("page must be 1 or more")
    with Session(engine) as session:
        wave = shown_wave(session, flt.worklist.wave)
        joined = (select(ValidationFinding, Enterprise, RegisterDecision)
                  .join(Enterprise, Enterprise.id == ValidationFinding.enterprise_id)
                  .outerjoin(RegisterDecision, RegisterDecision.id == ValidationFinding.decision_id))
        total = session.scalar(_restrict(
            select(func.count()).select_from(ValidationFinding)
            .join(Enterprise, Enterprise.id == ValidationFinding.enterprise_id), flt, wave)) or 0
        pages = max(1, -(-total // per_page))
        query = _restrict(joined, flt, wave).order_by(*report.worklist_order(flt.worklist)) \
            .limit(per_page).offset((min(page, pages) - 1) * per_page)
        rows = [_row(f, e, d) for f, e, d in session.execute(query)]
        countries = list(session.scalars(select(Enterprise.country).distinct().order_by(Enterprise.country)))
        waves = validated_waves(session)
    return WorklistPage(rows, total, min(page, pages), pages, wave, waves, [c for c in countries if c])


@dataclass
class FindingDetail:
    row: dict[str, Any]
    enterprise: Enterprise
    decisions: list[dict[str, Any]]  # of this enterprise and field, newest first
    links: list[dict[str, Any]]  # manual links of this enterprise, newest first


def finding(engine: Engine, finding_id: int) -> FindingDetail:
    with Session(engine) as session:
        found = session.execute(
            select(ValidationFinding, Enterprise, RegisterDecision)
            .join(Enterprise, Enterprise.id == ValidationFinding.enterprise_id)
            .outerjoin(RegisterDecision, RegisterDecision.id == ValidationFinding.decision_id)
            .where(ValidationFinding.id == finding_id)).first()
        if found is None:
            raise BadInput(f"no validation finding {finding_id} (validation may have removed it "
                           "since: its evidence is gone)")
        row = _row(*found)
        enterprise = found[1]
        session.expunge(enterprise)
    decisions = list(list_decisions(engine, enterprise_id=row["enterprise_id"], field=row["field"]))
    links = [d for d in list_decisions(engine, enterprise_id=row["enterprise_id"], field="website")
             if d["decision"] == "link"] if row["field"] != "website" else \
        [d for d in decisions if d["decision"] == "link"]
    return FindingDetail(row, enterprise, [d for d in decisions if d["decision"] != "link"], links)
