"""Changes between two waves (issue 17 item 2): who changed, and how much each indicator moved.

Enterprises: every enterprise recorded in both waves whose web sales, marketplace or social
media status (read as the indicators read it: "yes" on a found website) or whose website
(found, dead, lost, new URL) changed, with the evidence of both waves (`store.waves`).

Indicators: the change of each adoption indicator over the enterprises in scope in BOTH waves
(paired), total and by size class, in percentage points. The two waves' shares are estimated
on the same units, so they are correlated; the standard error of the difference is that of a
difference of dependent proportions, Var(p2 - p1) = Var(p1) + Var(p2) - 2 Cov(p1, p2), computed
in its paired form from the per-unit differences d_i = y2_i - y1_i:

    d = sum w_i d_i / sum w_i,   Var(d) = sum w_i^2 (d_i - d)^2 / (sum w_i)^2

(Taylor linearisation of the ratio; unweighted it is Agresti's variance of the difference of
dependent proportions, [(b + c)/n - ((b - c)/n)^2] / n with b, c the discordant counts:
Agresti, Categorical Data Analysis, 3rd ed. 2013, section 11.1). The interval is d +/- z SE.
It is narrower than the interval that treats the waves as independent whenever most units keep
their status. Without audit samples it describes sampling error only; given an audit set per
wave (the truth as of that wave), the indicators with an audited task are corrected for classifier error
and their interval covers both (`indicators.changes_corrected`, method `paired-corrected`).
docs/waves.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine

from ecomstat.errors import BadInput
from ecomstat.indicators.adoption import INDICATORS, unit_labels
from ecomstat.indicators.audit import audit_confusions
from ecomstat.indicators.changes_corrected import METHOD as CORRECTED, corrected_paired_change
from ecomstat.indicators.estimators import Confusion
from ecomstat.indicators.units import Scope, Units, load_units
from ecomstat.store.waves import (
    TASKS, changed_pairs, check_wave, diff_records, require_recorded, store_comparison,
)

METHOD = "paired-linearised"
CHANGE_TASKS = (*TASKS, "website")
Z_95 = 1.959963984540054


@dataclass
class IndicatorChangeCell:
    indicator: str
    breakdown_key: str
    estimate_from: float | None
    estimate_to: float | None
    difference: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    gained: int
    lost: int
    method: str = METHOD
    provenance: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "indicator", "breakdown_key", "estimate_from", "estimate_to", "difference", "se",
            "ci_low", "ci_high", "n", "gained", "lost", "method", "provenance")}


@dataclass
class WaveComparison:
    from_wave: str
    to_wave: str
    changes: list[dict[str, Any]]
    indicators: list[IndicatorChangeCell]
    paired: int  # enterprises in scope in both waves
    only_from: int  # recorded in from_wave only (left the register or the scope)
    only_to: int


def paired_change(y1: np.ndarray, y2: np.ndarray, weight: np.ndarray,
                  z: float = Z_95) -> tuple[float, float, float, float, float]:
    """(share 1, share 2, difference, se, half-width) in proportions, paired units."""
    total = float(weight.sum())
    if total <= 0:
        raise ValueError("no weight")
    p1 = float(weight @ y1) / total
    p2 = float(weight @ y2) / total
    d = y2.astype(float) - y1.astype(float)
    diff = p2 - p1
    se = math.sqrt(float((weight**2) @ (d - diff) ** 2)) / total
    return p1, p2, diff, se, z * se


def _pct(value: float | None) -> float | None:
    return None if value is None else 100 * value


def _cells(code: str, y1: np.ndarray, y2: np.ndarray, weight: np.ndarray,
           domains: Sequence[tuple[str, np.ndarray]]) -> list[IndicatorChangeCell]:
    cells = []
    for key, mask in domains:
        if not mask.any():
            continue
        p1, p2, diff, se, half = paired_change(y1[mask], y2[mask], weight[mask])
        cells.append(IndicatorChangeCell(
            indicator=code, breakdown_key=key, estimate_from=_pct(p1), estimate_to=_pct(p2),
            difference=_pct(diff), se=_pct(se), ci_low=_pct(diff - half),
            ci_high=_pct(diff + half), n=int(mask.sum()),
            gained=int(((y1 == 0) & (y2 == 1))[mask].sum()),
            lost=int(((y1 == 1) & (y2 == 0))[mask].sum())))
    return cells


@dataclass(frozen=True)
class ChangeAudits:
    """Per audited task the confusion counts of each wave: its audit set's truth against that
    wave's labels, resampled independently (each wave's audit is its own sample)."""

    by_task: dict[str, tuple[Confusion, Confusion]]
    replicates: int = 1000
    random_state: int | None = None
    notes: dict[str, Any] = field(default_factory=dict)  # for the provenance


def _corrected_cells(code: str, y1: np.ndarray, y2: np.ndarray, weight: np.ndarray,
                     domains: Sequence[tuple[str, np.ndarray]], audits: tuple[Confusion, Confusion],
                     plan: ChangeAudits, rng: np.random.Generator) -> list[IndicatorChangeCell]:
    cells = []
    for key, mask in domains:
        if not mask.any():
            continue
        result = corrected_paired_change(y1[mask], y2[mask], weight[mask], *audits,
                                         replicates=plan.replicates,
                                         random_state=rng)
        cells.append(IndicatorChangeCell(
            indicator=code, breakdown_key=key, estimate_from=_pct(result.estimate_from),
            estimate_to=_pct(result.estimate_to), difference=_pct(result.difference),
            se=_pct(result.se), ci_low=_pct(result.ci_low), ci_high=_pct(result.ci_high),
            n=int(mask.sum()), gained=int(((y1 == 0) & (y2 == 1))[mask].sum()),
            lost=int(((y1 == 1) & (y2 == 0))[mask].sum()), method=CORRECTED,
            provenance={"observed_difference": _pct(result.observed_difference),
                        "unstable": result.unstable}))
    return cells


def indicator_changes(units_from: Units, units_to: Units, audits: ChangeAudits | None = None
                      ) -> tuple[list[IndicatorChangeCell], int]:
    """Paired changes of every adoption indicator (total and by size class); the paired count.
    With `audits`, the indicators of an audited task are corrected for classifier error."""
    position_from = units_from.index_of()
    pairs = [(position_from[eid], j) for j, eid in enumerate(units_to.enterprise_id.tolist())
             if eid in position_from]
    if not pairs:
        return [], 0
    i1 = np.array([p for p, _ in pairs], dtype=np.int64)
    i2 = np.array([q for _, q in pairs], dtype=np.int64)
    labels_from, labels_to = unit_labels(units_from), unit_labels(units_to)
    weight = units_to.weight[i2]
    sizes = units_to.size_class[i2]
    domains = [("total", np.ones(len(pairs), dtype=bool))] + [
        (f"size_class={size}", sizes == size) for size in sorted(set(sizes.tolist()))]
    cells: list[IndicatorChangeCell] = []
    rng = np.random.default_rng(audits.random_state if audits else None)
    for definition in INDICATORS:
        y1, y2 = labels_from[definition.code][i1], labels_to[definition.code][i2]
        audited = audits.by_task.get(definition.task or "") if audits else None
        if audited is None:
            cells += _cells(definition.code, y1, y2, weight, domains)
        else:
            cells += _corrected_cells(definition.code, y1, y2, weight, domains, audited,
                                      audits, rng)  # type: ignore[arg-type]
    return cells, len(pairs)


def change_audits(engine: Engine, units_from: Units, units_to: Units, audit_from: str,
                  audit_to: str, *, replicates: int = 1000,
                  random_state: int | None = None) -> ChangeAudits:
    """Each wave's confusion counts per task: its audit set's truth against that wave's labels
    (the audited enterprises in scope). Tasks audited in only one of the sets stay uncorrected."""
    found = []
    for units, name in ((units_from, audit_from), (units_to, audit_to)):
        labels = unit_labels(units)
        predictions = {d.task: labels[d.code] for d in INDICATORS if d.task}
        found.append({task: confusion for task, (confusion, _) in
                      audit_confusions(engine, name, units, predictions).items()})
    tasks = sorted(set(found[0]) & set(found[1]))
    return ChangeAudits({task: (found[0][task], found[1][task]) for task in tasks},
                        replicates=replicates,
                        random_state=random_state,
                        notes={"audit_from": audit_from, "audit_to": audit_to,
                               "tasks": tasks, "replicates": replicates,
                               "random_state": random_state,
                               **{f"confusion_{task}": [found[0][task].as_dict(), found[1][task].as_dict()]
                                  for task in tasks}})


def compare_waves(engine: Engine, from_wave: str, to_wave: str, *, task: str | None = None,
                  scope: Scope | None = None, store: bool = True, audit_from: str | None = None,
                  audit_to: str | None = None, replicates: int = 1000,
                  random_state: int | None = None) -> WaveComparison:
    """The enterprises that changed between two recorded waves and the paired change of each
    indicator; stored in `wave_change` and `indicator_change` (replacing an earlier comparison
    of the same waves) unless `store` is False. With an audit set for each wave (`audit_from`,
    `audit_to`: the truth as of that wave) the audited indicators are corrected for classifier
    error (bootstrap with `replicates` and `random_state`)."""
    if (audit_from is None) != (audit_to is None):
        raise BadInput("give an audit set for both waves (--audit-from and --audit-to), or none")
    from_wave, to_wave = check_wave(from_wave), check_wave(to_wave)
    if from_wave == to_wave:
        raise BadInput(f"--from and --to are the same wave ({from_wave})")
    if task is not None and task not in CHANGE_TASKS:
        raise BadInput(f"--task {task!r}: use one of {', '.join(CHANGE_TASKS)}")
    tasks = (task,) if task else CHANGE_TASKS
    recorded_from = require_recorded(engine, from_wave)
    recorded_to = require_recorded(engine, to_wave)
    before, after, both = changed_pairs(engine, from_wave, to_wave)
    changes = diff_records(before, after, tasks)
    scope = scope or Scope()
    units_from = load_units(engine, scope, wave=from_wave)
    units_to = load_units(engine, scope, wave=to_wave)
    audits = None
    if audit_from is not None and audit_to is not None:
        audits = change_audits(engine, units_from, units_to, audit_from, audit_to,
                               replicates=replicates, random_state=random_state)
    cells, paired = indicator_changes(units_from, units_to, audits)
    provenance = {"scope": scope.as_dict(), "paired_units": paired,
                  "interval": "95% Wald interval of the paired difference (linearised variance "
                              "with the covariance of the two waves; Agresti 2013, 11.1); "
                              "sampling error only, classifier error not corrected",
                  "unit": "percentage points"}
    corrected = {**provenance, "audit": audits.notes if audits else None,
                 "interval": "95% percentile bootstrap of the Rogan-Gladen corrected paired "
                             "difference: units resampled in pairs (the covariance of the two "
                             "waves), audit samples resampled (classifier error)"}
    for cell in cells:
        cell.provenance = {**(corrected if cell.method == CORRECTED else provenance),
                           **cell.provenance}
    if store:
        store_comparison(engine, from_wave, to_wave, tasks, changes, [c.row() for c in cells])
    return WaveComparison(from_wave, to_wave, changes, cells, paired,
                          only_from=recorded_from - both, only_to=recorded_to - both)
