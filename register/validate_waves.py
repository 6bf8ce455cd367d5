"""Validation findings per wave: which wave a validation writes, which wave the worklist shows,
and the history of a finding across waves.

`register validate` writes the findings of one wave (by default the newest crawled wave, the one
whose pages the store holds; docs/waves.md) and records the wave in `validation_wave`. Re-running
it for the same wave replaces that wave's findings in place (their ids stay); a later wave
writes its own rows and never changes an earlier wave's. The worklist shows the newest validated
wave unless asked for another. A finding the previous validated wave had and this wave no longer
has is *resolved*: the history says so (`finding_history`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from ecomstat.errors import BadInput
from ecomstat.store.models import RegisterDecision, ValidationFinding, ValidationWave, utcnow
from ecomstat.store.waves import check_wave, default_wave, later_waves, latest_wave

HISTORY_COLUMNS = ("wave", "enterprise_id", "field", "change", "verdict", "status",
                   "register_value", "web_value", "confidence", "evidence_url", "finding_id")
HISTORY_BATCH = 1000


def wave_to_validate(engine: Engine, wave: str | None) -> str:
    """The wave a validation writes: `wave` (checked), else the newest crawled wave, else the
    default rule (the calendar quarter, UTC) when nothing was crawled yet.

    A wave that later crawls followed is refused: the store then holds the later wave's pages,
    so its findings would be the later wave's evidence under the earlier wave's name."""
    if wave is None:
        return latest_wave(engine) or default_wave()
    wave = check_wave(wave)
    later = later_waves(engine, wave)
    if later:
        raise BadInput(f"wave {wave} was followed by crawls of {', '.join(later)}: the store now "
                       f"holds their pages, so {wave} can no longer be validated (its findings "
                       "stay as they were)")
    return wave


def validated_waves(session: Session) -> list[str]:
    """Validated waves, oldest first (by their first validation)."""
    return list(session.scalars(select(ValidationWave.wave).order_by(
        ValidationWave.first_validated_at, ValidationWave.id)))


def latest_validated_wave(session: Session) -> str | None:
    """The wave validated most recently (None before any validation)."""
    return session.scalar(select(ValidationWave.wave).order_by(
        ValidationWave.validated_at.desc(), ValidationWave.id.desc()).limit(1))


def shown_wave(session: Session, wave: str | None) -> str | None:
    """The wave the worklist shows: `wave` if it was validated (BadInput naming the validated
    waves otherwise), else the newest validated wave."""
    if wave is None:
        return latest_validated_wave(session)
    wave = check_wave(wave)
    known = validated_waves(session)
    if wave not in known:
        raise BadInput(f"wave {wave} has no validation findings (run `ecomstat register validate "
                       f"--wave {wave}`); validated waves: {', '.join(known) or 'none'}")
    return wave


def _previous_wave(session: Session, wave: str) -> str | None:
    """The validated wave before `wave` (by first validation), if any."""
    row = session.scalar(select(ValidationWave).where(ValidationWave.wave == wave))
    query = select(ValidationWave.wave).where(ValidationWave.wave != wave)
    if row is not None:
        query = query.where(ValidationWave.first_validated_at <= row.first_validated_at)
    return session.scalar(query.order_by(ValidationWave.first_validated_at.desc(),
                                         ValidationWave.id.desc()).limit(1))


def _gone(previous: str, wave: str) -> Any:
    """Findings of `previous` whose (enterprise, field) `wave` no longer has."""
    later = ValidationFinding.__table__.alias("later")
    return and_(ValidationFinding.wave == previous, ~select(later.c.id).where(
        later.c.wave == wave, later.c.enterprise_id == ValidationFinding.enterprise_id,
        later.c.field == ValidationFinding.field).exists())


def record_validation(session: Session, wave: str, *, enterprises: int, findings: int,
                      decided: int, reopened: int) -> int:
    """Record (or update) `wave`'s validation; returns how many findings of the previous
    validated wave this wave resolved (no longer has)."""
    now = utcnow()
    row = session.scalar(select(ValidationWave).where(ValidationWave.wave == wave))
    if row is None:
        row = ValidationWave(wave=wave, first_validated_at=now)
        session.add(row)
        session.flush()
    previous = _previous_wave(session, wave)
    resolved = 0
    if previous is not None:
        resolved = session.scalar(select(func.count()).select_from(ValidationFinding)
                                  .where(_gone(previous, wave))) or 0
    row.validated_at, row.previous_wave = now, previous
    row.enterprises, row.findings, row.decided, row.reopened, row.resolved = (
        enterprises, findings, decided, reopened, resolved)
    return resolved


def _status(finding: ValidationFinding) -> str:
    if finding.decision_id is not None:
        return "decided"
    return "reopened" if (finding.basis or {}).get("reopened") else "open"


def finding_history(engine: Engine, *, enterprise_id: str | None = None,
                    field: str | None = None) -> Iterator[dict[str, Any]]:
    """Every finding of every validated wave, by enterprise, field and wave (oldest first), with
    `change`: new (the previous validated wave did not have it), same, changed (another verdict
    or value), or resolved (a row for a wave that no longer has the previous wave's finding)."""
    with Session(engine) as session:
        order = {w: i for i, w in enumerate(validated_waves(session))}
        query = select(ValidationFinding).where(ValidationFinding.wave.in_(list(order)))
        if enterprise_id:
            query = query.where(ValidationFinding.enterprise_id == enterprise_id)
        if field:
            query = query.where(ValidationFinding.field == field)
        query = query.order_by(ValidationFinding.enterprise_id, ValidationFinding.field)
        key: tuple[str, str] | None = None
        rows: dict[str, ValidationFinding] = {}
        for finding in session.scalars(query, execution_options={"yield_per": HISTORY_BATCH}):
            if (finding.enterprise_id, finding.field) != key:
                if key is not None:
                    yield from _history_rows(key, rows, order)
                key, rows = (finding.enterprise_id, finding.field), {}
            rows[finding.wave] = finding
        if key is not None:
            yield from _history_rows(key, rows, order)


def _history_rows(key: tuple[str, str], rows: dict[str, ValidationFinding],
                  order: dict[str, int]) -> Iterator[dict[str, Any]]:
    waves = sorted(order, key=order.__getitem__)
    first = min(order[w] for w in rows)
    before: ValidationFinding | None = None
    for wave in waves[first:]:
        finding = rows.get(wave)
        if finding is None:
            if before is not None:  # the previous wave had it, this one has not: resolved
                yield {"wave": wave, "enterprise_id": key[0], "field": key[1], "change": "resolved",
                       "verdict": None, "status": "resolved", "register_value": before.register_value,
                       "web_value": before.web_value, "confidence": None,
                       "evidence_url": before.evidence_url, "finding_id": None}
            before = None
            continue
        if before is None:
            change = "new"
        elif (before.verdict, before.register_value, before.web_value) != (
                finding.verdict, finding.register_value, finding.web_value):
            change = "changed"
        else:
            change = "same"
        yield {"wave": wave, "enterprise_id": key[0], "field": key[1], "change": change,
               "verdict": finding.verdict, "status": _status(finding),
               "register_value": finding.register_value, "web_value": finding.web_value,
               "confidence": finding.confidence, "evidence_url": finding.evidence_url,
               "finding_id": finding.id}
        before = finding


def latest_finding_filter(session: Session) -> Any:
    """SQL condition: the finding belongs to the newest validated wave (for joins that read the
    current finding of an enterprise and field, e.g. whether a decision still holds)."""
    return ValidationFinding.wave == latest_validated_wave(session)


def apply_decision(session: Session, finding: ValidationFinding, decision: RegisterDecision) -> None:
    """A decision holds for the decided finding and, when the evidence is the same, for the
    newest validated wave's finding of that enterprise and field (deciding on an older wave's
    row decides what the worklist shows now)."""
    finding.decision_id = decision.id
    latest = latest_validated_wave(session)
    if latest is None or latest == finding.wave:
        return
    current = session.scalar(select(ValidationFinding).where(
        ValidationFinding.wave == latest, ValidationFinding.enterprise_id == finding.enterprise_id,
        ValidationFinding.field == finding.field))
    if current is not None and current.fingerprint == decision.fingerprint:
        current.decision_id = decision.id
