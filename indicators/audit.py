"""The labelled audit sample: import it, and measure the pipeline's error on it.

An audit CSV has `enterprise_id` and one or more truth columns named after the tasks
(`web_sales`, and optionally `marketplace`, `social_media`, `website`), values yes/no, 1/0,
true/false (an empty cell = not audited for that task). The classifier side of the comparison
is the unit's label as the indicators see it (no found website => "no"), so sensitivity and
specificity measure the WHOLE pipeline (URL finding, crawl, classifier) — exactly the error the
Rogan–Gladen correction has to undo.

The audit's design (issue 16): a simple random sample of the units by default; or a `stratum`
column with the strata's sizes (`stratum_size` column, or a `--strata FILE` with stratum,size),
giving each audited unit the weight N_h / n_h (n_h: audited units of stratum h in the file); or
a per-unit `inclusion_probability` (weight 1/pi) or `weight` (1/pi itself). The weights are
stored with the labels and used by the two-phase estimator (`indicators.twophase`).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, delete, func, select

from ecomstat.numbers import Bounds, where
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.estimators import Confusion
from ecomstat.indicators.twophase import AuditSample
from ecomstat.indicators.units import STATE_FOUND, Units
from ecomstat.store.engine import transaction
from ecomstat.store.models import AuditLabel, Enterprise

AUDIT_TASKS = ("web_sales", "marketplace", "social_media", "website")
_TRUE = {"1", "yes", "y", "true", "t"}
_FALSE = {"0", "no", "n", "false", "f"}
_MAX_ERRORS = 20
DESIGN_COLUMNS = ("stratum", "stratum_size", "inclusion_probability", "weight")
# A stratum has at least one enterprise and fewer than a billion; a probability is in (0, 1];
# a second-phase weight is 1/pi, at least 1.
STRATUM_SIZE = Bounds(1, 1_000_000_000, integer=True)
PROBABILITY = Bounds(0, 1, low_open=True)
AUDIT_WEIGHT = Bounds(1, 1_000_000_000)


@dataclass(frozen=True)
class AuditDesign:
    """Per audited row (file order): design name, stratum (or None) and second-phase weight."""

    design: str
    strata: list[str | None]
    weights: list[float]


@dataclass(frozen=True)
class AuditImport:
    audit_set: str
    enterprises: int
    labels: dict[str, int]  # task -> labels written
    sha256: str
    design: str = "srs"


def read_strata(path: str | Path) -> dict[str, int]:
    """A strata file: `stratum,size` per line (the number of units of each audit stratum)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidIndicatorInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InvalidIndicatorInput(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    if not {"stratum", "size"} <= {h.strip() for h in reader.fieldnames or []}:
        raise InvalidIndicatorInput(f"{path}: needs columns stratum,size")
    reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
    sizes: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        name = (row.get("stratum") or "").strip()
        if not name or name in sizes:
            raise InvalidIndicatorInput(f"{path}, line {line}: stratum {name!r} is empty or repeats")
        sizes[name] = int(STRATUM_SIZE.read(row.get("size") or "", where(path, line, "size"),
                                            InvalidIndicatorInput))
    if not sizes:
        raise InvalidIndicatorInput(f"{path}: no strata")
    return sizes


def _design(path: Path, header: list[str], records: list[tuple[int, dict[str, str]]],
            strata_sizes: dict[str, int] | None) -> AuditDesign:
    """The audit design from the design columns (and strata file); errors name the line."""
    given = [c for c in DESIGN_COLUMNS if c in header]
    per_unit = [c for c in ("inclusion_probability", "weight") if c in given]
    if len(per_unit) == 2 or (per_unit and "stratum" in given):
        raise InvalidIndicatorInput(f"{path}: give the audit design once: a stratum column with "
                                    "sizes, or inclusion_probability, or weight")
    if "stratum_size" in given and "stratum" not in given:
        raise InvalidIndicatorInput(f"{path}: column stratum_size needs a stratum column")
    if per_unit:
        column = per_unit[0]
        bounds = PROBABILITY if column == "inclusion_probability" else AUDIT_WEIGHT
        values = [bounds.read((r.get(column) or "").strip(), where(path, line, column),
                              InvalidIndicatorInput) for line, r in records]
        weights = [1 / v for v in values] if column == "inclusion_probability" else values
        return AuditDesign("weights", [None] * len(records), weights)
    if "stratum" not in given:
        if strata_sizes is not None:
            raise InvalidIndicatorInput(f"{path}: --strata needs a stratum column in the audit file")
        return AuditDesign("srs", [None] * len(records), [1.0] * len(records))
    strata = []
    sizes: dict[str, int] = dict(strata_sizes or {})
    for line, r in records:
        name = (r.get("stratum") or "").strip()
        if not name:
            raise InvalidIndicatorInput(f"{path}, line {line}: empty stratum")
        strata.append(name)
        if "stratum_size" in given:
            size = int(STRATUM_SIZE.read((r.get("stratum_size") or "").strip(),
                                         where(path, line, "stratum_size"), InvalidIndicatorInput))
            if sizes.setdefault(name, size) != size:
                raise InvalidIndicatorInput(f"{path}, line {line}: stratum {name!r} has two sizes "
                                            f"({sizes[name]} and {size})")
    counts = {name: strata.count(name) for name in set(strata)}
    for name, n_h in sorted(counts.items()):
        if name not in sizes:
            raise InvalidIndicatorInput(f"{path}: stratum {name!r} has no size (give a stratum_size "
                                        "column or --strata FILE with stratum,size)")
        if sizes[name] < n_h:
            raise InvalidIndicatorInput(f"{path}: stratum {name!r} has {n_h} audited units but "
                                        f"size {sizes[name]}")
    return AuditDesign("stratified", list(strata), [sizes[s] / counts[s] for s in strata])


def _parse(path: Path, strata_sizes: dict[str, int] | None = None
           ) -> tuple[list[tuple[int, str, dict[str, bool]]], list[str], str, AuditDesign]:
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
    kept: list[tuple[int, dict[str, str]]] = []
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
        kept.append((line, record))
    if not rows and not errors:
        raise InvalidIndicatorInput(f"{path}: no audit rows")
    design = _design(path, header, kept, strata_sizes)
    return rows, errors, hashlib.sha256(raw).hexdigest(), design


def import_audit(engine: Engine, path: str | Path, name: str | None = None,
                 strata: str | Path | None = None) -> AuditImport:
    """Import an audit CSV as set `name` (default: the file's stem), all or nothing.

    Unknown enterprise ids and bad values are errors naming the line; on any error nothing is
    written. Re-importing a set replaces it."""
    path = Path(path)
    audit_set = (name or path.stem).strip()
    if not audit_set:
        raise InvalidIndicatorInput("the audit set needs a name")
    rows, errors, sha, design = _parse(path, read_strata(strata) if strata is not None else None)
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
            AuditLabel(audit_set=audit_set, enterprise_id=eid, task=task, value=value,
                       design=design.design, stratum=stratum, design_weight=weight)
            for (_, eid, values), stratum, weight in zip(rows, design.strata, design.weights)
            for task, value in values.items()
        )
        for _, _, values in rows:
            for task in values:
                counts[task] = counts.get(task, 0) + 1
    return AuditImport(audit_set=audit_set, enterprises=len(rows), labels=counts, sha256=sha,
                       design=design.design)


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


@dataclass(frozen=True)
class TaskAudit:
    """One task's audited units in scope (AuditSample) with what the provenance reports."""

    sample: AuditSample
    confusion: Confusion  # unweighted counts, for the record
    strata: dict[str, int]  # audited units per audit stratum


def audit_samples(engine: Engine, audit_set: str, units: Units,
                  predictions: dict[str, np.ndarray]) -> dict[str, TaskAudit]:
    """Per task: the audited units in scope with truth and second-phase weight. Raises when the
    set does not exist. Rows imported before the design was stored count as a simple random
    sample (weight 1)."""
    with transaction(engine) as session:
        labels = session.execute(
            select(AuditLabel.enterprise_id, AuditLabel.task, AuditLabel.value,
                   AuditLabel.design, AuditLabel.stratum, AuditLabel.design_weight)
            .where(AuditLabel.audit_set == audit_set)
        ).all()
    if not labels:
        raise InvalidIndicatorInput(f"no audit set named {audit_set!r} (import one with `ecomstat audit import`)")
    index = units.index_of()
    by_task: dict[str, list[tuple[int, bool, str, str | None, float]]] = {}
    for eid, task, value, design, stratum, weight in labels:
        i = index.get(eid)
        if i is None or task not in predictions:
            continue
        by_task.setdefault(task, []).append((i, bool(value), design or "srs", stratum,
                                             1.0 if weight is None else float(weight)))
    result = {}
    for task, rows in by_task.items():
        position = np.array([r[0] for r in rows], dtype=np.int64)
        truth = np.array([r[1] for r in rows], dtype=np.int8)
        strata: dict[str, int] = {}
        for r in rows:
            if r[3] is not None:
                strata[r[3]] = strata.get(r[3], 0) + 1
        sample = AuditSample(position, truth, np.array([r[4] for r in rows], dtype=float),
                             design=rows[0][2])
        result[task] = TaskAudit(sample, Confusion.from_labels(truth, predictions[task][position]),
                                 strata)
    return result
