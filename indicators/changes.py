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
Like the naive cells it describes sampling error only (no misclassification correction), and
it is narrower than the interval that treats the waves as independent whenever most units keep
their status. docs/waves.md.
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


def indicator_changes(units_from: Units, units_to: Units) -> tuple[list[IndicatorChangeCell], int]:
    """Paired changes of every adoption indicator (total and by size class); the paired count."""
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
    for definition in INDICATORS:
        cells += _cells(definition.code, labels_from[definition.code][i1],
                        labels_to[definition.code][i2], weight, domains)
    return cells, len(pairs)


def compare_waves(engine: Engine, from_wave: str, to_wave: str, *, task: str | None = None,
                  scope: Scope | None = None, store: bool = True) -> WaveComparison:
    """The enterprises that changed between two recorded waves and the paired change of each
    indicator; stored in `wave_change` and `indicator_change` (replacing an earlier comparison
    of the same waves) unless `store` is False."""
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
    cells, paired = indicator_changes(load_units(engine, scope, wave=from_wave),
                                      load_units(engine, scope, wave=to_wave))
    provenance = {"scope": scope.as_dict(), "paired_units": paired,
                  "interval": "95% Wald interval of the paired difference (linearised variance "
                              "with the covariance of the two waves; Agresti 2013, 11.1)",
                  "unit": "percentage points"}
    for cell in cells:
        cell.provenance = provenance
    if store:
        store_comparison(engine, from_wave, to_wave, tasks, changes, [c.row() for c in cells])
    return WaveComparison(from_wave, to_wave, changes, cells, paired,
                          only_from=recorded_from - both, only_to=recorded_to - both)
