"""The labelled audit sample: import it, and measure the pipeline's error on it.

An audit CSV has `enterprise_id` and one or more truth columns named after the tasks
(`web_sales`, and optionally `marketplace`, `social_media`, `website`), values yes/no, 1/0,
true/false (an empty cell = not audited for that task). The classifier side of the comparison
is the unit's label as the indicators see it (no found website => "no"), so sensitivity and
specificity measure the WHOLE pipeline (URL finding, crawl, classifier) — exactly the error the
Rogan–Gladen correction has to undo.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, delete, func, select

from indicators.errors import InvalidIndicatorInput
from indicators.estimators import Confusion
from indicators.units import STATE_FOUND, Units
from store.engine import transaction
from store.models import AuditLabel, Enterprise

AUDIT_TASKS = ("web_sales", "marketplace", "social_media", "website")
_TRUE = {"1", "yes", "y", "true", "t"}
_FALSE = {"0", "no", "n", "false", "f"}
_MAX_ERRORS = 20


@dataclass(frozen=True)
class AuditImport:
    audit_set: str
    enterprises: int
    labels: dict[str, int]  # task -> labels written
    sha256: str


def _parse(path: Path) -> tuple[list[tuple[int, str, dict[str, bool]]], list[str], str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidIndicatorInput(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidIndicatorInput(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(content.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "enterprise_id" not in header:
        raise InvalidIndicatorInput(f"{path}: missing column enterprise_id (need enterprise_id,web_sales)")
    tasks = [h for h in header if h in AUDIT_TASKS]
    if not tasks:
        raise InvalidIndicatorInput(f"{path}: no truth column (one of {', '.join(AUDIT_TASKS)})")
    reader.fieldnames = header
    rows: list[tuple[int, str, dict[str, bool]]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(reader, start=2):
        eid = (record.get("enterprise_id") or "").strip()
        if not eid:
            errors.append(f"line {line}: empty enterprise_id")
            continue
        if eid in seen:
            errors.append(f"line {line}: enterprise {eid} repeats line {seen[eid]}")
            continue
        seen[eid] = line
        values: dict[str, bool] = {}
        for task in tasks:
            cell = (record.get(task) or "").strip().lower()
            if not cell:
                continue
            if cell in _TRUE:
                values[task] = True
            elif cell in _FALSE:
                values[task] = False
            else:
                errors.append(f"line {line}, column {task}: {record.get(task)!r} is not yes/no")
        rows.append((line, eid, values))
    if not rows and not errors:
        raise InvalidIndicatorInput(f"{path}: no audit rows")
    return rows, errors, hashlib.sha256(raw).hexdigest()


def import_audit(engine: Engine, path: str | Path, name: str | None = None) -> AuditImport:
    """Import an audit CSV as set `name` (default: the file's stem), all or nothing.

    Unknown enterprise ids and bad values are errors naming the line; on any error nothing is
    written. Re-importing a set replaces it."""
    path = Path(path)
    audit_set = (name or path.stem).strip()
    if not audit_set:
        raise InvalidIndicatorInput("the audit set needs a name")
    rows, errors, sha = _parse(path)
    ids = [eid for _, eid, _ in rows]
    with transaction(engine) as session:
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            known.update(session.scalars(select(Enterprise.id).where(Enterprise.id.in_(chunk))))
        errors += [f"line {line}: unknown enterprise_id {eid!r}" for line, eid, _ in rows if eid not in known]
        if errors:
            more = f" (and {len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
            raise InvalidIndicatorInput(f"{path}: " + "; ".join(errors[:_MAX_ERRORS]) + more)
        session.execute(delete(AuditLabel).where(AuditLabel.audit_set == audit_set))
        counts: dict[str, int] = {}
        session.add_all(
            AuditLabel(audit_set=audit_set, enterprise_id=eid, task=task, value=value)
            for _, eid, values in rows
            for task, value in values.items()
        )
        for _, _, values in rows:
            for task in values:
                counts[task] = counts.get(task, 0) + 1
    return AuditImport(audit_set=audit_set, enterprises=len(rows), labels=counts, sha256=sha)


def latest_audit_set(engine: Engine) -> str | None:
    """The most recently imported audit set, or None when there is none."""
    with transaction(engine) as session:
        return session.scalar(
            select(AuditLabel.audit_set).order_by(AuditLabel.imported_at.desc(), AuditLabel.id.desc()).limit(1)
        )


def audit_imported_at(engine: Engine, audit_set: str) -> str | None:
    """When `audit_set` was (last) imported, ISO 8601: a re-import under the same name replaces
    its labels, so the name alone does not say which labels a value was corrected with."""
    with transaction(engine) as session:
        when = session.scalar(select(func.max(AuditLabel.imported_at))
                              .where(AuditLabel.audit_set == audit_set))
    return None if when is None else (when.isoformat() if hasattr(when, "isoformat") else str(when))


def audit_confusions(engine: Engine, audit_set: str, units: Units,
                     predictions: dict[str, np.ndarray]) -> dict[str, tuple[Confusion, np.ndarray]]:
    """Per task: confusion counts of the audit truth vs the unit's label (`predictions[task]`)
    over audited enterprises in scope, and those units' positions. Raises when the set does
    not exist."""
    with transaction(engine) as session:
        labels = session.execute(
            select(AuditLabel.enterprise_id, AuditLabel.task, AuditLabel.value)
            .where(AuditLabel.audit_set == audit_set)
        ).all()
    if not labels:
        raise InvalidIndicatorInput(f"no audit set named {audit_set!r} (import one with `ecomstat audit import`)")
    index = units.index_of()
    by_task: dict[str, tuple[list[bool], list[int]]] = {}
    for eid, task, value in labels:
        i = index.get(eid)
        if i is None or task not in predictions:
            continue
        truth, positions = by_task.setdefault(task, ([], []))
        truth.append(bool(value))
        positions.append(i)
    result = {}
    for task, (truth, positions) in by_task.items():
        where = np.array(positions, dtype=np.int64)
        result[task] = (Confusion.from_labels(truth, predictions[task][where]), where)
    return result


def website_prediction(units: Units) -> np.ndarray:
    return (units.state == STATE_FOUND).astype(np.int8)
