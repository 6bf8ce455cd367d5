"""The register-staff worklist: validation findings to work through, as CSV, HTML or rows.

Rows are grouped by enterprise (an enterprise's findings stay together), each with the full
register value and the full web value side by side, a confidence that says how sure the
finding is (register.validation_evidence) and the finding id that `ecomstat register decide`
takes. By default the worklist holds what is left to do: open findings (no decision, or a
decision whose evidence has changed since) that are not confirmations; `include_all` shows
decided and confirmed findings too. The worklist is one wave's: the newest validated wave
unless `wave` names another (register.validate_waves). Filters and the sort run in the database
and rows are streamed, so a national register's worklist is written in bounded memory.

Sort orders (groups of an enterprise's findings, then the findings within a group):
priority (actionable verdicts first: contradicted, missing, dead, parked, candidate,
none-found, confirmed; then the most certain), confidence, enterprise, name, nace, size.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, case, func, or_, select
from sqlalchemy.orm import Session

from ecomstat.errors import BadInput
from ecomstat.register.report_html import render_html
from ecomstat.register.validate_waves import shown_wave
from ecomstat.store.formats import spreadsheet_safe  # the one CSV guard (web values are hostile text)
from ecomstat.store.models import Enterprise, RegisterDecision, ValidationFinding

COLUMNS = ("finding_id", "enterprise_id", "name", "nace", "size_class", "field", "verdict",
           "register_value", "web_value", "confidence", "basis", "evidence_url", "status",
           "decision", "decided_by", "decided_at", "note", "wave")
VERDICT_ORDER = {"contradicted": 0, "missing": 1, "dead": 2, "parked": 3, "candidate": 4,
                 "none-found": 5, "confirmed": 6}
FIELDS = ("website", "vat_id", "phone", "postcode", "address", "name", "legal_form")
SORTS = ("priority", "confidence", "enterprise", "name", "nace", "size")
SIZE_CLASSES = ("0-9", "10-49", "50-249", "250+")
BATCH = 1000


@dataclass
class WorklistFilter:
    """What the worklist shows. Empty lists mean no restriction."""

    verdicts: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    nace: list[str] = field(default_factory=list)  # a section letter (G) or a code prefix (47.9)
    sizes: list[str] = field(default_factory=list)
    search: str | None = None  # in enterprise id and name, register and web values
    sort: str = "priority"
    include_all: bool = False  # decided and confirmed findings too
    wave: str | None = None  # the validated wave shown (default: the newest)

    def check(self) -> None:
        problems = [
            (sorted(set(self.verdicts) - set(VERDICT_ORDER)), "verdict", VERDICT_ORDER),
            (sorted(set(self.fields) - set(FIELDS)), "field", FIELDS),
            (sorted(set(self.sizes) - set(SIZE_CLASSES)), "size class", SIZE_CLASSES),
        ]
        for unknown, what, known in problems:
            if unknown:
                raise BadInput(f"unknown {what}(s) {', '.join(unknown)}; use {', '.join(known)}")
        if self.sort not in SORTS:
            raise BadInput(f"unknown sort {self.sort!r}; use {', '.join(SORTS)}")


def _rank() -> Any:
    return case(VERDICT_ORDER, value=ValidationFinding.verdict, else_=9)


def filter_findings(query: Any, f: WorklistFilter, wave: str | None) -> Any:
    """`query` (over ValidationFinding joined to Enterprise) restricted to the worklist filter's
    rows of `wave`: the report, the worklist and the web app's clerk pages share it."""
    query = query.where(ValidationFinding.wave == wave)  # None (nothing validated): no rows
    if f.verdicts:
        query = query.where(ValidationFinding.verdict.in_(f.verdicts))
    elif not f.include_all:
        query = query.where(ValidationFinding.verdict != "confirmed")
    if not f.include_all:
        query = query.where(ValidationFinding.decision_id.is_(None))
    if f.fields:
        query = query.where(ValidationFinding.field.in_(f.fields))
    if f.sizes:
        query = query.where(Enterprise.size_class.in_(f.sizes))
    if f.nace:
        query = query.where(or_(*(
            Enterprise.nace_section == code.upper() if len(code) == 1 and code.isalpha()
            else Enterprise.nace.startswith(code, autoescape=True) for code in f.nace)))
    if f.search:
        # lower() on both sides; SQLite's lower() folds ASCII only, so the text as typed also matches
        typed = f.search.strip()
        columns = (Enterprise.id, Enterprise.name, ValidationFinding.register_value, ValidationFinding.web_value)
        query = query.where(or_(*(func.lower(column).contains(typed.lower(), autoescape=True) for column in columns),
                                *(column.contains(typed, autoescape=True) for column in columns)))
    return query


def worklist_order(f: WorklistFilter) -> list[Any]:
    """Group keys (window functions over an enterprise's rows), then the row order (shared with
    the web app's clerk pages)."""
    per = {"partition_by": ValidationFinding.enterprise_id}
    confidence = func.coalesce(ValidationFinding.confidence, 0.0)
    best_rank = func.min(_rank()).over(**per)
    best_confidence = func.max(confidence).over(**per)
    groups = {
        "priority": [best_rank, best_confidence.desc()],
        "confidence": [best_confidence.desc()],
        "enterprise": [],
        "name": [Enterprise.name],
        "nace": [Enterprise.nace],
        "size": [case({s: i for i, s in enumerate(SIZE_CLASSES)}, value=Enterprise.size_class, else_=9)],
    }[f.sort]
    return [*groups, ValidationFinding.enterprise_id, _rank(), confidence.desc(), ValidationFinding.field]


def _basis_text(basis: dict[str, Any] | None) -> str | None:
    if not basis:
        return None
    parts = []
    if basis.get("link") is not None:
        parts.append(f"link {basis['link']:.3f}" + (" (by hand)" if basis.get("found_by") == "manual" else ""))
    if "sources" in basis:
        parts.append(f"{basis['sources']} source{'s' if basis['sources'] != 1 else ''}")
    if basis.get("mismatch"):
        similarity = f" {basis['similarity']:.0f}%" if basis.get("similarity") is not None else ""
        parts.append(f"{basis['mismatch']} mismatch{similarity}")
    if (basis.get("alternatives") or 1) > 1:
        parts.append(f"{basis['alternatives']} values on site")
    if basis.get("reopened"):
        r = basis["reopened"]
        parts.append(f"reopened: evidence changed since {r.get('decision')} by {r.get('by')} {r.get('at') or ''}".strip())
    return " · ".join(parts) or None


def rows(engine: Engine, f: WorklistFilter) -> Iterator[dict[str, Any]]:
    """The worklist rows in order, streamed."""
    f.check()
    with Session(engine) as session:
        query = filter_findings(
            select(ValidationFinding, Enterprise.name, Enterprise.nace, Enterprise.size_class, RegisterDecision)
            .join(Enterprise, Enterprise.id == ValidationFinding.enterprise_id)
            .outerjoin(RegisterDecision, RegisterDecision.id == ValidationFinding.decision_id), f,
            shown_wave(session, f.wave)
        ).order_by(*worklist_order(f))
        for finding, name, nace, size_class, decision in session.execute(
                query, execution_options={"yield_per": BATCH}):
            basis = finding.basis or {}
            status = "decided" if decision is not None else "reopened" if basis.get("reopened") else "open"
            yield {
                "finding_id": finding.id, "enterprise_id": finding.enterprise_id, "name": name,
                "nace": nace, "size_class": size_class, "field": finding.field, "verdict": finding.verdict,
                "register_value": finding.register_value, "web_value": finding.web_value,
                "confidence": finding.confidence, "basis": _basis_text(basis),
                "evidence_url": finding.evidence_url, "status": status,
                "decision": decision.decision if decision else None,
                "decided_by": decision.decided_by if decision else None,
                "decided_at": decision.decided_at.isoformat() if decision and decision.decided_at else None,
                "note": decision.note if decision else None,
                "wave": finding.wave,
            }


def worklist(engine: Engine, verdicts: list[str] | None = None, *, include_all: bool = True,
             wave: str | None = None) -> list[dict[str, Any]]:
    """The worklist as a list (small stores, tests); `rows` streams it."""
    return list(rows(engine, WorklistFilter(verdicts=list(verdicts or []), include_all=include_all,
                                            wave=wave)))


@dataclass
class WorklistCounts:
    rows: int
    enterprises: int
    verdicts: list[tuple[str, int]]
    hidden_decided: int  # decided findings the filter hides (shown with include_all)
    wave: str | None = None  # the wave shown


def counts(engine: Engine, f: WorklistFilter) -> WorklistCounts:
    base = select(ValidationFinding.verdict, func.count(), func.count(ValidationFinding.enterprise_id.distinct())) \
        .join(Enterprise, Enterprise.id == ValidationFinding.enterprise_id)
    with Session(engine) as session:
        wave = shown_wave(session, f.wave)
        by_verdict = session.execute(filter_findings(base, f, wave).group_by(ValidationFinding.verdict)).all()
        enterprises = session.scalar(filter_findings(select(func.count(ValidationFinding.enterprise_id.distinct()))
                                            .join(Enterprise, Enterprise.id == ValidationFinding.enterprise_id), f, wave))
        hidden = 0
        if not f.include_all:
            shown_all = WorklistFilter(**{**f.__dict__, "include_all": True, "verdicts": f.verdicts or [
                v for v in VERDICT_ORDER if v != "confirmed"]})
            hidden = session.scalar(filter_findings(select(func.count()).select_from(ValidationFinding).join(
                Enterprise, Enterprise.id == ValidationFinding.enterprise_id), shown_all, wave)
                .where(ValidationFinding.decision_id.is_not(None))) or 0
    ordered = sorted(((v, n) for v, n, _ in by_verdict), key=lambda vn: VERDICT_ORDER.get(vn[0], 9))
    return WorklistCounts(sum(n for _, n in ordered), enterprises or 0, ordered, hidden, wave)


def write_report(engine: Engine, out: Path, verdicts: list[str] | None = None,
                 worklist_filter: WorklistFilter | None = None) -> int:
    """Write the worklist to `out` (.csv or .html); returns the number of rows."""
    f = worklist_filter or WorklistFilter(verdicts=list(verdicts or []))
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".html", ".htm"):
        raise BadInput(f"--out must end in .csv or .html, got {out.name!r}")
    f.check()
    if not out.parent.exists():
        raise BadInput(f"directory {out.parent} does not exist")
    tmp = out.with_name(out.name + ".tmp")
    n = 0
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            if suffix == ".csv":
                writer = csv.DictWriter(handle, fieldnames=COLUMNS)
                writer.writeheader()
                for row in rows(engine, f):
                    writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
                    n += 1
            else:
                summary = counts(engine, f)
                for chunk in render_html(rows(engine, f), summary, f):
                    handle.write(chunk)
                n = summary.rows
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)  # never a half-written worklist
    return n
